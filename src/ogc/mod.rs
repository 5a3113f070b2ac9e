//! OGC API - Features (Parts 1-4): landing, conformance, OpenAPI, collections, items,
//! queryables, CQL2 filtering, CRS, and create/replace/update/delete.
//!
//! - [`collections`]: the collection table (ids, properties and their SQL, what is writable);
//! - [`query`]: items query parameters -> `WHERE` / `ORDER BY` with bind parameters;
//! - [`cql2`]: CQL2 text/JSON -> SQL (pure; reused by the GDAL export);
//! - the served CRSs (Part 2) are [`crate::crs`];
//! - [`items`]: items and item handlers, streamed GeoJSON;
//! - [`edit`]: Part 4 (POST/PUT/PATCH/DELETE with ETag / If-Match);
//! - [`html`]: the HTML pages with a small SVG map;
//! - [`openapi`]: the route table both the router and `/api` are built from;
//! - [`apidoc`]: `/api`'s description of the server's other routes (tiles, check, monitoring, ...).

pub mod apidoc;
pub mod collections;
pub mod cql2;
pub mod edit;
pub mod html;
pub mod items;
pub mod openapi;
pub mod query;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::crs;
use crate::error::ApiError;
use collections::{COLLECTIONS, Collection};
use query::Format;

pub const GEOJSON: &str = "application/geo+json";
pub const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

/// The conformance classes implemented, exactly (`/conformance`).
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];

/// The OGC API routes (the landing page `/` is among them), registered from the same table
/// that `/api` documents ([`openapi::ENDPOINTS`]).
pub fn routes() -> Router<AppState> {
    openapi::ENDPOINTS
        .iter()
        .fold(Router::new(), |r, e| r.route(e.path, openapi::handler(e)))
}

/// Scheme and host the client used (proxies honoured), without a trailing slash.
pub fn origin(state: &AppState, headers: &HeaderMap) -> String {
    crate::tiles::http::origin(headers, &state.config.bind.to_string())
}

pub fn find_collection(id: &str) -> Result<&'static Collection, ApiError> {
    collections::find(id).ok_or_else(|| {
        let ids: Vec<&str> = COLLECTIONS.iter().map(|c| c.id).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "Koleksi '{}' tidak ditemukan. Koleksi yang ada: {}.",
                query::clip(id),
                ids.join(", ")
            ),
            format!(
                "Collection '{}' was not found. Collections: {}.",
                query::clip(id),
                ids.join(", ")
            ),
        )
    })
}

