//! The decision document of an application: `GET /permits/{id or permit number}` as printable
//! HTML with the approved polygon as inline SVG, and `GET /permits/{..}.pdf` as a PDF (drawn
//! with `pdf-writer`, standard Helvetica, no embedded fonts) with the same content and map.
//!
//! Issued permits are public documents (the applicant's NIK is never printed); a decision not
//! yet issued is shown, marked as a draft, only to those who may read the application.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

use super::applications::can_see;
use super::error::PermitError;
use super::workflow::{Decision, Status};
use crate::AppState;
use crate::auth::Caller;

/// Rings of a MultiPolygon in EPSG:32751 metres.
type Rings = Vec<Vec<Vec<(f64, f64)>>>;

/// Everything the document prints.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: Uuid,
    pub issued: bool,
    pub reference: String,
    pub permit_number: Option<String>,
    pub decision: Decision,
    pub decision_reason: Option<String>,
    pub conditions: Option<String>,
    /// (Indonesian label, English label, value) rows.
    pub rows: Vec<(&'static str, &'static str, String)>,
    pub approved: Rings,
    /// The parcel applied for, drawn dashed under a partial approval.
    pub parcel: Option<Rings>,
    /// Corners of the approved polygon in lon/lat (first ring, at most 40).
    pub corners: Vec<(f64, f64)>,
}

