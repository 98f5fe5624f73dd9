-- Realtime requests relayed between nodes. A client's realtime connection
-- lives on one node, but behind a load balancer the POST that sets an
-- event stream's subscriptions, or the OAuth2 redirect meant for it, may
-- reach another. That node writes the request here and NOTIFYs
-- lumbung_realtime; the node holding the connection claims it, runs it and
-- writes the answer back for the first node to return. Rows live for
-- seconds (every node prunes those older than a minute); unlogged, as
-- nothing in them is worth keeping across a crash.
CREATE UNLOGGED TABLE _realtime_requests (
    id        bigserial PRIMARY KEY,
    client_id text NOT NULL,
    kind      text NOT NULL,
    request   bytea NOT NULL,
    claimed   boolean NOT NULL DEFAULT false,
    answer    bytea,
    created   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX _realtime_requests_open_idx ON _realtime_requests (created) WHERE NOT claimed;
