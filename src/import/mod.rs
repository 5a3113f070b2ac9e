//! Import and export with GDAL: readers into PostGIS (batched, transactional, with progress)
//! and writers from PostGIS.
//!
//! Import pipeline ([`import`]):
//! 0. the input is made safe to hand to GDAL ([`prepare_input`]): a zip archive is unpacked by
//!    [`archive`] under [`ImportLimits`] into a locked work folder ([`workdir`]), and every
//!    Shapefile's headers are checked against its file sizes ([`shapefile`]); a file that
//!    declares more than it holds, or more features than allowed, never reaches GDAL;
//! 1. the code tables a feature is checked against are read into [`target::Lookups`]; a
//!    transaction begins; zones and overlays get their plan (found by name, or created as a
//!    `draft` so a new RDTR never touches the active plan until someone activates it);
//! 2. a blocking thread ([`read::read`]) reads the file with GDAL, maps attributes, reprojects
//!    to EPSG:4326, checks polygons (a quick exact test in [`valid`], GEOS when it cannot
//!    tell) and repairs invalid ones, encodes each feature as a row of binary COPY
//!    ([`binary`]) and sends ~1 MiB batches through a bounded channel (memory stays flat);
//! 3. the async side streams the batches into one `COPY ... FROM STDIN (FORMAT binary)`
//!    inside the transaction;
//! 4. when any feature was rejected, nothing is written (COPY aborted, transaction rolled
//!    back) and the report lists every rejected feature with its reason (reading stops after
//!    `max_rejected` of them); `--dry-run` always rolls back. A job started over HTTP can be
//!    cancelled ([`Progress::cancel`]), and records its success in the same transaction as the
//!    data, so a cancelled job never commits. Otherwise the transaction commits, and the tile-cache triggers of
//!    migration 0002 notify the server of the area that changed.
//!
//! Derived columns (the zone rule copies, `geom_3857`, plan versions) are maintained by
//! triggers and generated columns; the importer never writes them.

pub mod archive;
pub mod binary;
pub mod export;
pub mod http;
pub mod openapi;
pub mod read;
pub mod shapefile;
pub mod target;
mod valid;
pub mod workdir;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use serde::Serialize;
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::error::ApiError;
pub use export::{ExportFormat, ExportOptions, WhereClause, export};
pub use read::{Progress, ReadOptions};
pub use target::Target;

/// The import and export routes under `/api/imports` and `/api/exports`.
pub fn routes() -> axum::Router<crate::AppState> {
    http::routes()
}

/// Why an import or export could not run at all (as opposed to features it rejected).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}: no such file")]
    NoFile(String),
    #[error(
        "{0} is not a GIS file GDAL can read as vector data (Shapefile, zipped Shapefile, GeoPackage, GeoJSON, KML, FlatGeobuf, CSV with WKT or lon/lat columns, ...)"
    )]
    NotGis(String),
    #[error("unknown target '{0}'; choose one of: {targets}", targets = Target::names())]
    UnknownTarget(String),
    #[error("the file holds several layers ({0}); choose one with --layer")]
    ChooseLayer(String),
    #[error("the file has no layer '{layer}'; its layers: {layers}")]
    NoSuchLayer { layer: String, layers: String },
    #[error(
        "the file says nothing about its coordinate reference system{0}; give it with --s-srs EPSG:N (e.g. EPSG:4326 for lon/lat, EPSG:23840 for TM-3 zone 51.2, EPSG:32751 for UTM 51S)"
    )]
    NoCrs(String),
    #[error("EPSG:{0} is not a coordinate reference system PROJ knows")]
    UnknownCrs(u32),
    #[error("bad --map: {0}")]
    BadMap(String),
    #[error("{0} needs a zoning plan: give --plan NAME (an existing plan, or a new draft plan)")]
    NeedsPlan(&'static str),
    #[error(
        "the sub-zone catalogue is empty: load the zone codes first (ruang demo load, or the city's catalogue)"
    )]
    NoCatalogue,
    #[error(
        "unknown format '{0}'; choose one of: GPKG, GeoJSON, \"ESRI Shapefile\", FlatGeobuf, KML"
    )]
    UnknownFormat(String),
    #[error("filter: {0}")]
    Filter(crate::ogc::cql2::Cql2Error),
    #[error("unknown filter language '{0}'; choose cql2-text or cql2-json")]
    FilterLang(String),
    #[error(
        "unknown filter CRS '{0}'; choose CRS84 (default), EPSG:4326, EPSG:3857, EPSG:32751 or EPSG:23840"
    )]
    FilterCrs(String),
    #[error("a value in the filter cannot be used: {0}")]
    FilterValue(String),
    #[error("the database refused the data: {0}")]
    Refused(String),
    #[error("GDAL: {0}")]
    Gdal(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error("the reader thread failed: {0}")]
    Thread(String),
    /// Over one of the [`ImportLimits`] (the messages name the configuration key).
    #[error("{en}")]
    Limit { id: String, en: String },
    /// A file that contradicts itself (sizes, counts) or an archive that cannot be unpacked
    /// safely.
    #[error("{en}")]
    BadFile { id: String, en: String },
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
    #[error("cannot unpack the file: {0}")]
    Io(String),
}

