-- make bench-impact: an issued permit on every registered parcel of the demo city (60,000 at
-- scale 1), plus 600 open applications, so the impact of a draft plan is measured on the work
-- the issue names. Each permit's activity is one the active plan allows outright (class I) in
-- the sub-zone under the parcel's centre, with building figures inside that sub-zone's limits
-- (half the KDB, two floors), as real issued permits would be.
BEGIN;
INSERT INTO users (email, display_name, password_hash, role)
VALUES ('bench-pemohon@ruang.test', 'Pemohon bench',
        '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$Wm9yZ2JlbmNoaGFzaGJlbmNoaGFzaGJlbmNoaGFzaA', 'pemohon')
ON CONFLICT (email) DO NOTHING;

CREATE TEMP TABLE bench_subject ON COMMIT DROP AS
SELECT p.id AS parcel_id, p.geom, p.kelurahan_code,
       ST_Area(ST_Transform(p.geom, 32751)) AS area,
       z.subzone_code,
       row_number() OVER (ORDER BY p.id) AS n
  FROM parcels p
  JOIN LATERAL (SELECT zz.subzone_code FROM zones zz
                  JOIN zoning_plans pl ON pl.id = zz.plan_id AND pl.status = 'active'
                 WHERE ST_Intersects(zz.geom, ST_PointOnSurface(p.geom)) LIMIT 1) z ON true
 WHERE p.kind = 'terdaftar';

INSERT INTO applications (reference, applicant_id, applicant_type, applicant_name, applicant_nik,
                          kbli_code, land_tenure, parcel, declared_land_area_m2, footprint_m2,
                          total_floor_area_m2, floors, height_m, green_area_m2, kelurahan_code,
                          status, decision, permit_number, valid_from, submitted_at, decided_at, issued_at)
SELECT 'BENCH-' || lpad(s.n::text, 6, '0'),
       (SELECT id FROM users WHERE email = 'bench-pemohon@ruang.test'),
       'perorangan', 'Pemohon ' || s.n, lpad((5371000000000000 + s.n)::text, 16, '0'),
       k.kbli_code, 'SHM', s.geom, round(s.area::numeric, 1),
       round((s.area * coalesce(r.kdb_max_pct, 60) / 200)::numeric, 1),
       round((s.area * coalesce(r.kdb_max_pct, 60) / 100)::numeric, 1),
       2, 8, round((s.area * greatest(coalesce(r.kdh_min_pct, 20), 20) / 100)::numeric, 1), s.kelurahan_code,
       CASE WHEN s.n % 100 = 0 THEN 'TECHNICAL_REVIEW' ELSE 'ISSUED' END,
       CASE WHEN s.n % 100 = 0 THEN NULL ELSE 'approved' END,
       CASE WHEN s.n % 100 = 0 THEN NULL ELSE 'KKPR/2025/' || lpad(s.n::text, 6, '0') END,
       CASE WHEN s.n % 100 = 0 THEN NULL ELSE DATE '2025-01-01' END,
       now(), CASE WHEN s.n % 100 = 0 THEN NULL ELSE now() END, CASE WHEN s.n % 100 = 0 THEN NULL ELSE now() END
  FROM bench_subject s
  JOIN LATERAL (SELECT ar.kbli_code FROM activity_rules ar
                  JOIN zoning_plans pl ON pl.id = ar.plan_id AND pl.status = 'active'
                 WHERE ar.subzone_code = s.subzone_code AND ar.class = 'I'
                 ORDER BY (ar.kbli_code = '68111') DESC, ar.kbli_code LIMIT 1) k ON true
  LEFT JOIN zone_rules r ON r.subzone_code = s.subzone_code AND r.variant = ''
       AND r.plan_id = (SELECT id FROM zoning_plans WHERE status = 'active');
COMMIT;
SELECT status, count(*) FROM applications GROUP BY status ORDER BY status;
