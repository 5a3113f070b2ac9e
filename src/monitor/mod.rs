//! Monitoring: stunting by area, market prices and fluctuation alerts, waste reports.

use axum::Router;

use crate::AppState;

/// The monitoring routes under `/api/stunting`, `/api/prices` and `/api/waste`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
