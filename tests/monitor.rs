//! Monitoring against a real PostGIS: stunting, prices and waste reports on small hand-worked
//! fixtures (every expected number below is worked out by hand in the comments), imports with
//! bad rows, the tile views against the API, and the demo city.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use ruang::config::Config;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

/// Three kelurahan side by side (A, B, C) in one kecamatan, two Puskesmas (A+B, C), two
/// posyandu in C, two markets, three commodities with a rice HET and a chilli HAP.
const FIXTURE: &str = r#"
INSERT INTO admin_areas (code, level, name, parent_code, geom) VALUES
 ('53.71', 'kota', 'Kota Kupang', NULL, ST_Multi(ST_MakeEnvelope(123.50, -10.30, 123.70, -10.10, 4326))),
 ('53.71.01', 'kecamatan', 'Alak', '53.71', ST_Multi(ST_MakeEnvelope(123.50, -10.30, 123.70, -10.10, 4326))),
 ('53.71.01.1001', 'kelurahan', 'Namosain', '53.71.01', ST_Multi(ST_MakeEnvelope(123.50, -10.20, 123.55, -10.15, 4326))),
 ('53.71.01.1002', 'kelurahan', 'Nunbaun Sabu', '53.71.01', ST_Multi(ST_MakeEnvelope(123.55, -10.20, 123.60, -10.15, 4326))),
 ('53.71.01.1003', 'kelurahan', 'Nunbaun Delha', '53.71.01', ST_Multi(ST_MakeEnvelope(123.60, -10.20, 123.65, -10.15, 4326)));
INSERT INTO admin_area_aliases (alias, code) VALUES
 ('namosain', '53.71.01.1001'), ('namosain lama', '53.71.01.1001'),
 ('nunbaun sabu', '53.71.01.1002'), ('nunbaun delha', '53.71.01.1003');
INSERT INTO health_facilities (id, kind, code, name, kelurahan_code, geom) VALUES
 (1, 'puskesmas', 'pkm-a', 'Puskesmas Alfa', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326)),
 (2, 'puskesmas', 'pkm-c', 'Puskesmas Celta', '53.71.01.1003', ST_SetSRID(ST_MakePoint(123.62, -10.17), 4326));
INSERT INTO health_facilities (id, kind, code, name, puskesmas_id, kelurahan_code, geom) VALUES
 (3, 'posyandu', 'psy-c-1', 'Posyandu Melati Nunbaun Delha', 2, '53.71.01.1003', ST_SetSRID(ST_MakePoint(123.61, -10.17), 4326)),
 (4, 'posyandu', 'psy-c-2', 'Posyandu Mawar Nunbaun Delha', 2, '53.71.01.1003', ST_SetSRID(ST_MakePoint(123.63, -10.17), 4326));
SELECT setval('health_facilities_id_seq', 10);
INSERT INTO puskesmas_catchments (kelurahan_code, facility_id) VALUES
 ('53.71.01.1001', 1), ('53.71.01.1002', 1), ('53.71.01.1003', 2);
INSERT INTO markets (id, code, name, kelurahan_code, geom) VALUES
 (1, 'pasar-a', 'Pasar Alpha', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.53, -10.18), 4326)),
 (2, 'pasar-b', 'Pasar Beta', '53.71.01.1002', ST_SetSRID(ST_MakePoint(123.57, -10.18), 4326));
INSERT INTO market_aliases (alias, market_id) VALUES ('pasar alfa', 1), ('pasar a', 1);
INSERT INTO commodities (id, code, name, name_en, unit, category) VALUES
 (1, 'beras_medium', 'Beras Medium', 'Rice, medium', 'kg', 'beras'),
 (2, 'cabai_merah_keriting', 'Cabai Merah Keriting', 'Curly red chilli', 'kg', 'cabai'),
 (3, 'gula_pasir', 'Gula Pasir', 'Sugar', 'kg', 'gula');
INSERT INTO reference_prices (commodity_id, kind, price_zone, price_min, price_max, valid_from, valid_until, legal_basis) VALUES
 (1, 'HET', 'Zona II', NULL, 11500, '2023-03-31', '2025-08-21', 'Perbadan 7/2023'),
 (1, 'HET', 'Zona II', NULL, 14000, '2025-08-22', NULL, 'Kepbadan 299/2025'),
 (2, 'HAP', NULL, 37000, 55000, '2024-01-01', NULL, 'HAP 2024');
"#;

const STUNTING_CSV: &str = "\
period,level,unit,measured,severely_stunted,stunted,normal,tall,source
2026-04,kelurahan,NAMOSAIN LAMA,100,5,7,88,0,e-PPGBM
2026-05,kelurahan,53.71.01.1001,100,4,6,90,0,e-PPGBM
2026-05,kelurahan,Namosain,100,20,20,60,0,SIMPUS
2026-05,kelurahan,Nunbaun  Sabu,300,15,30,250,5,e-PPGBM
2026-05,posyandu,psy-c-1,40,3,5,32,0,e-PPGBM
2026-05,posyandu,Posyandu Mawar Nunbaun Delha,60,2,12,46,0,e-PPGBM
";

const PRICES_CSV: &str = "\
tanggal;pasar;komoditas;harga
2026-09-21;pasar-a;beras_medium;13000
2026-09-28;Pasar Alpha;beras_medium;13100
2026-10-05;pasar alfa;beras_medium;13000
2026-10-12;pasar-a;Beras Medium;13200
2026-10-19;pasar-a;beras_medium;13300
2026-10-26;pasar-a;beras_medium;13400
2026-09-21;pasar-a;cabai_merah_keriting;40000
2026-10-26;pasar-a;cabai_merah_keriting;46000
2026-10-26;pasar-a;gula_pasir;18000
2026-10-26;pasar-b;beras_medium;14100
";

/// market id, commodity id, alert level, mom %, cv 4w %
type ViewRow = (i32, i32, String, Option<f64>, Option<f64>);
/// market code, commodity code, alert level, mom %, cv 4w %, price
type DemoViewRow = (String, String, String, Option<f64>, Option<f64>, f64);

struct Env {
    app: axum::Router,
    pool: PgPool,
    planner: String,
    pemohon: String,
}

async fn token(pool: &PgPool, email: &str, role: &str) -> String {
    let secret = format!("tok-{email}");
    sqlx::query(
        "WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ($1, '$argon2id$v=19$test', $2) RETURNING id)
         INSERT INTO api_tokens (user_id, token_hash) SELECT id, $3 FROM u",
    )
    .bind(email)
    .bind(role)
    .bind(ruang::auth::token_hash(&secret))
    .execute(pool)
    .await
    .unwrap();
    secret
}

async fn app_on(pool: PgPool) -> axum::Router {
    common::TestApp::with_pool(pool, Config::default())
        .await
        .app
}

