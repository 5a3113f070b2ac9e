//! The browser pages from `web/`: the planners' map (`/peta`), the applicants' page (`/ajukan`),
//! the verifiers' page (`/verifikasi`), the plans page (`/rencana`), the monitoring dashboard (`/pantau`) and the citizens'
//! waste report page (`/lapor`), with their npm assets, the front door (`/` for browsers, see
//! [`front_door`]) and the place search the map uses (`/api/places`).
//!
//! Files are read from `web_dir` (default `web/`) at request time, so the binary carries no copy:
//! - `/peta`, `/ajukan`, `/verifikasi`, `/rencana`, `/pantau`, `/lapor`: `web/pages/<name>.html`;
//! - `/assets/app/...`: the pages' own scripts and styles in `web/src/`;
//! - `/assets/vendor/<package>/...`: the `dist` folder of one of the npm packages named in
//!   [`VENDOR`], installed by `npm ci` in `web/` (`make deps` does that). The pages load them as
//!   ES modules through an import map; nothing comes from a CDN.

pub mod front;
pub mod openapi;

use std::path::{Path as FsPath, PathBuf};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::AppState;
use crate::error::ApiError;

/// The pages served at `/<name>` from `web/pages/<name>.html`.
pub const PAGES: &[&str] = &["peta", "ajukan", "verifikasi", "rencana", "pantau", "lapor"];

/// npm packages whose `dist` folder is served at `/assets/vendor/<name>/`: (URL name, folder
/// under `web/node_modules`).
pub const VENDOR: &[(&str, &str)] = &[
    ("maplibre-gl", "maplibre-gl/dist"),
    ("terra-draw", "terra-draw/dist"),
    (
        "terra-draw-maplibre-gl-adapter",
        "terra-draw-maplibre-gl-adapter/dist",
    ),
    ("shpjs", "shpjs/dist"),
    ("togeojson", "@tmcw/togeojson/dist"),
    ("uplot", "uplot/dist"),
];

/// The page and asset routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/peta", get(peta))
        .route("/ajukan", get(ajukan))
        .route("/verifikasi", get(verifikasi))
        .route("/rencana", get(rencana))
        .route("/pantau", get(pantau))
        .route("/lapor", get(lapor))
        .route("/assets/app/{*path}", get(app_asset))
        .route("/assets/vendor/{package}/{*path}", get(vendor_asset))
        .route("/api/places", get(places))
}

async fn peta(State(state): State<AppState>) -> Response {
    page(&state.config.web_dir, "peta").await
}

async fn ajukan(State(state): State<AppState>) -> Response {
    page(&state.config.web_dir, "ajukan").await
}

async fn verifikasi(State(state): State<AppState>) -> Response {
    page(&state.config.web_dir, "verifikasi").await
}

async fn rencana(State(state): State<AppState>) -> Response {
    page(&state.config.web_dir, "rencana").await
}

async fn pantau(State(state): State<AppState>) -> Response {
    page(&state.config.web_dir, "pantau").await
}

async fn lapor(State(state): State<AppState>) -> Response {
    page(&state.config.web_dir, "lapor").await
}

async fn page(web_dir: &FsPath, name: &str) -> Response {
    debug_assert!(PAGES.contains(&name));
    let path = web_dir.join("pages").join(format!("{name}.html"));
    match tokio::fs::read_to_string(&path).await {
        Ok(html) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    &crate::http::guard::page_csp(&html),
                ),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(path = %path.display(), "web page missing: {e}");
            ApiError::unavailable(
                format!(
                    "Halaman {name} tidak ada di server (berkas {} tidak terbaca).",
                    path.display()
                ),
                format!(
                    "The page {name} is missing on the server (cannot read {}).",
                    path.display()
                ),
            )
            .into_response()
        }
    }
}

