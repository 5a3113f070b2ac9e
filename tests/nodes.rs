//! Several ruang nodes on one database: the limits that must hold for the whole service do,
//! whichever node a client's requests land on (the load balancer spreads them).

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

async fn node(pool: &sqlx::PgPool) -> axum::Router {
    let state = ruang::AppState::new(pool.clone(), ruang::config::Config::default())
        .await
        .expect("app state");
    ruang::app(state)
}

async fn post(
    app: &axum::Router,
    uri: &str,
    ip: [u8; 4],
    body: serde_json::Value,
) -> (StatusCode, String) {
    let mut req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).to_string())
}

#[tokio::test]
async fn registration_and_report_limits_hold_across_nodes() {
    let (pool, _) = common::migrated_database("nodes_limits").await;
    let (a, b) = (node(&pool).await, node(&pool).await);
    let register = |i: usize| json!({"email": format!("bergilir{i}@example.id"), "password": "kata-sandi-bergilir"});

    // Registrations from one address, alternating between the nodes: the burst of 10 is for
    // the service, not for each node.
    let mut created = 0;
    for i in 0..10 {
        let app = if i % 2 == 0 { &a } else { &b };
        let (s, body) = post(app, "/api/auth/register", [10, 7, 0, 1], register(i)).await;
        assert_eq!(s, StatusCode::CREATED, "{i}: {body}");
        created += 1;
    }
    assert_eq!(created, 10);
    for (name, app) in [("A", &a), ("B", &b)] {
        let (s, body) = post(app, "/api/auth/register", [10, 7, 0, 1], register(100)).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "node {name}: {body}");
        assert!(body.contains("pendaftaran"), "{body}");
    }
    // Another address still may, on either node.
    let (s, body) = post(&b, "/api/auth/register", [10, 7, 0, 2], register(200)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM rate_limits WHERE scope = 'registration'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, 2, "one shared bucket per client address");

    // Waste reports: the same, the 429 names the wait.
    let report = || json!({"lon": 123.2, "lat": -10.0, "category": "plastik"});
    let mut first_429 = None;
    for i in 0..12 {
        let app = if i % 2 == 0 { &a } else { &b };
        let (s, body) = post(app, "/api/waste/reports", [10, 7, 0, 9], report()).await;
        assert_ne!(
            s,
            StatusCode::CREATED,
            "outside the city: never stored ({body})"
        );
        if s == StatusCode::TOO_MANY_REQUESTS {
            first_429 = Some(i);
            break;
        }
    }
    assert_eq!(
        first_429,
        Some(10),
        "the 11th report of one address is refused, on either node"
    );
    pool.close().await;
}
