//! The OGC API route table. The router ([`super::routes`]) registers exactly these endpoints
//! and `/api` documents exactly these, so the OpenAPI document cannot drift from the routes.
//!
//! Why not `utoipa`: the document's interesting parts are data, not types: the collection ids,
//! each collection's queryables and writable properties come from [`super::collections`] at
//! run time, which per-handler annotations cannot express; a table we register from and
//! document from gives the same no-drift guarantee with no macro layer.

use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use serde_json::{Map, Value, json};

use super::collections::COLLECTIONS;
use super::query::{DEFAULT_LIMIT, MAX_LIMIT};
use super::{edit, items};
use crate::AppState;

/// One operation of the API.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Names of parameters in `components/parameters`.
    pub params: &'static [&'static str],
    /// Request body media types (empty: no body).
    pub body: &'static [&'static str],
    /// Success status and its media types.
    pub ok: (&'static str, &'static [&'static str]),
    /// Needs a bearer token (planner or admin).
    pub auth: bool,
}

const ITEMS_PARAMS: &[&str] = &[
    "collectionId",
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "properties",
    "sortby",
    "queryables",
];
const FEATURE_TYPES: &[&str] = &["application/geo+json", "text/html"];

pub static ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: Method::GET,
        path: "/",
        operation_id: "getLandingPage",
        summary: "Landing page / halaman utama",
        tag: "Capabilities",
        params: &["f"],
        body: &[],
        ok: ("200", &["application/json", "text/html"]),
        auth: false,
    },
    Endpoint {
        method: Method::GET,
        path: "/conformance",
        operation_id: "getConformance",
        summary: "Conformance classes implemented / kelas kesesuaian",
        tag: "Capabilities",
        params: &["f"],
        body: &[],
        ok: ("200", &["application/json", "text/html"]),
        auth: false,
    },
    Endpoint {
        method: Method::GET,
        path: "/api",
        operation_id: "getApi",
        summary: "This OpenAPI 3.0 document / dokumen OpenAPI ini",
        tag: "Capabilities",
        params: &["f"],
        body: &[],
        ok: (
            "200",
            &["application/vnd.oai.openapi+json;version=3.0", "text/html"],
        ),
        auth: false,
    },
    Endpoint {
        method: Method::GET,
        path: "/collections",
        operation_id: "getCollections",
        summary: "The feature collections / daftar koleksi",
        tag: "Capabilities",
        params: &["f"],
        body: &[],
        ok: ("200", &["application/json", "text/html"]),
        auth: false,
    },
    Endpoint {
        method: Method::GET,
        path: "/collections/{id}",
        operation_id: "describeCollection",
        summary: "One collection: extent, CRSs, links / satu koleksi",
        tag: "Capabilities",
        params: &["collectionId", "f"],
        body: &[],
        ok: ("200", &["application/json", "text/html"]),
        auth: false,
    },
    Endpoint {
        method: Method::GET,
        path: "/collections/{id}/queryables",
        operation_id: "getQueryables",
        summary: "What a filter may name (JSON Schema) / properti yang dapat difilter",
        tag: "Capabilities",
        params: &["collectionId", "f"],
        body: &[],
        ok: ("200", &["application/schema+json", "text/html"]),
        auth: false,
    },
    Endpoint {
        method: Method::GET,
        path: "/collections/{id}/items",
        operation_id: "getFeatures",
        summary: "Features of a collection (paged, filtered) / fitur sebuah koleksi",
        tag: "Data",
        params: ITEMS_PARAMS,
        body: &[],
        ok: ("200", FEATURE_TYPES),
        auth: false,
    },
    Endpoint {
        method: Method::POST,
        path: "/collections/{id}/items",
        operation_id: "createFeature",
        summary: "Create a feature (planner, admin) / tambah fitur",
        tag: "Edit",
        params: &["collectionId", "Content-Crs"],
        body: &["application/geo+json", "application/json"],
        ok: ("201", &["application/geo+json"]),
        auth: true,
    },
    Endpoint {
        method: Method::GET,
        path: "/collections/{id}/items/{fid}",
        operation_id: "getFeature",
        summary: "One feature / satu fitur",
        tag: "Data",
        params: &["collectionId", "featureId", "f", "crs", "properties"],
        body: &[],
        ok: ("200", FEATURE_TYPES),
        auth: false,
    },
    Endpoint {
        method: Method::PUT,
        path: "/collections/{id}/items/{fid}",
        operation_id: "replaceFeature",
        summary: "Replace a feature (planner, admin) / ganti fitur",
        tag: "Edit",
        params: &["collectionId", "featureId", "Content-Crs", "If-Match"],
        body: &["application/geo+json", "application/json"],
        ok: ("200", &["application/geo+json"]),
        auth: true,
    },
    Endpoint {
        method: Method::PATCH,
        path: "/collections/{id}/items/{fid}",
        operation_id: "updateFeature",
        summary: "Update a feature with a JSON merge patch (planner, admin) / ubah sebagian",
        tag: "Edit",
        params: &["collectionId", "featureId", "Content-Crs", "If-Match"],
        body: &[
            "application/merge-patch+json",
            "application/geo+json",
            "application/json",
        ],
        ok: ("200", &["application/geo+json"]),
        auth: true,
    },
    Endpoint {
        method: Method::DELETE,
        path: "/collections/{id}/items/{fid}",
        operation_id: "deleteFeature",
        summary: "Delete a feature (planner, admin) / hapus fitur",
        tag: "Edit",
        params: &["collectionId", "featureId", "If-Match"],
        body: &[],
        ok: ("204", &[]),
        auth: true,
    },
];

