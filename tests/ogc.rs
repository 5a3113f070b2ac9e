//! OGC API - Features against the demo city in a real PostGIS: core, paging, CRS, CQL2,
//! create/replace/update/delete, real GDAL clients, and one test per kind of bad input.

mod common;

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;

fn demo_db() -> &'static str {
    common::shared_demo_database("ogc")
}

async fn app_on(url: &str) -> (axum::Router, PgPool) {
    let t = common::TestApp::on(url).await;
    (t.app, t.pool)
}

async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut c = common::call(app, method, uri).header("host", "127.0.0.1:8080");
    for (k, v) in headers {
        c = c.header(k, v);
    }
    if let Some(b) = body {
        c = c.raw_body(b);
    }
    let a = c.send().await;
    (a.status, a.headers, a.body)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, Value) {
    let (s, h, b) = send(app, "GET", uri, &[], None).await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&b)));
    (s, h, v)
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn ids(v: &Value) -> Vec<i64> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

fn problem(status: StatusCode, h: &HeaderMap, v: &Value, want: StatusCode) {
    assert_eq!(status, want, "{v}");
    common::assert_problem(h, v, want);
}

#[tokio::test]
async fn landing_conformance_api_and_collections_describe_the_service() {
    let (app, pool) = app_on(demo_db()).await;
    let (s, _, v) = get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    let rels: Vec<&str> = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for r in ["service-desc", "service-doc", "conformance", "data"] {
        assert!(rels.contains(&r), "{r}");
    }
    let (_, _, c) = get(&app, "/conformance").await;
    let classes = c["conformsTo"].as_array().unwrap();
    assert!(
        classes
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("features-1/1.0/conf/core"))
    );
    assert!(classes.iter().any(|c| {
        c.as_str()
            .unwrap()
            .ends_with("features-4/1.0/conf/create-replace-delete")
    }));

    // The OpenAPI document lists exactly the routes the server answers.
    let (s, h, api) = get(&app, "/api").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.oai.openapi+json")
    );
    assert_eq!(api["openapi"], "3.0.3");
    let paths = api["paths"].as_object().unwrap();
    // Every OGC operation answers for a real collection and feature (tests/ogc_api.rs checks
    // the routes of the whole server against /api).
    for e in ruang::ogc::openapi::ENDPOINTS {
        let uri = e.path.replace("{id}", "zones").replace("{fid}", "1");
        let method = e.method.as_str().to_ascii_lowercase();
        let doc_path = e
            .path
            .replace("{id}", "{collectionId}")
            .replace("{fid}", "{featureId}");
        assert!(
            paths[&doc_path].get(&method).is_some(),
            "{method} {doc_path}"
        );
        let (s, _, _) = send(&app, e.method.as_str(), &uri, &[], None).await;
        assert!(
            s != StatusCode::NOT_FOUND && s != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri} answered {s}"
        );
    }
    assert!(paths.contains_key("/collections/{collectionId}/items"));

    let (_, _, list) = get(&app, "/collections").await;
    let got: Vec<&str> = list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [
            "zones",
            "overlays",
            "parcels",
            "admin_areas",
            "health_facilities",
            "markets",
            "waste_facilities",
            "waste_reports",
            "permits"
        ]
    );
    let (_, _, z) = get(&app, "/collections/zones").await;
    let bbox = &z["extent"]["spatial"]["bbox"][0];
    let (x1, x2): (f64, f64) = sqlx::query_as(
        "SELECT ST_XMin(e), ST_XMax(e) FROM (SELECT ST_Extent(geom) e FROM zones) x",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        (bbox[0].as_f64().unwrap() - x1).abs() < 1e-9
            && (bbox[2].as_f64().unwrap() - x2).abs() < 1e-9
    );
    assert_eq!(z["itemType"], "feature");
    assert!(
        z["crs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "http://www.opengis.net/def/crs/EPSG/0/23840")
    );
    let (_, _, w) = get(&app, "/collections/waste_reports").await;
    assert!(
        w["extent"]["temporal"]["interval"][0][0]
            .as_str()
            .unwrap()
            .contains('T')
    );

    // Queryables are JSON Schema, and private columns are never served.
    let (s, h, q) = get(&app, "/collections/zones/queryables").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/schema+json");
    assert_eq!(q["properties"]["kdb_max"]["type"], "number");
    assert_eq!(q["properties"]["kdb_max"]["readOnly"], true);
    assert_eq!(
        q["properties"]["geometry"]["format"],
        "geometry-multipolygon"
    );
    let (_, _, wr) = get(&app, "/collections/waste_reports/items?limit=5").await;
    let props = wr["features"][0]["properties"].as_object().unwrap();
    assert!(!props.contains_key("reporter_contact") && !props.contains_key("photo"));

    // HTML for people: landing, collections, items and one item with a map.
    for uri in [
        "/",
        "/collections",
        "/collections/zones",
        "/collections/zones/items",
        "/collections/zones/items/1",
    ] {
        let (s, h, b) = send(
            &app,
            "GET",
            uri,
            &[("accept", "text/html,application/xhtml+xml")],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}"
        );
        let text = String::from_utf8_lossy(&b);
        if uri.contains("items") {
            assert!(text.contains("<svg") && text.contains("<path"), "{uri}");
        }
    }
    let (_, _, b) = send(&app, "GET", "/", &[("accept", "text/html")], None).await;
    let text = String::from_utf8_lossy(&b);
    for link in ["/peta", "/ajukan", "/verifikasi", "/api", "/collections"] {
        assert!(text.contains(&format!("href=\"{link}")), "{link}");
    }
}

