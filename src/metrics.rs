//! `GET /metrics`: the server's counters in the Prometheus text format, through the `metrics`
//! facade and `metrics-exporter-prometheus`'s recorder (one per process).
//!
//! Where it is served (config):
//! - `metrics_bind` (`RUANG_METRICS_BIND`): a second listener that serves only `/metrics`,
//!   without authentication; bind it to a private address.
//! - `metrics_token` (`RUANG_METRICS_TOKEN`): `/metrics` on the public address answers requests
//!   carrying `Authorization: Bearer <token>`, 401 others. Without a token it answers 404 there,
//!   so by default the metrics are not public.
//!
//! What it holds (every name starts with `ruang_`):
//! - `http_requests_total` and `http_request_duration_seconds` (histogram, time to the response
//!   head) by `method`, `route` (the matched route template, `unmatched` for the 404 fallback)
//!   and `status`;
//! - `tile_cache_hits_total`, `tile_cache_misses_total` (rendered), `tile_known_empty_total`
//!   (answered by the occupancy map), `tile_cache_bytes`, `tile_cache_entries`;
//! - `db_pool_connections{pool, state="in_use"|"idle"}`, `db_pool_max{pool}`,
//!   `db_pool_waiting{pool}` (callers queued for a connection: the tile pools report it; sqlx's
//!   pools do not expose it, there `in_use == max` means callers wait), for `primary`,
//!   `primary_tiles` and each `replicaN`, `replicaN_tiles`;
//! - `db_reads_total{target="primary"|"replica"}` (the reads that may go to a replica),
//!   `replica_up{replica}`, `replica_lag_seconds{replica}`, `replica_behind_fence{replica}`;
//! - `check_duration_seconds` (histogram of `POST /api/check`'s rule engine run);
//! - `import_jobs{state}` (running, interrupted, succeeded, rejected, failed; read at scrape).
//!
//! Gauges of pools, cache, replicas and jobs are read when `/metrics` is scraped.

use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Label, counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::error::ApiError;

/// Latency buckets in seconds (1 ms to 30 s).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first.
pub fn init() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "ruang_http_requests_total",
        "HTTP requests by method, matched route and status"
    );
    describe_histogram!(
        "ruang_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to the response head, by method, matched route and status"
    );
    describe_counter!(
        "ruang_tile_cache_hits_total",
        "Tiles answered from the cache"
    );
    describe_counter!(
        "ruang_tile_cache_misses_total",
        "Tiles rendered by the database"
    );
    describe_counter!(
        "ruang_tile_known_empty_total",
        "Tiles the occupancy map knew empty (no database round trip)"
    );
    describe_gauge!("ruang_tile_cache_bytes", "Bytes held by the tile cache");
    describe_gauge!("ruang_tile_cache_entries", "Tiles held by the tile cache");
    describe_gauge!(
        "ruang_db_pool_connections",
        "Open connections per pool, in use or idle"
    );
    describe_gauge!("ruang_db_pool_max", "Most connections a pool opens");
    describe_gauge!(
        "ruang_db_pool_waiting",
        "Callers waiting for a connection (tile pools)"
    );
    describe_counter!(
        "ruang_db_reads_total",
        "Replica-capable reads by where they went"
    );
    describe_gauge!(
        "ruang_replica_up",
        "1 when the replica answers as a hot standby"
    );
    describe_gauge!(
        "ruang_replica_lag_seconds",
        "Age of the newest primary WAL position the replica has replayed"
    );
    describe_gauge!(
        "ruang_replica_behind_fence",
        "1 while the replica has not replayed the last change this node saw"
    );
    describe_histogram!(
        "ruang_check_duration_seconds",
        metrics::Unit::Seconds,
        "Rule engine time of POST /api/check"
    );
    describe_gauge!("ruang_import_jobs", "Import jobs by state");
}

/// Middleware: counts each request and records its latency by matched route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let res = next.run(req).await;
    let labels = vec![
        Label::new("method", method),
        Label::new("route", route.unwrap_or_else(|| "unmatched".to_string())),
        Label::new("status", res.status().as_u16().to_string()),
    ];
    counter!("ruang_http_requests_total", labels.clone()).increment(1);
    histogram!("ruang_http_request_duration_seconds", labels).record(start.elapsed().as_secs_f64());
    res
}

/// Records one rule engine run of `POST /api/check`.
pub fn record_check(elapsed: Duration) {
    histogram!("ruang_check_duration_seconds").record(elapsed.as_secs_f64());
}

