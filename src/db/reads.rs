//! Where reads go: the primary, or a hot standby (`database_read_urls`).
//!
//! Contract:
//! - Every write, every read that must see the caller's own write, and the LISTEN of the change
//!   feed use the primary pool (`AppState::pool`). Only the callers that opted in read through
//!   [`ReadRouter`]: tiles, OGC items pages, the monitoring reads and the rule-set load.
//! - [`ReadRouter::pick`] takes the replicas in turn (round robin) and skips one that is down,
//!   is not a standby, lags more than `replica_max_lag_ms`, or has not replayed the **fence**;
//!   when none is eligible the read goes to the primary. Without replicas every read goes to the
//!   primary and nothing below runs.
//! - The fence is the primary's WAL position (`pg_current_wal_lsn()`) read by the change
//!   listener right after it received a change notification, and before that change is passed
//!   on to the caches (`db::changes`). A notification is delivered after its transaction
//!   committed, and with `synchronous_commit` on (PostgreSQL's default) the commit record is
//!   written by then, so a replica whose replay position is at or past the fence has replayed
//!   that change. A cache that drops tiles after a change therefore re-renders them only from
//!   the primary or from a replica that holds the change.
//! - Replay positions and lag come from a monitor task that polls the primary's
//!   `pg_current_wal_lsn()` and each replica's `pg_is_in_recovery()` and
//!   `pg_last_wal_replay_lsn()` every [`POLL`] (every [`POLL_FAST`] while a replica is behind
//!   the fence). A polled replay position is a lower bound (replay only moves forward), so the
//!   fence test can only err towards the primary. Lag is the age of the newest primary position
//!   sample the replica has replayed (0 when it has replayed the latest), so it is exact to
//!   within one poll and grows while replay is stuck even when the primary is idle.
//! - A read that fails on a replica because the replica is unreachable marks it down and is run
//!   again on the primary ([`ReadRouter::read`]), so a replica that stops costs no error; the
//!   monitor brings it back once it answers again.
//! - After a successful write request (any method but GET, HEAD, OPTIONS answered 2xx) the node
//!   raises the fence to the primary's WAL position before the answer leaves
//!   ([`fence_after_write`]): a client that writes through a node and then reads through the
//!   same node sees its write, also in items pages and monitoring reads, which no change
//!   notification covers.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::tiles::db::{TileDb, TileDbError};

/// How often the monitor polls when every replica has replayed the fence.
pub const POLL: Duration = Duration::from_millis(250);
/// How often it polls while some replica that is up has not replayed the fence yet.
pub const POLL_FAST: Duration = Duration::from_millis(25);
/// Longest wait for one replica's answer in the monitor.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `X/Y` (PostgreSQL's `pg_lsn` text) as a number.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.trim().split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// Errors that can tell whether the database was unreachable (then a replica's read is retried
/// on the primary) or the query itself failed (then it is not).
pub trait Unavailable {
    fn unavailable(&self) -> bool;
}

impl Unavailable for sqlx::Error {
    fn unavailable(&self) -> bool {
        crate::db::unavailable(self)
    }
}

impl Unavailable for TileDbError {
    fn unavailable(&self) -> bool {
        TileDbError::unavailable(self)
    }
}

/// The WAL position every read must have replayed (see the module contract). Shared by the
/// change listener, which raises it, and the router, which reads it.
#[derive(Clone, Default)]
pub struct Fence(Arc<AtomicU64>);

impl Fence {
    pub fn raise(&self, lsn: u64) {
        self.0.fetch_max(lsn, Ordering::SeqCst);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// One hot standby.
pub struct Replica {
    /// `replica0`, `replica1`, ... in the order of `database_read_urls` (metrics label).
    pub name: String,
    /// Host, port and database of the URL (no user, no password), for logs.
    pub shown: String,
    pub pool: PgPool,
    pub tiles: TileDb,
    up: AtomicBool,
    /// Last replay position seen (0 = none yet).
    replay_lsn: AtomicU64,
    /// Lag in milliseconds as of the last poll.
    lag_ms: AtomicU64,
}

impl Replica {
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }
    pub fn replay_lsn(&self) -> u64 {
        self.replay_lsn.load(Ordering::SeqCst)
    }
    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.lag_ms.load(Ordering::SeqCst))
    }
    fn mark_down(&self, why: &dyn std::fmt::Display) {
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::warn!(replica = %self.name, at = %self.shown, error = %why,
                "read replica unreachable; its reads go to the primary");
        }
    }
}

