//! `POST /api/imports` (multipart upload, planners and admins) starts an import job and answers
//! 202 with its id; `GET /api/imports/{id}` gives its progress and, once done, the report;
//! `DELETE /api/imports/{id}` (the job's owner or an admin) cancels a running job.
//! `GET /api/exports/{layer}?format=..&t_srs=EPSG:N&filter=..` streams a layer as a file.
//!
//! Jobs live in `import_jobs` (migrations 0006, 0008) so any copy of the server can answer for
//! them and they outlive a restart; the worker runs in the process that took the upload (the
//! file sits in its locked work folder, [`super::workdir`]) and refreshes the job's heartbeat
//! every half second, reading back whether the job was cancelled. The upload is unpacked and
//! checked ([`super::prepare_input`]) before the job is created, so a hostile or damaged file
//! is refused with a 4xx at once. [`recover`] runs when the server starts: it marks jobs whose
//! worker died as failed and removes the work folders no live process holds.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::workdir::{self, WorkDir};
use super::{
    ExportFormat, ExportOptions, ImportError, ImportOptions, Progress, ReadOptions, Target,
    WhereClause,
};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::http::guard::Multipart;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/imports", post(start_import))
        .route("/api/imports/{id}", get(job_status).delete(cancel_job))
        .route("/api/exports/{layer}", get(export_layer))
}

fn bad(id: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::bad_request(id, en)
}

/// `EPSG:N` or `N` (the CLI's `--s-srs` / `--t-srs` use it from here too).
pub use crate::crs::parse_epsg;

/// The last path component of an uploaded file name, with only safe characters.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "upload".into() } else { s }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "too-large",
            "Berkas terlalu besar untuk batas unggah server (body_limit_bytes).",
            "The file is larger than the server's upload limit (body_limit_bytes).",
        )
    } else {
        bad(
            format!("Unggahan multipart tidak dapat dibaca: {e}"),
            format!("The multipart upload cannot be read: {e}"),
        )
    }
}

async fn start_import(
    State(state): State<AppState>,
    caller: Caller,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Planner])?;
    // The job's id names its work folder, which lives (locked) until the job ends.
    let id = Uuid::new_v4();
    let work = WorkDir::create(id).map_err(|e| ApiError::internal(&e))?;
    let upload_dir = work.path().join("upload");
    tokio::fs::create_dir(&upload_dir)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    let (mut into, mut plan, mut layer, mut s_srs, mut map, mut dry_run) =
        (None, None, None, None, Vec::new(), false);
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(str::to_string) {
            let safe = safe_name(&file_name);
            let path = upload_dir.join(&safe);
            let mut f = tokio::fs::File::create(&path)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                f.write_all(&chunk)
                    .await
                    .map_err(|e| ApiError::internal(&e))?;
            }
            f.flush().await.map_err(|e| ApiError::internal(&e))?;
            files.push((file_name, path));
            continue;
        }
        let text = field.text().await.map_err(|e| e.or_read(multipart_error))?;
        let text = text.trim().to_string();
        match name.as_str() {
            "into" => into = Some(text),
            "plan" if !text.is_empty() => plan = Some(text),
            "layer" if !text.is_empty() => layer = Some(text),
            "s_srs" if !text.is_empty() => s_srs = Some(text),
            "map" => {
                for pair in text.split([',', '\n']).filter(|p| !p.trim().is_empty()) {
                    let (t, s) = pair.split_once('=').ok_or_else(|| {
                        bad(
                            format!("map '{pair}' harus berbentuk kolom=atribut"),
                            format!("map '{pair}' must look like column=attribute"),
                        )
                    })?;
                    map.push((t.trim().to_string(), s.trim().to_string()));
                }
            }
            "dry_run" => dry_run = matches!(text.as_str(), "1" | "true" | "yes" | "ya"),
            _ => {}
        }
    }
    let into = into.ok_or_else(|| {
        bad(
            format!("Isian 'into' wajib: salah satu dari {}", Target::names()),
            format!("The field 'into' is required: one of {}", Target::names()),
        )
    })?;
    let target = Target::parse(&into).ok_or(ImportError::UnknownTarget(into))?;
    if files.is_empty() {
        return Err(bad(
            "Tidak ada berkas: kirim berkas pada isian 'file' (multipart/form-data).",
            "No file: send the file in the field 'file' (multipart/form-data).",
        ));
    }
    let s_srs = match s_srs {
        None => None,
        Some(s) => Some(parse_epsg(&s).ok_or_else(|| {
            bad(
                format!("s_srs '{s}' harus berbentuk EPSG:N"),
                format!("s_srs '{s}' must look like EPSG:N"),
            )
        })?),
    };
    if target.needs_plan() && plan.is_none() {
        return Err(ImportError::NeedsPlan(target.as_str()).into());
    }
    // The file GDAL opens: a .shp among its sidecars, else the first file.
    let (display, main) = files
        .iter()
        .find(|(n, _)| n.to_lowercase().ends_with(".shp"))
        .or_else(|| files.first())
        .cloned()
        .ok_or_else(|| bad("Tidak ada berkas.", "No file."))?;
    let main = main.to_string_lossy().to_string();
    // Unpack (under the limits) and check the upload, and let GDAL open it, before any job
    // exists: a bomb, a lying archive or a damaged Shapefile is a 4xx here.
    let limits = state.config.import_limits();
    let gdal_path = {
        let (path, shown, work_path, limits, layer) = (
            main.clone(),
            display.clone(),
            work.path().to_path_buf(),
            limits.clone(),
            layer.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let p = super::prepare_input(&path, &shown, Some(&work_path), &limits)?;
            let ds = super::read::open(&p).map_err(|e| match e {
                ImportError::NotGis(_) => ImportError::NotGis(shown.clone()),
                e => e,
            })?;
            super::read::check_count(&ds, layer.as_deref(), &limits)?;
            Ok::<_, ImportError>(p)
        })
        .await
        .map_err(|e| ApiError::internal(&e))??
    };
    sqlx::query(
        "INSERT INTO import_jobs (id, created_by, target, plan, file_name, dry_run) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(caller.user_id)
    .bind(target.as_str())
    .bind(&plan)
    .bind(&display)
    .bind(dry_run)
    .execute(&state.pool)
    .await?;
    let opts = ImportOptions {
        read: ReadOptions {
            path: gdal_path,
            layer,
            s_srs,
            map,
        },
        target,
        plan,
        dry_run,
        display_name: Some(display),
        limits,
        job: Some(id),
    };
    let pool = state.pool.clone();
    tokio::spawn(async move {
        run_job(pool, id, opts).await;
        // The folder goes when the job has ended, however it ended.
        drop(work);
    });
    let mut res = (
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "running", "href": format!("/api/imports/{id}") })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/imports/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The `application_name` an import job's transaction runs under (set with `SET LOCAL`, so
/// only while the transaction lasts); a cancel finds the backend by it.
pub fn backend_name(job: Uuid) -> String {
    format!("ruang-import-{job}")
}

