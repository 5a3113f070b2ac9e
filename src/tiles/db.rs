//! The tile path's own connection pool: `tokio-postgres` through `deadpool-postgres`.
//!
//! A tile is one statement with three integer parameters returning one `bytea`. sqlx spends a
//! second round trip per query on it (a `Sync` after the rows, plus a ping on acquire unless
//! turned off) and decodes rows through several layers; tokio-postgres sends Bind/Execute/Sync
//! in one write and reads one answer, which measurably lowers both ruang's and PostgreSQL's CPU
//! per tile (see BENCHMARKS.md). Statements are prepared once per connection and kept.
//!
//! The connection settings are taken from the sqlx pool the rest of ruang uses (host or socket
//! folder, port, user, database), plus the password of the configured URL when there is one.
//! When the server demands TLS (`sslmode=require` and stricter), the tile path falls back to
//! the sqlx pool, which has TLS.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use sqlx::PgPool;
use sqlx::postgres::PgSslMode;

/// Where tiles are rendered.
pub enum TileDb {
    Fast(Pool),
    Sqlx(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum TileDbError {
    #[error("tile query failed: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("tile query failed: {0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("no database connection for tiles: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
}

impl TileDbError {
    /// True when the database was busy or unreachable (the caller may retry), not a bad query.
    pub fn is_unavailable(&self) -> bool {
        let down = self.unavailable();
        if down {
            crate::db::note_outage();
        }
        down
    }

    /// [`TileDbError::is_unavailable`] without recording an outage of the primary (for the
    /// errors of a read replica).
    pub fn unavailable(&self) -> bool {
        match self {
            TileDbError::Sqlx(e) => crate::db::unavailable(e),
            TileDbError::Pool(_) => true,
            TileDbError::Pg(e) => {
                e.is_closed()
                    || e.code()
                        .is_some_and(|c| crate::db::unavailable_sqlstate(c.code()))
                    || std::error::Error::source(e)
                        .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
            }
        }
    }
}

impl TileDb {
    /// Connections in use, idle and waited for: `(size, idle, waiting, max)`.
    pub fn status(&self) -> (usize, usize, usize, usize) {
        match self {
            TileDb::Fast(p) => {
                let s = p.status();
                (s.size, s.available, s.waiting, s.max_size)
            }
            TileDb::Sqlx(p) => (
                p.size() as usize,
                p.num_idle(),
                0,
                p.options().get_max_connections() as usize,
            ),
        }
    }

    /// A tokio-postgres pool of `size` connections to the database of `pool`, or `pool` itself
    /// when that needs TLS. `password` comes from the configured URL (the sqlx options do not
    /// give it back). No connection is opened until the first tile.
    pub fn new(pool: &PgPool, password: Option<String>, size: usize, timeout: Duration) -> Self {
        let o = pool.connect_options();
        if matches!(
            o.get_ssl_mode(),
            PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull
        ) {
            return TileDb::Sqlx(pool.clone());
        }
        let mut c = tokio_postgres::Config::new();
        match o.get_socket() {
            Some(dir) => c.host_path(dir),
            None => c.host(o.get_host()),
        };
        c.port(o.get_port())
            .user(o.get_username())
            .application_name("ruang-tiles")
            .connect_timeout(timeout);
        if let Some(db) = o.get_database() {
            c.dbname(db);
        }
        if let Some(p) = password {
            c.password(p);
        }
        let manager = Manager::from_config(
            c,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        match Pool::builder(manager)
            .max_size(size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .build()
        {
            Ok(p) => TileDb::Fast(p),
            // Only a missing runtime makes `build` fail; sqlx then serves the tiles.
            Err(_) => TileDb::Sqlx(pool.clone()),
        }
    }

    /// Runs the tile statement `sql` with z/x/y bound as integers and returns its bytes.
    pub async fn render(&self, sql: &str, z: u8, x: u32, y: u32) -> Result<Vec<u8>, TileDbError> {
        let (z, x, y) = (i32::from(z), x as i32, y as i32);
        match self {
            TileDb::Fast(pool) => {
                let client = pool.get().await?;
                let stmt = client.prepare_cached(sql).await?;
                let row = client.query_one(&stmt, &[&z, &x, &y]).await?;
                let bytes: &[u8] = row.try_get(0)?;
                Ok(bytes.to_vec())
            }
            TileDb::Sqlx(pool) => Ok(sqlx::query_scalar(sql)
                .bind(z)
                .bind(x)
                .bind(y)
                .fetch_one(pool)
                .await?),
        }
    }
}

/// The password of a `postgres://user:password@...` URL, percent-decoded.
pub fn url_password(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let p = u.password()?;
    Some(
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_taken_from_the_url_and_decoded() {
        assert_eq!(
            url_password("postgres://ruang:s%40cret%2F1@db.example:5432/ruang").as_deref(),
            Some("s@cret/1")
        );
        assert_eq!(
            url_password("postgresql://postgres@localhost/ruang?host=/tmp/x"),
            None
        );
        assert_eq!(url_password("not a url"), None);
    }
}
