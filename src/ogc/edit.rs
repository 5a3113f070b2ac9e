//! OGC API - Features Part 4: create (POST), replace (PUT), update (PATCH, JSON merge patch)
//! and delete (DELETE) on the editable collections, for planners and admins.
//!
//! - The body is a GeoJSON Feature (`application/geo+json` or `application/json`; PATCH also
//!   `application/merge-patch+json`); anything else is 415. Geometry may be written in any
//!   served CRS named by the `Content-Crs` header (default CRS84).
//! - Geometry is checked by PostGIS before anything is written: unreadable GeoJSON is 400; the
//!   wrong type, an invalid geometry (with `ST_IsValidReason`) or one outside [`SANE_EXTENT`] is 422.
//! - Properties: unknown names are 400; derived and system properties (e.g. a zone's `kdb_max`,
//!   copied by the database from its zone rules, `version`, `updated_at`) are read-only and
//!   ignored when sent, so a client can send back what it read.
//! - Concurrency: every response carries the row version as a strong `ETag`. `If-Match` is
//!   optional (QGIS does not send it), but when sent and stale the answer is 412 and nothing is
//!   written. The row is locked (`FOR UPDATE`) between the check and the write.
//! - Who and when: `updated_by` (the caller) and `updated_at` are set on every write; the row
//!   version is bumped by a trigger (migration 0007) on any change, whoever makes it.
//! - Tiles: the tables' change triggers (migration 0002) invalidate the touched tiles.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::collections::{Collection, GeomType, PType, Prop};
use super::cql2::QType;
use super::items::{Fid, etag, fetch_feature, item_not_found, parse_fid, urlencode};
use super::{GEOJSON, find_collection, only_params, origin, query};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::crs::Crs;
use crate::error::ApiError;

/// Lon/lat box a written geometry must lie in: Kota Kupang with a wide margin (west Timor and
/// the sea around it). Catches swapped axes and coordinates in the wrong CRS.
pub const SANE_EXTENT: [f64; 4] = [122.5, -11.5, 125.0, -9.0];

fn unprocessable(id: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", id, en)
}

fn editable(c: &'static Collection) -> Result<&'static Collection, ApiError> {
    if c.editable {
        Ok(c)
    } else {
        Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("Koleksi '{}' hanya dapat dibaca.", c.id),
            format!("Collection '{}' is read-only.", c.id),
        ))
    }
}

fn content_type_ok(headers: &HeaderMap, patch: bool) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ok = ct == "application/geo+json"
        || ct == "application/json"
        || (patch && ct == "application/merge-patch+json");
    if ok {
        return Ok(());
    }
    let allowed = if patch {
        "application/merge-patch+json, application/geo+json, application/json"
    } else {
        "application/geo+json, application/json"
    };
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        format!(
            "Jenis isi '{}' tidak didukung; gunakan {allowed}.",
            query::clip(&ct)
        ),
        format!(
            "Content type '{}' is not supported; use {allowed}.",
            query::clip(&ct)
        ),
    ))
}

fn content_crs(headers: &HeaderMap) -> Result<Crs, ApiError> {
    match headers.get("content-crs").map(|v| v.to_str().unwrap_or("")) {
        None => Ok(Crs::Crs84),
        Some(v) => {
            let inner = v.trim().trim_start_matches('<').trim_end_matches('>');
            Crs::parse(inner).ok_or_else(|| query::unknown_crs("Content-Crs", v))
        }
    }
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_request(
            "Isi permintaan harus berupa objek GeoJSON Feature.",
            "The body must be a GeoJSON Feature object.",
        )),
        Err(e) => Err(ApiError::bad_request(
            format!("Isi permintaan bukan JSON yang sah: {e}"),
            format!("The body is not valid JSON: {e}"),
        )),
    }
}