fn pool_gauges(name: &str, size: usize, idle: usize, waiting: Option<usize>, max: usize) {
    let in_use = size.saturating_sub(idle);
    gauge!("ruang_db_pool_connections", "pool" => name.to_string(), "state" => "in_use")
        .set(in_use as f64);
    gauge!("ruang_db_pool_connections", "pool" => name.to_string(), "state" => "idle")
        .set(idle as f64);
    gauge!("ruang_db_pool_max", "pool" => name.to_string()).set(max as f64);
    if let Some(w) = waiting {
        gauge!("ruang_db_pool_waiting", "pool" => name.to_string()).set(w as f64);
    }
}

fn sqlx_pool(name: &str, p: &sqlx::PgPool) {
    pool_gauges(
        name,
        p.size() as usize,
        p.num_idle(),
        None,
        p.options().get_max_connections() as usize,
    );
}

fn tile_pool(name: &str, db: &crate::tiles::db::TileDb) {
    let (size, idle, waiting, max) = db.status();
    let waiting = matches!(db, crate::tiles::db::TileDb::Fast(_)).then_some(waiting);
    pool_gauges(name, size, idle, waiting, max);
}

/// The states an import job is reported in.
const JOB_STATES: &[&str] = &["running", "interrupted", "succeeded", "rejected", "failed"];

/// Reads the gauges and renders every metric.
pub async fn render(state: &AppState) -> String {
    let Some(handle) = init() else {
        return String::new();
    };
    let reads = &state.reads;
    sqlx_pool("primary", &reads.primary);
    tile_pool("primary_tiles", &reads.primary_tiles);
    let fence = reads.fence.get();
    for r in &reads.replicas {
        sqlx_pool(&r.name, &r.pool);
        tile_pool(&format!("{}_tiles", r.name), &r.tiles);
        let up = r.is_up();
        gauge!("ruang_replica_up", "replica" => r.name.clone()).set(if up { 1.0 } else { 0.0 });
        if up {
            gauge!("ruang_replica_lag_seconds", "replica" => r.name.clone())
                .set(r.lag().as_secs_f64());
        }
        gauge!("ruang_replica_behind_fence", "replica" => r.name.clone())
            .set(if r.replay_lsn() < fence { 1.0 } else { 0.0 });
    }
    counter!("ruang_db_reads_total", "target" => "primary")
        .absolute(reads.to_primary.load(Ordering::Relaxed));
    counter!("ruang_db_reads_total", "target" => "replica")
        .absolute(reads.to_replica.load(Ordering::Relaxed));

    let t = &state.tiles;
    counter!("ruang_tile_cache_hits_total").absolute(t.hits.load(Ordering::Relaxed));
    counter!("ruang_tile_cache_misses_total").absolute(t.misses.load(Ordering::Relaxed));
    counter!("ruang_tile_known_empty_total").absolute(t.known_empty.load(Ordering::Relaxed));
    gauge!("ruang_tile_cache_bytes").set(t.cache.weighted_size() as f64);
    gauge!("ruang_tile_cache_entries").set(t.cache.len() as f64);

    // Import jobs, on the primary (they change under the caller); skipped when it is slow.
    let jobs = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_as::<_, (String, i64)>(
            "SELECT CASE WHEN status = 'running' AND heartbeat_at < now() - interval '1 minute'
                         THEN 'interrupted' ELSE status END AS state, count(*)
               FROM import_jobs GROUP BY 1",
        )
        .fetch_all(&state.pool),
    )
    .await;
    if let Ok(Ok(rows)) = jobs {
        for s in JOB_STATES {
            let n = rows.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
            gauge!("ruang_import_jobs", "state" => *s).set(n as f64);
        }
    }
    handle.render()
}

fn text(body: String) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /metrics` on the public address: only with the configured bearer token.
pub async fn public(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Metrik tidak disajikan di alamat ini (lihat metrics_bind dan metrics_token).",
            "Metrics are not served on this address (see metrics_bind and metrics_token).",
        )
        .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
        let mut res = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Metrik memerlukan token metrik (Authorization: Bearer ...).",
            "Metrics need the metrics token (Authorization: Bearer ...).",
        )
        .into_response();
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    }
    text(render(&state).await)
}

async fn open(State(state): State<AppState>) -> Response {
    text(render(&state).await)
}

/// The router of the separate metrics listener (`metrics_bind`): `/metrics` without a token.
pub fn private_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(open)).with_state(state)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_compared_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
