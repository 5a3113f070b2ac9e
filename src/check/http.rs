//! `POST /api/check`, `GET /api/zoning/at`, `GET /api/activities`: the handlers. The body's
//! reading is [`super::request`], the decision's JSON [`super::decision`].

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

use super::decision::{decision_feature_collection, decision_json};
use super::geojson::{self, RequestError};
use super::request::parse_request;
use crate::AppState;
use crate::error::ApiError;
use crate::rules::{ItbxClass, RuleSet};

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

fn wants_geojson(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains(GEO_JSON))
}

async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    crate::http::body::require_json(&headers, true)?;
    let current = state.check.current().await?;
    let rs = &current.rules;
    let input = parse_request(&body, rs)?;
    let started = std::time::Instant::now();
    let decision = crate::rules::check(rs, &input)?;
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
) -> Result<Response, ApiError> {
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
        ));
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
) -> Result<Response, ApiError> {
    let query = q.q.as_deref().map(str::trim).unwrap_or("");
    if query.is_empty() {
        return Err(ApiError::bad_request(
            "Parameter q wajib diisi: kode KBLI (awalan) atau kata kunci, misalnya q=minimarket.",
            "The parameter q is required: a KBLI code (prefix) or words, e.g. q=minimarket.",
        ));
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