/// A checked property value, ready to be bound as JSON.
struct Props {
    /// Writable properties given, by column.
    given: Vec<(&'static Prop, Value)>,
}

fn check_props(
    c: &Collection,
    props: Option<&Value>,
    require_all: bool,
) -> Result<Props, ApiError> {
    let empty = Map::new();
    let map = match props {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ApiError::bad_request(
                "'properties' harus berupa objek.",
                "'properties' must be an object.",
            ));
        }
    };
    let writable: Vec<&str> = c
        .props
        .iter()
        .filter(|p| p.column.is_some())
        .map(|p| p.name)
        .collect();
    let mut given = Vec::new();
    for (k, v) in map {
        let Some(prop) = c.prop(k) else {
            return Err(ApiError::bad_request(
                format!(
                    "Properti '{}' tidak dikenal. Yang dapat ditulis: {}.",
                    query::clip(k),
                    writable.join(", ")
                ),
                format!(
                    "Unknown property '{}'. Writable: {}.",
                    query::clip(k),
                    writable.join(", ")
                ),
            ));
        };
        if prop.column.is_none() {
            continue; // derived or system property: read-only, ignored
        }
        let ok = match (prop.ty, v) {
            (_, Value::Null) => true,
            (PType::Scalar(QType::String), Value::String(_)) => true,
            (PType::Scalar(QType::Integer), Value::Number(n)) => {
                n.as_i64().is_some_and(|i| i32::try_from(i).is_ok())
            }
            (PType::Scalar(QType::Number), Value::Number(_)) => true,
            (PType::Scalar(QType::Boolean), Value::Bool(_)) => true,
            (PType::Scalar(QType::Date), Value::String(s)) => {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
            }
            (PType::Scalar(QType::DateTime), Value::String(s)) => {
                chrono::DateTime::parse_from_rfc3339(s).is_ok()
            }
            (PType::StringArray, Value::Array(a)) => a.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            let want = match prop.ty {
                PType::Scalar(QType::String) => ("teks", "a string"),
                PType::Scalar(QType::Integer) => ("bilangan bulat", "an integer"),
                PType::Scalar(QType::Number) => ("angka", "a number"),
                PType::Scalar(QType::Boolean) => ("true/false", "true/false"),
                PType::Scalar(QType::Date) => ("tanggal YYYY-MM-DD", "a YYYY-MM-DD date"),
                PType::Scalar(QType::DateTime) => ("waktu RFC 3339", "an RFC 3339 time"),
                PType::Scalar(QType::Geometry) => ("geometri", "a geometry"),
                PType::StringArray => ("daftar teks", "a list of strings"),
            };
            return Err(unprocessable(
                format!("Properti '{}' harus {}.", prop.name, want.0),
                format!("Property '{}' must be {}.", prop.name, want.1),
            ));
        }
        given.push((prop, v.clone()));
    }
    if require_all {
        for p in c.props.iter().filter(|p| p.required) {
            let present = given.iter().any(|(g, v)| g.name == p.name && !v.is_null());
            if !present {
                return Err(unprocessable(
                    format!("Properti '{}' wajib diisi.", p.name),
                    format!("Property '{}' is required.", p.name),
                ));
            }
        }
    }
    Ok(Props { given })
}

/// SQL reading property `name` from the bound JSON object `$1` with the column's type.
fn value_sql(prop: &Prop) -> String {
    let n = prop.name;
    match prop.ty {
        PType::Scalar(QType::String) => format!("($1::jsonb->>'{n}')"),
        PType::Scalar(QType::Integer) => format!("($1::jsonb->>'{n}')::int"),
        PType::Scalar(QType::Number) => format!("($1::jsonb->>'{n}')::numeric"),
        PType::Scalar(QType::Boolean) => format!("($1::jsonb->>'{n}')::boolean"),
        PType::Scalar(QType::Date) => format!("($1::jsonb->>'{n}')::date"),
        PType::Scalar(QType::DateTime) => format!("($1::jsonb->>'{n}')::timestamptz"),
        PType::Scalar(QType::Geometry) => "NULL".into(),
        PType::StringArray => format!(
            "CASE WHEN jsonb_typeof($1::jsonb->'{n}') = 'array' \
             THEN ARRAY(SELECT jsonb_array_elements_text($1::jsonb->'{n}')) END"
        ),
    }
}