/// What one import may take. `Config::import_limits` gives the configured ones.
#[derive(Debug, Clone)]
pub struct ImportLimits {
    /// Most bytes an archive may unpack to, all members together.
    pub max_uncompressed_bytes: u64,
    /// Most members an archive may hold.
    pub max_archive_members: u32,
    /// Most features one import may read.
    pub max_features: u64,
    /// Reading stops after this many rejected features.
    pub max_rejected: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_uncompressed_bytes: 1 << 30,
            max_archive_members: 1000,
            max_features: 2_000_000,
            max_rejected: 1000,
        }
    }
}

impl ImportError {
    /// Indonesian wording of the same message.
    pub fn detail_id(&self) -> String {
        match self {
            ImportError::NoFile(f) => format!("{f}: berkas tidak ada"),
            ImportError::NotGis(f) => format!(
                "{f} bukan berkas GIS yang dapat dibaca GDAL sebagai data vektor (Shapefile, Shapefile zip, GeoPackage, GeoJSON, KML, FlatGeobuf, CSV dengan kolom WKT atau lon/lat, ...)"
            ),
            ImportError::UnknownTarget(t) => format!(
                "tujuan '{t}' tidak dikenal; pilih salah satu: {}",
                Target::names()
            ),
            ImportError::ChooseLayer(l) => {
                format!("berkas berisi beberapa layer ({l}); pilih satu dengan --layer")
            }
            ImportError::NoSuchLayer { layer, layers } => {
                format!("berkas tidak punya layer '{layer}'; layernya: {layers}")
            }
            ImportError::NoCrs(h) => format!(
                "berkas tidak menyebut sistem koordinatnya{h}; berikan dengan --s-srs EPSG:N (mis. EPSG:4326 untuk lon/lat, EPSG:23840 untuk TM-3 zona 51.2, EPSG:32751 untuk UTM 51S)"
            ),
            ImportError::UnknownCrs(n) => {
                format!("EPSG:{n} bukan sistem koordinat yang dikenal PROJ")
            }
            ImportError::BadMap(m) => format!("--map salah: {m}"),
            ImportError::NeedsPlan(t) => format!(
                "{t} butuh rencana zonasi: berikan --plan NAMA (rencana yang ada, atau rencana draf baru)"
            ),
            ImportError::NoCatalogue => {
                "katalog subzona kosong: muat kode zona terlebih dahulu".into()
            }
            ImportError::UnknownFormat(f) => format!(
                "format '{f}' tidak dikenal; pilih salah satu: GPKG, GeoJSON, \"ESRI Shapefile\", FlatGeobuf, KML"
            ),
            ImportError::Filter(e) => format!("filter: {}", e.detail_id()),
            ImportError::FilterLang(l) => {
                format!("bahasa filter '{l}' tidak dikenal; pilih cql2-text atau cql2-json")
            }
            ImportError::FilterCrs(c) => format!(
                "CRS filter '{c}' tidak dikenal; pilih CRS84 (bawaan), EPSG:4326, EPSG:3857, EPSG:32751 atau EPSG:23840"
            ),
            ImportError::FilterValue(m) => {
                format!("nilai dalam filter tidak dapat digunakan: {m}")
            }
            ImportError::Refused(m) => format!("basis data menolak data: {m}"),
            ImportError::Limit { id, .. } | ImportError::BadFile { id, .. } => id.clone(),
            ImportError::Cancelled => "impor dibatalkan; tidak ada yang tersimpan".into(),
            other => format!("impor gagal: {other}"),
        }
    }