/// Every half second while the job runs: the heartbeat and the progress, for as long as the
/// job is `running`. When it no longer is, it was cancelled (maybe through another server):
/// the reader stops at its next feature and the transaction is rolled back.
///
/// A task of its own, not a branch beside the import: at the end the import holds the job's
/// row locked between recording its success and committing, and a heartbeat waiting for that
/// lock must not keep the import from being polled to commit.
async fn heartbeat(pool: PgPool, id: Uuid, progress: Arc<Progress>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        let total = progress.total.load(Ordering::Relaxed);
        let running = sqlx::query(
            "UPDATE import_jobs SET heartbeat_at = now(), features_read = $2, total = $3, \
             rejected = $4, repaired = $5 WHERE id = $1 AND status = 'running'",
        )
        .bind(id)
        .bind(progress.read.load(Ordering::Relaxed) as i64)
        .bind((total > 0).then_some(total as i64))
        .bind(progress.rejected.load(Ordering::Relaxed) as i64)
        .bind(progress.repaired.load(Ordering::Relaxed) as i64)
        .execute(&pool)
        .await
        .map(|r| r.rows_affected());
        if let Ok(0) = running {
            progress.cancel.store(true, Ordering::Relaxed);
            return;
        }
    }
}

async fn run_job(pool: PgPool, id: Uuid, opts: ImportOptions) {
    let progress = Arc::new(Progress::default());
    let beat = tokio::spawn(heartbeat(pool.clone(), id, progress.clone()));
    let result = super::import(&pool, opts, progress.clone()).await;
    beat.abort();
    // Every end below is recorded only while the job is still `running`: a cancelled job stays
    // cancelled. A committed import recorded its success in its own transaction.
    let update = match result {
        Ok(report) if report.committed => Ok(1),
        Ok(report) => {
            let status = if report.rejected > 0 {
                "rejected"
            } else {
                "succeeded"
            };
            sqlx::query(
                "UPDATE import_jobs SET status = $2, finished_at = now(), heartbeat_at = now(), \
                 features_read = $3, rejected = $4, repaired = $5, report = $6 \
                 WHERE id = $1 AND status = 'running'",
            )
            .bind(id)
            .bind(status)
            .bind(report.read as i64)
            .bind(report.rejected as i64)
            .bind(report.repaired as i64)
            .bind(serde_json::to_value(&report).unwrap_or(Value::Null))
            .execute(&pool)
            .await
            .map(|r| r.rows_affected())
        }
        Err(e) => {
            let (did, den) = if e.is_input() {
                (e.detail_id(), e.to_string())
            } else {
                (
                    "Impor gagal karena kesalahan di server.".to_string(),
                    "The import failed because of a server error.".to_string(),
                )
            };
            let r = sqlx::query(
                "UPDATE import_jobs SET status = 'failed', finished_at = now(), \
                 heartbeat_at = now(), error_id = $2, error_en = $3 \
                 WHERE id = $1 AND status = 'running'",
            )
            .bind(id)
            .bind(did)
            .bind(den)
            .execute(&pool)
            .await
            .map(|r| r.rows_affected());
            match &r {
                Ok(0) => tracing::info!(job = %id, "import job cancelled"),
                _ if !e.is_input() => {
                    tracing::error!(job = %id, error = %e, "import job failed")
                }
                _ => {}
            }
            r
        }
    };
    if let Err(e) = update {
        tracing::error!(job = %id, error = %e, "cannot record the end of an import job");
    }
}

