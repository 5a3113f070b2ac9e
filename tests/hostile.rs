//! The hostile-input probe: every route that `/api` documents, with hostile path values, query
//! parameters and bodies, anonymous and as an admin, against a real TCP server on a
//! multi-threaded runtime (the stack a request really gets). Asserts that nothing answers a
//! 5xx (the database is up), every error is problem+json, and the server keeps answering.

mod common;

use std::time::Duration;

use ruang::config::Config;
use serde_json::{Value, json};

/// Path values: NUL, SQL, traversal, overlong, out-of-range numbers, odd Unicode.
const PATH_VALUES: &[&str] = &[
    "%00",
    "'%3B%20DROP%20TABLE%20zones%3B--",
    "..%2F..%2Fetc%2Fpasswd",
    "99999999999999999999999",
    "-1",
    "1e309",
    "NaN",
    "%F0%9D%95%8F%C4%81",
    "%FF%FE",
    "00000000-0000-0000-0000-000000000000",
];

/// Query values for every documented parameter: the fixed ones, and filters nested deeper
/// than any parser should recurse (these once overflowed the stack and killed the process).
fn query_values() -> Vec<String> {
    let mut v: Vec<String> = QUERY_VALUES.iter().map(|s| s.to_string()).collect();
    v.push(format!(
        "{}name%3D%27a%27{}",
        "(".repeat(400),
        ")".repeat(400)
    ));
    v.push(format!("{}name%3D%27a%27", "NOT%20".repeat(2000)));
    v.push(format!("a%3D{}1", "-".repeat(2000)));
    v
}

const QUERY_VALUES: &[&str] = &[
    "",
    "%00",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999",
    "%27",
    "((((((((((",
    "1,2,3",
    "-180,-90,180,90,1,2",
    "EPSG:999999",
    "http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326",
    "0000-00-00",
    "..%2F..",
];

/// Bodies: empty, wrong shapes, NUL, deep nesting, huge numbers, broken geometry.
fn bodies() -> Vec<(&'static str, String)> {
    let deep_array = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(3000), "}".repeat(3000));
    let deep_gc = {
        // deeper than serde_json's limit of 128 (three levels per collection)
        let mut g = json!({"type": "Point", "coordinates": [123.6, -10.17]}).to_string();
        for _ in 0..100 {
            g = format!("{{\"type\": \"GeometryCollection\", \"geometries\": [{g}]}}");
        }
        g
    };
    vec![
        ("application/json", String::new()),
        ("application/json", "null".into()),
        ("application/json", "[]".into()),
        ("application/json", "{}".into()),
        ("application/json", "{\"a\":".into()),
        ("application/json", deep_array),
        ("application/json", deep_object),
        ("application/json", json!({"name": "a\u{0}b", "applicant_name": "\u{0}"}).to_string()),
        (
            "application/json",
            json!({"parcel": {"type": "Polygon", "coordinates": [[[1e308, 1e308], [0, 0], [1e308, 1e308]]]}, "kbli": "68111"}).to_string(),
        ),
        (
            "application/json",
            json!({"parcel": {"type": "Polygon", "coordinates": [[[123.6, -10.17], [123.61, -10.16], [123.6, -10.16], [123.61, -10.17], [123.6, -10.17]]]}, "kbli": "68111", "building": {"floors": -5}}).to_string(),
        ),
        ("application/json", format!("{{\"parcel\": {deep_gc}, \"kbli\": \"68111\"}}")),
        (
            "application/geo+json",
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": ["x", null]}, "properties": {"name": 1e308}}).to_string(),
        ),
        (
            "application/geo+json",
            format!("{{\"type\": \"Feature\", \"geometry\": {deep_gc}, \"properties\": {{}}}}"),
        ),
        ("text/csv", "a,b\n\u{0},\"\n".into()),
        (
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.zip\"\r\n\r\nPK\u{3}\u{4}garbage\r\n--x\r\nContent-Disposition: form-data; name=\"into\"\r\n\r\nzo\u{0}nes\r\n--x--\r\n".into(),
        ),
        ("multipart/form-data; boundary=x", "--x\r\nbroken".into()),
        ("text/plain", "\u{0}\u{1}\u{2}".into()),
    ]
}

struct Found {
    what: String,
    status: u16,
    body: String,
}