    /// True when the input (file, options) is at fault rather than the server.
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            ImportError::Sql(_)
                | ImportError::Thread(_)
                | ImportError::Gdal(_)
                | ImportError::Io(_)
        )
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match &e {
            ImportError::Sql(s) if crate::db::is_unavailable(s) => ApiError::db_unavailable(),
            ImportError::Sql(s) => ApiError::internal(s),
            ImportError::Thread(_) | ImportError::Gdal(_) | ImportError::Io(_) => {
                ApiError::internal(&e)
            }
            ImportError::Limit { id, en } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "import-limit",
                id.clone(),
                en.clone(),
            ),
            ImportError::BadFile { id, en } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad-file",
                id.clone(),
                en.clone(),
            ),
            ImportError::Cancelled => ApiError::new(
                StatusCode::CONFLICT,
                "cancelled",
                e.detail_id(),
                e.to_string(),
            ),
            ImportError::NotGis(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not-gis",
                e.detail_id(),
                e.to_string(),
            ),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-request",
                e.detail_id(),
                e.to_string(),
            ),
        }
    }
}

/// One feature that was repaired or rejected.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Issue {
    /// `#n` (1-based position in the layer), with the driver's feature id when it has one.
    pub feature: String,
    pub reason_id: String,
    pub reason_en: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    pub target: Target,
    pub file: String,
    pub driver: String,
    pub layer: String,
    pub source_crs: String,
    pub plan: Option<String>,
    pub plan_created: bool,
    /// target column -> source attribute
    pub mapping: Vec<(String, String)>,
    pub read: u64,
    pub imported: u64,
    pub repaired: u64,
    pub rejected: u64,
    /// The first features repaired / rejected, with reasons.
    pub repaired_features: Vec<Issue>,
    pub rejected_features: Vec<Issue>,
    pub dry_run: bool,
    /// True when the rows were written and committed.
    pub committed: bool,
    pub seconds: f64,
    /// Set when reading stopped early, after `max_rejected` rejected features.
    #[serde(default)]
    pub stopped: Option<Stopped>,
}

/// Why reading stopped before the end of the file.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Stopped {
    pub after_rejected: u64,
    pub detail: String,
    pub detail_en: String,
}

