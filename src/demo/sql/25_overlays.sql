-- Overlays ("ketentuan khusus") of the demo plan, clipped to the city: coastal and river
-- setbacks, El Tari airport safety surfaces (KKOP), disaster-prone areas (KRB) and the Kota Lama
-- heritage area. They are made before the zones, which take their Permen 14/2021 flags from them.

CREATE TEMP TABLE demo_overlay (
    ord           integer PRIMARY KEY,
    kind          text NOT NULL,
    name          text NOT NULL,
    no_building   boolean NOT NULL DEFAULT false,
    height_max_m  numeric,
    hazard        text,
    hazard_level  text,
    condition_id  text,
    condition_en  text,
    g             geometry            -- EPSG:32751
) ON COMMIT DROP;

-- Coastal setback, 100 m from the shore line, one overlay per kecamatan.
WITH band AS MATERIALIZED (SELECT ST_Buffer(g, 100, 'endcap=flat') AS g FROM demo_coast)
INSERT INTO demo_overlay (ord, kind, name, no_building, condition_id, condition_en, g)
SELECT 100 + row_number() OVER (ORDER BY k.code), 'sempadan_pantai', 'Sempadan Pantai ' || k.name, true,
       'Sempadan pantai minimal 100 m dari titik pasang tertinggi (Perpres 51/2016): tidak boleh didirikan bangunan kecuali prasarana umum dan penunjang kegiatan pantai.',
       'Coastal setback of at least 100 m from the highest tide line (Perpres 51/2016): no buildings except public infrastructure and facilities serving the beach.',
       ST_Intersection(k.g, b.g)
  FROM (SELECT code, name, ST_Transform(geom, 32751) AS g FROM admin_areas WHERE level = 'kecamatan') k
  JOIN band b ON ST_Intersects(k.g, b.g);

-- River setbacks from the river edge (Permen PUPR 28/2015, urban rivers without levees):
-- 15 m for the deeper Dendeng and Liliba, 10 m for the shallow ones.
INSERT INTO demo_overlay (ord, kind, name, no_building, condition_id, condition_en, g)
SELECT 200 + l.ord, 'sempadan_sungai', 'Sempadan ' || l.name, true,
       format('Sempadan sungai %s m dari tepi palung sungai tanpa tanggul di kawasan perkotaan (Permen PUPR 28/2015): tidak boleh didirikan bangunan.', s.m),
       format('River setback of %s m from the edge of the channel, urban river without levee (Permen PUPR 28/2015): no buildings.', s.m),
       ST_Intersection(t.g, ST_Buffer(l.g, l.halfwidth + s.m))
  FROM demo_lines l
 CROSS JOIN demo_kota t
 CROSS JOIN LATERAL (SELECT CASE WHEN l.name IN ('Kali Dendeng', 'Kali Liliba') THEN 15 ELSE 10 END AS m) s
 WHERE l.kind = 'sungai';

