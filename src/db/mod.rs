//! Database access: connection pool, migrations, the embedded cluster.

pub mod changes;
pub mod embedded;

use std::time::Duration;

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
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(timeout)
        // sqlx pings on every acquire by default: a full extra round trip per query.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    use sqlx::Connection;
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(opts)
        .await
        .map_err(|source| DbError::Connect {
            url: redact_url(url),
            source,
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
