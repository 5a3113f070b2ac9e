//! Filters nested deeply enough to exhaust a thread's stack, and other deeply nested client
//! input, against a real server (issue 16, defect 1).
//!
//! A stack overflow is not a panic: it aborts the whole process, taking every connection with
//! it. So the HTTP tests talk to a real TCP server (`axum::serve` on 127.0.0.1:0) whose
//! handlers run on the worker threads of a multi-thread tokio runtime, with tokio's default
//! 2 MiB stacks as in `ruang serve`; an in-process `oneshot` would run the handler on the test
//! thread and could pass or fail for the wrong reason. The pure part of the fuzz test runs
//! `ogc::cql2::to_sql` on a thread with a 2 MiB stack for the same reason.
//!
//! The fuzz inputs come from a small seeded PRNG (xorshift64*) rather than `proptest`: no new
//! dependency to build on a 2-core machine, every run sees the same inputs (the seed and the
//! case number are in each failure message), and shrinking would add little because each case
//! is built from a few named shapes and mutations.

mod common;

use std::time::{Duration, Instant};

use ruang::crs::Crs;
use ruang::ogc::cql2::{Cql2Error, FilterLang, to_sql};
use serde_json::Value;
use sqlx::PgPool;

fn demo_db() -> &'static str {
    common::shared_demo_database("cql2depth")
}

