//! Accounts: self-registration of applicants, password login with a session cookie, logout,
//! the current user, API tokens; and the `ruang user add` / `ruang token create` commands.
//!
//! Sessions are `api_tokens` rows of kind `session` (12 hours); the browser gets the secret in
//! the HttpOnly cookie `ruang_session` and a CSRF secret in the script-readable cookie
//! `ruang_csrf` (also in the JSON answer), which it echoes in `X-CSRF-Token` on every unsafe
//! request (checked by [`crate::auth`]).
//!
//! Login throttling: every failed login is recorded with the e-mail address tried (whether or
//! not an account has it) and the client address. From the 5th failure for one address within
//! 15 minutes, further attempts for it are refused with 429 and `Retry-After` for 30 s, doubling
//! with each further failure up to 15 minutes; one client address gets the same from its 20th
//! failure (any e-mails) within 15 minutes. While refused, the password is not even checked. A
//! successful login forgets the e-mail's failures. A wrong e-mail and a wrong password get the
//! same 401 answer, and an unknown e-mail still costs one argon2 verification, so neither the
//! answer nor its timing tells whether an account exists. Failures older than a day are
//! deleted as new ones are recorded.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::error::{PermitError, json_object};
use crate::AppState;
use crate::auth::{self, CSRF_COOKIE, Caller, Role, SESSION_COOKIE};
use crate::http::limit::ClientIp;

/// Session lifetime.
pub const SESSION_HOURS: i64 = 12;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
const MAX_PASSWORD: usize = 1024;
/// Failures per e-mail within [`WINDOW_MIN`] before attempts are refused.
pub const EMAIL_FAILURES: i64 = 5;
/// Failures per client address within [`WINDOW_MIN`] before attempts are refused.
pub const IP_FAILURES: i64 = 20;
const WINDOW_MIN: i64 = 15;
const BASE_DELAY_S: i64 = 30;
const MAX_DELAY_S: i64 = 15 * 60;

/// A hash no password matches, verified for unknown e-mails so they take as long as known ones.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    auth::hash_password(&auth::new_secret()).unwrap_or_else(|_| {
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            .into()
    })
});

/// Self-registrations one client address may attempt: a burst of 10, then this many an hour.
/// A service counter registering applicants one after another stays well inside it; a script
/// creating accounts (or probing which e-mails have one) does not.
pub const REGISTRATIONS_PER_HOUR: f64 = 20.0;

/// Why an account could not be created (shared by the HTTP route and the CLI).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the e-mail address is not valid")]
    BadEmail,
    #[error("the password must have at least {MIN_PASSWORD} characters")]
    ShortPassword,
    #[error("the password is too long")]
    LongPassword,
    #[error(
        "unknown role {0:?}; roles: pemohon, operator, verifikator, forum, pejabat, planner, admin"
    )]
    BadRole(String),
    #[error("an account with this e-mail address already exists")]
    Taken,
    #[error("no account has this e-mail address")]
    NoSuchUser,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

impl From<AccountError> for PermitError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::BadEmail => PermitError::invalid(
                "email",
                "Alamat e-mel tidak sah.",
                "The e-mail address is not valid.",
            ),
            AccountError::ShortPassword => PermitError::invalid(
                "password",
                format!("Kata sandi minimal {MIN_PASSWORD} karakter."),
                format!("The password needs at least {MIN_PASSWORD} characters."),
            ),
            AccountError::LongPassword => PermitError::invalid(
                "password",
                "Kata sandi terlalu panjang.",
                "The password is too long.",
            ),
            AccountError::BadRole(r) => PermitError::invalid(
                "role",
                format!("Peran {r:?} tidak dikenal."),
                format!("Unknown role {r:?}."),
            ),
            AccountError::Taken => PermitError::new(
                StatusCode::CONFLICT,
                "email_taken",
                "Alamat e-mel ini sudah terdaftar. Silakan masuk.",
                "This e-mail address is already registered. Please log in.",
            ),
            AccountError::NoSuchUser => PermitError::not_found("Akun", "The account"),
            AccountError::Hash(e) => PermitError::internal(&e),
            AccountError::Sql(e) => e.into(),
        }
    }
}

/// Lower-cased, trimmed e-mail address, or `BadEmail`.
pub fn normalize_email(email: &str) -> Result<String, AccountError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && !d.is_empty() && !d.contains('@') && d.contains('.')
        })
        && !e.chars().any(char::is_whitespace);
    if ok {
        Ok(e)
    } else {
        Err(AccountError::BadEmail)
    }
}

