//! The HTTP skeleton against a real PostGIS: ops routes, problem+json errors, middleware.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ruang::config::Config;

async fn app_with(pool: sqlx::PgPool, config: Config) -> axum::Router {
    ruang::app(ruang::AppState::new(pool, config).await.expect("app state"))
}

async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let a = common::send(app, req).await;
    (a.status, a.headers, a.body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

fn assert_problem(
    status: StatusCode,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    expected: StatusCode,
) -> serde_json::Value {
    assert_eq!(status, expected, "{}", String::from_utf8_lossy(body));
    let v = json(body);
    common::assert_problem(headers, &v, expected);
    v
}

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_migrated() {
    let (pool, _) = common::migrated_database("http_ready").await;
    let app = app_with(pool, Config::default()).await;
    let (status, _, body) = send(&app, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["status"], "ok");
    let (status, _, body) = send(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["database"], "ok");
    assert_eq!(v["migrations"], "current");
}

#[tokio::test]
async fn readyz_is_503_when_migrations_are_missing() {
    let (pool, _) = common::migrated_database("http_mig_ok").await;
    let mut state = ruang::AppState::new(pool, Config::default())
        .await
        .expect("app state");
    let name = common::empty_database("http_unmigrated").await;
    state.pool = ruang::db::connect(&common::url_for(&name), 2, Duration::from_secs(5))
        .await
        .unwrap();
    let app = ruang::app(state);
    let (status, headers, body) = send(&app, get("/readyz")).await;
    let v = assert_problem(status, &headers, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert!(v["detail_en"].as_str().unwrap().contains("ruang migrate"));
    // healthz does not depend on the database
    let (status, _, _) = send(&app, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    let (pool, _) = common::migrated_database("http_unreachable").await;
    let mut state = ruang::AppState::new(pool, Config::default())
        .await
        .expect("app state");
    state.pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgresql://postgres@127.0.0.1:1/ruang")
        .unwrap();
    let app = ruang::app(state);
    let (status, headers, body) = send(&app, get("/readyz")).await;
    let v = assert_problem(status, &headers, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !v.to_string().contains("127.0.0.1:1"),
        "no connection details leak: {v}"
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problem_json() {
    let (pool, _) = common::migrated_database("http_errors").await;
    let app = app_with(pool, Config::default()).await;
    let (status, headers, body) = send(&app, get("/no/such/thing")).await;
    assert_problem(status, &headers, &body, StatusCode::NOT_FOUND);

    let req = Request::delete("/healthz").body(Body::empty()).unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_problem(status, &headers, &body, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers[header::ALLOW].to_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413() {
    let (pool, _) = common::migrated_database("http_limit").await;
    let config = Config {
        body_limit_bytes: 4096,
        ..Config::default()
    };
    let app = app_with(pool, config).await;
    let req = Request::post("/healthz")
        .header(header::CONTENT_LENGTH, "100000")
        .body(Body::from(vec![b'x'; 100_000]))
        .unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_problem(status, &headers, &body, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn request_ids_are_made_up_or_echoed() {
    let (pool, _) = common::migrated_database("http_reqid").await;
    let app = app_with(pool, Config::default()).await;
    let (_, headers, _) = send(&app, get("/healthz")).await;
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let req = Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&app, req).await;
    assert_eq!(headers["x-request-id"], "abc-123");
    // also on errors
    let req = Request::get("/nowhere")
        .header("x-request-id", "err-1")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&app, req).await;
    assert_eq!(headers["x-request-id"], "err-1");
}

#[tokio::test]
async fn cors_and_gzip() {
    let (pool, _) = common::migrated_database("http_cors").await;
    let app = app_with(pool, Config::default()).await;
    let req = Request::options("/")
        .header(header::ORIGIN, "https://peta.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&app, req).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

    let req = Request::get("/")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(&body[..2], &[0x1f, 0x8b], "gzip magic");
}

#[tokio::test]
async fn landing_counts_what_the_database_holds() {
    let (pool, _) = common::migrated_database("http_landing").await;
    sqlx::query(
        "INSERT INTO markets (code, name, geom) VALUES \
         ('oeba', 'Pasar Oeba', ST_SetSRID(ST_MakePoint(123.59298, -10.15436), 4326)), \
         ('oebobo', 'Pasar Oebobo', ST_SetSRID(ST_MakePoint(123.60871, -10.15983), 4326))",
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = app_with(pool, Config::default()).await;
    let (status, _, body) = send(&app, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["datasets"]["markets"], 2);
    assert_eq!(v["datasets"]["zones"], 0);

    let req = Request::get("/")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("Pasar") && html.contains("lang=\"id\""));
}

#[tokio::test]
async fn a_request_over_the_time_limit_gets_503_problem_json() {
    let (pool, _) = common::migrated_database("http_timeout").await;
    let config = Config {
        request_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    let app = app_with(pool.clone(), config).await;
    // Hold a lock the landing page's count query has to wait for.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE markets IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (status, headers, body) = send(&app, get("/")).await;
    let v = assert_problem(status, &headers, &body, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        v["detail_en"].as_str().unwrap().contains("took too long"),
        "{v}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    tx.rollback().await.unwrap();
}

/// The z/x/y tile routes have their own, lighter middleware stack: it must still give request
/// ids, CORS, problem+json for wrong methods and bad coordinates, like every other route.
#[tokio::test]
async fn tile_routes_keep_request_ids_cors_and_problem_json() {
    let (pool, _) = common::migrated_database("http_tiles_stack").await;
    let app = app_with(pool, Config::default()).await;
    let req = Request::get("/tiles/zones/14/99999/1")
        .header("x-request-id", "tile-1")
        .header(header::ORIGIN, "https://peta.example")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_problem(status, &headers, &body, StatusCode::BAD_REQUEST);
    assert_eq!(headers["x-request-id"], "tile-1");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

    let req = Request::post("/tiles/zones/14/1/1")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_problem(status, &headers, &body, StatusCode::METHOD_NOT_ALLOWED);
    let req = Request::delete("/collections/zones/tiles/WebMercatorQuad/14/1/1")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&app, req).await;
    assert_problem(status, &headers, &body, StatusCode::METHOD_NOT_ALLOWED);

    let req = Request::options("/tiles/zones/14/1/1")
        .header(header::ORIGIN, "https://peta.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&app, req).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");

    // The other tile routes (TileJSON) are still compressed by the full stack.
    let req = Request::get("/tiles/city")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
}

/// PostgreSQL text cannot hold NUL: an encoded NUL anywhere in the path or query is a 400
/// before any handler runs (schemathesis found 500s from `/api/places?q=%00` and
/// `/api/stunting/trend?unit=a%00`).
#[tokio::test]
async fn an_encoded_nul_in_the_address_is_a_400() {
    let (pool, _) = common::migrated_database("http_nul").await;
    let app = app_with(pool, Config::default()).await;
    for uri in [
        "/api/places?q=%C2%B8%00",
        "/api/stunting/trend?unit=a%00",
        "/collections/zones/items/%00",
    ] {
        let (status, headers, body) = send(&app, get(uri)).await;
        let v = assert_problem(status, &headers, &body, StatusCode::BAD_REQUEST);
        assert!(
            v["detail_en"].as_str().unwrap().contains("NUL"),
            "{uri}: {v}"
        );
    }
    // An ordinary query still works.
    let (status, _, _) = send(&app, get("/api/places?q=oebobo")).await;
    assert_eq!(status, StatusCode::OK);
}

/// HTML answers carry a Content-Security-Policy, nosniff and a Referrer-Policy; JSON answers
/// carry nosniff; the pages' inline import map is allowed by its hash, nothing inline else.
#[tokio::test]
async fn html_answers_carry_security_headers() {
    let (pool, _) = common::migrated_database("http_sec_headers").await;
    let app = app_with(pool, Config::default()).await;
    for uri in [
        "/peta",
        "/ajukan",
        "/verifikasi",
        "/collections?f=html",
        "/?f=html",
    ] {
        let (status, headers, body) = send(&app, get(uri)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}"
        );
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{uri}: {csp}");
        assert!(
            !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{uri}: {csp}"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(
            headers[header::REFERRER_POLICY],
            "strict-origin-when-cross-origin",
            "{uri}"
        );
        if uri == "/peta" {
            assert!(
                csp.contains("'sha256-"),
                "the import map is allowed by hash: {csp}"
            );
        }
    }
    let (_, headers, _) = send(&app, get("/collections")).await;
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(!headers.contains_key(header::CONTENT_SECURITY_POLICY));
}

/// An address longer than 16 KiB is a 414 problem telling to POST instead.
#[tokio::test]
async fn an_overlong_address_is_a_414_problem() {
    let (pool, _) = common::migrated_database("http_414").await;
    let app = app_with(pool, Config::default()).await;
    let long = format!(
        "/collections/zones/items?filter=name%3D%27{}%27",
        "a".repeat(20_000)
    );
    let (status, headers, body) = send(&app, get(&long)).await;
    let v = assert_problem(status, &headers, &body, StatusCode::URI_TOO_LONG);
    assert!(v["detail_en"].as_str().unwrap().contains("POST"), "{v}");
    let tile = format!("/tiles/zones/14/1/1?x={}", "a".repeat(20_000));
    let (status, headers, body) = send(&app, get(&tile)).await;
    assert_problem(status, &headers, &body, StatusCode::URI_TOO_LONG);
}