#[tokio::test]
async fn paging_is_stable_and_counts_match_the_database() {
    let (app, pool) = app_on(demo_db()).await;
    let total = count(&pool, "SELECT count(*) FROM parcels").await;
    let mut seen = Vec::new();
    let mut uri = "/collections/parcels/items?limit=1000&sortby=-kelurahan_code".to_string();
    loop {
        let (s, h, v) = get(&app, &uri).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_TYPE], "application/geo+json");
        assert_eq!(v["numberMatched"], total);
        assert_eq!(
            v["numberReturned"].as_u64().unwrap() as usize,
            ids(&v).len()
        );
        seen.extend(ids(&v));
        let next = v["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next");
        match next {
            Some(l) => {
                uri = l["href"]
                    .as_str()
                    .unwrap()
                    .replace("http://127.0.0.1:8080", "")
            }
            None => break,
        }
    }
    let n = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), n, "a feature was repeated");
    assert_eq!(n as i64, total, "a feature was skipped");

    // limit is clamped to 10,000; default 100.
    let (_, _, v) = get(&app, "/collections/parcels/items?limit=50000").await;
    assert_eq!(ids(&v).len() as i64, total.min(10_000));
    let (_, _, v) = get(&app, "/collections/zones/items").await;
    assert_eq!(ids(&v).len(), 100);
    // The last page has a prev link and no next link.
    let last = (total - 1) / 1000 * 1000;
    let (s, _, v) = get(
        &app,
        &format!("/collections/parcels/items?offset={last}&limit=1000"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["numberReturned"], total - last);
    let rels: Vec<&str> = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    assert!(
        rels.contains(&"prev") && !rels.contains(&"next"),
        "{rels:?}"
    );
    // An empty result at offset 0 is an empty page, not an error.
    let (s, _, v) = get(&app, "/collections/zones/items?subzone_code=NOPE-9").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["numberMatched"], 0);
    assert_eq!(v["numberReturned"], 0);

    // bbox, equality filter, properties, datetime, sortby.
    let bbox_n = count(&pool, "SELECT count(*) FROM zones WHERE ST_Intersects(geom, ST_MakeEnvelope(123.58, -10.18, 123.60, -10.16, 4326))").await;
    let (_, _, v) = get(
        &app,
        "/collections/zones/items?bbox=123.58,-10.18,123.60,-10.16&limit=10000",
    )
    .await;
    assert_eq!(v["numberMatched"], bbox_n);
    assert!(bbox_n > 0);
    let code: String = sqlx::query_scalar(
        "SELECT subzone_code FROM zones GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let want = count(
        &pool,
        &format!("SELECT count(*) FROM zones WHERE subzone_code = '{code}'"),
    )
    .await;
    let (_, _, v) = get(
        &app,
        &format!("/collections/zones/items?subzone_code={code}&properties=subzone_code,kdb_max"),
    )
    .await;
    assert_eq!(v["numberMatched"], want);
    let p = v["features"][0]["properties"].as_object().unwrap();
    assert_eq!(p.keys().collect::<Vec<_>>(), ["subzone_code", "kdb_max"]);
    let in_2026 = count(&pool, "SELECT count(*) FROM waste_reports WHERE reported_at >= '2026-01-01' AND reported_at <= '2026-06-30T23:59:59Z'").await;
    let (_, _, v) = get(
        &app,
        "/collections/waste_reports/items?datetime=2026-01-01T00:00:00Z/2026-06-30T23:59:59Z",
    )
    .await;
    assert_eq!(v["numberMatched"], in_2026);
    let (_, _, v) = get(
        &app,
        "/collections/health_facilities/items?sortby=-name&limit=5",
    )
    .await;
    let names: Vec<String> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> =
        sqlx::query_scalar("SELECT name FROM health_facilities ORDER BY name DESC, id LIMIT 5")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(names, want);
    // Derived latest values are served.
    let (_, _, v) = get(&app, "/collections/markets/items").await;
    assert!(
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["price_alert_level"].is_string())
    );
    let (_, _, v) = get(&app, "/collections/health_facilities/items?kind=puskesmas").await;
    assert!(
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["stunting_prevalence_pct"].is_number())
    );
}

