//! QGIS's OGC API - Features provider (Debian's `qgis` 3.22, through PyQGIS) against ruang on a
//! real TCP port: every collection loads with the database's feature count and the
//! collection's fields, and filtered reads (a subset string, an extent) reach the server as
//! query parameters and give the database's counts.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{self, Next};
use serde_json::{Value, json};
use sqlx::PgPool;

use ruang::ogc::collections::COLLECTIONS;

/// A box over central Kupang (CRS84) that cuts through every layer.
const EXTENT: [f64; 4] = [123.575, -10.18, 123.605, -10.155];

/// Subset strings QGIS users type: (collection, QGIS expression, the same in SQL, what QGIS
/// 3.22 sends the server for it). QGIS passes comparisons of date/time fields on as `datetime`
/// (with `0000-01-01T00:00:00Z` for an open start) and evaluates the rest itself.
const SUBSETS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "zones",
        "\"subzone_code\" = 'R-2'",
        "t.subzone_code = 'R-2'",
        None,
    ),
    (
        "health_facilities",
        "\"kind\" = 'posyandu'",
        "t.kind = 'posyandu'",
        None,
    ),
    (
        "waste_facilities",
        "\"kind\" = 'TPS'",
        "t.kind = 'TPS'",
        None,
    ),
    (
        "waste_reports",
        "\"reported_at\" >= '2026-05-01T00:00:00Z'",
        "t.reported_at >= '2026-05-01T00:00:00Z'",
        Some("datetime=2026-05-01T00:00:00Z/"),
    ),
    (
        "waste_reports",
        "\"reported_at\" <= '2026-03-01T00:00:00Z' AND \"status\" = 'selesai'",
        "t.reported_at <= '2026-03-01T00:00:00Z' AND t.status = 'selesai'",
        Some("datetime=0000-01-01T00:00:00Z/2026-03-01T00:00:00Z"),
    ),
];

/// The features of a collection meeting the SQL condition `extra`, counted in the database.
async fn sql_count(pool: &PgPool, c: &ruang::ogc::collections::Collection, extra: &str) -> i64 {
    let sql = format!(
        "SELECT count(*) FROM {} WHERE {} AND {extra}",
        c.from,
        c.base_condition()
    );
    sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn qgis_loads_every_collection_and_filters_on_the_server() {
    let url = common::demo_database("ogc_qgis").await;
    let pool = ruang::db::connect(&url, 8, Duration::from_secs(10))
        .await
        .unwrap();
    // The demo city has no issued permit yet: issue three, so `permits` has features.
    sqlx::query(
        "UPDATE parcels SET kind = 'izin', permit_number = 'KKPR/2026/' || lpad(id::text, 6, '0'),
                registered_at = DATE '2026-03-01', valid_until = DATE '2029-03-01'
          WHERE id IN (SELECT id FROM parcels ORDER BY id LIMIT 3)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let state = ruang::AppState::new(pool.clone(), ruang::config::Config::default())
        .await
        .expect("app state");

    // Record every request's path and query, to see what QGIS asked the server.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = ruang::app(state).layer(middleware::from_fn(move |req: Request, next: Next| {
        let log = log.clone();
        async move {
            let uri = req.uri().to_string();
            log.lock().unwrap().push(
                url::form_urlencoded::parse(uri.as_bytes())
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
            next.run(req).await
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = format!("http://127.0.0.1:{port}");

    let checks: Vec<Value> = COLLECTIONS
        .iter()
        .map(|c| {
            let subsets: Vec<&str> = SUBSETS
                .iter()
                .filter(|s| s.0 == c.id)
                .map(|s| s.1)
                .collect();
            // Reading all 60,000 parcels through QGIS takes a minute; their count is checked
            // (numberMatched) and the extent read fetches a part of them.
            json!({ "id": c.id, "iterate": c.id != "parcels", "subsets": subsets, "extent": EXTENT })
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/qgis-check.py");
    let input = Value::Array(checks).to_string();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("/usr/bin/python3")
            .arg(script)
            .arg(&base)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("/usr/bin/python3: {e}"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "qgis-check.py failed ({}; scripts/deps.sh installs qgis and python3-qgis):\n{stderr}",
        out.status
    );
    let report: HashMap<String, Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    let requests = seen.lock().unwrap().clone();

    let envelope = format!(
        "ST_MakeEnvelope({}, {}, {}, {}, 4326)",
        EXTENT[0], EXTENT[1], EXTENT[2], EXTENT[3]
    );
    for c in COLLECTIONS {
        let r = &report[c.id];
        assert_eq!(r["valid"], true, "{}: {r}", c.id);
        let all = sql_count(&pool, c, "TRUE").await;
        assert!(all > 0, "{} has no features to load", c.id);
        assert_eq!(r["feature_count"], all, "{}: {r}", c.id);
        if c.id != "parcels" {
            assert_eq!(r["iterated"], all, "{}: {r}", c.id);
        }
        let fields: Vec<&str> = r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f.as_str())
            .collect();
        for p in c.props {
            assert!(
                fields.contains(&p.name),
                "{}: QGIS has no field {} in {fields:?}",
                c.id,
                p.name
            );
        }
        let want_geom = match c.id {
            "zones" | "overlays" | "parcels" | "admin_areas" | "permits" => "MultiPolygon",
            _ => "Point",
        };
        assert_eq!(r["geometry_type"], want_geom, "{}: {r}", c.id);

        // The extent read: QGIS sends it as bbox, the server answers exactly those features.
        let in_extent = sql_count(
            &pool,
            c,
            &format!("ST_Intersects({}, {envelope})", c.geom_sql),
        )
        .await;
        assert_eq!(r["extent_count"], in_extent, "{} in extent: {r}", c.id);
        assert!(
            requests.iter().any(|q| q.contains(&format!("/collections/{}/items", c.id))
                && q.contains("bbox=")),
            "{}: QGIS sent no bbox request: {requests:?}",
            c.id
        );

        // Subset strings: the features QGIS shows are those SQL finds, and the date part
        // reached the server.
        let got = r["subsets"].as_array().unwrap();
        for (_, expr, cond, sent) in SUBSETS.iter().filter(|s| s.0 == c.id) {
            let g = got.iter().find(|g| g["subset"] == *expr).unwrap();
            let want = sql_count(&pool, c, cond).await;
            assert!(
                want > 0 && want < all,
                "{}: pick another subset than {expr}",
                c.id
            );
            assert_eq!(g["ok"], true, "{}: {g}", c.id);
            assert_eq!(g["count"], want, "{} where {expr}: {g}", c.id);
            if let Some(sent) = sent {
                assert!(
                    requests
                        .iter()
                        .any(|q| q.contains(&format!("/collections/{}/items", c.id))
                            && q.contains(sent)),
                    "{}: {sent} was not sent for {expr}: {requests:?}",
                    c.id
                );
            }
        }
    }
}
