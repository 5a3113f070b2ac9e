-- Health: the 11 Puskesmas, their catchments (wilayah kerja, domain-kupang §2.2), about five
-- posyandu per kelurahan, three hospitals, and 24 months of e-PPGBM stunting counts per kelurahan.

CREATE TEMP TABLE demo_pkm (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    kel_name   text NOT NULL,      -- kelurahan of the address
    lon        float8,
    lat        float8,
    address    text NOT NULL,
    catchment  text[] NOT NULL     -- kelurahan names as the source spells them
) ON COMMIT DROP;

INSERT INTO demo_pkm VALUES
    ('pkm-alak', 'Puskesmas Alak', 'nunbaun sabu', 123.570, -10.162, 'Jl. Sangkar Mas 1A, Kel. Nunbaun Sabu',
     ARRAY['Alak', 'Nunhila', 'Nunbaun Delha', 'Nunbaun Sabu', 'Namosain', 'Penkase Oeleta']),
    ('pkm-manutapen', 'Puskesmas Manutapen', 'manutapen', NULL, NULL, 'Kel. Manutapen',
     ARRAY['Manutapen', 'Mantasi', 'Fatufeto']),
    ('pkm-naioni', 'Puskesmas Naioni', 'naioni', NULL, NULL, 'Kel. Naioni',
     ARRAY['Naioni', 'Manulai II', 'Batuplat']),
    ('pkm-sikumana', 'Puskesmas Sikumana', 'sikumana', NULL, NULL, 'Kel. Sikumana',
     ARRAY['Sikumana', 'Fatukoa', 'Bello', 'Kolhua', 'Oepura', 'Naikolan']),
    ('pkm-penfui', 'Puskesmas Penfui', 'penfui', NULL, NULL, 'Kel. Penfui',
     ARRAY['Penfui', 'Maulafa', 'Naimata']),
    ('pkm-bakunase', 'Puskesmas Bakunase', 'bakunase', 123.614, -10.185, 'Kel. Bakunase',
     ARRAY['Bakunase', 'Bakunase II', 'Airnona', 'Naikoten I', 'Naikoten II', 'Kuanino', 'Nunleu', 'Fontein']),
    ('pkm-oepoi', 'Puskesmas Oepoi', 'tuak daun merah', NULL, NULL, 'Kel. Tuak Daun Merah',
     ARRAY['Oebufu', 'Tuak Daun Merah', 'Kayu Putih', 'Liliba']),
    ('pkm-oebobo', 'Puskesmas Oebobo', 'oebobo', 123.608, -10.172, 'Kel. Oebobo',
     ARRAY['Oebobo', 'Oetete', 'Fatululi']),
    ('pkm-kupang-kota', 'Puskesmas Kupang Kota', 'airmata', NULL, NULL, 'Kel. Airmata',
     ARRAY['Airmata', 'Lai Lai Bisi Kopan', 'Bonipoi', 'Merdeka', 'Solor']),
    ('pkm-pasir-panjang', 'Puskesmas Pasir Panjang', 'pasir panjang', NULL, NULL, 'Kel. Pasir Panjang',
     ARRAY['Pasir Panjang', 'Nefonaek', 'Oeba', 'Fatubesi', 'Tode Kisar']),
    ('pkm-oesapa', 'Puskesmas Oesapa', 'oesapa', NULL, NULL, 'Kel. Oesapa',
     ARRAY['Oesapa', 'Oesapa Barat', 'Oesapa Selatan', 'Lasiana', 'Kelapa Lima']);

INSERT INTO health_facilities (kind, code, name, kelurahan_code, address, geom, updated_at)
SELECT 'puskesmas', p.code, p.name, a.code, p.address || ', Kota Kupang',
       pg_temp.demo_place(p.lon, p.lat, a.code), pg_temp.demo_asof()
  FROM demo_pkm p
  JOIN admin_area_aliases a ON a.alias = p.kel_name
 ORDER BY p.code;

INSERT INTO puskesmas_catchments (kelurahan_code, facility_id)
SELECT a.code, f.id
  FROM demo_pkm p
  JOIN health_facilities f ON f.code = p.code
 CROSS JOIN LATERAL unnest(p.catchment) AS c(name)
  JOIN admin_area_aliases a ON a.alias = lower(c.name)
 ORDER BY a.code;

DO $$
BEGIN
    IF (SELECT count(*) FROM health_facilities WHERE kind = 'puskesmas') <> 11 THEN
        RAISE EXCEPTION 'demo: expected 11 Puskesmas';
    END IF;
    IF (SELECT count(*) FROM puskesmas_catchments) <> 51 THEN
        RAISE EXCEPTION 'demo: % of 51 kelurahan have a Puskesmas catchment',
            (SELECT count(*) FROM puskesmas_catchments);
    END IF;
END
$$;

