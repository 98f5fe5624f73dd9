-- Runs of cron jobs. A scheduled run is claimed by inserting its row:
-- the node whose insert wins runs it, so with many nodes each scheduled
-- minute of a job runs once. Manual runs ("run now") are recorded beside
-- them with manual = true.
CREATE TABLE _cron_runs (
    job       text        NOT NULL,
    scheduled timestamptz NOT NULL,
    manual    boolean     NOT NULL DEFAULT false,
    node      text        NOT NULL,
    started   timestamptz NOT NULL,
    finished  timestamptz,
    error     text,
    PRIMARY KEY (job, scheduled, manual)
);
CREATE INDEX _cron_runs_job_started_idx ON _cron_runs (job, started DESC);