-- KKOP of El Tari (UU 1/2009, SNI 03-7112-2005), simplified into disjoint areas, each with one
-- height limit relative to the runway threshold elevation.
WITH rw AS (
    SELECT ST_StartPoint(runway) AS a, ST_EndPoint(runway) AS b,
           (ST_X(ST_EndPoint(runway)) - ST_X(ST_StartPoint(runway))) / ST_Length(runway) AS ux,
           (ST_Y(ST_EndPoint(runway)) - ST_Y(ST_StartPoint(runway))) / ST_Length(runway) AS uy,
           runway
      FROM demo_airport
), pts AS (
    -- strip ends 60 m beyond the thresholds
    SELECT ST_Translate(a, -60 * ux, -60 * uy) AS sa, ST_Translate(b, 60 * ux, 60 * uy) AS sb,
           ux, uy, runway
      FROM rw
), shapes AS (
    SELECT ST_Buffer(ST_MakeLine(sa, sb), 150, 'endcap=flat') AS strip,
           -- approach trapezoids at both ends: inner half-width 150 m, 15% divergence
           ST_Union(ARRAY[
               ST_MakePolygon(ST_MakeLine(ARRAY[
                   ST_Translate(sb, -150 * uy, 150 * ux), ST_Translate(sb, 150 * uy, -150 * ux),
                   ST_Translate(sb, 1500 * ux + 375 * uy, 1500 * uy - 375 * ux),
                   ST_Translate(sb, 1500 * ux - 375 * uy, 1500 * uy + 375 * ux),
                   ST_Translate(sb, -150 * uy, 150 * ux)])),
               ST_MakePolygon(ST_MakeLine(ARRAY[
                   ST_Translate(sa, 150 * uy, -150 * ux), ST_Translate(sa, -150 * uy, 150 * ux),
                   ST_Translate(sa, -1500 * ux - 375 * uy, -1500 * uy + 375 * ux),
                   ST_Translate(sa, -1500 * ux + 375 * uy, -1500 * uy - 375 * ux),
                   ST_Translate(sa, 150 * uy, -150 * ux)]))]) AS near_approach,
           ST_Union(ARRAY[
               ST_MakePolygon(ST_MakeLine(ARRAY[
                   ST_Translate(sb, -150 * uy, 150 * ux), ST_Translate(sb, 150 * uy, -150 * ux),
                   ST_Translate(sb, 3000 * ux + 600 * uy, 3000 * uy - 600 * ux),
                   ST_Translate(sb, 3000 * ux - 600 * uy, 3000 * uy + 600 * ux),
                   ST_Translate(sb, -150 * uy, 150 * ux)])),
               ST_MakePolygon(ST_MakeLine(ARRAY[
                   ST_Translate(sa, 150 * uy, -150 * ux), ST_Translate(sa, -150 * uy, 150 * ux),
                   ST_Translate(sa, -3000 * ux - 600 * uy, -3000 * uy + 600 * ux),
                   ST_Translate(sa, -3000 * ux + 600 * uy, -3000 * uy - 600 * ux),
                   ST_Translate(sa, 150 * uy, -150 * ux)]))]) AS approach,
           ST_Buffer(ST_MakeLine(sa, sb), 315, 'endcap=flat') AS transition,
           ST_Buffer(runway, 4000, 'quad_segs=16') AS inner_horizontal,
           ST_Buffer(runway, 6000, 'quad_segs=16') AS conical,
           ST_Buffer(runway, 15000, 'quad_segs=16') AS outer_horizontal
      FROM pts
), layers AS (
    SELECT 301 AS ord, 'KKOP El Tari: Kawasan Landasan Pacu (runway strip)' AS name, 0 AS h, true AS nb,
           strip AS g, NULL::geometry AS minus FROM shapes
    UNION ALL SELECT 302, 'KKOP El Tari: Kawasan Kemungkinan Bahaya Kecelakaan', 15, false, near_approach, strip FROM shapes
    UNION ALL SELECT 303, 'KKOP El Tari: Kawasan Ancangan Pendaratan dan Lepas Landas', 45, false, approach,
                     ST_Union(strip, near_approach) FROM shapes
    UNION ALL SELECT 304, 'KKOP El Tari: Kawasan di Bawah Permukaan Transisi', 30, false, transition,
                     ST_Union(ARRAY[strip, near_approach, approach]) FROM shapes
    UNION ALL SELECT 305, 'KKOP El Tari: Kawasan di Bawah Permukaan Horizontal Dalam', 45, false, inner_horizontal,
                     ST_Union(ARRAY[strip, near_approach, approach, transition]) FROM shapes
    UNION ALL SELECT 306, 'KKOP El Tari: Kawasan di Bawah Permukaan Kerucut', 100, false, conical,
                     ST_Union(ARRAY[inner_horizontal, approach]) FROM shapes
    UNION ALL SELECT 307, 'KKOP El Tari: Kawasan di Bawah Permukaan Horizontal Luar', 150, false, outer_horizontal,
                     ST_Union(conical, approach) FROM shapes
)
INSERT INTO demo_overlay (ord, kind, name, no_building, height_max_m, condition_id, condition_en, g)
SELECT l.ord, 'kkop', l.name, l.nb, l.h,
       CASE WHEN l.nb THEN 'Kawasan landasan pacu: tidak boleh ada bangunan selain fasilitas penerbangan.'
            ELSE format('Tinggi bangunan dan benda tumbuh maksimum %s m di atas elevasi ambang landasan; bangunan lebih tinggi wajib rekomendasi Otoritas Bandar Udara.', l.h) END,
       CASE WHEN l.nb THEN 'Runway strip: no buildings other than aviation facilities.'
            ELSE format('Buildings and trees at most %s m above the runway threshold elevation; taller structures need the airport authority''s recommendation.', l.h) END,
       ST_Intersection(t.g, CASE WHEN l.minus IS NULL THEN l.g ELSE ST_Difference(l.g, l.minus) END)
  FROM layers l CROSS JOIN demo_kota t;

