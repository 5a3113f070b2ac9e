// Shared by every page: the i18n dictionary (Bahasa Indonesia first, English on request), the
// JSON API helper (CSRF header, problem+json errors) and small DOM helpers.

const DICT = {
  'nav.peta': ['Peta', 'Map'],
  'nav.ajukan': ['Ajukan KKPR', 'Apply'],
  'nav.verifikasi': ['Verifikasi', 'Verify'],
  'lang.switch': ['EN', 'ID'],
  'panel.toggle': ['Panel', 'Panel'],
  'peta.title': ['Peta Perencana Kota Kupang', 'Kupang planners\u2019 map'],
  'search.label': ['Cari kelurahan', 'Find a kelurahan'],
  'search.placeholder': ['nama kelurahan/kecamatan', 'kelurahan/kecamatan name'],
  'search.none': ['Tidak ditemukan.', 'Nothing found.'],
  'layers.title': ['Lapisan', 'Layers'],
  'layer.zones': ['Zona RDTR', 'RDTR zones'],
  'layer.parcels': ['Persil', 'Parcels'],
  'layer.overlays': ['Ketentuan khusus', 'Special provisions'],
  'layer.kelurahan': ['Batas kelurahan', 'Kelurahan boundaries'],
  'layer.puskesmas': ['Puskesmas & faskes', 'Health centres'],
  'layer.markets': ['Pasar', 'Markets'],
  'layer.waste': ['Fasilitas sampah', 'Waste facilities'],
  'layer.stunting': ['Peta stunting', 'Stunting map'],
  'stunting.title': ['Stunting per kelurahan', 'Stunting by kelurahan'],
  'stunting.month': ['Bulan', 'Month'],
  'stunting.latest': ['Menampilkan data terakhir per kelurahan.', 'Showing the latest figure of each kelurahan.'],
  'stunting.period': ['Periode', 'Period'],
  'stunting.target': ['Target nasional', 'National target'],
  'legend.title': ['Legenda', 'Legend'],
  'legend.zones': ['Zona (warna RDTR)', 'Zones (RDTR colours)'],
  'legend.alert': ['Peringatan harga', 'Price alert'],
  'alert.red': ['Merah', 'Red'],
  'alert.yellow': ['Kuning', 'Yellow'],
  'alert.green': ['Hijau', 'Green'],
  'alert.none': ['Tidak ada data', 'No data'],
  'na': ['data belum tersedia', 'data not available yet'],
  'loading': ['memuat\u2026', 'loading\u2026'],
  'error': ['Gagal', 'Failed'],
  'zone.rules': ['Intensitas', 'Intensity'],
  'zone.allowed': ['Yang boleh dibangun', 'What may be built'],
  'itbx.I': ['I \u2014 diizinkan', 'I \u2014 allowed'],
  'itbx.T': ['T \u2014 terbatas', 'T \u2014 limited'],
  'itbx.B': ['B \u2014 bersyarat', 'B \u2014 conditional'],
  'itbx.X': ['X \u2014 tidak diizinkan', 'X \u2014 not allowed'],
  'rule.kdb_max_pct': ['KDB maks. (%)', 'Max. site coverage (%)'],
  'rule.klb_max': ['KLB maks.', 'Max. floor area ratio'],
  'rule.kdh_min_pct': ['KDH min. (%)', 'Min. green area (%)'],
  'rule.ktb_max_pct': ['KTB maks. (%)', 'Max. basement (%)'],
  'rule.height_max_m': ['Tinggi maks. (m)', 'Max. height (m)'],
  'rule.floors_max': ['Lantai maks.', 'Max. floors'],
  'rule.gsb_min_m': ['GSB min. (m)', 'Min. setback (m)'],
  'rule.min_parcel_m2': ['Luas kavling min. (m\u00b2)', 'Min. parcel (m\u00b2)'],
  'health.trend': ['Tren stunting wilayah kerja', 'Stunting trend of its area'],
  'market.prices': ['Harga terakhir', 'Latest prices'],
  'market.commodity': ['Komoditas', 'Commodity'],
  'market.price': ['Harga', 'Price'],
  'market.change': ['Perubahan', 'Change'],
  'market.alert': ['Peringatan', 'Alert'],
  'prop.kind': ['Jenis', 'Kind'],
  'prop.name': ['Nama', 'Name'],
  'prop.code': ['Kode', 'Code'],
  'prop.stunting_pct': ['Stunting (%)', 'Stunting (%)'],
  'prop.capacity_m3': ['Kapasitas (m\u00b3)', 'Capacity (m\u00b3)'],
  'prop.parcel_number': ['Nomor persil', 'Parcel number'],
  'prop.permit_number': ['Nomor izin', 'Permit number'],
  'prop.alert_level': ['Peringatan harga', 'Price alert'],
  'prop.red_commodities': ['Komoditas merah', 'Red commodities'],
  'prop.no_building': ['Dilarang membangun', 'No building'],
  'prop.height_max': ['Tinggi maks. (m)', 'Max. height (m)'],
  'prop.hazard': ['Bahaya', 'Hazard'],
  'prop.hazard_level': ['Tingkat bahaya', 'Hazard level'],
  'prop.subzone_code': ['Subzona', 'Sub-zone'],
  'prop.subzone_name': ['Nama subzona', 'Sub-zone name'],
  'prop.kdb_max': ['KDB maks. (%)', 'Max. coverage (%)'],
  'prop.klb_max': ['KLB maks.', 'Max. FAR'],
  'prop.level': ['Tingkat', 'Level'],
  'yes': ['ya', 'yes'],
  'no': ['tidak', 'no'],
  // applicants' page
  'ajukan.title': ['Ajukan Persetujuan KKPR', 'Apply for a spatial-use approval (KKPR)'],
  'step.parcel': ['1. Persil', '1. Parcel'],
  'step.activity': ['2. Kegiatan (KBLI)', '2. Activity (KBLI)'],
  'step.building': ['3. Bangunan', '3. Building'],
  'step.result': ['4. Hasil pemeriksaan', '4. Check result'],
  'step.submit': ['5. Kirim permohonan', '5. Submit'],
  'draw.polygon': ['Gambar poligon', 'Draw polygon'],
  'draw.edit': ['Ubah', 'Edit'],
  'draw.clear': ['Hapus', 'Clear'],
  'draw.hint': ['Klik titik-titik batas persil di peta, klik titik pertama untuk menutup.', 'Click the corners of the parcel on the map; click the first point to close it.'],
  'upload.label': ['atau unggah GeoJSON, KML, atau shapefile (.zip)', 'or upload GeoJSON, KML or a zipped shapefile'],
  'upload.bad': ['Berkas tidak berisi poligon.', 'The file holds no polygon.'],
  'parcel.area': ['Luas', 'Area'],
  'parcel.none': ['Belum ada persil.', 'No parcel yet.'],
  'kbli.placeholder': ['cari: minimarket, 47111, rumah\u2026', 'search: minimarket, 47111, house\u2026'],
  'kbli.chosen': ['Dipilih', 'Chosen'],
  'fig.footprint_m2': ['Luas tapak (m\u00b2)', 'Footprint (m\u00b2)'],
  'fig.floor_area_m2': ['Luas lantai total (m\u00b2)', 'Total floor area (m\u00b2)'],
  'fig.floors': ['Jumlah lantai', 'Floors'],
  'fig.height_m': ['Tinggi (m)', 'Height (m)'],
  'fig.green_m2': ['Ruang hijau (m\u00b2)', 'Green area (m\u00b2)'],
  'fig.basement_m2': ['Luas basemen (m\u00b2)', 'Basement (m\u00b2)'],
  'result.waiting': ['Gambar persil dan pilih kegiatan untuk melihat hasilnya.', 'Draw a parcel and pick an activity to see the result.'],
  'result.checking': ['memeriksa\u2026', 'checking\u2026'],
  'outcome.DISETUJUI': ['Disetujui', 'Approved'],
  'outcome.DISETUJUI_BERSYARAT': ['Disetujui bersyarat', 'Approved with conditions'],
  'outcome.DISETUJUI_SEBAGIAN': ['Disetujui sebagian', 'Approved in part'],
  'outcome.DITOLAK': ['Ditolak', 'Rejected'],
  'outcome.PERLU_KAJIAN': ['Perlu kajian', 'Needs review'],
  'auth.login': ['Masuk', 'Log in'],
  'auth.register': ['Daftar', 'Register'],
  'auth.logout': ['Keluar', 'Log out'],
  'auth.email': ['Surel', 'E-mail'],
  'auth.password': ['Kata sandi', 'Password'],
  'auth.name': ['Nama lengkap', 'Full name'],
  'auth.as': ['Masuk sebagai', 'Logged in as'],
  'auth.unavailable': ['Layanan akun belum tersedia.', 'Accounts are not available yet.'],
  'app.applicant_type': ['Jenis pemohon', 'Applicant type'],
  'app.perorangan': ['Perorangan', 'Individual'],
  'app.badan_usaha': ['Badan usaha', 'Business'],
  'app.instansi': ['Instansi', 'Government body'],
  'app.applicant_name': ['Nama pemohon', 'Applicant name'],
  'app.applicant_nik': ['NIK', 'NIK (ID number)'],
  'app.applicant_nib': ['NIB', 'NIB (business number)'],
  'app.submit': ['Kirim permohonan', 'Submit application'],
  'app.submitted': ['Permohonan terkirim', 'Application submitted'],
  'app.need': ['Lengkapi persil dan kegiatan dulu.', 'Complete the parcel and activity first.'],
  'mine.title': ['Permohonan saya', 'My applications'],
  'mine.none': ['Belum ada permohonan.', 'No applications yet.'],
  'col.reference': ['Nomor', 'Reference'],
  'col.status': ['Status', 'Status'],
  'col.activity': ['Kegiatan', 'Activity'],
  'col.applicant': ['Pemohon', 'Applicant'],
  'col.updated': ['Diperbarui', 'Updated'],
  'col.sla': ['Sisa waktu (hari)', 'Days left'],
  'trail.title': ['Riwayat', 'Trail'],
  'attachments.title': ['Lampiran', 'Attachments'],
  'attachments.add': ['Tambah lampiran', 'Add attachment'],
  'overdue': ['terlambat', 'overdue'],
  // verifiers' page
  'verif.title': ['Antrean Verifikasi KKPR', 'KKPR verification queue'],
  'verif.queue': ['Antrean (sisa waktu tersedikit dulu)', 'Queue (least time left first)'],
  'verif.empty': ['Antrean kosong.', 'The queue is empty.'],
  'verif.pick': ['Pilih permohonan dari antrean.', 'Pick an application from the queue.'],
  'verif.actions': ['Tindakan', 'Actions'],
  'verif.noactions': ['Tidak ada tindakan untuk peran Anda.', 'No actions for your role.'],
  'verif.check': ['Hasil pemeriksaan otomatis', 'Automatic check result'],
  'verif.stale': ['Data berubah di tempat lain; dimuat ulang.', 'Changed elsewhere; reloaded.'],
  'field.note': ['Catatan', 'Note'],
  'field.decision': ['Keputusan', 'Decision'],
  'field.decision_reason': ['Alasan', 'Reason'],
  'field.conditions': ['Syarat (satu per baris)', 'Conditions (one per line)'],
  'field.approved_parcel': ['Poligon disetujui (GeoJSON)', 'Approved polygon (GeoJSON)'],
  'field.valid_years': ['Masa berlaku (tahun)', 'Valid for (years)'],
  'attachments.kind': ['Jenis lampiran', 'Kind of attachment'],
  'kind.site_plan': ['Rencana tapak', 'Site plan'],
  'kind.photo': ['Foto', 'Photo'],
  'kind.other': ['Lainnya', 'Other'],
  // front door, dashboard (/pantau), waste reports (/lapor)
  'nav.pantau': ['Pantau', 'Monitor'],
  'nav.lapor': ['Lapor sampah', 'Report waste'],
  'front.title': ['Layanan Pemerintah Kota Kupang', 'Kota Kupang city services'],
  'front.intro': ['Tata ruang, kesehatan, harga pangan dan kebersihan kota dalam satu tempat.', 'Spatial planning, health, food prices and cleanliness of the city in one place.'],
  'front.ajukan': ['Cek & ajukan izin (KKPR)', 'Check a parcel & apply (KKPR)'],
  'front.ajukan.text': ['Gambar persil Anda di peta, lihat seketika apakah kegiatan Anda sesuai zonasi RDTR, lalu ajukan persetujuan kesesuaian ruang dan ikuti statusnya.', 'Draw your parcel on the map, see at once whether your activity fits the RDTR zoning, then apply for the spatial-use approval and follow its status.'],
  'front.peta': ['Peta perencana', 'Planners\u2019 map'],
  'front.peta.text': ['Zonasi RDTR, persil, ketentuan khusus, Puskesmas, pasar dan fasilitas sampah dalam satu peta.', 'RDTR zoning, parcels, special provisions, health centres, markets and waste facilities on one map.'],
  'front.pantau': ['Pantau kota', 'City monitoring'],
  'front.pantau.text': ['Harga pangan dan peringatannya, stunting per Puskesmas dan kelurahan, laporan sampah dan penanganannya.', 'Food prices and their alerts, stunting by health-centre area and kelurahan, waste reports and how they are handled.'],
  'front.lapor': ['Lapor sampah', 'Report waste'],
  'front.lapor.text': ['Tandai lokasi sampah di peta, kirim foto tanpa perlu akun, dan pantau tindak lanjutnya dengan nomor laporan.', 'Mark the spot on the map, send a photo without an account, and follow up with your report number.'],
  'front.staff': ['Untuk petugas:', 'For staff:'],
  'front.verifikasi': ['verifikasi permohonan KKPR', 'verify KKPR applications'],
  'front.handling': ['penanganan laporan sampah', 'handle waste reports'],
  'front.rencana': ['rencana tata ruang (RDTR)', 'zoning plans (RDTR)'],
  'front.open': ['Data terbuka dan API (OGC)', 'Open data and API (OGC)'],
  'front.collections': ['Koleksi data (OGC API - Features)', 'Data collections (OGC API - Features)'],
  'front.api': ['Dokumentasi API (OpenAPI 3.0)', 'API documentation (OpenAPI 3.0)'],
  'front.conformance': ['Kelas kesesuaian', 'Conformance classes'],
  'front.tiles': ['Ubin vektor (OGC API - Tiles)', 'Vector tiles (OGC API - Tiles)'],
  'front.landing_json': ['Halaman ini sebagai JSON (OGC API)', 'This page as JSON (OGC API)'],
  'front.data': ['Isi server', 'What the server holds'],
  'pantau.title': ['Pantau Kota Kupang', 'Kota Kupang monitoring'],
  'pantau.prices': ['Harga pangan', 'Food prices'],
  'pantau.stunting': ['Stunting', 'Stunting'],
  'pantau.waste': ['Kebersihan', 'Cleanliness'],
  'pantau.handling': ['Penanganan laporan', 'Report handling'],
  'pantau.commodity': ['Komoditas', 'Commodity'],
  'pantau.span': ['Rentang', 'Span'],
  'pantau.markets': ['Pasar', 'Markets'],
  'pantau.market': ['Pasar', 'Market'],
  'pantau.alerts': ['Peringatan harga saat ini', 'Current price alerts'],
  'pantau.index': ['Indeks harga pangan kota (Jevons, per bulan)', 'City food price index (Jevons, monthly)'],
  'pantau.index_market': ['Pasar', 'Market'],
  'pantau.index_label': ['Indeks', 'Index'],
  'pantau.all_markets': ['Semua pasar', 'All markets'],
  'pantau.whole_city': ['Seluruh kota', 'Whole city'],
  'pantau.level': ['Tingkat', 'Level'],
  'pantau.price': ['Harga (Rp)', 'Price (Rp)'],
  'pantau.reference': ['HET/HAP', 'Reference (HET/HAP)'],
  'pantau.mom': ['Perubahan bulanan (%)', 'Month-on-month (%)'],
  'pantau.commodities': ['Jumlah komoditas', 'Commodities'],
  'pantau.reasons': ['Alasan', 'Reasons'],
  'pantau.as_of': ['per', 'as of'],
  'pantau.no_market': ['Pilih paling sedikit satu pasar.', 'Choose at least one market.'],
  'pantau.weekly': ['Harga mingguan', 'Weekly prices'],
  'pantau.ref_line': ['garis putus-putus:', 'dashed line:'],
  'pantau.max': ['maks.', 'max.'],
  'pantau.min': ['min.', 'min.'],
  'pantau.puskesmas': ['Wilayah Puskesmas', 'Health-centre area'],
  'pantau.kelurahan': ['Kelurahan', 'Kelurahan'],
  'pantau.stunting_trend': ['Prevalensi stunting per bulan (%)', 'Stunting prevalence by month (%)'],
  'pantau.stunting_map': ['Stunting per kelurahan', 'Stunting by kelurahan'],
  'pantau.month': ['Bulan', 'Month'],
  'pantau.by_puskesmas': ['Stunting per wilayah Puskesmas, bulan', 'Stunting by health-centre area, month'],
  'pantau.measured': ['Diukur', 'Measured'],
  'pantau.stunted': ['Stunting', 'Stunted'],
  'pantau.rank': ['Peringkat', 'Rank'],
  'pantau.waste_status': ['Laporan sampah per bulan menurut status sekarang', 'Waste reports per month by current status'],
  'pantau.waste_close': ['Median waktu dari laporan sampai selesai (jam)', 'Median time from report to done (hours)'],
  'pantau.waste_map': ['Laporan yang masih terbuka', 'Reports still open'],
  'pantau.reports': ['laporan', 'reports'],
  'pantau.median_hours': ['Median jam sampai selesai', 'Median hours to done'],
  'pantau.hours': ['jam', 'hours'],
  'pantau.hours_short': ['jam', 'h'],
  'pantau.open_now': ['laporan masih terbuka', 'reports still open'],
  'pantau.open_newest': ['Peta menampilkan {n} laporan terbuka terbaru.', 'The map shows the newest {n} open reports.'],
  'pantau.median_close': ['median waktu penyelesaian', 'median time to done'],
  'span.104w': ['2 tahun', '2 years'],
  'span.52w': ['1 tahun', '1 year'],
  'span.13w': ['3 bulan', '3 months'],
  'span.12m': ['12 bulan', '12 months'],
  'span.24m': ['24 bulan', '24 months'],
  'chart.table': ['Tabel angka', 'Table of the numbers'],
  'chart.csv': ['Unduh CSV', 'Download CSV'],
  'chart.period': ['Periode', 'Period'],
  'status.baru': ['Baru', 'New'],
  'status.diverifikasi': ['Diverifikasi', 'Verified'],
  'status.dijadwalkan': ['Dijadwalkan', 'Scheduled'],
  'status.selesai': ['Selesai', 'Done'],
  'status.ditolak': ['Ditolak', 'Rejected'],
  'status.open': ['Masih terbuka', 'Still open'],
  'handling.who': ['Untuk petugas kebersihan (peran planner atau admin).', 'For cleanliness officers (planner or admin role).'],
  'handling.denied': ['Peran Anda tidak dapat mengubah status laporan sampah.', 'Your role cannot change the status of waste reports.'],
  'handling.all': ['Semua', 'All'],
  'handling.empty': ['Tidak ada laporan.', 'No reports.'],
  'handling.more': ['Muat lagi', 'Load more'],
  'handling.pick': ['Pilih laporan dari daftar atau dari peta.', 'Pick a report from the list or the map.'],
  'handling.to': ['Ubah status menjadi', 'Change the status to'],
  'handling.save': ['Simpan status', 'Save status'],
  'handling.final': ['Laporan ini sudah ditutup.', 'This report is closed.'],
  'lapor.title': ['Lapor Sampah', 'Report waste'],
  'lapor.intro': ['Tanpa akun. Tandai lokasinya, pilih jenis sampah, lalu kirim. Simpan nomor laporan untuk melihat tindak lanjutnya.', 'No account needed. Mark the spot, choose the kind of waste and send. Keep the report number to see what happens next.'],
  'lapor.where': ['1. Lokasi', '1. Location'],
  'lapor.where_hint': ['Klik atau ketuk peta di tempat sampah itu berada.', 'Click or tap the map where the waste is.'],
  'lapor.locate': ['Pakai lokasi saya', 'Use my location'],
  'lapor.no_point': ['Belum ada lokasi.', 'No location yet.'],
  'lapor.point_map': ['Lokasi dari peta', 'Location from the map'],
  'lapor.point_gps': ['Lokasi ponsel', 'Phone location'],
  'lapor.no_gps': ['Lokasi ponsel tidak tersedia; tandai di peta.', 'The phone location is not available; mark the spot on the map.'],
  'lapor.what': ['2. Laporan', '2. Report'],
  'lapor.category': ['Jenis sampah', 'Kind of waste'],
  'lapor.pick_category': ['\u2014 pilih \u2014', '\u2014 choose \u2014'],
  'lapor.description': ['Uraian singkat', 'Short description'],
  'lapor.description_ph': ['misalnya: tumpukan sampah di depan SD, sudah seminggu', 'e.g. a heap of rubbish in front of the school, for a week now'],
  'lapor.photo': ['Foto', 'Photo'],
  'lapor.photo_opt': ['Foto (boleh tidak ada; foto besar diperkecil otomatis)', 'Photo (optional; large photos are made smaller)'],
  'lapor.contact': ['Kontak', 'Contact'],
  'lapor.contact_opt': ['Kontak (boleh kosong; hanya petugas yang melihat)', 'Contact (optional; only officers see it)'],
  'lapor.send': ['Kirim laporan', 'Send report'],
  'lapor.need_point': ['Tandai lokasi di peta atau pakai lokasi ponsel dulu.', 'Mark the location on the map or use the phone location first.'],
  'lapor.need_category': ['Pilih jenis sampah.', 'Choose the kind of waste.'],
  'lapor.photo_big': ['Foto ini tidak dapat dikirim (lebih dari 5 MB dan tidak dapat diperkecil); pilih foto JPEG atau PNG lain.', 'This photo cannot be sent (over 5 MB and it cannot be made smaller); choose another JPEG or PNG.'],
  'lapor.later': ['Coba lagi nanti.', 'Please try again later.'],
  'lapor.thanks': ['Terima kasih, laporan Anda diterima.', 'Thank you, your report was received.'],
  'lapor.your_ref': ['Nomor laporan Anda:', 'Your report number:'],
  'lapor.keep_ref': ['Simpan nomor ini untuk melihat status laporan nanti.', 'Keep this number to check the status of your report later.'],
  'lapor.follow': ['Lihat status laporan ini', 'See the status of this report'],
  'lapor.lookup': ['Cek laporan', 'Look up a report'],
  'lapor.ref_ph': ['nomor laporan, mis. LS-123', 'report number, e.g. LS-123'],
  'lapor.find': ['Cari', 'Find'],
  'lapor.bad_ref': ['Nomor laporan berbentuk LS-123.', 'A report number looks like LS-123.'],
  'lapor.not_found': ['Laporan dengan nomor itu tidak ada.', 'There is no report with that number.'],
  'lapor.reported_at': ['Dilaporkan', 'Reported'],
  'lapor.location': ['Lokasi', 'Location'],
  'cat.campuran': ['Campuran / rumah tangga', 'Mixed / household'],
  'cat.organik': ['Organik', 'Organic'],
  'cat.plastik': ['Plastik', 'Plastic'],
  'cat.B3': ['B3 (berbahaya & beracun)', 'Hazardous (B3)'],
  'cat.logam': ['Logam', 'Metal'],
  'cat.kaca': ['Kaca', 'Glass'],
  'cat.kertas': ['Kertas / kardus', 'Paper / cardboard'],
  'cat.lainnya': ['Lainnya (perabot, kasur, \u2026)', 'Other (furniture, mattresses, \u2026)'],
};

