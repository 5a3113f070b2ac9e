-- Markets (domain-kupang §3.4), PIHPS commodities (§3.1), HET/HAP reference prices (§3.2) and
-- 104 weeks of retail prices per market and commodity, ending on Monday 2026-10-26.

INSERT INTO markets (code, name, kelurahan_code, address, operator, geom, updated_at)
SELECT v.code, v.name, a.code, v.address, v.operator,
       pg_temp.demo_place(v.lon, v.lat, a.code), pg_temp.demo_asof()
  FROM (VALUES
        ('oebobo', 'Pasar Oebobo', 'oebobo', 'Kel. Oebobo, Kec. Oebobo', 'PD Pasar Kota Kupang', 123.60871, -10.15983),
        ('oesapa', 'Pasar Oesapa', 'oesapa', 'Kel. Oesapa, Kec. Kelapa Lima', 'Pemerintah Kota Kupang', 123.65341, -10.14294),
        ('inpres-naikoten', 'Pasar Inpres Naikoten (Pasar Kasih)', 'naikoten satu', 'Kel. Naikoten I, Kec. Kota Raja', 'PD Pasar Kota Kupang', 123.60202, -10.17968),
        ('oeba', 'Pasar Oeba', 'oeba', 'Jl. Alor, Kel. Oeba, Kec. Kota Lama', 'PD Pasar Kota Kupang', 123.59298, -10.15436),
        ('penfui', 'Pasar Penfui', 'penfui', 'Kel. Penfui, Kec. Maulafa', 'PD Pasar Kota Kupang', 123.65843, -10.17578),
        ('kuanino', 'Pasar Kuanino', 'kuanino', 'Kel. Kuanino, Kec. Kota Raja', 'PD Pasar Kota Kupang', 123.59063, -10.16941)
       ) AS v(code, name, kel, address, operator, lon, lat)
  JOIN admin_area_aliases a ON a.alias = v.kel
 ORDER BY v.code;

INSERT INTO market_aliases (alias, market_id)
SELECT DISTINCT ON (v.alias) v.alias, m.id
  FROM (SELECT lower(name) AS alias, code FROM markets
        UNION ALL SELECT 'pasar ' || replace(code, '-', ' '), code FROM markets
        UNION ALL SELECT replace(code, '-', ' '), code FROM markets
        UNION ALL SELECT * FROM (VALUES
              ('pasar inpres', 'inpres-naikoten'), ('pasar kasih', 'inpres-naikoten'),
              ('pasar kasih naikoten', 'inpres-naikoten'), ('pasar naikoten', 'inpres-naikoten'),
              ('pasar inpres naikoten', 'inpres-naikoten'), ('inpres', 'inpres-naikoten'),
              ('pasar kasih naikoten i', 'inpres-naikoten'), ('pasar inpres (naikoten)', 'inpres-naikoten')
             ) AS x(alias, code)) v
  JOIN markets m ON m.code = v.code
 ORDER BY v.alias, m.id;

CREATE TEMP TABLE demo_commodity (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    name_en    text NOT NULL,
    unit       text NOT NULL,
    category   text NOT NULL,
    pihps      boolean NOT NULL,
    base       float8,            -- typical Kupang retail price (IDR) in late 2025
    amp        float8 NOT NULL,   -- seasonal amplitude (share of the price)
    peak_doy   integer NOT NULL,  -- day of the year of the seasonal peak
    noise      float8 NOT NULL    -- weekly noise (share of the price)
) ON COMMIT DROP;

