//! Waste reports: citizens report a point with a category, a description and an optional photo
//! (no login, rate-limited per client IP); officers move a report through
//! baru → diverifikasi → dijadwalkan → selesai, or to ditolak from any open status, each step
//! timestamped and recorded in `waste_report_events`; a summary per kelurahan.
//!
//! The reporter's contact, the photo and who changed a report's status are private: only
//! officers (`planner`, `admin`) see them.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::MonitorError;
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;

/// Reports one client IP may file: a burst of this many, then one every 3600 / N seconds.
pub const REPORTS_PER_HOUR: f64 = 10.0;
/// Largest photo accepted.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
pub const CATEGORIES: [&str; 8] = [
    "campuran", "organik", "plastik", "B3", "logam", "kaca", "kertas", "lainnya",
];
pub const STATUSES: [&str; 5] = ["baru", "diverifikasi", "dijadwalkan", "selesai", "ditolak"];
const OPEN: [&str; 3] = ["baru", "diverifikasi", "dijadwalkan"];

pub fn routes() -> Router<AppState> {
    let limit = crate::http::limit::Limit::shared(
        "waste_report",
        REPORTS_PER_HOUR / 3600.0,
        "too_many_requests",
        "laporan",
        "reports",
    );
    Router::new()
        .route(
            "/api/waste/reports",
            post(create)
                .layer(middleware::from_fn_with_state(
                    limit,
                    crate::http::limit::rate_limit,
                ))
                .get(list),
        )
        .route("/api/waste/reports/{id}", get(one))
        .route("/api/waste/reports/{id}/photo", get(photo))
        .route("/api/waste/reports/{id}/status", post(set_status))
        .route("/api/waste/summary", get(summary))
        .route("/api/waste/trend", get(trend))
}

/// The statuses a report may move to from `from`.
pub fn next_statuses(from: &str) -> &'static [&'static str] {
    match from {
        "baru" => &["diverifikasi", "ditolak"],
        "diverifikasi" => &["dijadwalkan", "ditolak"],
        "dijadwalkan" => &["selesai", "ditolak"],
        _ => &[],
    }
}

/// The image type of a photo by its first bytes.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

fn unprocessable(id: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", id, en)
}

/// A report as sent, before checks.
#[derive(Default)]
struct Draft {
    lon: Option<f64>,
    lat: Option<f64>,
    category: Option<String>,
    description: String,
    contact: Option<String>,
    photo: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDraft {
    lon: Option<f64>,
    lat: Option<f64>,
    point: Option<Value>,
    category: Option<String>,
    description: Option<String>,
    contact: Option<String>,
    photo_base64: Option<String>,
}

fn too_large_photo() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Foto lebih dari 5 MB; kirim foto yang lebih kecil.",
        "The photo is larger than 5 MB; send a smaller one.",
    )
}

