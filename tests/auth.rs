//! Accounts against a real PostGIS: self-registration, login with one answer for every
//! failure, login throttling per account and per client address, the session cookie with its
//! CSRF double-submit, logout, expired and revoked credentials, API tokens.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use ruang::config::Config;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn setup(hint: &str) -> (axum::Router, sqlx::PgPool) {
    let (pool, _) = common::migrated_database(hint).await;
    let state = ruang::AppState::new(pool.clone(), Config::default())
        .await
        .expect("app state");
    (ruang::app(state), pool)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// `name=value` of each Set-Cookie, with its attributes.
    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    fn cookie(&self, name: &str) -> Option<(String, String)> {
        self.cookies().into_iter().find_map(|c| {
            let (nv, attrs) = c.split_once(';').unwrap_or((&c, ""));
            let (n, v) = nv.split_once('=')?;
            (n == name).then(|| (v.to_string(), attrs.to_string()))
        })
    }
}

struct Req<'a> {
    method: &'a str,
    uri: &'a str,
    body: Option<Value>,
    headers: Vec<(&'a str, String)>,
    ip: [u8; 4],
}

fn req<'a>(method: &'a str, uri: &'a str, body: Option<Value>) -> Req<'a> {
    Req {
        method,
        uri,
        body,
        headers: vec![],
        ip: [10, 0, 0, 1],
    }
}

impl<'a> Req<'a> {
    fn h(mut self, k: &'a str, v: impl Into<String>) -> Self {
        self.headers.push((k, v.into()));
        self
    }

    fn ip(mut self, ip: [u8; 4]) -> Self {
        self.ip = ip;
        self
    }

    async fn send(self, app: &axum::Router) -> Answer {
        let mut b = Request::builder().method(self.method).uri(self.uri);
        for (k, v) in &self.headers {
            b = b.header(*k, v);
        }
        let mut r = match self.body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .unwrap();
        r.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((self.ip, 40000))));
        let res = app.clone().oneshot(r).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{status}: {e}: {}", String::from_utf8_lossy(&bytes)))
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

async fn register(app: &axum::Router, email: &str, password: &str) -> Answer {
    req(
        "POST",
        "/api/auth/register",
        Some(json!({"email": email, "password": password, "display_name": "Yohanes"})),
    )
    .send(app)
    .await
}

async fn login(app: &axum::Router, email: &str, password: &str, ip: [u8; 4]) -> Answer {
    req(
        "POST",
        "/api/auth/login",
        Some(json!({"email": email, "password": password})),
    )
    .ip(ip)
    .send(app)
    .await
}

