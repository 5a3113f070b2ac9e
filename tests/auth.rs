//! Accounts against a real PostGIS: self-registration, login with one answer for every
//! failure, login throttling per account and per client address, the session cookie with its
//! CSRF double-submit, logout, expired and revoked credentials, API tokens.

mod common;

use axum::http::{StatusCode, header};
use common::{Answer, call};
use ruang::config::Config;
use serde_json::json;

async fn setup(hint: &str) -> (axum::Router, sqlx::PgPool) {
    let (pool, _) = common::migrated_database(hint).await;
    let t = common::TestApp::with_pool(pool, Config::default()).await;
    (t.app, t.pool)
}

async fn register(app: &axum::Router, email: &str, password: &str) -> Answer {
    call(app, "POST", "/api/auth/register")
        .json(&json!({"email": email, "password": password, "display_name": "Yohanes"}))
        .send()
        .await
}

async fn login(app: &axum::Router, email: &str, password: &str, ip: [u8; 4]) -> Answer {
    call(app, "POST", "/api/auth/login")
        .json(&json!({"email": email, "password": password}))
        .client_ip(ip)
        .send()
        .await
}

#[tokio::test]
async fn applicants_register_and_get_a_session() {
    let (app, pool) = setup("auth_register").await;
    let a = call(&app, "POST", "/api/auth/register")
        .json(
            &json!({"email": "Yohanes@Example.id", "password": "sepuluh-karakter",
                    "display_name": "Yohanes", "role": "admin"}),
        )
        .send()
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(
        a.json()["user"]["role"],
        "pemohon",
        "self-registration never gives more"
    );
    assert_eq!(a.json()["user"]["email"], "yohanes@example.id");
    let (session, attrs) = a.cookie("ruang_session").expect("session cookie");
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax") && attrs.contains("Path=/")
    );
    let (csrf, cattrs) = a.cookie("ruang_csrf").expect("csrf cookie");
    assert!(!cattrs.contains("HttpOnly") && cattrs.contains("SameSite=Lax"));
    assert_eq!(a.json()["csrf_token"], json!(csrf));
    // stored as argon2 and as a hash of the session
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2"));
    let me = call(&app, "GET", "/api/auth/me")
        .header("cookie", format!("ruang_session={session}"))
        .send()
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["user"]["display_name"], "Yohanes");

    let dup = register(&app, "yohanes@example.id", "another-password").await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text());
    for (email, pw, field) in [
        ("a@example.id", "pendek", "password"),
        ("not-an-email", "sepuluh-karakter", "email"),
    ] {
        let a = register(&app, email, pw).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.json()["field"], field);
        assert!(a.json()["detail"].is_string() && a.json()["detail_en"].is_string());
    }
    let bad = call(&app, "POST", "/api/auth/register")
        .header("content-type", "application/json")
        .send()
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
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["user"]["email"], "maria@example.id");
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
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text());
        let wait: u64 = a.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(a.json()["detail"].is_string() && a.json()["detail_en"].is_string());
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
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());

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
    let body = json!({"name": "qgis"});
    let no_header = call(&app, "POST", "/api/tokens")
        .json(&body)
        .header("cookie", cookies.clone())
        .send()
        .await;
    assert_eq!(no_header.status, StatusCode::FORBIDDEN);
    assert!(
        no_header.json()["detail"]
            .as_str()
            .unwrap()
            .contains("CSRF")
    );
    let wrong = call(&app, "POST", "/api/tokens")
        .json(&body)
        .header("cookie", cookies.clone())
        .header("x-csrf-token", "not-the-token")
        .send()
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // a page on another site cannot read the cookie, so cannot send a matching header
    let only_session = call(&app, "POST", "/api/tokens")
        .json(&body)
        .header("cookie", format!("ruang_session={session}"))
        .header("x-csrf-token", csrf.clone())
        .send()
        .await;
    assert_eq!(only_session.status, StatusCode::FORBIDDEN);
    let ok = call(&app, "POST", "/api/tokens")
        .json(&body)
        .header("cookie", cookies.clone())
        .header("x-csrf-token", csrf.clone())
        .send()
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    let token = ok.json()["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43);
    // a bearer token needs no CSRF header
    let with_bearer = call(&app, "POST", "/api/tokens")
        .json(&body)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(with_bearer.status, StatusCode::CREATED);
    // GET needs none either
    let me = call(&app, "GET", "/api/auth/me")
        .header("cookie", cookies.clone())
        .send()
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // anonymous token creation
    let anon = call(&app, "POST", "/api/tokens").json(&body).send().await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_session_and_old_credentials_stop_working() {
    let (app, pool) = setup("auth_logout").await;
    let a = register(&app, "out@example.id", "kata-sandi-out1").await;
    let (session, _) = a.cookie("ruang_session").unwrap();
    let (csrf, _) = a.cookie("ruang_csrf").unwrap();
    let cookies = format!("ruang_session={session}; ruang_csrf={csrf}");
    let out = call(&app, "POST", "/api/auth/logout")
        .header("cookie", cookies.clone())
        .header("x-csrf-token", csrf.clone())
        .send()
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let (v, attrs) = out.cookie("ruang_session").unwrap();
    assert!(v.is_empty() && attrs.contains("Max-Age=0"));
    // the replayed session cookie is dead
    let me = call(&app, "GET", "/api/auth/me")
        .header("cookie", cookies.clone())
        .send()
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert!(me.json()["detail_en"].is_string());

    // an expired session and a revoked token are refused too
    let b = login(&app, "out@example.id", "kata-sandi-out1", [10, 3, 0, 1]).await;
    let (s2, _) = b.cookie("ruang_session").unwrap();
    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE kind = 'session'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let me = call(&app, "GET", "/api/auth/me")
        .header("cookie", format!("ruang_session={s2}"))
        .send()
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let c = login(&app, "out@example.id", "kata-sandi-out1", [10, 3, 0, 1]).await;
    let (s3, _) = c.cookie("ruang_session").unwrap();
    let (c3, _) = c.cookie("ruang_csrf").unwrap();
    let tok = call(&app, "POST", "/api/tokens")
        .json(&json!({"name": "x"}))
        .header("cookie", format!("ruang_session={s3}; ruang_csrf={c3}"))
        .header("x-csrf-token", c3.clone())
        .send()
        .await;
    let token = tok.json()["token"].as_str().unwrap().to_string();
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE kind = 'api'")
        .execute(&pool)
        .await
        .unwrap();
    let me = call(&app, "GET", "/api/auth/me")
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    // logging out with nobody logged in is harmless
    let out = call(&app, "POST", "/api/auth/logout").send().await;
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
        call(&app, "POST", "/api/tokens")
            .json(&json!({"name": name}))
            .header("cookie", cookies.clone())
            .header("x-csrf-token", csrf.clone())
    };
    let qgis = make("qgis").send().await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let script = make("skrip").send().await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = |t: &str| format!("Bearer {t}");

    let list = call(&app, "GET", "/api/tokens")
        .header("authorization", bearer(&qgis))
        .send()
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.headers["cache-control"], "no-store");
    let listed = list.json();
    let tokens = listed["tokens"].as_array().unwrap();
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
    let text = list.text();
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
    let theirs = call(&app, "GET", "/api/tokens")
        .header("cookie", format!("ruang_session={other}"))
        .send()
        .await;
    assert_eq!(theirs.json()["tokens"].as_array().unwrap().len(), 1);
    let foreign = call(&app, "DELETE", &format!("/api/tokens/{qgis_id}"))
        .header(
            "cookie",
            format!("ruang_session={other}; ruang_csrf={other_csrf}"),
        )
        .header("x-csrf-token", other_csrf.clone())
        .send()
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert!(foreign.json()["detail"].as_str().unwrap().contains("Token"));

    // Revoking by cookie needs the CSRF header like any other change.
    let no_csrf = call(&app, "DELETE", &format!("/api/tokens/{qgis_id}"))
        .header("cookie", cookies.clone())
        .send()
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    // The owner revokes it with another of their tokens: it dies, the others live.
    let gone = call(&app, "DELETE", &format!("/api/tokens/{qgis_id}"))
        .header("authorization", bearer(&script))
        .send()
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let me = |auth: String| call(&app, "GET", "/api/auth/me").header("authorization", auth);
    assert_eq!(
        me(bearer(&qgis)).send().await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(bearer(&script)).send().await.status, StatusCode::OK);
    let again = call(&app, "DELETE", &format!("/api/tokens/{qgis_id}"))
        .header("authorization", bearer(&script))
        .send()
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let r = call(&app, "DELETE", &format!("/api/tokens/{bad}"))
            .header("authorization", bearer(&script))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    let anon = call(&app, "DELETE", &format!("/api/tokens/{qgis_id}"))
        .send()
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
    let by_admin = call(&app, "DELETE", &format!("/api/tokens/{script_id}"))
        .header("authorization", bearer(&admin))
        .send()
        .await;
    assert_eq!(by_admin.status, StatusCode::NO_CONTENT);
    assert_eq!(
        me(bearer(&script)).send().await.status,
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
    assert_eq!(me(bearer(&admin)).send().await.status, StatusCode::OK);
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
        let r = call(&app, "POST", "/api/auth/register")
            .json(
                &json!({"email": format!("massal{i}@example.id"), "password": "kata-sandi-massal"}),
            )
            .client_ip([10, 9, 0, 1])
            .send()
            .await;
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused = Some(r);
                break;
            }
            s => panic!("{s}: {}", r.text()),
        }
    }
    assert_eq!(created, 10, "the burst is 10 registrations");
    let r = refused.expect("the 11th registration is refused");
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=180).contains(&wait), "{wait}");
    assert!(r.json()["detail"].as_str().unwrap().contains("pendaftaran"));
    assert!(r.json()["detail_en"].as_str().unwrap().contains("Too many"));
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email LIKE 'massal%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(accounts, 10, "the refused attempt wrote nothing");
    // Another address is not affected.
    let other = call(&app, "POST", "/api/auth/register")
        .json(&json!({"email": "sendiri@example.id", "password": "kata-sandi-sendiri"}))
        .client_ip([10, 9, 0, 2])
        .send()
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    // Through a proxy on this machine, the forwarded client counts, not the proxy.
    for (i, client) in ["10.9.0.1", "10.9.0.3"].iter().enumerate() {
        let r = call(&app, "POST", "/api/auth/register")
            .json(&json!({"email": format!("proxy{i}@example.id"), "password": "kata-sandi-proxy"}))
            .client_ip([127, 0, 0, 1])
            .header("x-forwarded-for", *client)
            .send()
            .await;
        let want = if i == 0 {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::CREATED
        };
        assert_eq!(r.status, want, "{client}: {}", r.text());
    }
}

