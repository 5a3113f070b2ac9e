-- Waste: about 300 collection points (TPS, containers, TPS3R, waste banks) and TPA Alak, and about
-- 2,000 citizen reports over the year before the demo's as-of date, with consistent timestamps.

INSERT INTO waste_facilities (kind, name, capacity_m3, kelurahan_code, operator, geom, updated_at)
SELECT 'TPA', 'TPA Alak', 450000, k.code, 'DLHK Kota Kupang', v.g, pg_temp.demo_asof()
  FROM (SELECT ST_SetSRID(ST_MakePoint(123.5600, -10.2000), 4326) AS g) v
  JOIN admin_areas k ON k.level = 'kelurahan' AND ST_Contains(k.geom, v.g);

WITH pts AS (
    SELECT k.code, k.name, d.path[1] AS i, ST_Transform(d.geom, 4326) AS g,
           pg_temp.demo_u(p.seed, hashtext(k.code)::bigint * 1000 + d.path[1], 801) AS u,
           pg_temp.demo_u(p.seed, hashtext(k.code)::bigint * 1000 + d.path[1], 802) AS u2
      FROM demo_kel k
     CROSS JOIN demo_params p
     CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(
               ST_Buffer(k.g, -15),
               greatest(1, round(ST_Area(k.g) / 1e6
                                 * CASE k.class WHEN 'inti' THEN 6.0 WHEN 'tengah' THEN 2.2 ELSE 0.45 END))::integer,
               pg_temp.demo_pseed(p.seed, k.code, 803))) AS d
), typed AS (
    SELECT pts.*,
           CASE WHEN u < 0.50 THEN 'TPS' WHEN u < 0.82 THEN 'kontainer'
                WHEN u < 0.90 THEN 'TPS3R' ELSE 'bank_sampah' END AS kind
      FROM pts
)
INSERT INTO waste_facilities (kind, name, capacity_m3, kelurahan_code, operator, geom, updated_at)
SELECT t.kind,
       CASE t.kind
           WHEN 'TPS' THEN 'TPS ' || t.name || ' ' || lpad(t.n::text, 2, '0')
           WHEN 'kontainer' THEN 'Kontainer ' || t.name || ' ' || lpad(t.n::text, 2, '0')
           WHEN 'TPS3R' THEN 'TPS3R ' || t.name || CASE WHEN t.n > 1 THEN ' ' || t.n ELSE '' END
           ELSE 'Bank Sampah ' || (ARRAY['Sejahtera', 'Hijau Lestari', 'Flobamora', 'Berkat', 'Kasih'])[1 + floor(t.u2 * 5)::integer]
                || ' ' || t.name || CASE WHEN t.n > 1 THEN ' ' || t.n ELSE '' END
       END,
       CASE t.kind
           WHEN 'TPS' THEN round((4 + 6 * t.u2)::numeric, 1)
           WHEN 'kontainer' THEN CASE WHEN t.u2 < 0.5 THEN 6 ELSE 8 END
           WHEN 'TPS3R' THEN round((20 + 20 * t.u2)::numeric)
           ELSE round((2 + 3 * t.u2)::numeric, 1)
       END,
       t.code,
       CASE t.kind
           WHEN 'TPS3R' THEN 'KSM TPS3R ' || t.name
           WHEN 'bank_sampah' THEN 'Kelompok masyarakat ' || t.name
           ELSE 'DLHK Kota Kupang'
       END,
       t.g, pg_temp.demo_asof()
  FROM (SELECT typed.*, row_number() OVER (PARTITION BY code, kind ORDER BY i) AS n FROM typed) t
 ORDER BY t.code, t.i;