impl Stopped {
    fn after(n: u64) -> Self {
        Stopped {
            after_rejected: n,
            detail: format!(
                "pembacaan berhenti setelah {n} fitur ditolak (import_max_rejected); sisa berkas tidak diperiksa"
            ),
            detail_en: format!(
                "reading stopped after {n} rejected features (import_max_rejected); the rest of the file was not checked"
            ),
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} -> {}: layer '{}' ({}), CRS {}{}",
            self.file,
            self.target.as_str(),
            self.layer,
            self.driver,
            self.source_crs,
            match &self.plan {
                Some(p) if self.plan_created => format!(", plan '{p}' (new draft)"),
                Some(p) => format!(", plan '{p}'"),
                None => String::new(),
            }
        )?;
        let map: Vec<String> = self
            .mapping
            .iter()
            .map(|(t, s)| format!("{t}<-{s}"))
            .collect();
        writeln!(f, "attributes: {}", map.join(", "))?;
        writeln!(
            f,
            "read {}, imported {}, repaired {}, rejected {} ({:.1} s)",
            self.read, self.imported, self.repaired, self.rejected, self.seconds
        )?;
        for i in &self.repaired_features {
            writeln!(f, "  repaired {}: {}", i.feature, i.reason_en)?;
        }
        if self.repaired as usize > self.repaired_features.len() {
            writeln!(
                f,
                "  ... and {} more repaired",
                self.repaired as usize - self.repaired_features.len()
            )?;
        }
        for i in &self.rejected_features {
            writeln!(
                f,
                "  rejected {}: {} / {}",
                i.feature, i.reason_en, i.reason_id
            )?;
        }
        if self.rejected as usize > self.rejected_features.len() {
            writeln!(
                f,
                "  ... and {} more rejected",
                self.rejected as usize - self.rejected_features.len()
            )?;
        }
        if let Some(s) = &self.stopped {
            writeln!(f, "{} ({})", s.detail_en, s.detail)?;
        }
        if self.rejected > 0 {
            write!(
                f,
                "nothing was imported: fix or remove the rejected features and run again (tidak ada yang diimpor)"
            )
        } else if self.dry_run {
            write!(
                f,
                "dry run: nothing was written (uji coba: tidak ada yang ditulis)"
            )
        } else {
            write!(f, "committed (tersimpan)")
        }
    }
}

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub read: ReadOptions,
    pub target: Target,
    pub plan: Option<String>,
    pub dry_run: bool,
    /// Shown in the report instead of the path (uploads keep the user's file name).
    pub display_name: Option<String>,
    pub limits: ImportLimits,
    /// The `import_jobs` row of an HTTP job: its success is recorded in the import's own
    /// transaction, which commits only while the job is still `running` (not cancelled).
    pub job: Option<uuid::Uuid>,
}

/// Makes `path` safe to hand to GDAL and returns what GDAL should open: a zip archive (by its
/// first bytes, whatever its name) is unpacked into `work` under `limits` ([`archive`]); then
/// every Shapefile there is checked against its file sizes and the feature limit
/// ([`shapefile`]). `shown` is the name users know the file by. Blocking. GDAL's own virtual
/// paths (`/vsi...`, command line only) are passed through unchecked.
pub fn prepare_input(
    path: &str,
    shown: &str,
    work: Option<&Path>,
    limits: &ImportLimits,
) -> Result<String, ImportError> {
    if path.starts_with("/vsi") {
        return Ok(path.to_string());
    }
    let p = Path::new(path);
    if !p.exists() {
        return Err(ImportError::NoFile(shown.to_string()));
    }
    let (dataset, root) = if p.is_file() && archive::is_zip(p) {
        let work = work.ok_or_else(|| ImportError::Io("no folder to unpack into".into()))?;
        let dest = work.join("unpacked");
        let unpacked = archive::unpack(p, shown, &dest, limits)?;
        (unpacked.dataset, Some(dest))
    } else {
        (p.to_path_buf(), None)
    };
    let name_of = |f: &Path| match &root {
        Some(r) => format!("{} ({shown})", f.strip_prefix(r).unwrap_or(f).display()),
        None => f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| shown.to_string()),
    };
    shapefile::check_files(&dataset, limits, &name_of)?;
    Ok(dataset.to_string_lossy().to_string())
}

