-- Hand-drawn reference geometry of the demo city, in EPSG:32751: main roads, rivers, the coast
-- line, El Tari airport and Tenau port, and a few named points. Coordinates are approximate
-- (drawn against the kelurahan map), good enough for a demo, not a survey.

CREATE TEMP TABLE demo_lines (
    ord        integer PRIMARY KEY,
    kind       text NOT NULL,          -- jalan | sungai
    name       text NOT NULL,
    halfwidth  float8 NOT NULL,        -- metres either side of the centre line
    g          geometry NOT NULL
) ON COMMIT DROP;

INSERT INTO demo_lines (ord, kind, name, halfwidth, g)
SELECT ord, kind, name, halfwidth, ST_Transform(ST_GeomFromText(wkt, 4326), 32751)
  FROM (VALUES
    (1, 'jalan', 'Jl. Timor Raya', 12.0,
     'LINESTRING(123.5790 -10.1594, 123.5880 -10.1572, 123.5960 -10.1543, 123.6050 -10.1510, 123.6150 -10.1485, 123.6260 -10.1492, 123.6380 -10.1512, 123.6500 -10.1507, 123.6620 -10.1502, 123.6720 -10.1492, 123.6850 -10.1482)'),
    (2, 'jalan', 'Jl. El Tari', 11.0,
     'LINESTRING(123.5965 -10.1575, 123.6010 -10.1610, 123.6060 -10.1650, 123.6110 -10.1695, 123.6160 -10.1745, 123.6200 -10.1800)'),
    (3, 'jalan', 'Jl. Frans Seda', 10.0,
     'LINESTRING(123.6060 -10.1650, 123.6130 -10.1620, 123.6200 -10.1590, 123.6260 -10.1560, 123.6300 -10.1510)'),
    (4, 'jalan', 'Jl. Adisucipto', 10.0,
     'LINESTRING(123.6450 -10.1507, 123.6465 -10.1580, 123.6490 -10.1650, 123.6540 -10.1700, 123.6600 -10.1715, 123.6640 -10.1700)'),
    (5, 'jalan', 'Jl. Soeharto - Jl. Moh. Hatta', 10.0,
     'LINESTRING(123.5830 -10.1605, 123.5880 -10.1640, 123.5930 -10.1690, 123.5990 -10.1750, 123.6050 -10.1800, 123.6120 -10.1850)'),
    (6, 'jalan', 'Jl. Alfons Nisnoni - Jl. Yos Sudarso', 10.0,
     'LINESTRING(123.5790 -10.1594, 123.5700 -10.1640, 123.5620 -10.1700, 123.5550 -10.1770, 123.5480 -10.1830, 123.5420 -10.1900, 123.5370 -10.1960)'),
    (7, 'jalan', 'Jl. H.R. Koroh', 9.0,
     'LINESTRING(123.6050 -10.1800, 123.6070 -10.1900, 123.6090 -10.2000, 123.6130 -10.2100, 123.6180 -10.2200)'),
    (8, 'jalan', 'Jl. Piet A. Tallo', 9.0,
     'LINESTRING(123.6200 -10.1800, 123.6300 -10.1780, 123.6400 -10.1750, 123.6490 -10.1650)'),
    (11, 'sungai', 'Kali Dendeng', 5.0,
     'LINESTRING(123.5985 -10.2080, 123.5960 -10.1980, 123.5930 -10.1880, 123.5890 -10.1790, 123.5865 -10.1700, 123.5850 -10.1630, 123.5838 -10.1560, 123.5834 -10.1530)'),
    (12, 'sungai', 'Kali Liliba', 5.0,
     'LINESTRING(123.6420 -10.2100, 123.6390 -10.1980, 123.6350 -10.1870, 123.6310 -10.1760, 123.6290 -10.1650, 123.6300 -10.1550, 123.6320 -10.1440, 123.6325 -10.1400)'),
    (13, 'sungai', 'Kali Namosain', 4.0,
     'LINESTRING(123.5760 -10.2080, 123.5690 -10.1970, 123.5630 -10.1880, 123.5580 -10.1790, 123.5560 -10.1700, 123.5555 -10.1640, 123.5553 -10.1600)'),
    (14, 'sungai', 'Kali Oesapa', 4.0,
     'LINESTRING(123.6560 -10.1660, 123.6570 -10.1580, 123.6585 -10.1480, 123.6600 -10.1380, 123.6610 -10.1300, 123.6615 -10.1260)')
  ) AS v(ord, kind, name, halfwidth, wkt);

-- Named points (approximate).
CREATE TEMP TABLE demo_poi (name text PRIMARY KEY, g geometry NOT NULL) ON COMMIT DROP;
INSERT INTO demo_poi (name, g)
SELECT name, ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32751)
  FROM (VALUES
    ('pusat_kota_lama', 123.5805, -10.1605),
    ('kantor_gubernur', 123.6065, -10.1650),
    ('balai_kota',      123.6215, -10.1545),
    ('pelabuhan_tenau', 123.5335, -10.1985),
    ('kawasan_industri', 123.5400, -10.1900),
    ('bandara_arp',     123.6711, -10.1716),
    ('cagar_budaya',    123.5808, -10.1600),
    ('tpa_alak',        123.5600, -10.2000)
  ) AS v(name, lon, lat);

-- The coast: the part of the city outline along Kupang Bay and the Semau Strait, running
-- counter-clockwise from the northern tip of Lasiana to the south-west corner of Kelurahan Alak.
-- The rest of the outline borders Kabupaten Kupang.
CREATE TEMP TABLE demo_coast ON COMMIT DROP AS
WITH ring AS (
    SELECT ST_ExteriorRing(ST_ForcePolygonCCW(ST_GeometryN(geom, 1))) AS r
      FROM admin_areas WHERE level = 'kota'
), f AS (
    SELECT r,
           ST_LineLocatePoint(r, ST_SetSRID(ST_MakePoint(123.6725, -10.1249), 4326)) AS a,
           ST_LineLocatePoint(r, ST_SetSRID(ST_MakePoint(123.5281, -10.2112), 4326)) AS b
      FROM ring
)
SELECT ST_Transform(
           CASE WHEN a < b THEN ST_LineSubstring(r, a, b)
                ELSE ST_LineMerge(ST_Collect(ST_LineSubstring(r, a, 1), ST_LineSubstring(r, 0, b)))
           END, 32751) AS g
  FROM f;

-- El Tari runway 07/25 (about 2.4 km through the airport reference point) and the airport and
-- port land.
CREATE TEMP TABLE demo_airport ON COMMIT DROP AS
SELECT ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint(123.6605, -10.1741),
                                           ST_MakePoint(123.6820, -10.1690)), 4326), 32751) AS runway;