-- Reports: about 2,000, weighted to the dense kelurahan, reported between 2025-11-01 and the
-- as-of date. Each report has a target stage; it only shows the stages whose time has come by
-- the as-of date, so recent reports are still open.
WITH w AS (
    SELECT k.code, k.g,
           ST_Area(k.g) / 1e6 * CASE k.class WHEN 'inti' THEN 60 WHEN 'tengah' THEN 20 ELSE 3 END AS weight
      FROM demo_kel k
), n AS (
    SELECT code, g, greatest(1, round(2000 * weight / sum(weight) OVER ()))::integer AS n FROM w
), pts AS (
    SELECT n.code, d.path[1] AS i, ST_Transform(d.geom, 4326) AS g,
           hashtext(n.code)::bigint * 10000 + d.path[1] AS key
      FROM n
     CROSS JOIN demo_params p
     CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(ST_Buffer(n.g, -10), n.n,
                                                  pg_temp.demo_pseed(p.seed, n.code, 811))) AS d
), r AS (
    SELECT pts.*,
           TIMESTAMPTZ '2025-11-01 00:00:00+08'
               + floor(pg_temp.demo_u(p.seed, key, 812) * 365) * interval '1 day'
               + (6 + floor(pg_temp.demo_u(p.seed, key, 813) * 15)) * interval '1 hour'
               + floor(pg_temp.demo_u(p.seed, key, 814) * 60) * interval '1 minute' AS reported_at,
           pg_temp.demo_u(p.seed, key, 815) AS u_stage,
           pg_temp.demo_u(p.seed, key, 816) AS u_cat,
           pg_temp.demo_u(p.seed, key, 817) AS u_desc,
           (1 + 40 * pg_temp.demo_u(p.seed, key, 818)) * interval '1 hour' AS t_verify,
           (4 + 68 * pg_temp.demo_u(p.seed, key, 819)) * interval '1 hour' AS t_schedule,
           (2 + 94 * pg_temp.demo_u(p.seed, key, 820)) * interval '1 hour' AS t_close
      FROM pts CROSS JOIN demo_params p
), staged AS (
    SELECT r.*,
           CASE WHEN u_stage < 0.80 THEN 'selesai' WHEN u_stage < 0.87 THEN 'ditolak'
                WHEN u_stage < 0.91 THEN 'dijadwalkan' WHEN u_stage < 0.95 THEN 'diverifikasi'
                ELSE 'baru' END AS target,
           CASE WHEN u_cat < 0.40 THEN 'campuran' WHEN u_cat < 0.60 THEN 'plastik'
                WHEN u_cat < 0.78 THEN 'organik' WHEN u_cat < 0.81 THEN 'B3'
                WHEN u_cat < 0.85 THEN 'logam' WHEN u_cat < 0.88 THEN 'kaca'
                WHEN u_cat < 0.93 THEN 'kertas' ELSE 'lainnya' END AS category
      FROM r
), times AS (
    SELECT s.*,
           CASE WHEN target IN ('diverifikasi', 'dijadwalkan', 'selesai') THEN reported_at + t_verify END AS v_at,
           CASE WHEN target IN ('dijadwalkan', 'selesai') THEN reported_at + t_verify + t_schedule END AS s_at,
           CASE WHEN target = 'selesai' THEN reported_at + t_verify + t_schedule + t_close
                WHEN target = 'ditolak' THEN reported_at + t_verify END AS c_at
      FROM staged s
), clipped AS (
    SELECT t.*,
           CASE WHEN v_at <= pg_temp.demo_asof() THEN v_at END AS verified_at,
           CASE WHEN s_at <= pg_temp.demo_asof() THEN s_at END AS scheduled_at,
           CASE WHEN c_at <= pg_temp.demo_asof() THEN c_at END AS closed_at
      FROM times t
)
INSERT INTO waste_reports (category, description, reporter_contact, kelurahan_code, geom, status,
                           reported_at, verified_at, scheduled_at, closed_at)
SELECT c.category,
       CASE c.category
           WHEN 'campuran' THEN (ARRAY['Tumpukan sampah rumah tangga di pinggir jalan belum diangkut.',
                                       'TPS penuh, sampah meluber ke badan jalan.',
                                       'Sampah dibuang sembarangan di lahan kosong dekat permukiman.'])[1 + floor(c.u_desc * 3)::integer]
           WHEN 'plastik' THEN (ARRAY['Sampah plastik menyumbat saluran air.',
                                      'Banyak kantong plastik berserakan di sekitar pasar.'])[1 + floor(c.u_desc * 2)::integer]
           WHEN 'organik' THEN (ARRAY['Sisa sayur dan buah menumpuk dan berbau.',
                                      'Daun dan ranting bekas tebangan pohon belum diangkut.'])[1 + floor(c.u_desc * 2)::integer]
           WHEN 'B3' THEN 'Ditemukan aki bekas dan wadah oli di tepi kali.'
           WHEN 'logam' THEN 'Besi dan seng bekas ditinggalkan di pinggir jalan.'
           WHEN 'kaca' THEN 'Pecahan kaca dan botol berserakan, berbahaya bagi pejalan kaki.'
           WHEN 'kertas' THEN 'Kardus dan kertas bekas menumpuk di depan pertokoan.'
           ELSE 'Kasur dan perabot bekas dibuang di pinggir jalan.'
       END,
       NULL,
       c.code, c.g,
       CASE WHEN c.closed_at IS NOT NULL THEN c.target
            WHEN c.scheduled_at IS NOT NULL THEN 'dijadwalkan'
            WHEN c.verified_at IS NOT NULL THEN 'diverifikasi'
            ELSE 'baru' END,
       c.reported_at, c.verified_at, c.scheduled_at, c.closed_at
  FROM clipped c
 ORDER BY c.reported_at, c.key;