async fn read_draft(state: &AppState, req: Request) -> Result<Draft, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("multipart/form-data") {
        let mut mp = crate::http::guard::Multipart::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::bad_request(
                    format!("Formulir multipart tidak dapat dibaca: {e}."),
                    format!("The multipart form cannot be read: {e}."),
                )
            })?;
        let mut d = Draft::default();
        let bad = |e: axum::extract::multipart::MultipartError| {
            ApiError::bad_request(
                format!("Formulir multipart tidak dapat dibaca: {e}."),
                format!("The multipart form cannot be read: {e}."),
            )
        };
        while let Some(mut field) = mp.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or("").to_owned();
            if name == "photo" {
                let mut buf = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    if buf.len() + chunk.len() > MAX_PHOTO_BYTES {
                        return Err(too_large_photo());
                    }
                    buf.extend_from_slice(&chunk);
                }
                if !buf.is_empty() {
                    d.photo = Some(buf);
                }
                continue;
            }
            let text = field.text().await.map_err(|e| e.or_read(bad))?;
            if text.len() > 10_000 {
                return Err(unprocessable(
                    format!("Isian {name} terlalu panjang."),
                    format!("The field {name} is too long."),
                ));
            }
            let num = |t: &str| {
                t.trim().parse::<f64>().map_err(|_| {
                    unprocessable(
                        format!("Isian {name} harus angka."),
                        format!("The field {name} must be a number."),
                    )
                })
            };
            match name.as_str() {
                "lon" => d.lon = Some(num(&text)?),
                "lat" => d.lat = Some(num(&text)?),
                "category" => d.category = Some(text),
                "description" => d.description = text,
                "contact" => d.contact = Some(text).filter(|s| !s.trim().is_empty()),
                other => {
                    return Err(unprocessable(
                        format!(
                            "Isian {other:?} tidak dikenal; yang ada: lon, lat, category, description, contact, photo."
                        ),
                        format!(
                            "Unknown field {other:?}; known: lon, lat, category, description, contact, photo."
                        ),
                    ));
                }
            }
        }
        Ok(d)
    } else if ct.starts_with("application/json") || ct.is_empty() {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text(), e.body_text()))?;
        let j: JsonDraft = serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                format!("JSON tidak sah: {e}."),
                format!("Invalid JSON: {e}."),
            )
        })?;
        let (mut lon, mut lat) = (j.lon, j.lat);
        if let Some(p) = &j.point {
            let c = p["coordinates"].as_array();
            if p["type"] != "Point" || c.is_none_or(|c| c.len() != 2) {
                return Err(unprocessable(
                    "point harus GeoJSON Point [lon, lat].",
                    "point must be a GeoJSON Point [lon, lat].",
                ));
            }
            let c = c.cloned().unwrap_or_default();
            lon = c[0].as_f64();
            lat = c[1].as_f64();
        }
        let photo = match j.photo_base64 {
            None => None,
            Some(s) => {
                let data = s.split_once("base64,").map(|(_, d)| d).unwrap_or(&s).trim();
                if data.len() > MAX_PHOTO_BYTES / 3 * 4 + 8 {
                    return Err(too_large_photo());
                }
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .map_err(|_| {
                            unprocessable(
                                "photo_base64 bukan base64 yang sah.",
                                "photo_base64 is not valid base64.",
                            )
                        })?,
                )
            }
        };
        Ok(Draft {
            lon,
            lat,
            category: j.category,
            description: j.description.unwrap_or_default(),
            contact: j.contact.filter(|s| !s.trim().is_empty()),
            photo,
        })
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Kirim laporan sebagai JSON atau multipart/form-data.",
            "Send the report as JSON or multipart/form-data.",
        ))
    }
}

/// `POST /api/waste/reports` → 201 with the stored report.
async fn create(State(state): State<AppState>, req: Request) -> Result<Response, MonitorError> {
    let d = read_draft(&state, req).await?;
    let (Some(lon), Some(lat)) = (d.lon, d.lat) else {
        return Err(unprocessable(
            "Lokasi wajib diisi (lon dan lat, atau point).",
            "The location is required (lon and lat, or point).",
        )
        .into());
    };
    if !lon.is_finite() || !lat.is_finite() || lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(unprocessable(
            "Koordinat tidak sah (lon −180..180, lat −90..90).",
            "Invalid coordinates (lon −180..180, lat −90..90).",
        )
        .into());
    }
    let category = d.category.unwrap_or_default();
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(unprocessable(
            format!(
                "Kategori {category:?} tidak dikenal; pilih salah satu: {}.",
                CATEGORIES.join(", ")
            ),
            format!(
                "Unknown category {category:?}; choose one of: {}.",
                CATEGORIES.join(", ")
            ),
        )
        .into());
    }
    if d.description.chars().count() > 2000 {
        return Err(unprocessable(
            "Uraian paling banyak 2000 karakter.",
            "The description may hold at most 2000 characters.",
        )
        .into());
    }
    if d.contact.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return Err(unprocessable(
            "Kontak paling banyak 200 karakter.",
            "The contact may hold at most 200 characters.",
        )
        .into());
    }
    let photo_type = match &d.photo {
        None => None,
        Some(p) if p.len() > MAX_PHOTO_BYTES => return Err(too_large_photo().into()),
        Some(p) => Some(sniff_image(p).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Foto harus berkas JPEG atau PNG.",
                "The photo must be a JPEG or PNG file.",
            )
        })?),
    };
    let kel: Option<(String, String)> = sqlx::query_as(
        "SELECT code, name FROM admin_areas
          WHERE level = 'kelurahan' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
          ORDER BY code LIMIT 1",
    )
    .bind(lon)
    .bind(lat)
    .fetch_optional(&state.pool)
    .await?;
    let Some((kel_code, _)) = kel else {
        return Err(unprocessable(
            "Lokasi berada di luar Kota Kupang.",
            "The location lies outside Kota Kupang.",
        )
        .into());
    };
    let mut tx = state.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO waste_reports (category, description, reporter_contact, kelurahan_code, geom,
                                    photo, photo_type)
         VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8)
         RETURNING id",
    )
    .bind(&category)
    .bind(d.description.trim())
    .bind(d.contact.as_deref().map(str::trim))
    .bind(&kel_code)
    .bind(lon)
    .bind(lat)
    .bind(&d.photo)
    .bind(photo_type)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO waste_report_events (report_id, to_status) VALUES ($1, 'baru')")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let body = report_json(&state.pool, id, false).await?;
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/waste/reports/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

type ReportRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    f64,
    f64,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    bool,
    i32,
);

const REPORT_SELECT: &str = "SELECT r.id, r.category, r.description, r.reporter_contact,
        r.kelurahan_code, a.name, ST_X(r.geom), ST_Y(r.geom), r.status, r.reported_at,
        r.verified_at, r.scheduled_at, r.closed_at, r.photo IS NOT NULL, r.version
   FROM waste_reports r LEFT JOIN admin_areas a ON a.code = r.kelurahan_code";

fn row_json(r: ReportRow, private: bool) -> Value {
    let mut v = json!({
        "id": r.0, "category": r.1, "description": r.2,
        "kelurahan": r.4.map(|c| json!({"code": c, "name": r.5})),
        "lon": r.6, "lat": r.7, "status": r.8, "reported_at": r.9,
        "verified_at": r.10, "scheduled_at": r.11, "closed_at": r.12,
        "has_photo": r.13, "version": r.14,
        "reference": reference(r.0),
        "next_statuses": next_statuses(&r.8),
    });
    if private {
        v["contact"] = json!(r.3);
    }
    v
}

async fn report_json(pool: &PgPool, id: i64, private: bool) -> Result<Value, MonitorError> {
    let row: Option<ReportRow> = sqlx::query_as(&format!("{REPORT_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Err(ApiError::not_found(
            &format!("Laporan sampah {id}"),
            &format!("Waste report {id}"),
        )
        .into());
    };
    let mut v = row_json(row, private);
    // who moved the report: for officers only, the public sees what happened, not who did it
    type Event = (
        DateTime<Utc>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let events: Vec<Event> = sqlx::query_as(
        "SELECT e.at, e.from_status, e.to_status, e.note,
                CASE WHEN $2 THEN coalesce(u.display_name, u.email) END
           FROM waste_report_events e LEFT JOIN users u ON u.id = e.actor_id
          WHERE e.report_id = $1 ORDER BY e.at, e.id",
    )
    .bind(id)
    .bind(private)
    .fetch_all(pool)
    .await?;
    v["events"] = events
        .into_iter()
        .map(|(at, from, to, note, actor)| {
            let mut e = json!({"at": at, "from": from, "to": to, "note": note});
            if private {
                e["actor"] = json!(actor);
            }
            e
        })
        .collect();
    Ok(v)
}

fn is_officer(c: &Option<Caller>) -> bool {
    c.as_ref()
        .is_some_and(|c| c.is(Role::Planner) || c.is(Role::Admin))
}

/// `GET /api/waste/reports/{id}` (contact only for officers).
async fn one(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Result<Response, MonitorError> {
    let id = parse_id(&id)?;
    Ok(Json(report_json(&state.pool, id, is_officer(&caller)).await?).into_response())
}

/// The reference a citizen gets on the receipt and looks the report up with: `LS-<id>`.
pub fn reference(id: i64) -> String {
    format!("LS-{id}")
}

/// A report id from the path: the number, or the reference (`LS-12`, `ls-12`).
fn parse_id(s: &str) -> Result<i64, ApiError> {
    let t = s.trim();
    let digits = match t.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("LS-") => &t[3..],
        _ => t,
    };
    digits
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| {
            ApiError::not_found(
                &format!("Laporan sampah {s:?}"),
                &format!("Waste report {s:?}"),
            )
        })
}