/// The handler of an endpoint. Every operation id of [`ENDPOINTS`] has one (a test checks).
pub fn handler(e: &Endpoint) -> MethodRouter<AppState> {
    match e.operation_id {
        "getLandingPage" => get(super::landing),
        "getConformance" => get(super::conformance),
        "getApi" => get(super::api),
        "getCollections" => get(super::collections_list),
        "describeCollection" => get(super::collection),
        "getQueryables" => get(super::queryables),
        "getFeatures" => get(items::items),
        "getFeature" => get(items::item),
        "createFeature" => post(edit::create),
        "replaceFeature" => put(edit::replace),
        "updateFeature" => patch(edit::update),
        "deleteFeature" => delete(edit::delete),
        other => panic!("no handler for OGC operation {other}"),
    }
}

fn parameters() -> Value {
    let crs_enum: Vec<String> = crate::crs::all_uris();
    let ids: Vec<&str> = COLLECTIONS.iter().map(|c| c.id).collect();
    let editable: Vec<&str> = COLLECTIONS
        .iter()
        .filter(|c| c.editable)
        .map(|c| c.id)
        .collect();
    json!({
        "collectionId": { "name": "collectionId", "in": "path", "required": true,
            "description": format!("Collection id. Editable (Part 4): {}.", editable.join(", ")),
            "schema": { "type": "string", "enum": ids } },
        "featureId": { "name": "featureId", "in": "path", "required": true,
            "description": "Feature id (admin_areas: the Kemendagri code).",
            "schema": { "type": "string" } },
        "f": { "name": "f", "in": "query", "required": false,
            "description": "Representation; otherwise chosen from Accept.",
            "schema": { "type": "string", "enum": ["json", "html"] } },
        "limit": { "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
            "description": format!("Features per page; larger values are clamped to {MAX_LIMIT}."),
            "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT } },
        "offset": { "name": "offset", "in": "query", "required": false,
            "description": "Features to skip (the `next` link carries it).",
            "schema": { "type": "integer", "minimum": 0, "default": 0 } },
        "bbox": { "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "minx,miny,maxx,maxy in bbox-crs (EPSG:4326: lat,lon order).",
            "schema": { "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } } },
        "bbox-crs": { "name": "bbox-crs", "in": "query", "required": false,
            "schema": { "type": "string", "format": "uri", "enum": crs_enum } },
        "crs": { "name": "crs", "in": "query", "required": false,
            "description": "CRS of the returned geometries (Content-Crs header says which was used).",
            "schema": { "type": "string", "format": "uri", "enum": crs_enum } },
        "datetime": { "name": "datetime", "in": "query", "required": false,
            "description": "Instant or interval (`a/b`, `..` for an open end); collections with time only.",
            "schema": { "type": "string" } },
        "filter": { "name": "filter", "in": "query", "required": false,
            "description": "CQL2 filter (see /collections/{id}/queryables).",
            "schema": { "type": "string" } },
        "filter-lang": { "name": "filter-lang", "in": "query", "required": false,
            "schema": { "type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text" } },
        "filter-crs": { "name": "filter-crs", "in": "query", "required": false,
            "schema": { "type": "string", "format": "uri", "enum": crs_enum } },
        "properties": { "name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "Comma-separated properties to return.",
            "schema": { "type": "array", "items": { "type": "string" } } },
        "sortby": { "name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "Comma-separated queryables, `-` prefix for descending; the id always breaks ties.",
            "schema": { "type": "array", "items": { "type": "string" } } },
        "queryables": { "name": "queryables", "in": "query", "required": false, "style": "form", "explode": true,
            "description": "Equality filters on queryable properties, e.g. `zone_code=R-2`.",
            "schema": { "type": "object", "additionalProperties": { "type": "string" } } },
        "Content-Crs": { "name": "Content-Crs", "in": "header", "required": false,
            "description": "CRS of the geometry in the body, as `<uri>` (default CRS84).",
            "schema": { "type": "string" } },
        "If-Match": { "name": "If-Match", "in": "header", "required": false,
            "description": "ETag of the version being changed; 412 when stale.",
            "schema": { "type": "string" } },
    })
}

/// The OpenAPI 3.0 document, with server URL `origin`.
pub fn document(origin: &str) -> Value {
    let components = parameters();
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let mut responses = Map::new();
        let content: Map<String, Value> =
            e.ok.1.iter().map(|t| (t.to_string(), json!({}))).collect();
        let mut okv = json!({ "description": "OK" });
        if !content.is_empty() {
            okv["content"] = Value::Object(content);
        }
        responses.insert(e.ok.0.to_string(), okv);
        let mut errs = vec!["400", "404", "500"];
        if e.auth {
            errs.extend(["401", "403", "405", "409", "412", "415", "422"]);
        }
        for s in errs {
            responses.insert(
                s.to_string(),
                json!({ "$ref": "#/components/responses/Problem" }),
            );
        }
        let mut op = json!({
            "operationId": e.operation_id,
            "summary": e.summary,
            "tags": [e.tag],
            // Inline, not $ref: some clients (GDAL) read `limit` only when it is inline.
            "parameters": e.params.iter()
                .map(|p| components[*p].clone())
                .collect::<Vec<_>>(),
            "responses": responses,
        });
        if !e.body.is_empty() {
            let content: Map<String, Value> = e
                .body
                .iter()
                .map(|t| {
                    (
                        t.to_string(),
                        json!({ "schema": { "$ref": "#/components/schemas/FeatureInput" } }),
                    )
                })
                .collect();
            op["requestBody"] = json!({ "required": true, "content": content });
        }
        if e.auth {
            op["security"] = json!([{ "bearerAuth": [] }, { "sessionCookie": [] }]);
        }
        // The router's parameter names ({id}, {fid}, shared with the tiles routes) in the
        // spelling OGC clients look for (GDAL reads the limit's maximum from exactly
        // `/collections/{collectionId}/items`).
        let doc_path = e
            .path
            .replace("{id}", "{collectionId}")
            .replace("{fid}", "{featureId}");
        let entry = paths.entry(doc_path).or_insert_with(|| json!({}));
        entry[e.method.as_str().to_ascii_lowercase()] = op;
    }
    // The rest of the server: operations, tiles, check, monitoring, import/export, web pages,
    // and the permits routes. A path may be shared (e.g. `/collections/{collectionId}/...`),
    // an operation never is.
    for (path, item) in super::apidoc::paths()
        .as_object()
        .into_iter()
        .chain(crate::permits::openapi::paths().as_object())
        .chain(crate::plans::openapi::paths().as_object())
        .flatten()
    {
        let entry = paths.entry(path.clone()).or_insert_with(|| json!({}));
        for (k, v) in item.as_object().into_iter().flatten() {
            assert!(
                entry.get(k).is_none(),
                "{k} {path} is documented twice in /api"
            );
            entry[k] = v.clone();
        }
    }
    let mut schemas = match crate::permits::openapi::schemas() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let mut writable = Map::new();
    for c in COLLECTIONS.iter().filter(|c| c.editable) {
        writable.insert(c.id.to_string(), edit::writable_schema(c));
    }
    let ours = json!({
                    "Problem": { "type": "object", "properties": {
                        "type": { "type": "string" }, "title": { "type": "string" },
                        "status": { "type": "integer" }, "detail": { "type": "string" },
                        "detail_en": { "type": "string" } } },
                    "FeatureInput": {
                        "type": "object",
                        "required": ["type"],
                        "description": "A GeoJSON Feature. Writable properties per collection are \
                                        listed in x-writable-properties.",
                        "properties": {
                            "type": { "type": "string", "enum": ["Feature"] },
                            "geometry": { "type": "object" },
                            "properties": { "type": "object" }
                        },
                        "x-writable-properties": writable
                    }
    });
    schemas.extend(
        ours.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "ruang — Kota Kupang spatial data server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API - Features Parts 1-4 (GeoJSON, HTML, CRS, CQL2 filtering, \
                            create/replace/update/delete) over Kota Kupang's PostGIS layers, \
                            and every other route of the server: vector tiles, the zoning \
                            check, permits, monitoring, import/export and the web pages. \
                            Errors are RFC 9457 problem+json with `detail` (Bahasa Indonesia) \
                            and `detail_en`.",
            "license": { "name": "Apache-2.0" }
        },
        "servers": [{ "url": origin }],
        "tags": [
            { "name": "Capabilities" }, { "name": "Data" }, { "name": "Edit" },
            { "name": "Operations" }, { "name": "Tiles" }, { "name": "Check" },
            { "name": "accounts" }, { "name": "applications" }, { "name": "workflow" },
            { "name": "permits" }, { "name": "Monitoring" }, { "name": "Import" },
            { "name": "Web" }
        ],
        "paths": paths,
        "components": {
            "parameters": components,
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer",
                    "description": "An API token (`ruang token create`, `POST /api/tokens`)." },
                "sessionCookie": { "type": "apiKey", "in": "cookie", "name": "ruang_session",
                    "description": "The browser session of `POST /api/auth/login`; unsafe \
                                    methods also need `X-CSRF-Token` equal to the cookie \
                                    `ruang_csrf`." }
            },
            "responses": {
                "Problem": { "description": "RFC 9457 problem details",
                    "content": { "application/problem+json": {
                        "schema": { "$ref": "#/components/schemas/Problem" } } } }
            },
            "schemas": schemas
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_a_handler_and_documented_parameters() {
        let doc = document("http://x");
        let params = doc["components"]["parameters"].as_object().unwrap();
        for e in ENDPOINTS {
            let _ = handler(e);
            for p in e.params {
                assert!(params.contains_key(*p), "{p}");
            }
            let doc_path = e
                .path
                .replace("{id}", "{collectionId}")
                .replace("{fid}", "{featureId}");
            let path_params: Vec<&str> = doc_path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            for pp in path_params {
                assert!(
                    e.params
                        .iter()
                        .any(|p| params[*p]["in"] == "path" && params[*p]["name"] == pp),
                    "{} {pp}",
                    e.path
                );
            }
        }
    }
}
