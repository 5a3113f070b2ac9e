//! Accounts and login, permit applications, the verification workflow with its audit trail,
//! issued permits and their decision documents.
//!
//! - [`accounts`]: register, login (throttled), logout, me, API tokens (create, list, revoke;
//!   dead ones purged hourly); `ruang user|token`.
//! - [`workflow`]: the pure state machine: statuses, actions, who may take them, labels.
//! - [`applications`]: create / read / list / edit, attachments, actions, service level.
//! - [`document`]: the decision document as HTML and PDF.
//! - [`error`]: [`PermitError`], this subsystem's problem+json error.
//! - [`openapi`]: these routes as OpenAPI path items and schemas for `/api` to merge.

pub mod accounts;
pub mod applications;
pub mod document;
pub mod error;
pub mod openapi;
pub mod workflow;

use axum::Router;
use axum::routing::{delete, get, post};

pub use error::PermitError;

use crate::AppState;

/// The account, application and permit routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/auth/register",
            post(accounts::register).layer(axum::middleware::from_fn_with_state(
                crate::http::limit::Limit::shared(
                    "registration",
                    accounts::REGISTRATIONS_PER_HOUR / 3600.0,
                    "registration_throttled",
                    "pendaftaran akun",
                    "account registrations",
                ),
                crate::http::limit::rate_limit,
            )),
        )
        .route("/api/auth/login", post(accounts::login))
        .route("/api/auth/logout", post(accounts::logout))
        .route("/api/auth/me", get(accounts::me))
        .route(
            "/api/tokens",
            get(accounts::list_tokens).post(accounts::create_token),
        )
        .route("/api/tokens/{id}", delete(accounts::revoke_token))
        .route(
            "/api/applications",
            get(applications::list).post(applications::create),
        )
        .route("/api/applications/overdue", get(applications::overdue))
        .route(
            "/api/applications/{id}",
            get(applications::get_one).patch(applications::update),
        )
        .route(
            "/api/applications/{id}/attachments",
            post(applications::upload),
        )
        .route(
            "/api/applications/{id}/attachments/{aid}",
            get(applications::download),
        )
        .route(
            "/api/applications/{id}/actions/{action}",
            post(applications::act),
        )
        .route(
            "/api/applications/{id}/transitions",
            post(applications::transition),
        )
        .route("/permits/{key}", get(document::show))
}
