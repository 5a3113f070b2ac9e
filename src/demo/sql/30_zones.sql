-- Zones of the demo RDTR, built set-based in EPSG:32751 and stored in EPSG:4326.
--
--  1. Seed points in every kelurahan (denser in the centre), Voronoi cells per kelurahan,
--     clipped to the kelurahan: one cell is one city block.
--  2. Linear and special features in order of precedence: mangrove and coastal protection strip,
--     airport and port land (TR), main roads (BJ), river channels (BA), river setbacks (PS).
--     Each feature loses what an earlier one took, then is cut by kelurahan and a 1 km grid.
--  3. Blocks shrink by a few metres (the local street network appears between them) and lose
--     what the features took.
--  4. Whatever is left of each kelurahan is the local road network (BJ), cut by the 1 km grid.
--  5. Blocks get a sub-zone from their surroundings (class of kelurahan, distance to the old
--     centre, main roads, offices, Tenau port) and a hash of their number.
--  6. The boundaries of all pieces are noded and snap-rounded together to a 1 cm grid and
--     polygonized again, so neighbours share exactly the same edges and no vertex lies within
--     millimetres of a foreign edge: zones do not overlap and stay valid after the round trip
--     EPSG:32751 -> 4326 -> 32751.
-- Steps 2-4 subtract what earlier steps took, so the pieces do not overlap; step 6 keeps it so
-- after rounding. Overlays (25_overlays.sql) exist already and give the zones their flags.

-- 1. Blocks ------------------------------------------------------------------------------------
CREATE TEMP TABLE demo_seeds ON COMMIT DROP AS
SELECT k.code, d.path[1] AS i, d.geom AS g
  FROM demo_kel k
 CROSS JOIN demo_params p
 CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(
           k.g,
           greatest(3, round(ST_Area(k.g) * p.scale
                             / CASE k.class WHEN 'inti' THEN 14000.0
                                            WHEN 'tengah' THEN 38000.0
                                            ELSE 190000.0 END))::integer,
           pg_temp.demo_pseed(p.seed, k.code, 101))) AS d
 ORDER BY k.code, d.path[1];

CREATE TEMP TABLE demo_cell ON COMMIT DROP AS
WITH vor AS (
    SELECT s.code,
           ST_VoronoiPolygons(ST_Collect(s.g ORDER BY s.i), 0.0,
                              (SELECT ST_Expand(k.g, 100) FROM demo_kel k WHERE k.code = s.code)) AS v
      FROM demo_seeds s
     GROUP BY s.code
)
SELECT vor.code, k.class, c.path[1] AS ci,
       ST_CollectionExtract(ST_Intersection(k.g, c.geom), 3) AS g
  FROM vor
  JOIN demo_kel k USING (code)
 CROSS JOIN LATERAL ST_Dump(vor.v) AS c
 ORDER BY vor.code, c.path[1];

-- Shrink each cell: half a local street on every side (4 m, 5 m on the outskirts; narrower
-- lanes when a large scale makes the blocks small).
CREATE TEMP TABLE demo_block0 ON COMMIT DROP AS
SELECT c.code, c.class, c.ci, d.path AS pi, d.geom AS g
  FROM demo_cell c
 CROSS JOIN demo_params p
 CROSS JOIN LATERAL ST_Dump(ST_Buffer(
           c.g,
           -least(5.0, greatest(2.0, CASE c.class WHEN 'pinggir' THEN 5.0 ELSE 4.0 END
                                     / power(p.scale, 0.25))),
           'join=mitre mitre_limit=3')) AS d
 WHERE NOT ST_IsEmpty(c.g)
 ORDER BY c.code, c.ci, d.path;
CREATE INDEX ON demo_block0 USING gist (g);

-- 2. Features ----------------------------------------------------------------------------------
CREATE TEMP TABLE demo_feat0 (
    ord      integer PRIMARY KEY,
    kind     text NOT NULL,
    subzone  text NOT NULL,
    name     text NOT NULL,
    g        geometry NOT NULL
) ON COMMIT DROP;

