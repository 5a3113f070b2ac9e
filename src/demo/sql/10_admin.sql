-- Administrative areas from demo/kupang-admin.geojson (bound as demo_params.admin), their name
-- aliases, and a working copy of the kelurahan in EPSG:32751 with the demo's urban class.

INSERT INTO admin_areas (code, level, name, parent_code, geom, source, updated_at)
SELECT f -> 'properties' ->> 'code',
       f -> 'properties' ->> 'level',
       f -> 'properties' ->> 'name',
       -- the province (53) is not a row, so the kota has no parent
       CASE WHEN f -> 'properties' ->> 'level' = 'kota' THEN NULL
            ELSE f -> 'properties' ->> 'parent_code' END,
       ST_Multi(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(f -> 'geometry')), 4326)),
       'fityannugroho/idn-area-boundary (GitHub), data/villages/53.71.*.geojson, asal '
       || 'Kemendagri Dukcapil 2018 S1 dan BIG; disederhanakan untuk ruang (demo/README.md). '
       || 'Batas indikatif, bukan batas hukum.',
       pg_temp.demo_asof()
  FROM demo_params p, jsonb_array_elements(p.admin -> 'features') AS f
 ORDER BY length(f -> 'properties' ->> 'code'), f -> 'properties' ->> 'code';

DO $$
BEGIN
    IF (SELECT count(*) FROM admin_areas WHERE level = 'kelurahan') <> 51
       OR (SELECT count(*) FROM admin_areas WHERE level = 'kecamatan') <> 6
       OR (SELECT count(*) FROM admin_areas WHERE level = 'kota') <> 1 THEN
        RAISE EXCEPTION 'demo admin file must hold 1 kota, 6 kecamatan and 51 kelurahan';
    END IF;
END
$$;

-- Aliases: every name lower-cased, plus the spellings other sources use (domain-kupang §5.1).
-- Where a kecamatan shares its name with a kelurahan (Alak, Maulafa, Kelapa Lima, Oebobo), the
-- bare name belongs to the kelurahan; the kecamatan is reachable as "kecamatan <name>".
INSERT INTO admin_area_aliases (alias, code)
SELECT DISTINCT ON (alias) alias, code
  FROM (
        SELECT lower(name) AS alias, code, 1 AS prio FROM admin_areas WHERE level = 'kelurahan'
        UNION ALL
        SELECT 'kecamatan ' || lower(name), code, 1 FROM admin_areas WHERE level = 'kecamatan'
        UNION ALL
        SELECT 'kec. ' || lower(name), code, 1 FROM admin_areas WHERE level = 'kecamatan'
        UNION ALL
        SELECT lower(name), code, 2 FROM admin_areas WHERE level = 'kecamatan'
        UNION ALL
        SELECT v.alias, v.code, 1
          FROM (VALUES
                ('kota kupang', '53.71'), ('kupang', '53.71'),
                ('batuplat', '53.71.01.1009'), ('batu-plat', '53.71.01.1009'),
                ('manulai dua', '53.71.01.1010'), ('manulai 2', '53.71.01.1010'),
                ('penkase', '53.71.01.1012'), ('penkase-oeleta', '53.71.01.1012'),
                ('nunbaun delha', '53.71.01.1003'), ('nunbaundelha', '53.71.01.1003'),
                ('bakunase ii', '53.71.05.1002'), ('bakunase 2', '53.71.05.1002'),
                ('naikoten i', '53.71.05.1004'), ('naikoten 1', '53.71.05.1004'),
                ('naikoten ii', '53.71.05.1005'), ('naikoten 2', '53.71.05.1005'),
                ('air nona', '53.71.05.1003'),
                ('air mata', '53.71.06.1001'),
                ('llbk', '53.71.06.1002'), ('lahilai bissi kopan', '53.71.06.1002'),
                ('lai-lai bisi kopan', '53.71.06.1002'), ('lailai bisi kopan', '53.71.06.1002'),
                ('todekisar', '53.71.06.1005'),
                ('tuak daun merah', '53.71.04.1014'), ('tdm', '53.71.04.1014'),
                ('kayuputih', '53.71.04.1013'),
                ('kota radja', '53.71.05'), ('kota raja', '53.71.05'),
                ('kota lama', '53.71.06'), ('kelapalima', '53.71.03.1001')
               ) AS v(alias, code)
       ) a
 ORDER BY alias, prio, code;

-- Working copy of the kelurahan in UTM 51S with the demo's urban class:
--   inti     old centre and dense inner city (Kota Lama, Kota Raja, most of Oebobo, inner Alak)
--   tengah   the built-up ring (Kelapa Lima, Liliba, northern Maulafa, Namosain, Manutapen, Alak)
--   pinggir  the rural outskirts (Batu Plat, Manulai II, Naioni, Penkase Oeleta, Bello,
--            Fatukoa, Kolhua)
CREATE TEMP TABLE demo_kel ON COMMIT DROP AS
SELECT a.code,
       a.name,
       a.parent_code AS kec_code,
       CASE
           WHEN a.parent_code IN ('53.71.05', '53.71.06') THEN 'inti'
           WHEN a.code IN ('53.71.04.1001', '53.71.04.1008', '53.71.04.1009', '53.71.04.1011',
                           '53.71.04.1013', '53.71.04.1014', '53.71.01.1002', '53.71.01.1003',
                           '53.71.01.1004', '53.71.01.1005', '53.71.01.1007') THEN 'inti'
           WHEN a.code IN ('53.71.01.1009', '53.71.01.1010', '53.71.01.1011', '53.71.01.1012',
                           '53.71.02.1005', '53.71.02.1006', '53.71.02.1007') THEN 'pinggir'
           ELSE 'tengah'
       END AS class,
       ST_Transform(a.geom, 32751) AS g
  FROM admin_areas a
 WHERE a.level = 'kelurahan'
 ORDER BY a.code;
ALTER TABLE demo_kel ADD PRIMARY KEY (code);
CREATE INDEX ON demo_kel USING gist (g);
ANALYZE demo_kel;

CREATE TEMP TABLE demo_kota ON COMMIT DROP AS
SELECT ST_Transform(geom, 32751) AS g FROM admin_areas WHERE level = 'kota';