#[tokio::test]
async fn applicants_register_and_get_a_session() {
    let (app, pool) = setup("auth_register").await;
    let a = req(
        "POST",
        "/api/auth/register",
        Some(
            json!({"email": "Yohanes@Example.id", "password": "sepuluh-karakter",
                    "display_name": "Yohanes", "role": "admin"}),
        ),
    )
    .send(&app)
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(
        a.body["user"]["role"], "pemohon",
        "self-registration never gives more"
    );
    assert_eq!(a.body["user"]["email"], "yohanes@example.id");
    let (session, attrs) = a.cookie("ruang_session").expect("session cookie");
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax") && attrs.contains("Path=/")
    );
    let (csrf, cattrs) = a.cookie("ruang_csrf").expect("csrf cookie");
    assert!(!cattrs.contains("HttpOnly") && cattrs.contains("SameSite=Lax"));
    assert_eq!(a.body["csrf_token"], json!(csrf));
    // stored as argon2 and as a hash of the session
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2"));
    let me = req("GET", "/api/auth/me", None)
        .h("cookie", format!("ruang_session={session}"))
        .send(&app)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["display_name"], "Yohanes");

    let dup = register(&app, "yohanes@example.id", "another-password").await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    for (email, pw, field) in [
        ("a@example.id", "pendek", "password"),
        ("not-an-email", "sepuluh-karakter", "email"),
    ] {
        let a = register(&app, email, pw).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.body["field"], field);
        assert!(a.body["detail"].is_string() && a.body["detail_en"].is_string());
    }
    let bad = req("POST", "/api/auth/register", None)
        .h("content-type", "application/json")
        .send(&app)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn login_failures_look_the_same_whether_or_not_the_account_exists() {
    let (app, _) = setup("auth_login").await;
    register(&app, "maria@example.id", "kata-sandi-maria").await;
    let ok = login(&app, "Maria@example.id", "kata-sandi-maria", [10, 1, 0, 1]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["user"]["email"], "maria@example.id");
    assert!(ok.cookie("ruang_session").is_some() && ok.cookie("ruang_csrf").is_some());
    let wrong_pw = login(&app, "maria@example.id", "salah-sandi-nya", [10, 1, 0, 1]).await;
    let no_user = login(
        &app,
        "tidakada@example.id",
        "salah-sandi-nya",
        [10, 1, 0, 1],
    )
    .await;
    assert_eq!(wrong_pw.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_user.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_pw.body, no_user.body, "one answer for both");
    assert!(wrong_pw.cookie("ruang_session").is_none());
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_and_per_address() {
    let (app, pool) = setup("auth_throttle").await;
    register(&app, "ana@example.id", "kata-sandi-ana1").await;
    let ip = [10, 2, 0, 1];
    for _ in 0..5 {
        let a = login(&app, "ana@example.id", "tebakan-salah", ip).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    // from the 5th failure on, even the right password waits, from any address
    for from in [ip, [10, 2, 0, 2]] {
        let a = login(&app, "ana@example.id", "kata-sandi-ana1", from).await;
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
        let wait: u64 = a.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(a.body["detail"].is_string() && a.body["detail_en"].is_string());
    }
    // an address that does not exist is throttled the same way (no account oracle)
    for _ in 0..5 {
        login(&app, "hantu@example.id", "tebakan-salah", [10, 2, 0, 3]).await;
    }
    let a = login(&app, "hantu@example.id", "tebakan-salah", [10, 2, 0, 3]).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // after the wait (simulated by ageing the failures) the right password works again
    sqlx::query("UPDATE login_failures SET at = at - interval '31 seconds'")
        .execute(&pool)
        .await
        .unwrap();
    let a = login(&app, "ana@example.id", "kata-sandi-ana1", ip).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // one address trying many accounts
    register(&app, "beni@example.id", "kata-sandi-beni").await;
    let spray = [10, 9, 9, 9];
    for i in 0..20 {
        let a = login(&app, &format!("user{i}@example.id"), "tebakan-salah", spray).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = login(&app, "beni@example.id", "kata-sandi-beni", spray).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let a = login(&app, "beni@example.id", "kata-sandi-beni", [10, 9, 9, 10]).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn cookie_requests_that_change_things_need_the_csrf_header() {
    let (app, _) = setup("auth_csrf").await;
    let a = register(&app, "csrf@example.id", "kata-sandi-csrf").await;
    let (session, _) = a.cookie("ruang_session").unwrap();
    let (csrf, _) = a.cookie("ruang_csrf").unwrap();
    let cookies = format!("ruang_session={session}; ruang_csrf={csrf}");
    let body = Some(json!({"name": "qgis"}));
    let no_header = req("POST", "/api/tokens", body.clone())
        .h("cookie", cookies.clone())
        .send(&app)
        .await;
    assert_eq!(no_header.status, StatusCode::FORBIDDEN);
    assert!(no_header.body["detail"].as_str().unwrap().contains("CSRF"));
    let wrong = req("POST", "/api/tokens", body.clone())
        .h("cookie", cookies.clone())
        .h("x-csrf-token", "not-the-token")
        .send(&app)
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // a page on another site cannot read the cookie, so cannot send a matching header
    let only_session = req("POST", "/api/tokens", body.clone())
        .h("cookie", format!("ruang_session={session}"))
        .h("x-csrf-token", csrf.clone())
        .send(&app)
        .await;
    assert_eq!(only_session.status, StatusCode::FORBIDDEN);
    let ok = req("POST", "/api/tokens", body.clone())
        .h("cookie", cookies.clone())
        .h("x-csrf-token", csrf.clone())
        .send(&app)
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let token = ok.body["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43);
    // a bearer token needs no CSRF header
    let with_bearer = req("POST", "/api/tokens", body.clone())
        .h("authorization", format!("Bearer {token}"))
        .send(&app)
        .await;
    assert_eq!(with_bearer.status, StatusCode::CREATED);
    // GET needs none either
    let me = req("GET", "/api/auth/me", None)
        .h("cookie", cookies.clone())
        .send(&app)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // anonymous token creation
    let anon = req("POST", "/api/tokens", body).send(&app).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_session_and_old_credentials_stop_working() {
    let (app, pool) = setup("auth_logout").await;
    let a = register(&app, "out@example.id", "kata-sandi-out1").await;
    let (session, _) = a.cookie("ruang_session").unwrap();
    let (csrf, _) = a.cookie("ruang_csrf").unwrap();
    let cookies = format!("ruang_session={session}; ruang_csrf={csrf}");
    let out = req("POST", "/api/auth/logout", None)
        .h("cookie", cookies.clone())
        .h("x-csrf-token", csrf.clone())
        .send(&app)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let (v, attrs) = out.cookie("ruang_session").unwrap();
    assert!(v.is_empty() && attrs.contains("Max-Age=0"));
    // the replayed session cookie is dead
    let me = req("GET", "/api/auth/me", None)
        .h("cookie", cookies.clone())
        .send(&app)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert!(me.body["detail_en"].is_string());

    // an expired session and a revoked token are refused too
    let b = login(&app, "out@example.id", "kata-sandi-out1", [10, 3, 0, 1]).await;
    let (s2, _) = b.cookie("ruang_session").unwrap();
    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE kind = 'session'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let me = req("GET", "/api/auth/me", None)
        .h("cookie", format!("ruang_session={s2}"))
        .send(&app)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let c = login(&app, "out@example.id", "kata-sandi-out1", [10, 3, 0, 1]).await;
    let (s3, _) = c.cookie("ruang_session").unwrap();
    let (c3, _) = c.cookie("ruang_csrf").unwrap();
    let tok = req("POST", "/api/tokens", Some(json!({"name": "x"})))
        .h("cookie", format!("ruang_session={s3}; ruang_csrf={c3}"))
        .h("x-csrf-token", c3.clone())
        .send(&app)
        .await;
    let token = tok.body["token"].as_str().unwrap().to_string();
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE kind = 'api'")
        .execute(&pool)
        .await
        .unwrap();
    let me = req("GET", "/api/auth/me", None)
        .h("authorization", format!("Bearer {token}"))
        .send(&app)
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    // logging out with nobody logged in is harmless
    let out = req("POST", "/api/auth/logout", None).send(&app).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
}

/// A user lists their live tokens and sessions (never the secrets) and revokes one: it stops
/// working at once, the others keep working. Nobody else's token can be revoked, except by an
/// admin; dead credentials are purged after the retention period, live ones never.
#[tokio::test]
async fn users_list_and_revoke_their_tokens_and_dead_ones_are_purged() {
    let (app, pool) = setup("auth_revoke").await;
    let a = register(&app, "revoke@example.id", "kata-sandi-rev1").await;
    let (session, _) = a.cookie("ruang_session").unwrap();
    let (csrf, _) = a.cookie("ruang_csrf").unwrap();
    let cookies = format!("ruang_session={session}; ruang_csrf={csrf}");
    let make = |name: &'static str| {
        req("POST", "/api/tokens", Some(json!({"name": name})))
            .h("cookie", cookies.clone())
            .h("x-csrf-token", csrf.clone())
    };
    let qgis = make("qgis").send(&app).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let script = make("skrip").send(&app).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = |t: &str| format!("Bearer {t}");

    let list = req("GET", "/api/tokens", None)
        .h("authorization", bearer(&qgis))
        .send(&app)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.headers["cache-control"], "no-store");
    let tokens = list.body["tokens"].as_array().unwrap();
    let mut kinds: Vec<(&str, Option<&str>)> = tokens
        .iter()
        .map(|t| (t["kind"].as_str().unwrap(), t["name"].as_str()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("api", Some("qgis")),
            ("api", Some("skrip")),
            ("session", Some("browser"))
        ]
    );
    let text = list.body.to_string();
    assert!(!text.contains(&qgis) && !text.contains(&script) && !text.contains(&session));
    let id_of = |name: &str| {
        tokens
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .get("id")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    let qgis_id = id_of("qgis");

    // Another applicant cannot see or revoke it.
    let b = register(&app, "lain@example.id", "kata-sandi-lain").await;
    let (other, _) = b.cookie("ruang_session").unwrap();
    let (other_csrf, _) = b.cookie("ruang_csrf").unwrap();
    let theirs = req("GET", "/api/tokens", None)
        .h("cookie", format!("ruang_session={other}"))
        .send(&app)
        .await;
    assert_eq!(theirs.body["tokens"].as_array().unwrap().len(), 1);
    let foreign = req("DELETE", &format!("/api/tokens/{qgis_id}"), None)
        .h(
            "cookie",
            format!("ruang_session={other}; ruang_csrf={other_csrf}"),
        )
        .h("x-csrf-token", other_csrf.clone())
        .send(&app)
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(foreign.body["detail"].as_str().unwrap().contains("Token"));

    // Revoking by cookie needs the CSRF header like any other change.
    let no_csrf = req("DELETE", &format!("/api/tokens/{qgis_id}"), None)
        .h("cookie", cookies.clone())
        .send(&app)
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    // The owner revokes it with another of their tokens: it dies, the others live.
    let gone = req("DELETE", &format!("/api/tokens/{qgis_id}"), None)
        .h("authorization", bearer(&script))
        .send(&app)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let me = |auth: String| req("GET", "/api/auth/me", None).h("authorization", auth);
    assert_eq!(
        me(bearer(&qgis)).send(&app).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(bearer(&script)).send(&app).await.status, StatusCode::OK);
    let again = req("DELETE", &format!("/api/tokens/{qgis_id}"), None)
        .h("authorization", bearer(&script))
        .send(&app)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let r = req("DELETE", &format!("/api/tokens/{bad}"), None)
            .h("authorization", bearer(&script))
            .send(&app)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let anon = req("DELETE", &format!("/api/tokens/{qgis_id}"), None)
        .send(&app)
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);

    // An admin may revoke anybody's token, e.g. a leaked one.
    ruang::permits::accounts::add_user(&pool, "admin@example.id", "admin", None, "kata-sandi-adm1")
        .await
        .unwrap();
    let admin = ruang::permits::accounts::create_api_token(&pool, "admin@example.id", None)
        .await
        .unwrap();
    let script_id = id_of("skrip");
    let by_admin = req("DELETE", &format!("/api/tokens/{script_id}"), None)
        .h("authorization", bearer(&admin))
        .send(&app)
        .await;
    assert_eq!(by_admin.status, StatusCode::NO_CONTENT);
    assert_eq!(
        me(bearer(&script)).send(&app).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The purge deletes credentials dead for longer than the retention, and nothing else.
    let keep = ruang::permits::accounts::KEEP_DEAD_TOKENS_DAYS;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() - make_interval(days => $1 + 1)
          WHERE id = $2::uuid",
    )
    .bind(keep)
    .bind(&qgis_id)
    .execute(&pool)
    .await
    .unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = count("SELECT count(*) FROM api_tokens").await;
    let purged = ruang::permits::accounts::purge_dead_tokens(&pool)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(count("SELECT count(*) FROM api_tokens").await, before - 1);
    // the recently revoked one stays for the retention period; live ones stay
    assert_eq!(
        count("SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL").await,
        1
    );
    assert_eq!(me(bearer(&admin)).send(&app).await.status, StatusCode::OK);
}

/// One client address cannot create accounts without end: after a burst it gets 429 with
/// Retry-After (in both languages), while another address still registers; behind the local
/// reverse proxy the forwarded address is what counts.
#[tokio::test]
async fn registrations_are_limited_per_client_address() {
    let (app, pool) = setup("auth_register_limit").await;
    let mut created = 0;
    let mut refused = None;
    for i in 0..30 {
        let r = req(
            "POST",
            "/api/auth/register",
            Some(
                json!({"email": format!("massal{i}@example.id"), "password": "kata-sandi-massal"}),
            ),
        )
        .ip([10, 9, 0, 1])
        .send(&app)
        .await;
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused = Some(r);
                break;
            }
            s => panic!("{s}: {}", r.body),
        }
    }
    assert_eq!(created, 10, "the burst is 10 registrations");
    let r = refused.expect("the 11th registration is refused");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=180).contains(&wait), "{wait}");
    assert!(r.body["detail"].as_str().unwrap().contains("pendaftaran"));
    assert!(r.body["detail_en"].as_str().unwrap().contains("Too many"));
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email LIKE 'massal%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 10, "the refused attempt wrote nothing");
    // Another address is not affected.
    let other = req(
        "POST",
        "/api/auth/register",
        Some(json!({"email": "sendiri@example.id", "password": "kata-sandi-sendiri"})),
    )
    .ip([10, 9, 0, 2])
    .send(&app)
    .await;
    assert_eq!(other.status, StatusCode::CREATED);
    // Through a proxy on this machine, the forwarded client counts, not the proxy.
    for (i, client) in ["10.9.0.1", "10.9.0.3"].iter().enumerate() {
        let r = req(
            "POST",
            "/api/auth/register",
            Some(json!({"email": format!("proxy{i}@example.id"), "password": "kata-sandi-proxy"})),
        )
        .ip([127, 0, 0, 1])
        .h("x-forwarded-for", *client)
        .send(&app)
        .await;
        let want = if i == 0 {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::CREATED
        };
        assert_eq!(r.status, want, "{client}: {}", r.body);
    }
}

