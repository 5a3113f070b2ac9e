//! Applications: create, read, list, edit, attachments, workflow actions, the overdue list.
//!
//! Visibility: applicants (`pemohon`) see only their own applications (anyone else's id is
//! answered 404, exactly like an unknown id); every other role sees all. Only applicants (and
//! admins) create applications, for themselves; the owner edits it in DRAFT or RETURNED.
//!
//! Concurrency: every answer carries `ETag: "<version>"`; PATCH and actions need `If-Match`
//! (428 without, 412 when stale). The row is locked (`SELECT ... FOR UPDATE`) for the whole
//! check-and-write, so of two requests carrying the same version exactly one wins and the other
//! sees the new version and gets 412. Each transition and its trail event are written in one
//! transaction.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::error::{PermitError, json_object};
use super::workflow::{self, Action, Actor, Decision, Refusal, SLA_DAYS, Status};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::check::geojson;
use crate::http::guard::Multipart;
use crate::rules::{BuildingFigures, CheckInput, Tolerances, Utm51s};

/// Largest attachment accepted.
pub const MAX_ATTACHMENT: usize = 20 * 1024 * 1024;
/// Default and longest permit validity, years.
pub const DEFAULT_VALID_YEARS: i32 = 3;
const MAX_VALID_YEARS: i32 = 10;

// ---------------------------------------------------------------------------------------
// The application row and who may see it
// ---------------------------------------------------------------------------------------

/// What access and workflow decisions need of an application.
#[derive(Debug, Clone)]
pub struct Head {
    pub id: Uuid,
    pub applicant_id: Uuid,
    pub status: Status,
    pub decision: Option<Decision>,
    pub version: i32,
}

fn parse_id(s: &str) -> Result<Uuid, PermitError> {
    Uuid::parse_str(s).map_err(|_| PermitError::application_not_found())
}

