//! Guards every request passes before a handler sees it, and the one multipart reader.
//!
//! - [`reject_nul`]: a NUL character (`%00`) in the path or query is a 400. PostgreSQL text
//!   cannot hold NUL, so such input would otherwise fail deep inside a query as a 500.
//! - [`reject_nul_in_json`]: the same for JSON bodies: a string (member name or value) holding
//!   `\u0000` is a 422 naming the field, before any handler runs or writes anything.
//! - [`Multipart`]: the multipart reader every handler uses; its text fields refuse NUL the
//!   same way, so no handler has to remember.
//! - [`limit_uri`]: an address longer than [`MAX_URI_BYTES`] is a 414 problem.
//! - [`html_headers`]: HTML answers carry `Content-Security-Policy`, `X-Content-Type-Options`
//!   and `Referrer-Policy`.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::{ApiError, problem_response};

/// Longest request address (path and query) accepted; longer ones get 414. A CQL2 filter or a
/// polygon in a query fits easily; anything longer belongs in a POST body.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// PostgreSQL text cannot hold a NUL character, so a path or query with an encoded NUL
/// (`%00`) is refused up front with 400 instead of failing deep inside a query.
pub async fn reject_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return problem_response(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Alamat permintaan berisi karakter NUL (%00), yang tidak diterima.",
            "The request address contains a NUL character (%00), which is not accepted.",
        );
    }
    next.run(req).await
}

/// 414 problem+json for an address longer than [`MAX_URI_BYTES`].
pub async fn limit_uri(req: Request, next: Next) -> Response {
    let len = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().len())
        .unwrap_or(0);
    if len > MAX_URI_BYTES {
        return problem_response(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            &format!(
                "Alamat permintaan terlalu panjang ({len} byte; paling banyak {MAX_URI_BYTES}). Kirim filter atau geometri yang panjang lewat isi permintaan (POST)."
            ),
            &format!(
                "The request address is too long ({len} bytes; at most {MAX_URI_BYTES}). Send long filters or geometries in a request body (POST)."
            ),
        );
    }
    next.run(req).await
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// The 422 for a NUL character in field `field`.
pub fn nul_problem(field: &str) -> ApiError {
    let shown: String = field.chars().filter(|c| *c != '\0').take(200).collect();
    ApiError {
        kind: "nul-character",
        ..ApiError::invalid_field(
            shown.clone(),
            format!("Isian {shown} berisi karakter NUL (\\u0000), yang tidak diterima."),
            format!("The field {shown} contains a NUL character (\\u0000), which is not accepted."),
        )
    }
}

/// Where in `v` a string holds a NUL: `applicant_name`, `building.floors`,
/// `features[0].properties.name`. Member names count too.
fn nul_path(v: &Value, path: &mut String) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().enumerate().any(|(i, x)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = nul_path(x, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(o) => o.iter().any(|(k, x)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let found = k.contains('\0') || nul_path(x, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
}

/// True when `body` may hold an escaped NUL (`\u0000`): a cheap byte scan, so that only such
/// bodies are parsed here.
fn may_hold_nul(body: &[u8]) -> bool {
    body.windows(6).any(|w| w == b"\\u0000")
}

/// Refuses a JSON body with a NUL character in any string with 422 naming the field. Other
/// bodies (and JSON that does not parse: the handler explains that) pass unchanged.
pub async fn reject_nul_in_json(req: Request, next: Next) -> Response {
    if !is_json(&req) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // The body limit layer outside this one bounds what is read here.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.to_string().contains("length limit"))
                || e.to_string().contains("length limit");
            return if too_large {
                let (kind, id, en) = crate::error::generic_detail(StatusCode::PAYLOAD_TOO_LARGE);
                problem_response(StatusCode::PAYLOAD_TOO_LARGE, kind, id, en)
            } else {
                ApiError::bad_request(
                    "Isi permintaan tidak dapat dibaca sampai selesai.",
                    "The request body could not be read to the end.",
                )
                .into_response()
            };
        }
    };
    if may_hold_nul(&bytes)
        && let Ok(v) = serde_json::from_slice::<Value>(&bytes)
    {
        let mut path = String::new();
        if nul_path(&v, &mut path) {
            let field = if path.is_empty() { "(body)" } else { &path };
            return nul_problem(field).into_response();
        }
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// The policy of HTML answers: everything from this server only (pages load their npm
/// packages from `/assets/vendor`, never from a CDN); inline styles are allowed (the OGC HTML
/// and decision documents carry a `<style>`), inline scripts only by hash ([`page_csp`]);
/// MapLibre runs its workers from `blob:` URLs and draws images from `data:`/`blob:`.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; \
     connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; \
     frame-ancestors 'self'; form-action 'self'";

/// [`CSP`] for a page whose inline scripts (the import map) are allowed by their SHA-256.
pub fn page_csp(html: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut hashes = String::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        rest = &rest[at..];
        let Some(end_tag) = rest.find('>') else { break };
        let tag = &rest[..end_tag];
        let body_start = end_tag + 1;
        let Some(close) = rest[body_start..].find("</script>") else {
            break;
        };
        let body = &rest[body_start..body_start + close];
        if !tag.contains("src=") && !body.trim().is_empty() {
            let digest = sha2::Sha256::digest(body.as_bytes());
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            hashes.push_str(&format!(" 'sha256-{b64}'"));
        }
        rest = &rest[body_start + close..];
    }
    CSP.replacen(
        "script-src 'self'",
        &format!("script-src 'self'{hashes}"),
        1,
    )
}

/// Adds `Content-Security-Policy`, `X-Content-Type-Options: nosniff` and `Referrer-Policy` to
/// HTML answers (the pages, OGC `f=html`, permit documents), and `nosniff` to every answer.
pub async fn html_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if html {
        if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
        }
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    res
}

/// The multipart reader of every handler that takes `multipart/form-data`: axum's, except that
/// a text field holding a NUL character is refused (422 naming the field).
pub struct Multipart(axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = axum::extract::multipart::MultipartRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
    }
}