fn assert_nul_refused(a: &Answer, field: &str) {
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        a.body
    );
    assert_eq!(a.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(a.body["field"], field, "{}", a.body);
    assert!(
        a.body["detail"].as_str().unwrap().contains("NUL"),
        "{}",
        a.body
    );
    assert!(
        a.body["detail_en"].as_str().unwrap().contains(field),
        "{}",
        a.body
    );
}

/// PostgreSQL text cannot hold NUL: a `\u0000` in any JSON string (or multipart text field) is
/// a 422 naming the field, for every route, before anything is written.
#[tokio::test]
async fn a_nul_in_a_json_string_or_form_field_is_a_422_naming_it_and_writes_nothing() {
    let (app, pool) = setup("auth_nul").await;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let a = req(
        "POST",
        "/api/auth/register",
        Some(json!({"email": "nul@example.id", "password": "kata-sandi-nul", "display_name": "Yo\u{0}hanes"})),
    )
    .send(&app)
    .await;
    assert_nul_refused(&a, "display_name");
    assert_eq!(count("SELECT count(*) FROM users").await, 0);

    let a = req(
        "POST",
        "/api/auth/login",
        Some(json!({"email": "a\u{0}@example.id", "password": "apa saja"})),
    )
    .send(&app)
    .await;
    assert_nul_refused(&a, "email");

    // An applicant with a token tries an application and a nested field.
    let r = register(&app, "pemohon-nul@example.id", "kata-sandi-pemohon").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (session, _) = r.cookie("ruang_session").unwrap();
    let (csrf, _) = r.cookie("ruang_csrf").unwrap();
    let t = req("POST", "/api/tokens", Some(json!({"name": "uji"})))
        .h(
            "cookie",
            format!("ruang_session={session}; ruang_csrf={csrf}"),
        )
        .h("x-csrf-token", csrf.clone())
        .send(&app)
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let bearer = format!("Bearer {}", t.body["token"].as_str().unwrap());
    let a = req(
        "POST",
        "/api/applications",
        Some(json!({"applicant_name": "Maria\u{0}Ndolu", "kbli_code": "68111"})),
    )
    .h("authorization", bearer.clone())
    .send(&app)
    .await;
    assert_nul_refused(&a, "applicant_name");
    let a = req(
        "POST",
        "/api/applications",
        Some(json!({"parcel": {"type": "Polygon", "coordinates": [[[0, 0]]], "bad": ["x", "\u{0}"]}})),
    )
    .h("authorization", bearer.clone())
    .send(&app)
    .await;
    assert_nul_refused(&a, "parcel.bad[1]");
    assert_eq!(count("SELECT count(*) FROM applications").await, 0);

    let a = req(
        "POST",
        "/api/waste/reports",
        Some(
            json!({"lon": 123.6, "lat": -10.17, "category": "plastik", "description": "bau\u{0}"}),
        ),
    )
    .send(&app)
    .await;
    assert_nul_refused(&a, "description");
    // The same as a multipart form.
    let boundary = "batasuji";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"lon\"\r\n\r\n123.6\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"lat\"\r\n\r\n-10.17\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nplastik\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nbau\0busuk\r\n\
         --{boundary}--\r\n"
    );
    let mut r = Request::post("/api/waste/reports")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(form))
        .unwrap();
    r.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 7, 7, 7], 40000))));
    let res = app.clone().oneshot(r).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_nul_refused(
        &Answer {
            status,
            headers,
            body,
        },
        "description",
    );
    assert_eq!(count("SELECT count(*) FROM waste_reports").await, 0);

    // An escaped backslash before "u0000" is text, not a NUL: it passes.
    let a = req(
        "POST",
        "/api/auth/register",
        Some(json!({"email": "garis@example.id", "password": "kata-sandi-garis", "display_name": "a\\u0000b"})),
    )
    .send(&app)
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}