INSERT INTO demo_feat0 (ord, kind, subzone, name, g)
SELECT 1, 'pantai', 'EM', 'Ekosistem Mangrove Oesapa Barat',
       ST_Intersection(k.g, ST_Buffer(c.g, 90, 'endcap=flat'))
  FROM demo_kel k, demo_coast c WHERE k.code = '53.71.03.1014'
UNION ALL
SELECT 2, 'pantai', 'PS', 'Sempadan Pantai',
       ST_Intersection(t.g, ST_Buffer(c.g, 25, 'endcap=flat'))
  FROM demo_kota t, demo_coast c
UNION ALL
SELECT 3, 'bandara', 'TR', 'Bandar Udara El Tari',
       ST_Intersection(t.g, ST_Union(
           ST_Buffer(a.runway, 170, 'endcap=square'),
           ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(123.6650, -10.1705), 4326), 32751), 260,
                     'quad_segs=2')))
  FROM demo_kota t, demo_airport a
UNION ALL
SELECT 4, 'pelabuhan', 'TR', 'Pelabuhan Tenau',
       ST_Intersection(t.g, ST_Rotate(ST_Expand(p.g, 260), 0.35, p.g))
  FROM demo_kota t, demo_poi p WHERE p.name = 'pelabuhan_tenau'
UNION ALL
SELECT 10 + l.ord, 'jalan', 'BJ', l.name, ST_Intersection(t.g, ST_Buffer(l.g, l.halfwidth))
  FROM demo_lines l, demo_kota t WHERE l.kind = 'jalan'
UNION ALL
SELECT 30 + l.ord, 'sungai', 'BA', l.name, ST_Intersection(t.g, ST_Buffer(l.g, l.halfwidth))
  FROM demo_lines l, demo_kota t WHERE l.kind = 'sungai'
UNION ALL
SELECT 50 + l.ord, 'sempadan', 'PS', 'Sempadan ' || l.name,
       ST_Intersection(t.g, ST_Buffer(l.g, l.halfwidth + 15))
  FROM demo_lines l, demo_kota t WHERE l.kind = 'sungai';

CREATE TEMP TABLE demo_feat ON COMMIT DROP AS
SELECT f.ord, f.kind, f.subzone, f.name,
       ST_CollectionExtract(COALESCE(
           ST_Difference(f.g, (SELECT ST_Union(e.g ORDER BY e.ord) FROM demo_feat0 e
                                WHERE e.ord < f.ord AND e.g && f.g)),
           f.g), 3) AS g
  FROM demo_feat0 f
 ORDER BY f.ord;

CREATE TEMP TABLE demo_grid ON COMMIT DROP AS
SELECT q.i, q.j, q.geom AS g FROM demo_kota t, ST_SquareGrid(1000, t.g) AS q ORDER BY q.i, q.j;
CREATE INDEX ON demo_grid USING gist (g);

CREATE TEMP TABLE demo_fpiece ON COMMIT DROP AS
WITH fk AS MATERIALIZED (
    SELECT f.ord, f.kind, f.subzone, f.name, k.code,
           ST_CollectionExtract(ST_Intersection(f.g, k.g), 3) AS g
      FROM demo_feat f
      JOIN demo_kel k ON k.g && f.g AND ST_Intersects(k.g, f.g)
)
SELECT fk.ord, fk.kind, fk.subzone, fk.name, fk.code, q.i, q.j, d.path AS pi, d.geom AS g
  FROM fk
  JOIN demo_grid q ON q.g && fk.g
 CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(fk.g, q.g), 3)) AS d
 WHERE ST_Area(d.geom) >= 20
 ORDER BY fk.code, fk.ord, q.i, q.j, d.path;

