//! The zoning check's interfaces against the demo city in a real PostGIS: `POST /api/check`
//! (JSON and GeoJSON answers, every kind of bad input as problem+json), `GET /api/zoning/at`,
//! `GET /api/activities`, and the rebuild of the rule set after a change.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use ruang::config::Config;
use serde_json::{Value, json};

async fn demo(hint: &str) -> String {
    common::demo_database(hint).await
}

fn demo_db() -> &'static str {
    common::shared_demo_database("check")
}

async fn setup_on(url: &str) -> (axum::Router, ruang::AppState) {
    let t = common::TestApp::on(url).await;
    (t.app, t.state)
}

async fn setup() -> (axum::Router, ruang::AppState) {
    setup_on(demo_db()).await
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let a = common::send(app, req).await;
    let v = a.json();
    (a.status, a.headers, v)
}

fn post_check(body: impl Into<Body>, content_type: &str, accept: &str) -> Request<Body> {
    Request::post("/api/check")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, accept)
        .body(body.into())
        .unwrap()
}

async fn check(app: &axum::Router, body: &Value) -> (StatusCode, HeaderMap, Value) {
    send(
        app,
        post_check(body.to_string(), "application/json", "application/json"),
    )
    .await
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, Value) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// Asserts a problem+json answer with both languages and returns it.
fn problem(status: StatusCode, headers: &HeaderMap, v: &Value, expected: StatusCode) -> Value {
    assert_eq!(status, expected, "{v}");
    common::assert_problem(headers, v, expected);
    v.clone()
}

/// A 15 m × 15 m parcel around the point on surface of a housing zone, inside it: its zone id,
/// sub-zone, the parcel in lon/lat and the same parcel in EPSG:32751.
struct TestParcel {
    zone_id: i64,
    subzone: String,
    lonlat: Value,
    utm: Value,
}