async fn load_lookups(
    conn: &mut sqlx::PgConnection,
    target: Target,
) -> Result<target::Lookups, ImportError> {
    let mut lk = target::Lookups::default();
    if target == Target::Zones {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT code, zone_code FROM subzones")
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Err(ImportError::NoCatalogue);
        }
        lk.subzones = rows.into_iter().collect();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT upper(alias), subzone_code FROM zone_code_aliases")
                .fetch_all(&mut *conn)
                .await?;
        lk.zone_aliases = rows.into_iter().collect();
    }
    let codes: Vec<(String, String, String)> =
        sqlx::query_as("SELECT code, level, name FROM admin_areas")
            .fetch_all(&mut *conn)
            .await?;
    for (code, level, name) in codes {
        if level == "kelurahan" {
            lk.kelurahan_names
                .insert(target::normalise_name(&name), code.clone());
        }
        lk.admin_codes.insert(code);
    }
    let aliases: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.alias, a.code FROM admin_area_aliases a JOIN admin_areas k ON k.code = a.code \
         WHERE k.level = 'kelurahan'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (alias, code) in aliases {
        lk.kelurahan_names
            .entry(target::normalise_name(&alias))
            .or_insert(code);
    }
    match target {
        Target::Parcels => {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT kbli_code FROM activities")
                .fetch_all(&mut *conn)
                .await?;
            lk.kbli = rows.into_iter().map(|r| r.0).collect();
        }
        Target::HealthFacilities => {
            let rows: Vec<(Option<String>, i32, String)> =
                sqlx::query_as("SELECT code, id, kind FROM health_facilities")
                    .fetch_all(&mut *conn)
                    .await?;
            for (code, id, kind) in rows {
                if let Some(c) = code {
                    if kind == "puskesmas" {
                        lk.puskesmas.insert(c.clone(), id);
                    }
                    lk.health_codes.insert(c);
                }
            }
        }
        Target::Markets => {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT code FROM markets")
                .fetch_all(&mut *conn)
                .await?;
            lk.market_codes = rows.into_iter().map(|r| r.0).collect();
        }
        _ => {}
    }
    Ok(lk)
}

