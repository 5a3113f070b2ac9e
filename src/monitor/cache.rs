//! A response cache for the read endpoints of stunting and prices.
//!
//! Their answers depend only on the request and on the monitoring tables, which change rarely
//! (imports). Triggers of `0005_monitor.sql` write the id of the last transaction that changed
//! any of those tables into `monitor_data_version`, in that same transaction, so the version
//! becomes visible exactly when the data does. A request reads the version first (one
//! one-row query), then answers from the cache when an entry of that version exists, else
//! computes and stores. A transaction id never repeats, so an entry can never be mistaken for a
//! newer state, even after the tables were truncated; and since the version is read before the
//! data, an entry is never older than its version. Several server copies each keep their own
//! cache and stay correct. `Cache-Control: no-cache` on the request skips the cache.
//!
//! [`get_cached`] is the one way an endpoint uses it: the route's handler, around a function of
//! the request's state, query and headers.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use sqlx::PgPool;

use super::MonitorError;
use crate::AppState;

/// Bytes of cached answers kept (keys included).
pub const CACHE_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Clone)]
struct Entry {
    version: i64,
    headers: HeaderMap,
    body: Bytes,
}

/// Cached answers by request (method, path and query, CSV or not).
#[derive(Clone)]
pub struct ResponseCache {
    inner: moka::sync::Cache<String, Entry>,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache {
            inner: moka::sync::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|k: &String, e: &Entry| {
                    (k.len() + e.body.len() + 256)
                        .try_into()
                        .unwrap_or(u32::MAX)
                })
                .build(),
        }
    }
}

/// The data version, `None` when the version row is missing (then nothing is cached).
pub async fn data_version(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM monitor_data_version")
        .fetch_optional(pool)
        .await
}

fn no_cache(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("no-cache") || v.contains("no-store"))
}

/// The cache key of a request: its path and query, and whether it asked for CSV.
pub fn key(uri: &axum::http::Uri, headers: &HeaderMap) -> String {
    format!(
        "{}|{}",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or(""),
        super::wants_csv(headers)
    )
}

impl ResponseCache {
    /// The cached answer to `key` at the current data version, or `compute`'s (stored when 200).
    pub async fn get_or<F, Fut>(
        &self,
        pool: &PgPool,
        request_headers: &HeaderMap,
        key: String,
        compute: F,
    ) -> Result<Response, MonitorError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Response, MonitorError>>,
    {
        let version = data_version(pool).await?;
        let skip = no_cache(request_headers);
        if let (Some(v), false) = (version, skip)
            && let Some(e) = self.inner.get(&key)
            && e.version == v
        {
            let mut res = e.body.into_response();
            *res.headers_mut() = e.headers;
            res.headers_mut()
                .insert("x-cache", axum::http::HeaderValue::from_static("hit"));
            return Ok(res);
        }
        let res = compute().await?;
        let Some(v) = version else {
            return Ok(res);
        };
        if res.status() != StatusCode::OK {
            return Ok(res);
        }
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| crate::error::ApiError::internal(&e))?;
        self.inner.insert(
            key,
            Entry {
                version: v,
                headers: parts.headers.clone(),
                body: body.clone(),
            },
        );
        Ok(Response::from_parts(parts, axum::body::Body::from(body)))
    }
}

/// Shared by the routers of one application.
pub type Shared = Arc<ResponseCache>;

/// Where a cached endpoint reads (the data version and the data from the same database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// A replica when one is eligible, else the primary.
    Replica,
    /// Always the primary.
    Primary,
}

/// A `GET` route answered through the [`Shared`] cache of the router (an `Extension`):
/// `compute(state, query, headers)` runs on a miss, its 200 answers are kept.
pub fn get_cached<F, Fut>(reads: Reads, compute: F) -> MethodRouter<AppState>
where
    F: Fn(AppState, HashMap<String, String>, HeaderMap) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, MonitorError>> + Send + 'static,
{
    axum::routing::get(
        move |State(state): State<AppState>,
              Extension(cache): Extension<Shared>,
              uri: Uri,
              headers: HeaderMap,
              Query(q): Query<HashMap<String, String>>| {
            let compute = compute.clone();
            async move {
                let key = key(&uri, &headers);
                let state = match reads {
                    Reads::Replica => state.for_reads(),
                    Reads::Primary => state,
                };
                cache
                    .get_or(&state.pool, &headers, key, || {
                        compute(state.clone(), q, headers.clone())
                    })
                    .await
            }
        },
    )
}
