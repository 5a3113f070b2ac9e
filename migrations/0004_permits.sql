-- Permits: what 0001 lacks for accounts, the workflow and issued permits.
--
-- users, api_tokens, applications, application_events (append-only by trigger),
-- application_attachments (files kept in PostgreSQL, so database backups cover them) and
-- parcels already exist in 0001_schema.sql.

-- Failed logins, kept per attempted e-mail address (whether or not an account has it, so the
-- throttle itself never tells who has an account) and per client address. Rows older than a
-- day are useless and deleted by the login handler as it goes.
CREATE TABLE login_failures (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    email  text NOT NULL,
    ip     text NOT NULL
);
CREATE INDEX login_failures_email_idx ON login_failures (email, at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);

-- The role the actor had when acting (users.role may change later).
ALTER TABLE application_events ADD COLUMN actor_role text;

-- Permit numbers KKPR/YYYY/NNNNNN: one counter per year, taken inside the issuing
-- transaction, so numbers have no gaps and restart at 1 every year.
CREATE TABLE permit_number_counters (
    year  integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 9999),
    last  integer NOT NULL CHECK (last > 0)
);

-- Days in state and the overdue list read the trail per application in time order.
CREATE INDEX applications_open_idx ON applications (status)
    WHERE status NOT IN ('DRAFT', 'ISSUED');
