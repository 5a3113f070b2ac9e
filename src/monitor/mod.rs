//! Monitoring: stunting by area, market prices and fluctuation alerts, waste reports.
//!
//! - [`calc`]: the pure arithmetic (prevalence, ranks, changes, CV, alert level, index, median).
//! - [`csvin`]: CSV reading with named columns, header aliases and per-row errors; name matching
//!   with suggestions.
//! - [`stunting`]: `GET /api/stunting`, `GET /api/stunting/trend`, `POST /api/stunting/import`.
//! - [`prices`]: `GET /api/prices`, `/api/prices/alerts`, `/api/prices/index`,
//!   `/api/prices/disparity`, `POST /api/prices/import`, CSV export.
//! - [`waste`]: `POST /api/waste/reports` (public, rate-limited), status changes, summary.
//!
//! Who may write: imports and waste report status changes need the `planner` role (admins
//! always pass). The city's health, trade and environment offices have no role of their own
//! yet; `planner` stands in for them (see README, "Monitoring API").

pub mod cache;
pub mod calc;
pub mod csvin;
pub mod openapi;
pub mod prices;
pub mod stunting;
pub mod waste;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;

/// The monitoring routes under `/api/stunting`, `/api/prices` and `/api/waste`.
pub fn routes() -> Router<AppState> {
    let cache: cache::Shared = std::sync::Arc::new(cache::ResponseCache::default());
    Router::new()
        .merge(stunting::routes(cache.clone()))
        .merge(prices::routes(cache))
        .merge(waste::routes())
}

/// Largest CSV file an import accepts (the HTTP body limit may be lower).
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;
/// At most this many row errors are listed; `error_count` gives the total.
pub const MAX_LISTED_ERRORS: usize = 100;

/// One problem in an imported file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowError {
    /// Line of the file (the header is row 1).
    pub row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub detail: String,
    pub detail_en: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
}

impl RowError {
    pub fn new(
        row: u64,
        column: Option<&str>,
        value: Option<&str>,
        detail: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        RowError {
            row,
            column: column.map(str::to_owned),
            value: value.map(|v| v.chars().take(200).collect()),
            detail: detail.into(),
            detail_en: detail_en.into(),
            suggestions: Vec::new(),
        }
    }

    pub fn with_suggestions(mut self, s: Vec<String>) -> Self {
        self.suggestions = s;
        self
    }

    /// One line for the CLI.
    pub fn line(&self) -> String {
        let mut s = format!("row {}", self.row);
        if let Some(c) = &self.column {
            s.push_str(&format!(", column {c}"));
        }
        if let Some(v) = &self.value {
            s.push_str(&format!(", value {v:?}"));
        }
        s.push_str(&format!(": {} / {}", self.detail, self.detail_en));
        if !self.suggestions.is_empty() {
            s.push_str(&format!(" (did you mean: {})", self.suggestions.join(", ")));
        }
        s
    }
}

/// Everything the monitoring subsystem fails with.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The file was refused; nothing was written.
    #[error("{} row error(s) in the file; nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

impl From<MonitorError> for ApiError {
    fn from(e: MonitorError) -> Self {
        match e {
            MonitorError::Api(e) => e,
            MonitorError::Sql(e) => e.into(),
            MonitorError::Rows(errors) => {
                let n = errors.len();
                let listed = &errors[..n.min(MAX_LISTED_ERRORS)];
                let first = listed.first();
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-rows",
                    format!(
                        "Berkas ditolak, tidak ada yang diimpor: {n} kesalahan{}",
                        first
                            .map(|e| format!(", pertama di baris {}: {}", e.row, e.detail))
                            .unwrap_or_default()
                    ),
                    format!(
                        "The file was refused and nothing was imported: {n} error(s){}",
                        first
                            .map(|e| format!(", the first in row {}: {}", e.row, e.detail_en))
                            .unwrap_or_default()
                    ),
                )
                .with_member("error_count", serde_json::json!(n))
                .with_member("errors", serde_json::json!(listed))
            }
        }
    }
}

impl IntoResponse for MonitorError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that were new and are now stored.
    pub inserted: usize,
    /// Rows already stored with the same values (a repeated file inserts nothing).
    pub unchanged: usize,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows: {} inserted, {} already stored",
            self.rows, self.inserted, self.unchanged
        )
    }
}

/// True when the client asked for CSV (`?f=csv` is handled by the caller).
pub fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"))
}

/// Refuses request bodies whose declared type is not CSV-like (415).
pub fn check_csv_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let base = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if matches!(
        base.as_str(),
        "text/csv" | "application/csv" | "text/plain" | "application/octet-stream" | ""
    ) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("Kirim berkas CSV (Content-Type text/csv), bukan {base}."),
            format!("Send a CSV file (Content-Type text/csv), not {base}."),
        ))
    }
}

/// 413 for an import over [`MAX_IMPORT_BYTES`].
pub fn check_import_size(len: usize) -> Result<(), ApiError> {
    if len > MAX_IMPORT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Berkas lebih dari 50 MB; bagi menjadi beberapa berkas.",
            "The file is larger than 50 MB; split it into several files.",
        ));
    }
    Ok(())
}

/// CSV response with a download name.
pub fn csv_response(body: String, filename: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub(crate) fn bad_param(name: &str, value: &str, expect_id: &str, expect_en: &str) -> ApiError {
    ApiError::bad_request(
        format!("Parameter {name}={value:?} tidak sah: {expect_id}."),
        format!("The parameter {name}={value:?} is not valid: {expect_en}."),
    )
}