const INTERRUPTED_ID: &str =
    "Server berhenti saat impor berjalan; tidak ada yang tersimpan. Unggah ulang.";
const INTERRUPTED_EN: &str =
    "The server stopped while the import ran; nothing was written. Upload again.";
const CANCELLED_ID: &str = "Impor dibatalkan; tidak ada yang tersimpan.";
const CANCELLED_EN: &str = "The import was cancelled; nothing was written.";

/// What [`recover`] did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Jobs whose worker had died, now `failed`.
    pub jobs_failed: u64,
    /// Work folders no live process held, removed.
    pub folders_removed: Vec<std::path::PathBuf>,
}

/// At server start: jobs still `running` whose heartbeat stopped more than a minute ago (their
/// process died; their transaction never committed) become `failed` with that reason, and the
/// work folders left by dead processes are removed (not those another live server on this
/// machine holds, see [`workdir::remove_stale`]).
pub async fn recover(pool: &PgPool) -> Result<Recovered, sqlx::Error> {
    let jobs_failed = sqlx::query(
        "UPDATE import_jobs SET status = 'failed', finished_at = now(), error_id = $1, \
         error_en = $2 WHERE status = 'running' AND heartbeat_at < now() - interval '1 minute'",
    )
    .bind(INTERRUPTED_ID)
    .bind(INTERRUPTED_EN)
    .execute(pool)
    .await?
    .rows_affected();
    let folders_removed = tokio::task::spawn_blocking(|| workdir::remove_stale(&workdir::base()))
        .await
        .unwrap_or_default();
    Ok(Recovered {
        jobs_failed,
        folders_removed,
    })
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    status: String,
    /// Still `running` but without a heartbeat for a minute: its process died.
    dead: bool,
    target: String,
    plan: Option<String>,
    file_name: String,
    dry_run: bool,
    features_read: i64,
    total: Option<i64>,
    rejected: i64,
    repaired: i64,
    report: Option<Value>,
    error_id: Option<String>,
    error_en: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    created_by: Option<Uuid>,
}

/// A job as `GET /api/imports/{id}` shows it, and who created it.
async fn load_job(pool: &PgPool, id: Uuid) -> Result<Option<(Value, Option<Uuid>)>, ApiError> {
    let row: Option<JobRow> = sqlx::query_as(
        "SELECT id, status, \
                (status = 'running' AND heartbeat_at < now() - interval '1 minute') AS dead, \
                target, plan, file_name, dry_run, features_read, total, rejected, repaired, \
                report, error_id, error_en, created_at, finished_at, created_by \
           FROM import_jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let status = if r.dead {
        "interrupted"
    } else {
        r.status.as_str()
    };
    let error = match (&r.error_id, &r.error_en) {
        (Some(id), Some(en)) => json!({ "detail": id, "detail_en": en }),
        _ if r.dead => json!({ "detail": INTERRUPTED_ID, "detail_en": INTERRUPTED_EN }),
        _ => Value::Null,
    };
    Ok(Some((
        json!({
            "id": r.id,
            "status": status,
            "target": r.target,
            "plan": r.plan,
            "file_name": r.file_name,
            "dry_run": r.dry_run,
            "progress": {
                "read": r.features_read,
                "total": r.total,
                "rejected": r.rejected,
                "repaired": r.repaired,
            },
            "report": r.report,
            "error": error,
            "created_at": r.created_at,
            "finished_at": r.finished_at,
        }),
        r.created_by,
    )))
}

