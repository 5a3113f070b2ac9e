//! `POST /api/check`, `GET /api/zoning/at`, `GET /api/activities`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::geojson::{self, RequestError};
use crate::AppState;
use crate::error::{ApiError, PROBLEM_JSON};
use crate::rules::{BuildingFigures, CheckInput, Decision, ItbxClass, RuleSet};

pub const GEO_JSON: &str = "application/geo+json";

pub fn routes(state: &AppState) -> Router<AppState> {
    let limit = crate::http::limit::Limit::new(
        state.config.check_rate_per_sec,
        "too_many_requests",
        "pemeriksaan",
        "checks",
    );
    Router::new()
        .route(
            "/api/check",
            post(check).layer(middleware::from_fn_with_state(
                limit,
                crate::http::limit::rate_limit,
            )),
        )
        .route("/api/zoning/at", get(zoning_at))
        .route("/api/activities", get(activities))
}

/// Everything these handlers answer with when they do not answer 200.
pub enum CheckApiError {
    Api(ApiError),
    Request(RequestError),
}

impl From<ApiError> for CheckApiError {
    fn from(e: ApiError) -> Self {
        CheckApiError::Api(e)
    }
}

impl From<RequestError> for CheckApiError {
    fn from(e: RequestError) -> Self {
        CheckApiError::Request(e)
    }
}

impl From<super::LoadError> for CheckApiError {
    fn from(e: super::LoadError) -> Self {
        CheckApiError::Api(e.into())
    }
}

impl IntoResponse for CheckApiError {
    fn into_response(self) -> Response {
        match self {
            CheckApiError::Api(e) => e.into_response(),
            CheckApiError::Request(e) => {
                let status =
                    StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
                let kind = e.code.replace('_', "-");
                let mut body = json!({
                    "type": format!("https://ruang.kupangkota.go.id/problems/{kind}"),
                    "title": status.canonical_reason().unwrap_or("Error"),
                    "status": status.as_u16(),
                    "detail": e.detail_id,
                    "detail_en": e.detail_en,
                    "code": e.code,
                });
                if let Some(f) = e.field {
                    body["field"] = json!(f);
                }
                if !e.suggestions.is_empty() {
                    body["suggestions"] = json!(e.suggestions);
                }
                let mut res = (status, body.to_string()).into_response();
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
        }
    }
}

/// The body of `POST /api/check`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    parcel: Value,
    #[serde(default)]
    crs: Option<String>,
    kbli: Value,
    #[serde(default)]
    building: Option<Value>,
    #[serde(default)]
    footprint: Option<Value>,
    #[serde(default)]
    declared_land_area_m2: Option<Value>,
    #[serde(default)]
    variant: Option<String>,
}

const FIGURES: &[&str] = &[
    "footprint_m2",
    "floor_area_m2",
    "floors",
    "height_m",
    "green_m2",
    "basement_m2",
];

fn field_error(field: &str, id: String, en: String) -> RequestError {
    RequestError::new(422, "invalid_field", Some(field), id, en)
}

fn number(field: &str, v: &Value) -> Result<Option<f64>, RequestError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        _ => Err(field_error(
            field,
            format!("Isian {field} harus berupa angka."),
            format!("The field {field} must be a number."),
        )),
    }
}

fn building(v: Option<&Value>) -> Result<BuildingFigures, RequestError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BuildingFigures::default());
    };
    let obj = v.as_object().ok_or_else(|| {
        field_error(
            "building",
            "Isian building harus berupa objek angka bangunan.".into(),
            "The field building must be an object of building figures.".into(),
        )
    })?;
    let mut b = BuildingFigures::default();
    for (k, v) in obj {
        let field = format!("building.{k}");
        let n = number(&field, v)?;
        match k.as_str() {
            "footprint_m2" => b.footprint_m2 = n,
            "floor_area_m2" => b.floor_area_m2 = n,
            "height_m" => b.height_m = n,
            "green_m2" => b.green_m2 = n,
            "basement_m2" => b.basement_m2 = n,
            "floors" => {
                b.floors = match n {
                    None => None,
                    Some(f) if f.fract() == 0.0 && f.abs() < 1e9 => Some(f as i64),
                    Some(_) => {
                        return Err(field_error(
                            &field,
                            "Jumlah lantai harus bilangan bulat.".into(),
                            "The number of floors must be a whole number.".into(),
                        ));
                    }
                }
            }
            _ => {
                return Err(field_error(
                    &field,
                    format!(
                        "Isian {field} tidak dikenal; yang dikenal: {}.",
                        FIGURES.join(", ")
                    ),
                    format!("Unknown field {field}; known: {}.", FIGURES.join(", ")),
                ));
            }
        }
    }
    Ok(b)
}

