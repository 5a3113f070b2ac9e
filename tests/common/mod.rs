//! Shared helpers for the integration tests.
//!
//! Tests run against a real PostGIS. `make test` starts a private cluster under `/tmp` and sets
//! `RUANG_TEST_DATABASE_URL` to a superuser URL of it; each test gets a database of its own,
//! created fresh and migrated, so tests never see each other's rows.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::PgPool;

pub mod app;

#[allow(unused_imports)]
pub use app::{Answer, Call, TestApp, assert_problem, call, send};

/// The Web Mercator tile x/y of zoom `z` holding the point lon/lat.
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let r = lat.to_radians();
    let y =
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// Waits (up to 120 s) until the in-process snapshot of tile layer `layer` is current, i.e.
/// until its tiles are cut in-process rather than by PostGIS.
pub async fn memory_ready(state: &ruang::AppState, layer: &str) {
    let started = std::time::Instant::now();
    while !state.tiles.memory_ready(layer) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the in-process snapshot of {layer} was not loaded within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The superuser URL of the test cluster (its `postgres` database).
pub fn admin_url() -> String {
    std::env::var("RUANG_TEST_DATABASE_URL").expect(
        "RUANG_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts the \
         test PostGIS cluster and sets it",
    )
}

/// `admin_url` with its database name replaced by `db`.
pub fn url_for(db: &str) -> String {
    let mut url = url::Url::parse(&admin_url()).expect("RUANG_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{db}"));
    url.to_string()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates an empty database with a unique name (no extensions, no tables) and returns its name.
pub async fn empty_database(hint: &str) -> String {
    let name = format!(
        "t_{}_{}_{}",
        hint,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let admin = ruang::db::connect(&admin_url(), 1, Duration::from_secs(10))
        .await
        .expect("connect to the test cluster");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\""))
        .execute(&admin)
        .await
        .expect("drop old test database");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    name
}

/// A fresh database with PostGIS and every migration applied.
pub async fn migrated_database(hint: &str) -> (PgPool, String) {
    let name = empty_database(hint).await;
    let url = url_for(&name);
    let pool = ruang::db::connect(&url, 8, Duration::from_secs(10))
        .await
        .expect("connect to test database");
    ruang::db::ensure_postgis(&pool, &url)
        .await
        .expect("enable postgis");
    ruang::db::migrate(&pool).await.expect("migrate");
    (pool, url)
}

/// A fresh migrated database holding a small demo city (seed 5, scale 0.1); returns its URL.
pub async fn demo_database(hint: &str) -> String {
    let (pool, url) = migrated_database(hint).await;
    ruang::demo::load(
        &pool,
        &ruang::demo::DemoOptions {
            seed: 5,
            scale: 0.1,
        },
    )
    .await
    .expect("demo load");
    pool.close().await;
    url
}

/// One demo city per test binary for the tests that only read it (or put back what they
/// change). Loaded on a thread of its own, so each test can open its own pool on it.
pub fn shared_demo_database(hint: &'static str) -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(demo_database(hint))
        })
        .join()
        .expect("demo load thread")
    })
}

/// `path` from the OpenAPI document (`/collections/{collectionId}/items/{featureId}`) with an
/// ordinary value for each parameter, or `hostile` for the one it names.
pub fn fill_path(path: &str, hostile: Option<(&str, &str)>) -> String {
    let sample = |name: &str| match name {
        "collectionId" | "tileset" | "layer" => "zones",
        "z" | "tileMatrix" => "14",
        "fontstack" => "DejaVu%20Sans%20Book",
        "range" => "0-255",
        "package" => "maplibre-gl",
        "path" => "maplibre-gl.css",
        "action" => "submit",
        "key" => "x",
        "id" => "planner",
        _ => "1",
    };
    let mut out = path.to_string();
    for name in path_params(path) {
        let v = match hostile {
            Some((h, v)) if h == name => v,
            _ => sample(&name),
        };
        out = out.replace(&format!("{{{name}}}"), v);
    }
    out
}

/// The `{name}` parameters of an OpenAPI path.
pub fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

/// A 15 m × 15 m lon/lat parcel inside the `n`-th housing zone (so tests do not overlap).
pub async fn housing_parcel(pool: &PgPool, n: i64) -> serde_json::Value {
    let g: String = sqlx::query_scalar(
        "SELECT ST_AsGeoJSON(ST_Transform(s.sq, 4326), 9)
           FROM zones z
           JOIN zoning_plans p ON p.id = z.plan_id AND p.status = 'active'
           CROSS JOIN LATERAL (
               SELECT ST_SetSRID(ST_Expand(ST_Transform(ST_PointOnSurface(z.geom), 32751), 7.5)::geometry, 32751) AS sq
           ) s
          WHERE z.subzone_code LIKE 'R-%'
            AND ST_Within(ST_Transform(s.sq, 4326), z.geom)
          ORDER BY z.id
          OFFSET $1 LIMIT 1",
    )
    .bind(n)
    .fetch_one(pool)
    .await
    .expect("a housing zone with room for a test parcel");
    serde_json::from_str(&g).unwrap()
}

/// An applicant's draft application for `parcel`: a two-floor house.
pub fn draft_body(parcel: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "parcel": parcel,
        "applicant_type": "perorangan",
        "applicant_name": "Maria Ndolu",
        "applicant_nik": "5371012345670001",
        "business_scale": "UMK",
        "kbli_code": "68111",
        "land_tenure": "SHM",
        "declared_land_area_m2": 225,
        "footprint_m2": 120,
        "total_floor_area_m2": 200,
        "floors": 2,
        "height_m": 8,
        "green_area_m2": 50,
    })
}

/// Serves `state` on a free 127.0.0.1 port from the current (multi-threaded) runtime, as
/// `ruang serve` does (connect info included); returns its base URL and the serving task.
pub async fn serve_tcp(state: ruang::AppState) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            ruang::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    (format!("http://{addr}"), server)
}

/// A user of `role` with a bearer token (created in SQL; the password hash is never checked).
pub async fn user_with_token(pool: &PgPool, role: &str) -> String {
    let secret = format!("test-{role}-{}", uuid::Uuid::new_v4());
    sqlx::query(
        "WITH u AS (INSERT INTO users (email, display_name, password_hash, role)
                    VALUES ($1, $2, '$argon2id$v=19$test', $3) RETURNING id)
         INSERT INTO api_tokens (user_id, token_hash) SELECT id, $4 FROM u",
    )
    .bind(format!("{role}-{}@test.kupang.id", uuid::Uuid::new_v4()))
    .bind(format!("Uji {role}"))
    .bind(role)
    .bind(ruang::auth::token_hash(&secret))
    .execute(pool)
    .await
    .expect("create a test user");
    secret
}

/// A `multipart/form-data` body: (content type, bytes) with text `fields` and an optional
/// file `(field, file name, bytes)`.
pub fn multipart_body(
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> (String, Vec<u8>) {
    let b = "ruang-test-boundary-7f3a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((field, name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}