CREATE TEMP TABLE demo_taken ON COMMIT DROP AS
SELECT code, ST_Union(g ORDER BY ord, i, j, pi) AS g FROM demo_fpiece GROUP BY code ORDER BY code;
ALTER TABLE demo_taken ADD PRIMARY KEY (code);

-- 3. Blocks lose what the features took ----------------------------------------------------------
CREATE TEMP TABLE demo_block ON COMMIT DROP AS
SELECT b.code, b.class, b.ci, b.pi, d.path AS di, d.geom AS g
  FROM demo_block0 b
  LEFT JOIN demo_taken t ON t.code = b.code AND t.g && b.g AND ST_Intersects(t.g, b.g)
 CROSS JOIN LATERAL ST_Dump(CASE WHEN t.g IS NULL THEN b.g
                                 ELSE ST_CollectionExtract(ST_Difference(b.g, t.g), 3) END) AS d
 WHERE ST_Area(d.geom) >= 150
 ORDER BY b.code, b.ci, b.pi, d.path;

-- 4. The local road network: the rest of each kelurahan -------------------------------------------
CREATE TEMP TABLE demo_net ON COMMIT DROP AS
WITH used AS MATERIALIZED (
    SELECT code, ST_Union(g) AS g
      FROM (SELECT code, g FROM demo_block UNION ALL SELECT code, g FROM demo_fpiece) x
     GROUP BY code
), rest AS MATERIALIZED (
    SELECT k.code, ST_CollectionExtract(ST_Difference(k.g, u.g), 3) AS g
      FROM demo_kel k JOIN used u USING (code)
)
SELECT r.code, q.i, q.j, d.path AS pi, d.geom AS g
  FROM rest r
  JOIN demo_grid q ON q.g && r.g
 CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(r.g, q.g), 3)) AS d
 WHERE ST_Area(d.geom) >= 20
 ORDER BY r.code, q.i, q.j, d.path;

-- 5. Sub-zones for the blocks -------------------------------------------------------------------
CREATE TEMP TABLE demo_block_attr ON COMMIT DROP AS
WITH b AS (
    SELECT row_number() OVER (ORDER BY b.code, b.ci, b.pi, b.di) AS bid, b.*,
           ST_PointOnSurface(b.g) AS pt
      FROM demo_block b
)
SELECT b.bid, b.code, b.class, b.g,
       k.kec_code,
       ST_Y(ST_Transform(b.pt, 4326)) AS lat,
       ST_Distance(b.pt, (SELECT g FROM demo_poi WHERE name = 'pusat_kota_lama')) AS d_centre,
       ST_Distance(b.pt, (SELECT g FROM demo_poi WHERE name = 'kantor_gubernur')) AS d_gub,
       ST_Distance(b.pt, (SELECT g FROM demo_poi WHERE name = 'balai_kota')) AS d_balai,
       ST_Distance(b.pt, (SELECT g FROM demo_poi WHERE name = 'kawasan_industri')) AS d_industri,
       ST_Intersects(b.g, (SELECT ST_Buffer(g, 40) FROM demo_poi WHERE name = 'cagar_budaya')) AS heritage,
       EXISTS (SELECT 1 FROM demo_lines l
                WHERE l.kind = 'jalan' AND ST_DWithin(b.g, l.g, l.halfwidth + 30)) AS main_road,
       EXISTS (SELECT 1 FROM demo_lines l
                WHERE l.name = 'Jl. El Tari' AND ST_DWithin(b.g, l.g, l.halfwidth + 30)) AS el_tari,
       pg_temp.demo_u(p.seed, b.bid, 301) AS u1,
       pg_temp.demo_u(p.seed, b.bid, 302) AS u2,
       pg_temp.demo_u(p.seed, b.bid, 303) AS u3
  FROM b
  JOIN demo_kel k USING (code)
 CROSS JOIN demo_params p
 ORDER BY b.bid;

