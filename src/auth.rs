//! Who is calling: bearer tokens (API) and session cookies (browser), both stored as SHA-256
//! hashes in `api_tokens` (`kind` = `api` or `session`).
//!
//! Handlers take a [`Caller`] (401 when nobody is logged in) or an `Option<Caller>` (anonymous
//! allowed), then ask [`Caller::require`] for the roles that may act (403 otherwise).
//!
//! CSRF: a browser sends the session cookie by itself, so a request authenticated by the cookie
//! that changes something (any method but GET/HEAD/OPTIONS) must also carry the header
//! `X-CSRF-Token` equal to the `ruang_csrf` cookie (double-submit; the cookie is readable by the
//! page's own script and by no other origin). Bearer tokens are never sent by a browser on its
//! own and need no CSRF token.
//!
//! Passwords are argon2id PHC strings ([`hash_password`], [`verify_password`]); token, session
//! and CSRF secrets are 32 random bytes ([`new_secret`]). Login, logout and token creation are
//! HTTP routes of [`crate::permits::accounts`].

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;

/// Name of the HttpOnly session cookie.
pub const SESSION_COOKIE: &str = "ruang_session";
/// Name of the CSRF cookie (readable by the page's script) and its header.
pub const CSRF_COOKIE: &str = "ruang_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The roles of domain-kupang §1.4, as stored in `users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Applicant.
    Pemohon,
    /// Front office.
    Operator,
    /// Technical verifier.
    Verifikator,
    /// Spatial planning forum.
    Forum,
    /// Signing official.
    Pejabat,
    Planner,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Pemohon,
        Role::Operator,
        Role::Verifikator,
        Role::Forum,
        Role::Pejabat,
        Role::Planner,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Pemohon => "pemohon",
            Role::Operator => "operator",
            Role::Verifikator => "verifikator",
            Role::Forum => "forum",
            Role::Pejabat => "pejabat",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A logged-in user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    /// True when authenticated by the session cookie (browser), false for a bearer token.
    pub via_cookie: bool,
}

impl Caller {
    /// 403 unless the caller has one of `roles`. Admins may do everything.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "Peran Anda ({}) tidak boleh melakukan ini; yang boleh: {}.",
                self.role,
                names.join(", ")
            ),
            format!(
                "Your role ({}) may not do this; allowed: {}.",
                self.role,
                names.join(", ")
            ),
        ))
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

/// A new random secret: 32 bytes from the operating system, base64url without padding
/// (43 characters). Used for bearer tokens, session cookies and CSRF tokens.
pub fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An argon2id PHC string of `password` (random salt, the crate's default cost). Slow on
/// purpose: call it from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// SHA-256 of a token secret, as stored in `api_tokens.token_hash`.
pub fn token_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 256)
}

/// Looks up a token secret of the given kind. `None` for unknown, revoked or expired tokens and
/// for disabled users alike.
async fn lookup(pool: &PgPool, secret: &str, kind: &str) -> Result<Option<Caller>, sqlx::Error> {
    let row: Option<(Uuid, Uuid, String, String, bool)> = sqlx::query_as(
        "SELECT t.id, u.id, u.email, u.role, \
                (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.kind = $2 \
           AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) \
           AND NOT u.disabled",
    )
    .bind(token_hash(secret))
    .bind(kind)
    .fetch_optional(pool)
    .await?;
    // Record use at most once a minute per token, so busy clients do not write on every request.
    if let Some((token_id, _, _, _, true)) = &row {
        sqlx::query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1")
            .bind(token_id)
            .execute(pool)
            .await?;
    }
    let row = row.map(|(_, user_id, email, role, _)| (user_id, email, role));
    Ok(row.and_then(|(user_id, email, role)| {
        Some(Caller {
            user_id,
            email,
            role: Role::parse(&role)?,
            via_cookie: kind == "session",
        })
    }))
}

/// The caller behind a request: the bearer token first, else the session cookie. An unsafe
/// method authenticated by the cookie without a matching CSRF header is refused with 403.
pub async fn caller(
    pool: &PgPool,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    if let Some(secret) = bearer(headers) {
        return lookup(pool, secret, "api").await.map_err(ApiError::from);
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE).filter(|s| !s.is_empty() && s.len() <= 256)
    else {
        return Ok(None);
    };
    let Some(found) = lookup(pool, secret, "session")
        .await
        .map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let expected = cookie(headers, CSRF_COOKIE);
        if sent.is_none() || sent != expected {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "Token CSRF tidak ada atau tidak cocok. Muat ulang halaman lalu coba lagi.",
                "The CSRF token is missing or does not match. Reload the page and try again.",
            ));
        }
    }
    Ok(Some(found))
}

/// The role of the user behind the request's bearer token (kept for the tile endpoints).
pub async fn bearer_role(
    pool: &PgPool,
    headers: &HeaderMap,
) -> Result<Option<String>, sqlx::Error> {
    let Some(secret) = bearer(headers) else {
        return Ok(None);
    };
    Ok(lookup(pool, secret, "api")
        .await?
        .map(|c| c.role.as_str().to_owned()))
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Silakan masuk terlebih dahulu (token atau sesi tidak ada, salah, atau kedaluwarsa).",
        "Please log in first (the token or session is missing, wrong or expired).",
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        caller(&state.pool, &parts.method, &parts.headers)
            .await?
            .ok_or_else(unauthorized)
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        caller(&state.pool, &parts.method, &parts.headers).await
    }
}