-- Disaster-prone areas (KRB).
INSERT INTO demo_overlay (ord, kind, name, hazard, hazard_level, condition_id, condition_en, g)
SELECT v.ord, 'krb', v.name, v.hazard, v.level,
       CASE v.hazard
           WHEN 'banjir' THEN 'Kawasan rawan banjir: lantai dasar minimal 0,5 m di atas muka banjir tertinggi, wajib sumur resapan dan kajian drainase.'
           WHEN 'longsor' THEN 'Kawasan rawan gerakan tanah: wajib kajian geoteknik dan rekomendasi BPBD; dilarang memotong lereng tanpa perkuatan.'
           ELSE 'Kawasan rawan tsunami: wajib jalur dan rambu evakuasi; bangunan umum dirancang sebagai tempat evakuasi sementara.'
       END,
       CASE v.hazard
           WHEN 'banjir' THEN 'Flood-prone area: ground floor at least 0.5 m above the highest flood level; infiltration wells and a drainage study required.'
           WHEN 'longsor' THEN 'Landslide-prone area: geotechnical study and BPBD recommendation required; no slope cutting without reinforcement.'
           ELSE 'Tsunami-prone area: evacuation routes and signs required; public buildings designed as temporary evacuation shelters.'
       END,
       ST_Intersection(t.g, v.g)
  FROM demo_kota t,
       (SELECT 401 AS ord, 'KRB Banjir Muara Kali Dendeng' AS name, 'banjir' AS hazard, 'tinggi' AS level,
               ST_Buffer(ST_ClosestPoint(c.g, ST_EndPoint(l.g)), 300) AS g
          FROM demo_lines l, demo_coast c WHERE l.name = 'Kali Dendeng'
        UNION ALL
        SELECT 402, 'KRB Banjir Muara Kali Liliba', 'banjir', 'tinggi',
               ST_Buffer(ST_ClosestPoint(c.g, ST_EndPoint(l.g)), 300)
          FROM demo_lines l, demo_coast c WHERE l.name = 'Kali Liliba'
        UNION ALL
        SELECT 403, 'KRB Banjir Bantaran Kali Dendeng', 'banjir', 'sedang',
               ST_Difference(ST_Buffer(l.g, 120), ST_Buffer(ST_ClosestPoint(c.g, ST_EndPoint(l.g)), 300))
          FROM demo_lines l, demo_coast c WHERE l.name = 'Kali Dendeng'
        UNION ALL
        SELECT 404, 'KRB Gerakan Tanah Naioni', 'longsor', 'tinggi',
               ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(123.5900, -10.2650), 4326), 32751), 1200)
        UNION ALL
        SELECT 405, 'KRB Gerakan Tanah Fatukoa', 'longsor', 'sedang',
               ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(123.6150, -10.2450), 4326), 32751), 1500)
        UNION ALL
        SELECT 406, 'KRB Gerakan Tanah Manulai II', 'longsor', 'sedang',
               ST_Buffer(ST_Transform(ST_SetSRID(ST_MakePoint(123.5550, -10.2350), 4326), 32751), 1000)
        UNION ALL
        SELECT 407, 'KRB Tsunami Pesisir Kota Lama', 'tsunami', 'rendah',
               ST_Intersection(ST_Buffer(c.g, 300, 'endcap=flat'),
                               (SELECT ST_Transform(geom, 32751) FROM admin_areas WHERE code = '53.71.06'))
          FROM demo_coast c
       ) v;

-- Heritage: the old town around the site of Fort Concordia.
INSERT INTO demo_overlay (ord, kind, name, condition_id, condition_en, g)
SELECT 501, 'cagar_budaya', 'Kawasan Cagar Budaya Kota Lama (Benteng Concordia dan sekitarnya)',
       'Pembangunan baru dan perubahan bangunan wajib rekomendasi Tim Ahli Cagar Budaya; tinggi bangunan maksimum 8 m dan fasad mengikuti karakter kawasan.',
       'New buildings and alterations need the heritage expert team''s recommendation; buildings at most 8 m high with facades in keeping with the area.',
       ST_Intersection(t.g, ST_Buffer(p.g, 150))
  FROM demo_kota t, demo_poi p WHERE p.name = 'cagar_budaya';

INSERT INTO overlays (plan_id, kind, name, no_building, height_max_m, hazard, hazard_level,
                      condition_id, condition_en, geom, updated_at)
SELECT z.id, o.kind, o.name, o.no_building, o.height_max_m, o.hazard, o.hazard_level,
       o.condition_id, o.condition_en, t.g, pg_temp.demo_asof()
  FROM demo_overlay o
 CROSS JOIN (SELECT id FROM zoning_plans WHERE status = 'active') z
 CROSS JOIN LATERAL (
       SELECT ST_Multi(ST_CollectionExtract(
                  ST_MakeValid(ST_Transform(ST_CollectionExtract(o.g, 3), 4326)), 3)) AS g) t
 WHERE o.g IS NOT NULL AND NOT ST_IsEmpty(t.g)
 ORDER BY o.ord;
