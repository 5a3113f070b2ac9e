//! The rule book (issue 18): a city's own zoning regulation loaded into **draft** plans,
//! compared with the active plan, its impact on permits and open applications measured, and
//! activated with a reason into an append-only history.
//!
//! - [`book`]: the regulation's tables (ITBX matrix, intensity, condition texts, KBLI
//!   catalogue) read from spreadsheet grids and checked cell by cell; pure.
//! - [`sheets`]: CSV and XLSX/XLS/ODS files to grids and back.
//! - [`store`]: plans in PostGIS: create a draft, write a book into it (all or nothing), read
//!   a plan's book back, activate, delete a draft, the history.
//! - [`diff`]: what one plan changes against another (rules and zones).
//! - [`impact`]: every issued permit and open application re-checked in-process under a draft.
//! - [`http`]: `/api/plans...` and the `/rencana` page's data; [`cli`]: `ruang rules ...`.
//!
//! The KBLI catalogue is national, not a plan's: loading it adds codes and updates titles for
//! every plan, and never removes a code (applications and plans keep pointing at their codes).

pub mod book;
pub mod cli;
pub mod diff;
pub mod http;
pub mod impact;
pub mod openapi;
pub mod sheets;
pub mod store;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use book::CellError;

/// Errors listed in one answer; the count says how many there were in all.
pub const MAX_LISTED_ERRORS: usize = 500;

/// Everything the rule book fails with.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The book was refused; nothing was written.
    #[error("{} error(s) in the rule book; nothing was imported", .0.len())]
    Book(Vec<CellError>),
    /// The file cannot be read at all (not CSV/XLSX, damaged, not UTF-8).
    #[error("{detail_en}")]
    File { detail: String, detail_en: String },
    #[error("{detail_en}")]
    TooLarge { detail: String, detail_en: String },
    #[error("plan {0} not found")]
    NotFound(String),
    /// The plan is not in a state that allows this (409).
    #[error("{detail_en}")]
    State { detail: String, detail_en: String },
    #[error("{field}: {detail_en}")]
    Invalid {
        field: &'static str,
        detail: String,
        detail_en: String,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Load(#[from] crate::check::LoadError),
    #[error("{0}")]
    Internal(String),
}

impl PlanError {
    pub fn state(detail: impl Into<String>, detail_en: impl Into<String>) -> Self {
        PlanError::State {
            detail: detail.into(),
            detail_en: detail_en.into(),
        }
    }

    pub fn invalid(
        field: &'static str,
        detail: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        PlanError::Invalid {
            field,
            detail: detail.into(),
            detail_en: detail_en.into(),
        }
    }
}

impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::File { detail, detail_en } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unreadable-file",
                detail,
                detail_en,
            ),
            PlanError::TooLarge { detail, detail_en } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                detail,
                detail_en,
            ),
            PlanError::NotFound(key) => ApiError::not_found(
                &format!("Rencana tata ruang {key:?}"),
                &format!("Zoning plan {key:?}"),
            ),
            PlanError::State { detail, detail_en } => {
                ApiError::new(StatusCode::CONFLICT, "plan-state", detail, detail_en)
            }
            PlanError::Invalid {
                field,
                detail,
                detail_en,
            } => ApiError::invalid_field(field, detail, detail_en),
            PlanError::Api(e) => e,
            PlanError::Sql(e) => e.into(),
            PlanError::Load(e) => e.into(),
            PlanError::Internal(e) => ApiError::internal(&e),
            PlanError::Book(errors) => {
                let n = errors.len();
                let first = errors.first();
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-rule-book",
                    format!(
                        "Buku aturan ditolak, tidak ada yang disimpan: {n} kesalahan{}",
                        first
                            .map(|e| format!(", pertama di {}: {}", place(e), e.detail))
                            .unwrap_or_default()
                    ),
                    format!(
                        "The rule book was refused and nothing was stored: {n} error(s){}",
                        first
                            .map(|e| format!(", the first at {}: {}", place(e), e.detail_en))
                            .unwrap_or_default()
                    ),
                )
                .with_member("error_count", serde_json::json!(n))
                .with_member(
                    "errors",
                    serde_json::json!(&errors[..n.min(MAX_LISTED_ERRORS)]),
                )
            }
        }
    }
}

impl IntoResponse for PlanError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// `Sheet!C12`.
fn place(e: &CellError) -> String {
    format!("{}!{}{}", e.sheet, e.column.as_deref().unwrap_or(""), e.row)
}
