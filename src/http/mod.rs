//! The HTTP skeleton: the middleware stack in one place, and the ops routes.
//!
//! Middleware, outermost first (the order is deliberate):
//! 1. request id: `x-request-id` taken from the client or made up (UUID v4), echoed back;
//! 2. trace: one span per request with method, path, matched route and request id, and one
//!    log line per response with status and latency;
//! 3. metrics: request count and latency by matched route and status (`crate::metrics`);
//! 4. gzip compression of responses (outside the normaliser, so it reads plain bodies);
//! 5. error normaliser: any 4xx/5xx that is not already problem+json (unknown route, wrong
//!    method, body too large, timeout) is rewritten as problem+json;
//! 6. panic catcher: a panicking handler answers a generic 500 problem, the process lives on;
//! 7. timeout: a request running longer than `request_timeout` is stopped with 503;
//! 8. body limit: bodies over `body_limit_bytes` are refused with 413, by `Content-Length`
//!    before any handler runs, or while a streamed body is read;
//! 9. the guards of [`guard`], innermost: an address over 16 KiB is a 414, HTML answers get
//!    their security headers, a NUL in the address (400) or in a JSON body string (422 naming
//!    the field) is refused before any handler runs;
//! 10. CORS: any origin may read, POST JSON to the public endpoints (`/api/check`), and edit
//!     with a bearer token (OGC API - Features Part 4: PUT, PATCH, DELETE with `If-Match` and
//!     `Content-Crs`; `ETag`, `Location` and `Content-Crs` are readable); no credentials
//!     (cookies) are allowed cross-origin, so session-cookie requests stay same-origin.

pub mod apidoc;
pub mod body;
pub mod guard;
pub mod limit;
mod ops;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{BoxError, Router, middleware};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::{PROBLEM_JSON, generic_detail, problem_response};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// OGC API - Features Part 2: the CRS of a request's or response's geometries.
pub const CONTENT_CRS: HeaderName = HeaderName::from_static("content-crs");

/// All routes with the middleware stack.
///
/// The two z/x/y tile routes, the hottest path by far, get the same stack minus the layers that
/// do nothing for them (compression: tiles carry their own cached gzip; body limits: GET only;
/// the NUL guard: tile paths are parsed as numbers and names). Everything else gets all of it.
pub fn router(state: AppState) -> Router {
    let timeout = state.config.request_timeout;
    let body_limit = state.config.body_limit_bytes;
    let tiles = crate::tiles::http::tile_routes()
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(guard::limit_uri))
        .with_state(state.clone())
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(
                            tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                        ),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn(crate::metrics::track))
                .layer(middleware::map_response(normalize_errors))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(HandleErrorLayer::new(layer_error))
                .layer(tower::timeout::TimeoutLayer::new(timeout))
                .layer(cors()),
        );
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(crate::metrics::public))
        .merge(crate::tiles::http::routes())
        .merge(crate::check::http::routes(&state))
        .merge(crate::ogc::routes())
        .merge(crate::permits::routes())
        .merge(crate::monitor::routes())
        .merge(crate::import::routes())
        .merge(crate::plans::http::routes())
        .merge(crate::web::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(guard::reject_nul_in_json))
        .layer(middleware::from_fn(guard::reject_nul))
        .layer(middleware::from_fn(guard::html_headers))
        .layer(middleware::from_fn(guard::limit_uri))
        // the primary pool, for the rate limits that hold across nodes (`limit::Limit::shared`)
        .layer(middleware::from_fn_with_state(
            state.reads.clone(),
            crate::db::reads::fence_after_write,
        ))
        .layer(axum::Extension(limit::SharedBuckets(state.pool.clone())))
        .layer(axum::Extension(limit::TrustedProxies(std::sync::Arc::new(
            state.config.trusted_proxies.clone(),
        ))))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(
                            tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                        ),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn(crate::metrics::track))
                .layer(CompressionLayer::new())
                .layer(middleware::map_response(normalize_errors))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(HandleErrorLayer::new(layer_error))
                .layer(tower::timeout::TimeoutLayer::new(timeout))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(body_limit))
                .layer(cors()),
        )
        .merge(tiles)
}

/// One span per request. Field values are only computed when the span is enabled (the log
/// level includes INFO), so a quiet server pays nothing here.
fn request_span(req: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        route = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str)
            .unwrap_or_default(),
        request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    )
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let (kind, id, en) = generic_detail(StatusCode::INTERNAL_SERVER_ERROR);
    problem_response(StatusCode::INTERNAL_SERVER_ERROR, kind, id, en)
}

async fn layer_error(err: BoxError) -> Response {
    if err.is::<tower::timeout::error::Elapsed>() {
        problem_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "Permintaan memakan waktu terlalu lama dan dihentikan. Persempit permintaan atau coba lagi.",
            "The request took too long and was stopped. Narrow it down or try again.",
        )
    } else {
        crate::error::ApiError::internal(&err).into_response()
    }
}

/// Any origin may read, and send the methods and headers of the public API and of OGC API -
/// Features Part 4; no credentials cross-origin.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            header::IF_MATCH,
            CONTENT_CRS,
        ])
        .expose_headers([header::ETAG, header::LOCATION, CONTENT_CRS, REQUEST_ID])
}

async fn fallback() -> Response {
    let (kind, id, en) = generic_detail(StatusCode::NOT_FOUND);
    problem_response(StatusCode::NOT_FOUND, kind, id, en)
}

async fn method_not_allowed() -> Response {
    let (kind, id, en) = generic_detail(StatusCode::METHOD_NOT_ALLOWED);
    problem_response(StatusCode::METHOD_NOT_ALLOWED, kind, id, en)
}

/// Rewrites error responses that are not problem+json yet, keeping status and headers such as
/// `Allow` and `Retry-After`.
async fn normalize_errors<B>(res: axum::http::Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let res = res.map(axum::body::Body::new);
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON));
    if is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (kind, id, en) = generic_detail(status);
    // Rejection texts from axum's extractors say what was wrong; keep them for 4xx.
    let en = if !text.is_empty() && status.is_client_error() && text.len() < 1000 {
        format!("{en} {text}")
    } else {
        en.to_string()
    };
    let mut out = problem_response(status, kind, id, &en);
    for name in [
        header::ALLOW,
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        REQUEST_ID,
    ] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}