const LANGS = ['id', 'en'];

export function lang() {
  const l = localStorage.getItem('ruang.lang');
  return LANGS.includes(l) ? l : 'id';
}

/** The text for `key` in the current language (the key itself when unknown). */
export function t(key) {
  const e = DICT[key];
  if (!e) return key;
  return e[LANGS.indexOf(lang())] ?? e[0];
}

/** Picks the Indonesian or English one of two texts (e.g. an API's detail / detail_en). */
export function pick(id, en) {
  return lang() === 'en' && en ? en : id;
}

const listeners = [];
/** Calls `fn` now and after every language switch. */
export function onLang(fn) {
  listeners.push(fn);
}

/** Fills every `[data-i18n]` element (text) and `[data-i18n-ph]` (placeholder). */
export function translatePage(root = document) {
  document.documentElement.lang = lang();
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-ph]')) e.placeholder = t(e.dataset.i18nPh);
}

export function setLang(l) {
  localStorage.setItem('ruang.lang', l);
  translatePage();
  for (const fn of listeners) fn();
}

/** Wires the header: language button, panel toggle for phones. */
export function initChrome() {
  translatePage();
  const btn = document.getElementById('lang');
  if (btn) btn.addEventListener('click', () => setLang(lang() === 'id' ? 'en' : 'id'));
  const toggle = document.getElementById('panel-toggle');
  if (toggle) {
    // phones: the panel is closed unless opened; wider screens: open unless closed
    toggle.addEventListener('click', () => {
      const wide = window.matchMedia('(min-width: 760px)').matches;
      document.body.classList.toggle(wide ? 'panel-closed' : 'panel-open');
    });
  }
}