/// `GET /api/waste/reports?status=&kelurahan=&limit=&offset=`, newest first.
async fn list(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, MonitorError> {
    let status = q.get("status").filter(|s| !s.is_empty());
    if let Some(s) = status
        && !STATUSES.contains(&s.as_str())
        && s != "open"
    {
        {
            return Err(super::bad_param(
                "status",
                s,
                "pilih open, baru, diverifikasi, dijadwalkan, selesai atau ditolak",
                "choose open, baru, diverifikasi, dijadwalkan, selesai or ditolak",
            )
            .into());
        }
    }
    let num = |k: &str, def: i64, max: i64| -> Result<i64, ApiError> {
        match q.get(k) {
            None => Ok(def),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| {
                    super::bad_param(
                        k,
                        v,
                        &format!("bilangan 0..{max}"),
                        &format!("a number 0..{max}"),
                    )
                }),
        }
    };
    let limit = num("limit", 100, 1000)?;
    let offset = num("offset", 0, 10_000_000)?;
    let rows: Vec<ReportRow> = sqlx::query_as(&format!(
        "{REPORT_SELECT}
          WHERE ($1::text IS NULL OR r.status = $1
                 OR ($1 = 'open' AND r.status IN ('baru', 'diverifikasi', 'dijadwalkan')))
            AND ($2::text IS NULL OR r.kelurahan_code = $2)
          ORDER BY r.reported_at DESC, r.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(status)
    .bind(q.get("kelurahan"))
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.pool)
    .await?;
    let private = is_officer(&caller);
    Ok(Json(json!({
        "reports": rows.into_iter().map(|r| row_json(r, private)).collect::<Vec<_>>(),
        "limit": limit, "offset": offset,
    }))
    .into_response())
}

/// `GET /api/waste/reports/{id}/photo` (officers only).
async fn photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, MonitorError> {
    caller.require(&[Role::Planner])?;
    let id = parse_id(&id)?;
    let row: Option<(Option<Vec<u8>>, Option<String>)> =
        sqlx::query_as("SELECT photo, photo_type FROM waste_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    match row {
        Some((Some(bytes), Some(t))) => {
            let mut res = bytes.into_response();
            if let Ok(v) = HeaderValue::from_str(&t) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            Ok(res)
        }
        Some(_) => Err(ApiError::not_found(
            &format!("Foto laporan {id}"),
            &format!("The photo of report {id}"),
        )
        .into()),
        None => Err(ApiError::not_found(
            &format!("Laporan sampah {id}"),
            &format!("Waste report {id}"),
        )
        .into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: String,
    note: Option<String>,
}

/// `POST /api/waste/reports/{id}/status` {"status": "...", "note": "..."}: 409 when the report
/// may not move there from where it is.
async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, MonitorError> {
    caller.require(&[Role::Planner])?;
    let id = parse_id(&id)?;
    let change: StatusChange = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            format!("JSON tidak sah: {e}. Contoh: {{\"status\": \"diverifikasi\"}}."),
            format!("Invalid JSON: {e}. Example: {{\"status\": \"diverifikasi\"}}."),
        )
    })?;
    let to = change.status.as_str();
    if !STATUSES.contains(&to) {
        return Err(unprocessable(
            format!(
                "Status {to:?} tidak dikenal; yang ada: {}.",
                STATUSES.join(", ")
            ),
            format!("Unknown status {to:?}; known: {}.", STATUSES.join(", ")),
        )
        .into());
    }
    let note = change
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(unprocessable(
            "Catatan paling banyak 2000 karakter.",
            "The note may hold at most 2000 characters.",
        )
        .into());
    }
    if to == "ditolak" && note.is_none() {
        return Err(unprocessable(
            "Laporan yang ditolak perlu alasan (note).",
            "A rejected report needs a reason (note).",
        )
        .into());
    }
    let mut tx = state.pool.begin().await?;
    let from: Option<String> =
        sqlx::query_scalar("SELECT status FROM waste_reports WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(from) = from else {
        return Err(ApiError::not_found(
            &format!("Laporan sampah {id}"),
            &format!("Waste report {id}"),
        )
        .into());
    };
    let allowed = next_statuses(&from);
    if !allowed.contains(&to) {
        let next = if allowed.is_empty() {
            "-".to_owned()
        } else {
            allowed.join(", ")
        };
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "bad-transition",
            format!(
                "Laporan berstatus {from} tidak dapat diubah menjadi {to}; yang boleh: {next}."
            ),
            format!("A report in status {from} cannot move to {to}; allowed: {next}."),
        )
        .into());
    }
    sqlx::query(
        "UPDATE waste_reports
            SET status = $2, version = version + 1,
                verified_at = CASE WHEN $2 = 'diverifikasi' THEN now() ELSE verified_at END,
                scheduled_at = CASE WHEN $2 = 'dijadwalkan' THEN now() ELSE scheduled_at END,
                closed_at = CASE WHEN $2 IN ('selesai', 'ditolak') THEN now() ELSE closed_at END
          WHERE id = $1",
    )
    .bind(id)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO waste_report_events (report_id, actor_id, from_status, to_status, note)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(caller.user_id)
    .bind(&from)
    .bind(to)
    .bind(&note)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(report_json(&state.pool, id, true).await?).into_response())
}