fn check_password(p: &str) -> Result<(), AccountError> {
    if p.chars().count() < MIN_PASSWORD {
        return Err(AccountError::ShortPassword);
    }
    if p.len() > MAX_PASSWORD {
        return Err(AccountError::LongPassword);
    }
    Ok(())
}

async fn hash_blocking(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .map_err(AccountError::Hash)
}

/// Creates an account (CLI and self-registration). Returns its id.
pub async fn add_user(
    pool: &PgPool,
    email: &str,
    role: &str,
    display_name: Option<&str>,
    password: &str,
) -> Result<Uuid, AccountError> {
    let email = normalize_email(email)?;
    let role = Role::parse(role.trim()).ok_or_else(|| AccountError::BadRole(role.into()))?;
    check_password(password)?;
    let hash = hash_blocking(password.to_string()).await?;
    let name = display_name.map(str::trim).filter(|n| !n.is_empty());
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&email)
    .bind(name)
    .bind(&hash)
    .bind(role.as_str())
    .fetch_optional(pool)
    .await?;
    id.ok_or(AccountError::Taken)
}

/// Creates a bearer token for the account with `email`; returns the secret (shown once).
pub async fn create_api_token(
    pool: &PgPool,
    email: &str,
    name: Option<&str>,
) -> Result<String, AccountError> {
    let email = normalize_email(email)?;
    let user: Option<Uuid> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(pool)
        .await?;
    let user = user.ok_or(AccountError::NoSuchUser)?;
    insert_token(pool, user, "api", name, None).await
}

async fn insert_token(
    pool: &PgPool,
    user: Uuid,
    kind: &str,
    name: Option<&str>,
    hours: Option<i64>,
) -> Result<String, AccountError> {
    let secret = auth::new_secret();
    sqlx::query(
        "INSERT INTO api_tokens (user_id, kind, token_hash, name, expires_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $5::bigint IS NULL THEN NULL
                                      ELSE now() + make_interval(hours => $5::int) END)",
    )
    .bind(user)
    .bind(kind)
    .bind(auth::token_hash(&secret))
    .bind(name)
    .bind(hours)
    .execute(pool)
    .await?;
    Ok(secret)
}

/// A JSON answer no cache may keep: it names the caller or holds a secret.
fn no_store(status: StatusCode, body: Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn user_json(id: Uuid, email: &str, role: &str, name: Option<&str>) -> Value {
    json!({"id": id, "email": email, "role": role, "display_name": name})
}

fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn cookie_header(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Opens a session for `user` and answers `status` with the user, the CSRF token and both
/// cookies.
async fn session_response(
    pool: &PgPool,
    headers: &HeaderMap,
    status: StatusCode,
    user: Value,
    user_id: Uuid,
) -> Result<Response, PermitError> {
    let session = insert_token(
        pool,
        user_id,
        "session",
        Some("browser"),
        Some(SESSION_HOURS),
    )
    .await
    .map_err(PermitError::from)?;
    let csrf = auth::new_secret();
    let secure = if is_https(headers) { "; Secure" } else { "" };
    let age = SESSION_HOURS * 3600;
    let mut res = (
        status,
        Json(json!({"user": user, "csrf_token": csrf, "expires_in": age})),
    )
        .into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie_header(format!(
            "{SESSION_COOKIE}={session}; HttpOnly; SameSite=Lax; Path=/; Max-Age={age}{secure}"
        )),
    );
    h.append(
        header::SET_COOKIE,
        cookie_header(format!(
            "{CSRF_COOKIE}={csrf}; SameSite=Lax; Path=/; Max-Age={age}{secure}"
        )),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

fn string_field<'a>(
    m: &'a serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, PermitError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(PermitError::invalid(
            field,
            format!("Isian {field} harus berupa teks."),
            format!("The field {field} must be a string."),
        )),
    }
}

fn required<'a>(
    m: &'a serde_json::Map<String, Value>,
    field: &str,
) -> Result<&'a str, PermitError> {
    string_field(m, field)?.ok_or_else(|| {
        PermitError::invalid(
            field,
            format!("Isian {field} wajib diisi."),
            format!("The field {field} is required."),
        )
    })
}

/// `POST /api/auth/register`: a new applicant (`pemohon`) account, logged in at once.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    let m = json_object(&headers, &body)?;
    let email = required(&m, "email")?;
    let password = required(&m, "password")?;
    let name = string_field(&m, "display_name")?;
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(PermitError::invalid(
            "display_name",
            "Nama tampilan terlalu panjang (maks. 200 karakter).",
            "The display name is too long (at most 200 characters).",
        ));
    }
    let id = add_user(&state.pool, email, "pemohon", name, password).await?;
    let email = normalize_email(email)?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let user = user_json(id, &email, "pemohon", name);
    session_response(&state.pool, &headers, StatusCode::CREATED, user, id).await
}