#[tokio::test]
async fn crs_and_bbox_crs_transform_and_say_so() {
    let (app, pool) = app_on(demo_db()).await;
    let (lon, lat): (f64, f64) =
        sqlx::query_as("SELECT ST_X(geom), ST_Y(geom) FROM markets WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (_, h, v) = get(&app, "/collections/markets/items/1").await;
    assert_eq!(
        h["content-crs"],
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    assert!(h.contains_key(header::ETAG));
    let c = &v["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - lon).abs() < 1e-7);
    // EPSG:4326 is latitude first.
    let (_, h, v) = get(
        &app,
        "/collections/markets/items/1?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    )
    .await;
    assert_eq!(
        h["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    );
    assert!((v["geometry"]["coordinates"][0].as_f64().unwrap() - lat).abs() < 1e-7);
    for srid in [3857, 32751, 23840] {
        let (x, y): (f64, f64) = sqlx::query_as(&format!("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, {srid}) g FROM markets WHERE id = 1) t"))
            .fetch_one(&pool)
            .await
            .unwrap();
        let (s, _, v) = get(&app, &format!("/collections/markets/items?crs=http://www.opengis.net/def/crs/EPSG/0/{srid}&filter=name='{}'", "x")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["numberMatched"], 0);
        let (_, _, v) = get(
            &app,
            &format!("/collections/markets/items/1?crs=EPSG:{srid}"),
        )
        .await;
        let c = &v["geometry"]["coordinates"];
        assert!(
            (c[0].as_f64().unwrap() - x).abs() < 0.01 && (c[1].as_f64().unwrap() - y).abs() < 0.01,
            "{srid}"
        );
        // A bbox in that CRS around the point finds it.
        let (_, _, v) = get(&app, &format!("/collections/markets/items?bbox={},{},{},{}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/{srid}", x - 10.0, y - 10.0, x + 10.0, y + 10.0)).await;
        assert!(ids(&v).contains(&1), "{srid}");
    }
    // bbox in EPSG:4326 is lat,lon.
    let (_, _, v) = get(
        &app,
        &format!(
            "/collections/markets/items?bbox={},{},{},{}&bbox-crs=EPSG:4326",
            lat - 1e-4,
            lon - 1e-4,
            lat + 1e-4,
            lon + 1e-4
        ),
    )
    .await;
    assert!(ids(&v).contains(&1));
}

#[tokio::test]
async fn cql2_text_and_json_filter_like_sql() {
    let (app, pool) = app_on(demo_db()).await;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let cases: &[(&str, &str, &str)] = &[
        (
            "zones",
            "kdb_max >= 60 AND subzone_code LIKE 'R-%'",
            "kdb_max >= 60 AND subzone_code LIKE 'R-%'",
        ),
        (
            "zones",
            "subzone_code IN ('R-2','K-1') OR NOT plan_active",
            "subzone_code IN ('R-2','K-1') OR NOT plan_active",
        ),
        (
            "zones",
            "klb_max BETWEEN 1 AND 2.5",
            "klb_max BETWEEN 1 AND 2.5",
        ),
        ("zones", "name IS NULL", "name IS NULL"),
        (
            "zones",
            "CASEI(subzone_code) = 'r-2'",
            "lower(subzone_code) = 'r-2'",
        ),
        (
            "zones",
            "S_INTERSECTS(geometry, POLYGON((123.58 -10.18, 123.60 -10.18, 123.60 -10.16, 123.58 -10.16, 123.58 -10.18)))",
            "ST_Intersects(geom, ST_MakeEnvelope(123.58, -10.18, 123.60, -10.16, 4326))",
        ),
        (
            "zones",
            "S_WITHIN(geometry, BBOX(123.5, -10.3, 123.6, -10.1))",
            "ST_Within(geom, ST_MakeEnvelope(123.5, -10.3, 123.6, -10.1, 4326))",
        ),
        (
            "zones",
            "S_DISJOINT(geometry, POINT(123.6 -10.17))",
            "ST_Disjoint(geom, 'SRID=4326;POINT(123.6 -10.17)')",
        ),
        (
            "waste_reports",
            "T_AFTER(reported_at, TIMESTAMP('2026-05-01T00:00:00Z'))",
            "reported_at > '2026-05-01T00:00:00Z'",
        ),
        (
            "waste_reports",
            "T_DURING(reported_at, INTERVAL('2026-01-01T00:00:00Z','2026-03-01T00:00:00Z')) AND status <> 'baru'",
            "reported_at > '2026-01-01T00:00:00Z' AND reported_at < '2026-03-01T00:00:00Z' AND status <> 'baru'",
        ),
    ];
    for (coll, filter, sql) in cases {
        let want = count(&pool, &format!("SELECT count(*) FROM {coll} WHERE {sql}")).await;
        let (s, _, v) = get(
            &app,
            &format!("/collections/{coll}/items?limit=1&filter={}", enc(filter)),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{filter}: {v}");
        assert_eq!(v["numberMatched"], want, "{filter}");
    }
    let want = count(&pool, "SELECT count(*) FROM zones WHERE kdb_max >= 60").await;
    let j = r#"{"op":">=","args":[{"property":"kdb_max"},60]}"#;
    let (_, _, v) = get(
        &app,
        &format!(
            "/collections/zones/items?filter-lang=cql2-json&filter={}",
            enc(j)
        ),
    )
    .await;
    assert_eq!(v["numberMatched"], want);
    // A GeoJSON geometry in cql2-json, and filter-crs.
    let j = r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[123.6,-10.17]}]}"#;
    let want = count(
        &pool,
        "SELECT count(*) FROM zones WHERE ST_Intersects(geom, 'SRID=4326;POINT(123.6 -10.17)')",
    )
    .await;
    let (_, _, v) = get(
        &app,
        &format!(
            "/collections/zones/items?filter-lang=cql2-json&filter={}",
            enc(j)
        ),
    )
    .await;
    assert_eq!(v["numberMatched"], want);
    let (_, _, v) = get(
        &app,
        &format!(
            "/collections/zones/items?filter-crs=EPSG:4326&filter={}",
            enc("S_INTERSECTS(geometry, POINT(-10.17 123.6))")
        ),
    )
    .await;
    assert_eq!(v["numberMatched"], want);
    assert_eq!(want, 1);
}

#[tokio::test]
async fn planners_create_replace_update_and_delete_with_etags() {
    let url = common::demo_database("ogcedit").await;
    let t = common::TestApp::on(&url).await;
    // the zones tile below is compared before and after an edit: from the steady (in-process)
    // renderer, so that the start-up switch from PostGIS cannot pass for the edit
    common::memory_ready(&t.state, "zones").await;
    let (app, pool) = (t.app, t.pool);
    let planner = common::user_with_token(&pool, "planner").await;
    let pemohon = common::user_with_token(&pool, "pemohon").await;
    let auth = format!("Bearer {planner}");
    let gj = [
        ("content-type", "application/geo+json"),
        ("authorization", auth.as_str()),
    ];
    let square = |x: f64, y: f64, d: f64| json!({ "type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });

    // Anonymous: 401; an applicant: 403; a read-only collection: 405.
    let body = json!({ "type": "Feature", "geometry": square(123.60, -10.17, 0.001), "properties": { "subzone_code": "R-2" } }).to_string();
    let (s, _, _) = send(
        &app,
        "POST",
        "/collections/zones/items",
        &[("content-type", "application/geo+json")],
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let pa = format!("Bearer {pemohon}");
    let (s, _, _) = send(
        &app,
        "POST",
        "/collections/zones/items",
        &[
            ("content-type", "application/geo+json"),
            ("authorization", &pa),
        ],
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = send(
        &app,
        "POST",
        "/collections/parcels/items",
        &gj,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);

    // Create: 201, Location, ETag; derived figures come from the rules, not the client.
    let body = json!({ "type": "Feature", "geometry": square(123.60, -10.17, 0.001),
        "properties": { "subzone_code": "R-2", "name": "Uji", "kdb_max": 99 } })
    .to_string();
    let (s, h, b) = send(&app, "POST", "/collections/zones/items", &gj, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let loc = h[header::LOCATION]
        .to_str()
        .unwrap()
        .replace("http://127.0.0.1:8080", "");
    let etag1 = h[header::ETAG].to_str().unwrap().to_string();
    let f: Value = serde_json::from_slice(&b).unwrap();
    let id = f["id"].as_i64().unwrap();
    let (kdb, by, plan): (Option<f64>, Option<uuid::Uuid>, i32) =
        sqlx::query_as("SELECT kdb_max, updated_by, plan_id FROM zones WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    let rule: Option<f64> = sqlx::query_scalar("SELECT kdb_max_pct::float8 FROM zone_rules r JOIN zoning_plans p ON p.id = r.plan_id WHERE p.status = 'active' AND subzone_code = 'R-2' AND variant = ''").fetch_one(&pool).await.unwrap();
    assert_eq!(kdb, rule);
    assert_ne!(kdb, Some(99.0));
    assert!(by.is_some());
    assert_eq!(f["properties"]["zone_code"], "R");
    let active: i32 = sqlx::query_scalar("SELECT id FROM zoning_plans WHERE status = 'active'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(plan, active);
    let (s, h, _) = get(&app, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::ETAG].to_str().unwrap(), etag1);

    // The tile over the zone, before the replace.
    let (tx, ty) = common::tile_of(123.6105, -10.1595, 14);
    let tile_uri = format!("/tiles/zones/14/{tx}/{ty}");
    let (_, _, before) = send(&app, "GET", &tile_uri, &[], None).await;

    // PUT with the current ETag: 200, new ETag, geometry and properties replaced.
    let body = json!({ "type": "Feature", "geometry": square(123.61, -10.16, 0.001),
        "properties": { "subzone_code": "K-1", "name": "Uji 2" } })
    .to_string();
    let mut hdrs = gj.to_vec();
    hdrs.push(("if-match", &etag1));
    let (s, h, b) = send(&app, "PUT", &loc, &hdrs, Some(body.clone())).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let etag2 = h[header::ETAG].to_str().unwrap().to_string();
    assert_ne!(etag1, etag2);
    let f: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(f["properties"]["subzone_code"], "K-1");
    assert_eq!(f["properties"]["zone_code"], "K");
    // The stale ETag now gets 412 and changes nothing.
    let (s, h, b) = send(&app, "PUT", &loc, &hdrs, Some(body)).await;
    problem(
        s,
        &h,
        &serde_json::from_slice(&b).unwrap(),
        StatusCode::PRECONDITION_FAILED,
    );
    let v: i32 = sqlx::query_scalar("SELECT version FROM zones WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(format!("\"v{v}\""), etag2);
    // The tile changed (the change trigger invalidated it).
    let mut changed = false;
    for _ in 0..50 {
        let (_, _, after) = send(&app, "GET", &tile_uri, &[], None).await;
        if after != before {
            changed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(changed, "the zones tile did not change after the PUT");

    // PATCH (merge patch): only what is sent changes.
    let pm = [
        ("content-type", "application/merge-patch+json"),
        ("authorization", auth.as_str()),
        ("if-match", etag2.as_str()),
    ];
    let (s, h, b) = send(
        &app,
        "PATCH",
        &loc,
        &pm,
        Some(json!({ "properties": { "block_code": "B-7" } }).to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let f: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(f["properties"]["block_code"], "B-7");
    assert_eq!(f["properties"]["name"], "Uji 2");
    let etag3 = h[header::ETAG].to_str().unwrap().to_string();

    // Geometry checks: invalid (self-intersecting) 422 with the reason, wrong type 422,
    // outside the city 422, unreadable GeoJSON 400. Nothing changes.
    let bow = json!({ "type": "Polygon", "coordinates": [[[123.60, -10.17], [123.61, -10.16], [123.61, -10.17], [123.60, -10.16], [123.60, -10.17]]] });
    let pm = [
        ("content-type", "application/merge-patch+json"),
        ("authorization", auth.as_str()),
    ];
    for (g, want, word) in [
        (bow, StatusCode::UNPROCESSABLE_ENTITY, "Self-intersection"),
        (
            json!({ "type": "Point", "coordinates": [123.6, -10.17] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "POINT",
        ),
        (
            square(-10.17, 123.60, 0.001),
            StatusCode::UNPROCESSABLE_ENTITY,
            "extent",
        ),
        (
            json!({ "type": "Polygon", "coordinates": [[[1, 2], [3]]] }),
            StatusCode::BAD_REQUEST,
            "",
        ),
    ] {
        let (s, h, b) = send(
            &app,
            "PATCH",
            &loc,
            &pm,
            Some(json!({ "geometry": g }).to_string()),
        )
        .await;
        let v: Value = serde_json::from_slice(&b).unwrap();
        problem(s, &h, &v, want);
        assert!(v["detail_en"].as_str().unwrap().contains(word), "{v}");
    }
    let (_, h, _) = get(&app, &loc).await;
    assert_eq!(h[header::ETAG].to_str().unwrap(), etag3);

    // Point collections; a geometry written in UTM 51S (Content-Crs).
    let hf = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [565000.0, 8875000.0] },
        "properties": { "kind": "klinik", "name": "Klinik Uji" } }).to_string();
    let mut h2 = gj.to_vec();
    h2.push((
        "content-crs",
        "<http://www.opengis.net/def/crs/EPSG/0/32751>",
    ));
    let (s, h, b) = send(
        &app,
        "POST",
        "/collections/health_facilities/items",
        &h2,
        Some(hf),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let hloc = h[header::LOCATION]
        .to_str()
        .unwrap()
        .replace("http://127.0.0.1:8080", "");
    let f: Value = serde_json::from_slice(&b).unwrap();
    let lon = f["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!((123.5..123.7).contains(&lon), "{f}");
    // A constraint the database enforces (unknown kind): 422, not 500.
    let (s, h, b) = send(
        &app,
        "PATCH",
        &hloc,
        &pm,
        Some(json!({ "properties": { "kind": "toko" } }).to_string()),
    )
    .await;
    problem(
        s,
        &h,
        &serde_json::from_slice(&b).unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    );

    // DELETE: stale ETag 412, then 204, then 404.
    let del = [("authorization", auth.as_str()), ("if-match", "\"v1\"")];
    let (s, _, _) = send(&app, "DELETE", &loc, &del, None).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
    let del = [
        ("authorization", auth.as_str()),
        ("if-match", etag3.as_str()),
    ];
    let (s, _, _) = send(&app, "DELETE", &loc, &del, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = send(&app, "GET", &loc, &[], None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for coll in ["overlays", "markets", "waste_facilities"] {
        let (s, _, _) = send(
            &app,
            "DELETE",
            &format!("/collections/{coll}/items/999999"),
            &[("authorization", auth.as_str())],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{coll}");
    }
}

/// Runs a command, returning stdout; panics with stderr on failure.
fn run(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (is gdal-bin installed? scripts/deps.sh)"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test]
async fn gdal_reads_every_collection_through_oapif() {
    let (app, pool) = app_on(demo_db()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = format!("OAPIF:http://127.0.0.1:{port}");

    let b = base.clone();
    let info =
        tokio::task::spawn_blocking(move || run("ogrinfo", &["-ro", "-al", "-so", &b, "zones"]))
            .await
            .unwrap();
    let zones = count(&pool, "SELECT count(*) FROM zones").await;
    assert!(info.contains(&format!("Feature Count: {zones}")), "{info}");
    for field in [
        "subzone_code: String",
        "kdb_max:",
        "plan_active:",
        "Geometry: Multi Polygon",
    ] {
        assert!(info.contains(field), "{field} missing in\n{info}");
    }

    let dir = std::env::temp_dir().join(format!("ruang-ogc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gpkg = dir.join("out.gpkg").to_string_lossy().to_string();
    let _ = std::fs::remove_file(&gpkg);
    let (b, g) = (base.clone(), gpkg.clone());
    tokio::task::spawn_blocking(move || {
        run("ogr2ogr", &["-f", "GPKG", "-oo", "PAGE_SIZE=1000", &g, &b])
    })
    .await
    .unwrap();
    for c in ruang::ogc::collections::COLLECTIONS {
        let want = count(
            &pool,
            &format!(
                "SELECT count(*) FROM {} t WHERE {}",
                c.table,
                c.base_condition()
            ),
        )
        .await;
        let g = gpkg.clone();
        let id = c.id.to_string();
        let out = tokio::task::spawn_blocking(move || run("ogrinfo", &["-ro", "-so", &g, &id]))
            .await
            .unwrap();
        assert!(
            out.contains(&format!("Feature Count: {want}")),
            "{}: want {want}\n{out}",
            c.id
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let (app, pool) = app_on(demo_db()).await;
    let zones_before = count(&pool, "SELECT count(*) FROM zones").await;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (
            "/collections/zones/items?bbox=1,2,3".into(),
            StatusCode::BAD_REQUEST,
            "bbox",
        ),
        (
            "/collections/zones/items?bbox=a,b,c,d".into(),
            StatusCode::BAD_REQUEST,
            "bbox",
        ),
        (
            "/collections/zones/items?crs=EPSG:9999".into(),
            StatusCode::BAD_REQUEST,
            "crs",
        ),
        (
            "/collections/zones/items?bbox-crs=foo&bbox=1,2,3,4".into(),
            StatusCode::BAD_REQUEST,
            "bbox-crs",
        ),
        (
            format!("/collections/zones/items?filter={}", enc("kdb_max >>= 5")),
            StatusCode::BAD_REQUEST,
            "filter",
        ),
        (
            format!(
                "/collections/zones/items?filter-lang=cql2-json&filter={}",
                enc("{\"op\":")
            ),
            StatusCode::BAD_REQUEST,
            "filter",
        ),
        (
            "/collections/waste_reports/items?datetime=yesterday".into(),
            StatusCode::BAD_REQUEST,
            "datetime",
        ),
        (
            "/collections/zones/items?datetime=2026-01-01".into(),
            StatusCode::BAD_REQUEST,
            "datetime",
        ),
        (
            "/collections/zones/items?limit=-1".into(),
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            "/collections/zones/items?limit=0".into(),
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            "/collections/zones/items?offset=-5".into(),
            StatusCode::BAD_REQUEST,
            "offset",
        ),
        // An offset past the end: 404 saying where the last page starts.
        (
            "/collections/zones/items?offset=999999".into(),
            StatusCode::NOT_FOUND,
            "last page (limit=100) starts at offset=",
        ),
        (
            "/collections/nope/items".into(),
            StatusCode::NOT_FOUND,
            "nope",
        ),
        (
            "/collections/zones/items/99999999".into(),
            StatusCode::NOT_FOUND,
            "99999999",
        ),
        (
            "/collections/zones/items/abc".into(),
            StatusCode::NOT_FOUND,
            "abc",
        ),
        // NUL cannot be stored in PostgreSQL text: refused up front, never a 500.
        (
            "/collections/admin_areas/items/53.71%00".into(),
            StatusCode::BAD_REQUEST,
            "NUL",
        ),
        (
            "/collections/zones/items?subzone_code=R-2%00".into(),
            StatusCode::BAD_REQUEST,
            "NUL",
        ),
        (
            format!("/collections/zones/items?filter={}", enc("secret = 1")),
            StatusCode::BAD_REQUEST,
            "kdb_max",
        ),
        (
            "/collections/zones/items?color=red".into(),
            StatusCode::BAD_REQUEST,
            "color",
        ),
        (
            "/collections/zones/items?kdb_max=lots".into(),
            StatusCode::BAD_REQUEST,
            "kdb_max",
        ),
        (
            "/collections/zones/items?f=xml".into(),
            StatusCode::BAD_REQUEST,
            "xml",
        ),
        // Injection attempts through filter, sortby and properties.
        (
            format!(
                "/collections/zones/items?filter={}",
                enc("subzone_code = 'R-2'; DROP TABLE zones; --")
            ),
            StatusCode::BAD_REQUEST,
            "filter",
        ),
        (
            format!(
                "/collections/zones/items?filter={}",
                enc("subzone_code = 'x') OR (1=1")
            ),
            StatusCode::BAD_REQUEST,
            "filter",
        ),
        (
            format!(
                "/collections/zones/items?filter={}",
                enc("\"subzone_code\"\" = 'x' OR 1=1; --\" = 'a'")
            ),
            StatusCode::BAD_REQUEST,
            "filter",
        ),
        (
            format!(
                "/collections/zones/items?sortby={}",
                enc("id; DROP TABLE zones")
            ),
            StatusCode::BAD_REQUEST,
            "sortby",
        ),
        (
            format!("/collections/zones/items?sortby={}", enc("(SELECT 1)")),
            StatusCode::BAD_REQUEST,
            "sortby",
        ),
        (
            format!(
                "/collections/zones/items?properties={}",
                enc("name, (SELECT password_hash FROM users)")
            ),
            StatusCode::BAD_REQUEST,
            "properties",
        ),
    ];
    for (uri, want, word) in &cases {
        let (s, h, v) = get(&app, uri).await;
        problem(s, &h, &v, *want);
        assert!(
            v["detail_en"].as_str().unwrap().contains(word),
            "{uri}: expected '{word}' in {v}"
        );
    }
    // An unknown property in a filter is named with the queryables.
    let (_, _, v) = get(
        &app,
        &format!("/collections/zones/items?filter={}", enc("secret = 1")),
    )
    .await;
    assert!(
        v["detail_en"].as_str().unwrap().contains("secret")
            && v["detail"].as_str().unwrap().contains("subzone_code")
    );

    // Writes: wrong content type 415; invalid GeoJSON 400; both before touching anything.
    let tok = common::user_with_token(&pool, "planner").await;
    let auth = format!("Bearer {tok}");
    let (s, h, b) = send(
        &app,
        "POST",
        "/collections/zones/items",
        &[("authorization", &auth), ("content-type", "text/plain")],
        Some("hello".into()),
    )
    .await;
    problem(
        s,
        &h,
        &serde_json::from_slice(&b).unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    let zone1: String = sqlx::query_scalar("SELECT row_to_json(z)::text FROM zones z WHERE id = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    for method in ["PUT", "PATCH"] {
        let (s, h, b) = send(
            &app,
            method,
            "/collections/zones/items/1",
            &[("authorization", &auth), ("content-type", "text/csv")],
            Some("subzone_code\nR-2".into()),
        )
        .await;
        let v: Value = serde_json::from_slice(&b).unwrap();
        problem(s, &h, &v, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(v["detail_en"].as_str().unwrap().contains("text/csv"), "{v}");
    }
    let zone1_after: String =
        sqlx::query_scalar("SELECT row_to_json(z)::text FROM zones z WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(zone1, zone1_after);
    for body in [
        "{not json",
        "[1,2]",
        r#"{"type":"FeatureCollection","features":[]}"#,
        r#"{"type":"Feature","properties":{"subzone_code":"R-2"}}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon"},"properties":{"subzone_code":"R-2"}}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":"x"},"properties":{}}"#,
    ] {
        let (s, h, b) = send(
            &app,
            "POST",
            "/collections/zones/items",
            &[
                ("authorization", &auth),
                ("content-type", "application/geo+json"),
            ],
            Some(body.into()),
        )
        .await;
        problem(
            s,
            &h,
            &serde_json::from_slice(&b).unwrap(),
            StatusCode::BAD_REQUEST,
        );
    }
    // Unknown and ill-typed properties.
    let g = r#"{"type":"Polygon","coordinates":[[[123.6,-10.17],[123.601,-10.17],[123.601,-10.169],[123.6,-10.17]]]}"#;
    for (props, want) in [
        (
            r#"{"subzone_code":"R-2","evil":"1"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (r#"{"subzone_code":5}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"name":"no subzone"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (
            r#"{"subzone_code":"NOPE"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"subzone_code":"R-2","kelurahan_code":"99.99"}"#,
            StatusCode::CONFLICT,
        ),
    ] {
        let body = format!(r#"{{"type":"Feature","geometry":{g},"properties":{props}}}"#);
        let (s, h, b) = send(
            &app,
            "POST",
            "/collections/zones/items",
            &[
                ("authorization", &auth),
                ("content-type", "application/geo+json"),
            ],
            Some(body),
        )
        .await;
        problem(s, &h, &serde_json::from_slice(&b).unwrap(), want);
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM zones").await,
        zones_before
    );
    assert!(count(&pool, "SELECT count(*) FROM users").await > 0);
}

#[tokio::test]
async fn deleting_a_market_with_prices_or_a_puskesmas_with_a_catchment_is_refused() {
    let url = common::demo_database("ogcdel").await;
    let (app, pool) = app_on(&url).await;
    let auth = format!("Bearer {}", common::user_with_token(&pool, "planner").await);
    let cases = [
        (
            "markets",
            "SELECT market_id::bigint, count(*) FROM price_observations GROUP BY 1 ORDER BY 1 LIMIT 1",
            "SELECT count(*) FROM price_observations WHERE market_id = $1",
            "food price observations",
        ),
        (
            "health_facilities",
            "SELECT facility_id::bigint, count(*) FROM puskesmas_catchments GROUP BY 1 ORDER BY 1 LIMIT 1",
            "SELECT count(*) FROM puskesmas_catchments WHERE facility_id = $1",
            "catchment kelurahan",
        ),
    ];
    for (coll, pick, refs, what) in cases {
        let (id, n): (i64, i64) = sqlx::query_as(pick).fetch_one(&pool).await.unwrap();
        assert!(n > 0);
        let (s, h, b) = send(
            &app,
            "DELETE",
            &format!("/collections/{coll}/items/{id}"),
            &[("authorization", &auth)],
            None,
        )
        .await;
        let v: Value = serde_json::from_slice(&b).unwrap();
        problem(s, &h, &v, StatusCode::CONFLICT);
        let en = v["detail_en"].as_str().unwrap();
        assert!(en.contains(&format!("{n} {what}")), "{v}");
        // Nothing was deleted: the feature and what refers to it are there.
        let (s, _, _) = send(
            &app,
            "GET",
            &format!("/collections/{coll}/items/{id}"),
            &[],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let still: i64 = sqlx::query_scalar(refs)
            .bind(id as i32)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(still, n, "{coll}");
    }

    // A market nobody refers to is deleted.
    let (s, h, b) = send(
        &app,
        "POST",
        "/collections/markets/items",
        &[
            ("authorization", &auth),
            ("content-type", "application/geo+json"),
        ],
        Some(
            json!({ "type": "Feature",
                    "geometry": { "type": "Point", "coordinates": [123.6, -10.17] },
                    "properties": { "code": "pasar-uji", "name": "Pasar Uji" } })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let loc = h[header::LOCATION]
        .to_str()
        .unwrap()
        .replace("http://127.0.0.1:8080", "");
    let (s, _, _) = send(&app, "DELETE", &loc, &[("authorization", &auth)], None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

/// A page whose query fails after the count (here the database ends the session reading the
/// markets' price alerts, as a stopping server does) is a 503 problem+json with Retry-After,
/// not a 200 whose body is cut short; the next page, with the database healthy again, is whole.
#[tokio::test]
async fn a_page_query_that_fails_after_the_count_is_a_503_not_a_cut_200() {
    let url = common::demo_database("items_page_fails").await;
    let t = common::TestApp::on(&url).await;
    let uri = "/collections/markets/items?limit=3";
    let before = t.get(uri).await;
    assert_eq!(before.status, StatusCode::OK);
    let page = before.json();
    assert!(
        page["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| !f["properties"]["price_alert_level"].is_null()),
        "the page reads the price alerts: {page}"
    );
    // The count reads `markets` alone; the page joins the alerts view, which now ends the
    // session that reads it.
    for sql in [
        "ALTER VIEW market_commodity_alerts RENAME TO market_commodity_alerts_real",
        "CREATE FUNCTION end_my_session() RETURNS boolean LANGUAGE plpgsql VOLATILE AS \
         $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN true; END $$",
        "CREATE VIEW market_commodity_alerts AS \
         SELECT * FROM market_commodity_alerts_real WHERE end_my_session()",
    ] {
        sqlx::query(sql).execute(&t.pool).await.unwrap();
    }
    let failed = t.get(uri).await;
    failed.problem(StatusCode::SERVICE_UNAVAILABLE);
    assert!(failed.headers.contains_key(header::RETRY_AFTER));

    sqlx::query("DROP VIEW market_commodity_alerts")
        .execute(&t.pool)
        .await
        .unwrap();
    sqlx::query("ALTER VIEW market_commodity_alerts_real RENAME TO market_commodity_alerts")
        .execute(&t.pool)
        .await
        .unwrap();
    let after = t.get(uri).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.json()["numberReturned"], 3);
}