fn is_json_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

fn wants_geojson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains(GEO_JSON))
}

/// Parses the body into the engine's input (the shared part of the HTTP route and the CLI).
pub fn parse_request(body: &[u8], rs: &RuleSet) -> Result<CheckInput, RequestError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        RequestError::new(
            400,
            "bad_json",
            None,
            format!("Isi permintaan bukan JSON yang sah ({e})."),
            format!("The request body is not valid JSON ({e})."),
        )
    })?;
    if !v.is_object() {
        return Err(RequestError::new(
            400,
            "bad_json",
            None,
            "Isi permintaan harus berupa objek JSON.".into(),
            "The request body must be a JSON object.".into(),
        ));
    }
    let req: CheckRequest = serde_json::from_value(v).map_err(|e| {
        RequestError::new(
            422,
            "invalid_field",
            None,
            format!("Isian permintaan tidak sah: {e}."),
            format!("Invalid request field: {e}."),
        )
    })?;
    let crs = geojson::input_crs(req.crs.as_deref()).ok_or_else(|| {
        let shown: String = req.crs.clone().unwrap_or_default().chars().take(60).collect();
        field_error(
            "crs",
            format!("CRS \"{shown}\" tidak didukung; gunakan EPSG:4326/CRS84 (bujur, lintang), EPSG:32751 atau EPSG:23840."),
            format!("CRS \"{shown}\" is not supported; use EPSG:4326/CRS84 (lon, lat), EPSG:32751 or EPSG:23840."),
        )
    })?;
    let kbli = match &req.kbli {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(field_error(
                "kbli",
                "Isian kbli harus berupa kode KBLI 5 angka, misalnya \"47111\".".into(),
                "The field kbli must be a 5-digit KBLI code, e.g. \"47111\".".into(),
            ));
        }
    };
    let max = rs.tolerances().max_vertices;
    let parcel = geojson::request_geometry("parcel", &req.parcel, crs, max)?;
    let footprint = match req.footprint.as_ref().filter(|f| !f.is_null()) {
        Some(f) => Some(geojson::request_geometry("footprint", f, crs, max)?),
        None => None,
    };
    let declared = match &req.declared_land_area_m2 {
        Some(v) => number("declared_land_area_m2", v)?,
        None => None,
    };
    Ok(CheckInput {
        parcel,
        footprint,
        kbli,
        building: building(req.building.as_ref())?,
        declared_land_area_m2: declared,
        variant: req.variant.filter(|v| !v.is_empty()),
    })
}

/// The decision as JSON, with every geometry in lon/lat (CRS84).
pub fn decision_json(d: &Decision) -> Result<Value, String> {
    let mut v = serde_json::to_value(d).map_err(|e| e.to_string())?;
    for (i, f) in d.findings.iter().enumerate() {
        if let Some(g) = &f.geometry {
            v["findings"][i]["geometry"] = geojson::lonlat_geojson(g)?;
        }
    }
    if let Some(g) = &d.compliant_polygon {
        v["compliant_polygon"] = geojson::lonlat_geojson(g)?;
    }
    v["geometry_crs"] = json!("OGC:CRS84");
    Ok(v)
}

