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
