//! Who is calling: bearer tokens and session tokens, stored as SHA-256 hashes in `api_tokens`.
//!
//! Only the lookup lives here so far; accounts, login and token creation come with the permit
//! workflow.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// SHA-256 of a token secret, as stored in `api_tokens.token_hash`.
pub fn token_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The role of the user behind the request's `Authorization: Bearer <token>`, when the token
/// exists, is not revoked or expired and the user is enabled. `None` for anonymous callers and
/// unknown tokens alike.
pub async fn bearer_role(
    pool: &PgPool,
    headers: &HeaderMap,
) -> Result<Option<String>, sqlx::Error> {
    let Some(secret) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 256)
    else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "SELECT u.role FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
           AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled",
    )
    .bind(token_hash(secret))
    .fetch_optional(pool)
    .await
}
