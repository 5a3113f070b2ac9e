//! The embedded cluster and the command line, driven through the real `ruang` binary.
//!
//! Each test keeps its cluster in a folder of its own under /tmp (reachable by the postgres
//! user when the tests run as root) and checks the process table afterwards.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const RUANG: &str = env!("CARGO_BIN_EXE_ruang");

/// A scratch folder under /tmp, removed (with any cluster in it stopped) on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(format!("/tmp/ruang-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o755);
        Scratch(dir)
    }
    fn pg(&self) -> PathBuf {
        self.0.join("pg")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = ruang(
            &["db", "stop", "--data-dir", self.pg().to_str().unwrap()],
            &[],
        );
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(RUANG);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RUANG_DATA_DIR")
        .env_remove("RUANG_CONFIG")
        .env("RUANG_LOG", "info,sqlx=warn")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn ruang(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().expect("run ruang")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// Pids of processes whose working folder is `dir`: the postmaster and every backend of a
/// cluster chdir into their data folder.
fn processes_in(dir: &Path) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(cwd) = std::fs::read_link(entry.path().join("cwd"))
            && cwd == dir
        {
            pids.push(pid);
        }
    }
    pids
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(url: &str) -> Option<(u16, serde_json::Value)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let res = reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?;
        let status = res.status().as_u16();
        Some((status, res.json().await.ok()?))
    })
}