async fn head(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<Head>, PermitError> {
    let sql = if lock {
        "SELECT id, applicant_id, status, decision, version FROM applications WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, applicant_id, status, decision, version FROM applications WHERE id = $1"
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    let Some(r) = row else { return Ok(None) };
    let status: String = r.try_get("status")?;
    let decision: Option<String> = r.try_get("decision")?;
    Ok(Some(Head {
        id: r.try_get("id")?,
        applicant_id: r.try_get("applicant_id")?,
        status: Status::parse(&status)
            .ok_or_else(|| PermitError::internal(&format!("unknown status {status}")))?,
        decision: decision.as_deref().and_then(Decision::parse),
        version: r.try_get("version")?,
    }))
}

/// Whether `caller` may read applications of `applicant_id`.
pub fn can_see(caller: &Caller, applicant_id: Uuid) -> bool {
    caller.role != Role::Pemohon || caller.user_id == applicant_id
}

/// The head of a visible application, or 404.
async fn visible_head(
    conn: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
    lock: bool,
) -> Result<Head, PermitError> {
    match head(conn, id, lock).await? {
        Some(h) if can_see(caller, h.applicant_id) => Ok(h),
        _ => Err(PermitError::application_not_found()),
    }
}

fn actor(caller: &Caller, h: &Head) -> Actor {
    Actor {
        role: caller.role,
        is_owner: caller.user_id == h.applicant_id,
    }
}

/// The version named by `If-Match`: 428 when missing or `*`, 412 when it is not `current`.
fn check_if_match(headers: &HeaderMap, current: i32) -> Result<(), PermitError> {
    let Some(v) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Err(PermitError::precondition_required());
    };
    let tags: Vec<&str> = v.split(',').map(str::trim).collect();
    if tags.iter().all(|t| *t == "*" || t.is_empty()) {
        return Err(PermitError::precondition_required());
    }
    let matches = tags
        .iter()
        .any(|t| !t.starts_with("W/") && t.trim_matches('"').parse::<i32>().ok() == Some(current));
    if matches {
        Ok(())
    } else {
        Err(PermitError::stale(current))
    }
}

// ---------------------------------------------------------------------------------------
// Service level
// ---------------------------------------------------------------------------------------

/// Days spent per state (from the trail) and the service-level figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Sla {
    pub days_in_state: f64,
    pub days_by_state: BTreeMap<&'static str, f64>,
    pub sla_days_used: f64,
    pub sla_days_left: f64,
    pub clock_running: bool,
    pub overdue: bool,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Computes the service level from the trail: `events` are (state entered, epoch seconds) in
/// time order; the last state lasts until `now`. The clock counts the days the city held the
/// application (see [`workflow::sla_clock_runs`]).
pub fn sla(events: &[(Status, f64)], now: f64, status: Status, decision: Option<Decision>) -> Sla {
    let mut by: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut used = 0.0;
    for (i, (s, at)) in events.iter().enumerate() {
        let until = events.get(i + 1).map(|e| e.1).unwrap_or(now);
        let days = ((until - at) / 86_400.0).max(0.0);
        *by.entry(s.as_str()).or_default() += days;
        // DECIDED is entered once, so the current decision is the one it was entered with
        if workflow::sla_clock_runs(*s, decision) {
            used += days;
        }
    }
    // edits and uploads append events that stay in the same state: the state began with the
    // first event of the last run
    let mut start = events.len();
    while start > 0 && events.get(start - 1).map(|e| e.0) == events.last().map(|e| e.0) {
        start -= 1;
    }
    let days_in_state = events
        .get(start)
        .map(|e| ((now - e.1) / 86_400.0).max(0.0))
        .unwrap_or(0.0);
    let running = workflow::sla_clock_runs(status, decision);
    Sla {
        days_in_state: round1(days_in_state),
        days_by_state: by.into_iter().map(|(k, v)| (k, round1(v))).collect(),
        sla_days_used: round1(used),
        sla_days_left: round1(SLA_DAYS - used),
        clock_running: running,
        overdue: running && used > SLA_DAYS,
    }
}

/// The service level of each application in `ids`.
async fn slas(
    conn: &mut PgConnection,
    heads: &[(Uuid, Status, Option<Decision>)],
) -> Result<BTreeMap<Uuid, Sla>, PermitError> {
    let ids: Vec<Uuid> = heads.iter().map(|h| h.0).collect();
    let rows: Vec<(Uuid, String, f64, f64)> = sqlx::query_as(
        "SELECT application_id, to_status, extract(epoch FROM at)::float8,
                extract(epoch FROM now())::float8
           FROM application_events WHERE application_id = ANY($1)
          ORDER BY application_id, at, id",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    let mut events: BTreeMap<Uuid, Vec<(Status, f64)>> = BTreeMap::new();
    let mut now = None;
    for (id, s, at, n) in rows {
        now = Some(n);
        if let Some(s) = Status::parse(&s) {
            events.entry(id).or_default().push((s, at));
        }
    }
    let now = now.unwrap_or_else(|| chrono::Utc::now().timestamp() as f64);
    Ok(heads
        .iter()
        .map(|(id, st, d)| {
            let ev = events.remove(id).unwrap_or_default();
            (*id, sla(&ev, now, *st, *d))
        })
        .collect())
}

fn put_sla(v: &mut Value, s: &Sla) {
    v["days_in_state"] = json!(s.days_in_state);
    v["days_by_state"] = json!(s.days_by_state);
    v["sla_target_days"] = json!(SLA_DAYS);
    v["sla_days_used"] = json!(s.sla_days_used);
    v["sla_days_left"] = json!(s.sla_days_left);
    v["sla_clock_running"] = json!(s.clock_running);
    v["overdue"] = json!(s.overdue);
}

// ---------------------------------------------------------------------------------------
// The full application as JSON
// ---------------------------------------------------------------------------------------

const APP_JSON: &str = "
SELECT jsonb_build_object(
         'id', a.id, 'reference', a.reference, 'status', a.status,
         'applicant_id', a.applicant_id, 'applicant_email', u.email,
         'applicant_type', a.applicant_type, 'applicant_name', a.applicant_name,
         'applicant_nik', a.applicant_nik, 'applicant_nib', a.applicant_nib,
         'business_scale', a.business_scale, 'kbli_code', a.kbli_code,
         'activity_title', act.title, 'activity_title_en', act.title_en,
         'land_tenure', a.land_tenure,
         'parcel', ST_AsGeoJSON(a.parcel, 7)::jsonb,
         'parcel_area_m2', round(ST_Area(ST_Transform(a.parcel, 32751))::numeric, 1),
         'declared_land_area_m2', a.declared_land_area_m2, 'footprint_m2', a.footprint_m2,
         'total_floor_area_m2', a.total_floor_area_m2, 'floors', a.floors,
         'height_m', a.height_m, 'green_area_m2', a.green_area_m2,
         'basement_area_m2', a.basement_area_m2)
    || jsonb_build_object(
         'kelurahan_code', a.kelurahan_code, 'kelurahan_name', k.name,
         'decision', a.decision, 'decision_reason', a.decision_reason,
         'conditions', a.conditions,
         'approved_parcel', ST_AsGeoJSON(a.approved_parcel, 7)::jsonb,
         'approved_area_m2', round(ST_Area(ST_Transform(coalesce(a.approved_parcel, a.parcel), 32751))::numeric, 1),
         'permit_number', a.permit_number, 'valid_from', a.valid_from,
         'valid_until', a.valid_until, 'check_result', a.check_result,
         'check_plan_id', a.check_plan_id, 'check_plan_version', a.check_plan_version,
         'version', a.version, 'created_at', a.created_at, 'updated_at', a.updated_at,
         'submitted_at', a.submitted_at, 'decided_at', a.decided_at, 'issued_at', a.issued_at)
  FROM applications a
  JOIN users u ON u.id = a.applicant_id
  LEFT JOIN activities act ON act.kbli_code = a.kbli_code
  LEFT JOIN admin_areas k ON k.code = a.kelurahan_code
 WHERE a.id = $1";

fn kind_out(db: &str) -> &str {
    match db {
        "foto" => "photo",
        "lainnya" => "other",
        other => other,
    }
}

/// The whole application as `caller` may see it, with trail, attachments, allowed actions and
/// service level.
pub async fn full_json(
    conn: &mut PgConnection,
    caller: &Caller,
    h: &Head,
) -> Result<Value, PermitError> {
    let mut v: Value = sqlx::query_scalar(APP_JSON)
        .bind(h.id)
        .fetch_one(&mut *conn)
        .await?;
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('id', e.id, 'at', e.at, 'actor_email', u.email,
                'actor_role', coalesce(e.actor_role, u.role), 'from_status', e.from_status,
                'to_status', e.to_status, 'note', e.note, 'data', e.data)
           FROM application_events e LEFT JOIN users u ON u.id = e.actor_id
          WHERE e.application_id = $1 ORDER BY e.at, e.id",
    )
    .bind(h.id)
    .fetch_all(&mut *conn)
    .await?;
    let atts: Vec<(
        Uuid,
        String,
        String,
        i32,
        String,
        chrono::DateTime<chrono::Utc>,
    )> = sqlx::query_as(
        "SELECT id, filename, content_type, size_bytes, kind, uploaded_at
               FROM application_attachments WHERE application_id = $1 ORDER BY uploaded_at, id",
    )
    .bind(h.id)
    .fetch_all(&mut *conn)
    .await?;
    let attachments: Vec<Value> = atts
        .into_iter()
        .map(|(aid, filename, ct, size, kind, at)| {
            json!({
                "id": aid, "filename": filename, "content_type": ct, "size_bytes": size,
                "kind": kind_out(&kind), "uploaded_at": at,
                "url": format!("/api/applications/{}/attachments/{aid}", h.id),
            })
        })
        .collect();
    let allowed: Vec<Value> = workflow::allowed(actor(caller, h), h.status, h.decision)
        .into_iter()
        .map(|s| {
            json!({
                "action": s.action.as_str(), "label_id": s.label_id, "label_en": s.label_en,
                "to_status": s.to.as_str(), "fields": s.fields, "required": s.required,
                "url": format!("/api/applications/{}/actions/{}", h.id, s.action.as_str()),
            })
        })
        .collect();
    let sla = slas(conn, &[(h.id, h.status, h.decision)]).await?;
    if let Some(s) = sla.get(&h.id) {
        put_sla(&mut v, s);
    }
    let (lid, len) = h.status.label();
    v["status_label_id"] = json!(lid);
    v["status_label_en"] = json!(len);
    v["events"] = Value::Array(events);
    v["attachments"] = Value::Array(attachments);
    v["allowed_actions"] = Value::Array(allowed);
    if matches!(h.status, Status::Decided | Status::Issued) {
        v["document_url"] = json!(format!("/permits/{}", h.id));
        v["document_pdf_url"] = json!(format!("/permits/{}.pdf", h.id));
    }
    Ok(v)
}

fn with_etag(mut res: Response, version: i32) -> Response {
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    res
}

fn app_response(status: StatusCode, v: Value, version: i32) -> Response {
    with_etag((status, Json(v)).into_response(), version)
}

// ---------------------------------------------------------------------------------------
// Fields of the application body
// ---------------------------------------------------------------------------------------

/// A column value from the body (`None` = clear it).
#[derive(Debug, Clone)]
enum Val {
    Text(Option<String>),
    Num(Option<f64>),
    Int(Option<i32>),
}

#[derive(Clone, Copy)]
enum FieldKind {
    OneOf(&'static [&'static str]),
    Name,
    Digits(usize),
    Positive,
    NonNegative,
    Count,
}

/// The application fields a body may set (column = field name).
const FIELDS: &[(&str, FieldKind)] = &[
    (
        "applicant_type",
        FieldKind::OneOf(&["perorangan", "badan_usaha", "instansi"]),
    ),
    ("applicant_name", FieldKind::Name),
    ("applicant_nik", FieldKind::Digits(16)),
    ("applicant_nib", FieldKind::Digits(13)),
    ("business_scale", FieldKind::OneOf(&["UMK", "non-UMK"])),
    ("kbli_code", FieldKind::Digits(5)),
    (
        "land_tenure",
        FieldKind::OneOf(&["SHM", "HGB", "HP", "HGU", "girik", "lainnya"]),
    ),
    ("declared_land_area_m2", FieldKind::Positive),
    ("footprint_m2", FieldKind::NonNegative),
    ("total_floor_area_m2", FieldKind::NonNegative),
    ("floors", FieldKind::Count),
    ("height_m", FieldKind::NonNegative),
    ("green_area_m2", FieldKind::NonNegative),
    ("basement_area_m2", FieldKind::NonNegative),
];