/// Imports one file. `Ok(report)` also when features were rejected (then nothing was
/// written and `report.committed` is false); `Err` when the import could not run at all.
pub async fn import(
    pool: &PgPool,
    opts: ImportOptions,
    progress: Arc<Progress>,
) -> Result<Report, ImportError> {
    let started = std::time::Instant::now();
    let target = opts.target;
    if target.needs_plan() && opts.plan.is_none() {
        return Err(ImportError::NeedsPlan(target.as_str()));
    }
    // Unpack and check the file, and let GDAL open it, before touching the database.
    let (_work, read_path) = {
        let path = opts.read.path.clone();
        let shown = opts.display_name.clone().unwrap_or_else(|| path.clone());
        let limits = opts.limits.clone();
        tokio::task::spawn_blocking(move || {
            let p = Path::new(&path);
            let work = if !path.starts_with("/vsi") && p.is_file() && archive::is_zip(p) {
                Some(
                    workdir::WorkDir::create(uuid::Uuid::new_v4())
                        .map_err(|e| ImportError::Io(e.to_string()))?,
                )
            } else {
                None
            };
            let gdal_path = prepare_input(&path, &shown, work.as_ref().map(|w| w.path()), &limits)?;
            read::open(&gdal_path)?;
            Ok::<_, ImportError>((work, gdal_path))
        })
        .await
        .map_err(|e| ImportError::Thread(e.to_string()))??
    };
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(ImportError::Cancelled);
    }
    let mut tx = pool.begin().await?;
    if let Some(job) = opts.job {
        // Names the connection while the transaction lasts, so that cancelling the job
        // (`DELETE /api/imports/{id}`, from any server) can interrupt a statement it waits in.
        sqlx::query("SELECT set_config('application_name', $1, true)")
            .bind(http::backend_name(job))
            .execute(&mut *tx)
            .await?;
    }
    let mut lookups = load_lookups(&mut tx, target).await?;
    let mut plan_created = false;
    if let (true, Some(name)) = (target.needs_plan(), &opts.plan) {
        let found: Option<(i32,)> = sqlx::query_as("SELECT id FROM zoning_plans WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let id = match found {
            Some((id,)) => id,
            None => {
                plan_created = true;
                sqlx::query_scalar(
                    "INSERT INTO zoning_plans (name, status, legal_basis) \
                     VALUES ($1, 'draft', 'diimpor dengan ruang import') RETURNING id",
                )
                .bind(name)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        lookups.plan_id = Some(id);
    }

    let (send, mut recv) = mpsc::channel::<Vec<u8>>(4);
    let reader = {
        let mut read_opts = opts.read.clone();
        read_opts.path = read_path;
        let progress = progress.clone();
        let limits = opts.limits.clone();
        tokio::task::spawn_blocking(move || {
            read::read(&read_opts, target, &lookups, &limits, &progress, send)
        })
    };

    let columns: Vec<&str> = target.copy_columns().iter().map(|(c, _)| *c).collect();
    let statement = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        target.as_str(),
        columns.join(", ")
    );
    let (summary, imported) = {
        let mut copy = tx.copy_in_raw(&statement).await?;
        let mut copy_error: Option<sqlx::Error> = None;
        while let Some(batch) = recv.recv().await {
            if let Err(e) = copy.send(batch).await {
                copy_error = Some(e);
                // Dropping the receiver stops the reader at its next batch.
                break;
            }
        }
        drop(recv);
        let summary = reader
            .await
            .map_err(|e| ImportError::Thread(e.to_string()))?;
        match (summary, copy_error) {
            (Err(e), _) => {
                let _ = copy.abort("import failed").await;
                return Err(e);
            }
            (Ok(_), Some(e)) => {
                let _ = copy.abort("import failed").await;
                if progress.cancel.load(Ordering::Relaxed) {
                    return Err(ImportError::Cancelled);
                }
                return Err(refused(e));
            }
            (Ok(s), None) if s.rejected_count > 0 => {
                let _ = copy.abort("features were rejected").await;
                (s, 0)
            }
            (Ok(s), None) => {
                let n = copy.finish().await.map_err(refused)?;
                (s, n)
            }
        }
    };
    let committed = summary.rejected_count == 0 && !opts.dry_run;
    progress.read.store(summary.read, Ordering::Relaxed);
    let report = Report {
        target,
        file: opts.display_name.unwrap_or(opts.read.path),
        driver: summary.driver,
        layer: summary.layer,
        source_crs: summary.source_crs,
        plan: opts.plan.filter(|_| target.needs_plan()),
        plan_created,
        mapping: summary.mapping,
        read: summary.read,
        imported,
        repaired: summary.repaired_count,
        rejected: summary.rejected_count,
        repaired_features: summary.repaired,
        rejected_features: summary.rejected,
        dry_run: opts.dry_run,
        committed,
        seconds: started.elapsed().as_secs_f64(),
        stopped: summary
            .stopped
            .then(|| Stopped::after(summary.rejected_count)),
    };
    if committed {
        if let Some(job) = opts.job {
            // The job's success goes into the same transaction as the data: a job cancelled
            // before this point (status no longer `running`) commits nothing, and a cancel
            // after it waits for this row and then finds the job finished.
            let n = sqlx::query(
                "UPDATE import_jobs SET status = 'succeeded', finished_at = now(), \
                 heartbeat_at = now(), features_read = $2, rejected = 0, repaired = $3, \
                 report = $4 WHERE id = $1 AND status = 'running'",
            )
            .bind(job)
            .bind(report.read as i64)
            .bind(report.repaired as i64)
            .bind(serde_json::to_value(&report).unwrap_or(serde_json::Value::Null))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                let _ = tx.rollback().await;
                return Err(ImportError::Cancelled);
            }
        }
        tx.commit().await.map_err(refused)?;
    } else {
        let _ = tx.rollback().await;
    }
    Ok(report)
}

/// A database error while writing: constraint violations are the data's fault.
fn refused(e: sqlx::Error) -> ImportError {
    match &e {
        sqlx::Error::Database(d)
            if d.code()
                .is_some_and(|c| c.starts_with("23") || c.starts_with("22")) =>
        {
            ImportError::Refused(d.message().to_string())
        }
        _ => ImportError::Sql(e),
    }
}