/// Values filled in when a client leaves a column out (or sends null) on create or replace.
fn fallback_sql(c: &Collection, col: &str) -> Option<&'static str> {
    match (c.table, col) {
        ("zones" | "overlays", "plan_id") => {
            Some("(SELECT id FROM zoning_plans WHERE status = 'active')")
        }
        ("zones", "zone_code") => {
            Some("(SELECT s.zone_code FROM subzones s WHERE s.code = ($1::jsonb->>'subzone_code'))")
        }
        ("zones", "overlay_flags") | ("overlays", "no_building") => Some("DEFAULT"),
        _ => None,
    }
}

/// Reads, reprojects and checks the geometry; returns the SQL expression of the checked
/// geometry in storage CRS, bound as `$2` (GeoJSON text).
async fn check_geometry(
    state: &AppState,
    c: &Collection,
    g: &Value,
    crs: Crs,
) -> Result<String, ApiError> {
    let ok_shape = g.get("type").is_some_and(Value::is_string)
        && g.get("coordinates").is_some_and(Value::is_array);
    if !ok_shape {
        return Err(ApiError::bad_request(
            "'geometry' harus berupa geometri GeoJSON dengan 'type' dan 'coordinates'.",
            "'geometry' must be a GeoJSON geometry with 'type' and 'coordinates'.",
        ));
    }
    let read = crs.to_storage_sql(&format!(
        "ST_SetSRID(ST_GeomFromGeoJSON($1::text), {})",
        crs.srid()
    ));
    let sql = format!(
        "SELECT GeometryType(g), ST_IsEmpty(g), ST_IsValid(g), ST_IsValidReason(g), \
                ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) \
           FROM (SELECT ST_Force2D({read}) AS g) x"
    );
    type Row = (String, bool, bool, String, f64, f64, f64, f64);
    let row: Result<Row, sqlx::Error> = sqlx::query_as(&sql)
        .bind(g.to_string())
        .fetch_one(&state.pool)
        .await;
    let (gtype, empty, valid, reason, x1, y1, x2, y2) = match row {
        Ok(r) => r,
        Err(sqlx::Error::Database(db)) => {
            let msg: String = db.message().chars().take(200).collect();
            return Err(ApiError::bad_request(
                format!("Geometri GeoJSON tidak dapat dibaca: {msg}"),
                format!("The GeoJSON geometry cannot be read: {msg}"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let type_ok = match c.geom_type {
        GeomType::MultiPolygon => gtype == "POLYGON" || gtype == "MULTIPOLYGON",
        GeomType::Point => gtype == "POINT",
    };
    if !type_ok {
        return Err(unprocessable(
            format!(
                "Koleksi '{}' memerlukan geometri {}, bukan {gtype}.",
                c.id,
                c.geom_type.name()
            ),
            format!(
                "Collection '{}' needs a {} geometry, not {gtype}.",
                c.id,
                c.geom_type.name()
            ),
        ));
    }
    if empty {
        return Err(unprocessable("Geometri kosong.", "The geometry is empty."));
    }
    if !valid {
        return Err(unprocessable(
            format!("Geometri tidak valid: {reason}"),
            format!("The geometry is invalid: {reason}"),
        ));
    }
    let [ex1, ey1, ex2, ey2] = SANE_EXTENT;
    if x1 < ex1 || y1 < ey1 || x2 > ex2 || y2 > ey2 {
        return Err(unprocessable(
            format!(
                "Geometri berada di luar wilayah yang wajar ({ex1}..{ex2} BT, {ey1}..{ey2} LS dalam lon/lat: \
                 [{x1:.4}, {y1:.4}, {x2:.4}, {y2:.4}]). Periksa urutan sumbu dan header Content-Crs."
            ),
            format!(
                "The geometry lies outside the sane extent (lon {ex1}..{ex2}, lat {ey1}..{ey2}; it spans \
                 [{x1:.4}, {y1:.4}, {x2:.4}, {y2:.4}]). Check the axis order and the Content-Crs header."
            ),
        ));
    }
    let read2 = crs.to_storage_sql(&format!(
        "ST_SetSRID(ST_GeomFromGeoJSON($2::text), {})",
        crs.srid()
    ));
    Ok(match c.geom_type {
        GeomType::MultiPolygon => format!("ST_Multi(ST_Force2D({read2}))"),
        GeomType::Point => format!("ST_Force2D({read2})"),
    })
}

/// Maps a constraint failure of a write to 409 / 422; other errors are internal.
fn write_error(e: sqlx::Error) -> ApiError {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().map(|c| c.to_string()).unwrap_or_default();
        let what = db
            .constraint()
            .map(str::to_string)
            .or_else(|| {
                db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .and_then(|p| p.column().map(str::to_string))
            })
            .unwrap_or_default();
        match code.as_str() {
            "23505" => {
                return ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("Nilai sudah dipakai fitur lain ({what})."),
                    format!("A value is already used by another feature ({what})."),
                );
            }
            "23503" => {
                return ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "Rujukan tidak cocok ({what}): nilai yang dirujuk tidak ada, atau data lain masih merujuk fitur ini."
                    ),
                    format!(
                        "Reference mismatch ({what}): the referenced value does not exist, or other data still refers to this feature."
                    ),
                );
            }
            "23514" | "23502" => {
                return unprocessable(
                    format!("Nilai ditolak oleh aturan data ({what})."),
                    format!("A value breaks a data rule ({what})."),
                );
            }
            c if c.starts_with("22") => {
                return unprocessable(
                    "Nilai di luar jangkauan atau tidak dapat dibaca.",
                    "A value is out of range or cannot be read.",
                );
            }
            _ => {}
        }
    }
    e.into()
}

/// Compares `If-Match` with the current version: `Ok` when absent, `*` or matching.
fn if_match(headers: &HeaderMap, current: i32) -> Result<(), ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let v = v.to_str().unwrap_or("");
    let want = etag(current);
    let ok = v.trim() == "*" || v.split(',').map(str::trim).any(|t| t == want);
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            format!(
                "Fitur ini telah diubah orang lain (versi sekarang {want}). Muat ulang lalu ulangi perubahan."
            ),
            format!(
                "This feature was changed by someone else (current version {want}). Reload it and redo the change."
            ),
        ))
    }
}

