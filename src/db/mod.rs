//! Database access: connection pool, migrations, the embedded cluster.

pub mod changes;
pub mod embedded;
pub mod open;
pub mod reads;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Errors of the database subsystem. Messages say what to do; connection strings in them are
/// always redacted.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error(
        "PostGIS is not installed in the database at {url}. Install it on the server \
         (Debian: apt-get install postgresql-15-postgis-3) and run `CREATE EXTENSION postgis;` \
         as a superuser, or run ruang without DATABASE_URL to use its embedded PostGIS"
    )]
    PostgisMissing { url: String },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Embedded(#[from] embedded::ClusterError),
}

/// Replaces the password of a connection URL with `***` so it can be logged or printed.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparseable database URL>".to_string(),
    }
}

/// A pooled connection idle for longer than this is pinged before it is handed out; a busy
/// connection is not, so a request costs one round trip to PostgreSQL instead of two.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// For this long after the database was last seen unreachable, every pooled connection is
/// pinged before it is handed out, so connections broken by the outage are replaced instead of
/// failing the first requests after the database is back.
const PING_AFTER_OUTAGE: Duration = Duration::from_secs(60);

/// When the database was last seen unreachable (milliseconds since the process started + 1;
/// 0 = never).
static LAST_OUTAGE_MS: AtomicU64 = AtomicU64::new(0);

fn process_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// Records that the database was just found unreachable.
pub fn note_outage() {
    LAST_OUTAGE_MS.store(process_ms(), Ordering::Relaxed);
}

fn outage_recent() -> bool {
    let at = LAST_OUTAGE_MS.load(Ordering::Relaxed);
    at != 0 && process_ms().saturating_sub(at) < PING_AFTER_OUTAGE.as_millis() as u64
}

/// SQLSTATEs that mean the server went away or is not accepting work, not that the statement
/// was wrong: class 08 (connection exception), 57P01 admin shutdown, 57P02 crash shutdown,
/// 57P03 cannot connect now (starting up or shutting down), 53300 too many connections.
pub fn unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// True when `e` means the database is unreachable or refusing work for now (the request may
/// be retried), not that the request or the query was wrong. Records the outage.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    let down = unavailable(e);
    if down {
        note_outage();
    }
    down
}

/// [`is_unavailable`] without recording an outage of the primary: for errors of a read replica,
/// whose failure must not make every primary connection be pinged.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| unavailable_sqlstate(&c)),
        // A connection cut in the middle of a message surfaces as a protocol error.
        sqlx::Error::Protocol(m) => {
            let m = m.to_ascii_lowercase();
            [
                "unexpected eof",
                "broken pipe",
                "connection reset",
                "connection closed",
            ]
            .iter()
            .any(|w| m.contains(w))
        }
        _ => false,
    }
}

/// Connects a pool to `url`, failing within `timeout` when the server is unreachable.
pub async fn connect(
    url: &str,
    max_connections: u32,
    timeout: Duration,
) -> Result<PgPool, DbError> {
    let opts: PgConnectOptions = url.parse().map_err(|source| DbError::Connect {
        url: redact_url(url),
        source,
    })?;
    let opts = opts.application_name("ruang");
    pool_options(max_connections, timeout)
        .connect_with(opts)
        .await
        .map_err(|source| DbError::Connect {
            url: redact_url(url),
            source,
        })
}

/// A pool to `url` that opens no connection until it is used: a read replica that is down when
/// ruang starts must not stop it from starting.
pub fn connect_lazy(url: &str, max_connections: u32, timeout: Duration) -> Result<PgPool, DbError> {
    let opts: PgConnectOptions = url.parse().map_err(|source| DbError::Connect {
        url: redact_url(url),
        source,
    })?;
    Ok(pool_options(max_connections, timeout).connect_lazy_with(opts.application_name("ruang")))
}

fn pool_options(max_connections: u32, timeout: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(timeout)
        // sqlx pings on every acquire by default: a full extra round trip per query.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE || outage_recent() {
                    use sqlx::Connection;
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Makes sure PostGIS is available: creates the extension when it is installed on the server
/// but not yet enabled, and fails with [`DbError::PostgisMissing`] when it is not installed.
pub async fn ensure_postgis(pool: &PgPool, url: &str) -> Result<(), DbError> {
    let enabled: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')")
            .fetch_one(pool)
            .await?;
    if enabled {
        return Ok(());
    }
    let available: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')",
    )
    .fetch_one(pool)
    .await?;
    if !available {
        return Err(DbError::PostgisMissing {
            url: redact_url(url),
        });
    }
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(pool)
        .await?;
    Ok(())
}

/// Applies every pending migration. Applying to an up-to-date database changes nothing.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// True when every embedded migration has been applied (and none failed half-way).
pub async fn migrations_current(pool: &PgPool) -> Result<bool, DbError> {
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    if table.is_none() {
        return Ok(false);
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .all(|m| applied.contains(&m.version)))
}