fn sigterm(child: &Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("ruang did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `ruang serve` on a free port and waits until `/readyz` answers 200.
fn serve(scratch: &Scratch, config: &Path) -> (Child, String) {
    serve_logging(scratch, config, Stdio::piped())
}

/// [`serve`] with its log (stderr) going to `log`: a test that makes many requests must not
/// pipe it, or the server blocks once the unread pipe is full.
fn serve_logging(scratch: &Scratch, config: &Path, log: Stdio) -> (Child, String) {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = command(
        &[
            "serve",
            "--bind",
            &bind,
            "--data-dir",
            scratch.pg().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    )
    .stdout(Stdio::null())
    .stderr(log)
    .spawn()
    .unwrap();
    let base = format!("http://{bind}");
    let start = Instant::now();
    loop {
        if let Some((200, _)) = get(&format!("{base}/readyz")) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                e.read_to_string(&mut err).unwrap();
            }
            panic!("ruang serve exited early ({status}): {err}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "ruang serve did not become ready"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (child, base)
}

fn stop_server(mut child: Child) -> String {
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "ruang serve exited with {status}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn serve_starts_the_cluster_loads_the_demo_stops_cleanly_and_reuses_the_data() {
    let scratch = Scratch::new("serve");
    let config = scratch.0.join("ruang.toml");
    // A small demo keeps the test quick; the full-size load has its own test.
    std::fs::write(&config, "[demo]\nscale = 0.1\nseed = 3\n").unwrap();

    let out = ruang(
        &["db", "status", "--data-dir", scratch.pg().to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("no cluster"));

    let (child, base) = serve(&scratch, &config);
    let (status, ready) = get(&format!("{base}/readyz")).unwrap();
    assert_eq!(status, 200);
    assert_eq!(ready["migrations"], "current");
    let (_, landing) = get(&format!("{base}/")).unwrap();
    let kelurahan_first = landing["datasets"]["admin_areas"].as_i64().unwrap();
    let zones_first = landing["datasets"]["zones"].as_i64().unwrap();
    assert_eq!(kelurahan_first, 58, "1 kota + 6 kecamatan + 51 kelurahan");
    assert!(zones_first > 0);
    // The socket lives inside the data folder and no TCP port is opened by postgres.
    assert!(scratch.pg().join(".s.PGSQL.5432").exists());
    let conf = std::fs::read_to_string(scratch.pg().join("ruang.conf")).unwrap();
    assert!(conf.contains("listen_addresses = ''"), "{conf}");
    assert!(!processes_in(&scratch.pg()).is_empty());

    let log = stop_server(child);
    assert!(log.contains("loading the Kupang demo city"), "{log}");
    wait_until("postgres to exit", Duration::from_secs(20), || {
        processes_in(&scratch.pg()).is_empty()
    });
    let out = ruang(
        &["db", "status", "--data-dir", scratch.pg().to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).starts_with("stopped"));

    // Second start: same data, no second demo load.
    let (child, base) = serve(&scratch, &config);
    let (_, landing) = get(&format!("{base}/")).unwrap();
    assert_eq!(landing["datasets"]["zones"].as_i64().unwrap(), zones_first);
    let log = stop_server(child);
    assert!(!log.contains("loading the Kupang demo city"), "{log}");
    wait_until("postgres to exit", Duration::from_secs(20), || {
        processes_in(&scratch.pg()).is_empty()
    });
}

#[test]
fn db_commands_manage_the_cluster_and_recover_from_a_crash() {
    let scratch = Scratch::new("db");
    let dir = scratch.pg();
    let d = dir.to_str().unwrap();

    let out = ruang(&["db", "start", "--data-dir", d], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ruang(&["db", "status", "--data-dir", d], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("running"));

    // The printed URL works with psql, and PostGIS is available in it.
    let url = text(&ruang(&["db", "url", "--data-dir", d], &[]).stdout)
        .trim()
        .to_string();
    assert!(url.starts_with("postgresql://"), "{url}");
    let out = Command::new("psql")
        .args([
            url.as_str(),
            "-qAtc",
            "CREATE EXTENSION IF NOT EXISTS postgis; SELECT postgis_lib_version()",
        ])
        .output()
        .expect("psql is installed");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).trim().starts_with('3'),
        "{}",
        text(&out.stdout)
    );

    // Starting again reuses the running cluster.
    let out = ruang(&["db", "start", "--data-dir", d], &[]);
    assert!(text(&out.stdout).contains("already running"));

    // Crash: every process of the cluster dies at once, leaving postmaster.pid behind.
    for pid in processes_in(&dir) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    wait_until(
        "the killed cluster to vanish",
        Duration::from_secs(20),
        || processes_in(&dir).is_empty(),
    );
    assert!(dir.join("postmaster.pid").exists());
    let out = ruang(&["db", "start", "--data-dir", d], &[]);
    assert!(
        out.status.success(),
        "restart after crash: {}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("started"));

    // A stale pid file naming a live process that is not postgres (pid reuse) is recovered too.
    let out = ruang(&["db", "stop", "--data-dir", d], &[]);
    assert!(out.status.success());
    let own_pid = std::process::id();
    std::fs::write(dir.join("postmaster.pid"), format!("{own_pid}\n{d}\n")).unwrap();
    let out = ruang(&["db", "start", "--data-dir", d], &[]);
    assert!(out.status.success(), "stale pid: {}", text(&out.stderr));
    let out = ruang(&["db", "stop", "--data-dir", d], &[]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("stopped"));
    wait_until("postgres to exit", Duration::from_secs(20), || {
        processes_in(&dir).is_empty()
    });
}

fn assert_one_clear_line(out: &Output, expect: &str) {
    let err = text(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {err}");
    assert!(
        lines[0].contains(expect),
        "expected {expect:?} in the error line: {err}"
    );
}

#[test]
fn an_unreachable_database_url_fails_fast_with_one_line() {
    let start = Instant::now();
    let out = ruang(
        &["migrate"],
        &[("DATABASE_URL", "postgresql://postgres:pw@127.0.0.1:1/ruang")],
    );
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_one_clear_line(&out, "cannot connect to the database");
    let err = text(&out.stderr);
    assert!(err.contains("DATABASE_URL"), "says what to check: {err}");
    assert!(!err.contains(":pw@"), "password must be redacted: {err}");
}

#[test]
fn a_port_in_use_is_reported_before_any_database_starts() {
    let scratch = Scratch::new("port");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let out = ruang(
        &[
            "serve",
            "--bind",
            &bind,
            "--data-dir",
            scratch.pg().to_str().unwrap(),
        ],
        &[],
    );
    assert_one_clear_line(&out, "already in use");
    assert!(text(&out.stderr).contains("--bind"));
    assert!(!scratch.pg().exists(), "no cluster may be created");
}

#[test]
fn an_unusable_data_folder_is_reported() {
    let scratch = Scratch::new("unwritable");
    // A folder below a plain file can never be created.
    let file = scratch.0.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = ruang(
        &[
            "db",
            "start",
            "--data-dir",
            file.join("pg").to_str().unwrap(),
        ],
        &[],
    );
    assert_one_clear_line(&out, "cannot create the data folder");
    assert!(text(&out.stderr).contains("--data-dir"));

    if nix::unistd::Uid::effective().is_root() {
        // As root the database runs as `postgres`, which cannot enter a root-only folder.
        let closed = scratch.0.join("closed");
        std::fs::create_dir(&closed).unwrap();
        set_mode(&closed, 0o700);
        let out = ruang(
            &[
                "db",
                "start",
                "--data-dir",
                closed.join("pg").to_str().unwrap(),
            ],
            &[],
        );
        assert_one_clear_line(&out, "cannot be written by the `postgres` system user");
    } else {
        let ro = scratch.0.join("readonly");
        std::fs::create_dir(&ro).unwrap();
        set_mode(&ro, 0o555);
        let out = ruang(
            &["db", "start", "--data-dir", ro.join("pg").to_str().unwrap()],
            &[],
        );
        assert_one_clear_line(&out, "cannot create the data folder");
    }
}

#[test]
fn missing_server_programs_are_reported_with_what_to_install() {
    let scratch = Scratch::new("noinitdb");
    let empty = scratch.0.join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let out = ruang(
        &["db", "start", "--data-dir", scratch.pg().to_str().unwrap()],
        &[("RUANG_PG_BINDIR", empty.to_str().unwrap())],
    );
    assert_one_clear_line(
        &out,
        "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found",
    );
    let err = text(&out.stderr);
    assert!(err.contains("apt-get install"), "{err}");
    assert!(err.contains("DATABASE_URL"), "{err}");
}

#[test]
fn a_config_file_with_an_unknown_key_stops_with_its_name() {
    let scratch = Scratch::new("config");
    let config = scratch.0.join("ruang.toml");
    std::fs::write(&config, "bind = \"127.0.0.1:9\"\ndemo_sclae = 3\n").unwrap();
    let out = ruang(&["config", "--config", config.to_str().unwrap()], &[]);
    assert_one_clear_line(&out, "demo_sclae");
}

/// One probe of the outage test: a route a user relies on, and what it answers when all is well.
struct Probe {
    name: &'static str,
    method: &'static str,
    path: String,
    body: Option<serde_json::Value>,
    token: bool,
}

/// One answer seen under load.
struct Seen {
    probe: &'static str,
    phase: u8,
    status: u16,
    problem: bool,
    retry_after: bool,
    rule_set: Option<String>,
    created: Option<String>,
}

const UP: u8 = 0;
const DOWN: u8 = 1;
const BACK: u8 = 2;

async fn send_probe(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    p: &Probe,
) -> Result<(u16, reqwest::header::HeaderMap, serde_json::Value), String> {
    let mut r = client.request(p.method.parse().unwrap(), format!("{base}{}", p.path));
    if p.token {
        r = r.bearer_auth(token);
    }
    if let Some(b) = &p.body {
        r = r.json(b);
    }
    let res = r.send().await.map_err(|e| format!("{}: {e:?}", p.name))?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| format!("{}: {e:?}", p.name))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok((status, headers, body))
}

/// The database stops under load and comes back: every route answers (503 problem+json with
/// `Retry-After` where it needs the database, `/api/check` from the rule set it holds, marked
/// stale), never a 500 or a dropped connection; after the restart every route answers again
/// within 2 s without restarting ruang, the rule set is current again, and no application was
/// half written.
#[test]
fn a_database_outage_answers_503_and_recovers_without_a_restart() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

    let scratch = Scratch::new("outage");
    let config = scratch.0.join("ruang.toml");
    std::fs::write(&config, "[demo]\nscale = 0.1\nseed = 3\n").unwrap();
    let d = scratch.pg().to_str().unwrap().to_string();
    // The cluster is started apart from the server, so the test can stop it under the server.
    let out = ruang(&["db", "start", "--data-dir", &d], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log_path = scratch.0.join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (child, base) = serve_logging(&scratch, &config, Stdio::from(log));
    // Killed if the test fails half-way, so no server is left behind.
    struct Running(Option<Child>);
    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(c) = &mut self.0 {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    let mut running = Running(Some(child));

    // An applicant with an API token.
    let mut add = command(
        &[
            "user",
            "add",
            "--email",
            "tahan@example.id",
            "--role",
            "pemohon",
            "--data-dir",
            &d,
        ],
        &[],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    {
        use std::io::Write;
        let mut stdin = add.stdin.take().unwrap();
        stdin.write_all(b"kata-sandi-tahan\n").unwrap();
    }
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ruang(
        &[
            "token",
            "create",
            "--email",
            "tahan@example.id",
            "--data-dir",
            &d,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    let url = text(&ruang(&["db", "url", "--data-dir", &d], &[]).stdout)
        .trim()
        .to_string();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let pool = ruang::db::connect(&url, 2, Duration::from_secs(10)).await.unwrap();
        let parcel = common::housing_parcel(&pool, 0).await;
        let (tx, ty): (i32, i32) = sqlx::query_as(
            "WITH c AS (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p FROM zones ORDER BY id LIMIT 1)
             SELECT floor((ST_X(p) + 180) / 360 * 16384)::int,
                    floor((1 - ln(tan(radians(ST_Y(p))) + 1 / cos(radians(ST_Y(p)))) / pi()) / 2 * 16384)::int
               FROM c",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        let draft = common::draft_body(parcel.clone());
        let probes = Arc::new(vec![
            Probe { name: "items", method: "GET", path: "/collections/zones/items?limit=3".into(), body: None, token: false },
            Probe { name: "applications", method: "GET", path: "/api/applications".into(), body: None, token: true },
            Probe { name: "create", method: "POST", path: "/api/applications".into(), body: Some(draft), token: true },
            Probe { name: "me", method: "GET", path: "/api/auth/me".into(), body: None, token: true },
            Probe {
                name: "login",
                method: "POST",
                path: "/api/auth/login".into(),
                body: Some(serde_json::json!({"email": "tahan@example.id", "password": "kata-sandi-tahan"})),
                token: false,
            },
            Probe {
                name: "check",
                method: "POST",
                path: "/api/check".into(),
                body: Some(serde_json::json!({"parcel": parcel, "kbli": "68111", "building": {"floors": 2}})),
                token: false,
            },
            Probe { name: "tile", method: "GET", path: format!("/tiles/zones/14/{tx}/{ty}"), body: None, token: false },
            Probe { name: "stunting", method: "GET", path: "/api/stunting".into(), body: None, token: false },
        ]);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let api: serde_json::Value = client
            .get(format!("{base}/api"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // All well before the outage.
        for p in probes.iter() {
            let (status, _, body) = send_probe(&client, &base, &token, p).await.unwrap();
            assert!(
                (200..300).contains(&status),
                "{} before the outage: {status} {body}",
                p.name
            );
        }

        let phase = Arc::new(AtomicU8::new(UP));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for w in 0..3usize {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            let (probes, phase, stop) = (probes.clone(), phase.clone(), stop.clone());
            workers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut i = w;
                // bounded: at most 20,000 requests per worker, and the test stops it
                while !stop.load(Ordering::SeqCst) && seen.len() < 20_000 {
                    let p = &probes[i % probes.len()];
                    i += 1;
                    let at = phase.load(Ordering::SeqCst);
                    let (status, headers, body) = send_probe(&client, &base, &token, p).await?;
                    seen.push(Seen {
                        probe: p.name,
                        phase: at.max(phase.load(Ordering::SeqCst)),
                        status,
                        problem: headers
                            .get("content-type")
                            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/problem+json")),
                        retry_after: headers.contains_key("retry-after"),
                        rule_set: headers
                            .get("ruang-rule-set")
                            .map(|v| v.to_str().unwrap_or("").to_string()),
                        created: (status == 201)
                            .then(|| body["id"].as_str().unwrap_or("").to_string()),
                    });
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok::<_, String>(seen)
            }));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let d2 = d.clone();
        let out = tokio::task::spawn_blocking(move || ruang(&["db", "stop", "--data-dir", &d2], &[]))
            .await
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        phase.store(DOWN, Ordering::SeqCst);
        let down_at = Instant::now();
        // Every documented GET route, anonymous and with the token: 503 problem+json where it
        // needs the database, never another 5xx.
        let mut swept = 0;
        for (path, item) in api["paths"].as_object().unwrap() {
            if item.get("get").is_none() {
                continue;
            }
            let url = format!("{base}{}", common::fill_path(path, None));
            for auth in [false, true] {
                let mut r = client.get(&url);
                if auth {
                    r = r.bearer_auth(&token);
                }
                let t = Instant::now();
                let res = r.send().await.unwrap_or_else(|e| panic!("{url}: {e:?}"));
                if t.elapsed() > Duration::from_millis(500) {
                    eprintln!("slow during the outage: {url} {:?}", t.elapsed());
                }
                let status = res.status().as_u16();
                let problem = res
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/problem+json"));
                assert!(status < 500 || status == 503, "{url} during the outage: {status}");
                if status >= 400 {
                    assert!(problem, "{url} during the outage: {status} not problem+json");
                }
                swept += 1;
            }
        }
        assert!(swept > 60, "{swept}");
        tokio::time::sleep(Duration::from_secs(3).saturating_sub(down_at.elapsed())).await;
        let d2 = d.clone();
        let out = tokio::task::spawn_blocking(move || ruang(&["db", "start", "--data-dir", &d2], &[]))
            .await
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let back_at = Instant::now();
        phase.store(BACK, Ordering::SeqCst);

        // Every route answers again within 2 s of the database being back.
        let mut pending: Vec<&Probe> = probes.iter().collect();
        while !pending.is_empty() && back_at.elapsed() < Duration::from_secs(10) {
            let mut still = Vec::new();
            for p in pending {
                let (status, _, _) = send_probe(&client, &base, &token, p).await.unwrap();
                if !(200..300).contains(&status) {
                    still.push(p);
                }
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let recovered = back_at.elapsed();
        eprintln!("every route answered again {recovered:?} after the database was back");
        assert!(
            pending.is_empty(),
            "still failing 10 s after the database came back: {:?}",
            pending.iter().map(|p| p.name).collect::<Vec<_>>()
        );
        assert!(
            recovered < Duration::from_secs(2),
            "every route answered again only after {recovered:?}"
        );
        // The rule set is rebuilt by itself (listener back, or the retry's backoff).
        let check = &probes[5];
        let start = Instant::now();
        loop {
            let (status, headers, body) = send_probe(&client, &base, &token, check).await.unwrap();
            assert_eq!(status, 200, "{body}");
            let rs = headers["ruang-rule-set"].to_str().unwrap().to_string();
            if rs.ends_with("current") {
                assert_eq!(body["rule_set"]["current"], true);
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "rule set still {rs}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
        let mut seen = Vec::new();
        for w in workers {
            seen.extend(w.await.unwrap().expect("no request failed without an answer"));
        }

        // Never a 5xx other than 503; every 503 is problem+json with Retry-After.
        for s in &seen {
            assert!(
                s.status < 500 || s.status == 503,
                "{} answered {} (phase {})",
                s.probe,
                s.status,
                s.phase
            );
            if s.status == 503 {
                assert!(s.problem && s.retry_after, "{}: 503 without problem+json/Retry-After", s.probe);
            }
        }
        let during: Vec<&Seen> = seen.iter().filter(|s| s.phase == DOWN).collect();
        assert!(during.len() > 20, "load during the outage: {}", during.len());
        for name in ["items", "applications", "create", "me", "login", "stunting"] {
            assert!(
                during.iter().any(|s| s.probe == name && s.status == 503),
                "{name} never answered 503 during the outage"
            );
        }
        // /api/check keeps answering from the rule set it holds, and says it is stale.
        let checks: Vec<&&Seen> = during.iter().filter(|s| s.probe == "check").collect();
        assert!(!checks.is_empty());
        for c in &checks {
            assert_eq!(c.status, 200, "check during the outage");
        }
        assert!(
            checks
                .iter()
                .any(|c| c.rule_set.as_deref().is_some_and(|r| r.contains("stale; since="))),
            "{:?}",
            checks.iter().map(|c| c.rule_set.clone()).collect::<Vec<_>>()
        );

        // No half-written application: each has its creation event, each 201 exists.
        let pool = ruang::db::connect(&url, 2, Duration::from_secs(10)).await.unwrap();
        let orphans: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM applications a
              WHERE NOT EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(orphans, 0, "applications without their creation event");
        let created: Vec<String> = seen.iter().filter_map(|s| s.created.clone()).collect();
        let found: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM applications WHERE id::text = ANY($1)",
        )
        .bind(&created)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(found as usize, created.len(), "every 201 was written");
        pool.close().await;
    });
    let mut child = running.0.take().unwrap();
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server kept running"
    );
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(status.success(), "ruang serve exited with {status}");
    assert!(!log.contains("panicked"), "{log}");
}