async fn respond_with_feature(
    state: &AppState,
    headers: &HeaderMap,
    c: &Collection,
    fid: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let parsed = parse_fid(c, fid).ok_or_else(|| item_not_found(c, fid))?;
    let props: Vec<&Prop> = c.props.iter().collect();
    let (feature, version) = fetch_feature(state, c, &parsed, &props, Crs::Crs84)
        .await?
        .ok_or_else(|| item_not_found(c, fid))?;
    let mut res = super::json_response(&feature, GEOJSON);
    *res.status_mut() = status;
    let o = origin(state, headers);
    if status == StatusCode::CREATED
        && let Ok(h) = HeaderValue::from_str(&format!(
            "{o}/collections/{}/items/{}",
            c.id,
            urlencode(fid)
        ))
    {
        res.headers_mut().insert(header::LOCATION, h);
    }
    if let Some(v) = version
        && let Ok(h) = HeaderValue::from_str(&etag(v))
    {
        res.headers_mut().insert(header::ETAG, h);
    }
    res.headers_mut().insert(
        "content-crs",
        HeaderValue::from_static("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"),
    );
    Ok(res)
}

fn feature_parts(m: &Map<String, Value>, need_geometry: bool) -> Result<(), ApiError> {
    if m.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(ApiError::bad_request(
            "Isi permintaan harus GeoJSON dengan \"type\": \"Feature\".",
            "The body must be GeoJSON with \"type\": \"Feature\".",
        ));
    }
    if need_geometry && !m.get("geometry").is_some_and(Value::is_object) {
        return Err(ApiError::bad_request(
            "Fitur harus memiliki 'geometry'.",
            "The feature must have a 'geometry'.",
        ));
    }
    Ok(())
}