/// Fields that cannot be empty.
const REQUIRED: &[&str] = &["applicant_type", "applicant_name", "kbli_code"];

fn field_value(name: &str, kind: FieldKind, v: &Value) -> Result<Val, PermitError> {
    let text = |v: &Value| -> Result<Option<String>, PermitError> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            _ => Err(PermitError::invalid(
                name,
                format!("Isian {name} harus berupa teks."),
                format!("The field {name} must be a string."),
            )),
        }
    };
    let number = |v: &Value| -> Result<Option<f64>, PermitError> {
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    PermitError::invalid(
                        name,
                        format!("Isian {name} bukan angka yang sah."),
                        format!("The field {name} is not a valid number."),
                    )
                }),
            _ => Err(PermitError::invalid(
                name,
                format!("Isian {name} harus berupa angka."),
                format!("The field {name} must be a number."),
            )),
        }
    };
    match kind {
        FieldKind::OneOf(options) => {
            let t = text(v)?;
            if let Some(t) = &t
                && !options.contains(&t.as_str())
            {
                return Err(PermitError::invalid(
                    name,
                    format!(
                        "Isian {name} harus salah satu dari: {}.",
                        options.join(", ")
                    ),
                    format!("The field {name} must be one of: {}.", options.join(", ")),
                ));
            }
            Ok(Val::Text(t))
        }
        FieldKind::Name => {
            let t = text(v)?;
            if t.as_ref().is_some_and(|t| t.chars().count() > 200) {
                return Err(PermitError::invalid(
                    name,
                    format!("Isian {name} terlalu panjang (maks. 200 karakter)."),
                    format!("The field {name} is too long (at most 200 characters)."),
                ));
            }
            Ok(Val::Text(t))
        }
        FieldKind::Digits(n) => {
            let t = text(v)?;
            if let Some(t) = &t
                && !(t.len() == n && t.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(PermitError::invalid(
                    name,
                    format!("Isian {name} harus tepat {n} angka (sebagai teks)."),
                    format!("The field {name} must be exactly {n} digits (as a string)."),
                ));
            }
            Ok(Val::Text(t))
        }
        FieldKind::Positive | FieldKind::NonNegative => {
            let x = number(v)?;
            let positive = matches!(kind, FieldKind::Positive);
            if let Some(x) = x
                && (x < 0.0 || (positive && x == 0.0) || x > 1e9)
            {
                let (id, en) = if positive {
                    ("lebih dari 0", "greater than 0")
                } else {
                    ("0 atau lebih", "0 or more")
                };
                return Err(PermitError::invalid(
                    name,
                    format!("Isian {name} harus {id} (dan masuk akal)."),
                    format!("The field {name} must be {en} (and plausible)."),
                ));
            }
            Ok(Val::Num(x))
        }
        FieldKind::Count => {
            let x = number(v)?;
            match x {
                None => Ok(Val::Int(None)),
                Some(x) if x.fract() == 0.0 && (0.0..=500.0).contains(&x) => {
                    Ok(Val::Int(Some(x as i32)))
                }
                Some(_) => Err(PermitError::invalid(
                    name,
                    format!("Isian {name} harus bilangan bulat 0–500."),
                    format!("The field {name} must be a whole number from 0 to 500."),
                )),
            }
        }
    }
}

/// The parcel of a body: parsed (CRS84 unless `crs` says otherwise), diagnosed, validated like
/// the check engine does, and returned as a lon/lat GeoJSON MultiPolygon for PostGIS.
fn parcel_geojson(field: &str, v: &Value, crs: Option<&Value>) -> Result<String, PermitError> {
    let crs_s = match crs {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(PermitError::invalid(
                "crs",
                "Isian crs harus berupa teks, misalnya \"EPSG:32751\".",
                "The field crs must be a string, e.g. \"EPSG:32751\".",
            ));
        }
    };
    let crs = geojson::input_crs(crs_s).ok_or_else(|| {
        PermitError::invalid(
            "crs",
            "CRS tidak didukung; gunakan CRS84/EPSG:4326, EPSG:32751 atau EPSG:23840.",
            "Unsupported CRS; use CRS84/EPSG:4326, EPSG:32751 or EPSG:23840.",
        )
    })?;
    if v.is_null() {
        return Err(PermitError::invalid(
            field,
            "Poligon persil wajib diisi.",
            "The parcel polygon is required.",
        ));
    }
    let tol = Tolerances::default();
    let metric = geojson::request_geometry(field, v, crs, tol.max_vertices)?;
    crate::rules::input::validate_geometry(field, metric.geom(), &tol)?;
    let ll = geojson::lonlat_geojson(&metric).map_err(|e| PermitError::internal(&e))?;
    Ok(ll.to_string())
}

/// The parsed body of a create or edit: column values and the parcel, if given.
struct Body {
    vals: Vec<(&'static str, Val)>,
    parcel: Option<String>,
}

/// Accepts the shape of `POST /api/check` too: `kbli` for `kbli_code` and a `building` object
/// (`footprint_m2`, `floor_area_m2`, `floors`, `height_m`, `green_m2`, `basement_m2`) for the
/// flat figures. A flat field wins over its alias.
fn check_style_aliases(m: &mut Map<String, Value>) -> Result<(), PermitError> {
    if let Some(k) = m.remove("kbli") {
        let k = match k {
            Value::Number(n) => Value::String(n.to_string()),
            other => other,
        };
        m.entry("kbli_code").or_insert(k);
    }
    match m.remove("building") {
        None | Some(Value::Null) => {}
        Some(Value::Object(b)) => {
            for (k, v) in b {
                let flat = match k.as_str() {
                    "footprint_m2" => "footprint_m2",
                    "floor_area_m2" => "total_floor_area_m2",
                    "floors" => "floors",
                    "height_m" => "height_m",
                    "green_m2" => "green_area_m2",
                    "basement_m2" => "basement_area_m2",
                    _ => {
                        return Err(PermitError::invalid(
                            &format!("building.{k}"),
                            format!("Isian building.{k} tidak dikenal."),
                            format!("Unknown field building.{k}."),
                        ));
                    }
                };
                m.entry(flat).or_insert(v);
            }
        }
        Some(_) => {
            return Err(PermitError::invalid(
                "building",
                "Isian building harus berupa objek angka bangunan.",
                "The field building must be an object of building figures.",
            ));
        }
    }
    Ok(())
}

fn parse_body(m: &Map<String, Value>, create: bool) -> Result<Body, PermitError> {
    let mut m = m.clone();
    check_style_aliases(&mut m)?;
    let m = &m;
    let mut vals = Vec::new();
    for (name, kind) in FIELDS {
        if let Some(v) = m.get(*name) {
            let val = field_value(name, *kind, v)?;
            let empty = matches!(&val, Val::Text(None) | Val::Num(None) | Val::Int(None));
            if empty && REQUIRED.contains(name) {
                return Err(PermitError::invalid(
                    name,
                    format!("Isian {name} wajib diisi."),
                    format!("The field {name} is required."),
                ));
            }
            vals.push((*name, val));
        } else if create && REQUIRED.contains(name) {
            return Err(PermitError::invalid(
                name,
                format!("Isian {name} wajib diisi."),
                format!("The field {name} is required."),
            ));
        }
    }
    let parcel = match m.get("parcel") {
        Some(p) => Some(parcel_geojson("parcel", p, m.get("crs"))?),
        None if create => {
            return Err(PermitError::invalid(
                "parcel",
                "Poligon persil wajib diisi.",
                "The parcel polygon is required.",
            ));
        }
        None => None,
    };
    Ok(Body { vals, parcel })
}

async fn check_kbli(conn: &mut PgConnection, body: &Body) -> Result<(), PermitError> {
    for (name, v) in &body.vals {
        if *name == "kbli_code"
            && let Val::Text(Some(code)) = v
        {
            let known: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM activities WHERE kbli_code = $1)")
                    .bind(code)
                    .fetch_one(&mut *conn)
                    .await?;
            if !known {
                let mut e = PermitError::invalid(
                    "kbli_code",
                    format!(
                        "Kode KBLI {code} tidak dikenal. Cari kodenya di /api/activities?q=..."
                    ),
                    format!("Unknown KBLI code {code}. Look it up at /api/activities?q=..."),
                );
                e.code = "unknown_kbli";
                return Err(e);
            }
        }
    }
    Ok(())
}