/// Refuses parameters other than `allowed` (OGC API - Features: unknown parameters are 400).
pub fn only_params(raw: &[(String, String)], allowed: &[&str]) -> Result<(), ApiError> {
    for (k, _) in raw {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad_request(
                format!(
                    "Parameter '{}' tidak dikenal di sini. Yang dikenal: {}.",
                    query::clip(k),
                    allowed.join(", ")
                ),
                format!(
                    "Unknown parameter '{}' here. Known: {}.",
                    query::clip(k),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn get_f(raw: &[(String, String)]) -> Option<&str> {
    raw.iter().find(|(k, _)| k == "f").map(|(_, v)| v.as_str())
}

pub fn json_response(v: &Value, content_type: &'static str) -> Response {
    let mut res = (StatusCode::OK, v.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// Tables counted on the landing page, with their Indonesian and English labels.
const DATASETS: &[(&str, &str, &str)] = &[
    (
        "admin_areas",
        "Wilayah administrasi",
        "Administrative areas",
    ),
    ("zones", "Zona RDTR", "Zoning (RDTR) zones"),
    ("overlays", "Ketentuan khusus (overlay)", "Overlays"),
    ("parcels", "Persil", "Parcels"),
    (
        "health_facilities",
        "Fasilitas kesehatan",
        "Health facilities",
    ),
    (
        "stunting_observations",
        "Data stunting",
        "Stunting observations",
    ),
    ("markets", "Pasar", "Markets"),
    ("price_observations", "Harga pangan", "Food prices"),
    ("waste_facilities", "Fasilitas sampah", "Waste facilities"),
    ("waste_reports", "Laporan sampah", "Waste reports"),
];

/// `GET /`: the landing page (links to the API definition, conformance and data); browsers get
/// the city's front door ([`crate::web::front::front_door`]) with the same links below the
/// services.
pub async fn landing(
    State(state): State<AppState>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    only_params(&raw, &["f"])?;
    let format = query::format(get_f(&raw), &headers)?;
    let o = origin(&state, &headers);
    let links = json!([
        { "rel": "self", "type": "application/json", "title": "Halaman ini / this document", "href": format!("{o}/?f=json") },
        { "rel": "alternate", "type": "text/html", "title": "HTML", "href": format!("{o}/?f=html") },
        { "rel": "service-desc", "type": OPENAPI_JSON, "title": "OpenAPI 3.0", "href": format!("{o}/api") },
        { "rel": "service-doc", "type": "text/html", "title": "Dokumentasi API / API documentation", "href": format!("{o}/api?f=html") },
        { "rel": "conformance", "type": "application/json", "title": "Kelas kesesuaian / conformance classes", "href": format!("{o}/conformance") },
        { "rel": "data", "type": "application/json", "title": "Koleksi / collections", "href": format!("{o}/collections") },
        { "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "type": "application/json", "title": "Tile matrix sets", "href": format!("{o}/tileMatrixSets") },
        { "rel": "related", "type": "text/html", "title": "Peta / map", "href": format!("{o}/peta") },
        { "rel": "related", "type": "text/html", "title": "Ajukan persetujuan ruang / apply for a permit", "href": format!("{o}/ajukan") },
        { "rel": "related", "type": "text/html", "title": "Verifikasi / verification", "href": format!("{o}/verifikasi") },
        { "rel": "status", "href": format!("{o}/healthz") },
        { "rel": "status", "href": format!("{o}/readyz") }
    ]);
    let title = "ruang — Kota Kupang";
    let description = "Server data spasial Kota Kupang: zonasi RDTR, persetujuan ruang, \
                       kesehatan, harga pangan dan sampah. / Spatial data server for Kota Kupang: \
                       RDTR zoning, spatial-use permits, health, food prices and waste.";
    // One statement, table names from the constant list above (never from the request).
    let sql = DATASETS
        .iter()
        .map(|(t, _, _)| format!("SELECT '{t}' AS name, count(*) AS n FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql).fetch_all(&state.pool).await?;
    let counts: Vec<(&str, &str, &str, i64)> = DATASETS
        .iter()
        .map(|(t, id, en)| {
            let n = rows.iter().find(|(n, _)| n == t).map_or(0, |(_, c)| *c);
            (*t, *id, *en, n)
        })
        .collect();
    if format == Format::Html {
        return Ok(Html(crate::web::front::front_door(&counts)).into_response());
    }
    let datasets: serde_json::Map<String, Value> = counts
        .iter()
        .map(|(t, _, _, n)| (t.to_string(), json!(n)))
        .collect();
    Ok(json_response(
        &json!({ "title": title, "description": description, "links": links, "datasets": datasets }),
        "application/json",
    ))
}

/// `GET /conformance`: the conformance classes this server implements.
pub async fn conformance(
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    only_params(&raw, &["f"])?;
    if query::format(get_f(&raw), &headers)? == Format::Html {
        return Ok(Html(html::conformance()).into_response());
    }
    Ok(json_response(
        &json!({ "conformsTo": CONFORMANCE }),
        "application/json",
    ))
}

/// `GET /api`: the OpenAPI 3.0 definition (generated from the route table).
pub async fn api(
    State(state): State<AppState>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    only_params(&raw, &["f"])?;
    let o = origin(&state, &headers);
    let doc = openapi::document(&o);
    match get_f(&raw) {
        Some("html") => Ok(Html(html::api_doc(&doc)).into_response()),
        Some("json") | None => Ok(json_response(&doc, OPENAPI_JSON)),
        Some(other) => Err(ApiError::bad_request(
            format!(
                "Nilai f='{}' tidak dikenal; gunakan json atau html.",
                query::clip(other)
            ),
            format!("Unknown f='{}'; use json or html.", query::clip(other)),
        )),
    }
}

/// Spatial and temporal extent of a collection, from its data.
async fn extent(state: &AppState, c: &Collection) -> Result<Value, ApiError> {
    let (t_start, t_end) = match c.temporal {
        Some((s, e)) => (
            format!("to_json(min({s})) #>> '{{}}'"),
            format!("to_json(max({})) #>> '{{}}'", e.unwrap_or(s)),
        ),
        None => ("NULL::text".into(), "NULL::text".into()),
    };
    let sql = format!(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), ts, te FROM \
         (SELECT ST_Extent({g}) AS e, {t_start} AS ts, {t_end} AS te FROM {table} t WHERE {w}) x",
        g = c.geom_sql,
        table = c.table,
        w = c.base_condition()
    );
    type Row = (
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<String>,
        Option<String>,
    );
    let (x1, y1, x2, y2, ts, te): Row = sqlx::query_as(&sql).fetch_one(&state.pool).await?;
    let bounds = state.tiles.bounds;
    let bbox = match (x1, y1, x2, y2) {
        (Some(a), Some(b), Some(c), Some(d)) => [a, b, c, d],
        _ => bounds,
    };
    let mut ext = json!({
        "spatial": { "bbox": [bbox], "crs": crs::CRS84_URI }
    });
    if c.temporal.is_some() {
        ext["temporal"] = json!({
            "interval": [[ts, te]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
        });
    }
    Ok(ext)
}

async fn collection_value(state: &AppState, c: &Collection, o: &str) -> Result<Value, ApiError> {
    let base = format!("{o}/collections/{}", c.id);
    let mut links = vec![
        json!({ "rel": "self", "type": "application/json", "title": c.title, "href": base }),
        json!({ "rel": "alternate", "type": "text/html", "title": c.title, "href": format!("{base}?f=html") }),
        json!({ "rel": "items", "type": GEOJSON, "title": "Fitur / features", "href": format!("{base}/items") }),
        json!({ "rel": "items", "type": "text/html", "title": "Fitur / features (HTML)", "href": format!("{base}/items?f=html") }),
        json!({ "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
                "title": "Queryables", "href": format!("{base}/queryables") }),
    ];
    if let Some((_, ts)) = state.tiles.tileset(c.id)
        && ts.role.is_none()
    {
        links.push(
            json!({ "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
            "type": "application/json", "title": "Vector tiles", "href": format!("{base}/tiles") }),
        );
    }
    Ok(json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": crs::all_uris(),
        "storageCrs": crs::CRS84_URI,
        "extent": extent(state, c).await?,
        "links": links,
    }))
}

/// `GET /collections`.
pub async fn collections_list(
    State(state): State<AppState>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    only_params(&raw, &["f"])?;
    let format = query::format(get_f(&raw), &headers)?;
    let o = origin(&state, &headers);
    let mut list = Vec::with_capacity(COLLECTIONS.len());
    for c in COLLECTIONS {
        list.push(collection_value(&state, c, &o).await?);
    }
    if format == Format::Html {
        return Ok(Html(html::collections(&list)).into_response());
    }
    Ok(json_response(
        &json!({
            "links": [
                { "rel": "self", "type": "application/json", "href": format!("{o}/collections") },
                { "rel": "alternate", "type": "text/html", "href": format!("{o}/collections?f=html") }
            ],
            "crs": crs::all_uris(),
            "collections": list,
        }),
        "application/json",
    ))
}

/// `GET /collections/{id}`.
pub async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = find_collection(&id)?;
    only_params(&raw, &["f"])?;
    let format = query::format(get_f(&raw), &headers)?;
    let o = origin(&state, &headers);
    let v = collection_value(&state, c, &o).await?;
    if format == Format::Html {
        return Ok(Html(html::collection(c, &v)).into_response());
    }
    Ok(json_response(&v, "application/json"))
}

/// `GET /collections/{id}/queryables`: JSON Schema of what a filter may name.
pub async fn queryables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(raw): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = find_collection(&id)?;
    only_params(&raw, &["f"])?;
    let format = query::format(get_f(&raw), &headers)?;
    let o = origin(&state, &headers);
    let mut props = serde_json::Map::new();
    for q in c.queryables() {
        let schema = match c.prop(&q.name) {
            Some(p) => c.prop_schema(p),
            None => json!({ "title": "Geometri / geometry", "format": c.geom_type.schema_format(),
                            "x-ogc-role": "primary-geometry" }),
        };
        props.insert(q.name, schema);
    }
    let v = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{o}/collections/{}/queryables", c.id),
        "type": "object",
        "title": c.title,
        "properties": props,
        "additionalProperties": false,
    });
    if format == Format::Html {
        return Ok(Html(html::queryables(c, &v)).into_response());
    }
    Ok(json_response(&v, "application/schema+json"))
}