/// The findings as a GeoJSON FeatureCollection (lon/lat); the decision's other fields are
/// foreign members of the collection.
pub fn decision_feature_collection(d: &Decision) -> Result<Value, String> {
    let mut v = decision_json(d)?;
    let findings = v
        .get_mut("findings")
        .map(Value::take)
        .unwrap_or(Value::Array(vec![]));
    let features: Vec<Value> = findings
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let mut props = f.clone();
            let geometry = props
                .as_object_mut()
                .and_then(|o| o.remove("geometry"))
                .unwrap_or(Value::Null);
            json!({"type": "Feature", "geometry": geometry, "properties": props})
        })
        .collect();
    if let Some(o) = v.as_object_mut() {
        o.remove("findings");
        o.insert("type".into(), json!("FeatureCollection"));
        o.insert("features".into(), Value::Array(features));
    }
    Ok(v)
}

async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CheckApiError> {
    if !is_json_type(&headers) {
        return Err(RequestError::new(
            415,
            "unsupported_media_type",
            None,
            "Kirimkan isi permintaan sebagai JSON (Content-Type: application/json).".into(),
            "Send the request body as JSON (Content-Type: application/json).".into(),
        )
        .into());
    }
    let current = state.check.current().await?;
    let rs = &current.rules;
    let input = parse_request(&body, rs)?;
    let started = std::time::Instant::now();
    let decision = crate::rules::check(rs, &input).map_err(RequestError::from)?;
    crate::metrics::record_check(started.elapsed());
    let (v, ct) = if wants_geojson(&headers) {
        (decision_feature_collection(&decision), GEO_JSON)
    } else {
        (decision_json(&decision), "application/json")
    };
    let mut v = v.map_err(|e| ApiError::internal(&e))?;
    v["rule_set"] = rule_set_json(&current);
    let mut res = (StatusCode::OK, v.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    rule_set_header(&mut res, &current);
    Ok(res)
}

/// `Ruang-Rule-Set`: which plan version an answer was computed from, and whether that rule
/// set is stale (a rebuild after a change failed, e.g. while the database is unreachable):
/// `plan=3; version=2; current` or `plan=3; version=2; stale; since=2026-12-05T08:00:00Z`.
pub const RULE_SET_HEADER: &str = "ruang-rule-set";

fn rule_set_header(res: &mut Response, c: &super::Current) {
    let plan = c.rules.plan();
    let v = match c.stale_since {
        None => format!("plan={}; version={}; current", plan.id, plan.version),
        Some(t) => format!(
            "plan={}; version={}; stale; since={}",
            plan.id,
            plan.version,
            chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%dT%H:%M:%SZ")
        ),
    };
    if let Ok(v) = HeaderValue::from_str(&v) {
        res.headers_mut().insert(RULE_SET_HEADER, v);
    }
}

/// The same as a JSON member of the answer.
fn rule_set_json(c: &super::Current) -> Value {
    let plan = c.rules.plan();
    json!({
        "plan_id": plan.id,
        "plan_version": plan.version,
        "current": c.stale_since.is_none(),
        "stale_since": c.stale_since.map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()),
    })
}

#[derive(Deserialize)]
struct AtQuery {
    lon: Option<String>,
    lat: Option<String>,
}

fn coord_param(name: &str, v: Option<&str>, range: f64) -> Result<f64, RequestError> {
    let bad = |id: String, en: String| RequestError::new(400, "bad_request", Some(name), id, en);
    let s = v.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
        bad(
            format!(
                "Parameter {name} wajib diisi (derajat desimal, misalnya lon=123.6&lat=-10.17)."
            ),
            format!(
                "The parameter {name} is required (decimal degrees, e.g. lon=123.6&lat=-10.17)."
            ),
        )
    })?;
    let x: f64 = s
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite())
        .ok_or_else(|| {
            bad(
                format!("Parameter {name} harus berupa angka derajat desimal."),
                format!("The parameter {name} must be a number of decimal degrees."),
            )
        })?;
    if x.abs() > range {
        return Err(bad(
            format!("Parameter {name} harus di antara -{range} dan {range}."),
            format!("The parameter {name} must be between -{range} and {range}."),
        ));
    }
    Ok(x)
}