fn bind_val<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    v: &Val,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    match v.clone() {
        Val::Text(t) => q.bind(t),
        Val::Num(n) => q.bind(n),
        Val::Int(i) => q.bind(i),
    }
}

/// Maps constraint violations of an insert or update to 422 (the Rust checks catch nearly
/// everything first; this keeps the rest from being a 500).
fn constraint(e: sqlx::Error) -> PermitError {
    if let sqlx::Error::Database(d) = &e
        && matches!(
            d.code().as_deref(),
            Some("23514") | Some("23503") | Some("22P02") | Some("XX000")
        )
    {
        let c = d.constraint().unwrap_or("");
        let field =
            if c.contains("parcel") || c.contains("geom") || d.code().as_deref() == Some("XX000") {
                "parcel"
            } else {
                "body"
            };
        return PermitError::invalid(
            field,
            format!("Data ditolak oleh pemeriksaan basis data ({c})."),
            format!("The data was refused by a database check ({c})."),
        );
    }
    e.into()
}

const KELURAHAN_SQL: &str = "UPDATE applications a SET kelurahan_code = (
        SELECT k.code FROM admin_areas k
         WHERE k.level = 'kelurahan' AND ST_Intersects(k.geom, a.parcel)
         ORDER BY ST_Area(ST_Intersection(k.geom, a.parcel)) DESC LIMIT 1)
     WHERE a.id = $1";

async fn append_event(
    conn: &mut PgConnection,
    id: Uuid,
    caller: &Caller,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
    data: Value,
) -> Result<(), PermitError> {
    sqlx::query(
        "INSERT INTO application_events (application_id, actor_id, actor_role, from_status,
                                         to_status, note, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(caller.user_id)
    .bind(caller.role.as_str())
    .bind(from.map(Status::as_str))
    .bind(to.as_str())
    .bind(note)
    .bind(data)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------

/// `POST /api/applications`: a new draft owned by the caller (applicants and admins).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    if caller.role != Role::Pemohon && caller.role != Role::Admin {
        return Err(PermitError::forbidden(
            format!(
                "Permohonan dibuat oleh pemohon sendiri; peran Anda ({}) tidak membuat permohonan.",
                caller.role
            ),
            format!(
                "Applications are created by applicants themselves; your role ({}) does not create them.",
                caller.role
            ),
        ));
    }
    let m = json_object(&headers, &body)?;
    let b = parse_body(&m, true)?;
    let mut tx = state.pool.begin().await?;
    check_kbli(&mut tx, &b).await?;
    let mut cols: Vec<&str> = vec!["reference", "applicant_id", "parcel"];
    let mut exprs: Vec<String> = vec![
        "'PKKPR-' || to_char(now() AT TIME ZONE 'Asia/Makassar', 'YYYY') || '-' || \
         lpad(nextval('application_number_seq')::text, 6, '0')"
            .into(),
        "$1".into(),
        "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))".into(),
    ];
    for (i, (name, _)) in b.vals.iter().enumerate() {
        cols.push(name);
        exprs.push(format!("${}", i + 3));
    }
    let sql = format!(
        "INSERT INTO applications ({}) VALUES ({}) RETURNING id",
        cols.join(", "),
        exprs.join(", ")
    );
    let mut q = sqlx::query(&sql)
        .bind(caller.user_id)
        .bind(b.parcel.clone().unwrap_or_default());
    for (_, v) in &b.vals {
        q = bind_val(q, v);
    }
    let row = q.fetch_one(&mut *tx).await.map_err(constraint)?;
    let id: Uuid = row.try_get("id")?;
    sqlx::query(KELURAHAN_SQL)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    append_event(
        &mut tx,
        id,
        &caller,
        None,
        Status::Draft,
        Some("Draf permohonan dibuat / draft created"),
        json!({"action": "create"}),
    )
    .await?;
    let h = head(&mut tx, id, false)
        .await?
        .ok_or_else(PermitError::application_not_found)?;
    let v = full_json(&mut tx, &caller, &h).await?;
    tx.commit().await?;
    let mut res = app_response(StatusCode::CREATED, v, h.version);
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/applications/{id}")) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

/// `GET /api/applications/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, PermitError> {
    let id = parse_id(&id)?;
    let mut conn = state.pool.acquire().await?;
    let h = visible_head(&mut conn, &caller, id, false).await?;
    let v = full_json(&mut conn, &caller, &h).await?;
    Ok(app_response(StatusCode::OK, v, h.version))
}

