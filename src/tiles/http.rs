//! Tile endpoints: MVT tiles, TileJSON 3.0.0, OGC API - Tiles (WebMercatorQuad), styles.

use std::path::PathBuf;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::cache::Tile;
use super::layer::MAX_ZOOM;
use super::{Rendered, TileService, Tileset};
use crate::AppState;
use crate::error::ApiError;

pub const MVT: &str = "application/vnd.mapbox-vector-tile";
const WMQ_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";

/// The z/x/y tile routes (the hot path; see `crate::http::router` for their lighter stack).
pub fn tile_routes() -> Router<AppState> {
    Router::new()
        .route("/tiles/{tileset}/{z}/{x}/{y}", get(xyz_tile))
        .route(
            "/collections/{id}/tiles/WebMercatorQuad/{tm}/{row}/{col}",
            get(ogc_tile),
        )
}

/// Every other tile, style and font route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tiles/{tileset}", get(tilejson))
        .route("/tileMatrixSets", get(tile_matrix_sets))
        .route("/tileMatrixSets/WebMercatorQuad", get(web_mercator_quad))
        .route("/collections/{id}/tiles", get(collection_tilesets))
        .route(
            "/collections/{id}/tiles/WebMercatorQuad",
            get(collection_tileset),
        )
        .route("/styles/{id}", get(style))
        .route("/fonts", get(font_list))
        .route("/fonts/{fontstack}/{range}", get(glyphs))
}

/// The origin (scheme://host) the client used, honouring `X-Forwarded-Proto` and
/// `X-Forwarded-Host` from a reverse proxy.
pub fn origin(headers: &HeaderMap, fallback_host: &str) -> String {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let proto = first("x-forwarded-proto")
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| "http".to_string());
    let plain = |h: &String| {
        h.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]_".contains(c))
    };
    let host = first("x-forwarded-host")
        .filter(plain)
        .or_else(|| first("host").filter(plain))
        .unwrap_or_else(|| fallback_host.to_string());
    format!("{proto}://{host}")
}

fn tiles(state: &AppState) -> &TileService {
    &state.tiles
}

fn find<'a>(svc: &'a TileService, name: &str) -> Result<(u16, &'a Tileset), ApiError> {
    svc.tileset(name).ok_or_else(|| {
        let mut names: Vec<&str> = svc.tilesets.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "Tileset '{name}' tidak ada. Yang tersedia: {}.",
                names.join(", ")
            ),
            format!(
                "There is no tileset '{name}'. Available: {}.",
                names.join(", ")
            ),
        )
    })
}

/// Refuses a role-restricted tileset to callers without that role (admins see everything).
async fn authorize(state: &AppState, ts: &Tileset, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(role) = &ts.role else {
        return Ok(());
    };
    match crate::auth::bearer_role(&state.pool, headers).await? {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("Tileset '{}' hanya untuk pengguna yang masuk.", ts.name),
            format!("Tileset '{}' needs a logged-in user.", ts.name),
        )),
        Some(r) if &r == role || r == "admin" => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("Tileset '{}' hanya untuk peran {role}.", ts.name),
            format!("Tileset '{}' is for the {role} role only.", ts.name),
        )),
    }
}

fn parse_num(what_id: &str, what_en: &str, s: &str) -> Result<u32, ApiError> {
    s.parse::<u32>().map_err(|_| {
        ApiError::bad_request(
            format!("{what_id} '{s}' bukan bilangan bulat tak negatif."),
            format!("{what_en} '{s}' is not a non-negative integer."),
        )
    })
}