/// A real server on a free port; returns its base URL and a pool on its database.
async fn serve() -> (String, PgPool) {
    let pool = ruang::db::connect(demo_db(), 8, Duration::from_secs(10))
        .await
        .unwrap();
    let state = ruang::AppState::new(pool.clone(), ruang::config::Config::default())
        .await
        .expect("app state");
    (common::serve_tcp(state).await.0, pool)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn enc(s: &str) -> String {
    ruang::ogc::items::urlencode(s)
}

async fn get(c: &reqwest::Client, url: &str) -> (u16, String, Vec<u8>) {
    let res = c
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {}: {e}", clip(url)));
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (u16, Vec<u8>) {
    let mut r = c.post(url).body(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let res = r.send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = res.status().as_u16();
    (status, res.bytes().await.unwrap().to_vec())
}

fn clip(s: &str) -> String {
    let t: String = s.chars().take(160).collect();
    if t.len() < s.len() {
        format!("{t}… ({} bytes)", s.len())
    } else {
        t
    }
}

/// The server still answers: `/healthz` and a plain filtered query.
async fn still_answers(c: &reqwest::Client, base: &str) {
    let (s, _, _) = get(c, &format!("{base}/healthz")).await;
    assert_eq!(s, 200, "/healthz after a deep filter");
    let (s, _, b) = get(
        c,
        &format!(
            "{base}/collections/zones/items?limit=1&filter={}",
            enc("name = 'a' OR kdb_max >= 0")
        ),
    )
    .await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
}

/// `{"op":"not","args":[ ... ]}` `n` times around `name = 'a'`.
fn json_nots(n: usize) -> String {
    format!(
        "{}{{\"op\":\"=\",\"args\":[{{\"property\":\"name\"}},\"a\"]}}{}",
        "{\"op\":\"not\",\"args\":[".repeat(n),
        "]}".repeat(n)
    )
}

/// The message that names the nesting limit, in English and in Indonesian.
const NESTED: (&str, &str) = ("nested more than 64 levels", "lebih dari 64 tingkat");
/// The message that names the limit on the parser's work.
const TOO_COMPLEX: (&str, &str) = ("too complex to parse", "terlalu rumit");
/// The message that names the limit on `AND` and `OR`.
const AND_OR: (&str, &str) = ("more than 1000 AND and OR", "lebih dari 1000 AND dan OR");

/// Filters that overflowed a 2 MiB stack before the limits (measured in a debug build: about
/// 365 parentheses, 730 nested calls, 1,800 `NOT` or signs, 920 chained `=`, 2,200 chained
/// `+`, 3,900 chained `OR`) or kept a worker busy for hours, and the limit each now meets.
fn deep_cases() -> Vec<(
    &'static str,
    String,
    &'static str,
    (&'static str, &'static str),
)> {
    vec![
        (
            "370 parentheses",
            format!("{}name = 'a'{}", "(".repeat(370), ")".repeat(370)),
            "cql2-text",
            NESTED,
        ),
        (
            "1,800 NOT",
            format!("{}name = 'a'", "NOT ".repeat(1800)),
            "cql2-text",
            NESTED,
        ),
        (
            "1,800 unary minus",
            format!("kdb_max = {}1", "-".repeat(1800)),
            "cql2-text",
            NESTED,
        ),
        (
            "1,800 unary minus with spaces",
            format!("kdb_max = {}kdb_max", "- ".repeat(1800)),
            "cql2-text",
            NESTED,
        ),
        (
            "800 nested function calls",
            format!("{}name{} = 'a'", "CASEI(".repeat(800), ")".repeat(800)),
            "cql2-text",
            NESTED,
        ),
        (
            "1,000 chained =",
            format!("kdb_max{}", " = 1".repeat(1000)),
            "cql2-text",
            NESTED,
        ),
        (
            "2,400 chained +",
            format!("kdb_max = 1{}", "+1".repeat(2400)),
            "cql2-text",
            NESTED,
        ),
        (
            "1,100 chained OR (fits in an address)",
            format!("plan_active{}", " OR x".repeat(1100)),
            "cql2-text",
            AND_OR,
        ),
        (
            "4,200 chained OR",
            format!("plan_active{}", " OR plan_active".repeat(4200)),
            "cql2-text",
            AND_OR,
        ),
        (
            // The parser's backtracking doubles with each parenthesis around a mistake: this
            // one took hours before the limit on its work.
            "40 parentheses around a mistake",
            format!("{}name = 'a' xyz{}", "(".repeat(40), ")".repeat(40)),
            "cql2-text",
            TOO_COMPLEX,
        ),
        // As deep as serde_json reads (it stops at 128 levels of arrays and objects).
        ("62 nested JSON not", json_nots(62), "cql2-json", NESTED),
        (
            "1,000 nested JSON not",
            json_nots(1000),
            "cql2-json",
            NESTED,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_filters_answer_400_and_the_server_keeps_answering() {
    let (base, _pool) = serve().await;
    let c = client();
    still_answers(&c, &base).await;
    for path in [
        "/collections/zones/items?limit=1&",
        "/api/exports/zones?format=GeoJSON&",
    ] {
        for (what, filter, lang, (needle_en, needle_id)) in deep_cases() {
            let url = format!("{base}{path}filter-lang={lang}&filter={}", enc(&filter));
            let (s, ct, b) = get(&c, &url).await;
            let body = String::from_utf8_lossy(&b);
            // An address over the limit never reaches the parser: 414 (the chain itself is
            // refused by `to_sql`, which `ruang export --filter` uses, see the fuzz tests).
            if url.len() - base.len() > ruang::http::guard::MAX_URI_BYTES {
                assert_eq!(s, 414, "{path} {what}: {body}");
                assert_eq!(ct, "application/problem+json", "{path} {what}");
                still_answers(&c, &base).await;
                continue;
            }
            assert_eq!(s, 400, "{path} {what}: {body}");
            assert_eq!(ct, "application/problem+json", "{path} {what}");
            let p: Value = serde_json::from_slice(&b).unwrap();
            let (id, en) = (
                p["detail"].as_str().unwrap_or_default(),
                p["detail_en"].as_str().unwrap_or_default(),
            );
            assert!(
                en.contains(needle_en) && id.contains(needle_id),
                "{path} {what}: {p}"
            );
            still_answers(&c, &base).await;
        }
    }
    // The limit itself: 64 levels are read, 65 are not.
    let at = |n: usize| format!("{}name = 'a'{}", "(".repeat(n), ")".repeat(n));
    let (s, _, b) = get(
        &c,
        &format!(
            "{base}/collections/zones/items?limit=1&filter={}",
            enc(&at(64))
        ),
    )
    .await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    let (s, _, b) = get(
        &c,
        &format!(
            "{base}/collections/zones/items?limit=1&filter={}",
            enc(&at(65))
        ),
    )
    .await;
    assert_eq!(s, 400, "{}", String::from_utf8_lossy(&b));
}

/// Bodies nested as deep as serde_json reads (128) and deeper, on the routes that take JSON
/// from clients: each is a 4xx, never a crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_bodies_are_refused_without_a_crash() {
    let (base, pool) = serve().await;
    let c = client();
    let planner = {
        let secret = format!("tok-{}", uuid::Uuid::new_v4());
        sqlx::query(
            "WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ($1, '$argon2id$v=19$test', 'planner') RETURNING id) \
             INSERT INTO api_tokens (user_id, token_hash) SELECT id, $2 FROM u",
        )
        .bind(format!("{}@kupang.test", uuid::Uuid::new_v4()))
        .bind(ruang::auth::token_hash(&secret))
        .execute(&pool)
        .await
        .unwrap();
        format!("Bearer {secret}")
    };
    let arrays = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let collections = |n: usize| {
        format!(
            "{}{{\"type\":\"Point\",\"coordinates\":[123.6,-10.17]}}{}",
            "{\"type\":\"GeometryCollection\",\"geometries\":[".repeat(n),
            "]}".repeat(n)
        )
    };
    for n in [126, 127, 128, 129, 5000] {
        let bodies = [
            (
                "/api/check",
                format!("{{\"kbli\":\"47111\",\"parcel\":{}}}", arrays(n)),
            ),
            ("/api/check", format!("{{\"parcel\":{}}}", objects(n))),
            (
                "/api/check",
                format!("{{\"parcel\":{}}}", collections(n / 2)),
            ),
            (
                "/collections/zones/items",
                format!(
                    "{{\"type\":\"Feature\",\"properties\":{{}},\"geometry\":{}}}",
                    collections(n / 2)
                ),
            ),
            (
                "/collections/zones/items",
                format!(
                    "{{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}}",
                    objects(n)
                ),
            ),
            (
                "/api/waste/reports",
                format!(
                    "{{\"category\":\"plastik\",\"point\":{}}}",
                    collections(n / 2)
                ),
            ),
            ("/api/auth/login", arrays(n)),
        ];
        for (route, body) in bodies {
            let (s, b) = post(
                &c,
                &format!("{base}{route}"),
                &[
                    ("content-type", "application/json"),
                    ("authorization", &planner),
                ],
                body,
            )
            .await;
            assert!(
                (400..500).contains(&s),
                "{route} at depth {n}: {s} {}",
                String::from_utf8_lossy(&b)
            );
        }
        still_answers(&c, &base).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz
// ---------------------------------------------------------------------------------------------

/// xorshift64*: small, seeded, good enough to pick shapes and positions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    /// A nesting depth, often near the limit of 64, sometimes far past it.
    fn depth(&mut self, far: usize) -> usize {
        match self.below(4) {
            0 => self.below(8),
            1 => 58 + self.below(14),
            2 => self.below(200),
            _ => self.below(far + 1),
        }
    }
}

/// Conditions on the zones collection that translate.
const CONDITIONS: &[&str] = &[
    "name = 'a'",
    "subzone_code = 'R-2'",
    "kdb_max >= 60",
    "klb_max BETWEEN 1 AND 2.5",
    "name IS NULL",
    "NOT plan_active",
    "plan_active",
    "CASEI(subzone_code) = 'r-2'",
    "subzone_code IN ('R-2','K-1')",
    "subzone_code LIKE 'R-%'",
    "kdb_max + 1 > 2 * klb_max - -3",
    "S_INTERSECTS(geometry, POINT(123.6 -10.17))",
    "S_WITHIN(geometry, BBOX(123.5, -10.2, 123.7, -10.1))",
    "S_INTERSECTS(geometry, POLYGON((123.5 -10.2, 123.7 -10.2, 123.7 -10.1, 123.5 -10.2)))",
    "name = 'Jum''at'",
    "\"name\" = 'a(('",
];

const SNIPPETS: &[&str] = &[
    "(",
    ")",
    "NOT ",
    "not",
    "-",
    "+",
    "'",
    "\"",
    " AND ",
    " OR ",
    ",",
    "=",
    " ",
    "ä",
    "\\",
    "((((",
    "))))",
    "NOT NOT NOT ",
    "- - -",
    "''",
    "\"\"",
    "BBOX(",
    "POINT(",
    "*",
    "/",
    "^",
    "IS NULL",
    "BETWEEN",
    "IN (",
    "%",
    "TIMESTAMP(",
    "INTERVAL(",
    "..",
];

/// A random condition tree of bounded depth over [`CONDITIONS`].
fn tree(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(3) == 0 {
        return rng.pick(CONDITIONS).to_string();
    }
    match rng.below(4) {
        0 => format!("NOT ({})", tree(rng, depth - 1)),
        1 => format!("({})", tree(rng, depth - 1)),
        2 => format!("{} AND {}", tree(rng, depth - 1), tree(rng, depth - 1)),
        _ => format!("({} OR {})", tree(rng, depth - 1), tree(rng, depth - 1)),
    }
}

/// One cql2-text case: a shape, then up to three mutations. `max_len` bounds the flat chains.
fn text_case(rng: &mut Rng, max_len: usize) -> String {
    let c = rng.pick(CONDITIONS);
    let far = 3000;
    let chain = |rng: &mut Rng, unit: usize| 1 + rng.below(max_len / unit);
    let mut s = match rng.below(14) {
        0 | 1 => tree(rng, 6),
        2 => {
            let n = rng.depth(far);
            format!("{}{c}{}", "(".repeat(n), ")".repeat(n))
        }
        3 => format!("{}{c}", "NOT ".repeat(rng.depth(far))),
        4 => format!("kdb_max = {}1", "-".repeat(rng.depth(far))),
        5 => {
            let n = rng.depth(far);
            format!("kdb_max > {}1{}", "-(".repeat(n), ")".repeat(n))
        }
        6 => {
            // NOT and parentheses mixed.
            let mut s = String::new();
            let mut open = 0;
            for _ in 0..rng.depth(far) {
                match rng.below(3) {
                    0 => s.push_str("NOT "),
                    1 => {
                        s.push('(');
                        open += 1;
                    }
                    _ => {
                        s.push_str("NOT (");
                        open += 1;
                    }
                }
            }
            format!("{s}{c}{}", ")".repeat(open))
        }
        7 => {
            let n = rng.depth(far);
            format!("{}name{} = 'a'", "CASEI(".repeat(n), ")".repeat(n))
        }
        8 => format!("{c}{}", format!(" AND {c}").repeat(chain(rng, c.len() + 5))),
        9 => format!("{c}{}", format!(" OR {c}").repeat(chain(rng, c.len() + 4))),
        10 => format!("kdb_max = 1{}", "+1".repeat(chain(rng, 2))),
        11 => format!("kdb_max{}", " = 1".repeat(chain(rng, 4))),
        12 => {
            let n = rng.depth(far);
            format!(
                "S_INTERSECTS(geometry, {}POINT(123.6 -10.17){})",
                "GEOMETRYCOLLECTION(".repeat(n),
                ")".repeat(n)
            )
        }
        _ => format!(
            "S_INTERSECTS(geometry, BBOX(123.5{}, -10.2, 123.7, -10.1))",
            "+0".repeat(chain(rng, 2))
        ),
    };
    for _ in 0..rng.below(4) {
        mutate(rng, &mut s, SNIPPETS);
    }
    s.truncate(s.floor_char_boundary(max_len));
    s
}

fn mutate(rng: &mut Rng, s: &mut String, snippets: &[&str]) {
    let at = s.floor_char_boundary(rng.below(s.len() + 1));
    match rng.below(4) {
        0 => s.truncate(at),
        1 => {
            // A run of the same snippet, to make something deep out of something flat.
            let snip = rng.pick(snippets).repeat(1 + rng.below(100));
            s.insert_str(at, &snip);
        }
        2 => {
            let end = s.floor_char_boundary(at + rng.below(64));
            s.replace_range(at..end, "");
        }
        _ => {
            let snip = rng.pick(snippets);
            s.insert_str(at, snip);
        }
    }
}

const JSON_CONDITIONS: &[&str] = &[
    r#"{"op":"=","args":[{"property":"name"},"a"]}"#,
    r#"{"op":">=","args":[{"property":"kdb_max"},60]}"#,
    r#"{"op":"not","args":[{"property":"plan_active"}]}"#,
    r#"{"op":"in","args":[{"property":"subzone_code"},["R-2","K-1"]]}"#,
    r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[123.5,-10.2,123.7,-10.1]}]}"#,
    r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[123.6,-10.17]}]}"#,
    r#"{"op":"t_after","args":[{"property":"updated_at"},{"timestamp":"2025-01-01T00:00:00Z"}]}"#,
];

