-- The webhooks plugin's tables, created when the plugin is provisioned
-- (idempotent: every node runs it at start, one at a time).
--
-- A webhook's position in the change log is its row of _event_consumers
-- ('webhook:<id>'), which exists while the webhook is enabled: the prune
-- keeps the events it has not handled. The node holding the lease
-- (lease_node until lease_until) is the only one delivering its events.
CREATE TABLE IF NOT EXISTS _webhooks (
    id              text PRIMARY KEY,
    name            text        NOT NULL,
    collection      text        NOT NULL DEFAULT '',
    events          text[]      NOT NULL,
    url             text        NOT NULL,
    secret          text        NOT NULL,
    filter          text        NOT NULL DEFAULT '',
    enabled         boolean     NOT NULL DEFAULT true,
    disabled_reason text        NOT NULL DEFAULT '',
    failures        integer     NOT NULL DEFAULT 0,
    attempt         integer     NOT NULL DEFAULT 0,
    retry_at        timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    lease_node      text,
    lease_until     timestamptz,
    created         timestamptz NOT NULL DEFAULT now(),
    updated         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS _webhook_deliveries (
    id         bigserial PRIMARY KEY,
    webhook    text        NOT NULL REFERENCES _webhooks (id) ON DELETE CASCADE,
    event      bigint      NOT NULL,
    action     text        NOT NULL,
    collection text        NOT NULL DEFAULT '',
    record     text        NOT NULL DEFAULT '',
    attempt    integer     NOT NULL,
    status     integer     NOT NULL,
    ok         boolean     NOT NULL,
    latency_ms double precision NOT NULL,
    error      text        NOT NULL DEFAULT '',
    node       text        NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS _webhook_deliveries_webhook_idx ON _webhook_deliveries (webhook, id DESC);
CREATE INDEX IF NOT EXISTS _webhook_deliveries_created_idx ON _webhook_deliveries (created);