/// Checks z/x/y against the tileset: 400 for impossible coordinates, 404 above its max zoom.
fn check_zxy(ts: &Tileset, z: u32, x: u32, y: u32) -> Result<u8, ApiError> {
    if z > u32::from(MAX_ZOOM) {
        return Err(ApiError::bad_request(
            format!("Zoom {z} di atas batas {MAX_ZOOM}."),
            format!("Zoom {z} is above the limit of {MAX_ZOOM}."),
        ));
    }
    let max = (1u64 << z) - 1;
    if u64::from(x) > max || u64::from(y) > max {
        return Err(ApiError::bad_request(
            format!("Pada zoom {z}, x dan y harus antara 0 dan {max}; diminta x={x}, y={y}."),
            format!("At zoom {z}, x and y must be between 0 and {max}; got x={x}, y={y}."),
        ));
    }
    if z > u32::from(ts.maxzoom) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "Tileset '{}' tidak punya tile di atas zoom {}.",
                ts.name, ts.maxzoom
            ),
            format!(
                "Tileset '{}' has no tiles above zoom {}.",
                ts.name, ts.maxzoom
            ),
        ));
    }
    Ok(z as u8)
}

async fn serve_tile(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    z: &str,
    x: &str,
    y: &str,
) -> Result<Response, ApiError> {
    let svc = tiles(state);
    let (index, ts) = find(svc, name)?;
    let z = parse_num("Zoom", "Zoom", z)?;
    let x = parse_num("x", "x", x)?;
    let y = parse_num("y", "y", y)?;
    let z = check_zxy(ts, z, x, y)?;
    authorize(state, ts, headers).await?;
    let rendered = svc.tile(index, z, x, y).await.map_err(|e| match e {
        super::TileError::Query(e) if e.is_unavailable() => ApiError::db_unavailable(),
        other => ApiError::internal(&other),
    })?;
    let max_age = state.config.tile_max_age_secs;
    Ok(match rendered {
        Rendered::OutsideZoom => empty(max_age, None),
        Rendered::Tile(tile) => tile_response(&tile, headers, max_age, ts.role.is_some()),
    })
}

fn cache_control(max_age: u64, private: bool) -> HeaderValue {
    let scope = if private { "private" } else { "public" };
    HeaderValue::from_str(&format!("{scope}, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"))
}

fn empty(max_age: u64, etag: Option<&str>) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, cache_control(max_age, false));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert(header::ETAG, tag);
    }
    res
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t == etag || t.strip_prefix("W/") == Some(etag))
}

/// The HTTP answer for a tile: 204 when empty, 304 on a matching `If-None-Match`, else the
/// bytes, gzip-encoded when the client accepts it.
pub fn tile_response(tile: &Tile, headers: &HeaderMap, max_age: u64, private: bool) -> Response {
    if tile.raw.is_empty() {
        return empty(max_age, Some(&tile.etag));
    }
    let etag = HeaderValue::from_str(&tile.etag).unwrap_or(HeaderValue::from_static("\"\""));
    if etag_matches(headers, &tile.etag) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        let h = res.headers_mut();
        h.insert(header::ETAG, etag);
        h.insert(header::CACHE_CONTROL, cache_control(max_age, private));
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return res;
    }
    let gzip = accepts_gzip(headers);
    let body = if gzip {
        if tile.gzip.is_empty() {
            super::cache::gzip(&tile.raw, flate2::Compression::fast())
        } else {
            tile.gzip.clone()
        }
    } else {
        tile.raw.clone()
    };
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT));
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, cache_control(max_age, private));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    res
}