CREATE TEMP TABLE demo_block_zone ON COMMIT DROP AS
SELECT a.bid, a.code, a.g,
       CASE
           WHEN a.heritage THEN 'CB'
           WHEN a.kec_code = '53.71.01' AND a.d_industri < 1500 AND a.u1 < 0.85 THEN 'KPI'
           WHEN a.class = 'pinggir' AND a.lat < -10.255 AND a.u1 < 0.45 THEN 'HL'
           WHEN a.el_tari AND a.d_gub < 1500 AND a.u1 < 0.6 THEN 'KT'
           WHEN a.d_balai < 450 AND a.u1 < 0.5 THEN 'KT'
           WHEN a.d_gub < 700 AND a.u1 < 0.3 THEN 'KT'
           WHEN a.main_road AND a.class = 'inti' AND a.u1 < 0.55 THEN 'K-1'
           WHEN a.main_road AND a.class = 'inti' AND a.u1 < 0.72 THEN 'C-1'
           WHEN a.main_road AND a.class = 'tengah' AND a.u1 < 0.50 THEN 'K-2'
           WHEN a.main_road AND a.class = 'tengah' AND a.u1 < 0.62 THEN 'C-2'
           WHEN a.main_road AND a.class = 'pinggir' AND a.u1 < 0.40 THEN 'K-3'
           WHEN a.u2 < CASE a.class WHEN 'pinggir' THEN 0.03 ELSE 0.06 END THEN
               CASE WHEN a.class = 'inti' THEN
                        CASE WHEN a.u3 < 0.20 THEN 'SPU-1' WHEN a.u3 < 0.40 THEN 'SPU-2'
                             WHEN a.u3 < 0.75 THEN 'SPU-3' ELSE 'SPU-4' END
                    WHEN a.class = 'tengah' THEN
                        CASE WHEN a.u3 < 0.10 THEN 'SPU-1' WHEN a.u3 < 0.30 THEN 'SPU-2'
                             WHEN a.u3 < 0.65 THEN 'SPU-3' ELSE 'SPU-4' END
                    ELSE
                        CASE WHEN a.u3 < 0.20 THEN 'SPU-2' WHEN a.u3 < 0.60 THEN 'SPU-3'
                             ELSE 'SPU-4' END
               END
           WHEN a.u2 < CASE a.class WHEN 'pinggir' THEN 0.07 ELSE 0.11 END THEN
               CASE WHEN a.class = 'pinggir' THEN
                        CASE WHEN a.u3 < 0.50 THEN 'RTH-1' WHEN a.u3 < 0.85 THEN 'RTH-7'
                             ELSE 'RTH-4' END
                    ELSE
                        CASE WHEN a.u3 < 0.08 THEN 'RTH-1' WHEN a.u3 < 0.22 THEN 'RTH-2'
                             WHEN a.u3 < 0.34 THEN 'RTH-3' WHEN a.u3 < 0.50 THEN 'RTH-4'
                             WHEN a.u3 < 0.62 THEN 'RTH-5' WHEN a.u3 < 0.72 THEN 'RTH-6'
                             WHEN a.u3 < 0.92 THEN 'RTH-7' ELSE 'RTH-8' END
               END
           WHEN a.u2 < 0.14 AND a.class <> 'pinggir' THEN 'K-3'
           WHEN a.class = 'pinggir' AND a.u2 < 0.50 THEN CASE WHEN a.u3 < 0.6 THEN 'P-1' ELSE 'P-2' END
           WHEN a.class = 'inti' THEN CASE WHEN a.d_centre < 900 AND a.u3 < 0.4 THEN 'R-1' ELSE 'R-2' END
           WHEN a.class = 'tengah' THEN CASE WHEN a.u3 < 0.12 THEN 'R-2' ELSE 'R-3' END
           ELSE CASE WHEN a.u3 < 0.75 THEN 'R-4' ELSE 'R-5' END
       END AS subzone
  FROM demo_block_attr a
 ORDER BY a.bid;

