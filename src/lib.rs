//! ruang: a spatial data server for Kota Kupang on PostgreSQL + PostGIS.
//!
//! Layout (see README for the full map):
//! - [`config`]: typed configuration (file + env + flags), secrets redacted.
//! - [`error`]: the HTTP edge's error type, rendered as problem+json.
//! - [`db`]: pool, migrations, the embedded PostgreSQL cluster.
//! - [`demo`]: the deterministic Kupang demo city.
//! - [`http`]: middleware stack and the ops routes (`/healthz`, `/readyz`, landing).
//! - [`tiles`]: vector tiles (layers from `tiles/`, SQL per layer, cache, TileJSON, OGC Tiles).
//! - [`auth`]: who is calling (bearer tokens).
//! - [`rules`]: the pure zoning rule engine.
//! - [`check`]: the rule set loaded from PostGIS and kept current, and the check endpoints.
//! - [`ogc`]: OGC API - Features (collections, items, CQL2, CRS, transactions).
//! - [`permits`]: accounts, applications, the verification workflow, issued permits.
//! - [`plans`]: the rule book: draft plans from regulation spreadsheets, diff, impact, activation.
//! - [`monitor`]: stunting, food prices and alerts, waste reports.
//! - [`import`]: GDAL import and export.
//! - [`web`]: the browser pages from `web/`.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` and the tests both use it.

pub mod auth;
pub mod check;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod import;
pub mod monitor;
pub mod ogc;
pub mod permits;
pub mod plans;
pub mod rules;
pub mod tiles;
pub mod web;

use std::sync::Arc;

use axum::Router;
use sqlx::PgPool;

/// Shared state of the HTTP handlers. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
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
}

impl AppState {
    /// Loads and checks everything the handlers need (tile layers against the database) and
    /// starts the one database change listener that keeps the tile cache and the zoning rule
    /// set current.
    pub async fn new(pool: PgPool, config: config::Config) -> Result<Self, StartError> {
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
        let tiles = Arc::new(
            tiles::TileService::load(
                pool.clone(),
                tile_db,
                &config.tiles_dir,
                config.tile_cache_bytes,
            )
            .await?,
        );
        let changes = db::changes::Changes::new();
        tiles.spawn_invalidation(changes.subscribe());
        let check = Arc::new(check::CheckService::new(pool.clone()));
        check.spawn_invalidation(changes.subscribe());
        changes.start(pool.clone());
        permits::accounts::spawn_token_purge(pool.clone());
        Ok(AppState {
            pool,
            check,
            plans: Arc::default(),
            config: Arc::new(config),
            tiles,
        })
    }
}

/// The complete HTTP application: every route with its middleware.
pub fn app(state: AppState) -> Router {
    http::router(state)
}