/// `GET /tiles/{tileset}/{z}/{x}/{y}` (y may end in `.mvt` or `.pbf`).
async fn xyz_tile(
    State(state): State<AppState>,
    Path((name, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .unwrap_or(&y);
    serve_tile(&state, &headers, &name, &z, &x, y).await
}

/// `GET /collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`.
async fn ogc_tile(
    State(state): State<AppState>,
    Path((id, tm, row, col)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    collection(&state, &id)?;
    serve_tile(&state, &headers, &id, &tm, &col, &row).await
}

/// `GET /tiles/{tileset}`: TileJSON 3.0.0.
async fn tilejson(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let svc = tiles(&state);
    let (_, ts) = find(svc, &name)?;
    authorize(&state, ts, &headers).await?;
    let origin = origin(&headers, &state.config.bind.to_string());
    Ok(Json(tilejson_value(svc, ts, &origin)).into_response())
}

pub fn tilejson_value(svc: &TileService, ts: &Tileset, origin: &str) -> Value {
    let b = svc.bounds;
    let center_zoom = 13.clamp(ts.minzoom, ts.maxzoom);
    let vector_layers: Vec<Value> = ts
        .layers
        .iter()
        .map(|i| {
            let l = &svc.layers[*i];
            let fields: serde_json::Map<String, Value> = l
                .fields
                .iter()
                .map(|f| (f.name.clone(), json!(f.kind)))
                .collect();
            json!({
                "id": l.def.name,
                "description": l.def.title,
                "minzoom": l.def.minzoom,
                "maxzoom": l.def.maxzoom,
                "fields": fields,
            })
        })
        .collect();
    json!({
        "tilejson": "3.0.0",
        "name": ts.name,
        "description": ts.description,
        "version": "1.0.0",
        "attribution": "Pemerintah Kota Kupang; batas wilayah: idn-area-boundary (indikatif)",
        "scheme": "xyz",
        "tiles": [format!("{origin}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", ts.name)],
        "minzoom": ts.minzoom,
        "maxzoom": ts.maxzoom,
        "bounds": b,
        "center": [round6((b[0] + b[2]) / 2.0), round6((b[1] + b[3]) / 2.0), center_zoom],
        "vector_layers": vector_layers,
    })
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The tileset of an OGC collection: only single-layer tilesets are collections.
fn collection<'a>(state: &'a AppState, id: &str) -> Result<(u16, &'a Tileset), ApiError> {
    match tiles(state).tileset(id) {
        Some((i, ts)) if ts.name != super::COMPOSITE => Ok((i, ts)),
        _ => Err(ApiError::not_found(
            &format!("Koleksi '{id}' dengan tile"),
            &format!("A collection '{id}' with tiles"),
        )),
    }
}

/// `GET /tileMatrixSets`.
async fn tile_matrix_sets(headers: HeaderMap, State(state): State<AppState>) -> Json<Value> {
    let o = origin(&headers, &state.config.bind.to_string());
    Json(json!({
        "tileMatrixSets": [{
            "id": "WebMercatorQuad",
            "title": "Google Maps Compatible for the World",
            "uri": WMQ_URI,
            "links": [{ "rel": "self", "type": "application/json",
                        "href": format!("{o}/tileMatrixSets/WebMercatorQuad") }]
        }]
    }))
}

/// `GET /tileMatrixSets/WebMercatorQuad`: the OGC 2D TileMatrixSet definition.
async fn web_mercator_quad() -> Json<Value> {
    const ORIGIN: f64 = 20_037_508.342_789_244;
    let matrices: Vec<Value> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            let cell = 2.0 * ORIGIN / 256.0 / n as f64;
            json!({
                "id": z.to_string(),
                "scaleDenominator": cell / 0.000_28,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-ORIGIN, ORIGIN],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    Json(json!({
        "id": "WebMercatorQuad",
        "title": "Google Maps Compatible for the World",
        "uri": WMQ_URI,
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }))
}

fn ogc_tileset_value(o: &str, id: &str, ts: &Tileset, full: bool, svc: &TileService) -> Value {
    let base = format!("{o}/collections/{id}/tiles/WebMercatorQuad");
    let mut v = json!({
        "title": ts.title,
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": WMQ_URI,
        "links": [
            { "rel": "self", "type": "application/json", "href": base },
            { "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
              "type": "application/json", "href": format!("{o}/tileMatrixSets/WebMercatorQuad") },
            { "rel": "item", "type": MVT, "templated": true,
              "href": format!("{base}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}") },
            { "rel": "describedby", "type": "application/json",
              "href": format!("{o}/tiles/{id}") }
        ]
    });
    if full {
        let b = svc.bounds;
        let limits: Vec<Value> = (ts.minzoom..=ts.maxzoom)
            .map(|z| {
                let [(c0, r1), (c1, r0)] = [(b[0], b[1]), (b[2], b[3])].map(|(lon, lat)| {
                    let n = f64::from(1u32 << z);
                    let x = ((lon + 180.0) / 360.0 * n).floor() as u64;
                    let lat = lat.to_radians();
                    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI)
                        / 2.0
                        * n)
                        .floor() as u64;
                    (x, y)
                });
                json!({ "tileMatrix": z.to_string(), "minTileRow": r0, "maxTileRow": r1,
                        "minTileCol": c0, "maxTileCol": c1 })
            })
            .collect();
        v["tileMatrixSetLimits"] = json!(limits);
        v["layers"] = json!(
            ts.layers
                .iter()
                .map(|i| {
                    let l = &svc.layers[*i];
                    json!({ "id": l.def.name, "title": l.def.title, "dataType": "vector",
                            "minTileMatrix": l.def.minzoom.to_string(),
                            "maxTileMatrix": l.def.maxzoom.to_string() })
                })
                .collect::<Vec<_>>()
        );
    }
    v
}

/// `GET /collections/{id}/tiles`: the tilesets of a collection.
async fn collection_tilesets(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (_, ts) = collection(&state, &id)?;
    authorize(&state, ts, &headers).await?;
    let o = origin(&headers, &state.config.bind.to_string());
    Ok(Json(json!({
        "links": [{ "rel": "self", "type": "application/json",
                    "href": format!("{o}/collections/{id}/tiles") }],
        "tilesets": [ogc_tileset_value(&o, &id, ts, false, tiles(&state))]
    })))
}

/// `GET /collections/{id}/tiles/WebMercatorQuad`: tileset metadata with its limits.
async fn collection_tileset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (_, ts) = collection(&state, &id)?;
    authorize(&state, ts, &headers).await?;
    let o = origin(&headers, &state.config.bind.to_string());
    Ok(Json(ogc_tileset_value(&o, &id, ts, true, tiles(&state))))
}

/// `GET /styles/{id}`: a MapLibre style from `styles/{id}.json`, with relative source, glyph
/// and sprite URLs made absolute for the origin the request came to.
async fn style(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = id.strip_suffix(".json").unwrap_or(&id);
    if !super::layer::is_identifier(id) {
        return Err(ApiError::not_found(
            &format!("Gaya peta '{id}'"),
            &format!("Style '{id}'"),
        ));
    }
    let path: PathBuf = state.config.styles_dir.join(format!("{id}.json"));
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|_| ApiError::not_found(&format!("Gaya peta '{id}'"), &format!("Style '{id}'")))?;
    let mut style: Value = serde_json::from_str(&text).map_err(|e| ApiError::internal(&e))?;
    let o = origin(&headers, &state.config.bind.to_string());
    absolutize_style(&mut style, &o);
    let mut res = Json(style).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// Prefixes every relative URL of a style (`sources.*.url`, `sources.*.tiles[]`, `glyphs`,
/// `sprite`) with `origin`.
pub fn absolutize_style(style: &mut Value, origin: &str) {
    let fix = |v: &mut Value| {
        if let Some(s) = v.as_str()
            && s.starts_with('/')
        {
            *v = Value::String(format!("{origin}{s}"));
        }
    };
    if let Some(sources) = style.get_mut("sources").and_then(Value::as_object_mut) {
        for src in sources.values_mut() {
            if let Some(u) = src.get_mut("url") {
                fix(u);
            }
            if let Some(ts) = src.get_mut("tiles").and_then(Value::as_array_mut) {
                ts.iter_mut().for_each(fix);
            }
        }
    }
    for key in ["glyphs", "sprite"] {
        if let Some(v) = style.get_mut(key) {
            fix(v);
        }
    }
}

/// The map fonts, scanned from the configured folders on first use.
async fn fonts(state: &AppState) -> Result<&super::fonts::Fonts, ApiError> {
    if let Some(f) = state.tiles.fonts.get() {
        return Ok(f);
    }
    let dirs = state.config.fonts_dirs.clone();
    let scanned = tokio::task::spawn_blocking(move || super::fonts::Fonts::scan(&dirs))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    // A concurrent first request may have won; either scan is the same.
    let _ = state.tiles.fonts.set(scanned);
    Ok(state.tiles.fonts.get().expect("just set"))
}

/// `GET /fonts`: the font names that may be used in a style's `text-font`.
async fn font_list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let f = fonts(&state).await?;
    Ok(Json(json!({
        "fonts": f.names().collect::<Vec<_>>(),
        "glyphs": "/fonts/{fontstack}/{range}.pbf",
    })))
}