fn rings(geojson: &str) -> Rings {
    let v: Value = serde_json::from_str(geojson).unwrap_or(Value::Null);
    let polys = match v["type"].as_str() {
        Some("MultiPolygon") => v["coordinates"].as_array().cloned().unwrap_or_default(),
        Some("Polygon") => vec![v["coordinates"].clone()],
        _ => vec![],
    };
    polys
        .iter()
        .map(|p| {
            p.as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    r.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| Some((c[0].as_f64()?, c[1].as_f64()?)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn fmt_num(x: Option<f64>, unit: &str) -> String {
    match x {
        Some(x) if x.fract() == 0.0 => format!("{x:.0} {unit}").trim().to_string(),
        Some(x) => format!("{x:.1} {unit}").trim().to_string(),
        None => "-".into(),
    }
}

/// Loads the document of `key` (an application id or a permit number, with `/` or `-`).
async fn load(state: &AppState, caller: Option<&Caller>, key: &str) -> Result<Doc, PermitError> {
    let not_found = || PermitError::not_found("Dokumen keputusan", "The decision document");
    let (id, number) = match Uuid::parse_str(key) {
        Ok(id) => (Some(id), None),
        Err(_) => {
            let n = key.trim().to_ascii_uppercase().replace('-', "/");
            (None, Some(n))
        }
    };
    let r = sqlx::query(
        "SELECT a.id, a.applicant_id, a.status, a.reference, a.permit_number, a.decision,
                a.decision_reason, a.conditions, a.applicant_name, a.applicant_type,
                a.applicant_nib, a.kbli_code, act.title, k.name AS kelurahan, a.land_tenure,
                ST_Area(ST_Transform(a.parcel, 32751))::float8 AS parcel_area,
                ST_Area(ST_Transform(coalesce(a.approved_parcel, a.parcel), 32751))::float8 AS approved_area,
                a.declared_land_area_m2::float8 AS declared, a.footprint_m2::float8 AS footprint,
                a.total_floor_area_m2::float8 AS floor_area, a.floors::float8 AS floors,
                a.height_m::float8 AS height, a.green_area_m2::float8 AS green,
                a.basement_area_m2::float8 AS basement,
                a.valid_from::text AS valid_from, a.valid_until::text AS valid_until,
                to_char(a.decided_at AT TIME ZONE 'Asia/Makassar', 'YYYY-MM-DD') AS decided,
                to_char(a.issued_at AT TIME ZONE 'Asia/Makassar', 'YYYY-MM-DD') AS issued,
                a.check_result->>'outcome' AS check_outcome, a.check_plan_version,
                ST_AsGeoJSON(ST_Transform(coalesce(a.approved_parcel, a.parcel), 32751), 2) AS approved_utm,
                CASE WHEN a.approved_parcel IS NOT NULL
                     THEN ST_AsGeoJSON(ST_Transform(a.parcel, 32751), 2) END AS parcel_utm,
                ST_AsGeoJSON(coalesce(a.approved_parcel, a.parcel), 7) AS approved_ll
           FROM applications a
           LEFT JOIN activities act ON act.kbli_code = a.kbli_code
           LEFT JOIN admin_areas k ON k.code = a.kelurahan_code
          WHERE a.id = $1 OR a.permit_number = $2",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(not_found)?;
    let status: String = r.try_get("status")?;
    let status = Status::parse(&status).unwrap_or(Status::Draft);
    let applicant: Uuid = r.try_get("applicant_id")?;
    let issued = status == Status::Issued;
    let visible = issued || caller.is_some_and(|c| can_see(c, applicant));
    let decision: Option<String> = r.try_get("decision")?;
    let decision = decision.as_deref().and_then(Decision::parse);
    let (true, Some(decision), Status::Decided | Status::Issued) = (visible, decision, status)
    else {
        return Err(not_found());
    };
    let s = |c: &str| -> Result<Option<String>, sqlx::Error> { r.try_get::<Option<String>, _>(c) };
    let f = |c: &str| -> Result<Option<f64>, sqlx::Error> { r.try_get::<Option<f64>, _>(c) };
    let kbli = format!(
        "{} {}",
        s("kbli_code")?.unwrap_or_default(),
        s("title")?.unwrap_or_default()
    );
    let (dec_id, dec_en) = decision.label();
    let plan_version: Option<i32> = r.try_get("check_plan_version")?;
    let mut rows: Vec<(&str, &str, String)> = vec![
        (
            "Nomor izin",
            "Permit number",
            s("permit_number")?.unwrap_or_else(|| "(belum terbit / not issued)".into()),
        ),
        (
            "Nomor permohonan",
            "Application",
            s("reference")?.unwrap_or_default(),
        ),
        ("Keputusan", "Decision", format!("{dec_id} / {dec_en}")),
        (
            "Pemohon",
            "Applicant",
            s("applicant_name")?.unwrap_or_default(),
        ),
        (
            "Jenis pemohon",
            "Applicant type",
            s("applicant_type")?.unwrap_or_default(),
        ),
    ];
    if let Some(nib) = s("applicant_nib")? {
        rows.push(("NIB", "Business ID (NIB)", nib));
    }
    rows.extend([
        ("Kegiatan (KBLI)", "Activity (KBLI)", kbli),
        (
            "Kelurahan",
            "Kelurahan",
            s("kelurahan")?.unwrap_or_else(|| "-".into()),
        ),
        (
            "Alas hak",
            "Land tenure",
            s("land_tenure")?.unwrap_or_else(|| "-".into()),
        ),
        (
            "Luas persil dimohon",
            "Parcel area applied for",
            fmt_num(f("parcel_area")?, "m²"),
        ),
        (
            "Luas disetujui",
            "Approved area",
            fmt_num(f("approved_area")?, "m²"),
        ),
        (
            "Luas menurut alas hak",
            "Declared land area",
            fmt_num(f("declared")?, "m²"),
        ),
        (
            "Luas dasar bangunan",
            "Building footprint",
            fmt_num(f("footprint")?, "m²"),
        ),
        (
            "Luas total lantai",
            "Total floor area",
            fmt_num(f("floor_area")?, "m²"),
        ),
        ("Jumlah lantai", "Floors", fmt_num(f("floors")?, "")),
        (
            "Tinggi bangunan",
            "Building height",
            fmt_num(f("height")?, "m"),
        ),
        (
            "Luas ruang terbuka hijau",
            "Green area",
            fmt_num(f("green")?, "m²"),
        ),
        (
            "Luas basemen",
            "Basement area",
            fmt_num(f("basement")?, "m²"),
        ),
        (
            "Hasil pemeriksaan otomatis",
            "Automatic check",
            format!(
                "{} (RDTR versi / plan version {})",
                s("check_outcome")?.unwrap_or_else(|| "-".into()),
                plan_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into())
            ),
        ),
        (
            "Tanggal keputusan",
            "Decided on",
            s("decided")?.unwrap_or_else(|| "-".into()),
        ),
        (
            "Tanggal terbit",
            "Issued on",
            s("issued")?.unwrap_or_else(|| "-".into()),
        ),
        (
            "Masa berlaku",
            "Valid",
            match (s("valid_from")?, s("valid_until")?) {
                (Some(a), Some(b)) => format!("{a} s.d. / to {b}"),
                _ => "-".into(),
            },
        ),
    ]);
    let approved_ll = rings(&s("approved_ll")?.unwrap_or_default());
    let corners = approved_ll
        .first()
        .and_then(|p| p.first())
        .map(|r| r.iter().take(40).copied().collect())
        .unwrap_or_default();
    Ok(Doc {
        id: r.try_get("id")?,
        issued,
        reference: s("reference")?.unwrap_or_default(),
        permit_number: s("permit_number")?,
        decision,
        decision_reason: s("decision_reason")?,
        conditions: s("conditions")?,
        rows,
        approved: rings(&s("approved_utm")?.unwrap_or_default()),
        parcel: s("parcel_utm")?.map(|g| rings(&g)),
        corners,
    })
}

/// Maps metres into a `w` × `h` box (origin top left, y down) with a margin, keeping the
/// aspect ratio; also returns metres per unit.
fn fit(all: &[&Rings], w: f64, h: f64) -> (impl Fn(f64, f64) -> (f64, f64) + use<>, f64) {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for r in all {
        for p in r.iter() {
            for ring in p {
                for &(x, y) in ring {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x);
                    y1 = y1.max(y);
                }
            }
        }
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
    }
    let margin = 0.12;
    let scale = (w / (x1 - x0).max(1e-6)).min(h / (y1 - y0).max(1e-6)) * (1.0 - 2.0 * margin);
    let cx = (x0 + x1) / 2.0;
    let cy = (y0 + y1) / 2.0;
    (
        move |x: f64, y: f64| (w / 2.0 + (x - cx) * scale, h / 2.0 - (y - cy) * scale),
        1.0 / scale,
    )
}

/// A round scale-bar length (1, 2, 5 × 10^n m) near a quarter of `width_m`.
fn scale_bar(width_m: f64) -> f64 {
    let target = width_m / 4.0;
    let p = 10f64.powf(target.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * p)
        .rfind(|&x| x <= target)
        .unwrap_or(p)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn svg_map(d: &Doc, w: f64, h: f64) -> String {
    let mut all: Vec<&Rings> = vec![&d.approved];
    if let Some(p) = &d.parcel {
        all.push(p);
    }
    let (proj, m_per_px) = fit(&all, w, h);
    let path = |r: &Rings| -> String {
        let mut s = String::new();
        for poly in r {
            for ring in poly {
                for (i, &(x, y)) in ring.iter().enumerate() {
                    let (px, py) = proj(x, y);
                    s.push_str(&format!(
                        "{}{px:.1},{py:.1} ",
                        if i == 0 { "M" } else { "L" }
                    ));
                }
                s.push_str("Z ");
            }
        }
        s
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Peta poligon yang disetujui / map of the approved polygon\">\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#f7f7f2\" stroke=\"#999\"/>"
    );
    if let Some(p) = &d.parcel {
        out.push_str(&format!(
            "<path d=\"{}\" fill=\"none\" stroke=\"#b33\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" fill-rule=\"evenodd\"/>",
            path(p)
        ));
    }
    out.push_str(&format!(
        "<path d=\"{}\" fill=\"#2e7d32\" fill-opacity=\"0.35\" stroke=\"#1b5e20\" stroke-width=\"2\" fill-rule=\"evenodd\"/>",
        path(&d.approved)
    ));
    let bar_m = scale_bar(w * m_per_px);
    let bar_px = bar_m / m_per_px;
    out.push_str(&format!(
        "<line x1=\"12\" y1=\"{y}\" x2=\"{x2:.1}\" y2=\"{y}\" stroke=\"#000\" stroke-width=\"3\"/>\
         <text x=\"12\" y=\"{ty}\" font-size=\"11\" font-family=\"sans-serif\">{bar_m} m</text>\
         <text x=\"{nx}\" y=\"22\" font-size=\"14\" font-family=\"sans-serif\" text-anchor=\"middle\">U ↑</text></svg>",
        y = h - 14.0,
        x2 = 12.0 + bar_px,
        ty = h - 20.0,
        nx = w - 20.0
    ));
    out
}

fn title(d: &Doc) -> (&'static str, &'static str) {
    if d.decision == Decision::Rejected {
        (
            "KEPUTUSAN PENOLAKAN PERSETUJUAN KESESUAIAN KEGIATAN PEMANFAATAN RUANG",
            "Decision: spatial use conformity approval refused",
        )
    } else {
        (
            "PERSETUJUAN KESESUAIAN KEGIATAN PEMANFAATAN RUANG (PKKPR)",
            "Spatial use conformity approval",
        )
    }
}

/// The printable HTML page.
pub fn html(d: &Doc) -> String {
    let (t_id, t_en) = title(d);
    let mut rows = String::new();
    for (id, en, v) in &d.rows {
        rows.push_str(&format!(
            "<tr><th>{}<br><small>{}</small></th><td>{}</td></tr>",
            esc(id),
            esc(en),
            esc(v)
        ));
    }
    let mut extra = String::new();
    if let Some(c) = &d.conditions {
        extra.push_str("<h2>Syarat <small>/ Conditions</small></h2><ol>");
        for line in c.lines().filter(|l| !l.trim().is_empty()) {
            extra.push_str(&format!("<li>{}</li>", esc(line)));
        }
        extra.push_str("</ol>");
    }
    if let Some(r) = &d.decision_reason {
        let h = if d.decision == Decision::Rejected {
            "Alasan penolakan <small>/ Reason for refusal</small>"
        } else {
            "Pertimbangan <small>/ Considerations</small>"
        };
        extra.push_str(&format!("<h2>{h}</h2><p>{}</p>", esc(r)));
    }
    let corners: String = d
        .corners
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("<tr><td>{}</td><td>{x:.7}</td><td>{y:.7}</td></tr>", i + 1))
        .collect();
    let draft = if d.issued {
        String::new()
    } else {
        "<p class=\"draft\">DRAF — belum ditandatangani dan diterbitkan / DRAFT — not yet signed and issued</p>".into()
    };
    let legend = if d.parcel.is_some() {
        "Hijau: bagian yang disetujui; garis putus merah: persil yang dimohon. / Green: approved part; dashed red: parcel applied for."
    } else {
        "Hijau: persil yang disetujui. / Green: approved parcel."
    };
    format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
<title>{num} — {t_id}</title>\
<style>body{{font-family:sans-serif;max-width:800px;margin:2em auto;color:#111}}\
h1{{font-size:1.2em;text-align:center}}h2{{font-size:1em;margin-top:1.4em}}\
table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}}\
th{{width:40%;background:#f2f2f2}}small{{color:#555;font-weight:normal}}.draft{{color:#b00;font-weight:bold;text-align:center}}\
@media print{{body{{margin:0}}}}</style></head><body>\
<p style=\"text-align:center\">PEMERINTAH KOTA KUPANG<br><small>Kupang City Government</small></p>\
<h1>{t_id}<br><small>{t_en}</small></h1>{draft}\
<table>{rows}</table>{extra}\
<h2>Peta poligon yang disetujui <small>/ Map of the approved polygon</small></h2>{map}<p><small>{legend}</small></p>\
<h2>Koordinat titik sudut (WGS 84, bujur, lintang) <small>/ Corner coordinates (lon, lat)</small></h2>\
<table><tr><th>No.</th><th>Bujur / lon</th><th>Lintang / lat</th></tr>{corners}</table>\
<p><small>PDF: <a href=\"/permits/{id}.pdf\">/permits/{id}.pdf</a></small></p></body></html>",
        num = esc(d.permit_number.as_deref().unwrap_or(&d.reference)),
        map = svg_map(d, 640.0, 400.0),
        id = d.id,
    )
}

/// WinAnsi bytes of `s` (the standard fonts' encoding); characters it lacks become `?`.
fn winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '€' => 0x80,
            _ => b'?',
        })
        .collect()
}

fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in s.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 50.0;

/// Page-by-page PDF content with a cursor that starts a new page when one is full.
struct Pages {
    pages: Vec<Content>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages {
            pages: vec![Content::new()],
            y: PAGE_H - 50.0,
        }
    }

    fn room(&mut self, h: f32) {
        if self.y - h < 50.0 {
            self.pages.push(Content::new());
            self.y = PAGE_H - 50.0;
        }
    }

    fn text(&mut self, x: f32, bold: bool, size: f32, s: &str) {
        self.room(size + 4.0);
        self.y -= size + 4.0;
        let y = self.y;
        let c = self.pages.last_mut().expect("a page");
        c.begin_text();
        c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        c.next_line(x, y);
        c.show(Str(&winansi(s)));
        c.end_text();
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }
}

