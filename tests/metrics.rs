//! `GET /metrics` on the public address: refused without the configured token, and what an
//! operator watches is there (requests by route template, tile cache, pools, import jobs).

mod common;

use std::time::Duration;

use axum::http::StatusCode;

const TOKEN: &str = "metrik-rahasia-0123456789";

async fn send(app: &axum::Router, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut c = common::call(app, "GET", uri);
    if let Some(t) = token {
        c = c.token(t);
    }
    let a = c.send().await;
    (a.status, a.text())
}

fn value(page: &str, prefix: &str) -> f64 {
    page.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in:\n{page}"))
}

#[tokio::test]
async fn metrics_need_the_token_and_count_requests_by_route_template() {
    let url = common::shared_demo_database("metrics");
    let pool = ruang::db::connect(url, 4, Duration::from_secs(10))
        .await
        .unwrap();
    let config = ruang::config::Config {
        metrics_token: Some(ruang::config::Token::new(TOKEN)),
        ..Default::default()
    };
    let app = ruang::app(ruang::AppState::new(pool.clone(), config).await.unwrap());

    let (s, body) = send(&app, "/metrics", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("metrics token"), "{body}");
    let (s, _) = send(&app, "/metrics", Some("metrik-rahasia-0123456780")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Two tiles of the same address (a miss, then a hit) and an unknown address.
    for _ in 0..2 {
        let (s, _) = send(&app, "/tiles/zones/12/3449/1967", None).await;
        assert!(s == StatusCode::OK || s == StatusCode::NO_CONTENT, "{s}");
    }
    let (s, _) = send(&app, "/no/such/thing/12345", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, page) = send(&app, "/metrics", Some(TOKEN)).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    // By route template, never by raw path (a raw path would make one series per tile).
    assert!(
        value(
            &page,
            "ruang_http_requests_total{method=\"GET\",route=\"/tiles/{tileset}/{z}/{x}/{y}\""
        ) >= 2.0
    );
    assert!(!page.contains("/tiles/zones/12/3449"), "{page}");
    assert!(!page.contains("/no/such/thing"), "{page}");
    assert!(
        value(
            &page,
            "ruang_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        ) >= 1.0
    );
    assert!(page.contains("ruang_http_request_duration_seconds_bucket{method=\"GET\",route=\"/tiles/{tileset}/{z}/{x}/{y}\""));
    assert!(
        value(&page, "ruang_tile_cache_misses_total")
            + value(&page, "ruang_tile_known_empty_total")
            >= 1.0
    );
    assert!(page.contains("ruang_tile_cache_bytes"));
    assert!(page.contains("ruang_db_pool_connections{pool=\"primary\",state=\"in_use\"}"));
    assert!(page.contains("ruang_db_pool_max{pool=\"primary_tiles\"}"));
    assert!(page.contains("ruang_import_jobs{state=\"running\"}"));
    assert!(page.contains("# TYPE ruang_http_request_duration_seconds histogram"));
    pool.close().await;
}
