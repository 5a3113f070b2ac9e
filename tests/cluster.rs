//! The embedded cluster and the command line, driven through the real `ruang` binary.
//!
//! Each test keeps its cluster in a folder of its own under /tmp (reachable by the postgres
//! user when the tests run as root) and checks the process table afterwards.

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
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
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
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
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
