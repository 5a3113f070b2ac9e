-- Import jobs started over HTTP (POST /api/imports). Kept in the database, not in memory, so
-- the job survives a restart of the server that ran it and any copy of the server behind a load
-- balancer can answer GET /api/imports/{id}. The worker refreshes heartbeat_at while it runs; a
-- running job whose heartbeat is older than a minute is reported as interrupted.
CREATE TABLE import_jobs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    status        text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'succeeded', 'rejected', 'failed')),
    target        text NOT NULL,
    plan          text,
    file_name     text NOT NULL,
    dry_run       boolean NOT NULL DEFAULT false,
    features_read bigint NOT NULL DEFAULT 0,
    total         bigint,
    rejected      bigint NOT NULL DEFAULT 0,
    repaired      bigint NOT NULL DEFAULT 0,
    -- the final report (see ruang::import::Report) or, for a failed job, the error
    report        jsonb,
    error_id      text,
    error_en      text
);
CREATE INDEX import_jobs_created_idx ON import_jobs (created_at DESC);
