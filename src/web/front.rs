//! The front door: what a browser gets at `/` (`Accept: text/html` or `?f=html`). The city's
//! services come first (check a parcel and apply, the planners' map, monitoring, report waste),
//! then the OGC API links and what the server holds. JSON clients keep the OGC landing page
//! (`crate::ogc::landing`).
//!
//! The page is written in Bahasa Indonesia; `data-i18n` keys let `web/src/depan.js` switch it
//! to English with the same dictionary and button as the other pages. Without scripts it stays
//! complete in Indonesian.

use crate::ogc::html::esc;

/// The services, in the order people look for them: (link, i18n key of the title, Indonesian
/// title, i18n key of the text, Indonesian text).
const SERVICES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "/ajukan",
        "front.ajukan",
        "Cek & ajukan izin (KKPR)",
        "front.ajukan.text",
        "Gambar persil Anda di peta, lihat seketika apakah kegiatan Anda sesuai zonasi RDTR, lalu \
         ajukan persetujuan kesesuaian ruang dan ikuti statusnya.",
    ),
    (
        "/peta",
        "front.peta",
        "Peta perencana",
        "front.peta.text",
        "Zonasi RDTR, persil, ketentuan khusus, Puskesmas, pasar dan fasilitas sampah dalam satu \
         peta.",
    ),
    (
        "/pantau",
        "front.pantau",
        "Pantau kota",
        "front.pantau.text",
        "Harga pangan dan peringatannya, stunting per Puskesmas dan kelurahan, laporan sampah dan \
         penanganannya.",
    ),
    (
        "/lapor",
        "front.lapor",
        "Lapor sampah",
        "front.lapor.text",
        "Tandai lokasi sampah di peta, kirim foto tanpa perlu akun, dan pantau tindak lanjutnya \
         dengan nomor laporan.",
    ),
];

/// The page at `/` for browsers; `counts` are (table, Indonesian label, English label, rows).
pub fn front_door(counts: &[(&str, &str, &str, i64)]) -> String {
    let mut cards = String::new();
    for (href, key, title, text_key, text) in SERVICES {
        cards.push_str(&format!(
            "<li><a class=\"service\" href=\"{href}\"><strong data-i18n=\"{key}\">{}</strong>\
             <span data-i18n=\"{text_key}\">{}</span></a></li>",
            esc(title),
            esc(text)
        ));
    }
    let mut rows = String::new();
    for (t, id, en, n) in counts {
        let label = format!(
            "<span class=\"lang-id\">{}</span><span class=\"lang-en\">{}</span>",
            esc(id),
            esc(en)
        );
        let cell = if crate::ogc::collections::find(t).is_some() {
            format!("<a href=\"/collections/{t}/items?f=html\">{label}</a>")
        } else {
            label
        };
        rows.push_str(&format!("<tr><td>{cell}</td><td class=\"n\">{n}</td></tr>"));
    }
    format!(
        "<!doctype html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>ruang — Kota Kupang</title>\n\
         <link rel=\"stylesheet\" href=\"/assets/app/style.css\">\n\
         <script type=\"module\" src=\"/assets/app/depan.js\"></script>\n</head>\n\
         <body class=\"page-front\">\n<header class=\"bar\"><a class=\"brand\" href=\"/\">ruang</a>\
         <nav><a href=\"/peta\" data-i18n=\"nav.peta\">Peta</a>\
         <a href=\"/ajukan\" data-i18n=\"nav.ajukan\">Ajukan KKPR</a>\
         <a href=\"/pantau\" data-i18n=\"nav.pantau\">Pantau</a>\
         <a href=\"/lapor\" data-i18n=\"nav.lapor\">Lapor sampah</a></nav>\
         <button id=\"lang\" type=\"button\" data-i18n=\"lang.switch\">EN</button></header>\n\
         <main class=\"doc\">\n\
         <h1 data-i18n=\"front.title\">Layanan Pemerintah Kota Kupang</h1>\n\
         <p class=\"muted\" data-i18n=\"front.intro\">Tata ruang, kesehatan, harga pangan dan \
         kebersihan kota dalam satu tempat.</p>\n\
         <ul class=\"services\" id=\"services\">{cards}</ul>\n\
         <p class=\"muted\"><span data-i18n=\"front.staff\">Untuk petugas:</span> \
         <a href=\"/verifikasi\" data-i18n=\"front.verifikasi\">verifikasi permohonan KKPR</a> · \
         <a href=\"/pantau#penanganan\" data-i18n=\"front.handling\">penanganan laporan sampah</a> · \
         <a href=\"/rencana\" data-i18n=\"front.rencana\">rencana tata ruang (RDTR)</a></p>\n\
         <h2 data-i18n=\"front.open\">Data terbuka dan API (OGC)</h2>\n\
         <ul id=\"ogc\">\
         <li><a href=\"/collections?f=html\" data-i18n=\"front.collections\">Koleksi data (OGC API - Features)</a></li>\
         <li><a href=\"/api?f=html\" data-i18n=\"front.api\">Dokumentasi API (OpenAPI 3.0)</a> · <a href=\"/api\">JSON</a></li>\
         <li><a href=\"/conformance?f=html\" data-i18n=\"front.conformance\">Kelas kesesuaian</a></li>\
         <li><a href=\"/tileMatrixSets\" data-i18n=\"front.tiles\">Ubin vektor (OGC API - Tiles)</a></li>\
         <li><a href=\"/?f=json\" data-i18n=\"front.landing_json\">Halaman ini sebagai JSON (OGC API)</a></li>\
         </ul>\n\
         <h2 data-i18n=\"front.data\">Isi server</h2>\n<table class=\"counts\">{rows}</table>\n\
         <p class=\"muted\"><a href=\"/healthz\">/healthz</a> · <a href=\"/readyz\">/readyz</a></p>\n\
         </main>\n</body>\n</html>\n"
    )
}
