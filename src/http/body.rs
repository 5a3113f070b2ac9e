//! The one reader of JSON request bodies: the content type (JSON or `application/*+json`),
//! then a JSON object, refused with the same problems (`code` `unsupported_media_type`,
//! `bad_json`) wherever a JSON body is read.

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Whether the request says its body is JSON; `None` when it gives no content type.
pub fn declares_json(headers: &HeaderMap) -> Option<bool> {
    let media = headers
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    Some(media.is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    }))
}

/// 415: the body is not declared as JSON.
pub fn not_json() -> ApiError {
    ApiError::coded(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Kirimkan isi permintaan sebagai JSON (Content-Type: application/json).",
        "Send the request body as JSON (Content-Type: application/json).",
    )
}

/// Refuses a body declared as something other than JSON (415); with `required`, also a body
/// without a content type.
pub fn require_json(headers: &HeaderMap, required: bool) -> Result<(), ApiError> {
    match declares_json(headers) {
        Some(false) => Err(not_json()),
        None if required => Err(not_json()),
        _ => Ok(()),
    }
}

/// The body as a JSON object, else 400 `bad_json`.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            "bad_json",
            "Isi permintaan harus berupa objek JSON.",
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("Isi permintaan bukan JSON yang sah ({e})."),
            format!("The request body is not valid JSON ({e})."),
        )),
    }
}

/// A JSON object body (an empty body is an empty object); any other content type is 415.
pub fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    require_json(headers, false)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    parse_object(body)
}