/// Sends one probe: a finding when it answers a 5xx, or a 4xx that is not problem+json.
async fn judge(
    r: reqwest::RequestBuilder,
    what: String,
    statuses: &mut std::collections::BTreeMap<u16, usize>,
) -> Option<Found> {
    let res = match r.send().await {
        Ok(res) => res,
        Err(e) => panic!("{what}: no answer ({e:?}); the server died?"),
    };
    let status = res.status().as_u16();
    *statuses.entry(status).or_default() += 1;
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    if status >= 500 {
        Some(Found { what, status, body })
    } else if status >= 400 && !ct.starts_with("application/problem+json") {
        Some(Found {
            what: format!("{what} (not problem+json: {ct})"),
            status,
            body,
        })
    } else {
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_on_every_documented_route_never_gets_a_5xx() {
    let url = common::demo_database("hostile").await;
    let pool = ruang::db::connect(&url, 8, Duration::from_secs(10))
        .await
        .unwrap();
    ruang::permits::accounts::add_user(
        &pool,
        "probe@example.id",
        "admin",
        None,
        "kata-sandi-probe",
    )
    .await
    .unwrap();
    let token = ruang::permits::accounts::create_api_token(&pool, "probe@example.id", None)
        .await
        .unwrap();
    let config = Config {
        check_rate_per_sec: 0.0,
        ..Config::default()
    };
    let state = ruang::AppState::new(pool, config).await.unwrap();
    let (base, server) = common::serve_tcp(state).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    let (status, api) = {
        let r = client
            .get(format!("{base}/api"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    let paths = api["paths"].as_object().expect("paths");
    assert!(paths.len() > 50, "{} paths", paths.len());

    let mut requests = 0usize;
    let mut bad: Vec<Found> = Vec::new();
    let bodies = bodies();
    let query_values = query_values();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    Some((
                        p["name"].as_str()?.to_string(),
                        p["in"].as_str()?.to_string(),
                    ))
                })
                .collect();
            let names = common::path_params(path);
            let fill = |hostile: Option<(&str, &str)>| common::fill_path(path, hostile);
            let mut targets: Vec<String> = vec![fill(None)];
            for n in &names {
                for v in PATH_VALUES {
                    targets.push(fill(Some((n, v))));
                }
            }
            for (name, place) in &params {
                if place != "query" {
                    continue;
                }
                for v in &query_values {
                    targets.push(format!("{}?{name}={v}", fill(None)));
                }
            }
            let m: reqwest::Method = method.to_uppercase().parse().unwrap();
            let with_body = matches!(method.as_str(), "post" | "put" | "patch");
            for target in &targets {
                // logging out or revoking tokens as the probe would end its own session
                let may_auth = !(path.contains("logout")
                    || method == "delete" && path.starts_with("/api/tokens"));
                for auth in [false, true] {
                    if auth && !may_auth {
                        continue;
                    }
                    let mut variants: Vec<Option<&(&str, String)>> = vec![None];
                    if with_body && target == &targets[0] {
                        variants.extend(bodies.iter().map(Some));
                    }
                    for body in variants {
                        let mut r = client.request(m.clone(), format!("{base}{target}"));
                        if auth {
                            r = r.bearer_auth(&token);
                        }
                        if let Some((ct, b)) = body {
                            r = r.header("content-type", *ct).body(b.clone());
                        }
                        r = r.header("if-match", "\"1\"");
                        requests += 1;
                        let what = format!(
                            "{} {target} auth={auth} body={}",
                            m,
                            body.map(|(ct, b)| format!(
                                "{ct} {}",
                                b.chars().take(60).collect::<String>()
                            ))
                            .unwrap_or_default()
                        );
                        if let Some(f) = judge(r, what, &mut statuses).await {
                            bad.push(f);
                        }
                    }
                }
            }
        }
    }
    eprintln!("{requests} requests; answers by status: {statuses:?}");
    assert!(requests > 1000, "{requests} requests");
    assert!(
        bad.is_empty(),
        "{} of {requests} answers were 5xx or not problem+json:\n{}",
        bad.len(),
        bad.iter()
            .take(40)
            .map(|f| format!("{} -> {}: {}", f.what, f.status, f.body))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // still answering
    let r = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(!server.is_finished());
}
