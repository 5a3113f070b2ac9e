-- Registered land parcels: exactly round(60000 * scale) of them.
--
-- Every eligible zone (housing, commerce, mixed, offices, public services, industry,
-- agriculture) gets a grid of cells, rotated by a pseudo-random angle around the zone's
-- centroid, with cell sizes per sub-zone. A pseudo-random fraction of the cells gets a candidate
-- parcel: a rectangle somewhat smaller than its cell at a jittered offset, kept only when it lies
-- inside the zone shrunk by half a metre. Rectangles of different cells cannot overlap, and zones
-- do not overlap, so parcels never overlap. The fraction and the cell size come from an estimate
-- of how many cells fit; should too few candidates result, they are adjusted and the grid built
-- again. Then an exact, deterministic subset is taken.

CREATE TEMP TABLE demo_pgrid (
    subzone  text PRIMARY KEY,
    w        float8 NOT NULL,   -- frontage (m) of a cell at size factor 1
    d        float8 NOT NULL,   -- depth (m)
    weight   float8 NOT NULL    -- relative share of cells that become registered parcels
) ON COMMIT DROP;
INSERT INTO demo_pgrid VALUES
    ('R-1', 10, 16, 1.0), ('R-2', 12, 20, 1.0), ('R-3', 15, 24, 0.8), ('R-4', 20, 30, 0.6),
    ('R-5', 25, 40, 0.5), ('K-1', 14, 28, 0.9), ('K-2', 14, 28, 0.9), ('K-3', 14, 28, 0.9),
    ('C-1', 15, 28, 0.9), ('C-2', 15, 28, 0.9), ('KT', 30, 40, 0.7),
    ('SPU-1', 40, 50, 0.6), ('SPU-2', 40, 50, 0.6), ('SPU-3', 35, 45, 0.6), ('SPU-4', 30, 40, 0.6),
    ('KPI', 50, 70, 0.8), ('P-1', 40, 60, 0.3), ('P-2', 35, 50, 0.3);

CREATE TEMP TABLE demo_pzone ON COMMIT DROP AS
SELECT z.id AS zid, z.subzone_code AS subzone, z.kelurahan_code AS code,
       g.w, g.d, g.weight,
       pg_temp.demo_u(p.seed, z.id, 501) * pi() / 2 AS theta,
       ST_Centroid(t.g) AS origin,
       t.g
  FROM zones z
  JOIN demo_pgrid g ON g.subzone = z.subzone_code
 CROSS JOIN demo_params p
 CROSS JOIN LATERAL (SELECT ST_Buffer(ST_Transform(z.geom, 32751), -0.5) AS g) t
 WHERE NOT ST_IsEmpty(t.g)
 ORDER BY z.id;
-- the zone in its own rotated frame, where the grid is axis-aligned
ALTER TABLE demo_pzone ADD COLUMN gr geometry, ADD COLUMN area float8, ADD COLUMN perimeter float8;
UPDATE demo_pzone SET gr = ST_Rotate(g, -theta, origin), area = ST_Area(g), perimeter = ST_Perimeter(g);

-- Expected number of candidate parcels for cell size factor k and share multiplier f.
CREATE OR REPLACE FUNCTION pg_temp.demo_parcel_estimate(k float8, f float8) RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(area / (w * d * k * k)
                        * greatest(0.0, 1.0 - perimeter * (w + d) * k / (4.0 * area))
                        * least(1.0, f * weight)), 0)
      FROM demo_pzone
$$;

CREATE TEMP TABLE demo_pcand (
    zid    bigint NOT NULL,
    key    bigint NOT NULL,
    g      geometry NOT NULL
) ON COMMIT DROP;

DO $$
DECLARE
    target   bigint := (SELECT round(60000 * scale) FROM demo_params);
    seed     bigint := (SELECT seed FROM demo_params);
    k        float8 := 1.0;   -- linear cell size factor
    f        float8 := 1.0;   -- share multiplier: a zone keeps min(1, f * weight) of its cells
    lo       float8;
    hi       float8;
    got      bigint;
    attempt  integer := 0;
