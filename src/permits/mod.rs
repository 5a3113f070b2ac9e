//! Accounts and login, permit applications, the verification workflow with its audit trail,
//! issued permits and their decision documents.

use axum::Router;

use crate::AppState;

/// The account, application and permit routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