/// `POST /collections/{id}/items`: creates a feature; 201 with `Location` and `ETag`.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let c = editable(find_collection(&id)?)?;
    caller.require(&[Role::Planner])?;
    only_params(&raw, &[])?;
    content_type_ok(&headers, false)?;
    let crs = content_crs(&headers)?;
    let m = parse_body(&body)?;
    feature_parts(&m, true)?;
    let geom = m.get("geometry").cloned().unwrap_or(Value::Null);
    let geom_sql = check_geometry(&state, c, &geom, crs).await?;
    let props = check_props(c, m.get("properties"), true)?;

    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for p in c.props.iter().filter(|p| p.column.is_some()) {
        let given = props
            .given
            .iter()
            .find(|(g, _)| g.name == p.name)
            .filter(|(_, v)| !v.is_null());
        let col = p.column.unwrap_or(p.name);
        match (given, fallback_sql(c, col)) {
            (Some(_), _) => {
                cols.push(col);
                vals.push(value_sql(p));
            }
            (None, Some("DEFAULT")) | (None, None) => {}
            (None, Some(fb)) => {
                cols.push(col);
                vals.push(fb.to_string());
            }
        }
    }
    let sql = format!(
        "INSERT INTO {table} ({cols}{sep}geom, updated_by, updated_at) \
         VALUES ({vals}{sep}{geom_sql}, $3, now()) RETURNING id::text",
        table = c.table,
        cols = cols.join(", "),
        vals = vals.join(", "),
        sep = if cols.is_empty() { "" } else { ", " },
    );
    let json_props = Value::Object(
        props
            .given
            .iter()
            .map(|(p, v)| (p.name.to_string(), v.clone()))
            .collect(),
    );
    let new_id: String = sqlx::query_scalar(&sql)
        .bind(json_props)
        .bind(geom.to_string())
        .bind(caller.user_id)
        .fetch_one(&state.pool)
        .await
        .map_err(write_error)?;
    tracing::info!(collection = c.id, id = %new_id, user = %caller.email, "feature created");
    respond_with_feature(&state, &headers, c, &new_id, StatusCode::CREATED).await
}

