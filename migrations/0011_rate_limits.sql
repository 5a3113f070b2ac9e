-- Token buckets shared by every ruang node on this database, for the limits that must hold
-- across nodes behind a load balancer: self-registration and waste reports (src/http/limit.rs).
-- One row per (limit, client address); a request takes a token in one statement
-- (INSERT ... ON CONFLICT DO UPDATE ... WHERE enough tokens), so concurrent nodes cannot both
-- take the last one. UNLOGGED: this is throttling state, not data; it is not written to the WAL
-- (nor replicated) and is emptied after a crash of PostgreSQL, which only resets the limits.
CREATE UNLOGGED TABLE rate_limits (
    scope   text NOT NULL,
    client  inet NOT NULL,
    tokens  double precision NOT NULL,
    at      timestamptz NOT NULL,
    PRIMARY KEY (scope, client)
);
