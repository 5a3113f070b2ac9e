//! The browser pages from `web/`: the planners' map (`/peta`), the applicants' page (`/ajukan`)
//! and the verifiers' page (`/verifikasi`), with their npm assets.

use axum::Router;

use crate::AppState;

/// The page and asset routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
