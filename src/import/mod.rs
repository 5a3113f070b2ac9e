//! Import and export with GDAL: readers into PostGIS (batched, transactional, with progress)
//! and writers from PostGIS.

use axum::Router;

use crate::AppState;

/// The import and export routes under `/api/imports` and `/api/exports`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
