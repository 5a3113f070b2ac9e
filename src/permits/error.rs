//! The permits subsystem's error vocabulary; answered as an [`ApiError`] with its `code`
//! member (and `Cache-Control: no-store`), see [`crate::error`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::check::geojson::RequestError;
use crate::error::ApiError;

/// A refused or failed permits request.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {en}")]
pub struct PermitError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub id: String,
    pub en: String,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

impl PermitError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        id: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        PermitError {
            status,
            code,
            field: None,
            id: id.into(),
            en: en.into(),
            retry_after: None,
        }
    }

    /// 422 naming the field.
    pub fn invalid(field: &str, id: impl Into<String>, en: impl Into<String>) -> Self {
        PermitError {
            field: Some(field.to_string()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", id, en)
        }
    }

    pub fn bad_json(e: &dyn std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("Isi permintaan bukan JSON yang sah ({e})."),
            format!("The request body is not valid JSON ({e})."),
        )
    }

    pub fn not_found(what_id: &str, what_en: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what_id} tidak ditemukan."),
            format!("{what_en} was not found."),
        )
    }

    pub fn application_not_found() -> Self {
        Self::not_found("Permohonan", "The application")
    }

    pub fn forbidden(id: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", id, en)
    }

    pub fn wrong_state(id: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "wrong_state", id, en)
    }

    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "Sertakan header If-Match berisi ETag (versi) permohonan yang terakhir Anda baca.",
            "Send an If-Match header with the ETag (version) of the application you last read.",
        )
    }

    pub fn stale(current: i32) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "stale_version",
            format!(
                "Permohonan telah diubah orang lain (versi kini {current}). Muat ulang lalu coba lagi."
            ),
            format!(
                "Someone else changed the application (now version {current}). Reload it and try again."
            ),
        )
    }

    pub fn unsupported_media_type(id: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            id,
            en,
        )
    }

    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        ApiError::internal(cause).into()
    }
}

impl From<ApiError> for PermitError {
    fn from(e: ApiError) -> Self {
        PermitError {
            retry_after: e.retry_after,
            field: e.field,
            ..Self::new(e.status, e.kind, e.detail_id, e.detail_en)
        }
    }
}

impl From<PermitError> for ApiError {
    fn from(e: PermitError) -> Self {
        ApiError {
            retry_after: e.retry_after,
            field: e.field,
            ..ApiError::coded(e.status, e.code, e.id, e.en)
        }
    }
}

impl From<sqlx::Error> for PermitError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl From<crate::check::LoadError> for PermitError {
    fn from(e: crate::check::LoadError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<RequestError> for PermitError {
    fn from(e: RequestError) -> Self {
        PermitError {
            status: StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            code: e.code,
            field: e.field,
            id: e.detail_id,
            en: e.detail_en,
            retry_after: None,
        }
    }
}

impl From<crate::rules::CheckError> for PermitError {
    fn from(e: crate::rules::CheckError) -> Self {
        RequestError::from(e).into()
    }
}

impl IntoResponse for PermitError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// Reads a JSON object body, refusing anything else with 400 (or 415 for another media type).
pub fn json_object(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, PermitError> {
    crate::http::body::json_object(headers, body).map_err(PermitError::from)
}