fn activity_entry(rs: &RuleSet, kbli: &str, codes: &[String]) -> Value {
    let a = rs.activity(kbli);
    let conditions: Vec<Value> = codes
        .iter()
        .map(|c| match rs.condition(c) {
            Some(t) => json!({"code": c, "text_id": t.text_id, "text_en": t.text_en}),
            None => json!({"code": c}),
        })
        .collect();
    let mut v = json!({
        "kbli_code": kbli,
        "title": a.map(|a| a.title.as_str()),
        "title_en": a.map(|a| a.title_en.as_str()),
    });
    if !conditions.is_empty() {
        v["conditions"] = Value::Array(conditions);
    }
    v
}

/// The zone, sub-zone, intensity rules and ITBX lists of one sub-zone (`/api/zoning/at`).
pub fn zone_info(rs: &RuleSet, zone: &crate::rules::Zone) -> Value {
    let mut lists: HashMap<ItbxClass, Vec<Value>> = HashMap::new();
    for r in rs.itbx_in(&zone.subzone_code) {
        lists.entry(r.class).or_default().push(activity_entry(
            rs,
            &r.kbli_code,
            &r.condition_codes,
        ));
    }
    let mut take = |c: ItbxClass| Value::Array(lists.remove(&c).unwrap_or_default());
    json!({
        "zone_id": zone.id,
        "zone_code": zone.zone_code,
        "subzone_code": zone.subzone_code,
        "name": zone.name,
        "block_code": zone.block_code,
        "kelurahan_code": zone.kelurahan_code,
        "subzone": rs.subzone(&zone.subzone_code),
        "rules": rs.zone_rule(&zone.subzone_code, ""),
        "activities": {
            "I": take(ItbxClass::I),
            "T": take(ItbxClass::T),
            "B": take(ItbxClass::B),
            "X": take(ItbxClass::X),
        },
    })
}

async fn zoning_at(
    State(state): State<AppState>,
    Query(q): Query<AtQuery>,
) -> Result<Response, CheckApiError> {
    let lon = coord_param("lon", q.lon.as_deref(), 180.0)?;
    let lat = coord_param("lat", q.lat.as_deref(), 90.0)?;
    let current = state.check.current().await?;
    let rs = &current.rules;
    let (x, y) = geojson::point(lon, lat, true).map_err(|e| ApiError::internal(&e))?;
    let zones = rs.zones_at(x, y);
    let Some(first) = zones.first() else {
        return Err(ApiError::not_found(
            &format!("Zona RDTR di titik ({lon}, {lat})"),
            &format!("A zoning plan zone at ({lon}, {lat})"),
        )
        .into());
    };
    let plan = rs.plan();
    let mut v = zone_info(rs, first);
    v["lon"] = json!(lon);
    v["lat"] = json!(lat);
    v["plan"] = json!({"id": plan.id, "version": plan.version, "name": plan.name});
    // a point on a shared edge lies in several zones
    v["also_in_zones"] = json!(zones[1..].iter().map(|z| z.id).collect::<Vec<_>>());
    v["rule_set"] = rule_set_json(&current);
    let mut res = axum::Json(v).into_response();
    rule_set_header(&mut res, &current);
    Ok(res)
}

#[derive(Deserialize)]
struct ActivitiesQuery {
    q: Option<String>,
    limit: Option<String>,
}

async fn activities(
    State(state): State<AppState>,
    Query(q): Query<ActivitiesQuery>,
) -> Result<Response, CheckApiError> {
    let query = q.q.as_deref().map(str::trim).unwrap_or("");
    if query.is_empty() {
        return Err(ApiError::bad_request(
            "Parameter q wajib diisi: kode KBLI (awalan) atau kata kunci, misalnya q=minimarket.",
            "The parameter q is required: a KBLI code (prefix) or words, e.g. q=minimarket.",
        )
        .into());
    }
    let limit = match q.limit.as_deref() {
        None => 20,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "Parameter limit harus bilangan 1–100.",
                    "The parameter limit must be a number from 1 to 100.",
                )
            })?,
    };
    let current = state.check.current().await?;
    let found = current.rules.suggest_activities(query, limit);
    let mut res = axum::Json(json!({"query": query, "activities": found})).into_response();
    rule_set_header(&mut res, &current);
    Ok(res)
}