fn assert_nul_refused(a: &Answer, field: &str) {
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        a.text()
    );
    assert_eq!(a.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(a.json()["field"], field, "{}", a.text());
    assert!(
        a.json()["detail"].as_str().unwrap().contains("NUL"),
        "{}",
        a.text()
    );
    assert!(
        a.json()["detail_en"].as_str().unwrap().contains(field),
        "{}",
        a.text()
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
    let a = call(&app, "POST", "/api/auth/register").json(&json!({"email": "nul@example.id", "password": "kata-sandi-nul", "display_name": "Yo\u{0}hanes"}))
    .send()
    .await;
    assert_nul_refused(&a, "display_name");
    assert_eq!(count("SELECT count(*) FROM users").await, 0);

    let a = call(&app, "POST", "/api/auth/login")
        .json(&json!({"email": "a\u{0}@example.id", "password": "apa saja"}))
        .send()
        .await;
    assert_nul_refused(&a, "email");

    // An applicant with a token tries an application and a nested field.
    let r = register(&app, "pemohon-nul@example.id", "kata-sandi-pemohon").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (session, _) = r.cookie("ruang_session").unwrap();
    let (csrf, _) = r.cookie("ruang_csrf").unwrap();
    let t = call(&app, "POST", "/api/tokens")
        .json(&json!({"name": "uji"}))
        .header(
            "cookie",
            format!("ruang_session={session}; ruang_csrf={csrf}"),
        )
        .header("x-csrf-token", csrf.clone())
        .send()
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text());
    let bearer = format!("Bearer {}", t.json()["token"].as_str().unwrap());
    let a = call(&app, "POST", "/api/applications")
        .json(&json!({"applicant_name": "Maria\u{0}Ndolu", "kbli_code": "68111"}))
        .header("authorization", bearer.clone())
        .send()
        .await;
    assert_nul_refused(&a, "applicant_name");
    let a = call(&app, "POST", "/api/applications").json(&json!({"parcel": {"type": "Polygon", "coordinates": [[[0, 0]]], "bad": ["x", "\u{0}"]}}))
    .header("authorization", bearer.clone())
    .send()
    .await;
    assert_nul_refused(&a, "parcel.bad[1]");
    assert_eq!(count("SELECT count(*) FROM applications").await, 0);

    let a = call(&app, "POST", "/api/waste/reports")
        .json(
            &json!({"lon": 123.6, "lat": -10.17, "category": "plastik", "description": "bau\u{0}"}),
        )
        .send()
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
    let a = call(&app, "POST", "/api/waste/reports")
        .client_ip([10, 7, 7, 7])
        .body(&format!("multipart/form-data; boundary={boundary}"), form)
        .send()
        .await;
    assert_nul_refused(&a, "description");
    assert_eq!(count("SELECT count(*) FROM waste_reports").await, 0);

    // An escaped backslash before "u0000" is text, not a NUL: it passes.
    let a = call(&app, "POST", "/api/auth/register").json(&json!({"email": "garis@example.id", "password": "kata-sandi-garis", "display_name": "a\\u0000b"}))
    .send()
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
}