/// The PDF document.
pub fn pdf(d: &Doc) -> Vec<u8> {
    let (t_id, t_en) = title(d);
    let mut p = Pages::new();
    p.text(
        LEFT,
        true,
        11.0,
        "PEMERINTAH KOTA KUPANG / Kupang City Government",
    );
    p.gap(6.0);
    for l in wrap(t_id, 70) {
        p.text(LEFT, true, 12.0, &l);
    }
    p.text(LEFT, false, 10.0, t_en);
    if !d.issued {
        p.text(
            LEFT,
            true,
            10.0,
            "DRAF - belum ditandatangani dan diterbitkan / DRAFT - not yet signed and issued",
        );
    }
    p.gap(8.0);
    for (id, en, v) in &d.rows {
        let label = format!("{id} / {en}");
        let vals = wrap(v, 48);
        p.room(13.0 * vals.len() as f32);
        let y0 = p.y;
        p.text(LEFT, true, 9.0, &label);
        p.y = y0;
        for l in &vals {
            p.text(LEFT + 250.0, false, 9.0, l);
        }
    }
    if let Some(c) = &d.conditions {
        p.gap(8.0);
        p.text(LEFT, true, 10.0, "Syarat / Conditions");
        for (i, line) in c.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            for (j, l) in wrap(line, 95).into_iter().enumerate() {
                let l = if j == 0 {
                    format!("{}. {l}", i + 1)
                } else {
                    format!("   {l}")
                };
                p.text(LEFT, false, 9.0, &l);
            }
        }
    }
    if let Some(r) = &d.decision_reason {
        p.gap(8.0);
        p.text(
            LEFT,
            true,
            10.0,
            if d.decision == Decision::Rejected {
                "Alasan penolakan / Reason for refusal"
            } else {
                "Pertimbangan / Considerations"
            },
        );
        for l in wrap(r, 95) {
            p.text(LEFT, false, 9.0, &l);
        }
    }
    // the map
    let (mw, mh) = (495.0f32, 300.0f32);
    p.gap(8.0);
    p.room(mh + 40.0);
    p.text(
        LEFT,
        true,
        10.0,
        "Peta poligon yang disetujui / Map of the approved polygon",
    );
    p.gap(6.0);
    let top = p.y;
    let bottom = top - mh;
    let mut all: Vec<&Rings> = vec![&d.approved];
    if let Some(pr) = &d.parcel {
        all.push(pr);
    }
    let (proj, m_per_pt) = fit(&all, f64::from(mw), f64::from(mh));
    let to_page = |x: f64, y: f64| {
        let (px, py) = proj(x, y);
        (LEFT + px as f32, top - py as f32)
    };
    {
        let c = p.pages.last_mut().expect("a page");
        c.save_state();
        c.set_fill_rgb(0.97, 0.97, 0.95);
        c.set_stroke_rgb(0.6, 0.6, 0.6);
        c.set_line_width(0.8);
        c.rect(LEFT, bottom, mw, mh);
        c.fill_nonzero_and_stroke();
        let trace = |c: &mut Content, r: &Rings| {
            for poly in r {
                for ring in poly {
                    for (i, &(x, y)) in ring.iter().enumerate() {
                        let (px, py) = to_page(x, y);
                        if i == 0 {
                            c.move_to(px, py);
                        } else {
                            c.line_to(px, py);
                        }
                    }
                    c.close_path();
                }
            }
        };
        if let Some(pr) = &d.parcel {
            c.set_stroke_rgb(0.7, 0.2, 0.2);
            c.set_line_width(1.2);
            c.set_dash_pattern([5.0, 3.0], 0.0);
            trace(c, pr);
            c.stroke();
            c.set_dash_pattern([], 0.0);
        }
        c.set_fill_rgb(0.62, 0.80, 0.63);
        c.set_stroke_rgb(0.11, 0.37, 0.13);
        c.set_line_width(1.6);
        trace(c, &d.approved);
        c.fill_even_odd_and_stroke();
        // scale bar
        let bar_m = scale_bar(f64::from(mw) * m_per_pt);
        let bar_pt = (bar_m / m_per_pt) as f32;
        c.set_stroke_rgb(0.0, 0.0, 0.0);
        c.set_line_width(2.5);
        c.move_to(LEFT + 10.0, bottom + 12.0);
        c.line_to(LEFT + 10.0 + bar_pt, bottom + 12.0);
        c.stroke();
        c.set_fill_rgb(0.0, 0.0, 0.0);
        c.begin_text();
        c.set_font(Name(b"F1"), 8.0);
        c.next_line(LEFT + 10.0, bottom + 17.0);
        c.show(Str(&winansi(&format!("{bar_m} m"))));
        c.end_text();
        c.begin_text();
        c.set_font(Name(b"F2"), 10.0);
        c.next_line(LEFT + mw - 18.0, top - 16.0);
        c.show(Str(b"U ^"));
        c.end_text();
        c.restore_state();
    }
    p.y = bottom - 4.0;
    p.text(
        LEFT,
        false,
        8.0,
        if d.parcel.is_some() {
            "Hijau: bagian yang disetujui; garis putus merah: persil yang dimohon. / Green: approved part; dashed red: parcel applied for."
        } else {
            "Hijau: persil yang disetujui. / Green: approved parcel."
        },
    );
    p.gap(6.0);
    p.text(
        LEFT,
        true,
        10.0,
        "Koordinat titik sudut (WGS 84: bujur, lintang) / Corner coordinates (lon, lat)",
    );
    for (i, (x, y)) in d.corners.iter().enumerate() {
        p.text(LEFT, false, 8.5, &format!("{:>3}.  {x:.7}, {y:.7}", i + 1));
    }

    // assemble
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let f1 = Ref::new(3);
    let f2 = Ref::new(4);
    let n = p.pages.len() as i32;
    let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(5 + 2 * i)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(n);
    pdf.type1_font(f1)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(f2)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (i, content) in p.pages.into_iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(6 + 2 * i as i32);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut res = page.resources();
        res.fonts().pair(Name(b"F1"), f1).pair(Name(b"F2"), f2);
        res.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