/// Routes the reads that may go to a replica (see the module contract).
pub struct ReadRouter {
    pub primary: PgPool,
    pub primary_tiles: TileDb,
    pub replicas: Vec<Replica>,
    pub fence: Fence,
    max_lag: Duration,
    next: AtomicUsize,
    /// Reads sent to the primary / to a replica (for the metrics).
    pub to_primary: AtomicU64,
    pub to_replica: AtomicU64,
    /// Wakes the monitor early (a fence was raised).
    wake: tokio::sync::Notify,
}

/// How to connect the replicas.
pub struct ReplicaConfig<'a> {
    pub urls: &'a [crate::config::Secret],
    pub max_connections: u32,
    pub tile_connections: usize,
    pub timeout: Duration,
    pub max_lag: Duration,
}

impl ReadRouter {
    /// A router that sends everything to the primary.
    pub fn primary_only(primary: PgPool, primary_tiles: TileDb) -> Self {
        ReadRouter {
            primary,
            primary_tiles,
            replicas: Vec::new(),
            fence: Fence::default(),
            max_lag: Duration::ZERO,
            next: AtomicUsize::new(0),
            to_primary: AtomicU64::new(0),
            to_replica: AtomicU64::new(0),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// A router over `cfg.urls`. Opens no connection: a replica that is down at start is
    /// simply not used until the monitor sees it answer.
    pub fn new(
        primary: PgPool,
        primary_tiles: TileDb,
        cfg: ReplicaConfig<'_>,
    ) -> Result<Self, crate::db::DbError> {
        let mut router = Self::primary_only(primary, primary_tiles);
        router.max_lag = cfg.max_lag;
        for (i, url) in cfg.urls.iter().enumerate() {
            let pool = crate::db::connect_lazy(url.expose(), cfg.max_connections, cfg.timeout)?;
            let tiles = TileDb::new(
                &pool,
                crate::tiles::db::url_password(url.expose()),
                cfg.tile_connections,
                cfg.timeout,
            );
            router.replicas.push(Replica {
                name: format!("replica{i}"),
                shown: shown_url(url.expose()),
                pool,
                tiles,
                up: AtomicBool::new(false),
                replay_lsn: AtomicU64::new(0),
                lag_ms: AtomicU64::new(u64::MAX / 2),
            });
        }
        Ok(router)
    }

    pub fn has_replicas(&self) -> bool {
        !self.replicas.is_empty()
    }

    fn eligible(&self, r: &Replica, fence: u64) -> bool {
        r.is_up() && r.lag() <= self.max_lag && r.replay_lsn() >= fence
    }

    /// The replica the next read goes to, or `None` for the primary.
    pub fn pick(&self) -> Option<&Replica> {
        let n = self.replicas.len();
        if n == 0 {
            return None;
        }
        let fence = self.fence.get();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let found = (0..n)
            .map(|k| &self.replicas[(start + k) % n])
            .find(|r| self.eligible(r, fence));
        match found {
            Some(r) => {
                self.to_replica.fetch_add(1, Ordering::Relaxed);
                Some(r)
            }
            None => {
                self.to_primary.fetch_add(1, Ordering::Relaxed);
                if self
                    .replicas
                    .iter()
                    .any(|r| r.is_up() && r.replay_lsn() < fence)
                {
                    self.wake.notify_one();
                }
                None
            }
        }
    }

    /// A pool for one request's reads: a replica's when one is eligible, else the primary's.
    pub fn pool(&self) -> PgPool {
        match self.pick() {
            Some(r) => r.pool.clone(),
            None => self.primary.clone(),
        }
    }

    /// Runs `f` on a replica's pool, or on the primary's; when the replica turns out to be
    /// unreachable it is marked down and `f` runs again on the primary.
    pub async fn read<T, E, F, Fut>(&self, f: F) -> Result<T, E>
    where
        E: Unavailable + std::fmt::Display,
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(r) = self.pick() {
            match f(r.pool.clone()).await {
                Err(e) if e.unavailable() => {
                    r.mark_down(&e);
                    self.to_primary.fetch_add(1, Ordering::Relaxed);
                }
                other => return other,
            }
        }
        f(self.primary.clone()).await
    }

    /// Renders a tile on a replica or on the primary (see [`ReadRouter::read`]).
    pub async fn render_tile(
        &self,
        sql: &str,
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Vec<u8>, TileDbError> {
        if let Some(r) = self.pick() {
            match r.tiles.render(sql, z, x, y).await {
                Err(e) if e.unavailable() => {
                    r.mark_down(&e);
                    self.to_primary.fetch_add(1, Ordering::Relaxed);
                }
                other => return other,
            }
        }
        self.primary_tiles.render(sql, z, x, y).await
    }

    /// Starts the monitor (does nothing without replicas). It ends when the primary pool closes.
    pub fn spawn_monitor(self: &Arc<Self>) {
        if self.replicas.is_empty() {
            return;
        }
        for r in &self.replicas {
            tracing::info!(replica = %r.name, at = %r.shown, "read replica configured");
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut samples = Samples::default();
            let keep = (this.max_lag * 2).max(Duration::from_secs(10));
            while !this.primary.is_closed() {
                this.poll(&mut samples, keep).await;
                let fence = this.fence.get();
                let behind = this
                    .replicas
                    .iter()
                    .any(|r| r.is_up() && r.replay_lsn() < fence);
                let wait = if behind { POLL_FAST } else { POLL };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = this.wake.notified() => {}
                }
            }
        });
    }

