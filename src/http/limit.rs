//! Who the client is, and how many requests it may make: one [`ClientIp`] rule and one
//! per-address token bucket for every limiter (`POST /api/check`, waste reports,
//! self-registration; the login throttle counts failures per [`ClientIp`] too), and one 429
//! shape ([`too_many_requests`]).
//!
//! Across several nodes: a [`Limit::shared`] limit (self-registration, waste reports) keeps its
//! buckets in the database (`rate_limits`, migration 0011), taken in one statement, so it holds
//! for all nodes together; if that statement fails (the database is unreachable) the node falls
//! back to its own in-memory bucket. A [`Limit::new`] limit (`POST /api/check`, 1000/s by
//! default) stays in memory per node: a database write per check would put every check on the
//! primary and undo the read scaling, so with N nodes a client gets up to N times the rate.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The client address of a request: the socket peer, except that behind a trusted reverse
/// proxy (a loopback peer, or one in `trusted_proxies`) the last address of `X-Forwarded-For`
/// (the one that proxy added) is used, so that clients are not all counted as the proxy.
/// `0.0.0.0` when the server runs without connect info (tests that do not set it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Proxies besides loopback whose `X-Forwarded-For` is believed (config `trusted_proxies`),
/// put into every request's extensions by the router.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Arc<Vec<Cidr>>);

/// An address block, `10.0.0.0/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0..={max}"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> Option<(u128, u8)> {
            match ip {
                IpAddr::V4(v) => Some((u128::from(u32::from(v)) << 96, 32)),
                IpAddr::V6(v) => match v.to_ipv4_mapped() {
                    Some(v4) => Some((u128::from(u32::from(v4)) << 96, 32)),
                    None => Some((u128::from(v), 128)),
                },
            }
        };
        let (Some((a, la)), Some((b, lb))) = (bits(self.addr), bits(ip)) else {
            return false;
        };
        if la != lb {
            return false;
        }
        let p = u32::from(self.prefix);
        if p == 0 {
            return true;
        }
        let mask = u128::MAX << (128 - p);
        a & mask == b & mask
    }
}