const JSON_SNIPPETS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "\"",
    ",",
    ":",
    "{\"op\":\"not\",\"args\":[",
    "[[[[",
    "{\"a\":",
    "\\",
    "null",
    "1e999",
    "-",
    "\"op\"",
];

fn json_case(rng: &mut Rng, max_len: usize) -> String {
    let c = rng.pick(JSON_CONDITIONS);
    let far = 3000;
    let mut s = match rng.below(7) {
        0 => {
            let n = rng.depth(far);
            format!(
                "{}{c}{}",
                "{\"op\":\"not\",\"args\":[".repeat(n),
                "]}".repeat(n)
            )
        }
        1 => {
            let n = rng.depth(far);
            format!("{}{c}{}", "[".repeat(n), "]".repeat(n))
        }
        2 => {
            let n = rng.depth(far);
            format!(
                "{{\"op\":\">\",\"args\":[{{\"property\":\"kdb_max\"}},{}1{}]}}",
                "{\"op\":\"+\",\"args\":[1,".repeat(n),
                "]}".repeat(n)
            )
        }
        3 => {
            let n = 1 + rng.below(max_len / (c.len() + 1));
            format!(
                "{{\"op\":\"and\",\"args\":[{c}{}]}}",
                format!(",{c}").repeat(n - 1)
            )
        }
        4 => {
            let n = rng.depth(far);
            format!(
                "{{\"op\":\"s_intersects\",\"args\":[{{\"property\":\"geometry\"}},{}{{\"type\":\"Point\",\"coordinates\":[123.6,-10.17]}}{}]}}",
                "{\"type\":\"GeometryCollection\",\"geometries\":[".repeat(n),
                "]}".repeat(n)
            )
        }
        _ => {
            // A random tree of and/or/not.
            let mut s = c.to_string();
            for _ in 0..rng.depth(200) {
                let other = rng.pick(JSON_CONDITIONS);
                s = match rng.below(3) {
                    0 => format!("{{\"op\":\"not\",\"args\":[{s}]}}"),
                    1 => format!("{{\"op\":\"and\",\"args\":[{s},{other}]}}"),
                    _ => format!("{{\"op\":\"or\",\"args\":[{other},{s}]}}"),
                };
            }
            s
        }
    };
    for _ in 0..rng.below(4) {
        mutate(rng, &mut s, JSON_SNIPPETS);
    }
    s.truncate(s.floor_char_boundary(max_len));
    s
}