    async fn poll(&self, samples: &mut Samples, keep: Duration) {
        let primary: Result<String, sqlx::Error> =
            sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
                .fetch_one(&self.primary)
                .await;
        if let Some(lsn) = primary.ok().as_deref().and_then(parse_lsn) {
            samples.push(Instant::now(), lsn, keep);
        }
        for r in &self.replicas {
            let probe = tokio::time::timeout(
                PROBE_TIMEOUT,
                sqlx::query_as::<_, (bool, Option<String>)>(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text",
                )
                .fetch_one(&r.pool),
            )
            .await;
            match probe {
                Ok(Ok((true, Some(lsn)))) => {
                    let lsn = parse_lsn(&lsn).unwrap_or(0);
                    r.replay_lsn.fetch_max(lsn, Ordering::SeqCst);
                    let lag = samples.lag(Instant::now(), r.replay_lsn());
                    r.lag_ms.store(
                        lag.as_millis().min(u64::MAX as u128 / 4) as u64,
                        Ordering::SeqCst,
                    );
                    if !r.up.swap(true, Ordering::SeqCst) {
                        tracing::info!(replica = %r.name, at = %r.shown, "read replica up");
                    }
                }
                Ok(Ok(_)) => r.mark_down(&"not a hot standby (pg_is_in_recovery() is false)"),
                Ok(Err(e)) => r.mark_down(&e),
                Err(_) => r.mark_down(&"no answer within 2 s"),
            }
        }
    }
}

impl ReadRouter {
    /// Raises the fence to the primary's current WAL position (nothing without replicas).
    pub async fn fence_now(&self) -> Result<(), sqlx::Error> {
        if self.replicas.is_empty() {
            return Ok(());
        }
        let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
            .fetch_one(&self.primary)
            .await?;
        if let Some(n) = parse_lsn(&lsn) {
            self.fence.raise(n);
            self.wake.notify_one();
        }
        Ok(())
    }
}