impl ClientIp {
    pub fn of(parts: &Parts) -> ClientIp {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let trusted = |p: IpAddr| {
            p.is_loopback()
                || parts
                    .extensions
                    .get::<TrustedProxies>()
                    .is_some_and(|t| t.0.iter().any(|c| c.contains(p)))
        };
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        ClientIp(match (peer, forwarded) {
            (Some(p), Some(f)) if trusted(p) => f,
            (Some(p), _) => p,
            (None, _) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(parts))
    }
}

/// The one 429 answer: problem+json with `code`, both languages, `Retry-After`.
pub fn too_many_requests(
    code: &'static str,
    detail_id: String,
    detail_en: String,
    wait_secs: u64,
) -> Response {
    ApiError::coded(StatusCode::TOO_MANY_REQUESTS, code, detail_id, detail_en)
        .retry_after(wait_secs)
        .into_response()
}

/// Per client address token bucket.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` requests per second with bursts of two seconds' worth (at least 10); 0 = off.
    pub fn new(rate: f64) -> Self {
        RateLimiter {
            rate,
            burst: (rate * 2.0).max(10.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `None` when the request may go on, else the seconds to wait.
    pub fn take(&self, ip: IpAddr) -> Option<u64> {
        if self.rate <= 0.0 {
            return None;
        }
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() > 100_000 {
            // forget clients whose bucket has filled up again
            let (rate, burst) = (self.rate, self.burst);
            b.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = b.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            None
        } else {
            Some(((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// The primary pool, put into every request's extensions by the router, for shared limits.
#[derive(Clone)]
pub struct SharedBuckets(pub sqlx::PgPool);

/// A limiter for one route, with the words of its 429.
pub struct Limit {
    limiter: RateLimiter,
    /// `Some(scope)`: buckets in the database under this name (see the module docs).
    scope: Option<&'static str>,
    taken: std::sync::atomic::AtomicU64,
    code: &'static str,
    /// What is being limited, in Indonesian and English ("pemeriksaan", "checks").
    what_id: &'static str,
    what_en: &'static str,
}

impl Limit {
    pub fn new(
        rate_per_sec: f64,
        code: &'static str,
        what_id: &'static str,
        what_en: &'static str,
    ) -> Arc<Limit> {
        Arc::new(Limit {
            limiter: RateLimiter::new(rate_per_sec),
            scope: None,
            taken: Default::default(),
            code,
            what_id,
            what_en,
        })
    }

    /// A limit that holds across every node on the database (buckets in `rate_limits` under
    /// `scope`), with the node's own bucket as the fallback when the database cannot be asked.
    pub fn shared(
        scope: &'static str,
        rate_per_sec: f64,
        code: &'static str,
        what_id: &'static str,
        what_en: &'static str,
    ) -> Arc<Limit> {
        Arc::new(Limit {
            limiter: RateLimiter::new(rate_per_sec),
            scope: Some(scope),
            taken: Default::default(),
            code,
            what_id,
            what_en,
        })
    }

    /// `None` when the request may go on, else the seconds to wait.
    async fn take(&self, ip: IpAddr, db: Option<&SharedBuckets>) -> Option<u64> {
        let (Some(scope), Some(db)) = (self.scope, db) else {
            return self.limiter.take(ip);
        };
        if self.limiter.rate <= 0.0 {
            return None;
        }
        match take_shared(&db.0, scope, ip, self.limiter.rate, self.limiter.burst).await {
            Ok(wait) => {
                // now and then, forget buckets that have filled up again
                let n = self
                    .taken
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n % 1000 == 999 {
                    let pool = db.0.clone();
                    let (rate, burst) = (self.limiter.rate, self.limiter.burst);
                    tokio::spawn(async move {
                        let _ = sqlx::query(
                            "DELETE FROM rate_limits WHERE scope = $1
                                AND tokens + EXTRACT(epoch FROM now() - at) * $2 >= $3",
                        )
                        .bind(scope)
                        .bind(rate)
                        .bind(burst)
                        .execute(&pool)
                        .await;
                    });
                }
                wait
            }
            Err(e) => {
                tracing::debug!(error = %e, scope, "shared rate limit unavailable; using this node's");
                self.limiter.take(ip)
            }
        }
    }
}

/// Takes one token of (`scope`, `ip`)'s bucket in the database: `None` when taken, else the
/// seconds until one is there. One statement, so two nodes cannot both take the last token.
pub async fn take_shared(
    pool: &sqlx::PgPool,
    scope: &str,
    ip: IpAddr,
    rate: f64,
    burst: f64,
) -> Result<Option<u64>, sqlx::Error> {
    let taken: Option<f64> = sqlx::query_scalar(
        "INSERT INTO rate_limits AS r (scope, client, tokens, at)
         VALUES ($1, $2::inet, $4 - 1, now())
         ON CONFLICT (scope, client) DO UPDATE
            SET tokens = LEAST($4, r.tokens + EXTRACT(epoch FROM now() - r.at) * $3) - 1,
                at = now()
          WHERE LEAST($4, r.tokens + EXTRACT(epoch FROM now() - r.at) * $3) >= 1
         RETURNING tokens",
    )
    .bind(scope)
    .bind(ip.to_string())
    .bind(rate)
    .bind(burst)
    .fetch_optional(pool)
    .await?;
    if taken.is_some() {
        return Ok(None);
    }
    let have: Option<f64> = sqlx::query_scalar(
        "SELECT LEAST($4, tokens + EXTRACT(epoch FROM now() - at) * $3)
           FROM rate_limits WHERE scope = $1 AND client = $2::inet",
    )
    .bind(scope)
    .bind(ip.to_string())
    .bind(rate)
    .bind(burst)
    .fetch_optional(pool)
    .await?;
    let have = have.unwrap_or(0.0);
    Ok(Some(((1.0 - have) / rate).ceil().max(1.0) as u64))
}

/// Middleware: 429 once the client address (see [`ClientIp`]) has used its requests.
pub async fn rate_limit(
    State(limit): State<Arc<Limit>>,
    ClientIp(ip): ClientIp,
    req: Request,
    next: Next,
) -> Response {
    let db = req.extensions().get::<SharedBuckets>().cloned();
    match limit.take(ip, db.as_ref()).await {
        None => next.run(req).await,
        Some(wait) => too_many_requests(
            limit.code,
            format!(
                "Terlalu banyak {} dari alamat ini. Coba lagi dalam {wait} detik.",
                limit.what_id
            ),
            format!(
                "Too many {} from this address. Try again in {wait} s.",
                limit.what_en
            ),
            wait,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_refuses_after_the_burst() {
        let l = RateLimiter::new(5.0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(l.take(ip), None);
        }
        assert!(l.take(ip).is_some());
        assert_eq!(l.take("10.0.0.2".parse().unwrap()), None);
        assert_eq!(RateLimiter::new(0.0).take(ip), None);
    }

    fn parts(peer: Option<&str>, xff: Option<&str>) -> Parts {
        let mut b = axum::http::Request::builder();
        if let Some(x) = xff {
            b = b.header("x-forwarded-for", x);
        }
        let (mut p, _) = b.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            p.extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        p
    }

    #[test]
    fn a_configured_proxy_is_trusted_like_a_local_one() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut p = parts(Some("10.0.3.7:5000"), Some("1.2.3.4, 36.80.1.2"));
        assert_eq!(ClientIp::of(&p).0, ip("10.0.3.7"), "not trusted by default");
        p.extensions.insert(TrustedProxies(Arc::new(vec![
            "10.0.3.0/24".parse().unwrap(),
        ])));
        assert_eq!(ClientIp::of(&p).0, ip("36.80.1.2"));
        let mut q = parts(Some("10.0.4.7:5000"), Some("36.80.1.2"));
        q.extensions.insert(TrustedProxies(Arc::new(vec![
            "10.0.3.0/24".parse().unwrap(),
        ])));
        assert_eq!(ClientIp::of(&q).0, ip("10.0.4.7"), "outside the block");
        let c: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(c.contains(ip("2001:db8::1")) && !c.contains(ip("2001:db9::1")));
        assert!(!c.contains(ip("10.0.0.1")));
        assert!(
            "10.0.0.1"
                .parse::<Cidr>()
                .unwrap()
                .contains(ip("::ffff:10.0.0.1"))
        );
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy.example".parse::<Cidr>().is_err());
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_local_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            ClientIp::of(&parts(Some("127.0.0.1:5000"), Some("1.2.3.4, 10.0.0.9"))).0,
            ip("10.0.0.9")
        );
        // a remote client cannot choose its own address
        assert_eq!(
            ClientIp::of(&parts(Some("8.8.8.8:5000"), Some("10.0.0.9"))).0,
            ip("8.8.8.8")
        );
        assert_eq!(
            ClientIp::of(&parts(Some("127.0.0.1:5000"), None)).0,
            ip("127.0.0.1")
        );
        assert_eq!(
            ClientIp::of(&parts(None, Some("10.0.0.9"))).0,
            ip("0.0.0.0")
        );
    }
}