BEGIN
    -- Choose k and f from an estimate (no geometry needed): a zone of area A and perimeter P
    -- holds about A / (w d k^2) cells, of which about 1 - P (w + d) k / (4 A) lie wholly inside.
    -- Aim at 1.25 times the target; first lower the share, only then shrink the cells.
    IF pg_temp.demo_parcel_estimate(1.0, 1.0 / 0.3) >= 1.25 * target THEN
        lo := 0.0; hi := 1.0 / 0.3;
        FOR i IN 1..30 LOOP
            f := (lo + hi) / 2;
            IF pg_temp.demo_parcel_estimate(1.0, f) >= 1.25 * target THEN hi := f; ELSE lo := f; END IF;
        END LOOP;
        f := hi;
    ELSE
        f := 1.0 / 0.3;
        lo := 0.05; hi := 1.0;
        FOR i IN 1..30 LOOP
            k := (lo + hi) / 2;
            IF pg_temp.demo_parcel_estimate(k, f) >= 1.25 * target THEN lo := k; ELSE hi := k; END IF;
        END LOOP;
        k := lo;
    END IF;
    LOOP
        attempt := attempt + 1;
        TRUNCATE demo_pcand;
        INSERT INTO demo_pcand (zid, key, g)
        SELECT c.zid, c.key, ST_Rotate(c.rect, c.theta, c.origin)
          FROM (
                SELECT z.zid, z.theta, z.origin, z.gr, cell.key,
                       ST_MakeEnvelope(
                           cell.x0 + cell.ox, cell.y0 + cell.oy,
                           cell.x0 + cell.ox + cell.rw, cell.y0 + cell.oy + cell.rd, 32751) AS rect
                  FROM demo_pzone z
                 CROSS JOIN LATERAL (
                       SELECT ST_XMin(z.gr) AS xmin, ST_YMin(z.gr) AS ymin,
                              z.w * k AS cw, z.d * k AS cd,
                              ceil((ST_XMax(z.gr) - ST_XMin(z.gr)) / (z.w * k))::integer AS ni,
                              ceil((ST_YMax(z.gr) - ST_YMin(z.gr)) / (z.d * k))::integer AS nj
                       ) b
                 CROSS JOIN LATERAL generate_series(0, b.ni - 1) AS i
                 CROSS JOIN LATERAL generate_series(0, b.nj - 1) AS j
                 CROSS JOIN LATERAL (
                       SELECT z.zid * 10000000000 + i * 100000 + j AS key) kk
                 CROSS JOIN LATERAL (
                       SELECT kk.key,
                              b.xmin + i * b.cw AS x0, b.ymin + j * b.cd AS y0,
                              b.cw * (0.78 + 0.17 * pg_temp.demo_u(seed, kk.key, 511)) AS rw,
                              b.cd * (0.78 + 0.17 * pg_temp.demo_u(seed, kk.key, 512)) AS rd,
                              b.cw, b.cd
                       ) c0
                 CROSS JOIN LATERAL (
                       SELECT c0.key, c0.x0, c0.y0, c0.rw, c0.rd,
                              (c0.cw - c0.rw) * pg_temp.demo_u(seed, c0.key, 513) AS ox,
                              (c0.cd - c0.rd) * pg_temp.demo_u(seed, c0.key, 514) AS oy
                       ) cell
                 WHERE pg_temp.demo_u(seed, kk.key, 510) < f * z.weight
               ) c
         WHERE ST_Within(c.rect, c.gr)
         ORDER BY c.key;
        SELECT count(*) INTO got FROM demo_pcand;
        EXIT WHEN got >= target;
        IF attempt >= 8 THEN
            RAISE EXCEPTION 'demo parcels: only % of % parcels fit after % attempts', got, target, attempt;
        END IF;
        IF f < 1.0 / 0.3 THEN
            f := least(1.0 / 0.3, f * 1.3 * target / greatest(got, 1));
        ELSE
            -- even with every cell taken there is not enough room: shrink the cells
            k := k * sqrt(greatest(got, 1)::float8 / (1.3 * target));
        END IF;
    END LOOP;
    RAISE NOTICE 'demo parcels: % candidates for % parcels (k=%, f=%, attempts=%)', got, target, k, f, attempt;
END
$$;

INSERT INTO parcels (kind, parcel_number, land_tenure, kelurahan_code, geom, registered_at, updated_at)
SELECT 'terdaftar',
       s.code || '.' || lpad((row_number() OVER (PARTITION BY s.code ORDER BY s.key))::text, 6, '0'),
       CASE
           WHEN s.subzone IN ('K-1', 'K-2', 'K-3', 'C-1', 'C-2', 'KT', 'KPI') THEN
               CASE WHEN s.u < 0.55 THEN 'HGB' WHEN s.u < 0.90 THEN 'SHM' WHEN s.u < 0.95 THEN 'HP'
                    ELSE 'lainnya' END
           WHEN s.subzone LIKE 'SPU-%' THEN
               CASE WHEN s.u < 0.70 THEN 'HP' WHEN s.u < 0.90 THEN 'SHM' ELSE 'lainnya' END
           ELSE
               CASE WHEN s.u < 0.80 THEN 'SHM' WHEN s.u < 0.88 THEN 'HGB' WHEN s.u < 0.96 THEN 'girik'
                    ELSE 'lainnya' END
       END,
       s.code,
       ST_Multi(ST_Transform(s.g, 4326)),
       DATE '1985-01-01' + floor(power(s.u2, 0.7) * (DATE '2025-12-31' - DATE '1985-01-01'))::integer,
       pg_temp.demo_asof()
  FROM (
        SELECT c.key, c.g, z.code, z.subzone,
               pg_temp.demo_u(p.seed, c.key, 521) AS u,
               pg_temp.demo_u(p.seed, c.key, 522) AS u2
          FROM demo_pcand c
          JOIN demo_pzone z USING (zid)
         CROSS JOIN demo_params p
         ORDER BY pg_temp.demo_u(p.seed, c.key, 520), c.key
         LIMIT (SELECT round(60000 * scale) FROM demo_params)
       ) s
 ORDER BY s.code, s.key;