/// Whether `e` is the refusal naming `limit`, in both languages.
fn names(e: &Cql2Error, limit: (&str, &str)) -> bool {
    e.to_string().contains(limit.0) && e.detail_id().contains(limit.1)
}

/// `to_sql` on random, deep and mutated filters, on a thread with a 2 MiB stack like a tokio
/// worker's: always `Ok` or a `Cql2Error`, never a panic or an abort; nesting past the limit is
/// refused naming it.
#[test]
fn random_and_deep_filters_translate_or_fail_cleanly_on_a_2_mib_stack() {
    let queryables = ruang::ogc::collections::find("zones").unwrap().queryables();
    let worker = std::thread::Builder::new()
        .name("fuzz-2mib".into())
        .stack_size(2 << 20)
        .spawn(move || {
            let seed = 0x5EED_C0DE_2026_0016u64;
            let mut rng = Rng(seed);
            let started = Instant::now();
            let (mut ok, mut refused, mut too_deep) = (0, 0, 0);
            // The fixed regression cases first, then random ones for at most 60 s.
            for (what, f, lang, limit) in deep_cases() {
                let lang = FilterLang::parse(lang).unwrap();
                match to_sql(&f, lang, &queryables, Crs::Crs84) {
                    Err(e) if names(&e, limit) => {}
                    other => panic!("{what}: {other:?}"),
                }
            }
            for _ in 0..10_000 {
                if started.elapsed() > Duration::from_secs(60) {
                    break;
                }
                // Up to the translator's 256 KiB limit, and a little past it.
                let max_len = match rng.below(4) {
                    0 => 270 * 1024,
                    1 => 64 * 1024,
                    _ => 4096,
                };
                let (f, lang) = if rng.below(3) == 0 {
                    (json_case(&mut rng, max_len), FilterLang::Json)
                } else {
                    (text_case(&mut rng, max_len), FilterLang::Text)
                };
                match to_sql(&f, lang, &queryables, Crs::Crs84) {
                    Ok(_) => ok += 1,
                    Err(e) if [NESTED, AND_OR, TOO_COMPLEX].iter().any(|l| names(&e, *l)) => {
                        too_deep += 1
                    }
                    Err(_) => refused += 1,
                }
            }
            (ok, refused, too_deep, started.elapsed())
        })
        .unwrap();
    let (ok, refused, too_deep, took) = worker
        .join()
        .expect("to_sql panicked on a fuzz input (see above)");
    eprintln!("fuzz: {ok} ok, {too_deep} over a limit, {refused} refused otherwise, in {took:?}");
    assert!(
        ok > 100 && too_deep > 100 && refused > 100,
        "the generator covers all three"
    );
}