-- 6. All zones, stored in EPSG:4326 ------------------------------------------------------------
CREATE TEMP TABLE demo_zone_src ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY code, layer, k1, k2) AS sid, *
  FROM (SELECT code, 2 AS layer, subzone, NULL::text AS name, g,
               bid::double precision AS k1, 0::double precision AS k2
          FROM demo_block_zone
        UNION ALL
        SELECT code, 1, subzone, name, g, ord, i * 1000 + j + pi[1] / 1000.0
          FROM demo_fpiece
        UNION ALL
        SELECT code, 3, 'BJ', NULL, g, i, j + pi[1] / 1000.0
          FROM demo_net) s
 ORDER BY sid;
CREATE INDEX ON demo_zone_src USING gist (g);

-- One noded, snap-rounded linework for the whole city, and its faces.
CREATE TEMP TABLE demo_face ON COMMIT DROP AS
WITH lines AS MATERIALIZED (
    SELECT ST_UnaryUnion(ST_Collect(ST_Boundary(g) ORDER BY sid), 0.01) AS g FROM demo_zone_src
), faces AS MATERIALIZED (
    SELECT ST_Polygonize(g) AS g FROM lines
)
SELECT d.path[1] AS fid, d.geom AS g
  FROM faces CROSS JOIN LATERAL ST_Dump(faces.g) AS d
 ORDER BY d.path[1];

-- Each face belongs to the piece its inner point lies in; faces in no piece (the dropped
-- slivers) are left out.
CREATE TEMP TABLE demo_zone_geom ON COMMIT DROP AS
SELECT s.sid,
       CASE WHEN count(*) = 1 THEN (array_agg(f.g))[1]
            ELSE ST_UnaryUnion(ST_Collect(f.g ORDER BY f.fid), 0.01) END AS g
  FROM demo_face f
 CROSS JOIN LATERAL (SELECT ST_PointOnSurface(f.g) AS pt) p
 CROSS JOIN LATERAL (SELECT z.sid FROM demo_zone_src z
                      WHERE z.g && p.pt AND ST_Intersects(z.g, p.pt)
                      ORDER BY z.sid LIMIT 1) s
 GROUP BY s.sid
 ORDER BY s.sid;

-- Overlay flags are the Permen ATR/BPN 14/2021 attribute names of the overlays a zone touches.
INSERT INTO zones (plan_id, zone_code, subzone_code, name, block_code, kelurahan_code,
                   overlay_flags, geom, updated_at)
SELECT p.id, s.zone_code, z.subzone,
       COALESCE(z.name,
                CASE WHEN z.layer = 3 THEN 'Jalan Lingkungan' ELSE s.name END) || ' ' || k.name,
       format('%s.%s.%s', substr(z.code, 7, 2), substr(z.code, 10, 4),
              lpad((row_number() OVER (PARTITION BY z.code ORDER BY z.sid))::text, 4, '0')),
       z.code,
       ARRAY(SELECT DISTINCT CASE o.kind WHEN 'kkop' THEN 'KKOP_1'
                                         WHEN 'krb' THEN 'KRB_03'
                                         WHEN 'cagar_budaya' THEN 'CAGBUD'
                                         ELSE 'KSMPDN' END
               FROM overlays o
              WHERE o.geom && t.g AND ST_Intersects(o.geom, t.g)
              ORDER BY 1),
       t.g,
       pg_temp.demo_asof()
  FROM demo_zone_src z
  JOIN demo_zone_geom g USING (sid)
  JOIN subzones s ON s.code = z.subzone
  JOIN demo_kel k ON k.code = z.code
 CROSS JOIN (SELECT id FROM zoning_plans WHERE status = 'active') p
 CROSS JOIN LATERAL (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(g.g, 4326)), 3)) AS g) t
 WHERE ST_Area(g.g) >= 20 AND NOT ST_IsEmpty(t.g)
 ORDER BY z.sid;