/// `GET /permits/{key}` and `GET /permits/{key}.pdf`.
pub async fn show(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(key): Path<String>,
) -> Result<Response, PermitError> {
    let (key, as_pdf) = match key.strip_suffix(".pdf") {
        Some(k) => (k.to_string(), true),
        None => (key.strip_suffix(".html").unwrap_or(&key).to_string(), false),
    };
    let d = load(&state, caller.as_ref(), &key).await?;
    let cache = if d.issued {
        "public, max-age=60"
    } else {
        "private, no-cache"
    };
    let mut res = if as_pdf {
        let bytes = tokio::task::spawn_blocking({
            let d = d.clone();
            move || pdf(&d)
        })
        .await
        .map_err(|e| PermitError::internal(&e))?;
        let mut r = (StatusCode::OK, bytes).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/pdf"),
        );
        let name = d
            .permit_number
            .as_deref()
            .unwrap_or(&d.reference)
            .replace('/', "-");
        if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}.pdf\"")) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        r
    } else {
        let mut r = (StatusCode::OK, html(&d)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        let square: Rings = vec![vec![vec![
            (566_000.0, 8_876_000.0),
            (566_020.0, 8_876_000.0),
            (566_020.0, 8_876_015.0),
            (566_000.0, 8_876_015.0),
            (566_000.0, 8_876_000.0),
        ]]];
        Doc {
            id: Uuid::nil(),
            issued: true,
            reference: "PKKPR-2026-000001".into(),
            permit_number: Some("KKPR/2026/000001".into()),
            decision: Decision::ApprovedConditional,
            decision_reason: None,
            conditions: Some("Sumur resapan <wajib>\nParkir di dalam persil".into()),
            rows: vec![("Pemohon", "Applicant", "Budi & Sons".into())],
            approved: square,
            parcel: None,
            corners: vec![(123.6, -10.17)],
        }
    }

    #[test]
    fn html_escapes_and_draws_the_polygon() {
        let h = html(&doc());
        assert!(h.contains("Budi &amp; Sons"));
        assert!(h.contains("&lt;wajib&gt;"));
        assert!(h.contains("<svg") && h.contains("<path d=\"M"));
        assert!(h.contains("KKPR/2026/000001"));
    }

    #[test]
    fn pdf_is_a_pdf_and_scale_bars_are_round() {
        let b = pdf(&doc());
        assert!(b.starts_with(b"%PDF-"));
        assert!(b.windows(9).any(|w| w == b"Helvetica"));
        assert_eq!(scale_bar(100.0), 20.0);
        assert_eq!(scale_bar(30.0), 5.0);
        assert_eq!(winansi("m² –"), vec![b'm', 0xB2, b' ', 0x96]);
    }
}