function cookie(name) {
  const m = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(name + '='));
  return m ? decodeURIComponent(m.slice(name.length + 1)) : null;
}

/** An error answer of the API: `status`, the problem body, and a message in the page language. */
export class ApiFailure extends Error {
  constructor(status, problem) {
    super(problem ? pick(problem.detail, problem.detail_en) || problem.title : `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the JSON API. `body` (an object) is sent as JSON; FormData as multipart. Unsafe methods
 * carry the CSRF header. Resolves to { data, headers, status }, rejects with ApiFailure.
 */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (!['GET', 'HEAD'].includes(method)) {
    const csrf = cookie('ruang_csrf');
    if (csrf) h['X-CSRF-Token'] = csrf;
  }
  const res = await fetch(path, { method, headers: h, body: payload, signal, credentials: 'same-origin' });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiFailure(res.status, data);
  return { data, headers: res.headers, status: res.status };
}

/** Creates an element: el('div', {class: 'x', onclick: f}, child, 'text', ...). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function fmtNumber(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return '\u2013';
  return new Intl.NumberFormat(lang() === 'en' ? 'en-GB' : 'id-ID', { maximumFractionDigits: digits }).format(x);
}

export function fmtDate(s) {
  if (!s) return '\u2013';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString(lang() === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'short' });
}

/** A small line chart (inline SVG) of [{x: label, y: number}]. */
export function sparkline(points, { width = 220, height = 60, target } = {}) {
  const ys = points.map((p) => p.y).filter((y) => typeof y === 'number');
  if (!ys.length) return el('span', {}, t('na'));
  const max = Math.max(...ys, target ?? 0) * 1.1 || 1;
  const x = (i) => 4 + (i * (width - 8)) / Math.max(points.length - 1, 1);
  const y = (v) => height - 4 - (v / max) * (height - 8);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  if (target !== undefined) {
    const l = document.createElementNS(ns, 'line');
    Object.entries({ x1: 0, x2: width, y1: y(target), y2: y(target), class: 'spark-target' }).forEach(([k, v]) => l.setAttribute(k, v));
    svg.append(l);
  }
  const path = document.createElementNS(ns, 'polyline');
  path.setAttribute('points', points.map((p, i) => (typeof p.y === 'number' ? `${x(i)},${y(p.y)}` : '')).filter(Boolean).join(' '));
  path.setAttribute('class', 'spark-line');
  svg.append(path);
  points.forEach((p, i) => {
    if (typeof p.y !== 'number') return;
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', x(i));
    c.setAttribute('cy', y(p.y));
    c.setAttribute('r', 2.5);
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${p.x}: ${fmtNumber(p.y)}%`;
    c.append(title);
    svg.append(c);
  });
  return svg;
}

/** The current user ({id, email, role, display_name}) or null. */
export async function currentUser() {
  try {
    const { data } = await api('/api/auth/me');
    return data?.user ?? null;
  } catch {
    return null;
  }
}