/// `GET /fonts/{fontstack}/{start}-{end}.pbf`: one 256-glyph range of SDF glyphs.
async fn glyphs(
    State(state): State<AppState>,
    Path((stack, range)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    use super::fonts::FontError;
    let svc = state.clone();
    fonts(&state).await?;
    let result = tokio::task::spawn_blocking(move || {
        svc.tiles
            .fonts
            .get()
            .expect("scanned above")
            .glyphs(&stack, &range)
            .map_err(|e| (e, stack))
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let bytes = match result {
        Ok(b) => b,
        Err((FontError::BadRange(r), _)) => {
            return Err(ApiError::bad_request(
                format!(
                    "Rentang glyph '{r}' tidak sah: harus START-END.pbf dengan START kelipatan 256 dan END = START + 255 (maks. 65535)."
                ),
                format!(
                    "Glyph range '{r}' is not valid: it must be START-END.pbf with START a multiple of 256 and END = START + 255 (at most 65535)."
                ),
            ));
        }
        Err((FontError::UnknownFonts { .. }, stack)) => {
            let names: Vec<&str> = state.tiles.fonts.get().expect("scanned").names().collect();
            let shown = names
                .iter()
                .take(20)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ApiError::not_found(
                &format!("Font '{stack}' (tersedia: {shown})"),
                &format!("Font '{stack}' (available: {shown})"),
            ));
        }
        Err((FontError::StackTooLong, _)) => {
            return Err(ApiError::bad_request(
                "Tumpukan font terlalu panjang (paling banyak 8 font).",
                "The fontstack is too long (at most 8 fonts).",
            ));
        }
        Err((e @ FontError::Render(_), _)) => return Err(ApiError::internal(&e)),
    };
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&bytes));
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-protobuf"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(|e| ApiError::internal(&e))?,
    );
    if etag_matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    Ok((StatusCode::OK, h, bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_honours_forwarded_headers() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(origin(&h, "x"), "http://127.0.0.1:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("peta.kupangkota.go.id, proxy"),
        );
        assert_eq!(origin(&h, "x"), "https://peta.kupangkota.go.id");
        h.insert("x-forwarded-host", HeaderValue::from_static("evil\"host"));
        assert_eq!(origin(&h, "x"), "https://127.0.0.1:8080");
    }

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0"),
        );
        assert!(!accepts_gzip(&h));
    }

    #[test]
    fn styles_get_absolute_urls() {
        let mut s = json!({
            "sources": { "city": { "type": "vector", "url": "/tiles/city" },
                         "ext": { "type": "vector", "url": "https://other/x" } },
            "glyphs": "/fonts/{fontstack}/{range}.pbf"
        });
        absolutize_style(&mut s, "https://peta.example");
        assert_eq!(
            s["sources"]["city"]["url"],
            "https://peta.example/tiles/city"
        );
        assert_eq!(s["sources"]["ext"]["url"], "https://other/x");
        assert_eq!(
            s["glyphs"],
            "https://peta.example/fonts/{fontstack}/{range}.pbf"
        );
    }
}
