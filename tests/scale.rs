//! Scaling out for real: a primary, a streaming hot standby made with `pg_basebackup`, and two
//! `ruang serve` nodes (A on the primary alone, B with the standby as its read replica).
//!
//! What it holds a user to:
//! - B reads tiles and items pages from the standby (its `/metrics` says so);
//! - a zone edited through A shows in B's tile within a bound, even while the standby has not
//!   replayed the edit (replay paused): B must not re-render from it (the LSN fence);
//! - with the standby stopped, B answers every tile and items page from the primary, no error.
//!
//! Clusters live under /tmp and listen only on Unix sockets inside their folders, so no TCP
//! port of PostgreSQL can collide with another test run; the HTTP ports are picked free.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const RUANG: &str = env!("CARGO_BIN_EXE_ruang");

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(format!("/tmp/ruang-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&dir, 0o755);
        Scratch(dir)
    }
    fn dir(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for d in ["standby", "primary", "restored"] {
            let p = self.dir(d);
            if p.exists() {
                let _ = ruang(&["db", "stop", "--data-dir", p.to_str().unwrap()], &[]);
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Servers started by the test, killed if it fails half-way.
struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
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
        .env_remove("RUANG_DATABASE_READ_URLS")
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

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ruang serve` on a free port with `args`, its log in `log`; waits for `/readyz`.
async fn serve(args: &[&str], env: &[(&str, &str)], log: &Path) -> (Child, String) {
    let bind = format!("127.0.0.1:{}", free_port());
    // The tiles here are the PostGIS path the read router sends to a standby; layers cut
    // in-process read their snapshot from the primary and are tested in tests/tiles_memory.rs.
    let mut all = vec!["serve", "--bind", &bind, "--tile-memory-bytes", "0"];
    all.extend_from_slice(args);
    let mut child = command(&all, env)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .unwrap();
    let base = format!("http://{bind}");
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "ruang serve exited early ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(start.elapsed() < Duration::from_secs(240), "not ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (child, base)
}

/// Runs a PostgreSQL client program as the user that runs the clusters.
fn pg_program(program: &str, args: &[&str]) -> Output {
    let bin = ruang::db::embedded::find_bin_dir(None)
        .unwrap()
        .join(program);
    let mut cmd = if nix::unistd::Uid::effective().is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    cmd.args(args).current_dir("/").output().unwrap()
}

/// One metric's value from a Prometheus text page (the first line whose name and labels start
/// with `prefix`), 0 when absent.
fn metric(page: &str, prefix: &str) -> f64 {
    page.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics(client: &reqwest::Client, url: &str) -> String {
    let r = client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    r.text().await.unwrap()
}

#[test]
fn two_nodes_a_streaming_standby_fence_and_fallback() {
    let scratch = Scratch::new("scale");
    let primary = scratch.dir("primary");
    let standby = scratch.dir("standby");
    let p = primary.to_str().unwrap().to_string();
    let s = standby.to_str().unwrap().to_string();
    let config_a = scratch.dir("a.toml");
    std::fs::write(&config_a, "[demo]\nscale = 0.1\nseed = 3\n").unwrap();

    // The primary, and node A on it (migrates and loads the demo city).
    ok(ruang(&["db", "start", "--data-dir", &p], &[]));
    let primary_url = ok(ruang(&["db", "url", "--data-dir", &p], &[]));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut nodes = Nodes(Vec::new());
    let (a, base_a) = rt.block_on(serve(
        &["--data-dir", &p, "--config", config_a.to_str().unwrap()],
        &[],
        &scratch.dir("a.log"),
    ));
    nodes.0.push(a);

    // A planner with a token, to edit zones through node A.
    let mut add = command(
        &[
            "user",
            "add",
            "--email",
            "perencana@example.id",
            "--role",
            "planner",
            "--data-dir",
            &p,
        ],
        &[],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"kata-sandi-perencana\n")
        .unwrap();
    ok(add.wait_with_output().unwrap());
    let token = ok(ruang(
        &[
            "token",
            "create",
            "--email",
            "perencana@example.id",
            "--data-dir",
            &p,
        ],
        &[],
    ));

    // The standby: a base backup of the primary with its WAL streamed, recovery settings
    // written (-R), started as a hot standby by `ruang db start`.
    std::fs::create_dir(&standby).unwrap();
    set_mode(&standby, 0o700);
    if nix::unistd::Uid::effective().is_root() {
        let pg = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        nix::unistd::chown(&standby, Some(pg.uid), Some(pg.gid)).unwrap();
    }
    let t = Instant::now();
    let out = pg_program(
        "pg_basebackup",
        &[
            "-D", &s, "-R", "-X", "stream", "-c", "fast", "-h", &p, "-U", "postgres",
        ],
    );
    assert!(
        out.status.success(),
        "pg_basebackup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("pg_basebackup took {:?}", t.elapsed());
    ok(ruang(&["db", "start", "--data-dir", &s], &[]));
    let standby_url = ok(ruang(&["db", "url", "--data-dir", &s], &[]));

    // Node B: the primary by URL, the standby as its read replica. A large lag bound, so
    // that only the fence can keep B off the standby while its replay is paused.
    let metrics_port = free_port();
    let config_b = scratch.dir("b.toml");
    std::fs::write(
        &config_b,
        format!(
            "database_read_urls = [\"{standby_url}\"]\nreplica_max_lag_ms = 600000\n\
             metrics_bind = \"127.0.0.1:{metrics_port}\"\n[demo]\non_first_start = false\n"
        ),
    )
    .unwrap();
    let (b, base_b) = rt.block_on(serve(
        &["--config", config_b.to_str().unwrap()],
        &[("DATABASE_URL", &primary_url)],
        &scratch.dir("b.log"),
    ));
    nodes.0.push(b);
    let metrics_b = format!("http://127.0.0.1:{metrics_port}/metrics");

    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let pool = ruang::db::connect(&primary_url, 2, Duration::from_secs(10))
            .await
            .unwrap();
        let replica = ruang::db::connect(&standby_url, 2, Duration::from_secs(10))
            .await
            .unwrap();

        // The replica comes up in B's monitor.
        let start = Instant::now();
        loop {
            let page = metrics(&client, &metrics_b).await;
            if metric(&page, "ruang_replica_up{replica=\"replica0\"}") == 1.0 {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "replica never up: {page}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // /metrics on the public address is refused without a token configured there.
        let r = client.get(format!("{base_b}/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 404);

        // A zone, the z14 tile over it, and another sub-zone to give it.
        let (zone_id, subzone, lon, lat): (i64, String, f64, f64) = sqlx::query_as(
            "SELECT z.id, z.subzone_code, ST_X(c), ST_Y(c)
               FROM zones z JOIN zoning_plans p ON p.id = z.plan_id AND p.status = 'active'
               CROSS JOIN LATERAL (SELECT ST_PointOnSurface(z.geom) AS c) s
              WHERE z.subzone_code LIKE 'R-%' ORDER BY z.id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let other: String = sqlx::query_scalar(
            "SELECT r.subzone_code FROM zone_rules r
               JOIN zoning_plans p ON p.id = r.plan_id AND p.status = 'active'
              WHERE r.subzone_code LIKE 'R-%' AND r.subzone_code <> $1
              ORDER BY 1 LIMIT 1",
        )
        .bind(&subzone)
        .fetch_one(&pool)
        .await
        .unwrap();
        let (x, y) = common::tile_of(lon, lat, 14);
        let tile_path = format!("/tiles/zones/14/{x}/{y}");
        let get_tile = |base: &str| {
            let url = format!("{base}{tile_path}");
            let client = client.clone();
            async move {
                let r = client.get(url).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap()
            }
        };

        // B renders from the standby.
        let before = metrics(&client, &metrics_b).await;
        let old_tile = get_tile(&base_b).await;
        let r = client
            .get(format!("{base_b}/collections/zones/items?limit=5"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let after = metrics(&client, &metrics_b).await;
        let replica_reads = |page: &str| metric(page, "ruang_db_reads_total{target=\"replica\"}");
        let primary_reads = |page: &str| metric(page, "ruang_db_reads_total{target=\"primary\"}");
        assert!(
            replica_reads(&after) >= replica_reads(&before) + 2.0,
            "the tile and the page read from the standby:\n{after}"
        );
        assert!(metric(&after, "ruang_http_requests_total{method=\"GET\",route=\"/tiles/{tileset}/{z}/{x}/{y}\",status=\"200\"}") >= 1.0, "{after}");
        assert!(after.contains("ruang_http_request_duration_seconds_bucket"), "{after}");
        assert!(after.contains("ruang_db_pool_connections{pool=\"replica0\""), "{after}");
        assert!(after.contains("ruang_tile_cache_misses_total"), "{after}");

        // The standby stops replaying; the zone is edited through node A.
        sqlx::query("SELECT pg_wal_replay_pause()")
            .execute(&replica)
            .await
            .unwrap();
        let r = client
            .patch(format!("{base_a}/collections/zones/items/{zone_id}"))
            .bearer_auth(&token)
            .header("content-type", "application/merge-patch+json")
            .body(json!({ "properties": { "subzone_code": other } }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let edited_at = Instant::now();

        // B shows the new tile within 3 s although its replica still holds the old zone.
        let new_tile = loop {
            let t = get_tile(&base_b).await;
            if t != old_tile {
                break t;
            }
            assert!(
                edited_at.elapsed() < Duration::from_secs(3),
                "node B still serves the old tile 3 s after the edit"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        eprintln!("node B served the edited tile {:?} after the edit", edited_at.elapsed());
        let on_replica: String = sqlx::query_scalar("SELECT subzone_code FROM zones WHERE id = $1")
            .bind(zone_id)
            .fetch_one(&replica)
            .await
            .unwrap();
        assert_eq!(on_replica, subzone, "the standby must not have replayed the edit yet");
        assert_eq!(get_tile(&base_a).await, new_tile, "both nodes serve the same tile");
        let page = metrics(&client, &metrics_b).await;
        assert_eq!(metric(&page, "ruang_replica_behind_fence{replica=\"replica0\"}"), 1.0, "{page}");

        // Replay resumes: B reads from the standby again.
        sqlx::query("SELECT pg_wal_replay_resume()")
            .execute(&replica)
            .await
            .unwrap();
        let start = Instant::now();
        loop {
            let page = metrics(&client, &metrics_b).await;
            if metric(&page, "ruang_replica_behind_fence{replica=\"replica0\"}") == 0.0 {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "standby never caught up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let before = metrics(&client, &metrics_b).await;
        let r = client
            .get(format!("{base_b}/collections/zones/items?limit=5&offset=5"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let after = metrics(&client, &metrics_b).await;
        assert!(replica_reads(&after) > replica_reads(&before), "{after}");
        // Read your own write through the replica node: with the standby caught up and paused
        // again, stunting counts imported through B (no change notification covers them) are
        // in B's very next answer, not read from the standby.
        sqlx::query("SELECT pg_wal_replay_pause()")
            .execute(&replica)
            .await
            .unwrap();
        let kelurahan: String = sqlx::query_scalar(
            "SELECT code FROM admin_areas WHERE level = 'kelurahan' ORDER BY code LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let r = client
            .post(format!("{base_b}/api/stunting/import"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(format!(
                "period,unit,measured,severely_stunted,stunted,normal\n2019-01,{kelurahan},100,5,10,85\n"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let r = client
            .get(format!("{base_b}/api/stunting?period=2019-01&by=city"))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["city"]["measured"], 100, "node B read its own import: {v}");
        sqlx::query("SELECT pg_wal_replay_resume()")
            .execute(&replica)
            .await
            .unwrap();
        replica.close().await;

        // The standby stops: every tile and page B is asked for is answered, from the primary.
        let out = tokio::task::spawn_blocking({
            let s = s.clone();
            move || ruang(&["db", "stop", "--data-dir", &s], &[])
        })
        .await
        .unwrap();
        ok(out);
        let before = metrics(&client, &metrics_b).await;
        let mut answered = 0;
        for dz in 0..3u8 {
            let z = 14 + dz;
            let (cx, cy) = common::tile_of(lon, lat, z);
            for dx in 0..4u32 {
                let url = format!("{base_b}/tiles/city/{z}/{}/{}", cx + dx, cy);
                let r = client.get(&url).send().await.unwrap();
                assert!(
                    r.status() == 200 || r.status() == 204,
                    "{url} with the standby down: {}",
                    r.status()
                );
                answered += 1;
            }
            let url = format!("{base_b}/collections/parcels/items?limit=10&offset={}", dz * 10);
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{url} with the standby down");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["features"].as_array().unwrap().len(), 10);
            answered += 1;
        }
        let after = metrics(&client, &metrics_b).await;
        assert!(primary_reads(&after) >= primary_reads(&before) + 3.0, "{after}");
        assert_eq!(metric(&after, "ruang_replica_up{replica=\"replica0\"}"), 0.0, "{after}");
        eprintln!("{answered} requests answered with the standby down");
        pool.close().await;
    });

    // Both nodes stop cleanly.
    for mut c in nodes.0.drain(..) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = c.wait().unwrap();
        assert!(status.success(), "{status}");
    }
    for log in ["a.log", "b.log"] {
        let text = std::fs::read_to_string(scratch.dir(log)).unwrap();
        assert!(!text.contains("panicked"), "{text}");
    }
}
