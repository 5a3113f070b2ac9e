//! The database's lifecycle for the command line and the server: open (the configured
//! `DATABASE_URL`, or the embedded cluster, started and given ruang's database when needed),
//! migrate, close (stopping the embedded cluster when this process started it).

use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::DbError;
use super::embedded::{self, Cluster, ClusterError};
use crate::config::Config;

/// Why the database could not be opened or closed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{0}")]
    Other(String),
}

/// An open database: either the configured `DATABASE_URL`, or the embedded cluster, which this
/// value stops on [`Database::close`] when it was the one that started it.
pub struct Database {
    pub pool: PgPool,
    cluster: Option<Cluster>,
    started_cluster: bool,
}

impl Database {
    /// Opens the database `config` names (see the module doc); PostGIS is checked or enabled.
    pub async fn open(config: &Config) -> Result<Database, OpenError> {
        if let Some(url) = &config.database_url {
            let url = url.expose();
            let pool = super::connect(url, config.db_max_connections, Duration::from_secs(5))
                .await
                .map_err(|e| {
                    OpenError::Other(format!(
                        "{e}. Check DATABASE_URL, or unset it to use ruang's embedded PostGIS"
                    ))
                })?;
            super::ensure_postgis(&pool, url).await?;
            return Ok(Database {
                pool,
                cluster: None,
                started_cluster: false,
            });
        }
        let cluster = cluster_of(config)?;
        let c = cluster.clone();
        let t = Instant::now();
        let started = blocking(move || c.start()).await?;
        if started {
            tracing::info!(
                data_dir = %cluster.data_dir().display(),
                elapsed_ms = t.elapsed().as_millis() as u64,
                "started the embedded PostgreSQL cluster"
            );
        }
        let opened = async {
            create_database(&cluster).await?;
            let url = cluster.url();
            let pool =
                super::connect(&url, config.db_max_connections, Duration::from_secs(10)).await?;
            super::ensure_postgis(&pool, &url).await?;
            Ok::<_, OpenError>(pool)
        }
        .await;
        match opened {
            Ok(pool) => Ok(Database {
                pool,
                cluster: Some(cluster),
                started_cluster: started,
            }),
            Err(e) => {
                if started {
                    let _ = blocking(move || cluster.stop()).await;
                }
                Err(e)
            }
        }
    }

    /// Closes the pool and stops the embedded cluster when this value started it.
    pub async fn close(self) -> Result<(), OpenError> {
        self.pool.close().await;
        if let (Some(cluster), true) = (self.cluster, self.started_cluster) {
            blocking(move || cluster.stop()).await?;
            tracing::info!("stopped the embedded database");
        }
        Ok(())
    }
}

/// Opens the database, migrates it, runs `f` on it and closes it again, whatever `f` returned.
/// An error closing the database wins over `f`'s own result.
pub async fn with_migrated<T, E>(
    config: &Config,
    f: impl AsyncFnOnce(&PgPool) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<OpenError> + From<DbError>,
{
    let db = Database::open(config).await?;
    let result = async {
        super::migrate(&db.pool).await?;
        f(&db.pool).await
    }
    .await;
    db.close().await?;
    result
}

/// The embedded cluster `config` describes (its data folder, binaries and port).
pub fn cluster_of(config: &Config) -> Result<Cluster, ClusterError> {
    Cluster::new(
        &config.data_dir,
        config.pg_bindir.as_deref(),
        config.pg_port,
    )
}

/// Runs a blocking cluster operation off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ClusterError> + Send + 'static,
) -> Result<T, OpenError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| OpenError::Other(format!("internal error: {e}")))?
        .map_err(OpenError::from)
}

/// Creates ruang's database in the embedded cluster when it does not exist yet.
pub async fn create_database(cluster: &Cluster) -> Result<(), DbError> {
    let admin = super::connect(&cluster.url_for("postgres"), 1, Duration::from_secs(10)).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(embedded::DATABASE)
            .fetch_one(&admin)
            .await
            .map_err(DbError::from)?;
    if !exists {
        // The name is our own constant, not input.
        sqlx::query(&format!("CREATE DATABASE \"{}\"", embedded::DATABASE))
            .execute(&admin)
            .await
            .map_err(DbError::from)?;
    }
    admin.close().await;
    Ok(())
}