async fn fixture(hint: &str) -> Env {
    let (pool, _) = common::migrated_database(hint).await;
    sqlx::raw_sql(FIXTURE).execute(&pool).await.unwrap();
    let planner = token(&pool, "planner@kupang.id", "planner").await;
    let pemohon = token(&pool, "warga@kupang.id", "pemohon").await;
    Env {
        app: app_on(pool.clone()).await,
        pool,
        planner,
        pemohon,
    }
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let a = common::send(app, req).await;
    (a.status, a.headers, a.body)
}

async fn json_of(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let (s, _, b) = send(app, req).await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|e| panic!("{s}: {e}: {}", String::from_utf8_lossy(&b)));
    (s, v)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    json_of(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn import_req(path: &str, token: Option<&str>, csv: &str) -> Request<Body> {
    let mut r = Request::post(path).header(header::CONTENT_TYPE, "text/csv");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(csv.to_owned())).unwrap()
}

fn problem(v: &Value, status: StatusCode) {
    assert_eq!(v["status"], status.as_u16(), "{v}");
    assert!(v["detail"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    assert!(
        v["detail_en"].as_str().is_some_and(|s| !s.is_empty()),
        "{v}"
    );
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

fn unit<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("no unit {code} in {v}"))
}

#[tokio::test]
async fn stunting_prevalence_ranks_trend_and_tiles() {
    let env = fixture("mon_stunting").await;
    let app = &env.app;
    // nothing yet: no latest period, every unit without figures
    let (s, v) = get(app, "/api/stunting").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["period"], Value::Null);
    assert_eq!(unit(&v, "53.71.01.1001")["prevalence_pct"], Value::Null);

    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.planner), STUNTING_CSV),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"rows": 6, "inserted": 6, "unchanged": 0}));

    // 2026-05 (the latest month, the default):
    // A: e-PPGBM wins over SIMPUS: 4 + 6 = 10 of 100 = 10.0 %, gap -4.0
    // B: 15 + 30 = 45 of 300 = 15.0 %, gap +1.0
    // C: no kelurahan row, posyandu sum (3 + 5) + (2 + 12) = 22 of 40 + 60 = 22.0 %, gap +8.0
    // city: 77 of 500 = 15.4 %
    let (s, v) = get(app, "/api/stunting?by=kelurahan").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["period"], "2026-05");
    assert_eq!(v["national_target_pct"], 14.0);
    let a = unit(&v, "53.71.01.1001");
    assert_eq!(
        (a["measured"].clone(), a["stunted"].clone()),
        (json!(100), json!(10))
    );
    assert_eq!(a["prevalence_pct"], 10.0);
    assert_eq!(a["gap_to_target_pp"], -4.0);
    assert_eq!(a["rank"], 3);
    assert_eq!(unit(&v, "53.71.01.1002")["prevalence_pct"], 15.0);
    assert_eq!(unit(&v, "53.71.01.1002")["gap_to_target_pp"], 1.0);
    assert_eq!(unit(&v, "53.71.01.1002")["rank"], 2);
    let c = unit(&v, "53.71.01.1003");
    assert_eq!(c["prevalence_pct"], 22.0);
    assert_eq!(c["measured"], 100);
    assert_eq!(c["rank"], 1);
    assert_eq!(v["city"]["prevalence_pct"], 15.4);

    // Puskesmas Alfa = A + B = 55 of 400 = 13.75 % -> 13.8 (half up), not the mean of 10 and 15
    let (_, v) = get(app, "/api/stunting?by=puskesmas&period=2026-05").await;
    let p1 = unit(&v, "pkm-a");
    assert_eq!(p1["facility_id"], 1);
    assert_eq!(p1["prevalence_pct"], 13.8);
    assert_eq!(p1["gap_to_target_pp"], -0.2);
    assert_eq!(unit(&v, "pkm-c")["prevalence_pct"], 22.0);
    let (_, v) = get(app, "/api/stunting?by=city&period=2026-05").await;
    assert_eq!(unit(&v, "53.71")["prevalence_pct"], 15.4);
    assert_eq!(unit(&v, "53.71")["rank"], 1);
    let (_, v) = get(app, "/api/stunting?by=kecamatan&period=2026-05").await;
    assert_eq!(unit(&v, "53.71.01")["prevalence_pct"], 15.4);

    // 2026-04: only A (5 + 7 of 100 = 12.0 %); an empty month has no figures and no ranks
    let (_, v) = get(app, "/api/stunting?period=2026-04").await;
    assert_eq!(unit(&v, "53.71.01.1001")["prevalence_pct"], 12.0);
    assert_eq!(unit(&v, "53.71.01.1001")["rank"], 1);
    assert_eq!(unit(&v, "53.71.01.1002")["prevalence_pct"], Value::Null);
    assert_eq!(unit(&v, "53.71.01.1002")["rank"], Value::Null);
    let (s, v) = get(app, "/api/stunting?period=2025-01").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["prevalence_pct"].is_null() && u["measured"] == 0)
    );
    assert_eq!(v["city"]["prevalence_pct"], Value::Null);

    // trend: A 12.0 -> 10.0 = -2.0 points; B has a single observation and no change
    let (s, v) = get(app, "/api/stunting/trend?unit=53.71.01.1001").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["unit"],
        json!({"code": "53.71.01.1001", "name": "Namosain", "kind": "kelurahan"})
    );
    assert_eq!(v["series"][0]["period"], "2026-04");
    assert_eq!(v["series"][0]["prevalence_pct"], 12.0);
    assert_eq!(v["series"][1]["prevalence_pct"], 10.0);
    assert_eq!(v["series"][1]["change_pp"], -2.0);
    let (_, v) = get(app, "/api/stunting/trend?unit=53.71.01.1002").await;
    assert_eq!(v["series"].as_array().unwrap().len(), 1);
    assert_eq!(v["series"][0]["change_pp"], Value::Null);
    let (_, v) = get(app, "/api/stunting/trend?unit=pkm-a").await;
    assert_eq!(v["unit"]["kind"], "puskesmas");
    // April: A alone (12 of 100); May: 13.8
    assert_eq!(v["series"][0]["prevalence_pct"], 12.0);
    assert_eq!(v["series"][1]["prevalence_pct"], 13.8);
    let (_, v) = get(app, "/api/stunting/trend?unit=53.71").await;
    assert_eq!(v["unit"]["kind"], "city");
    assert_eq!(v["series"][1]["prevalence_pct"], 15.4);

    // the tile views give the API's numbers
    let kel: Vec<(String, String, Option<f64>)> = sqlx::query_as(
        "SELECT kelurahan_code, to_char(period, 'YYYY-MM'), prevalence_pct::float8
           FROM kelurahan_stunting_latest ORDER BY 1",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        kel,
        vec![
            ("53.71.01.1001".into(), "2026-05".into(), Some(10.0)),
            ("53.71.01.1002".into(), "2026-05".into(), Some(15.0)),
            ("53.71.01.1003".into(), "2026-05".into(), Some(22.0)),
        ]
    );
    let pkm: Vec<(i32, Option<f64>)> = sqlx::query_as(
        "SELECT facility_id, prevalence_pct::float8 FROM puskesmas_stunting_latest ORDER BY 1",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(pkm, vec![(1, Some(13.8)), (2, Some(22.0))]);
    // the properties of the health_facilities tile layer, read with its own SQL
    let layer = std::fs::read_to_string("tiles/health_facilities.toml").unwrap();
    let sql = layer
        .split("sql = \"\"\"")
        .nth(1)
        .unwrap()
        .split("\"\"\"")
        .next()
        .unwrap();
    let tile: Vec<(String, Option<f64>)> = sqlx::query_as(&format!(
        "SELECT code, stunting_pct FROM ({sql}) t WHERE kind = 'puskesmas' ORDER BY code"
    ))
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        tile,
        vec![("pkm-a".into(), Some(13.8)), ("pkm-c".into(), Some(22.0))]
    );

    // bad parameters
    for uri in [
        "/api/stunting?period=2026-13",
        "/api/stunting?period=May",
        "/api/stunting?by=rt",
        "/api/stunting/trend",
    ] {
        let (s, v) = get(app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        problem(&v, StatusCode::BAD_REQUEST);
    }
    let (s, v) = get(app, "/api/stunting/trend?unit=99.99").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    problem(&v, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stunting_import_is_all_or_nothing_and_idempotent() {
    let env = fixture("mon_stunting_import").await;
    let app = &env.app;
    // who may import
    let (s, v) = json_of(app, import_req("/api/stunting/import", None, STUNTING_CSV)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.pemohon), STUNTING_CSV),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // one bad row in the middle (row 3: a misspelt kelurahan) -> nothing imported
    let bad = "period,unit,measured,severely_stunted,stunted,normal
2026-05,Namosain,100,4,6,90
2026-05,Nunbaun Sabo,300,15,30,255
2026-05,Nunbaun Delha,100,1,1,98
";
    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.planner), bad),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    problem(&v, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error_count"], 1);
    let e = &v["errors"][0];
    assert_eq!(e["row"], 3);
    assert_eq!(e["column"], "unit");
    assert_eq!(e["value"], "Nunbaun Sabo");
    assert_eq!(e["suggestions"][0], "Nunbaun Sabu");
    assert!(v["detail"].as_str().unwrap().contains("baris 3"), "{v}");
    assert_eq!(count(&env.pool, "stunting_observations").await, 0);

    // every kind of bad row is reported with its row and column
    let bad = "period,unit,measured,severely_stunted,stunted,normal
2026-13,Namosain,100,4,6,90
2026-05,Namosain,-1,4,6,90
2026-05,Namosain,10,4,6,90
2099-01,Namosain,100,4,6,90
2026-05,Nunbaun Sabu,100,1,1,98
2026-05,nunbaun sabu,100,1,1,98
";
    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.planner), bad),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let got: Vec<(u64, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "period".into()),
            (3, "measured".into()),
            (4, "measured".into()),
            (5, "period".into()),
            (7, "unit".into()),
        ],
        "{v}"
    );
    assert!(
        v["errors"][4]["detail_en"]
            .as_str()
            .unwrap()
            .contains("row 6")
    );
    assert_eq!(count(&env.pool, "stunting_observations").await, 0);

    // wrong headers
    let (s, v) = json_of(
        app,
        import_req(
            "/api/stunting/import",
            Some(&env.planner),
            "bulan,kelurahan,diukur,pendek\n2026-05,Namosain,1,0\n",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["row"] == 1)
    );
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["column"] == "severely_stunted")
    );

    // import, then the same file again adds nothing
    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.planner), STUNTING_CSV),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.planner), STUNTING_CSV),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"rows": 6, "inserted": 0, "unchanged": 6}));
    assert_eq!(count(&env.pool, "stunting_observations").await, 6);
    // the same unit and month with other counts is refused, with the new rows of the file
    let changed = "period,unit,measured,severely_stunted,stunted,normal