/// `PATCH /api/applications/{id}`: the owner edits a DRAFT or RETURNED application.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    let id = parse_id(&id)?;
    let mut tx = state.pool.begin().await?;
    let h = visible_head(&mut tx, &caller, id, true).await?;
    if caller.user_id != h.applicant_id {
        return Err(PermitError::forbidden(
            "Hanya pemohon pemilik permohonan ini yang boleh mengubahnya.",
            "Only the applicant who owns this application may edit it.",
        ));
    }
    check_if_match(&headers, h.version)?;
    if !matches!(h.status, Status::Draft | Status::Returned) {
        return Err(PermitError::wrong_state(
            format!(
                "Permohonan hanya dapat diubah saat berstatus DRAFT atau RETURNED; kini {}.",
                h.status.as_str()
            ),
            format!(
                "An application can only be edited in DRAFT or RETURNED; it is {}.",
                h.status.as_str()
            ),
        ));
    }
    let m = json_object(&headers, &body)?;
    let b = parse_body(&m, false)?;
    check_kbli(&mut tx, &b).await?;
    let mut sets: Vec<String> = vec!["version = version + 1".into(), "updated_at = now()".into()];
    let mut n = 1;
    if b.parcel.is_some() {
        n += 1;
        sets.push(format!(
            "parcel = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${n}), 4326))"
        ));
    }
    for (name, _) in &b.vals {
        n += 1;
        sets.push(format!("{name} = ${n}"));
    }
    let sql = format!("UPDATE applications SET {} WHERE id = $1", sets.join(", "));
    let mut q = sqlx::query(&sql).bind(id);
    if let Some(p) = &b.parcel {
        q = q.bind(p.clone());
    }
    for (_, v) in &b.vals {
        q = bind_val(q, v);
    }
    q.execute(&mut *tx).await.map_err(constraint)?;
    if b.parcel.is_some() {
        sqlx::query(KELURAHAN_SQL)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let mut changed: Vec<&str> = b.vals.iter().map(|(n, _)| *n).collect();
    if b.parcel.is_some() {
        changed.insert(0, "parcel");
    }
    append_event(
        &mut tx,
        id,
        &caller,
        Some(h.status),
        h.status,
        Some(&format!("Data diubah / edited: {}", changed.join(", "))),
        json!({"action": "edit", "fields": changed}),
    )
    .await?;
    let h = head(&mut tx, id, false)
        .await?
        .ok_or_else(PermitError::application_not_found)?;
    let v = full_json(&mut tx, &caller, &h).await?;
    tx.commit().await?;
    Ok(app_response(StatusCode::OK, v, h.version))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /api/applications[?status=S]`: the caller's applications (applicants) or all.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Response, PermitError> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(&s.to_ascii_uppercase()).ok_or_else(|| {
            PermitError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Parameter status tidak dikenal; gunakan DRAFT, SUBMITTED, ADMIN_CHECK, RETURNED, TECHNICAL_REVIEW, FORUM_REVIEW, DECIDED atau ISSUED.",
                "Unknown status; use DRAFT, SUBMITTED, ADMIN_CHECK, RETURNED, TECHNICAL_REVIEW, FORUM_REVIEW, DECIDED or ISSUED.",
            )
        })?),
    };
    let own_only = caller.role == Role::Pemohon;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query(
        "SELECT a.id, a.status, a.decision, jsonb_build_object(
                'id', a.id, 'reference', a.reference, 'status', a.status,
                'kbli_code', a.kbli_code, 'activity_title', act.title,
                'applicant_name', a.applicant_name, 'kelurahan_code', a.kelurahan_code,
                'decision', a.decision, 'permit_number', a.permit_number,
                'version', a.version, 'created_at', a.created_at,
                'submitted_at', a.submitted_at, 'updated_at', a.updated_at) AS doc
           FROM applications a LEFT JOIN activities act ON act.kbli_code = a.kbli_code
          WHERE ($1::uuid IS NULL OR a.applicant_id = $1)
            AND ($2::text IS NULL OR a.status = $2)
          ORDER BY a.updated_at DESC, a.id
          LIMIT 2000",
    )
    .bind(own_only.then_some(caller.user_id))
    .bind(status.map(Status::as_str))
    .fetch_all(&mut *conn)
    .await?;
    let mut heads = Vec::with_capacity(rows.len());
    let mut docs = Vec::with_capacity(rows.len());
    for r in rows {
        let id: Uuid = r.try_get("id")?;
        let s: String = r.try_get("status")?;
        let d: Option<String> = r.try_get("decision")?;
        let st = Status::parse(&s).unwrap_or(Status::Draft);
        heads.push((id, st, d.as_deref().and_then(Decision::parse)));
        docs.push(r.try_get::<Value, _>("doc")?);
    }
    let s = slas(&mut conn, &heads).await?;
    for (doc, (id, st, _)) in docs.iter_mut().zip(&heads) {
        if let Some(x) = s.get(id) {
            put_sla(doc, x);
        }
        let (lid, len) = st.label();
        doc["status_label_id"] = json!(lid);
        doc["status_label_en"] = json!(len);
    }
    let mut res = Json(json!({"applications": docs})).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}

/// `GET /api/applications/overdue`: open applications past the 20-day target, most overdue
/// first, with the days spent in each state.
pub async fn overdue(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, PermitError> {
    caller.require(&[Role::Operator, Role::Verifikator, Role::Pejabat])?;
    let mut conn = state.pool.acquire().await?;
    let rows = sqlx::query(
        "SELECT a.id, a.status, a.decision, jsonb_build_object(
                'id', a.id, 'reference', a.reference, 'status', a.status,
                'kbli_code', a.kbli_code, 'activity_title', act.title,
                'applicant_name', a.applicant_name, 'submitted_at', a.submitted_at,
                'updated_at', a.updated_at, 'version', a.version) AS doc
           FROM applications a LEFT JOIN activities act ON act.kbli_code = a.kbli_code
          WHERE a.status IN ('SUBMITTED', 'ADMIN_CHECK', 'TECHNICAL_REVIEW', 'FORUM_REVIEW', 'DECIDED')
            AND a.decision IS DISTINCT FROM 'rejected'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut heads = Vec::new();
    let mut docs = Vec::new();
    for r in rows {
        let id: Uuid = r.try_get("id")?;
        let s: String = r.try_get("status")?;
        let d: Option<String> = r.try_get("decision")?;
        heads.push((
            id,
            Status::parse(&s).unwrap_or(Status::Submitted),
            d.as_deref().and_then(Decision::parse),
        ));
        docs.push(r.try_get::<Value, _>("doc")?);
    }
    let s = slas(&mut conn, &heads).await?;
    let mut out: Vec<(f64, Value)> = Vec::new();
    for (mut doc, (id, _, _)) in docs.into_iter().zip(&heads) {
        if let Some(x) = s.get(id)
            && x.overdue
        {
            put_sla(&mut doc, x);
            out.push((x.sla_days_used, doc));
        }
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<Value> = out.into_iter().map(|(_, v)| v).collect();
    Ok(Json(json!({"target_days": SLA_DAYS, "applications": list})).into_response())
}

// ---------------------------------------------------------------------------------------
// Workflow actions
// ---------------------------------------------------------------------------------------

fn opt_text(m: &Map<String, Value>, field: &str) -> Result<Option<String>, PermitError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > 10_000 {
                return Err(PermitError::invalid(
                    field,
                    format!("Isian {field} terlalu panjang (maks. 10.000 karakter)."),
                    format!("The field {field} is too long (at most 10,000 characters)."),
                ));
            }
            Ok(Some(s.to_string()).filter(|s| !s.is_empty()))
        }
        Some(_) => Err(PermitError::invalid(
            field,
            format!("Isian {field} harus berupa teks."),
            format!("The field {field} must be a string."),
        )),
    }
}

fn need(field: &str, why_id: &str, why_en: &str) -> PermitError {
    PermitError::invalid(
        field,
        format!("Isian {field} wajib diisi: {why_id}."),
        format!("The field {field} is required: {why_en}."),
    )
}

/// `conditions` as text: a string, or a list of strings (one per line).
fn conditions_text(m: &Map<String, Value>) -> Result<Option<String>, PermitError> {
    match m.get("conditions") {
        Some(Value::Array(items)) => {
            let mut lines = Vec::new();
            for it in items {
                match it {
                    Value::String(s) if !s.trim().is_empty() => lines.push(s.trim().to_string()),
                    Value::String(_) => {}
                    _ => {
                        return Err(PermitError::invalid(
                            "conditions",
                            "Isian conditions harus berupa teks atau larik teks.",
                            "The field conditions must be a string or an array of strings.",
                        ));
                    }
                }
            }
            Ok(Some(lines.join("\n")).filter(|s| !s.is_empty()))
        }
        _ => opt_text(m, "conditions"),
    }
}

/// The engine's input for a stored application.
/// The columns [`check_input_of_row`] reads from `applications` (besides `wkb`, the parcel as
/// `ST_AsBinary` in EPSG:32751, which the caller selects).
pub const CHECK_INPUT_COLUMNS: &str = "kbli_code, footprint_m2::float8 AS footprint,
    total_floor_area_m2::float8 AS floor_area, floors, height_m::float8 AS height,
    green_area_m2::float8 AS green, basement_area_m2::float8 AS basement,
    declared_land_area_m2::float8 AS declared";

/// The check input of an application row selected with [`CHECK_INPUT_COLUMNS`] and `wkb`.
pub fn check_input_of_row(r: &sqlx::postgres::PgRow) -> Result<CheckInput, sqlx::Error> {
    let wkb: Vec<u8> = r.try_get("wkb")?;
    let parcel = crate::check::wkb::multipolygon(&wkb)
        .map_err(|e| sqlx::Error::Decode(format!("application parcel: {e}").into()))?;
    let floors: Option<i32> = r.try_get("floors")?;
    Ok(CheckInput {
        parcel: Utm51s::new(parcel),
        footprint: None,
        kbli: r.try_get("kbli_code")?,
        building: BuildingFigures {
            footprint_m2: r.try_get("footprint")?,
            floor_area_m2: r.try_get("floor_area")?,
            floors: floors.map(i64::from),
            height_m: r.try_get("height")?,
            green_m2: r.try_get("green")?,
            basement_m2: r.try_get("basement")?,
        },
        declared_land_area_m2: r.try_get("declared")?,
        variant: None,
    })
}

async fn check_input(conn: &mut PgConnection, id: Uuid) -> Result<CheckInput, PermitError> {
    let r = sqlx::query(&format!(
        "SELECT ST_AsBinary(ST_Transform(parcel, 32751)) AS wkb, {CHECK_INPUT_COLUMNS}
           FROM applications WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(check_input_of_row(&r)?)
}

/// Runs one workflow action (the shared part of `/actions/{action}` and `/transitions`).
async fn perform(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: Action,
    headers: &HeaderMap,
    m: &Map<String, Value>,
) -> Result<Response, PermitError> {
    let mut tx = state.pool.begin().await?;
    let h = visible_head(&mut tx, caller, id, true).await?;
    let verdict = workflow::permit(action, actor(caller, &h), h.status, h.decision);
    if let Err(Refusal::Role { id, en }) = &verdict {
        return Err(PermitError::forbidden(id.clone(), en.clone()));
    }
    check_if_match(headers, h.version)?;
    let spec = match verdict {
        Ok(s) => s,
        Err(Refusal::State { id, en }) | Err(Refusal::Role { id, en }) => {
            return Err(PermitError::wrong_state(id, en));
        }
    };
    let note = opt_text(m, "note")?;
    if spec.required.contains(&"note") && note.is_none() {
        return Err(need("note", "sebutkan alasannya", "say why"));
    }
    let mut data = json!({"action": action.as_str()});
    match action {
        Action::Submit => {
            let (t, nik, nib): (String, Option<String>, Option<String>) = sqlx::query_as(
                "SELECT applicant_type, applicant_nik, applicant_nib FROM applications WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if t == "perorangan" && nik.is_none() {
                return Err(need(
                    "applicant_nik",
                    "pemohon perorangan memerlukan NIK (16 angka)",
                    "an individual applicant needs a NIK (16 digits)",
                ));
            }
            if t == "badan_usaha" && nib.is_none() {
                return Err(need(
                    "applicant_nib",
                    "badan usaha memerlukan NIB (13 angka)",
                    "a business needs a NIB (13 digits)",
                ));
            }
            let rs = state.check.rule_set().await?;
            let input = check_input(&mut tx, id).await?;
            let d = crate::rules::check(&rs, &input)?;
            let result =
                crate::check::decision::decision_json(&d).map_err(|e| PermitError::internal(&e))?;
            data["check_outcome"] = json!(d.outcome.as_str());
            data["check_plan_version"] = json!(d.plan_version);
            sqlx::query(
                "UPDATE applications SET check_result = $2, check_plan_id = $3,
                        check_plan_version = $4, submitted_at = coalesce(submitted_at, now())
                  WHERE id = $1",
            )
            .bind(id)
            .bind(&result)
            .bind(d.plan_id)
            .bind(d.plan_version)
            .execute(&mut *tx)
            .await?;
        }
        Action::Decide => {
            let decision = match m.get("decision") {
                Some(Value::String(s)) => Decision::parse(s.trim()).ok_or_else(|| {
                    PermitError::invalid(
                        "decision",
                        "Isian decision harus salah satu dari: approved, approved_conditional, approved_partial, rejected.",
                        "The field decision must be one of: approved, approved_conditional, approved_partial, rejected.",
                    )
                })?,
                None | Some(Value::Null) => {
                    return Err(need(
                        "decision",
                        "approved, approved_conditional, approved_partial atau rejected",
                        "approved, approved_conditional, approved_partial or rejected",
                    ));
                }
                Some(_) => {
                    return Err(PermitError::invalid(
                        "decision",
                        "Isian decision harus berupa teks.",
                        "The field decision must be a string.",
                    ));
                }
            };
            let reason = opt_text(m, "decision_reason")?;
            let conditions = conditions_text(m)?;
            if decision == Decision::Rejected && reason.is_none() {
                return Err(need(
                    "decision_reason",
                    "penolakan harus disertai alasan",
                    "a rejection needs a reason",
                ));
            }
            if decision == Decision::ApprovedConditional && conditions.is_none() {
                return Err(need(
                    "conditions",
                    "persetujuan bersyarat memerlukan syaratnya",
                    "an approval with conditions needs the conditions",
                ));
            }
            let approved = if decision == Decision::ApprovedPartial {
                let v = m
                    .get("approved_parcel")
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| {
                        need(
                            "approved_parcel",
                            "persetujuan sebagian memerlukan poligon yang disetujui",
                            "a partial approval needs the approved polygon",
                        )
                    })?;
                let g = parcel_geojson("approved_parcel", v, m.get("crs"))?;
                let (outside, area, parcel_area): (f64, f64, f64) = sqlx::query_as(
                    "SELECT ST_Area(ST_Transform(ST_Difference(g, a.parcel), 32751)),
                            ST_Area(ST_Transform(g, 32751)), ST_Area(ST_Transform(a.parcel, 32751))
                       FROM applications a,
                            (SELECT ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)) AS g) x
                      WHERE a.id = $1",
                )
                .bind(id)
                .bind(&g)
                .fetch_one(&mut *tx)
                .await?;
                if outside > (0.001 * area).max(0.5) {
                    return Err(PermitError::invalid(
                        "approved_parcel",
                        format!(
                            "Poligon yang disetujui harus berada di dalam persil yang dimohon; {outside:.1} m² berada di luarnya."
                        ),
                        format!(
                            "The approved polygon must lie inside the parcel applied for; {outside:.1} m² lie outside it."
                        ),
                    ));
                }
                if area >= parcel_area - 0.5 {
                    return Err(PermitError::invalid(
                        "approved_parcel",
                        "Poligon persetujuan sebagian harus lebih kecil dari persil; untuk seluruh persil pilih approved.",
                        "A partial approval's polygon must be smaller than the parcel; for the whole parcel choose approved.",
                    ));
                }
                Some(g)
            } else {
                None
            };
            data["decision"] = json!(decision.as_str());
            sqlx::query(
                "UPDATE applications SET decision = $2, decision_reason = $3, conditions = $4,
                        approved_parcel = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5), 4326)),
                        decided_at = now()
                  WHERE id = $1",
            )
            .bind(id)
            .bind(decision.as_str())
            .bind(&reason)
            .bind(&conditions)
            .bind(&approved)
            .execute(&mut *tx)
            .await
            .map_err(constraint)?;
        }
        Action::Issue => {
            let years = match m.get("valid_years") {
                None | Some(Value::Null) => DEFAULT_VALID_YEARS,
                Some(Value::Number(n))
                    if n.as_i64()
                        .is_some_and(|y| (1..=MAX_VALID_YEARS as i64).contains(&y)) =>
                {
                    n.as_i64().unwrap_or(3) as i32
                }
                Some(_) => {
                    return Err(PermitError::invalid(
                        "valid_years",
                        format!("Isian valid_years harus bilangan bulat 1–{MAX_VALID_YEARS}."),
                        format!(
                            "The field valid_years must be a whole number from 1 to {MAX_VALID_YEARS}."
                        ),
                    ));
                }
            };
            let today: chrono::NaiveDate =
                sqlx::query_scalar("SELECT (now() AT TIME ZONE 'Asia/Makassar')::date")
                    .fetch_one(&mut *tx)
                    .await?;
            use chrono::Datelike;
            let year = today.year();
            let n: i32 = sqlx::query_scalar(
                "INSERT INTO permit_number_counters (year, last) VALUES ($1, 1)
                 ON CONFLICT (year) DO UPDATE SET last = permit_number_counters.last + 1
                 RETURNING last",
            )
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
            let number = format!("KKPR/{year}/{n:06}");
            data["permit_number"] = json!(number);
            sqlx::query(
                "UPDATE applications SET permit_number = $2, valid_from = $3,
                        valid_until = ($3 + make_interval(years => $4))::date, issued_at = now()
                  WHERE id = $1",
            )
            .bind(id)
            .bind(&number)
            .bind(today)
            .bind(years)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO parcels (kind, land_tenure, kelurahan_code, application_id,
                                      permit_number, kbli_code, valid_until, geom, registered_at)
                 SELECT 'izin', a.land_tenure, a.kelurahan_code, a.id, a.permit_number,
                        a.kbli_code, a.valid_until, coalesce(a.approved_parcel, a.parcel),
                        a.valid_from
                   FROM applications a WHERE a.id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        _ => {}
    }
    sqlx::query(
        "UPDATE applications SET status = $2, version = version + 1, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(spec.to.as_str())
    .execute(&mut *tx)
    .await
    .map_err(constraint)?;
    append_event(
        &mut tx,
        id,
        caller,
        Some(h.status),
        spec.to,
        note.as_deref(),
        data,
    )
    .await?;
    let h = head(&mut tx, id, false)
        .await?
        .ok_or_else(PermitError::application_not_found)?;
    let v = full_json(&mut tx, caller, &h).await?;
    tx.commit().await?;
    Ok(app_response(StatusCode::OK, v, h.version))
}

/// `POST /api/applications/{id}/actions/{action}`.
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    let id = parse_id(&id)?;
    let Some(action) = Action::parse(&action) else {
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        return Err(PermitError::not_found(
            &format!("Tindakan '{action}' (yang ada: {})", names.join(", ")),
            &format!("Action '{action}' (known: {})", names.join(", ")),
        ));
    };
    let m = json_object(&headers, &body)?;
    perform(&state, &caller, id, action, &headers, &m).await
}

/// `POST /api/applications/{id}/transitions` `{"to": "<STATE>", ...}`: the same steps named by
/// their target state (`reason` is accepted for `decision_reason`).
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    let id = parse_id(&id)?;
    let mut m = json_object(&headers, &body)?;
    let to = match m.get("to") {
        Some(Value::String(s)) => {
            Status::parse(&s.trim().to_ascii_uppercase()).ok_or_else(|| {
                PermitError::invalid(
                    "to",
                    "Status tujuan tidak dikenal.",
                    "Unknown target state.",
                )
            })?
        }
        _ => return Err(need("to", "status tujuan", "the target state")),
    };
    if let Some(r) = m.remove("reason") {
        m.entry("decision_reason").or_insert(r);
    }
    let current = {
        let mut conn = state.pool.acquire().await?;
        visible_head(&mut conn, &caller, id, false).await?.status
    };
    let action = Action::between(current, to).ok_or_else(|| {
        PermitError::wrong_state(
            format!(
                "Tidak ada langkah dari {} ke {}.",
                current.as_str(),
                to.as_str()
            ),
            format!(
                "There is no step from {} to {}.",
                current.as_str(),
                to.as_str()
            ),
        )
    })?;
    perform(&state, &caller, id, action, &headers, &m).await
}

// ---------------------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------------------

/// The media type of a file by its first bytes: PDF, JPEG or PNG.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

fn kind_in(s: &str) -> Option<&'static str> {
    match s.trim() {
        "site_plan" => Some("site_plan"),
        "photo" | "foto" => Some("foto"),
        "other" | "lainnya" => Some("lainnya"),
        "alas_hak" => Some("alas_hak"),
        _ => None,
    }
}

fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect::<String>();
    let base = base.trim().to_string();
    if base.is_empty() {
        "lampiran".into()
    } else {
        base
    }
}

fn multipart_error(e: &dyn std::fmt::Display) -> PermitError {
    PermitError::new(
        StatusCode::BAD_REQUEST,
        "bad_multipart",
        format!("Isi unggahan multipart tidak dapat dibaca ({e})."),
        format!("The multipart upload cannot be read ({e})."),
    )
}

fn too_big() -> PermitError {
    PermitError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "attachment_too_large",
        "Berkas lampiran paling besar 20 MB.",
        "An attachment may be at most 20 MB.",
    )
}

/// `POST /api/applications/{id}/attachments` (multipart: `file`, `kind`).
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PermitError> {
    let id = parse_id(&id)?;
    {
        let mut conn = state.pool.acquire().await?;
        let h = visible_head(&mut conn, &caller, id, false).await?;
        if caller.user_id != h.applicant_id {
            return Err(PermitError::forbidden(
                "Hanya pemohon pemilik permohonan ini yang boleh melampirkan berkas.",
                "Only the applicant who owns this application may attach files.",
            ));
        }
        if !matches!(h.status, Status::Draft | Status::Returned) {
            return Err(PermitError::wrong_state(
                format!(
                    "Lampiran hanya dapat ditambahkan saat DRAFT atau RETURNED; kini {}.",
                    h.status.as_str()
                ),
                format!(
                    "Attachments can only be added in DRAFT or RETURNED; it is {}.",
                    h.status.as_str()
                ),
            ));
        }
    }
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut kind = "lainnya";
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        match field.name() {
            Some("file") => {
                let name = clean_filename(field.file_name());
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_big()
                    } else {
                        multipart_error(&e)
                    }
                })? {
                    if data.len() + chunk.len() > MAX_ATTACHMENT {
                        return Err(too_big());
                    }
                    data.extend_from_slice(&chunk);
                }
                file = Some((name, data));
            }
            Some("kind") => {
                let t = field
                    .text()
                    .await
                    .map_err(|e| e.or_read(|e| multipart_error(&e)))?;
                kind = kind_in(&t).ok_or_else(|| {
                    PermitError::invalid(
                        "kind",
                        "Jenis lampiran harus site_plan, photo atau other.",
                        "The attachment kind must be site_plan, photo or other.",
                    )
                })?;
            }
            _ => {}
        }
    }
    let (filename, data) = file.ok_or_else(|| {
        PermitError::invalid(
            "file",
            "Sertakan berkas pada bagian multipart bernama file.",
            "Send the file in a multipart part named file.",
        )
    })?;
    if data.is_empty() {
        return Err(PermitError::invalid(
            "file",
            "Berkas kosong.",
            "The file is empty.",
        ));
    }
    let ct = sniff(&data).ok_or_else(|| {
        PermitError::unsupported_media_type(
            "Lampiran harus PDF, JPEG atau PNG (diperiksa dari isi berkas).",
            "An attachment must be a PDF, JPEG or PNG (judged by the file's content).",
        )
    })?;
    let sha = Sha256::digest(&data).to_vec();
    let size = data.len() as i32;
    let mut tx = state.pool.begin().await?;
    let h = visible_head(&mut tx, &caller, id, true).await?;
    if !matches!(h.status, Status::Draft | Status::Returned) {
        return Err(PermitError::wrong_state(
            "Status permohonan berubah selama unggahan.",
            "The application's status changed during the upload.",
        ));
    }
    let aid: Uuid = sqlx::query_scalar(
        "INSERT INTO application_attachments (application_id, kind, filename, content_type,
                                              size_bytes, sha256, data, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(id)
    .bind(kind)
    .bind(&filename)
    .bind(ct)
    .bind(size)
    .bind(&sha)
    .bind(&data)
    .bind(caller.user_id)
    .fetch_one(&mut *tx)
    .await?;
    append_event(
        &mut tx,
        id,
        &caller,
        Some(h.status),
        h.status,
        Some(&format!("Lampiran / attachment: {filename}")),
        json!({"action": "attach", "attachment_id": aid, "kind": kind_out(kind)}),
    )
    .await?;
    tx.commit().await?;
    let url = format!("/api/applications/{id}/attachments/{aid}");
    let mut res = (
        StatusCode::CREATED,
        Json(json!({
            "id": aid, "filename": filename, "content_type": ct, "size_bytes": size,
            "kind": kind_out(kind), "url": url,
        })),
    )
        .into_response();
    if let Ok(loc) = HeaderValue::from_str(&url) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

/// `GET /api/applications/{id}/attachments/{aid}`.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, PermitError> {
    let id = parse_id(&id)?;
    let not_found = || PermitError::not_found("Lampiran", "The attachment");
    let aid = Uuid::parse_str(&aid).map_err(|_| not_found())?;
    let mut conn = state.pool.acquire().await?;
    visible_head(&mut conn, &caller, id, false).await?;
    let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT filename, content_type, data FROM application_attachments
          WHERE id = $1 AND application_id = $2",
    )
    .bind(aid)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (filename, ct, data) = row.ok_or_else(not_found)?;
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let mut res = data.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;

    #[test]
    fn service_clock_counts_only_the_citys_days() {
        // 2 days draft, 5 submitted, 3 admin check, 4 returned (applicant), 1 submitted,
        // 12 technical review so far
        let ev = [
            (Status::Draft, 0.0),
            (Status::Submitted, 2.0 * DAY),
            (Status::AdminCheck, 7.0 * DAY),
            (Status::Returned, 10.0 * DAY),
            (Status::Submitted, 14.0 * DAY),
            (Status::TechnicalReview, 15.0 * DAY),
        ];
        let s = sla(&ev, 27.0 * DAY, Status::TechnicalReview, None);
        assert_eq!(s.days_in_state, 12.0);
        assert_eq!(s.sla_days_used, 5.0 + 3.0 + 1.0 + 12.0);
        assert_eq!(s.sla_days_left, -1.0);
        assert!(s.overdue);
        assert_eq!(s.days_by_state["SUBMITTED"], 6.0);
        assert_eq!(s.days_by_state["RETURNED"], 4.0);
        // an edit inside a state does not restart its days
        let mut ev3 = ev.to_vec();
        ev3.push((Status::TechnicalReview, 20.0 * DAY));
        assert_eq!(
            sla(&ev3, 27.0 * DAY, Status::TechnicalReview, None).days_in_state,
            12.0
        );
        // a rejection stops the clock
        let mut ev2 = ev.to_vec();
        ev2.push((Status::Decided, 16.0 * DAY));
        let s = sla(&ev2, 40.0 * DAY, Status::Decided, Some(Decision::Rejected));
        assert_eq!(s.sla_days_used, 5.0 + 3.0 + 1.0 + 1.0);
        assert!(!s.overdue);
    }

    #[test]
    fn files_are_judged_by_their_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(clean_filename(Some("../../etc/pass\"wd")), "passwd");
        assert_eq!(clean_filename(None), "lampiran");
    }

    #[test]
    fn if_match_needs_the_current_strong_version() {
        let mut h = HeaderMap::new();
        assert_eq!(
            check_if_match(&h, 3).unwrap_err().status,
            StatusCode::PRECONDITION_REQUIRED
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(
            check_if_match(&h, 3).unwrap_err().status,
            StatusCode::PRECONDITION_REQUIRED
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"2\""));
        assert_eq!(
            check_if_match(&h, 3).unwrap_err().status,
            StatusCode::PRECONDITION_FAILED
        );
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"3\""));
        assert!(check_if_match(&h, 3).is_ok());
    }
}