/// Middleware: after a successful write request, raises the fence before answering (see the
/// module contract). Does nothing without replicas or for reads.
pub async fn fence_after_write(
    axum::extract::State(reads): axum::extract::State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.run(req).await;
    if write
        && reads.has_replicas()
        && res.status().is_success()
        && let Err(e) = reads.fence_now().await
    {
        // The write is done; its reads may lag until the change feed raises the fence.
        tracing::debug!(error = %e, "cannot read the primary's WAL position after a write");
    }
    res
}

/// Recent primary WAL positions with the time they were read, oldest first.
#[derive(Default)]
struct Samples(VecDeque<(Instant, u64)>);

impl Samples {
    fn push(&mut self, at: Instant, lsn: u64, keep: Duration) {
        self.0.push_back((at, lsn));
        while self
            .0
            .front()
            .is_some_and(|(t, _)| at.duration_since(*t) > keep)
            && self.0.len() > 1
        {
            self.0.pop_front();
        }
    }

    /// How far behind a replica that replayed up to `replay` is: zero when it has replayed the
    /// newest sample, else the age of the newest sample it has replayed (the oldest sample's
    /// age when it has replayed none of them).
    fn lag(&self, now: Instant, replay: u64) -> Duration {
        match self.0.back() {
            None => Duration::ZERO,
            Some((_, newest)) if replay >= *newest => Duration::ZERO,
            Some(_) => {
                let t = self
                    .0
                    .iter()
                    .rev()
                    .find(|(_, lsn)| *lsn <= replay)
                    .or(self.0.front())
                    .map(|(t, _)| *t)
                    .unwrap_or(now);
                now.duration_since(t)
            }
        }
    }
}

/// `host:port/database` of a connection URL (the socket folder for a Unix socket).
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u
                .query_pairs()
                .find(|(k, _)| k == "host")
                .map(|(_, v)| v.into_owned())
                .or_else(|| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{host}{port}{}", u.path())
        }
        Err(_) => "<unparseable URL>".to_string(),
    }
}

/// Shared so the change listener can raise the fence.
pub type Shared = Arc<ReadRouter>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_text_is_read_as_a_number() {
        assert_eq!(parse_lsn("0/16B3748"), Some(0x16B3748));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert!(parse_lsn("1/0").unwrap() > parse_lsn("0/FFFFFFFF").unwrap());
        assert_eq!(parse_lsn("nonsense"), None);
    }

    #[test]
    fn lag_is_the_age_of_the_newest_sample_replayed() {
        let t0 = Instant::now();
        let mut s = Samples::default();
        let keep = Duration::from_secs(60);
        s.push(t0, 100, keep);
        s.push(t0 + Duration::from_secs(1), 200, keep);
        s.push(t0 + Duration::from_secs(2), 300, keep);
        let now = t0 + Duration::from_secs(3);
        assert_eq!(s.lag(now, 300), Duration::ZERO, "caught up");
        assert_eq!(
            s.lag(now, 250),
            Duration::from_secs(2),
            "has what the primary had at t0+1"
        );
        assert_eq!(
            s.lag(now, 50),
            Duration::from_secs(3),
            "older than every sample"
        );
        // replay stuck while the primary is idle: the lag keeps growing
        s.push(t0 + Duration::from_secs(10), 300, keep);
        assert_eq!(
            s.lag(t0 + Duration::from_secs(10), 250),
            Duration::from_secs(9)
        );
    }

    #[test]
    fn old_samples_are_dropped() {
        let t0 = Instant::now();
        let mut s = Samples::default();
        for i in 0..100u64 {
            s.push(t0 + Duration::from_secs(i), i, Duration::from_secs(10));
        }
        assert!(s.0.len() <= 12, "{}", s.0.len());
    }

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            shown_url("postgresql://ruang:geheim@db2.example:5433/ruang"),
            "db2.example:5433/ruang"
        );
        assert_eq!(
            shown_url("postgresql://postgres@localhost/ruang?host=/tmp/s/pg"),
            "/tmp/s/pg/ruang"
        );
    }
}