async fn app_asset(
    State(state): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> Response {
    let dir = state.config.web_dir.join("src");
    serve_from(dir, &path, req, "no-cache").await
}

async fn vendor_asset(
    State(state): State<AppState>,
    Path((package, path)): Path<(String, String)>,
    req: Request,
) -> Response {
    let Some((_, folder)) = VENDOR.iter().find(|(name, _)| *name == package) else {
        return ApiError::not_found(
            &format!("Paket web {package}"),
            &format!("The web package {package}"),
        )
        .into_response();
    };
    let dir = state.config.web_dir.join("node_modules").join(folder);
    if !tokio::fs::try_exists(&dir).await.unwrap_or(false) {
        return ApiError::unavailable(
            format!("Paket npm {package} belum terpasang; jalankan `make deps` (npm ci di web/)."),
            format!(
                "The npm package {package} is not installed; run `make deps` (npm ci in web/)."
            ),
        )
        .into_response();
    }
    serve_from(dir, &path, req, "public, max-age=3600").await
}

/// Serves `path` from `dir` with tower-http's `ServeDir` (which refuses `..` and answers
/// conditional and range requests).
async fn serve_from(dir: PathBuf, path: &str, req: Request, cache: &'static str) -> Response {
    let (mut parts, body) = req.into_parts();
    let Ok(uri) = format!("/{}", path.trim_start_matches('/')).parse::<Uri>() else {
        return ApiError::bad_request("Alamat berkas tidak sah.", "Invalid file path.")
            .into_response();
    };
    parts.uri = uri;
    let req = Request::from_parts(parts, body);
    let res = match ServeDir::new(dir).oneshot(req).await {
        Ok(res) => res.into_response(),
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    let mut res = res;
    if res.status() == StatusCode::NOT_FOUND {
        return ApiError::not_found(&format!("Berkas {path}"), &format!("The file {path}"))
            .into_response();
    }
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    res
}

#[derive(Deserialize)]
struct PlacesQuery {
    q: Option<String>,
}

/// `GET /api/places?q=`: kelurahan and kecamatan whose name (or another spelling of it) matches
/// the words, best first, with their bounding box (lon/lat) for the map to fly to.
async fn places(
    State(state): State<AppState>,
    Query(q): Query<PlacesQuery>,
) -> Result<Response, ApiError> {
    let query =
        q.q.as_deref()
            .map(|s| {
                s.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            })
            .unwrap_or_default();
    if query.is_empty() {
        return Err(ApiError::bad_request(
            "Parameter q wajib diisi: nama kelurahan atau kecamatan, misalnya q=oebobo.",
            "The parameter q is required: a kelurahan or kecamatan name, e.g. q=oebobo.",
        ));
    }
    if query.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "Parameter q terlalu panjang (paling banyak 100 huruf).",
            "The parameter q is too long (at most 100 characters).",
        ));
    }
    type Row = (String, String, String, Option<String>, f64, f64, f64, f64);
    let rows: Vec<Row> = sqlx::query_as(
        "WITH m AS (
             SELECT a.code,
                    max(CASE WHEN lower(a.name) = $1 OR al.alias = $1 THEN 3
                             WHEN strpos(lower(a.name), $1) = 1 OR strpos(al.alias, $1) = 1 THEN 2
                             WHEN strpos(lower(a.name), $1) > 0 OR strpos(al.alias, $1) > 0 THEN 1
                             ELSE 0 END) AS rank,
                    max(similarity(lower(a.name), $1)) AS sim
               FROM admin_areas a
               LEFT JOIN admin_area_aliases al ON al.code = a.code
              WHERE a.level IN ('kelurahan', 'kecamatan')
                AND (strpos(lower(a.name), $1) > 0 OR strpos(al.alias, $1) > 0
                     OR lower(a.name) % $1)
              GROUP BY a.code
         )
         SELECT a.code, a.name, a.level, p.name,
                ST_XMin(a.geom), ST_YMin(a.geom), ST_XMax(a.geom), ST_YMax(a.geom)
           FROM m JOIN admin_areas a ON a.code = m.code
           LEFT JOIN admin_areas p ON p.code = a.parent_code
          ORDER BY m.rank DESC, m.sim DESC, a.level DESC, a.name
          LIMIT 10",
    )
    .bind(&query)
    .fetch_all(&state.pool)
    .await?;
    let places: Vec<Value> = rows
        .into_iter()
        .map(|(code, name, level, parent, w, s, e, n)| {
            json!({
                "code": code,
                "name": name,
                "level": level,
                "parent_name": parent,
                "bbox": [w, s, e, n],
            })
        })
        .collect();
    Ok(axum::Json(json!({"query": query, "places": places})).into_response())
}
