//! ruang: a spatial data server for Kota Kupang on PostgreSQL + PostGIS.
//!
//! Layout (see README for the full map):
//! - [`config`]: typed configuration (file + env + flags), secrets redacted.
//! - [`crs`]: the CRSs ruang accepts, one vocabulary for the OGC API, the check and import.
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
//! - [`metrics`]: `GET /metrics` in the Prometheus text format.
//!
//! - [`state`]: [`AppState`], what the handlers share, built once at start.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` and the tests both use it.

pub mod auth;
pub mod check;
pub mod config;
pub mod crs;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod import;
pub mod metrics;
pub mod monitor;
pub mod ogc;
pub mod permits;
pub mod plans;
pub mod rules;
pub mod state;
pub mod tiles;
pub mod web;

pub use state::{AppState, StartError};

use axum::Router;

/// The complete HTTP application: every route with its middleware.
pub fn app(state: AppState) -> Router {
    http::router(state)
}