/// The deepest filters the limits let through, and the first ones they refuse, on a thread
/// with half a tokio worker's stack: the limits leave at least half of it to spare.
#[test]
fn the_deepest_filters_allowed_fit_in_half_a_worker_stack() {
    let queryables = ruang::ogc::collections::find("zones").unwrap().queryables();
    let or_chain = |n: usize| " OR name = 'a'".repeat(n);
    let polygon = {
        // A kelurahan-sized outline: 10,000 vertices (230 KB), every latitude negative.
        let ring: Vec<String> = (0..10_000)
            .map(|i| {
                let t = i as f64 / 10_000.0 * std::f64::consts::TAU;
                format!(
                    "{:.6} {:.6}",
                    123.6 + 0.01 * t.cos(),
                    -10.17 + 0.01 * t.sin()
                )
            })
            .collect();
        format!(
            "S_INTERSECTS(geometry, POLYGON(({}, {})))",
            ring.join(", "),
            ring[0]
        )
    };
    let t = FilterLang::Text;
    let j = FilterLang::Json;
    let cases: Vec<(&str, String, FilterLang, bool)> = vec![
        (
            "64 parentheses",
            format!("{}name = 'a'{}", "(".repeat(64), ")".repeat(64)),
            t,
            true,
        ),
        (
            "65 parentheses",
            format!("{}name = 'a'{}", "(".repeat(65), ")".repeat(65)),
            t,
            false,
        ),
        (
            "63 NOT",
            format!("{}name = 'a'", "NOT ".repeat(63)),
            t,
            true,
        ),
        (
            "64 NOT",
            format!("{}name = 'a'", "NOT ".repeat(64)),
            t,
            false,
        ),
        (
            "63 CASEI",
            format!("{}name{} = 'a'", "CASEI(".repeat(63), ")".repeat(63)),
            t,
            true,
        ),
        (
            "63 chained +",
            format!("kdb_max = 1{}", "+1".repeat(63)),
            t,
            true,
        ),
        (
            "64 chained =",
            format!("kdb_max{}", " = 1".repeat(64)),
            t,
            false,
        ),
        (
            "signs and parentheses",
            format!("kdb_max > {}1{}", "-(".repeat(32), ")".repeat(32)),
            t,
            true,
        ),
        (
            "1,000 AND",
            format!("name = 'a'{}", " AND name = 'a'".repeat(1000)),
            t,
            true,
        ),
        (
            "1,001 OR",
            format!("name = 'a'{}", or_chain(1001)),
            t,
            false,
        ),
        (
            "999 OR inside 63 parentheses",
            format!(
                "{}name = 'a'{}{}",
                "(".repeat(63),
                or_chain(999),
                ")".repeat(63)
            ),
            t,
            true,
        ),
        (
            "999 OR under 32 NOT inside 31 parentheses",
            format!(
                "{}{}name = 'a'{}{}",
                "(".repeat(31),
                "NOT ".repeat(32),
                or_chain(999),
                ")".repeat(31)
            ),
            t,
            true,
        ),
        (
            "63 nested OR",
            format!(
                "{}plan_active{}",
                "(plan_active OR ".repeat(63),
                ")".repeat(63)
            ),
            t,
            true,
        ),
        ("a polygon of 10,000 vertices", polygon, t, true),
        ("30 nested JSON not", json_nots(30), j, true),
        ("31 nested JSON not", json_nots(31), j, false),
        (
            "31 nested JSON +",
            format!(
                "{{\"op\":\">\",\"args\":[{{\"property\":\"kdb_max\"}},{}1{}]}}",
                "{\"op\":\"+\",\"args\":[1,".repeat(31),
                "]}".repeat(31)
            ),
            j,
            true,
        ),
        (
            "64 JSON arrays",
            format!("{}1{}", "[".repeat(64), "]".repeat(64)),
            j,
            false,
        ),
    ];
    let worker = std::thread::Builder::new()
        .name("limits-1mib".into())
        .stack_size(1 << 20)
        .spawn(move || {
            for (what, f, lang, want_ok) in cases {
                let got = to_sql(&f, lang, &queryables, Crs::Crs84);
                assert_eq!(got.is_ok(), want_ok, "{what}: {got:?}");
            }
        })
        .unwrap();
    worker.join().expect("a case failed (see above)");
}