/// `PUT` (replace) and `PATCH` (merge patch) of `/collections/{id}/items/{fid}`.
#[allow(clippy::too_many_arguments)]
async fn modify(
    state: AppState,
    id: String,
    fid: String,
    raw: Vec<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
    method: Method,
) -> Result<Response, ApiError> {
    let c = editable(find_collection(&id)?)?;
    caller.require(&[Role::Planner])?;
    only_params(&raw, &[])?;
    let patch = method == Method::PATCH;
    content_type_ok(&headers, patch)?;
    let crs = content_crs(&headers)?;
    let parsed = parse_fid(c, &fid).ok_or_else(|| item_not_found(c, &fid))?;
    let Fid::Int(row_id) = parsed else {
        return Err(item_not_found(c, &fid));
    };
    let m = parse_body(&body)?;
    if !patch {
        feature_parts(&m, true)?;
    } else if m.get("type").is_some_and(|t| t != "Feature") {
        feature_parts(&m, false)?;
    }
    let geom = match m.get("geometry") {
        None => None,
        Some(Value::Null) if patch => {
            return Err(unprocessable(
                "Geometri tidak boleh dihapus.",
                "The geometry cannot be removed.",
            ));
        }
        Some(g) => Some(g.clone()),
    };
    let geom_sql = match &geom {
        Some(g) => Some(check_geometry(&state, c, g, crs).await?),
        None => None,
    };
    let props = check_props(c, m.get("properties"), !patch)?;

    let mut sets = Vec::new();
    for p in c.props.iter().filter(|p| p.column.is_some()) {
        let col = p.column.unwrap_or(p.name);
        let given = props.given.iter().find(|(g, _)| g.name == p.name);
        match given {
            Some((_, v)) if !v.is_null() => sets.push(format!("{col} = {}", value_sql(p))),
            None if patch => {}
            _ => {
                // PUT without it, or an explicit null: the fallback, the default or NULL.
                let fb = fallback_sql(c, col).unwrap_or("DEFAULT");
                sets.push(format!("{col} = {fb}"));
            }
        }
    }
    if let Some(g) = &geom_sql {
        sets.push(format!("geom = {g}"));
    }
    sets.push("updated_by = $3".into());
    sets.push("updated_at = now()".into());

    let mut tx = state.pool.begin().await?;
    let current: Option<i32> = sqlx::query_scalar(&format!(
        "SELECT version FROM {} WHERE id = $1 FOR UPDATE",
        c.table
    ))
    .bind(row_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(current) = current else {
        return Err(item_not_found(c, &fid));
    };
    if_match(&headers, current)?;
    let sql = format!(
        "UPDATE {table} SET {sets} WHERE id = $4",
        table = c.table,
        sets = sets.join(", ")
    );
    let json_props = Value::Object(
        props
            .given
            .iter()
            .map(|(p, v)| (p.name.to_string(), v.clone()))
            .collect(),
    );
    sqlx::query(&sql)
        .bind(json_props)
        .bind(geom.map(|g| g.to_string()).unwrap_or_default())
        .bind(caller.user_id)
        .bind(row_id)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
    tx.commit().await.map_err(write_error)?;
    tracing::info!(collection = c.id, id = row_id, user = %caller.email, %method, "feature changed");
    respond_with_feature(&state, &headers, c, &fid, StatusCode::OK).await
}

/// `PUT /collections/{id}/items/{fid}`.
pub async fn replace(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    modify(state, id, fid, raw, caller, headers, body, Method::PUT).await
}

/// `PATCH /collections/{id}/items/{fid}`.
pub async fn update(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    modify(state, id, fid, raw, caller, headers, body, Method::PATCH).await
}

/// `DELETE /collections/{id}/items/{fid}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path((id, fid)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = editable(find_collection(&id)?)?;
    caller.require(&[Role::Planner])?;
    only_params(&raw, &[])?;
    let Some(Fid::Int(row_id)) = parse_fid(c, &fid) else {
        return Err(item_not_found(c, &fid));
    };
    let mut tx = state.pool.begin().await?;
    let current: Option<i32> = sqlx::query_scalar(&format!(
        "SELECT version FROM {} WHERE id = $1 FOR UPDATE",
        c.table
    ))
    .bind(row_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(current) = current else {
        return Err(item_not_found(c, &fid));
    };
    if_match(&headers, current)?;
    refuse_if_referenced(&mut tx, c, row_id).await?;
    sqlx::query(&format!("DELETE FROM {} WHERE id = $1", c.table))
        .bind(row_id)
        .execute(&mut *tx)
        .await
        .map_err(write_error)?;
    tx.commit().await.map_err(write_error)?;
    tracing::info!(collection = c.id, id = row_id, user = %caller.email, "feature deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Rows that `ON DELETE CASCADE` (migration 0001) would silently delete with a feature, though
/// they are records in their own right: (collection, table, column pointing at the feature,
/// what they are in Indonesian and in English). While any exists the delete is refused.
const KEPT_BY_DELETE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "markets",
        "price_observations",
        "market_id",
        "catatan harga pangan",
        "food price observations",
    ),
    (
        "health_facilities",
        "puskesmas_catchments",
        "facility_id",
        "kelurahan wilayah kerja Puskesmas ini",
        "catchment kelurahan of this Puskesmas",
    ),
];

/// 409 when deleting the feature would take other records with it (price history of a market,
/// the catchment of a Puskesmas): those must be moved or deleted on purpose first.
async fn refuse_if_referenced(
    tx: &mut sqlx::PgConnection,
    c: &Collection,
    row_id: i64,
) -> Result<(), ApiError> {
    for (_, table, column, what_id, what_en) in KEPT_BY_DELETE.iter().filter(|k| k.0 == c.id) {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{table}\" WHERE \"{column}\" = $1"
        ))
        .bind(row_id)
        .fetch_one(&mut *tx)
        .await?;
        if n > 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "Fitur {}/{row_id} tidak dihapus: masih ada {n} {what_id} yang merujuknya dan \
                     akan ikut terhapus. Pindahkan atau hapus data itu lebih dulu.",
                    c.id
                ),
                format!(
                    "Feature {}/{row_id} was not deleted: {n} {what_en} refer to it and would be \
                     deleted with it. Move or delete them first.",
                    c.id
                ),
            ));
        }
    }
    Ok(())
}

/// The JSON Schema of a writable feature's properties (for the OpenAPI document).
pub fn writable_schema(c: &Collection) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for p in c.props.iter().filter(|p| p.column.is_some()) {
        props.insert(p.name.to_string(), c.prop_schema(p));
        if p.required {
            required.push(p.name);
        }
    }
    json!({ "type": "object", "properties": props, "required": required })
}
