-- Zoning catalogue of the demo plan: sub-zone codes (Permen ATR/BPN 11/2021 scheme), legacy code
-- aliases, the plan itself, ITBX condition texts, intensity rules, KBLI activities and the
-- complete ITBX matrix.

INSERT INTO subzones (code, zone_code, zone_group, zone_name, name, name_en, color_class, buildable)
VALUES
    ('R-1',   'R',   'budidaya', 'Perumahan', 'Perumahan Kepadatan Sangat Tinggi', 'Housing, very high density', 'perumahan', true),
    ('R-2',   'R',   'budidaya', 'Perumahan', 'Perumahan Kepadatan Tinggi', 'Housing, high density', 'perumahan', true),
    ('R-3',   'R',   'budidaya', 'Perumahan', 'Perumahan Kepadatan Sedang', 'Housing, medium density', 'perumahan', true),
    ('R-4',   'R',   'budidaya', 'Perumahan', 'Perumahan Kepadatan Rendah', 'Housing, low density', 'perumahan', true),
    ('R-5',   'R',   'budidaya', 'Perumahan', 'Perumahan Kepadatan Sangat Rendah', 'Housing, very low density', 'perumahan', true),
    ('K-1',   'K',   'budidaya', 'Perdagangan dan Jasa', 'Perdagangan dan Jasa Skala Kota', 'Trade and services, city scale', 'perdagangan', true),
    ('K-2',   'K',   'budidaya', 'Perdagangan dan Jasa', 'Perdagangan dan Jasa Skala WP', 'Trade and services, planning-area (WP) scale', 'perdagangan', true),
    ('K-3',   'K',   'budidaya', 'Perdagangan dan Jasa', 'Perdagangan dan Jasa Skala SWP', 'Trade and services, sub-area (SWP) scale', 'perdagangan', true),
    ('C-1',   'C',   'budidaya', 'Campuran', 'Campuran Intensitas Tinggi', 'Mixed use, high intensity', 'campuran', true),
    ('C-2',   'C',   'budidaya', 'Campuran', 'Campuran Intensitas Menengah/Sedang', 'Mixed use, medium intensity', 'campuran', true),
    ('KT',    'KT',  'budidaya', 'Perkantoran', 'Perkantoran', 'Offices', 'perkantoran', true),
    ('SPU-1', 'SPU', 'budidaya', 'Sarana Pelayanan Umum', 'Sarana Pelayanan Umum Skala Kota', 'Public services, city scale', 'spu', true),
    ('SPU-2', 'SPU', 'budidaya', 'Sarana Pelayanan Umum', 'Sarana Pelayanan Umum Skala Kecamatan', 'Public services, district (kecamatan) scale', 'spu', true),
    ('SPU-3', 'SPU', 'budidaya', 'Sarana Pelayanan Umum', 'Sarana Pelayanan Umum Skala Kelurahan', 'Public services, kelurahan scale', 'spu', true),
    ('SPU-4', 'SPU', 'budidaya', 'Sarana Pelayanan Umum', 'Sarana Pelayanan Umum Skala RW', 'Public services, neighbourhood (RW) scale', 'spu', true),
    ('KPI',   'KPI', 'budidaya', 'Kawasan Peruntukan Industri', 'Kawasan Peruntukan Industri', 'Industrial area', 'industri', true),
    ('TR',    'TR',  'budidaya', 'Transportasi', 'Transportasi', 'Transport (airport, port, terminal)', 'transportasi', true),
    ('P-1',   'P',   'budidaya', 'Pertanian', 'Tanaman Pangan', 'Agriculture, food crops', 'pertanian', true),
    ('P-2',   'P',   'budidaya', 'Pertanian', 'Hortikultura', 'Agriculture, horticulture', 'pertanian', true),
    ('BJ',    'BJ',  'budidaya', 'Badan Jalan', 'Badan Jalan', 'Road body', 'jalan', false),
    ('RTH-1', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Rimba Kota', 'Urban forest', 'rth', true),
    ('RTH-2', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Taman Kota', 'City park', 'rth', true),
    ('RTH-3', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Taman Kecamatan', 'District park', 'rth', true),
    ('RTH-4', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Taman Kelurahan', 'Kelurahan park', 'rth', true),
    ('RTH-5', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Taman RW', 'Neighbourhood (RW) park', 'rth', true),
    ('RTH-6', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Taman RT', 'Block (RT) park', 'rth', true),
    ('RTH-7', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Pemakaman', 'Cemetery', 'rth', true),
    ('RTH-8', 'RTH', 'lindung',  'Ruang Terbuka Hijau', 'Jalur Hijau', 'Green belt', 'rth', false),
    ('PS',    'PS',  'lindung',  'Perlindungan Setempat', 'Perlindungan Setempat', 'Local protection (river and coastal setbacks)', 'lindung', true),
    ('BA',    'BA',  'lindung',  'Badan Air', 'Badan Air', 'Water body', 'air', false),
    ('HL',    'HL',  'lindung',  'Hutan Lindung', 'Hutan Lindung', 'Protection forest', 'hutan', false),
    ('EM',    'EM',  'lindung',  'Ekosistem Mangrove', 'Ekosistem Mangrove', 'Mangrove ecosystem', 'mangrove', false),
    ('CB',    'CB',  'lindung',  'Cagar Budaya', 'Cagar Budaya', 'Cultural heritage', 'cagar_budaya', true);

-- Legacy codes (Permen PU 20/2011, likely used by Perda 12/2011) and common spellings without
-- the hyphen. The legacy K-1..K-3 and SPU-n codes mean something else in the old scheme but are
-- spelled like the current ones, so they cannot be aliased; RB (rawan bencana) is an overlay
-- (KRB) in the current scheme, not a sub-zone, so it has no alias either.
INSERT INTO zone_code_aliases (alias, subzone_code, note)
VALUES
    ('KT-1', 'KT', 'Skema lama: perkantoran pemerintah'),
    ('KT-2', 'KT', 'Skema lama: perkantoran swasta'),
    ('PB', 'HL', 'Skema lama: kawasan yang memberikan perlindungan terhadap kawasan bawahannya'),
    ('PS', 'PS', 'Skema lama: perlindungan setempat (kode sama)'),
    ('RTH', 'RTH-2', 'Skema lama: RTH tanpa rincian; periksa sub-zona RTH yang tepat'),
    ('SC', 'CB', 'Skema lama: suaka alam dan cagar budaya'),
    ('I', 'KPI', 'Skema lama: zona industri'),
    ('R1', 'R-1', NULL), ('R2', 'R-2', NULL), ('R3', 'R-3', NULL), ('R4', 'R-4', NULL), ('R5', 'R-5', NULL),
    ('K1', 'K-1', NULL), ('K2', 'K-2', NULL), ('K3', 'K-3', NULL),
    ('C1', 'C-1', NULL), ('C2', 'C-2', NULL),
    ('SPU1', 'SPU-1', NULL), ('SPU2', 'SPU-2', NULL), ('SPU3', 'SPU-3', NULL), ('SPU4', 'SPU-4', NULL),
    ('RTH1', 'RTH-1', NULL), ('RTH2', 'RTH-2', NULL), ('RTH3', 'RTH-3', NULL), ('RTH4', 'RTH-4', NULL),
    ('RTH5', 'RTH-5', NULL), ('RTH6', 'RTH-6', NULL), ('RTH7', 'RTH-7', NULL), ('RTH8', 'RTH-8', NULL);

INSERT INTO zoning_plans (name, legal_basis, valid_from, status, created_at, updated_at)
VALUES ('RDTR Kota Kupang (demo)',
        'Data demonstrasi sintetis untuk ruang, disusun menurut struktur Peraturan Zonasi Permen '
        || 'ATR/BPN 11/2021 dan basis data Permen ATR/BPN 14/2021. Bukan Perda Kota Kupang 12/2011 '
        || 'tentang RDTR 2011-2031 dan tidak berkekuatan hukum.',
        DATE '2024-01-01', 'active', pg_temp.demo_asof(), pg_temp.demo_asof());

-- ITBX condition texts (domain-kupang §1.6; the B texts are the demo plan's own).
INSERT INTO rule_conditions (plan_id, code, text_id, text_en)
SELECT z.id, v.code, v.text_id, v.text_en
  FROM zoning_plans z,
       (VALUES
        ('T1', 'Pemanfaatan terbatas: dibatasi jam operasional, jumlah tenaga kerja, tanpa perluasan usaha, dan/atau pemakaian utilitas tertentu.',
               'Limited use: restricted operating hours or staff, no expansion of the business, and/or limited use of utilities.'),
        ('T2', 'Intensitas dikurangi: KDB, KLB, KTB atau KWT diturunkan, atau KDH dinaikkan, sebesar 5-20% dari ketentuan sub-zona, dan/atau garis sempadan diperbesar.',
               'Reduced intensity: KDB, KLB, KTB or KWT lowered, or KDH raised, by 5-20% of the sub-zone values, and/or larger setbacks.'),
        ('T3', 'Jumlah dibatasi: tidak diizinkan bila kegiatan sejenis yang sudah ada telah mencukupi kebutuhan pelayanan di sekitarnya.',
               'Capped number: not allowed where existing uses of the same kind already meet the local need.'),
        ('B1', 'Wajib memiliki dokumen lingkungan hidup yang disetujui (AMDAL, UKL-UPL atau SPPL sesuai skala kegiatan).',
               'Requires an approved environmental document (AMDAL, UKL-UPL or SPPL according to the scale of the activity).'),
        ('B2', 'Wajib mendapat persetujuan tertulis dari pemilik persil yang berbatasan, diketahui Ketua RT/RW dan Lurah.',
               'Requires written consent of the owners of adjoining parcels, acknowledged by the RT/RW head and the Lurah.'),
        ('B3', 'Wajib memiliki analisis dampak lalu lintas (Andalalin) yang disetujui dan menyediakan parkir di dalam persil.',
               'Requires an approved traffic impact assessment (Andalalin) and parking inside the parcel.'),
        ('B4', 'Wajib mendapat rekomendasi teknis dari instansi sektor terkait (mis. Dinas Kesehatan, Dinas Pendidikan, BPH Migas, Otoritas Bandar Udara, Balai Wilayah Sungai).',
               'Requires a technical recommendation from the sector agency concerned (e.g. health or education office, fuel regulator, airport authority, river basin agency).'),
        ('B5', 'Wajib dikaji dan mendapat pertimbangan Forum Penataan Ruang sebelum persetujuan diterbitkan.',
               'Requires review and advice of the Spatial Planning Forum before approval.')
       ) AS v(code, text_id, text_en)
 WHERE z.status = 'active';

-- Intensity (domain-kupang §1.7, Trikora values where given, demo assumptions elsewhere).
-- The default variant '' is a parcel on a local road; 'jalan_kolektor' a parcel facing a
-- collector or arterial road (higher buildings, deeper setback). Floors follow ~4 m a floor.
INSERT INTO zone_rules (plan_id, subzone_code, variant, kdb_max_pct, klb_max, kdh_min_pct, ktb_max_pct,
                        height_max_m, floors_max, gsb_min_m, jbs_min_m, min_parcel_m2, note)
SELECT z.id, v.*
  FROM zoning_plans z,
       (VALUES
        ('R-1', '', 80, 3.2, 10, 50, 16, 4, 10.0, 1.0, 90, 'Persil menghadap jalan lokal/lingkungan'),
        ('R-1', 'jalan_kolektor', 80, 3.2, 10, 50, 20, 5, 15.0, 1.0, 90, 'Persil menghadap jalan kolektor/arteri'),
        ('R-2', '', 80, 2.4, 20, 50, 9, 2, 12.5, 1.0, 120, 'Persil menghadap jalan lokal/lingkungan'),
        ('R-2', 'jalan_kolektor', 80, 2.4, 20, 50, 13, 3, 17.5, 1.0, 120, 'Persil menghadap jalan kolektor/arteri'),
        ('R-3', '', 70, 2.1, 20, 40, 9, 2, 12.5, 1.0, 150, 'Persil menghadap jalan lokal/lingkungan'),
        ('R-3', 'jalan_kolektor', 70, 2.1, 20, 40, 13, 3, 17.5, 1.0, 150, 'Persil menghadap jalan kolektor/arteri'),
        ('R-4', '', 60, 1.8, 30, 30, 9, 2, 12.5, 1.0, 150, 'Persil menghadap jalan lokal/lingkungan'),
        ('R-4', 'jalan_kolektor', 60, 1.8, 30, 30, 13, 3, 17.5, 1.0, 150, 'Persil menghadap jalan kolektor/arteri'),
        ('R-5', '', 50, 1.0, 40, 20, 9, 2, 12.5, 1.5, 300, NULL),
        ('K-1', '', 80, 3.2, 20, 60, 13, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('K-1', 'jalan_kolektor', 80, 4.0, 20, 60, 21, 5, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('K-2', '', 80, 3.2, 20, 60, 13, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('K-2', 'jalan_kolektor', 80, 3.2, 20, 60, 21, 5, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('K-3', '', 70, 1.4, 20, 50, 9, 2, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('K-3', 'jalan_kolektor', 70, 2.1, 20, 50, 13, 3, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('C-1', '', 80, 3.2, 20, 60, 13, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('C-1', 'jalan_kolektor', 80, 3.2, 20, 60, 21, 5, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('C-2', '', 70, 2.1, 20, 50, 9, 2, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('C-2', 'jalan_kolektor', 70, 2.1, 20, 50, 13, 3, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('KT', '', 70, 2.1, 20, 50, 9, 2, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('KT', 'jalan_kolektor', 70, 2.1, 20, 50, 12, 3, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('SPU-1', '', 80, 2.4, 20, 50, 12, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('SPU-1', 'jalan_kolektor', 80, 2.4, 20, 50, 16, 4, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('SPU-2', '', 80, 2.4, 20, 50, 12, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('SPU-2', 'jalan_kolektor', 80, 2.4, 20, 50, 16, 4, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('SPU-3', '', 70, 2.1, 20, 40, 12, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('SPU-3', 'jalan_kolektor', 70, 2.1, 20, 40, 16, 4, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('SPU-4', '', 60, 1.8, 30, 30, 12, 3, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('SPU-4', 'jalan_kolektor', 60, 1.8, 30, 30, 16, 4, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('KPI', '', 60, 1.8, 30, 30, 9, 2, 12.5, 2.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('KPI', 'jalan_kolektor', 60, 1.8, 30, 30, 13, 3, 17.5, 2.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('TR', '', 60, 1.8, 20, 30, 9, 2, 12.5, 1.0, NULL, 'Persil menghadap jalan lokal/lingkungan'),
        ('TR', 'jalan_kolektor', 60, 1.8, 20, 30, 13, 3, 17.5, 1.0, NULL, 'Persil menghadap jalan kolektor/arteri'),
        ('P-1', '', 10, 0.1, 85, 0, 5, 1, 12.5, 3.0, 1000, 'Bangunan penunjang pertanian saja'),
        ('P-2', '', 10, 0.1, 85, 0, 5, 1, 12.5, 3.0, 1000, 'Bangunan penunjang pertanian saja'),
        ('RTH-1', '', 5, 0.05, 95, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang taman/hutan kota saja'),
        ('RTH-2', '', 20, 0.2, 80, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang taman saja'),
        ('RTH-3', '', 20, 0.2, 80, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang taman saja'),
        ('RTH-4', '', 20, 0.2, 80, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang taman saja'),
        ('RTH-5', '', 20, 0.2, 80, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang taman saja'),
        ('RTH-6', '', 20, 0.2, 80, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang taman saja'),
        ('RTH-7', '', 20, 0.2, 80, 0, 5, 1, 12.5, NULL, NULL, 'Bangunan penunjang pemakaman saja'),
        ('RTH-8', '', 0, 0, 95, 0, 0, 0, NULL, NULL, NULL, 'Tidak boleh ada bangunan'),
        ('PS', '', 10, 0.1, 90, 0, 5, 1, 12.5, NULL, NULL, 'Hanya bangunan penunjang fungsi perlindungan (pos pantau, tangga, tambatan perahu)'),
        ('CB', '', 60, 0.6, 30, 0, 8, 2, 12.5, 3.0, NULL, 'Perubahan bangunan wajib sesuai kaidah pelestarian cagar budaya'),
        ('BA', '', 0, 0, NULL, 0, 0, 0, NULL, NULL, NULL, 'Tidak boleh ada bangunan'),
        ('BJ', '', 0, 0, NULL, 0, 0, 0, NULL, NULL, NULL, 'Tidak boleh ada bangunan'),
        ('HL', '', 0, 0, 100, 0, 0, 0, NULL, NULL, NULL, 'Tidak boleh ada bangunan'),
        ('EM', '', 0, 0, 100, 0, 0, 0, NULL, NULL, NULL, 'Tidak boleh ada bangunan')
       ) AS v(subzone_code, variant, kdb, klb, kdh, ktb, height, floors, gsb, jbs, min_parcel, note)
 WHERE z.status = 'active';

-- KBLI 2020 activities, grouped by how the demo matrix treats them (demo_activity_group).
-- A private house has no KBLI code: "rumah tinggal" is filed under 68111 (real estate owned or
-- rented), the closest code, and its keywords say so.
CREATE TEMP TABLE demo_activity (
    kbli_code  text PRIMARY KEY,
    grp        text NOT NULL,
    title      text NOT NULL,
    title_en   text NOT NULL,
    section    text NOT NULL,
    keywords   text NOT NULL
) ON COMMIT DROP;

INSERT INTO demo_activity (kbli_code, grp, title, title_en, section, keywords) VALUES
    ('01111', 'pertanian', 'Pertanian Jagung', 'Growing of maize', 'A', 'jagung, ladang, kebun'),
    ('01131', 'pertanian', 'Pertanian Hortikultura Sayuran Daun', 'Growing of leafy vegetables', 'A', 'sayur, sawi, kangkung, kebun sayur'),
    ('01411', 'peternakan', 'Pembibitan dan Budidaya Sapi Potong', 'Beef cattle breeding and raising', 'A', 'sapi, ternak, kandang'),
    ('01461', 'peternakan', 'Budidaya Ayam Ras Pedaging', 'Raising of broiler chickens', 'A', 'ayam, broiler, kandang ayam, peternakan'),
    ('10110', 'industri_besar', 'Kegiatan Rumah Potong dan Pengepakan Daging Bukan Unggas', 'Slaughterhouse and meat packing (not poultry)', 'C', 'rumah potong hewan, RPH, daging'),
    ('10710', 'industri_kecil', 'Industri Produk Roti dan Kue', 'Manufacture of bread and cakes', 'C', 'roti, kue, bakery, industri rumah tangga'),
    ('11052', 'industri_kecil', 'Industri Air Minum Isi Ulang', 'Refill drinking-water depots', 'C', 'depot air, air isi ulang, galon'),
    ('16101', 'industri_besar', 'Industri Penggergajian Kayu', 'Sawmilling', 'C', 'sawmill, penggergajian, kayu'),
    ('31001', 'industri_besar', 'Industri Furnitur dari Kayu', 'Manufacture of wooden furniture', 'C', 'mebel, furnitur, meubel, kayu'),
    ('35101', 'energi', 'Pembangkitan Tenaga Listrik', 'Electric power generation', 'D', 'pembangkit listrik, PLTD, PLTS, PLTU'),
    ('36000', 'utilitas_air', 'Pengumpulan, Pengolahan dan Penyediaan Air', 'Water collection, treatment and supply', 'E', 'air bersih, PDAM, reservoir, IPA'),
    ('38110', 'sampah_kumpul', 'Pengumpulan Limbah dan Sampah Tidak Berbahaya', 'Collection of non-hazardous waste', 'E', 'sampah, TPS, pengangkutan sampah'),
    ('38211', 'sampah_olah', 'Treatment dan Pembuangan Limbah dan Sampah Tidak Berbahaya', 'Treatment and disposal of non-hazardous waste', 'E', 'TPA, TPST, pengolahan sampah, TPS3R'),
    ('41011', 'konstruksi', 'Konstruksi Gedung Hunian', 'Construction of residential buildings', 'F', 'bangun rumah, perumahan, kontraktor'),
    ('41012', 'konstruksi', 'Konstruksi Gedung Perkantoran', 'Construction of office buildings', 'F', 'gedung kantor, kontraktor'),
    ('45201', 'bengkel_mobil', 'Reparasi Mobil', 'Repair of cars', 'G', 'bengkel mobil, servis mobil'),
    ('45405', 'bengkel_motor', 'Reparasi dan Perawatan Sepeda Motor', 'Repair and maintenance of motorcycles', 'G', 'bengkel motor, servis motor, tambal ban'),
    ('46311', 'grosir', 'Perdagangan Besar Beras', 'Wholesale of rice', 'G', 'grosir beras, distributor beras, gudang beras'),
    ('47111', 'toko_modern', 'Perdagangan Eceran Berbagai Macam Barang yang Utamanya Makanan, Minuman atau Tembakau di Minimarket/Supermarket/Hypermarket', 'Retail sale in minimarkets, supermarkets and hypermarkets, mainly food, beverages or tobacco', 'G', 'minimarket, supermarket, swalayan, toko modern'),
    ('47112', 'toko_kecil', 'Perdagangan Eceran Berbagai Macam Barang yang Utamanya Makanan, Minuman atau Tembakau Bukan di Minimarket/Supermarket/Hypermarket (Tradisional)', 'Traditional retail sale, mainly food, beverages or tobacco (not in minimarkets or supermarkets)', 'G', 'warung, kios, toko kelontong, toko kecil'),
    ('47300', 'spbu', 'Perdagangan Eceran Bahan Bakar Kendaraan Bermotor', 'Retail sale of automotive fuel', 'G', 'SPBU, pom bensin, stasiun pengisian bahan bakar'),
    ('47591', 'toko_besar', 'Perdagangan Eceran Furnitur', 'Retail sale of furniture', 'G', 'toko mebel, toko furnitur, showroom'),
    ('47711', 'toko_kecil', 'Perdagangan Eceran Pakaian', 'Retail sale of clothing', 'G', 'toko pakaian, butik, toko baju'),
    ('47721', 'toko_kecil', 'Perdagangan Eceran Barang Farmasi di Apotek', 'Dispensing chemist (pharmacy)', 'G', 'apotek, apotik, obat'),
    ('52101', 'gudang', 'Pergudangan dan Penyimpanan', 'Warehousing and storage', 'H', 'gudang, penyimpanan, cold storage'),
    ('55110', 'hotel', 'Hotel Bintang', 'Star-rated hotels', 'I', 'hotel, hotel berbintang'),
    ('55120', 'hotel', 'Hotel Melati', 'Non-star (melati) hotels', 'I', 'hotel melati, losmen, penginapan'),
    ('55130', 'penginapan_kecil', 'Pondok Wisata', 'Homestays', 'I', 'homestay, pondok wisata, guest house'),
    ('56101', 'makan', 'Restoran', 'Restaurants', 'I', 'restoran, rumah makan besar'),
    ('56102', 'makan', 'Rumah/Warung Makan', 'Eating houses and food stalls', 'I', 'warung makan, rumah makan, depot'),
    ('56301', 'bar', 'Bar', 'Bars', 'I', 'bar, minuman beralkohol, pub'),
    ('56303', 'makan', 'Rumah Minum/Kafe', 'Cafes', 'I', 'kafe, cafe, kedai kopi'),
    ('61200', 'telekomunikasi', 'Aktivitas Telekomunikasi Tanpa Kabel', 'Wireless telecommunications activities', 'J', 'menara BTS, tower telekomunikasi, seluler'),
    ('68111', 'hunian', 'Real Estat yang Dimiliki Sendiri atau Disewa', 'Real estate activities with own or leased property', 'L', 'rumah tinggal, hunian, rumah, kos, kontrakan, perumahan (tidak ada KBLI untuk rumah pribadi; kode terdekat)'),
    ('70100', 'kantor', 'Aktivitas Kantor Pusat', 'Activities of head offices', 'M', 'kantor, kantor pusat, perkantoran'),
    ('71101', 'kantor', 'Aktivitas Arsitektur', 'Architectural activities', 'M', 'konsultan arsitek, kantor arsitek'),
    ('75000', 'keswan', 'Aktivitas Kesehatan Hewan', 'Veterinary activities', 'M', 'dokter hewan, klinik hewan'),
    ('82110', 'kantor', 'Aktivitas Penyedia Gabungan Jasa Administrasi Kantor', 'Combined office administrative service activities', 'N', 'jasa administrasi, kantor jasa'),
    ('85111', 'sekolah', 'Pendidikan Dasar/Ibtidaiyah Pemerintah', 'Public primary education', 'P', 'SD negeri, madrasah ibtidaiyah, sekolah dasar'),
    ('85121', 'sekolah', 'Pendidikan Dasar/Ibtidaiyah Swasta', 'Private primary education', 'P', 'SD swasta, sekolah dasar swasta'),
    ('85210', 'sekolah', 'Pendidikan Menengah Umum/Aliyah Pemerintah', 'Public general secondary education', 'P', 'SMA negeri, madrasah aliyah'),
    ('85220', 'sekolah', 'Pendidikan Menengah Umum/Aliyah Swasta', 'Private general secondary education', 'P', 'SMA swasta, sekolah menengah'),
    ('86101', 'rumah_sakit', 'Aktivitas Rumah Sakit Pemerintah', 'Public hospitals', 'Q', 'rumah sakit, RSUD, RS pemerintah'),
    ('86102', 'klinik', 'Aktivitas Puskesmas', 'Community health centres (Puskesmas)', 'Q', 'puskesmas, pustu'),
    ('86103', 'rumah_sakit', 'Aktivitas Rumah Sakit Swasta', 'Private hospitals', 'Q', 'rumah sakit swasta, RS'),
    ('86105', 'klinik', 'Aktivitas Klinik Swasta', 'Private clinics', 'Q', 'klinik, klinik pratama, praktik'),
    ('94910', 'ibadah', 'Aktivitas Organisasi Keagamaan', 'Activities of religious organisations', 'S', 'gereja, masjid, pura, vihara, rumah ibadah');

INSERT INTO activities (kbli_code, title, title_en, section, keywords)
SELECT kbli_code, title, title_en, section, keywords FROM demo_activity ORDER BY kbli_code;

-- The ITBX matrix per activity group. Each row lists one cell per sub-zone, in the order of
-- demo_cols; a cell is I, X, or T/B condition codes joined by commas (T1,B2 is "terbatas
-- bersyarat" and is stored as class B with both codes). '|' only groups columns for reading.
CREATE TEMP TABLE demo_cols ON COMMIT DROP AS
SELECT c.code, c.n
  FROM unnest(ARRAY['R-1','R-2','R-3','R-4','R-5', 'K-1','K-2','K-3', 'C-1','C-2', 'KT',
                    'SPU-1','SPU-2','SPU-3','SPU-4', 'KPI', 'TR', 'P-1','P-2',
                    'RTH-1','RTH-2','RTH-3','RTH-4','RTH-5','RTH-6','RTH-7','RTH-8',
                    'PS','BA','BJ','HL','EM','CB']) WITH ORDINALITY AS c(code, n);

CREATE TEMP TABLE demo_matrix (grp text PRIMARY KEY, cells text NOT NULL) ON COMMIT DROP;
INSERT INTO demo_matrix (grp, cells) VALUES
--                    R-1..R-5                     | K-1..K-3          | C-1 C-2    | KT  | SPU-1..4        | KPI    | TR     | P-1 P-2      | RTH-1..RTH-8        | PS BA BJ HL EM | CB
 ('hunian',          'I I I I I                    | T2 T2 T2          | I I        | X   | X X X X         | X      | X      | T2 T2        | X X X X X X X X     | X X X X X      | B5'),
 ('konstruksi',      'I I I I I                    | I I I             | I I        | I   | I I I I         | I      | I      | T1 T1        | X X X X X X X X     | X X X X X      | B5'),
 ('pertanian',       'X X T1 I I                   | X X X             | X X        | X   | X X X X         | X      | X      | I I          | T1 X X X X X X X    | T1 X X X X     | X'),
 ('peternakan',      'X X X B1,B2 T1,B2            | X X X             | X X        | X   | X X X X         | X      | X      | T1 T1        | X X X X X X X X     | X X X X X      | X'),
 ('industri_kecil',  'T1 T1 T1 T1 T1               | I I I             | I I        | X   | X X X X         | I      | X      | T1 T1        | X X X X X X X X     | X X X X X      | X'),
 ('industri_besar',  'X X X X X                    | X X B1,B3         | X X        | X   | X X X X         | I      | X      | B1,B2 B1,B2  | X X X X X X X X     | X X X X X      | X'),
 ('energi',          'X X X X X                    | X X X             | X X        | X   | X X X X         | B1,B4  | B1,B4  | B1,B4 B1,B4  | X X X X X X X X     | X X X X X      | X'),
 ('utilitas_air',    'T3 T3 T3 T3 T3               | T3 T3 T3          | T3 T3      | T3  | I I I I         | I      | T3     | I I          | T1 X X X X X X X    | B1,B4 B1,B4 X B1,B4 X | X'),
 ('sampah_kumpul',   'T1,T3 T1,T3 T1,T3 T1,T3 T1,T3 | T1 T1 T1         | T1 T1      | T1  | I I I I         | I      | T1     | T1 T1        | X X X X X X X X     | X X T1 X X     | X'),
 ('sampah_olah',     'X X X X X                    | X X X             | X X        | X   | B1,B2,B5 X X X  | B1     | X      | B1,B2,B5 B1,B2,B5 | X X X X X X X X | X X X X X      | X'),
 ('bengkel_mobil',   'X B2 B2 B2 B2                | I I I             | I I        | X   | X X X X         | I      | I      | X X          | X X X X X X X X     | X X X X X      | X'),
 ('bengkel_motor',   'T1 T1 T1 T1 T1               | I I I             | I I        | T1  | X X X X         | I      | I      | T1 T1        | X X X X X X X X     | X X X X X      | X'),
 ('grosir',          'X X B2,B3 B2,B3 X            | I I T1            | T1 T1      | X   | X X X X         | I      | I      | T1 T1        | X X X X X X X X     | X X X X X      | X'),
 ('toko_modern',     'T3 T3 T3 T3 X                | I I I             | I I        | T1  | X X X X         | T1     | T1     | X X          | X X X X X X X X     | X X X X X      | T3,B5'),
 ('toko_kecil',      'T1 T1 T1 T1 T1               | I I I             | I I        | T1  | T1 T1 T1 T1     | T1     | T1     | T1 T1        | X T1,T3 T1,T3 X X X X X | X X X X X  | T1'),
 ('toko_besar',      'X X X X X                    | I I I             | I I        | X   | X X X X         | T1     | X      | X X          | X X X X X X X X     | X X X X X      | X'),
 ('spbu',            'X X B1,B2,B3 B1,B2,B3 X      | B1,B3 B1,B3 B1,B3 | B1,B3 B1,B3 | X  | X X X X         | B1     | B1,B4  | X X          | X X X X X X X X     | X X X X X      | X'),
 ('gudang',          'X X X B2,B3 B2               | T1 T1 T1          | T1 T1      | X   | X X X X         | I      | I      | T1 T1        | X X X X X X X X     | X X X X X      | X'),
 ('hotel',           'B2,B3 B2,B3 B2,B3 X X        | I I T1            | I I        | T1  | X X X X         | X      | T1     | X X          | X X X X X X X X     | X X X X X      | B5'),
 ('penginapan_kecil','T1 T1 T1 T1 T1               | I I I             | I I        | X   | X X X X         | X      | X      | T1 T1        | X X X X X X X X     | X X X X X      | T1'),
 ('makan',           'T1 T1 T1 T1 T1               | I I I             | I I        | T1  | T1 T1 T1 T1     | T1     | T1     | T1 T1        | X T1,T3 T1,T3 X X X X X | X X X X X  | T1'),
 ('bar',             'X X X X X                    | B2 B2 X           | B2 X       | X   | X X X X         | X      | T1     | X X          | X X X X X X X X     | X X X X X      | X'),
 ('telekomunikasi',  'B2,B4 B2,B4 B2,B4 B2,B4 B2,B4 | B4 B4 B4         | B4 B4      | B4  | B4 B4 B4 B4     | I      | B4     | B4 B4        | B4 X X X X X X X    | X X X X X      | X'),
 ('kantor',          'T1 T1 T1 T1 X                | I I I             | I I        | I   | X X X X         | T1     | T1     | X X          | X X X X X X X X     | X X X X X      | T1'),
 ('keswan',          'X T1,B2 T1,B2 T1,B2 T1       | I I I             | I I        | X   | T1 T1 X X       | I      | X      | I I          | X X X X X X X X     | X X X X X      | X'),
 ('sekolah',         'T3 I I I I                   | T1 T1 T1          | I I        | T1  | I I I I         | X      | X      | T3 T3        | X X X X X X X X     | X X X X X      | B5'),
 ('rumah_sakit',     'X B1,B2,B3 B1,B2,B3 B1,B3 X  | B1,B3 B1,B3 X     | B1,B3 B1,B3 | X  | I I T3 X        | X      | X      | X X          | X X X X X X X X     | X X X X X      | X'),
 ('klinik',          'T3 T3 T3 T3 T3               | I I I             | I I        | T1  | I I I I         | T1     | T1     | T3 T3        | X X X X X X X X     | X X X X X      | X'),
 ('ibadah',          'T3,B2 T3,B2 T3,B2 T3,B2 T3,B2 | T3 T3 T3         | T3 T3      | T3  | I I I I         | X      | X      | T3 T3        | X X X X X X T1 X    | X X X X X      | B5');

DO $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(grp || ' (' || n || ' cells)', ', ') INTO bad
      FROM (SELECT m.grp,
                   cardinality(regexp_split_to_array(trim(regexp_replace(m.cells, '\|', ' ', 'g')), '\s+')) AS n
              FROM demo_matrix m) x
     WHERE n <> (SELECT count(*) FROM demo_cols);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'demo ITBX matrix rows with a wrong number of cells: %', bad;
    END IF;
    SELECT string_agg(DISTINCT a.grp, ', ') INTO bad
      FROM demo_activity a LEFT JOIN demo_matrix m USING (grp) WHERE m.grp IS NULL;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'demo activity groups without an ITBX row: %', bad;
    END IF;
END
$$;

INSERT INTO activity_rules (plan_id, subzone_code, kbli_code, class, condition_codes)
SELECT z.id, c.code, a.kbli_code,
       CASE WHEN cell IN ('I', 'X') THEN cell
            WHEN cell LIKE '%B%' THEN 'B'
            ELSE 'T' END,
       CASE WHEN cell IN ('I', 'X') THEN '{}'::text[]
            ELSE string_to_array(cell, ',') END
  FROM zoning_plans z
  JOIN demo_matrix m ON true
  JOIN demo_activity a ON a.grp = m.grp
 CROSS JOIN LATERAL regexp_split_to_table(trim(regexp_replace(m.cells, '\|', ' ', 'g')), '\s+')
       WITH ORDINALITY AS t(cell, n)
  JOIN demo_cols c ON c.n = t.n
 WHERE z.status = 'active'
 ORDER BY c.n, a.kbli_code;

-- The matrix's layout as the regulation prints it (sub-zone columns in the order above), so an
-- export of the demo plan gives back this table; and the plan's history starts with its
-- activation.
UPDATE zoning_plans
   SET book_layout = jsonb_build_object('itbx_columns', (SELECT jsonb_agg(code ORDER BY n) FROM demo_cols)),
       activated_at = pg_temp.demo_asof()
 WHERE status = 'active';
INSERT INTO plan_events (plan_id, plan_name, at, action, actor_role, reason, plan_version)
SELECT id, name, pg_temp.demo_asof(), 'activated', 'demo',
       'Rencana demonstrasi dimuat oleh ruang demo (bukan dasar hukum).', version
  FROM zoning_plans WHERE status = 'active';