/// `GET /api/waste/summary?from=YYYY-MM-DD&to=YYYY-MM-DD`: per kelurahan (and the city) the open
/// reports, the count per status and the median hours from report to `selesai` (rejected
/// reports are not counted as closed work), over reports made in [from, to).
async fn summary(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, MonitorError> {
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, ApiError> {
        match q.get(k).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    super::bad_param(
                        k,
                        v,
                        "tulis tanggal sebagai YYYY-MM-DD",
                        "write the date as YYYY-MM-DD",
                    )
                }),
        }
    };
    let (from, to) = (date("from")?, date("to")?);
    type Row = (
        Option<String>,
        Option<String>,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        Option<f64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "WITH r AS (
             SELECT * FROM waste_reports
              WHERE ($1::date IS NULL OR reported_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Makassar'))
                AND ($2::date IS NULL OR reported_at < ($2::date::timestamp AT TIME ZONE 'Asia/Makassar')))
         SELECT a.code, a.name,
                count(r.id) FILTER (WHERE r.status IN ('baru', 'diverifikasi', 'dijadwalkan')),
                count(r.id) FILTER (WHERE r.status = 'baru'),
                count(r.id) FILTER (WHERE r.status = 'diverifikasi'),
                count(r.id) FILTER (WHERE r.status = 'dijadwalkan'),
                count(r.id) FILTER (WHERE r.status = 'selesai'),
                count(r.id) FILTER (WHERE r.status = 'ditolak'),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.closed_at - r.reported_at) / 3600.0)
                    FILTER (WHERE r.status = 'selesai')
           FROM admin_areas a
           LEFT JOIN r ON r.kelurahan_code = a.code
          WHERE a.level = 'kelurahan'
          GROUP BY GROUPING SETS ((a.code, a.name), ())
          ORDER BY a.code NULLS FIRST",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.pool)
    .await?;
    let entry = |r: &Row| {
        json!({
            "open": r.2,
            "by_status": {"baru": r.3, "diverifikasi": r.4, "dijadwalkan": r.5,
                          "selesai": r.6, "ditolak": r.7},
            "median_hours_to_close": r.8.map(|h| super::calc::round_to(h, 1)),
        })
    };
    let mut city = json!(null);
    let mut kel = Vec::new();
    for r in &rows {
        match &r.0 {
            None => city = entry(r),
            Some(code) => {
                let mut e = entry(r);
                e["code"] = json!(code);
                e["name"] = json!(r.1);
                kel.push(e);
            }
        }
    }
    kel.sort_by(|a, b| {
        b["open"]
            .as_i64()
            .cmp(&a["open"].as_i64())
            .then(a["code"].as_str().cmp(&b["code"].as_str()))
    });
    Ok(Json(json!({
        "from": from, "to": to, "open_statuses": OPEN,
        "city": city, "kelurahan": kel,
    }))
    .into_response())
}

/// Most months `GET /api/waste/trend` answers.
pub const MAX_TREND_MONTHS: i32 = 60;