-- Hospitals (approximate positions; the kelurahan is the one the point falls in).
INSERT INTO health_facilities (kind, code, name, kelurahan_code, address, geom, updated_at)
SELECT 'rumah_sakit', v.code, v.name, k.code, v.address, v.g, pg_temp.demo_asof()
  FROM (VALUES
        ('rs-sk-lerik', 'RSUD S.K. Lerik Kota Kupang', 'Jl. Timor Raya, Kota Kupang', 123.6215, -10.1505),
        ('rs-bhayangkara', 'RS Bhayangkara Drs. Titus Uly', 'Jl. Moh. Hatta, Kota Kupang', 123.5905, -10.1705),
        ('rs-wz-johannes', 'RSUD Prof. Dr. W.Z. Johannes', 'Jl. Dr. Moh. Hatta, Kota Kupang', 123.5960, -10.1640)
       ) AS v0(code, name, address, lon, lat)
 CROSS JOIN LATERAL (SELECT v0.*, ST_SetSRID(ST_MakePoint(v0.lon, v0.lat), 4326) AS g) v
  JOIN admin_areas k ON k.level = 'kelurahan' AND ST_Contains(k.geom, v.g)
 ORDER BY v.code;

-- Posyandu: four to six per kelurahan, reporting to the kelurahan's Puskesmas.
INSERT INTO health_facilities (kind, code, name, puskesmas_id, kelurahan_code, address, geom, updated_at)
SELECT 'posyandu',
       format('psy-%s-%s', replace(k.code, '.', ''), d.path[1]),
       format('Posyandu %s %s',
              (ARRAY['Melati', 'Mawar', 'Anggrek', 'Kenanga', 'Cempaka', 'Flamboyan', 'Sepe',
                     'Kasih', 'Bougenville', 'Asoka'])[(d.path[1] + n.off) % 10 + 1],
              k.name),
       c.facility_id, k.code, format('Kel. %s, Kota Kupang', k.name),
       ST_Transform(d.geom, 4326), pg_temp.demo_asof()
  FROM demo_kel k
 CROSS JOIN demo_params p
  JOIN puskesmas_catchments c ON c.kelurahan_code = k.code
 CROSS JOIN LATERAL (SELECT 4 + floor(pg_temp.demo_ut(p.seed, k.code, 601) * 3)::integer AS n,
                            floor(pg_temp.demo_ut(p.seed, k.code, 602) * 10)::integer AS off) n
 CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(ST_Buffer(k.g, -20), n.n,
                                              pg_temp.demo_pseed(p.seed, k.code, 603))) d
 ORDER BY k.code, d.path[1];

-- Stunting (e-PPGBM, kelurahan level), monthly from 2024-11 to 2026-10. Prevalence starts at
-- 20-35% (higher on the outskirts) and falls by 3-7 points over the two years, with monthly
-- noise; counts are rounded from it.
INSERT INTO stunting_observations (period, level, kelurahan_code, target, measured,
                                   severely_stunted, stunted, normal, tall, source, imported_at)
SELECT m.period, 'kelurahan', s.code, s.target, s.measured, s.severe, s.total - s.severe,
       s.measured - s.total - s.tall, s.tall, 'e-PPGBM',
       (m.period + interval '1 month 9 days 10 hours')::timestamp AT TIME ZONE 'Asia/Makassar'
  FROM generate_series(DATE '2024-11-01', DATE '2026-10-01', interval '1 month') AS m0(period)
 CROSS JOIN LATERAL (SELECT m0.period::date AS period,
                            ((extract(year FROM m0.period) - 2024) * 12
                             + extract(month FROM m0.period) - 11)::integer AS i) m
 CROSS JOIN demo_params p
 CROSS JOIN LATERAL (
       SELECT k.code,
              least(2500, greatest(80, round(ST_Area(k.g) / 1e6
                    * CASE k.class WHEN 'inti' THEN 1100 WHEN 'tengah' THEN 350 ELSE 20 END)))::integer
                  AS target,
              0.20 + 0.12 * pg_temp.demo_ut(p.seed, k.code, 611)
                   + CASE k.class WHEN 'pinggir' THEN 0.03 ELSE 0 END AS p0,
              0.03 + 0.04 * pg_temp.demo_ut(p.seed, k.code, 612) AS drop
         FROM demo_kel k
       ) k0
 CROSS JOIN LATERAL (
       SELECT k0.code, k0.target,
              round(k0.target * (0.80 + 0.15 * pg_temp.demo_u(p.seed, hashtext(k0.code)::bigint * 100 + m.i, 613)))::integer
                  AS measured,
              least(0.35, greatest(0.15, k0.p0 - k0.drop * m.i / 23.0
                    + 0.008 * pg_temp.demo_n(p.seed, hashtext(k0.code)::bigint * 100 + m.i, 614))) AS prev,
              hashtext(k0.code)::bigint * 100 + m.i AS key
       ) k1
 CROSS JOIN LATERAL (
       SELECT k1.code, k1.target, k1.measured,
              round(k1.measured * k1.prev)::integer AS total,
              round(round(k1.measured * k1.prev) * (0.28 + 0.10 * pg_temp.demo_u(p.seed, k1.key, 615)))::integer AS severe,
              round(k1.measured * 0.01 * pg_temp.demo_u(p.seed, k1.key, 616))::integer AS tall
       ) s
 ORDER BY m.period, s.code;
