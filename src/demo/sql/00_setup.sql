-- Demo city: session set-up. Runs inside the load transaction, after the Rust side has created
-- and filled the temporary table demo_params (seed, scale, admin). Every helper object here is
-- temporary and disappears with the transaction or the session.

SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = '30s';
SET LOCAL work_mem = '256MB';
SET LOCAL client_min_messages = warning;
-- Deterministic output: the same query plan shape and no parallel workers changing row order.
SET LOCAL max_parallel_workers_per_gather = 0;
-- PostGIS functions make the planner's cost estimates huge, which triggers JIT compilation that
-- costs seconds per statement and saves nothing here.
SET LOCAL jit = off;

-- Uniform pseudo-random number in [0, 1) from (seed, key, salt). Pure function of its inputs:
-- the demo never calls random().
CREATE OR REPLACE FUNCTION pg_temp.demo_u(seed bigint, k bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((hashint8extended(k, hashint8extended(salt, seed)) >> 11) & 9007199254740991)::float8
           / 9007199254740992.0
$$;

-- Same for a text key (kelurahan codes, names).
CREATE OR REPLACE FUNCTION pg_temp.demo_ut(seed bigint, k text, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((hashtextextended(k, hashint8extended(salt, seed)) >> 11) & 9007199254740991)::float8
           / 9007199254740992.0
$$;

-- A positive 31-bit seed for ST_GeneratePoints, from (seed, text key, salt).
CREATE OR REPLACE FUNCTION pg_temp.demo_pseed(seed bigint, k text, salt bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((hashtextextended(k, hashint8extended(salt, seed)) & 2147483646) + 1)::integer
$$;

-- Approximate standard normal variate from two uniforms (Box-Muller), for smooth noise.
CREATE OR REPLACE FUNCTION pg_temp.demo_n(seed bigint, k bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sqrt(-2.0 * ln(1.0 - pg_temp.demo_u(seed, k, salt)))
           * cos(2.0 * pi() * pg_temp.demo_u(seed, k, salt + 7777))
$$;

-- The moment the demo data describe ("now" for the demo): every timestamp and date series is
-- fixed relative to it, so a reload gives identical rows.
CREATE OR REPLACE FUNCTION pg_temp.demo_asof() RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT TIMESTAMPTZ '2026-11-01 00:00:00+08'
$$;

-- Position of a documented facility: the given approximate coordinates when they fall inside the
-- kelurahan the facility is documented in; moved to the nearest point well inside that kelurahan
-- when they are less than 1.5 km off; otherwise the kelurahan's label point. Returns EPSG:4326.
CREATE OR REPLACE FUNCTION pg_temp.demo_place(lon float8, lat float8, kel_code text) RETURNS geometry
LANGUAGE sql STABLE AS $$
    WITH k AS (
        SELECT a.geom, a.label_point, ST_Transform(a.geom, 32751) AS g FROM admin_areas a
         WHERE a.code = kel_code
    ), p AS (
        SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS p4,
               ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32751) AS p
    )
    SELECT CASE
               WHEN lon IS NULL THEN k.label_point
               WHEN ST_Contains(k.geom, p.p4) THEN p.p4
               WHEN ST_DWithin(k.g, p.p, 1500)
                    THEN ST_Transform(ST_ClosestPoint(ST_Buffer(k.g, -25), p.p), 4326)
               ELSE k.label_point
           END
      FROM k, p
$$;
