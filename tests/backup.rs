//! `ruang db backup DIR` and `ruang db restore DIR` on the embedded cluster, through the real
//! binary: data written, backup, more data, restore, and every table exactly as it was at the
//! backup, attachments (bytea) included. A backup that fails its manifest check is refused
//! before anything is touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use sqlx::PgPool;

const RUANG: &str = env!("CARGO_BIN_EXE_ruang");

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(format!("/tmp/ruang-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let pg = self.0.join("pg");
        let _ = ruang(&["db", "stop", "--data-dir", pg.to_str().unwrap()]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ruang(args: &[&str]) -> Output {
    Command::new(RUANG)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RUANG_DATA_DIR")
        .env_remove("RUANG_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run ruang")
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

/// An md5 of every row of every table of the `public` schema, per table.
async fn fingerprint(pool: &PgPool) -> Vec<(String, String)> {
    let sql: String = sqlx::query_scalar(
        "SELECT string_agg(format(
                  'SELECT %L::text AS t, md5(coalesce(string_agg(x::text, E''\\n'' ORDER BY x::text), '''')) AS h FROM %I.%I x',
                  tablename, schemaname, tablename), ' UNION ALL ' ORDER BY tablename)
           FROM pg_tables WHERE schemaname = 'public'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let mut rows: Vec<(String, String)> = sqlx::query_as(&sql).fetch_all(pool).await.unwrap();
    rows.sort();
    rows
}

/// An application with one attachment of `size` pseudo-random bytes; returns the
/// attachment's id and SHA-256.
async fn application_with_attachment(
    pool: &PgPool,
    reference: &str,
    size: usize,
) -> (String, Vec<u8>) {
    let data: Vec<u8> = (0..size as u64)
        .map(|i| {
            (i.wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                >> 56) as u8
        })
        .collect();
    sqlx::query_as::<_, (String, Vec<u8>)>(
        "WITH u AS (
             INSERT INTO users (email, password_hash, role)
             VALUES (lower($1) || '@example.id', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'pemohon')
             RETURNING id),
         a AS (
             INSERT INTO applications (reference, applicant_id, applicant_type, applicant_name,
                                       kbli_code, parcel)
             SELECT $1, u.id, 'perorangan', 'Maria Ndolu', '68111',
                    ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(123.6, -10.17), 4326), 0.0001))
               FROM u
             RETURNING id, applicant_id)
         INSERT INTO application_attachments (application_id, kind, filename, content_type,
                                              size_bytes, sha256, data, uploaded_by)
         SELECT a.id, 'site_plan', 'denah.pdf', 'application/pdf', $3, sha256($2), $2,
                a.applicant_id
           FROM a
         RETURNING id::text, sha256",
    )
    .bind(reference)
    .bind(&data)
    .bind(size as i32)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn connect(url: &str) -> PgPool {
    ruang::db::connect(url, 2, Duration::from_secs(10))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_every_row_and_attachment_exactly() {
    let scratch = Scratch::new("backup");
    let pg = scratch.0.join("pg");
    let d = pg.to_str().unwrap().to_string();
    let backup = scratch.0.join("backup");
    let b = backup.to_str().unwrap().to_string();

    ok(ruang(&["db", "start", "--data-dir", &d]));
    ok(ruang(&["migrate", "--data-dir", &d]));
    let url = ok(ruang(&["db", "url", "--data-dir", &d]));
    let pool = connect(&url).await;
    sqlx::query(
        "INSERT INTO activities (kbli_code, title, title_en, section)
         VALUES ('68111', 'Real estat yang dimiliki sendiri', 'Own real estate', 'L')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (first_id, first_sha) = application_with_attachment(&pool, "KKPR-UJI-1", 300_000).await;
    let before = fingerprint(&pool).await;
    assert!(before.iter().any(|(t, _)| t == "application_attachments"));

    // A backup of the running cluster; the folder must be new or empty.
    let said = ok(ruang(&["db", "backup", &b, "--data-dir", &d]));
    assert!(said.contains("verified"), "{said}");
    assert!(backup.join("backup_manifest").is_file());
    let again = ruang(&["db", "backup", &b, "--data-dir", &d]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // More data after the backup: a new application, a changed one, a deleted attachment.
    let (second_id, _) = application_with_attachment(&pool, "KKPR-UJI-2", 1000).await;
    sqlx::query(
        "UPDATE applications SET applicant_name = 'Yohanes Lete' WHERE reference = 'KKPR-UJI-1'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM application_attachments WHERE id::text = $1")
        .bind(&first_id)
        .execute(&pool)
        .await
        .unwrap();
    assert_ne!(fingerprint(&pool).await, before);
    pool.close().await;

    // A damaged backup is refused before the cluster is touched.
    let damaged = scratch.0.join("damaged");
    copy_dir(&backup, &damaged);
    std::fs::write(damaged.join("PG_VERSION"), "14\n").unwrap();
    let out = ruang(&["db", "restore", damaged.to_str().unwrap(), "--data-dir", &d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("pg_verifybackup"), "{err}");
    let out = ruang(&[
        "db",
        "restore",
        scratch.0.to_str().unwrap(),
        "--data-dir",
        &d,
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a backup made by `ruang db backup`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pool = connect(&url).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM applications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 2, "a refused restore changes nothing");
    pool.close().await;

    // Restore (the cluster runs: it is stopped, restored and started again).
    let said = ok(ruang(&["db", "restore", &b, "--data-dir", &d]));
    assert!(said.contains("it is running"), "{said}");
    let kept: Vec<_> = std::fs::read_dir(&scratch.0)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("pg.before-restore-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the replaced data folder is kept: {said}");

    let pool = connect(&url).await;
    assert_eq!(
        fingerprint(&pool).await,
        before,
        "every table exactly as at the backup"
    );
    let (sha, size): (Vec<u8>, i32) = sqlx::query_as(
        "SELECT sha256(data), size_bytes FROM application_attachments WHERE id::text = $1",
    )
    .bind(&first_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (sha, size),
        (first_sha, 300_000),
        "the attachment's bytes are back"
    );
    let gone: i64 =
        sqlx::query_scalar("SELECT count(*) FROM application_attachments WHERE id::text = $1")
            .bind(&second_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(gone, 0, "what was written after the backup is not");
    // The restored cluster takes writes.
    application_with_attachment(&pool, "KKPR-UJI-3", 10).await;
    pool.close().await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}
