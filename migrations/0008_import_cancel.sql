-- Import jobs can be cancelled (DELETE /api/imports/{id}): the job's status becomes 'cancelled'
-- and its transaction is rolled back. A job's success is now recorded inside the import's own
-- transaction, only while the job is still 'running', so a cancelled job never commits.
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check
    CHECK (status IN ('running', 'succeeded', 'rejected', 'failed', 'cancelled'));
-- Start-up finds the jobs of dead workers by status and heartbeat.
CREATE INDEX import_jobs_running_idx ON import_jobs (heartbeat_at) WHERE status = 'running';