impl Multipart {
    pub async fn next_field(
        &mut self,
    ) -> Result<Option<Field<'_>>, axum::extract::multipart::MultipartError> {
        Ok(self.0.next_field().await?.map(Field))
    }
}

/// One part of a [`Multipart`] form.
pub struct Field<'a>(axum::extract::multipart::Field<'a>);

/// Why a text field could not be read.
pub enum FieldError {
    /// The form itself is broken (or over the size limit).
    Read(axum::extract::multipart::MultipartError),
    /// The text holds a NUL character.
    Nul(ApiError),
}

impl FieldError {
    /// Maps the error: `read` for a broken form, the 422 problem for a NUL.
    pub fn or_read<E: From<ApiError>>(
        self,
        read: impl FnOnce(axum::extract::multipart::MultipartError) -> E,
    ) -> E {
        match self {
            FieldError::Read(e) => read(e),
            FieldError::Nul(e) => e.into(),
        }
    }
}

impl Field<'_> {
    pub fn name(&self) -> Option<&str> {
        self.0.name()
    }

    pub fn file_name(&self) -> Option<&str> {
        self.0.file_name()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.0.content_type()
    }

    pub async fn chunk(
        &mut self,
    ) -> Result<Option<axum::body::Bytes>, axum::extract::multipart::MultipartError> {
        self.0.chunk().await
    }

    /// The field as text; a NUL character in it is refused.
    pub async fn text(self) -> Result<String, FieldError> {
        let name = self.0.name().unwrap_or("").to_string();
        let text = self.0.text().await.map_err(FieldError::Read)?;
        if text.contains('\0') {
            return Err(FieldError::Nul(nul_problem(&name)));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path_of(v: Value) -> Option<String> {
        let mut p = String::new();
        nul_path(&v, &mut p).then_some(p)
    }

    #[test]
    fn the_path_of_a_nul_names_the_field() {
        assert_eq!(
            path_of(json!({"a": 1, "applicant_name": "x\u{0}y"})).as_deref(),
            Some("applicant_name")
        );
        assert_eq!(
            path_of(json!({"features": [{"properties": {"ok": "a"}}, {"properties": {"name": "\u{0}"}}]}))
                .as_deref(),
            Some("features[1].properties.name")
        );
        assert_eq!(path_of(json!({"a\u{0}": 1})).as_deref(), Some("a\u{0}"));
        assert_eq!(path_of(json!({"a": "b", "c": [1, "d"]})), None);
        assert!(may_hold_nul(br#"{"a":"x\u0000"}"#));
        assert!(!may_hold_nul(br#"{"a":"x\u0001"}"#));
    }

    #[test]
    fn inline_scripts_are_allowed_by_hash_only() {
        let csp = page_csp(
            "<script type=\"importmap\">{\"imports\":{}}</script><script type=\"module\" src=\"/a.js\"></script>",
        );
        // sha256 of {"imports":{}}
        assert!(csp.contains("script-src 'self' 'sha256-"), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(page_csp("<p>no scripts</p>"), CSP);
    }
}
