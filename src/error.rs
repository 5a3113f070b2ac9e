//! The HTTP edge's one error type, rendered as RFC 9457 problem details
//! (`application/problem+json`).
//!
//! `detail` is in Bahasa Indonesia (the users' language); `detail_en` carries the same message
//! in English. Internal errors are logged with their cause and answered with a generic message,
//! so database text never reaches a client. Errors of the subsystems are converted into
//! [`ApiError`] once, here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// `Retry-After` of the 503 answered while the database is unreachable.
pub const DB_RETRY_AFTER_SECS: u64 = 5;

/// A problem to answer with.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Short machine-readable kind, e.g. `not-found`; becomes the `type` URI.
    pub kind: &'static str,
    pub detail_id: String,
    pub detail_en: String,
    /// Seconds for `Retry-After` (503, 429).
    pub retry_after: Option<u64>,
    /// The request field (body member, form field, parameter) the problem is about.
    pub field: Option<String>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    detail_en: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        detail_id: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            kind,
            detail_id: detail_id.into(),
            detail_en: detail_en.into(),
            retry_after: None,
            field: None,
        }
    }

    /// 422 about one field of the request.
    pub fn invalid_field(
        field: impl Into<String>,
        detail_id: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        ApiError {
            field: Some(field.into()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                detail_id,
                detail_en,
            )
        }
    }

    /// The same problem with `Retry-After: secs`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 503 with `Retry-After`: the database is unreachable or refusing work for now.
    pub fn db_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database-unavailable",
            "Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
            "The database cannot be reached right now. Try again shortly.",
        )
        .retry_after(DB_RETRY_AFTER_SECS)
    }

    pub fn not_found(what_id: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{what_id} tidak ditemukan."),
            format!("{what_en} was not found."),
        )
    }

    pub fn bad_request(detail_id: impl Into<String>, detail_en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail_id, detail_en)
    }

    /// An unexpected failure: the cause is logged, the client gets a generic message.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Terjadi kesalahan di server. Silakan coba lagi; bila berulang, hubungi admin.",
            "Something went wrong on the server. Please try again; if it persists, contact the admin.",
        )
    }

    pub fn unavailable(detail_id: impl Into<String>, detail_en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            detail_id,
            detail_en,
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail_en)
    }
}

impl std::error::Error for ApiError {}

/// Renders a problem+json response.
pub fn problem_response(
    status: StatusCode,
    kind: &str,
    detail_id: &str,
    detail_en: &str,
) -> Response {
    render(status, kind, detail_id, detail_en, None)
}

fn render(
    status: StatusCode,
    kind: &str,
    detail_id: &str,
    detail_en: &str,
    field: Option<&str>,
) -> Response {
    let body = ProblemBody {
        type_: format!("https://ruang.kupangkota.go.id/problems/{kind}"),
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: detail_id,
        detail_en,
        field,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = (status, bytes).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = render(
            self.status,
            self.kind,
            &self.detail_id,
            &self.detail_en,
            self.field.as_deref(),
        );
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

/// A database error: 503 with `Retry-After` when the database is unreachable or refusing work
/// (see [`crate::db::is_unavailable`]), else an internal error.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            ApiError::db_unavailable()
        } else {
            ApiError::internal(&e)
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Sql(e) => e.into(),
            other => ApiError::internal(&other),
        }
    }
}

/// Indonesian and English wording for an error status that a layer (body limit, timeout,
/// unknown route, wrong method) produced without a problem body of its own.
pub fn generic_detail(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => (
            "not-found",
            "Alamat ini tidak ada di server.",
            "There is nothing at this address.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "Metode HTTP ini tidak didukung untuk alamat ini.",
            "This HTTP method is not supported at this address.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too-large",
            "Isi permintaan terlalu besar.",
            "The request body is too large.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported-media-type",
            "Jenis isi permintaan tidak didukung.",
            "The request's content type is not supported.",
        ),
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => (
            "timeout",
            "Permintaan memakan waktu terlalu lama dan dihentikan.",
            "The request took too long and was stopped.",
        ),
        s if s.is_server_error() => (
            "internal",
            "Terjadi kesalahan di server.",
            "Something went wrong on the server.",
        ),
        _ => (
            "bad-request",
            "Permintaan tidak dapat diproses.",
            "The request could not be processed.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn renders_problem_json_in_both_languages() {
        let res = ApiError::not_found("Koleksi 'x'", "Collection 'x'").into_response();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], 404);
        assert_eq!(v["title"], "Not Found");
        assert_eq!(v["detail"], "Koleksi 'x' tidak ditemukan.");
        assert_eq!(v["detail_en"], "Collection 'x' was not found.");
        assert!(v["type"].as_str().unwrap().ends_with("/not-found"));
    }
}