/// The job `id` names (as [`load_job`]), or 404.
async fn find_job(pool: &PgPool, id: &str) -> Result<(Uuid, Value, Option<Uuid>), ApiError> {
    let not_found = || ApiError::not_found(&format!("Impor '{id}'"), &format!("Import '{id}'"));
    let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
    let (job, owner) = load_job(pool, uuid).await?.ok_or_else(not_found)?;
    Ok((uuid, job, owner))
}

async fn job_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Planner])?;
    let (_, job, _) = find_job(&state.pool, &id).await?;
    Ok(Json(job).into_response())
}

/// `DELETE /api/imports/{id}`: cancels a running job (its owner or an admin). The job becomes
/// `cancelled` at once; its worker, in whichever server runs it, stops at the next feature or
/// has its current statement cancelled, rolls back and removes its folder. A job that already
/// ended is 409.
async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Planner])?;
    let (uuid, job, owner) = find_job(&state.pool, &id).await?;
    if caller.role != Role::Admin && owner != Some(caller.user_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Hanya pengunggah impor ini atau admin yang boleh membatalkannya.",
            "Only the user who started this import, or an admin, may cancel it.",
        ));
    }
    let cancelled = sqlx::query(
        "UPDATE import_jobs SET status = 'cancelled', finished_at = now(), error_id = $2, \
         error_en = $3 WHERE id = $1 AND status = 'running'",
    )
    .bind(uuid)
    .bind(CANCELLED_ID)
    .bind(CANCELLED_EN)
    .execute(&state.pool)
    .await?
    .rows_affected();
    if cancelled == 0 {
        let status = job["status"].as_str().unwrap_or("?").to_string();
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("Impor ini sudah selesai (status {status}); tidak dapat dibatalkan."),
            format!("This import has already ended (status {status}); it cannot be cancelled."),
        ));
    }
    // Interrupt the statement the job's transaction may be waiting in (a long COPY, a lock);
    // the job's worker also sees the status at its next heartbeat. Best effort: a role that
    // may not signal other backends still cancels through the heartbeat.
    if let Err(e) = sqlx::query(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
          WHERE application_name = $1 AND datname = current_database()",
    )
    .bind(backend_name(uuid))
    .execute(&state.pool)
    .await
    {
        tracing::warn!(job = %uuid, error = %e, "cannot interrupt the import's statement");
    }
    let (_, job, _) = find_job(&state.pool, &id).await?;
    Ok(Json(job).into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
    t_srs: Option<String>,
    /// CQL2 over the layer's OGC queryables (`/collections/{layer}/queryables`).
    filter: Option<String>,
    #[serde(rename = "filter-lang")]
    filter_lang: Option<String>,
    #[serde(rename = "filter-crs")]
    filter_crs: Option<String>,
}

async fn export_layer(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let target = Target::parse(&layer).ok_or_else(|| {
        ApiError::not_found(&format!("Layer '{layer}'"), &format!("Layer '{layer}'"))
    })?;
    let format_name = q.format.unwrap_or_else(|| "GPKG".into());
    let format =
        ExportFormat::parse(&format_name).ok_or(ImportError::UnknownFormat(format_name))?;
    let t_srs = match q.t_srs {
        None => 4326,
        Some(s) => parse_epsg(&s).ok_or_else(|| {
            bad(
                format!("t_srs '{s}' harus berbentuk EPSG:N"),
                format!("t_srs '{s}' must look like EPSG:N"),
            )
        })?,
    };
    let filter = match &q.filter {
        None => None,
        Some(f) => Some(WhereClause::from_params(
            target,
            f,
            q.filter_lang.as_deref(),
            q.filter_crs.as_deref(),
        )?),
    };
    let dir = tempfile::Builder::new()
        .prefix("ruang-export-")
        .tempdir()
        .map_err(|e| ApiError::internal(&e))?;
    let file_name = format!("{}.{}", target.as_str(), format.extension());
    let path = dir.path().join(&file_name);
    super::export(
        &state.pool,
        ExportOptions {
            target,
            format,
            t_srs,
            filter,
        },
        &path,
    )
    .await?;
    // An open file outlives its folder's removal, so the folder goes now and the bytes stream.
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    drop(dir);
    let mut res = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(len) = len {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_lose_their_folders_and_odd_characters() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\x\\zona rdtr.shp"), "zona_rdtr.shp");
        assert_eq!(safe_name(".."), "upload");
    }

    #[test]
    fn epsg_codes_parse() {
        assert_eq!(parse_epsg("EPSG:23840"), Some(23840));
        assert_eq!(parse_epsg("4326"), Some(4326));
        assert_eq!(parse_epsg("x"), None);
    }
}