async fn housing_parcel(pool: &sqlx::PgPool) -> TestParcel {
    let (zone_id, subzone, lonlat, utm): (i64, String, String, String) = sqlx::query_as(
        "SELECT z.id, z.subzone_code,
                ST_AsGeoJSON(ST_Transform(s.sq, 4326), 9), ST_AsGeoJSON(s.sq, 3)
           FROM zones z
           JOIN zoning_plans p ON p.id = z.plan_id AND p.status = 'active'
           CROSS JOIN LATERAL (
               SELECT ST_SetSRID(ST_Expand(ST_Transform(ST_PointOnSurface(z.geom), 32751), 7.5)::geometry, 32751) AS sq
           ) s
          WHERE z.subzone_code LIKE 'R-%'
            AND ST_Within(ST_Transform(s.sq, 4326), z.geom)
          ORDER BY EXISTS (SELECT 1 FROM parcels r WHERE ST_Intersects(r.geom, ST_Transform(s.sq, 4326))),
                   EXISTS (SELECT 1 FROM overlays o WHERE ST_Intersects(o.geom, ST_Transform(s.sq, 4326))),
                   z.id
          LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("a housing zone with room for a test parcel");
    TestParcel {
        zone_id,
        subzone,
        lonlat: serde_json::from_str(&lonlat).unwrap(),
        utm: serde_json::from_str(&utm).unwrap(),
    }
}

fn house(parcel: &Value) -> Value {
    json!({
        "parcel": {"type": "Feature", "properties": {}, "geometry": parcel},
        "kbli": "68111",
        "building": {"footprint_m2": 100, "floor_area_m2": 180, "floors": 2, "height_m": 8, "green_m2": 60},
        "declared_land_area_m2": 225
    })
}

#[tokio::test]
async fn a_house_in_a_housing_zone_gets_a_decision_with_zone_parts_and_findings() {
    let (app, state) = setup().await;
    let p = housing_parcel(&state.pool).await;
    let (status, headers, d) = check(&app, &house(&p.lonlat)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let outcome = d["outcome"].as_str().unwrap();
    assert!(
        ["DISETUJUI", "DISETUJUI_BERSYARAT"].contains(&outcome),
        "{outcome}: {}",
        d["summary_en"]
    );
    assert_eq!(d["kbli"], "68111");
    assert!(d["plan_id"].as_i64().unwrap() > 0);
    let zones = d["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 1, "{d}");
    assert_eq!(zones[0]["zone_id"], p.zone_id);
    assert_eq!(zones[0]["subzone_code"], p.subzone.as_str());
    assert!(
        (d["parcel_area_m2"].as_f64().unwrap() - 225.0).abs() < 0.5,
        "{d}"
    );
    let rules: Vec<&str> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for r in ["geometry", "itbx", "kdb", "klb", "kdh", "height", "floors"] {
        assert!(rules.contains(&r), "{r} missing in {rules:?}");
    }
    assert_eq!(d["geometry_crs"], "OGC:CRS84");

    // the same parcel in UTM 51S gives the same decision
    let mut utm = house(&p.utm);
    utm["crs"] = json!("EPSG:32751");
    let (status, _, d2) = check(&app, &utm).await;
    assert_eq!(status, StatusCode::OK, "{d2}");
    assert_eq!(d2["outcome"], d["outcome"]);
    assert_eq!(
        d2["zones"][0]["subzone_code"],
        d["zones"][0]["subzone_code"]
    );
    assert!(
        (d2["parcel_area_m2"].as_f64().unwrap() - d["parcel_area_m2"].as_f64().unwrap()).abs()
            < 0.05
    );
}

#[tokio::test]
async fn geojson_answer_is_a_feature_collection_of_findings_in_lonlat() {
    let (app, state) = setup().await;
    let p = housing_parcel(&state.pool).await;
    // a footprint reaching out of the parcel gives a finding with geometry
    let mut body = house(&p.lonlat);
    body["footprint"] = json!(p.lonlat);
    let (status, headers, fc) = send(
        &app,
        post_check(body.to_string(), "application/json", "application/geo+json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fc}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
    assert_eq!(fc["type"], "FeatureCollection");
    assert!(fc["outcome"].is_string());
    let features = fc["features"].as_array().unwrap();
    assert!(!features.is_empty());
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert!(f["properties"]["rule"].is_string(), "{f}");
        if let Some(c) = f["geometry"]["coordinates"].as_array() {
            let lon = c[0][0][0][0].as_f64().unwrap();
            let lat = c[0][0][0][1].as_f64().unwrap();
            assert!(
                (123.4..123.8).contains(&lon) && (-10.4..-10.0).contains(&lat),
                "{f}"
            );
        }
    }
}

fn ring(coords: &[(f64, f64)]) -> Value {
    json!({"type": "Polygon", "coordinates": [coords.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>()]})
}

fn square(x: f64, y: f64, d: f64) -> Value {
    ring(&[(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)])
}

#[tokio::test]
async fn bad_input_gets_a_clear_problem_never_a_500() {
    let (app, state) = setup().await;
    let p = housing_parcel(&state.pool).await;
    let ok = house(&p.lonlat);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = ok.clone();
        f(&mut b);
        b
    };
    let cases: Vec<(&str, Value, StatusCode, &str, Option<&str>)> = vec![
        (
            "swapped lat/lon",
            with(&|b| b["parcel"] = square(-10.17, 123.6, 0.0002)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lon_lat_swapped",
            Some("parcel"),
        ),
        (
            "metres as degrees",
            with(&|b| b["parcel"] = p.utm.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "metres_as_degrees",
            Some("parcel"),
        ),
        (
            "outside Kupang (Jakarta)",
            with(&|b| b["parcel"] = square(106.8, -6.2, 0.0002)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_kupang",
            Some("parcel"),
        ),
        (
            "invalid GeoJSON",
            with(&|b| b["parcel"] = json!({"type": "Polygon", "coordinates": "nope"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_geometry",
            Some("parcel"),
        ),
        (
            "a point",
            with(&|b| b["parcel"] = json!({"type": "Point", "coordinates": [123.6, -10.17]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_geometry",
            Some("parcel"),
        ),
        (
            "unknown crs",
            with(&|b| b["crs"] = json!("EPSG:3857")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("crs"),
        ),
        (
            "negative footprint",
            with(&|b| b["building"]["footprint_m2"] = json!(-5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_figure",
            Some("building.footprint_m2"),
        ),
        (
            "floors as text",
            with(&|b| b["building"]["floors"] = json!("two")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("building.floors"),
        ),
        (
            "missing kbli",
            with(&|b| {
                b.as_object_mut().unwrap().remove("kbli");
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            None,
        ),
    ];
    for (name, body, expected, code, field) in cases {
        let (status, headers, v) = check(&app, &body).await;
        let v = problem(status, &headers, &v, expected);
        assert_eq!(v["code"], code, "{name}: {v}");
        if let Some(field) = field {
            assert_eq!(v["field"], field, "{name}: {v}");
        }
    }

    // metres as degrees suggests the crs field
    let (status, headers, v) = check(&app, &with(&|b| b["parcel"] = p.utm.clone())).await;
    let v = problem(status, &headers, &v, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["detail_en"].as_str().unwrap().contains("EPSG:32751"),
        "{v}"
    );

    // an unknown KBLI: 422 with close matches
    let (status, headers, v) = check(&app, &with(&|b| b["kbli"] = json!("47118"))).await;
    let v = problem(status, &headers, &v, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["field"], "kbli");
    let suggested: Vec<&str> = v["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kbli_code"].as_str().unwrap())
        .collect();
    assert!(suggested.contains(&"47111"), "{v}");

    // more than 10,000 vertices: 413
    let n = 10_050;
    let circle: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % n) as f64 / n as f64;
            (123.6 + 0.0005 * a.cos(), -10.17 + 0.0005 * a.sin())
        })
        .collect();
    let (status, headers, v) = check(&app, &with(&|b| b["parcel"] = ring(&circle))).await;
    let v = problem(status, &headers, &v, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["field"], "parcel");

    // wrong content type: 415
    let (status, headers, v) = send(
        &app,
        post_check(ok.to_string(), "text/plain", "application/json"),
    )
    .await;
    problem(status, &headers, &v, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // malformed JSON: 400
    let (status, headers, v) = send(
        &app,
        post_check("{\"parcel\": ", "application/json", "application/json"),
    )
    .await;
    let v = problem(status, &headers, &v, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "bad_json");
}

#[tokio::test]
async fn zoning_at_a_point_on_surface_gives_its_subzone_rules_and_itbx_lists() {
    let (app, state) = setup().await;
    let (zone_id, subzone, lon, lat): (i64, String, f64, f64) = sqlx::query_as(
        "SELECT z.id, z.subzone_code, ST_X(pt), ST_Y(pt)
           FROM zones z JOIN zoning_plans p ON p.id = z.plan_id AND p.status = 'active'
          CROSS JOIN LATERAL (SELECT ST_PointOnSurface(z.geom) AS pt) s
          WHERE z.subzone_code LIKE 'R-%' ORDER BY z.id LIMIT 1",
    )
    .fetch_one(&state.pool)
    .await
    .unwrap();
    let (status, _, v) = get(&app, &format!("/api/zoning/at?lon={lon}&lat={lat}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["subzone_code"], subzone.as_str());
    assert_eq!(v["zone_id"], zone_id, "{v}");
    assert_eq!(v["subzone"]["code"], subzone.as_str());
    assert!(v["rules"]["kdb_max_pct"].is_number(), "{v}");
    let acts = &v["activities"];
    let total: usize = ["I", "T", "B", "X"]
        .iter()
        .map(|c| acts[c].as_array().unwrap().len())
        .sum();
    assert!(total > 0, "{v}");
    assert!(
        acts["I"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kbli_code"] == "68111"),
        "houses are allowed in housing: {v}"
    );
    for a in acts["T"].as_array().unwrap() {
        assert!(
            a["conditions"].as_array().is_some_and(|c| !c.is_empty()),
            "{a}"
        );
    }

    // at sea, far from any zone: 404
    let (status, headers, v) = get(&app, "/api/zoning/at?lon=123.2&lat=-10.0").await;
    problem(status, &headers, &v, StatusCode::NOT_FOUND);
    for q in [
        "lon=123.6",
        "lon=abc&lat=-10.17",
        "lon=123.6&lat=-95",
        "lon=200&lat=-10",
    ] {
        let (status, headers, v) = get(&app, &format!("/api/zoning/at?{q}")).await;
        problem(status, &headers, &v, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn activities_are_found_by_words_and_by_code_prefix() {
    let (app, _) = setup().await;
    for q in ["minimarket", "471"] {
        let (status, _, v) = get(&app, &format!("/api/activities?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let found = v["activities"].as_array().unwrap();
        let hit = found
            .iter()
            .find(|a| a["kbli_code"] == "47111")
            .unwrap_or_else(|| panic!("{q}: {v}"));
        assert!(hit["title"].as_str().unwrap().contains("Minimarket"));
        assert!(hit["title_en"].is_string());
    }
    let (status, headers, v) = get(&app, "/api/activities").await;
    problem(status, &headers, &v, StatusCode::BAD_REQUEST);
}

/// Polls the check until `pred` holds on its decision (the change notification is async).
async fn eventually(app: &axum::Router, body: &Value, pred: impl Fn(&Value) -> bool) -> Value {
    let start = std::time::Instant::now();
    loop {
        let (status, _, d) = check(app, body).await;
        assert_eq!(status, StatusCode::OK, "{d}");
        if pred(&d) {
            return d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the rule set was not rebuilt: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_next_check_after_a_rule_or_zone_change_uses_the_rebuilt_rule_set() {
    // a database of its own: this test changes the plan
    let url = demo("check_rebuild").await;
    let (app, state) = setup_on(&url).await;
    let p = housing_parcel(&state.pool).await;
    let body = house(&p.lonlat);
    let min_parcel = |d: &Value| {
        d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "min_parcel")
            .map(|f| f["limit"].clone())
            .unwrap_or(Value::Null)
    };
    let (status, _, before) = check(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_ne!(min_parcel(&before), json!(5000.0));
    let gen_before = state.check.generation();

    sqlx::query("UPDATE zone_rules SET min_parcel_m2 = 5000 WHERE subzone_code = $1")
        .bind(&p.subzone)
        .execute(&state.pool)
        .await
        .unwrap();
    let after = eventually(&app, &body, |d| min_parcel(d) == json!(5000.0)).await;
    assert_ne!(after["outcome"], "DISETUJUI");
    assert!(state.check.generation() > gen_before);

    // a zone edit: the zone becomes a green open space sub-zone
    let target: String = sqlx::query_scalar(
        "SELECT code FROM subzones WHERE code <> $1 AND code LIKE 'R-%' ORDER BY code LIMIT 1",
    )
    .bind(&p.subzone)
    .fetch_one(&state.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE zones SET subzone_code = $2 WHERE id = $1")
        .bind(p.zone_id)
        .bind(&target)
        .execute(&state.pool)
        .await
        .unwrap();
    eventually(&app, &body, |d| {
        d["zones"][0]["subzone_code"] == target.as_str()
    })
    .await;

    // the ITBX matrix (trigger of migration 0003): make houses X in the new sub-zone
    sqlx::query(
        "UPDATE activity_rules SET class = 'X', condition_codes = '{}'
          WHERE subzone_code = $1 AND kbli_code = '68111'",
    )
    .bind(&target)
    .execute(&state.pool)
    .await
    .unwrap();
    let d = eventually(&app, &body, |d| d["zones"][0]["itbx"] == "X").await;
    assert_eq!(d["outcome"], "DITOLAK", "{d}");
}

/// `make bench-check` (scripts/bench-check.sh) runs this against a demo city at scale 1 named by
/// `RUANG_BENCH_DATABASE_URL`: rule-set build time, in-process check latency over 10,000 random
/// parcels of 100–5,000 m², the same zone intersection done as one PostGIS query per parcel,
/// and request bodies for the HTTP run (`RUANG_BENCH_BODIES`).
#[tokio::test]
#[ignore = "benchmark: run by scripts/bench-check.sh"]
async fn bench_check() {
    use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};
    use ruang::rules::{BuildingFigures, CheckInput, Utm51s};
    use std::time::Instant;

    let url = std::env::var("RUANG_BENCH_DATABASE_URL").expect("RUANG_BENCH_DATABASE_URL");
    let n: usize = std::env::var("RUANG_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let pool = ruang::db::connect(&url, 4, Duration::from_secs(10))
        .await
        .unwrap();
    let t = Instant::now();
    let rs = ruang::check::load(&pool).await.unwrap();
    let load_ms = t.elapsed().as_secs_f64() * 1e3;

    // deterministic random parcels: a rectangle of 100–5,000 m², aspect 1:2–2:1, any rotation,
    // centred on a random point of a random zone
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let zones = rs.zones();
    let kblis: Vec<&str> = rs
        .activities()
        .iter()
        .map(|a| a.kbli_code.as_str())
        .collect();
    let mut inputs = Vec::with_capacity(n);
    while inputs.len() < n {
        let z = &zones[(rnd() * zones.len() as f64) as usize % zones.len()];
        let b = z.geom.geom().bounding_rect().unwrap();
        let (cx, cy) = (
            b.min().x + rnd() * b.width(),
            b.min().y + rnd() * b.height(),
        );
        if rs.zones_at(cx, cy).is_empty() {
            continue;
        }
        let area = 100.0 + rnd() * 4_900.0;
        let aspect = 0.5 + rnd() * 1.5;
        let (w, h) = ((area * aspect).sqrt(), (area / aspect).sqrt());
        let a = rnd() * std::f64::consts::PI;
        let (s, c) = a.sin_cos();
        let corner = |dx: f64, dy: f64| Coord {
            x: cx + dx * c - dy * s,
            y: cy + dx * s + dy * c,
        };
        let ring = LineString::new(vec![
            corner(-w / 2.0, -h / 2.0),
            corner(w / 2.0, -h / 2.0),
            corner(w / 2.0, h / 2.0),
            corner(-w / 2.0, h / 2.0),
            corner(-w / 2.0, -h / 2.0),
        ]);
        let floors = 1 + (rnd() * 3.0) as i64;
        inputs.push(CheckInput {
            parcel: Utm51s::new(MultiPolygon::new(vec![Polygon::new(ring, vec![])])),
            footprint: None,
            kbli: kblis[(rnd() * kblis.len() as f64) as usize % kblis.len()].to_string(),
            building: BuildingFigures {
                footprint_m2: Some(area * 0.5),
                floor_area_m2: Some(area * 0.5 * floors as f64),
                floors: Some(floors),
                height_m: Some(4.0 * floors as f64),
                green_m2: Some(area * 0.2),
                basement_m2: None,
            },
            declared_land_area_m2: Some(area),
            variant: None,
        });
    }

    let mut times = Vec::with_capacity(n);
    let mut outcomes = std::collections::BTreeMap::new();
    for input in &inputs {
        let t = Instant::now();
        let outcome = match ruang::rules::check(&rs, input) {
            Ok(d) => d.outcome.as_str(),
            Err(_) => "refused",
        };
        times.push(t.elapsed().as_secs_f64() * 1e3);
        *outcomes.entry(outcome).or_insert(0usize) += 1;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    let mean = times.iter().sum::<f64>() / times.len() as f64;

    // the zone intersection (and ITBX + intensity lookup) as one PostGIS query per parcel
    let m = n.min(1_000);
    let sql = "SELECT z.id, z.subzone_code,
                      ST_Area(ST_Intersection(ST_Transform(z.geom, 32751), p.g)) AS area,
                      ar.class, zr.kdb_max_pct
                 FROM (SELECT ST_GeomFromText($1, 32751) AS g) p
                 JOIN zones z ON z.plan_id = $2 AND ST_Intersects(z.geom, ST_Transform(p.g, 4326))
                 LEFT JOIN activity_rules ar ON ar.plan_id = z.plan_id
                      AND ar.subzone_code = z.subzone_code AND ar.kbli_code = $3
                 LEFT JOIN zone_rules zr ON zr.plan_id = z.plan_id
                      AND zr.subzone_code = z.subzone_code AND zr.variant = ''";
    let wkt = |p: &MultiPolygon<f64>| {
        let ring: Vec<String> = p.0[0]
            .exterior()
            .0
            .iter()
            .map(|c| format!("{} {}", c.x, c.y))
            .collect();
        format!("POLYGON(({}))", ring.join(","))
    };
    let t = Instant::now();
    for input in &inputs[..m] {
        sqlx::query(sql)
            .bind(wkt(input.parcel.geom()))
            .bind(rs.plan().id)
            .bind(&input.kbli)
            .fetch_all(&pool)
            .await
            .unwrap();
    }
    let sql_mean = t.elapsed().as_secs_f64() * 1e3 / m as f64;

    if let Ok(path) = std::env::var("RUANG_BENCH_BODIES") {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for input in inputs.iter().take(2_000) {
            let parcel = ruang::check::geojson::lonlat_geojson(&input.parcel).unwrap();
            let body = json!({"parcel": parcel, "kbli": input.kbli, "building": input.building,
                              "declared_land_area_m2": input.declared_land_area_m2});
            writeln!(f, "{body}").unwrap();
        }
    }

    println!(
        "BENCH zones={} overlays={} rule_set_load_ms={load_ms:.0} checks={n} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} mean_ms={mean:.3} postgis_query_mean_ms={sql_mean:.3} ratio={:.1} outcomes={outcomes:?}",
        rs.zones().len(),
        rs.overlays().len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        sql_mean / mean,
    );
}

#[tokio::test]
async fn the_check_command_prints_the_same_decision_as_the_api() {
    let url = demo_db();
    let (app, state) = setup().await;
    let p = housing_parcel(&state.pool).await;
    let (status, _, api) = check(&app, &house(&p.lonlat)).await;
    assert_eq!(status, StatusCode::OK);

    let dir = std::env::temp_dir().join(format!("ruang-check-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("parcel.geojson");
    std::fs::write(
        &file,
        json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": p.lonlat}]})
        .to_string(),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ruang"))
            .arg("check")
            .args(args)
            .env("DATABASE_URL", url)
            .env("RUANG_LOG", "warn")
            .output()
            .expect("run ruang check")
    };
    let f = file.to_str().unwrap();
    let figures = [
        "--kbli",
        "68111",
        "--footprint",
        "100",
        "--floor-area",
        "180",
        "--floors",
        "2",
        "--height",
        "8",
        "--green",
        "60",
        "--declared-area",
        "225",
    ];
    let out = run(&[&[f, "--json"][..], &figures[..]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(cli["outcome"], api["outcome"]);
    assert_eq!(cli["zones"][0]["zone_id"], api["zones"][0]["zone_id"]);
    assert_eq!(
        cli["findings"].as_array().unwrap().len(),
        api["findings"].as_array().unwrap().len()
    );

    // The readable table names the outcome and the zone.
    let out = run(&[&[f][..], &figures[..]].concat());
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(api["outcome"].as_str().unwrap()), "{table}");
    assert!(table.contains(&p.subzone), "{table}");

    // Bad input: one clear error line, exit code 1.
    let out = run(&[f, "--kbli", "99999"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("kbli"), "{err}");
    let out = run(&["/nonexistent/parcel.geojson", "--kbli", "68111"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// One client-address rule for every limiter: behind a reverse proxy on the same machine the
/// forwarded address counts, so two clients of the proxy do not share one bucket; the 429 is
/// problem+json with `code` and `Retry-After` in both languages.
#[tokio::test]
async fn the_check_limit_counts_each_client_behind_a_local_proxy() {
    let pool = ruang::db::connect(demo_db(), 4, Duration::from_secs(10))
        .await
        .unwrap();
    // One token per 20 s: the burst of 10 must not refill while the first request waits for
    // the rule set to load (over a second on a loaded machine).
    let config = Config {
        check_rate_per_sec: 0.05,
        ..Config::default()
    };
    let app = ruang::app(ruang::AppState::new(pool, config).await.unwrap());
    let from = |client: &str| {
        let mut r = post_check("{}", "application/json", "application/json");
        r.headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        r.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                45000,
            ))));
        r
    };
    // a burst of 10, then 429
    for _ in 0..10 {
        let (s, _, v) = send(&app, from("10.20.0.1")).await;
        assert_ne!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    }
    let (s, h, v) = send(&app, from("10.20.0.1")).await;
    let v = problem(s, &h, &v, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(v["code"], "too_many_requests");
    assert!(h.contains_key(header::RETRY_AFTER));
    assert!(v["detail"].as_str().unwrap().contains("pemeriksaan"), "{v}");
    // another client of the same proxy has its own bucket
    let (s, _, v) = send(&app, from("10.20.0.2")).await;
    assert_ne!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
}

/// A rule set that cannot be loaded (at start, or after a change) is rebuilt by itself with
/// backoff once the database can be read again; meanwhile the last one built is used, marked
/// stale.
#[tokio::test]
async fn a_rule_set_that_failed_to_load_is_rebuilt_with_backoff() {
    let url = demo("check_retry").await;
    let pool = ruang::db::connect(&url, 4, Duration::from_secs(10))
        .await
        .unwrap();
    let changes = ruang::db::changes::Changes::new();
    let check = std::sync::Arc::new(ruang::check::CheckService::new(pool.clone()));
    check.spawn_invalidation(changes.subscribe());
    let away = |on: bool| {
        let pool = pool.clone();
        async move {
            let sql = if on {
                "ALTER TABLE zone_rules RENAME TO zone_rules_away"
            } else {
                "ALTER TABLE zone_rules_away RENAME TO zone_rules"
            };
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    };
    let wait_for = |generation: u64| {
        let check = check.clone();
        async move {
            let start = std::time::Instant::now();
            while check.generation() < generation {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "rule set not rebuilt by itself"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    // A failed start: no rule set yet, so the first use fails ...
    away(true).await;
    assert!(check.current().await.is_err());
    away(false).await;
    // ... and it is built without another request.
    wait_for(1).await;
    let fresh = check.current().await.unwrap();
    assert!(fresh.stale_since.is_none());
    // After a change whose rebuild fails, the last rule set answers, marked stale.
    away(true).await;
    check.invalidate();
    let stale = check.current().await.unwrap();
    assert!(stale.stale_since.is_some());
    assert_eq!(stale.rules.plan().version, fresh.rules.plan().version);
    away(false).await;
    wait_for(2).await;
    assert!(check.current().await.unwrap().stale_since.is_none());
}