-- Chillies peak in the rainy season (Dec-Mar), fish in the west monsoon (Jan-Feb), meat and eggs
-- around Christmas. Rice follows its HET (base NULL).
INSERT INTO demo_commodity VALUES
    ('beras_medium', 'Beras Medium', 'Rice, medium quality', 'kg', 'beras', true, NULL, 0.0, 1, 0.006),
    ('beras_premium', 'Beras Premium', 'Rice, premium quality', 'kg', 'beras', true, NULL, 0.0, 1, 0.006),
    ('bawang_merah', 'Bawang Merah', 'Shallots', 'kg', 'bumbu', true, 38000, 0.15, 45, 0.03),
    ('bawang_putih', 'Bawang Putih Bonggol', 'Garlic, bulb', 'kg', 'bumbu', true, 38000, 0.05, 60, 0.015),
    ('cabai_merah_besar', 'Cabai Merah Besar', 'Red chilli, large', 'kg', 'cabai', true, 45000, 0.40, 20, 0.06),
    ('cabai_merah_keriting', 'Cabai Merah Keriting', 'Curly red chilli', 'kg', 'cabai', true, 42000, 0.40, 20, 0.06),
    ('cabai_rawit_merah', 'Cabai Rawit Merah', 'Red bird''s-eye chilli', 'kg', 'cabai', true, 50000, 0.45, 15, 0.07),
    ('cabai_rawit_hijau', 'Cabai Rawit Hijau', 'Green bird''s-eye chilli', 'kg', 'cabai', true, 38000, 0.35, 15, 0.06),
    ('daging_ayam_ras', 'Daging Ayam Ras Segar', 'Broiler chicken meat', 'kg', 'daging', true, 42000, 0.05, 355, 0.02),
    ('daging_sapi', 'Daging Sapi Kualitas 1', 'Beef, quality 1', 'kg', 'daging', true, 135000, 0.03, 355, 0.01),
    ('telur_ayam_ras', 'Telur Ayam Ras Segar', 'Chicken eggs', 'kg', 'telur', true, 30000, 0.05, 355, 0.02),
    ('gula_pasir', 'Gula Pasir Lokal', 'Sugar, local', 'kg', 'gula', true, 18000, 0.02, 90, 0.01),
    ('minyak_goreng_curah', 'Minyak Goreng Curah', 'Cooking oil, bulk', 'liter', 'minyak', true, 17500, 0.02, 90, 0.01),
    ('minyak_goreng_kemasan', 'Minyak Goreng Kemasan Bermerk', 'Cooking oil, branded', 'liter', 'minyak', true, 21000, 0.01, 90, 0.008),
    ('ikan_kembung', 'Ikan Kembung', 'Indian mackerel', 'kg', 'ikan', false, 40000, 0.20, 30, 0.05),
    ('ikan_tongkol', 'Ikan Tongkol', 'Mackerel tuna', 'kg', 'ikan', false, 32000, 0.20, 30, 0.05),
    ('ikan_bandeng', 'Ikan Bandeng', 'Milkfish', 'kg', 'ikan', false, 38000, 0.10, 30, 0.03);

INSERT INTO commodities (code, name, name_en, unit, category, pihps)
SELECT code, name, name_en, unit, category, pihps FROM demo_commodity ORDER BY code;

-- HET for rice in NTT (zone II) and HAP ranges quoted in 2024. Perbadan 7/2023 was amended by
-- Perbadan 5/2024; the demo keeps the values of domain-kupang §3.2 and does not model that step.
INSERT INTO reference_prices (commodity_id, kind, price_zone, price_min, price_max, valid_from, valid_until, legal_basis)
SELECT c.id, v.kind, v.zone, v.pmin, v.pmax, v.vfrom, v.vuntil, v.basis
  FROM (VALUES
        ('beras_medium', 'HET', 'Zona II', NULL, 11500, DATE '2023-03-31', DATE '2025-08-21',
         'Peraturan Badan Pangan Nasional Nomor 7 Tahun 2023 tentang Harga Eceran Tertinggi Beras'),
        ('beras_premium', 'HET', 'Zona II', NULL, 14400, DATE '2023-03-31', DATE '2025-08-21',
         'Peraturan Badan Pangan Nasional Nomor 7 Tahun 2023 tentang Harga Eceran Tertinggi Beras'),
        ('beras_medium', 'HET', 'Zona II', NULL, 14000, DATE '2025-08-22', NULL,
         'Keputusan Kepala Badan Pangan Nasional Nomor 299 Tahun 2025'),
        ('beras_premium', 'HET', 'Zona II', NULL, 15400, DATE '2025-08-22', NULL,
         'Keputusan Kepala Badan Pangan Nasional Nomor 299 Tahun 2025'),
        ('bawang_merah', 'HAP', NULL, 36500, 41500, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)'),
        ('bawang_putih', 'HAP', NULL, 38000, 40000, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)'),
        ('cabai_rawit_merah', 'HAP', NULL, 40000, 57000, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)'),
        ('cabai_merah_keriting', 'HAP', NULL, 37000, 55000, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)'),
        ('daging_ayam_ras', 'HAP', NULL, NULL, 40000, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)'),
        ('telur_ayam_ras', 'HAP', NULL, NULL, 30000, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)'),
        ('daging_sapi', 'HAP', NULL, NULL, 140000, DATE '2024-01-01', NULL, 'Harga Acuan Penjualan tingkat konsumen, Badan Pangan Nasional (nilai 2024)')
       ) AS v(code, kind, zone, pmin, pmax, vfrom, vuntil, basis)
  JOIN commodities c ON c.code = v.code
 ORDER BY v.code, v.vfrom;