/// `GET /api/waste/trend?from=YYYY-MM&to=YYYY-MM&kelurahan=CODE`: per month of reporting
/// (WITA), the reports made, how many of them are in each status now and the median hours from
/// report to `selesai` of those closed (as in the summary). Without `to`, the month of the
/// newest report; without `from`, 11 months before `to` (a year).
async fn trend(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, MonitorError> {
    use chrono::{Datelike, Months, NaiveDate};
    let month = |k: &str| -> Result<Option<NaiveDate>, ApiError> {
        match q.get(k).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => super::stunting::parse_period(v).map(Some).ok_or_else(|| {
                super::bad_param(
                    k,
                    v,
                    "tulis bulan sebagai YYYY-MM",
                    "write the month as YYYY-MM",
                )
            }),
        }
    };
    let (from, to) = (month("from")?, month("to")?);
    let kel = q.get("kelurahan").filter(|s| !s.is_empty());
    let kel_name: Option<(String, String)> = match kel {
        None => None,
        Some(code) => Some(
            sqlx::query_as(
                "SELECT code, name FROM admin_areas WHERE level = 'kelurahan' AND code = $1",
            )
            .bind(code)
            .fetch_optional(&state.pool)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(
                    &format!("Kelurahan {code:?}"),
                    &format!("The kelurahan {code:?}"),
                )
            })?,
        ),
    };
    let to = match to {
        Some(t) => t,
        None => {
            let newest: Option<NaiveDate> = sqlx::query_scalar(
                "SELECT date_trunc('month', max(reported_at) AT TIME ZONE 'Asia/Makassar')::date
                   FROM waste_reports",
            )
            .fetch_one(&state.pool)
            .await?;
            newest.unwrap_or_else(|| {
                let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
                today.with_day(1).unwrap_or(today)
            })
        }
    };
    let from = from.unwrap_or_else(|| to.checked_sub_months(Months::new(11)).unwrap_or(to));
    let span = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    if span < 1 {
        return Err(ApiError::bad_request(
            format!(
                "Bulan from ({}) sesudah to ({}).",
                super::stunting::fmt_period(from),
                super::stunting::fmt_period(to)
            ),
            format!(
                "The month from ({}) is after to ({}).",
                super::stunting::fmt_period(from),
                super::stunting::fmt_period(to)
            ),
        )
        .into());
    }
    if span > MAX_TREND_MONTHS {
        return Err(ApiError::bad_request(
            format!("Paling banyak {MAX_TREND_MONTHS} bulan sekaligus; persempit from/to."),
            format!("At most {MAX_TREND_MONTHS} months at once; narrow from/to."),
        )
        .into());
    }
    type Row = (NaiveDate, i64, i64, i64, i64, i64, i64, Option<f64>);
    let rows: Vec<Row> = sqlx::query_as(
        "WITH months AS (
             SELECT generate_series($1::date, $2::date, interval '1 month')::date AS m),
         r AS (
             SELECT date_trunc('month', reported_at AT TIME ZONE 'Asia/Makassar')::date AS m,
                    status, reported_at, closed_at
               FROM waste_reports
              WHERE reported_at >= ($1::date::timestamp AT TIME ZONE 'Asia/Makassar')
                AND reported_at < (($2::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Makassar')
                AND ($3::text IS NULL OR kelurahan_code = $3))
         SELECT months.m, count(r.m),
                count(r.m) FILTER (WHERE r.status = 'baru'),
                count(r.m) FILTER (WHERE r.status = 'diverifikasi'),
                count(r.m) FILTER (WHERE r.status = 'dijadwalkan'),
                count(r.m) FILTER (WHERE r.status = 'selesai'),
                count(r.m) FILTER (WHERE r.status = 'ditolak'),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.closed_at - r.reported_at) / 3600.0)
                    FILTER (WHERE r.status = 'selesai')
           FROM months LEFT JOIN r ON r.m = months.m
          GROUP BY months.m ORDER BY months.m",
    )
    .bind(from)
    .bind(to)
    .bind(kel)
    .fetch_all(&state.pool)
    .await?;
    let months: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "period": super::stunting::fmt_period(r.0),
                "reported": r.1,
                "by_status": {"baru": r.2, "diverifikasi": r.3, "dijadwalkan": r.4,
                              "selesai": r.5, "ditolak": r.6},
                "median_hours_to_close": r.7.map(|h| super::calc::round_to(h, 1)),
            })
        })
        .collect();
    Ok(Json(json!({
        "from": super::stunting::fmt_period(from),
        "to": super::stunting::fmt_period(to),
        "kelurahan": kel_name.map(|(code, name)| json!({"code": code, "name": name})),
        "statuses": STATUSES,
        "months": months,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert_eq!(next_statuses("baru"), &["diverifikasi", "ditolak"]);
        assert!(next_statuses("selesai").is_empty());
        assert!(next_statuses("ditolak").is_empty());
        assert!(!next_statuses("baru").contains(&"selesai"));
    }

    #[test]
    fn references_parse_back() {
        assert_eq!(reference(42), "LS-42");
        assert_eq!(parse_id("LS-42").ok(), Some(42));
        assert_eq!(parse_id("ls-42").ok(), Some(42));
        assert_eq!(parse_id(" 42 ").ok(), Some(42));
        assert!(parse_id("LS-").is_err());
        assert!(parse_id("LS-0").is_err());
        assert!(parse_id("XX-42").is_err());
        assert!(parse_id("é").is_err());
    }

    #[test]
    fn sniffs_images() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
