//! The HTTP edge's one error type, rendered as RFC 9457 problem details
//! (`application/problem+json`).
//!
//! `detail` is in Bahasa Indonesia (the users' language); `detail_en` carries the same message
//! in English. Internal errors are logged with their cause and answered with a generic message,
//! so database text never reaches a client. Errors of the subsystems are converted into
//! [`ApiError`] (`From`) and rendered only here.
//!
//! The members of every problem answer:
//!
//! | member | when |
//! |---|---|
//! | `type` | always: `https://ruang.kupangkota.go.id/problems/<kind>`, [`ApiError::kind`], with `-` for `_` when it is also the `code` |
//! | `title`, `status` | always: the status's reason phrase and number |
//! | `detail`, `detail_en` | always: Bahasa Indonesia, English |
//! | `code` | ([`ApiError::coded`]) the snake_case code of the subsystems whose clients branch on it (permits, accounts, `POST /api/check`, the rate limits): `bad_json`, `invalid_field`, `stale_version`, `too_many_requests`, ... |
//! | `field` | the request field (body member, form field, parameter) the problem is about |
//! | further members | [`ApiError::extra`]: `suggestions` (check), `error_count` and `errors` (refused CSV files and rule books) |
//!
//! Headers: `Retry-After` with [`ApiError::retry_after`]; `Cache-Control: no-store` with
//! [`ApiError::no_store`] (set by [`ApiError::coded`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

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
    /// `kind` is also the `code` member (snake_case); see the module doc.
    pub coded: bool,
    /// Answer with `Cache-Control: no-store`.
    pub no_store: bool,
    /// Further members of the body (`suggestions`, `error_count`, `errors`).
    pub extra: Option<Box<Map<String, Value>>>,
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
            coded: false,
            no_store: false,
            extra: None,
        }
    }

    /// A problem with a `code` member (and `Cache-Control: no-store`); the type URI ends in the
    /// code with `-` for `_`.
    pub fn coded(
        status: StatusCode,
        code: &'static str,
        detail_id: impl Into<String>,
        detail_en: impl Into<String>,
    ) -> Self {
        ApiError {
            coded: true,
            no_store: true,
            ..Self::new(status, code, detail_id, detail_en)
        }
    }

    /// The `code` member, when this problem has one.
    pub fn code(&self) -> Option<&'static str> {
        self.coded.then_some(self.kind)
    }

    /// The same problem naming the request field it is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same problem with one more member in its body.
    pub fn with_member(mut self, name: &str, value: Value) -> Self {
        self.extra
            .get_or_insert_default()
            .insert(name.to_string(), value);
        self
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
    ApiError {
        field: field.map(str::to_string),
        ..ApiError::new(status, "", detail_id, detail_en)
    }
    .render(kind)
}

impl ApiError {
    fn render(self, kind: &str) -> Response {
        let status = self.status;
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("https://ruang.kupangkota.go.id/problems/{kind}")),
        );
        body.insert(
            "title".into(),
            json!(status.canonical_reason().unwrap_or("Error")),
        );
        body.insert("status".into(), json!(status.as_u16()));
        body.insert("detail".into(), json!(self.detail_id));
        body.insert("detail_en".into(), json!(self.detail_en));
        if self.coded {
            body.insert("code".into(), json!(self.kind));
        }
        if let Some(f) = self.field {
            body.insert("field".into(), json!(f));
        }
        if let Some(extra) = self.extra {
            body.extend(*extra);
        }
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = (status, bytes).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.no_store {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.coded {
            let kind = self.kind.replace('_', "-");
            self.render(&kind)
        } else {
            let kind = self.kind;
            self.render(kind)
        }
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