-- Weekly prices. price = base * season * trend * market factor * (1 + noise), rounded to Rp 50.
-- Rice: its HET (eased in over the six weeks before a change) times 0.95-1.01.
INSERT INTO price_observations (market_id, commodity_id, obs_date, price_idr, level, source, imported_at)
SELECT x.market_id, x.commodity_id, x.obs_date,
       greatest(50, round(x.price / 50) * 50), 'eceran', 'enumerator',
       (x.obs_date + interval '1 day 10 hours')::timestamp AT TIME ZONE 'Asia/Makassar'
  FROM (
        SELECT m.id AS market_id, c.id AS commodity_id, w.obs_date,
               CASE WHEN dc.base IS NULL THEN
                        het.ref * (0.978 + 0.014 * sin(2 * pi() * w.i / 26.0 + 6 * pg_temp.demo_u(p.seed, m.id * 100 + c.id, 701))
                                   + 0.006 * pg_temp.demo_n(p.seed, (m.id * 100 + c.id) * 1000 + w.i, 702))
                    ELSE
                        dc.base
                        * (1 + dc.amp * cos(2 * pi() * (extract(doy FROM w.obs_date) - dc.peak_doy) / 365.25))
                        * (1 + 0.025 * (w.i - 52) / 52.0)
                        * (1 + 0.05 * (pg_temp.demo_u(p.seed, m.id * 100 + c.id, 703) - 0.5))
                        * (1 + dc.noise * pg_temp.demo_n(p.seed, (m.id * 100 + c.id) * 1000 + w.i, 704))
               END AS price
          FROM generate_series(0, 103) AS w0(i)
         CROSS JOIN LATERAL (SELECT w0.i, (DATE '2026-10-26' - (103 - w0.i) * 7) AS obs_date) w
         CROSS JOIN markets m
         CROSS JOIN commodities c
          JOIN demo_commodity dc ON dc.code = c.code
         CROSS JOIN demo_params p
         CROSS JOIN LATERAL (
               -- the HET in force, eased in over 42 days before a new one takes effect
               SELECT COALESCE(
                        (SELECT r0.price_max
                                + (r1.price_max - r0.price_max)
                                  * least(1.0, greatest(0.0, (w.obs_date - (r1.valid_from - 42)) / 42.0))
                           FROM reference_prices r0
                           JOIN reference_prices r1 ON r1.commodity_id = r0.commodity_id AND r1.kind = 'HET'
                                                   AND r1.valid_from = r0.valid_until + 1
                          WHERE r0.commodity_id = c.id AND r0.kind = 'HET'
                            AND w.obs_date BETWEEN r0.valid_from AND r0.valid_until),
                        (SELECT r.price_max FROM reference_prices r
                          WHERE r.commodity_id = c.id AND r.kind = 'HET' AND r.valid_from <= w.obs_date
                          ORDER BY r.valid_from DESC LIMIT 1)) AS ref
               ) het
       ) x
 ORDER BY x.market_id, x.commodity_id, x.obs_date;