fn login_refused() -> PermitError {
    PermitError::new(
        StatusCode::UNAUTHORIZED,
        "login_failed",
        "E-mel atau kata sandi salah.",
        "Wrong e-mail or password.",
    )
}

/// Seconds until a new attempt is allowed after `failures` failures, the latest `since_last`
/// seconds ago; `None` when allowed now.
pub fn throttle_wait(failures: i64, limit: i64, since_last: f64) -> Option<u64> {
    if failures < limit {
        return None;
    }
    let exp = (failures - limit).min(10) as u32;
    let delay = (BASE_DELAY_S * 2i64.pow(exp)).min(MAX_DELAY_S) as f64;
    let wait = delay - since_last;
    (wait > 0.0).then(|| wait.ceil() as u64)
}

async fn throttled(pool: &PgPool, email: &str, ip: &str) -> Result<Option<u64>, PermitError> {
    let (ef, elast, ipf, iplast): (i64, Option<f64>, i64, Option<f64>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM login_failures
                  WHERE email = $1 AND at > now() - make_interval(mins => $3)),
                (SELECT extract(epoch FROM now() - max(at))::float8 FROM login_failures
                  WHERE email = $1 AND at > now() - make_interval(mins => $3)),
                (SELECT count(*) FROM login_failures
                  WHERE ip = $2 AND at > now() - make_interval(mins => $3)),
                (SELECT extract(epoch FROM now() - max(at))::float8 FROM login_failures
                  WHERE ip = $2 AND at > now() - make_interval(mins => $3))",
    )
    .bind(email)
    .bind(ip)
    .bind(WINDOW_MIN as i32)
    .fetch_one(pool)
    .await?;
    let a = throttle_wait(ef, EMAIL_FAILURES, elast.unwrap_or(f64::MAX));
    let b = throttle_wait(ipf, IP_FAILURES, iplast.unwrap_or(f64::MAX));
    Ok(a.max(b))
}

/// `POST /api/auth/login`.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    let m = json_object(&headers, &body)?;
    let email_raw = required(&m, "email")?;
    let password = required(&m, "password")?;
    let email: String = email_raw.trim().to_lowercase().chars().take(254).collect();
    let ip = ip.to_string();
    if let Some(wait) = throttled(&state.pool, &email, &ip).await? {
        return Ok(crate::http::limit::too_many_requests(
            "login_throttled",
            format!("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {wait} detik."),
            format!("Too many failed logins. Try again in {wait} s."),
            wait,
        ));
    }
    let row: Option<(Uuid, String, String, Option<String>, bool)> = sqlx::query_as(
        "SELECT id, password_hash, role, display_name, disabled FROM users WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(&state.pool)
    .await?;
    let hash = row
        .as_ref()
        .map(|r| r.1.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&pw, &hash))
        .await
        .map_err(|e| PermitError::internal(&e))?;
    match row {
        Some((id, _, role, name, false)) if ok => {
            sqlx::query(
                "DELETE FROM login_failures WHERE email = $1 OR at < now() - interval '1 day'",
            )
            .bind(&email)
            .execute(&state.pool)
            .await?;
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(id)
                .execute(&state.pool)
                .await?;
            let user = user_json(id, &email, &role, name.as_deref());
            session_response(&state.pool, &headers, StatusCode::OK, user, id).await
        }
        _ => {
            sqlx::query(
                "WITH old AS (DELETE FROM login_failures WHERE at < now() - interval '1 day')
                 INSERT INTO login_failures (email, ip) VALUES ($1, $2)",
            )
            .bind(&email)
            .bind(&ip)
            .execute(&state.pool)
            .await?;
            sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE email = $1")
                .bind(&email)
                .execute(&state.pool)
                .await?;
            Err(login_refused())
        }
    }
}

/// `POST /api/auth/logout`: revokes the session of the cookie and clears both cookies.
/// Answers 204 also when no one was logged in.
pub async fn logout(
    State(state): State<AppState>,
    caller: Option<Caller>,
    headers: HeaderMap,
) -> Result<Response, PermitError> {
    if let Some(c) = &caller
        && c.via_cookie
        && let Some(secret) = auth::cookie(&headers, SESSION_COOKIE)
    {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = now()
              WHERE token_hash = $1 AND kind = 'session' AND revoked_at IS NULL",
        )
        .bind(auth::token_hash(secret))
        .execute(&state.pool)
        .await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie_header(format!(
            "{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
        )),
    );
    h.append(
        header::SET_COOKIE,
        cookie_header(format!("{CSRF_COOKIE}=; SameSite=Lax; Path=/; Max-Age=0")),
    );
    Ok(res)
}

