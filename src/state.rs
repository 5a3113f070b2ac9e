//! [`AppState`]: what every handler shares (pools, configuration, tile service, rule sets),
//! built once at start by [`AppState::new`].

use std::sync::Arc;

use sqlx::PgPool;

use crate::{check, config, db, metrics, permits, plans, tiles};

/// Shared state of the HTTP handlers. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// Where the reads that may go to a replica go (see `db::reads`).
    pub reads: Arc<db::reads::ReadRouter>,
    pub config: Arc<config::Config>,
    pub tiles: Arc<tiles::TileService>,
    /// The zoning rule set of the active plan (loaded on first use, rebuilt after changes).
    pub check: Arc<check::CheckService>,
    /// Rule sets of draft (and retired) plans, built for impact runs.
    pub plans: Arc<plans::http::PlanCache>,
}

/// Why the application could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Tiles(#[from] tiles::TileError),
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl AppState {
    /// Loads and checks everything the handlers need (tile layers against the database) and
    /// starts the one database change listener that keeps the tile cache and the zoning rule
    /// set current.
    pub async fn new(pool: PgPool, config: config::Config) -> Result<Self, StartError> {
        metrics::init();
        let tile_db = tiles::db::TileDb::new(
            &pool,
            config
                .database_url
                .as_ref()
                .and_then(|u| tiles::db::url_password(u.expose())),
            config.tile_db_connections as usize,
            config
                .request_timeout
                .min(std::time::Duration::from_secs(10)),
        );
        let reads = Arc::new(if config.database_read_urls.is_empty() {
            db::reads::ReadRouter::primary_only(pool.clone(), tile_db)
        } else {
            db::reads::ReadRouter::new(
                pool.clone(),
                tile_db,
                db::reads::ReplicaConfig {
                    urls: &config.database_read_urls,
                    max_connections: config.db_max_connections,
                    tile_connections: config.tile_db_connections as usize,
                    timeout: config
                        .request_timeout
                        .min(std::time::Duration::from_secs(10)),
                    max_lag: config.replica_max_lag,
                },
            )?
        });
        let tiles = Arc::new(
            tiles::TileService::load_with_reads(
                pool.clone(),
                reads.clone(),
                &config.tiles_dir,
                config.tile_cache_bytes,
                config.tile_memory_bytes,
            )
            .await?,
        );
        let changes = db::changes::Changes::new();
        tiles.spawn_invalidation(changes.subscribe());
        let check = Arc::new(check::CheckService::with_reads(pool.clone(), reads.clone()));
        check.spawn_invalidation(changes.subscribe());
        // With replicas, every change first raises the fence reads are routed by.
        changes.start_with_fence(
            pool.clone(),
            reads.has_replicas().then(|| reads.fence.clone()),
        );
        reads.spawn_monitor();
        permits::accounts::spawn_token_purge(pool.clone());
        Ok(AppState {
            pool,
            reads,
            check,
            plans: Arc::default(),
            config: Arc::new(config),
            tiles,
        })
    }
}

impl AppState {
    /// This state with `pool` replaced by a pool for one request's reads: a replica's when one
    /// is eligible (see `db::reads`), else the primary's. For handlers that only read and may
    /// lag the primary by at most `replica_max_lag_ms`.
    pub fn for_reads(&self) -> AppState {
        let mut s = self.clone();
        if self.reads.has_replicas() {
            s.pool = self.reads.pool();
        }
        s
    }
}