2026-06,Namosain,100,1,1,98
2026-05,Namosain,100,9,9,82
";
    let (s, v) = json_of(
        app,
        import_req("/api/stunting/import", Some(&env.planner), changed),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["row"], 3);
    assert_eq!(count(&env.pool, "stunting_observations").await, 6);

    // not CSV
    let (s, v) = json_of(
        app,
        Request::post("/api/stunting/import")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {}", env.planner))
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
}

fn item<'a>(v: &'a Value, market: &str, commodity: &str) -> &'a Value {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["market"]["code"] == market && i["commodity"]["code"] == commodity)
        .unwrap_or_else(|| panic!("no {market}/{commodity} in {v}"))
}

#[tokio::test]
async fn prices_figures_alerts_index_and_views() {
    let env = fixture("mon_prices").await;
    let app = &env.app;
    let (s, v) = get(app, "/api/prices").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["items"], json!([]));
    let (s, v) = json_of(
        app,
        import_req("/api/prices/import", Some(&env.planner), PRICES_CSV),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"rows": 10, "inserted": 10, "unchanged": 0}));

    let (s, v) = get(app, "/api/prices").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    // Pasar Alpha, rice: latest 13,400 on 2026-10-26
    let r = item(&v, "pasar-a", "beras_medium");
    assert_eq!(r["date"], "2026-10-26");
    assert_eq!(r["price"], 13400.0);
    assert_eq!(r["avg_week"], 13400.0);
    // (2026-09-26, 2026-10-26]: 13100, 13000, 13200, 13300, 13400 -> 13,200
    assert_eq!(r["avg_month"], 13200.0);
    // last price on or before 2026-09-26 is 13,000 (09-21): +400 / 13,000 = +3.08 %
    assert_eq!(r["prev_month_price"], 13000.0);
    assert_eq!(r["mom_pct"], 3.08);
    assert_eq!(r["yoy_pct"], Value::Null);
    // (09-28, 10-26]: 13000, 13200, 13300, 13400: mean 13,225, sample sd 170.78 -> CV 1.29 %
    assert_eq!(r["n_4w"], 4);
    assert_eq!(r["cv_4w_pct"], 1.29);
    // HET 14,000 (Kepbadan 299/2025, not the expired 11,500): 13,400 >= 95 % (13,300) -> yellow
    assert_eq!(r["reference"]["kind"], "HET");
    assert_eq!(r["reference"]["price_max"], 14000.0);
    assert_eq!(r["gap_idr"], -600.0);
    assert_eq!(r["gap_pct"], -4.29);
    assert_eq!(r["alert"]["level"], "yellow");
    assert_eq!(r["alert"]["reasons"][0]["code"], "reference");
    // chilli: 40,000 -> 46,000 = +15 % on the month -> red; one price in 4 weeks: no CV
    let c = item(&v, "pasar-a", "cabai_merah_keriting");
    assert_eq!(c["mom_pct"], 15.0);
    assert_eq!(c["cv_4w_pct"], Value::Null);
    assert_eq!(c["reference"]["kind"], "HAP");
    assert_eq!(c["alert"]["level"], "red");
    assert_eq!(c["alert"]["reasons"][0]["code"], "mom");
    // sugar: a single observation, no reference price -> green with nothing to say
    let g = item(&v, "pasar-a", "gula_pasir");
    assert_eq!(g["mom_pct"], Value::Null);
    assert_eq!(g["cv_12m_pct"], Value::Null);
    assert_eq!(g["reference"], Value::Null);
    assert_eq!(g["gap_pct"], Value::Null);
    assert_eq!(g["alert"], json!({"level": "green", "reasons": []}));
    // Pasar Beta rice 14,100 > HET 14,000 -> red
    assert_eq!(item(&v, "pasar-b", "beras_medium")["alert"]["level"], "red");
    // disparity of rice: 13,400 and 14,100: spread 700 / mean 13,750 = 5.09 %
    let d = v["disparity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["commodity"] == "beras_medium")
        .unwrap();
    assert_eq!(d["markets"], 2);
    assert_eq!(d["mean"], 13750.0);
    assert_eq!(d["spread_pct"], 5.09);
    assert_eq!(d["cheapest"]["code"], "pasar-a");
    assert_eq!(d["dearest"]["code"], "pasar-b");

    // as of 2026-10-01 rice in Pasar Alpha is judged at 09-28: nothing a month earlier
    let (_, v) = get(
        app,
        "/api/prices?market=Pasar%20Alfa&commodity=beras_medium&date=2026-10-01",
    )
    .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["price"], 13100.0);
    assert_eq!(v["items"][0]["mom_pct"], Value::Null);

    // alerts: red first (chilli, the bigger monthly change, then Beta's rice), then yellow
    let (_, v) = get(app, "/api/prices/alerts").await;
    assert_eq!(v["counts"], json!({"green": 1, "yellow": 1, "red": 2}));
    let order: Vec<(String, String)> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["market"]["code"].as_str().unwrap().into(),
                a["commodity"]["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("pasar-a".into(), "cabai_merah_keriting".into()),
            ("pasar-b".into(), "beras_medium".into()),
            ("pasar-a".into(), "beras_medium".into()),
        ]
    );
    let (_, v) = get(app, "/api/prices/alerts?level=red").await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2);

    // the view behind the markets tiles says the same
    let view: Vec<ViewRow> = sqlx::query_as(
        "SELECT market_id, commodity_id, alert_level, mom_pct::float8, cv_4w_pct::float8
           FROM market_commodity_alerts ORDER BY 1, 2",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(view.len(), 4);
    assert_eq!(view[0].2, "yellow");
    assert!((view[0].3.unwrap() - 3.076_923).abs() < 1e-5);
    assert!((view[0].4.unwrap() - 1.291_361).abs() < 1e-5);
    assert_eq!((view[1].2.as_str(), view[1].4), ("red", None));
    assert_eq!((view[2].2.as_str(), view[2].3), ("green", None));
    assert_eq!(view[3].2, "red");
    let layer = std::fs::read_to_string("tiles/markets.toml").unwrap();
    let sql = layer
        .split("sql = \"\"\"")
        .nth(1)
        .unwrap()
        .split("\"\"\"")
        .next()
        .unwrap();
    let tile: Vec<(String, String, i32)> = sqlx::query_as(&format!(
        "SELECT code, alert_level, red_commodities FROM ({sql}) t ORDER BY code"
    ))
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        tile,
        vec![
            ("pasar-a".into(), "red".into(), 1),
            ("pasar-b".into(), "red".into(), 1)
        ]
    );

    // index, base 2026-09: Sept rice 13,050 (mean of 13,000 and 13,100), chilli 40,000;
    // Oct rice 13,400 (mean of 13000, 13200, 13300, 13400, 14100), chilli 46,000, sugar not in
    // the base: 100 * sqrt(13400/13050 * 46000/40000) = 108.67
    let (s, v) = get(app, "/api/prices/index?base=2026-09").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["base"], "2026-09");
    assert_eq!(
        v["series"][0],
        json!({"period": "2026-09", "index": 100.0, "commodities": 2, "mom_pct": null})
    );
    assert_eq!(v["series"][1]["index"], 108.67);
    assert_eq!(v["series"][1]["commodities"], 2);
    assert_eq!(v["series"][1]["mom_pct"], 8.67);
    // the default base is the first month with prices
    let (_, v2) = get(app, "/api/prices/index").await;
    assert_eq!(v2["base"], "2026-09");
    let (s, v) = get(app, "/api/prices/index?base=2020-01").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // CSV export, by parameter and by Accept
    let (s, h, b) = send(
        app,
        Request::get("/api/prices?f=csv")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = String::from_utf8(b).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("market_code,market_name,commodity_code"));
    assert!(
        lines.iter().any(|l| l.starts_with(
            "pasar-a,Pasar Alpha,beras_medium,Beras Medium,kg,2026-10-26,13400,13400,13200,3.08,"
        )),
        "{text}"
    );
    let (s, h, _) = send(
        app,
        Request::get("/api/prices/alerts")
            .header(header::ACCEPT, "text/csv")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );

    // bad parameters
    let (s, v) = get(app, "/api/prices?market=Pasar%20Alpah").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(
        v["detail_en"].as_str().unwrap().contains("Pasar Alpha"),
        "{v}"
    );
    for uri in [
        "/api/prices?date=26-10-2026",
        "/api/prices?f=xml",
        "/api/prices/alerts?level=purple",
    ] {
        let (s, v) = get(app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        problem(&v, StatusCode::BAD_REQUEST);
    }
    let (s, _) = get(app, "/api/prices?commodity=durian").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // answers are cached until the data changes, whoever changes it
    let uri = "/api/prices?commodity=gula_pasir";
    let (_, _, first) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    let (_, h, again) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(h["x-cache"], "hit");
    assert_eq!(first, again);
    sqlx::query("UPDATE price_observations SET price_idr = 19000 WHERE commodity_id = 3")
        .execute(&env.pool)
        .await
        .unwrap();
    let (_, v) = get(app, uri).await;
    assert_eq!(v["items"][0]["price"], 19000.0);
    let (_, h, _) = send(
        app,
        Request::get(uri)
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(h.get("x-cache").is_none());
}

#[tokio::test]
async fn price_import_refuses_bad_rows_and_repeats_nothing() {
    let env = fixture("mon_price_import").await;
    let app = &env.app;
    // a negative price in the middle: nothing imported, row 3 reported
    let bad = "date,market,commodity,price
2026-10-19,pasar-a,beras_medium,13300
2026-10-26,pasar-a,beras_medium,-13400
2026-10-26,pasar-b,beras_medium,14100
";
    let (s, v) = json_of(
        app,
        import_req("/api/prices/import", Some(&env.planner), bad),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["errors"],
        json!([{
        "row": 3, "column": "price", "value": "-13400",
        "detail": "Harga harus lebih dari 0.", "detail_en": "The price must be greater than 0."}])
    );
    assert_eq!(count(&env.pool, "price_observations").await, 0);

    let bad = "date,market,commodity,price
26/10/2026,pasar-a,beras_medium,13300
2026-10-26,Pasar Alpah,beras_medium,13400
2026-10-26,pasar-b,beras medum,14100
2026-10-26,pasar-b,gula_pasir,0
2026-10-26,pasar-b,cabai_merah_keriting,38.000
2099-10-26,pasar-b,beras_medium,1
2026-10-20,pasar-b,gula_pasir,18000
2026-10-20,Pasar Beta,Gula Pasir,18000
";
    let (s, v) = json_of(
        app,
        import_req("/api/prices/import", Some(&env.planner), bad),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let errs = v["errors"].as_array().unwrap();
    let rows: Vec<u64> = errs.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, vec![2, 3, 4, 5, 6, 7, 9], "{v}");
    assert_eq!(errs[0]["column"], "date");
    assert_eq!(errs[1]["column"], "market");
    assert_eq!(errs[1]["suggestions"][0], "Pasar Alpha");
    assert_eq!(errs[2]["column"], "commodity");
    assert_eq!(errs[2]["suggestions"][0], "Beras Medium");
    assert_eq!(errs[3]["detail_en"], "The price must be greater than 0.");
    assert!(errs[4]["detail_en"].as_str().unwrap().contains("thousands"));
    assert!(errs[5]["detail_en"].as_str().unwrap().contains("future"));
    assert!(errs[6]["detail_en"].as_str().unwrap().contains("row 8"));
    assert_eq!(count(&env.pool, "price_observations").await, 0);

    let (s, v) = json_of(
        app,
        import_req(
            "/api/prices/import",
            Some(&env.planner),
            "tanggal,pasar,harga\n2026-10-26,pasar-a,1\n",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["column"], "commodity");

    for _ in 0..2 {
        let (s, _) = json_of(
            app,
            import_req("/api/prices/import", Some(&env.planner), PRICES_CSV),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(count(&env.pool, "price_observations").await, 10);
    let (_, v) = json_of(
        app,
        import_req("/api/prices/import", Some(&env.planner), PRICES_CSV),
    )
    .await;
    assert_eq!(v, json!({"rows": 10, "inserted": 0, "unchanged": 10}));
    // another price for a stored day is refused
    let (s, v) = json_of(
        app,
        import_req(
            "/api/prices/import",
            Some(&env.planner),
            "date,market,commodity,price\n2026-10-26,pasar-b,beras_medium,14200\n",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["row"], 2);
    assert!(
        v["errors"][0]["detail_en"]
            .as_str()
            .unwrap()
            .contains("14100")
    );

    // too large for the server's body limit -> 413 problem, nothing stored
    let state = ruang::AppState::new(
        env.pool.clone(),
        Config {
            body_limit_bytes: 1024,
            ..Config::default()
        },
    )
    .await
    .unwrap();
    let small = ruang::app(state);
    let big = format!(
        "date,market,commodity,price\n{}",
        "2026-10-27,pasar-a,gula_pasir,18000\n".repeat(100)
    );
    let (s, v) = json_of(
        &small,
        import_req("/api/prices/import", Some(&env.planner), &big),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(count(&env.pool, "price_observations").await, 10);
}

fn report_json(lon: f64, lat: f64, category: &str) -> Request<Body> {
    Request::post("/api/waste/reports")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"lon": lon, "lat": lat, "category": category,
                   "description": "Tumpukan sampah", "contact": "0812 3456 789"})
            .to_string(),
        ))
        .unwrap()
}

fn multipart(photo: &[u8]) -> Request<Body> {
    let b = "XyZbOuNdArY";
    let mut body = Vec::new();
    for (k, v) in [
        ("lon", "123.57"),
        ("lat", "-10.17"),
        ("category", "plastik"),
    ] {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    Request::post("/api/waste/reports")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .body(Body::from(body))
        .unwrap()
}

fn status_req(id: i64, token: Option<&str>, body: Value) -> Request<Body> {
    let mut r = Request::post(format!("/api/waste/reports/{id}/status"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn waste_reports_photos_limits_and_workflow() {
    let env = fixture("mon_waste").await;
    let app = &env.app;
    // a report in Nunbaun Sabu (B); the contact stays private
    let (s, v) = json_of(app, report_json(123.57, -10.17, "campuran")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["status"], "baru");
    assert_eq!(v["kelurahan"]["code"], "53.71.01.1002");
    assert!(v.get("contact").is_none());
    let (_, v) = get(app, &format!("/api/waste/reports/{id}")).await;
    assert!(v.get("contact").is_none());
    assert_eq!(v["events"][0]["to"], "baru");

    // photos: PNG by its magic bytes; a GIF or a 5 MB + 1 file is refused
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat();
    let (s, v) = json_of(app, multipart(&png)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["has_photo"], true);
    let with_photo = v["id"].as_i64().unwrap();
    let (s, v) = json_of(app, multipart(b"GIF89a....")).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    problem(&v, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut huge = vec![0xFFu8, 0xD8, 0xFF];
    huge.resize(5 * 1024 * 1024 + 1, 0);
    let (s, v) = json_of(app, multipart(&huge)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    // JSON with a base64 photo that is not an image
    let (s, _) = json_of(
        app,
        Request::post("/api/waste/reports")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"lon": 123.52, "lat": -10.17, "category": "organik",
                       "photo_base64": "aGVsbG8gd29ybGQ="})
                .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // the photo is for officers only
    let (s, _, _) = send(
        app,
        Request::get(format!("/api/waste/reports/{with_photo}/photo"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, b) = send(
        app,
        Request::get(format!("/api/waste/reports/{with_photo}/photo"))
            .header(header::AUTHORIZATION, format!("Bearer {}", env.planner))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "image/png");
    assert_eq!(b, png);

    // outside Kota Kupang, unknown category, no location
    let (s, v) = json_of(app, report_json(110.0, -7.0, "plastik")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["detail_en"]
            .as_str()
            .unwrap()
            .contains("outside Kota Kupang")
    );
    let (s, v) = json_of(app, report_json(123.57, -10.17, "nuklir")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = json_of(
        app,
        Request::post("/api/waste/reports")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"category": "plastik"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = json_of(
        app,
        Request::post("/api/waste/reports")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("sampah"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // rate limit: 10 requests per client, then 429 with Retry-After (9 made above)
    let (s, v) = json_of(app, report_json(123.52, -10.17, "kertas")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let res = app
        .clone()
        .oneshot(report_json(123.57, -10.17, "plastik"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));

    // workflow: only officers; baru -> selesai skips steps -> 409
    let (s, _) = json_of(app, status_req(id, None, json!({"status": "diverifikasi"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = json_of(
        app,
        status_req(id, Some(&env.pemohon), json!({"status": "diverifikasi"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = json_of(
        app,
        status_req(id, Some(&env.planner), json!({"status": "selesai"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    problem(&v, StatusCode::CONFLICT);
    let (s, _) = json_of(
        app,
        status_req(id, Some(&env.planner), json!({"status": "hilang"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = json_of(
        app,
        status_req(id, Some(&env.planner), json!({"status": "ditolak"})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a note"
    );
    let (s, _) = json_of(
        app,
        status_req(
            999_999,
            Some(&env.planner),
            json!({"status": "diverifikasi"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for step in ["diverifikasi", "dijadwalkan", "selesai"] {
        let (s, v) = json_of(
            app,
            status_req(id, Some(&env.planner), json!({"status": step})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], step);
    }
    let (_, v) = get(app, &format!("/api/waste/reports/{id}")).await;
    for k in ["verified_at", "scheduled_at", "closed_at"] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert_eq!(v["events"].as_array().unwrap().len(), 4);
    let (s, _) = json_of(
        app,
        status_req(
            id,
            Some(&env.planner),
            json!({"status": "ditolak", "note": "x"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "a closed report stays closed");

    // summary, with hand-set times: in A three reports closed after 2, 4 and 10 hours (median
    // 4), one open; in B 1 and 3 hours (median 2) besides the reports above
    sqlx::raw_sql(
        "TRUNCATE waste_reports CASCADE;
         INSERT INTO waste_reports (category, kelurahan_code, geom, status, reported_at, closed_at) VALUES
          ('campuran', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'selesai', '2026-10-01 08:00+08', '2026-10-01 10:00+08'),
          ('campuran', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'selesai', '2026-10-02 08:00+08', '2026-10-02 12:00+08'),
          ('campuran', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'selesai', '2026-10-03 08:00+08', '2026-10-03 18:00+08'),
          ('campuran', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'ditolak', '2026-10-03 08:00+08', '2026-10-03 09:00+08'),
          ('campuran', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'dijadwalkan', '2026-10-04 08:00+08', NULL),
          ('plastik', '53.71.01.1002', ST_SetSRID(ST_MakePoint(123.57, -10.17), 4326), 'selesai', '2026-10-01 08:00+08', '2026-10-01 09:00+08'),
          ('plastik', '53.71.01.1002', ST_SetSRID(ST_MakePoint(123.57, -10.17), 4326), 'selesai', '2026-10-01 08:00+08', '2026-10-01 11:00+08');",
    )
    .execute(&env.pool)
    .await
    .unwrap_or_else(|_| panic!("fixture"));
    let (s, v) = get(app, "/api/waste/summary").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kel = v["kelurahan"].as_array().unwrap();
    assert_eq!(kel[0]["code"], "53.71.01.1001");
    assert_eq!(kel[0]["open"], 1);
    assert_eq!(kel[0]["by_status"]["selesai"], 3);
    assert_eq!(kel[0]["by_status"]["ditolak"], 1);
    assert_eq!(kel[0]["median_hours_to_close"], 4.0);
    let b = kel.iter().find(|k| k["code"] == "53.71.01.1002").unwrap();
    assert_eq!(b["median_hours_to_close"], 2.0);
    let c = kel.iter().find(|k| k["code"] == "53.71.01.1003").unwrap();
    assert_eq!(c["open"], 0);
    assert_eq!(c["median_hours_to_close"], Value::Null);
    // city: 1, 2, 3, 4, 10 hours -> 3
    assert_eq!(v["city"]["median_hours_to_close"], 3.0);
    assert_eq!(v["city"]["open"], 1);
    // only reports made from 2026-10-02 on: A 4 and 10 hours -> 7
    let (_, v) = get(app, "/api/waste/summary?from=2026-10-02").await;
    assert_eq!(v["kelurahan"][0]["median_hours_to_close"], 7.0);
    let (s, _) = get(app, "/api/waste/summary?from=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// On the demo city: for every market × commodity the API's alert level and figures equal the
/// view the `markets` tiles read, and every kelurahan's prevalence equals the `admin_areas` view.
#[tokio::test]
async fn demo_city_api_matches_the_tile_views() {
    let url = common::demo_database("mon_demo").await;
    let pool = ruang::db::connect(&url, 4, Duration::from_secs(10))
        .await
        .unwrap();
    let app = app_on(pool.clone()).await;
    // the demo load empties every table; the data version is written again by its inserts
    assert!(
        ruang::monitor::cache::data_version(&pool)
            .await
            .unwrap()
            .is_some()
    );
    let (s, v) = get(&app, "/api/prices").await;
    assert_eq!(s, StatusCode::OK);
    let items = v["items"].as_array().unwrap();
    let view: Vec<DemoViewRow> = sqlx::query_as(
        "SELECT m.code, c.code, a.alert_level, a.mom_pct::float8, a.cv_4w_pct::float8, a.price::float8
           FROM market_commodity_alerts a
           JOIN markets m ON m.id = a.market_id JOIN commodities c ON c.id = a.commodity_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(items.len(), view.len());
    assert!(view.len() >= 100, "{}", view.len());
    let mut levels = std::collections::BTreeMap::new();
    for (m, c, level, mom, cv, price) in &view {
        let it = item(&v, m, c);
        assert_eq!(it["alert"]["level"], level.as_str(), "{m}/{c}: {it}");
        assert_eq!(it["price"], *price);
        match mom {
            Some(x) => near(&it["mom_pct"], *x),
            None => assert!(it["mom_pct"].is_null()),
        }
        match cv {
            Some(x) => near(&it["cv_4w_pct"], *x),
            None => assert!(it["cv_4w_pct"].is_null()),
        }
        *levels.entry(level.clone()).or_insert(0) += 1;
    }
    // the demo has every level somewhere
    assert!(levels.len() >= 2, "{levels:?}");

    let (_, v) = get(&app, "/api/stunting").await;
    let view: Vec<(String, Option<f64>, String)> = sqlx::query_as(
        "SELECT kelurahan_code, prevalence_pct::float8, to_char(period, 'YYYY-MM') FROM kelurahan_stunting_latest",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(view.len(), 51);
    for (code, p, period) in view {
        assert_eq!(v["period"], period.as_str());
        assert_eq!(unit(&v, &code)["prevalence_pct"], json!(p), "{code}");
    }
    let (_, v) = get(&app, "/api/stunting?by=puskesmas").await;
    let view: Vec<(String, Option<f64>)> = sqlx::query_as(
        "SELECT h.code, s.prevalence_pct::float8 FROM puskesmas_stunting_latest s
           JOIN health_facilities h ON h.id = s.facility_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(view.len(), 11);
    for (code, p) in view {
        assert_eq!(unit(&v, &code)["prevalence_pct"], json!(p), "{code}");
    }
    // the index and the summary answer on real data
    let (s, v) = get(&app, "/api/prices/index").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["series"][0]["index"], 100.0);
    assert!(v["series"].as_array().unwrap().len() >= 24);
    let (s, v) = get(&app, "/api/waste/summary").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["kelurahan"].as_array().unwrap().len(), 51);
    assert!(v["city"]["median_hours_to_close"].as_f64().unwrap() > 0.0);
}

/// The API rounds to two decimals; the view does not.
fn near(api: &Value, view: f64) {
    let a = api
        .as_f64()
        .unwrap_or_else(|| panic!("{api} is not a number"));
    assert!((a - view).abs() <= 0.005 + 1e-9, "{a} != {view}");
}

/// `ruang ingest` drives the same import: exit 0 and a summary, or exit 1 with every row error.
#[tokio::test]
async fn ingest_cli() {
    let (pool, url) = common::migrated_database("mon_cli").await;
    sqlx::raw_sql(FIXTURE).execute(&pool).await.unwrap();
    let dir = std::env::temp_dir().join(format!("ruang-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("harga.csv");
    std::fs::write(&good, PRICES_CSV).unwrap();
    let bad = dir.join("salah.csv");
    std::fs::write(
        &bad,
        "date,market,commodity,price\n2026-10-26,pasar-z,beras_medium,1\n",
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ruang"))
            .args(["ingest", "prices"])
            .arg(file)
            .env("DATABASE_URL", &url)
            .env("RUANG_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("10 inserted"));
    let out = run(&good);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 inserted, 10 already stored"));
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 2, column market, value \"pasar-z\""),
        "{err}"
    );
    assert_eq!(count(&pool, "price_observations").await, 10);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn weekly_price_series_by_market_with_reference_prices() {
    let env = fixture("mon_series").await;
    let app = &env.app;
    let (s, v) = json_of(
        app,
        import_req("/api/prices/import", Some(&env.planner), PRICES_CSV),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // a second price in Pasar Beta's last week (a Wednesday): the week shows the mean
    sqlx::query(
        "INSERT INTO price_observations (market_id, commodity_id, obs_date, price_idr, level)
         VALUES (2, 1, '2026-10-28', 14300, 'eceran')",
    )
    .execute(&env.pool)
    .await
    .unwrap();

    let (s, v) = get(app, "/api/prices/series?commodity=beras_medium").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // to: the newest price (Wed 2026-10-28); from: 103 weeks before that week's Monday
    assert_eq!(v["to"], "2026-10-28");
    assert_eq!(v["from"], "2024-11-04");
    let weeks = v["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 104);
    assert_eq!(weeks[103], "2026-10-26");
    assert_eq!(v["commodity"]["unit"], "kg");
    let markets: Vec<&str> = v["markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(markets, ["pasar-a", "pasar-b"]);
    let a = &v["markets"][0]["prices"];
    assert_eq!(
        a.as_array().unwrap()[98..],
        [
            json!(13000.0),
            json!(13100.0),
            json!(13000.0),
            json!(13200.0),
            json!(13300.0),
            json!(13400.0)
        ]
    );
    assert_eq!(a[97], Value::Null);
    // (14100 + 14300) / 2
    assert_eq!(v["markets"][1]["prices"][103], 14200.0);
    assert_eq!(v["markets"][1]["prices"][102], Value::Null);
    // the HET in force on each week's Monday: 11,500 until 2025-08-21, then 14,000
    let i = weeks.iter().position(|w| w == "2025-08-18").unwrap();
    assert_eq!(v["reference_max"][i], 11500.0);
    assert_eq!(v["reference_max"][i + 1], 14000.0);
    assert_eq!(v["reference_kind"][103], "HET");
    assert_eq!(v["reference_min"][103], Value::Null);
    assert_eq!(v["references"].as_array().unwrap().len(), 2);

    // chosen markets by name or alias, in the order asked; a HAP range has a min and a max
    let (s, v) = get(
        app,
        "/api/prices/series?commodity=cabai_merah_keriting&market=Pasar%20Beta,pasar%20alfa",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["markets"][0]["code"], "pasar-b");
    assert_eq!(v["markets"][1]["code"], "pasar-a");
    assert!(
        v["markets"][0]["prices"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_null)
    );
    assert_eq!(v["markets"][1]["prices"][103], 46000.0);
    assert_eq!(v["reference_min"][103], 37000.0);
    assert_eq!(v["reference_max"][103], 55000.0);
    // a short span
    let (_, v) = get(
        app,
        "/api/prices/series?commodity=beras_medium&market=pasar-a&from=2026-10-05&to=2026-10-26",
    )
    .await;
    assert_eq!(
        v["weeks"],
        json!(["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"])
    );
    assert_eq!(
        v["markets"][0]["prices"],
        json!([13000.0, 13200.0, 13300.0, 13400.0])
    );

    // CSV: one line per week, a column per market, then the reference
    let (s, h, b) = send(
        app,
        Request::get("/api/prices/series?commodity=beras_medium&from=2026-10-19&f=csv")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        String::from_utf8(b).unwrap(),
        "week,Pasar Alpha,Pasar Beta,reference_kind,reference_min,reference_max\n\
         2026-10-19,13300,,HET,,14000\n\
         2026-10-26,13400,14200,HET,,14000\n"
    );

    // bad input: 4xx problems in both languages
    for (uri, status) in [
        ("/api/prices/series", StatusCode::BAD_REQUEST),
        ("/api/prices/series?commodity=", StatusCode::BAD_REQUEST),
        ("/api/prices/series?commodity=emas", StatusCode::NOT_FOUND),
        (
            "/api/prices/series?commodity=beras_medium&market=pasar-z",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/prices/series?commodity=beras_medium&from=2026-02-30",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/prices/series?commodity=beras_medium&from=2026-10-01&to=2026-09-01",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/prices/series?commodity=beras_medium&from=2024-01-01&to=2026-01-01",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/prices/series?commodity=beras_medium&f=xml",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, v) = get(app, uri).await;
        assert_eq!(s, status, "{uri}: {v}");
        problem(&v, status);
    }
    let many = vec!["pasar-a"; 51].join(",");
    let (s, _) = get(
        app,
        &format!("/api/prices/series?commodity=beras_medium&market={many}"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // no prices at all for a commodity: an empty series, not an error
    let (s, v) = get(
        app,
        "/api/prices/series?commodity=gula_pasir&market=pasar-b",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["weeks"], json!([]));
}

#[tokio::test]
async fn waste_trend_by_month_and_reports_looked_up_by_reference() {
    let env = fixture("mon_waste_trend").await;
    let app = &env.app;
    // times in WITA (UTC+8): the third report is made on 1 October in Kupang, still
    // 30 September in UTC, and counts for October
    sqlx::raw_sql(
        "INSERT INTO waste_reports (category, kelurahan_code, geom, status, reported_at, verified_at,
                                    scheduled_at, closed_at) VALUES
          ('plastik', '53.71.01.1002', ST_SetSRID(ST_MakePoint(123.57, -10.17), 4326), 'selesai',
           '2026-09-10 10:00+08', '2026-09-10 12:00+08', '2026-09-10 14:00+08', '2026-09-11 10:00+08'),
          ('organik', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'selesai',
           '2026-09-20 08:00+08', '2026-09-20 09:00+08', '2026-09-21 09:00+08', '2026-09-22 08:00+08'),
          ('campuran', '53.71.01.1002', ST_SetSRID(ST_MakePoint(123.57, -10.17), 4326), 'baru',
           '2026-10-01 00:30+08', NULL, NULL, NULL),
          ('kaca', '53.71.01.1001', ST_SetSRID(ST_MakePoint(123.52, -10.17), 4326), 'ditolak',
           '2026-10-15 08:00+08', '2026-10-15 13:00+08', NULL, '2026-10-15 13:00+08')",
    )
    .execute(&env.pool)
    .await
    .unwrap();

    let (s, v) = get(app, "/api/waste/trend?from=2026-08&to=2026-10").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let m = v["months"].as_array().unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m[0]["period"], "2026-08");
    assert_eq!(m[0]["reported"], 0);
    assert_eq!(m[0]["median_hours_to_close"], Value::Null);
    // September: two done, after 24 h and 48 h
    assert_eq!(m[1]["reported"], 2);
    assert_eq!(m[1]["by_status"]["selesai"], 2);
    assert_eq!(m[1]["median_hours_to_close"], 36.0);
    // October: the one of 1 October WITA (new) and a rejected one (not closed work)
    assert_eq!(m[2]["reported"], 2);
    assert_eq!(m[2]["by_status"]["baru"], 1);
    assert_eq!(m[2]["by_status"]["ditolak"], 1);
    assert_eq!(m[2]["median_hours_to_close"], Value::Null);
    // the same as the summary over the same days
    let (_, sum) = get(app, "/api/waste/summary?from=2026-09-01&to=2026-10-01").await;
    assert_eq!(sum["city"]["by_status"], m[1]["by_status"]);
    assert_eq!(
        sum["city"]["median_hours_to_close"],
        m[1]["median_hours_to_close"]
    );

    // one kelurahan
    let (_, v) = get(
        app,
        "/api/waste/trend?from=2026-09&to=2026-10&kelurahan=53.71.01.1002",
    )
    .await;
    assert_eq!(v["kelurahan"]["name"], "Nunbaun Sabu");
    assert_eq!(v["months"][0]["by_status"]["selesai"], 1);
    assert_eq!(v["months"][0]["median_hours_to_close"], 24.0);
    assert_eq!(v["months"][1]["by_status"]["baru"], 1);
    // defaults: the year up to the month of the newest report
    let (_, v) = get(app, "/api/waste/trend").await;
    assert_eq!(
        (v["from"].as_str(), v["to"].as_str()),
        (Some("2025-11"), Some("2026-10"))
    );
    assert_eq!(v["months"].as_array().unwrap().len(), 12);

    for (uri, status) in [
        ("/api/waste/trend?from=2026-13", StatusCode::BAD_REQUEST),
        ("/api/waste/trend?to=oktober", StatusCode::BAD_REQUEST),
        (
            "/api/waste/trend?from=2026-10&to=2026-09",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/waste/trend?from=2020-01&to=2026-01",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/waste/trend?kelurahan=53.71.99", StatusCode::NOT_FOUND),
    ] {
        let (s, v) = get(app, uri).await;
        assert_eq!(s, status, "{uri}: {v}");
        problem(&v, status);
    }

    // a citizen's report: the receipt's reference finds it, without anyone's contact
    let (s, v) = json_of(app, report_json(123.57, -10.17, "plastik")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let reference = format!("LS-{id}");
    assert_eq!(v["reference"], reference.as_str());
    assert_eq!(v["next_statuses"], json!(["diverifikasi", "ditolak"]));
    let (s, by_ref) = get(app, &format!("/api/waste/reports/{reference}")).await;
    assert_eq!(s, StatusCode::OK, "{by_ref}");
    assert_eq!(by_ref["id"], id);
    assert!(by_ref.get("contact").is_none(), "{by_ref}");
    let (_, lower) = get(app, &format!("/api/waste/reports/ls-{id}")).await;
    assert_eq!(lower["id"], id);
    // an officer moves it on with a note; the citizen sees the status and the note, and
    // neither who did it nor the contact
    let (s, v) = json_of(
        app,
        status_req(
            id,
            Some(&env.planner),
            json!({"status": "diverifikasi", "note": "Petugas DLHK menuju lokasi"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["contact"], "0812 3456 789");
    // officers see who did it (the account has no display name: its e-mail)
    assert_eq!(v["events"][1]["actor"], "planner@kupang.id");
    assert_eq!(v["events"][0]["actor"], Value::Null);
    let (_, seen) = get(app, &format!("/api/waste/reports/{reference}")).await;
    assert_eq!(seen["status"], "diverifikasi");
    assert_eq!(seen["next_statuses"], json!(["dijadwalkan", "ditolak"]));
    assert_eq!(seen["events"][1]["note"], "Petugas DLHK menuju lokasi");
    let text = seen.to_string();
    assert!(
        !text.contains("0812") && !text.contains("actor") && !text.contains("planner@"),
        "{text}"
    );
    for bad in ["LS-", "LS-x1", "XS-1", "LS-999999"] {
        let (s, v) = get(app, &format!("/api/waste/reports/{bad}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}: {v}");
        problem(&v, StatusCode::NOT_FOUND);
    }
}