/// `GET /api/auth/me`.
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, PermitError> {
    let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(caller.user_id)
        .fetch_optional(&state.pool)
        .await?
        .flatten();
    let user = user_json(
        caller.user_id,
        &caller.email,
        caller.role.as_str(),
        name.as_deref(),
    );
    Ok(no_store(StatusCode::OK, json!({"user": user})))
}

/// `POST /api/tokens` `{name}`: a bearer token for the caller, shown once.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PermitError> {
    let m = json_object(&headers, &body)?;
    let name = string_field(&m, "name")?.map(str::trim);
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(PermitError::invalid(
            "name",
            "Nama token terlalu panjang (maks. 200 karakter).",
            "The token name is too long (at most 200 characters).",
        ));
    }
    let token = insert_token(&state.pool, caller.user_id, "api", name, None).await?;
    Ok(no_store(
        StatusCode::CREATED,
        json!({"token": token, "name": name, "token_type": "Bearer"}),
    ))
}

/// `GET /api/tokens`: the caller's live credentials (bearer tokens and browser sessions),
/// newest first, without their secrets.
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, PermitError> {
    type Row = (
        Uuid,
        String,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, name, created_at, expires_at, last_used_at FROM api_tokens
          WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
          ORDER BY created_at DESC, id",
    )
    .bind(caller.user_id)
    .fetch_all(&state.pool)
    .await
    .map_err(AccountError::from)?;
    let tokens: Vec<Value> = rows
        .into_iter()
        .map(|(id, kind, name, created, expires, used)| {
            json!({"id": id, "kind": kind, "name": name, "created_at": created,
                   "expires_at": expires, "last_used_at": used})
        })
        .collect();
    Ok(no_store(StatusCode::OK, json!({"tokens": tokens})))
}

/// `DELETE /api/tokens/{id}`: revokes one of the caller's tokens or sessions at once (an admin
/// may revoke anybody's). 404 for an unknown id, another user's token, or one already revoked.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, PermitError> {
    let not_found = || PermitError::not_found("Token", "The token");
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let revoked: Option<Uuid> = sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = now()
          WHERE id = $1 AND revoked_at IS NULL AND (user_id = $2 OR $3)
         RETURNING id",
    )
    .bind(id)
    .bind(caller.user_id)
    .bind(caller.role == Role::Admin)
    .fetch_optional(&state.pool)
    .await
    .map_err(AccountError::from)?;
    revoked.ok_or_else(not_found)?;
    tracing::info!(token = %id, by = %caller.email, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Expired or revoked sessions and tokens are kept this many days (they can still be listed
/// in the database for an inquiry), then deleted.
pub const KEEP_DEAD_TOKENS_DAYS: i32 = 7;

/// Deletes the sessions and tokens that expired or were revoked more than
/// [`KEEP_DEAD_TOKENS_DAYS`] ago; returns how many.
pub async fn purge_dead_tokens(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM api_tokens
          WHERE expires_at < now() - make_interval(days => $1)
             OR revoked_at < now() - make_interval(days => $1)",
    )
    .bind(KEEP_DEAD_TOKENS_DAYS)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Runs [`purge_dead_tokens`] at start and then every hour.
pub fn spawn_token_purge(pool: PgPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match purge_dead_tokens(&pool).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired and revoked sessions purged"),
                Err(e) => tracing::warn!(error = %e, "could not purge expired sessions"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_doubles_from_the_limit_and_caps() {
        assert_eq!(throttle_wait(4, 5, 0.0), None);
        assert_eq!(throttle_wait(5, 5, 0.0), Some(30));
        assert_eq!(throttle_wait(5, 5, 10.0), Some(20));
        assert_eq!(throttle_wait(5, 5, 31.0), None);
        assert_eq!(throttle_wait(6, 5, 0.0), Some(60));
        assert_eq!(throttle_wait(50, 5, 0.0), Some(900));
    }

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(
            normalize_email(" A@Kupang.go.id ").unwrap(),
            "a@kupang.go.id"
        );
        for bad in ["", "a", "a@", "@b.c", "a b@c.d", "a@b@c.d", "a@localhost"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = auth::hash_password("rahasia-sekali").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(auth::verify_password("rahasia-sekali", &h));
        assert!(!auth::verify_password("rahasia-sekalI", &h));
        assert!(!auth::verify_password("x", "not a hash"));
        assert_ne!(auth::new_secret(), auth::new_secret());
        assert_eq!(auth::new_secret().len(), 43);
    }
}
