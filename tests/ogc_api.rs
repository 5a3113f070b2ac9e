//! `/api` documents every route of the server and validates as OpenAPI 3.0; CORS lets browsers
//! on other origins use the OGC API - Features Part 4 edits.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

async fn app() -> axum::Router {
    let (pool, _) = common::migrated_database("ogc_api").await;
    common::TestApp::with_pool(pool, ruang::config::Config::default())
        .await
        .app
}

async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut c = common::call(app, method, uri).header("host", "127.0.0.1:8080");
    for (k, v) in headers {
        c = c.header(k, v);
    }
    let a = c.send().await;
    (a.status, a.headers, a.body)
}

async fn api_document(app: &axum::Router) -> Value {
    let (s, h, b) = send(app, "GET", "/api", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        h["content-type"],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    serde_json::from_slice(&b).unwrap()
}

/// `/a/{x}/b/{*rest}` -> `/a/{}/b/{}`: router and document name parameters differently.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every path literal given to `.route("...")` anywhere in `src/`.
fn routed_paths() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for part in text.split(".route(").skip(1) {
                    let rest = part.trim_start();
                    if let Some(lit) = rest.strip_prefix('"')
                        && let Some(end) = lit.find('"')
                        && lit.starts_with('/')
                    {
                        out.insert(lit[..end].to_string(), p.display().to_string());
                    }
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

#[tokio::test]
async fn api_documents_exactly_the_routes_the_router_serves() {
    let app = app().await;
    let doc = api_document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths.keys().map(|p| shape(p)).collect();

    // 1. Every route registered with a literal path is documented (the OGC routes are
    //    registered from the same table /api is made from, `ogc::openapi::ENDPOINTS`).
    let routed = routed_paths();
    assert!(routed.len() >= 40, "found only {routed:?}");
    for (path, file) in &routed {
        assert!(
            documented.contains(&shape(path)),
            "{path} (routed in {file}) is missing from /api"
        );
    }
    for e in ruang::ogc::openapi::ENDPOINTS {
        assert!(documented.contains(&shape(e.path)), "{}", e.path);
    }

    // 2. Every documented path is routed, every documented operation has a handler, and every
    //    method the document does not list answers 405. Path parameters get a dummy value:
    //    axum routes on the path's shape, so the handler (or 405) answers whatever it is.
    //    An unknown path answers the fallback's 404 to any method, a known one 405 to TRACE.
    let (s, _, _) = send(&app, "TRACE", "/no/such/route", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut operations = 0;
    for (path, item) in paths {
        let uri: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let uri = if uri.is_empty() { "/".to_string() } else { uri };
        let (s, _, b) = send(&app, "TRACE", &uri, &[]).await;
        assert_eq!(
            s,
            StatusCode::METHOD_NOT_ALLOWED,
            "{path} is documented but not routed: {}",
            String::from_utf8_lossy(&b)
        );
        for m in METHODS {
            let (s, _, b) = send(&app, &m.to_uppercase(), &uri, &[]).await;
            if item.get(*m).is_some() {
                operations += 1;
                assert_ne!(
                    s,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} is documented but has no handler"
                );
                assert!(
                    !s.is_server_error(),
                    "{m} {uri}: {s} {}",
                    String::from_utf8_lossy(&b)
                );
                let op = &item[*m];
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            } else {
                assert_eq!(
                    s,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} answers but /api does not document it"
                );
            }
        }
    }
    assert!(operations >= 60, "only {operations} operations documented");

    // 3. Every path parameter of a path is declared (at the path or the operation), and
    //    every operation id is unique.
    let mut ids = BTreeSet::new();
    for (path, item) in paths {
        for (k, op) in item.as_object().unwrap() {
            if k == "parameters" {
                continue;
            }
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
            }
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .chain(item["parameters"].as_array())
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            for seg in path.split('/') {
                if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(declared.contains(name), "{k} {path}: {name} undeclared");
                }
            }
        }
    }
}

/// The validator `scripts/deps.sh` installs (a venv under `RUANG_TOOLS_DIR`, default
/// `/var/tmp/ruang-tools`), else one on `PATH`.
fn validator() -> String {
    let dir = std::env::var("RUANG_TOOLS_DIR").unwrap_or_else(|_| "/var/tmp/ruang-tools".into());
    let venv = Path::new(&dir).join("venv/bin/openapi-spec-validator");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "openapi-spec-validator".into()
    }
}

#[tokio::test]
async fn api_validates_as_openapi_3_0_with_openapi_spec_validator() {
    let app = app().await;
    let doc = api_document(&app).await;
    assert_eq!(doc["openapi"], "3.0.3");
    let dir = std::env::temp_dir().join(format!("ruang-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let v = validator();
    let out = std::process::Command::new(&v)
        .args(["--schema", "3.0", "--errors", "all"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{v}: {e} (scripts/deps.sh installs openapi-spec-validator)"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("OK"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);

    // The document is not valid by accident: the validator does catch a broken one.
    let mut bad = doc.clone();
    bad["paths"]["/collections/{collectionId}/items"]["get"]["responses"] =
        Value::String("none".into());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&file, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = std::process::Command::new(&v)
        .args(["--schema", "3.0"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cors_lets_other_origins_edit_features_with_a_bearer_token() {
    let app = app().await;
    for method in ["PUT", "PATCH", "DELETE", "POST"] {
        let (s, h, _) = send(
            &app,
            "OPTIONS",
            "/collections/zones/items/1",
            &[
                ("origin", "https://gis.example.org"),
                ("access-control-request-method", method),
                (
                    "access-control-request-headers",
                    "authorization, if-match, content-crs, content-type",
                ),
            ],
        )
        .await;
        assert!(s.is_success(), "{method}: {s}");
        assert_eq!(h["access-control-allow-origin"], "*");
        let methods = h["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains(method), "{method} not in {methods}");
        let allowed = h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for want in ["authorization", "if-match", "content-crs", "content-type"] {
            assert!(allowed.contains(want), "{want} not in {allowed}");
        }
        // Cookies are never sent cross-origin: the session cookie + CSRF stay same-origin.
        assert!(h.get("access-control-allow-credentials").is_none());
    }
    let (s, h, _) = send(
        &app,
        "GET",
        "/collections/zones/items?limit=1",
        &[("origin", "https://gis.example.org")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let exposed = h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for want in ["etag", "location", "content-crs", "x-request-id"] {
        assert!(exposed.contains(want), "{want} not in {exposed}");
    }
}
