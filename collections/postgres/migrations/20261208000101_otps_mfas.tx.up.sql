-- PocketBase's sign-in sessions of auth records: one-time passwords sent by
-- email (_otps), the first method of a multi-factor sign-in (_mfas), and the
-- places records signed in from (_authOrigins, for new-location alerts).
--
-- key_sum ties a row to the record's state when it was made: a hash of the
-- token key for OTPs, of the password hash for MFAs and origins. A row whose
-- key_sum no longer matches the record counts as gone, as PocketBase deletes
-- OTPs when the token key changes and MFAs and origins when the password
-- does.
CREATE TABLE _otps (
    id            text        PRIMARY KEY,
    collection_id text        NOT NULL,
    record_id     text        NOT NULL,
    -- A keyed hash of the code, never the code itself.
    code_hash     text        NOT NULL,
    sent_to       text        NOT NULL DEFAULT '',
    key_sum       text        NOT NULL,
    -- Wrong codes tried against this OTP.
    attempts      integer     NOT NULL DEFAULT 0,
    created       timestamptz NOT NULL
);
CREATE INDEX _otps_record_idx ON _otps (collection_id, record_id, created);
CREATE INDEX _otps_created_idx ON _otps (created);

CREATE TABLE _mfas (
    id            text        PRIMARY KEY,
    collection_id text        NOT NULL,
    record_id     text        NOT NULL,
    method        text        NOT NULL,
    key_sum       text        NOT NULL,
    created       timestamptz NOT NULL
);
CREATE INDEX _mfas_created_idx ON _mfas (created);

CREATE TABLE "_authOrigins" (
    id            text        PRIMARY KEY,
    collection_id text        NOT NULL,
    record_id     text        NOT NULL,
    fingerprint   text        NOT NULL,
    key_sum       text        NOT NULL,
    created       timestamptz NOT NULL,
    updated       timestamptz NOT NULL,
    UNIQUE (collection_id, record_id, fingerprint)
);