/// The same kind of inputs over HTTP, on the items and the export routes: only 200 or 4xx,
/// and the server answers throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_deep_filters_over_http_are_200_or_4xx() {
    let (base, _pool) = serve().await;
    let c = client();
    let mut rng = Rng(0x00F1_17E2_0016);
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::new();
    for case in 0..1000 {
        if started.elapsed() > Duration::from_secs(90) {
            break;
        }
        // URLs stay under hyper's 64 KiB request-target limit (longer ones are 414 anyway).
        let (f, lang) = if rng.below(3) == 0 {
            (json_case(&mut rng, 12 * 1024), "cql2-json")
        } else {
            (text_case(&mut rng, 16 * 1024), "cql2-text")
        };
        // Exports write a file with GDAL, so only one case in ten goes there.
        let path = if case % 10 == 0 {
            "/api/exports/zones?format=GeoJSON&"
        } else {
            "/collections/zones/items?limit=2&"
        };
        let url = format!("{base}{path}filter-lang={lang}&filter={}", enc(&f));
        let (s, ct, b) = get(&c, &url).await;
        assert!(
            s == 200 || (400..500).contains(&s),
            "case {case} {path} {lang} {}: {s} {}",
            clip(&f),
            String::from_utf8_lossy(&b)
        );
        if s != 200 {
            assert_eq!(ct, "application/problem+json", "case {case}: {}", clip(&f));
        }
        *statuses.entry(s).or_insert(0) += 1;
        if case % 50 == 0 {
            still_answers(&c, &base).await;
        }
    }
    still_answers(&c, &base).await;
    eprintln!("http fuzz: {statuses:?} in {:?}", started.elapsed());
    assert!(statuses.get(&200).is_some_and(|n| *n > 10), "{statuses:?}");
    assert!(statuses.get(&400).is_some_and(|n| *n > 10), "{statuses:?}");
}
