//! `/api/plans`: list and create plans, load a regulation file into a draft, export a plan's
//! tables, compare two plans (JSON or an HTML page), the impact of a draft, activate a draft,
//! delete a draft.
//!
//! Staff (every role but `pemohon`) may read; planners (and admins) load, create and delete
//! drafts; only admins activate. Every write is recorded in `plan_events`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::book::{self, TableKind};
use super::diff::{self, PlanDiff, PlanRef};
use super::store::{self, Actor, ImportOptions};
use super::{PlanError, impact, sheets};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::http::guard::Multipart;
use crate::ogc::html::esc;
use crate::rules::RuleSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/plans", get(list).post(create))
        .route("/api/plans/{plan}", get(show).delete(remove))
        .route("/api/plans/{plan}/rules", get(export).post(import))
        .route("/api/plans/{plan}/diff/{other}", get(compare))
        .route("/api/plans/{plan}/impact", get(impact_of))
        .route("/api/plans/{plan}/activate", post(activate))
}

/// Rule sets of plans other than the active one, built for impact runs, by (id, version).
#[derive(Default)]
pub struct PlanCache {
    sets: Mutex<HashMap<i32, (i32, Arc<RuleSet>)>>,
}

impl PlanCache {
    /// The rule set of plan `id` at `version`, built when the cache has no such one.
    pub async fn rule_set(
        &self,
        pool: &sqlx::PgPool,
        id: i32,
        version: i32,
    ) -> Result<Arc<RuleSet>, PlanError> {
        if let Some((v, rs)) = self.sets.lock().unwrap_or_else(|e| e.into_inner()).get(&id)
            && *v == version
        {
            return Ok(Arc::clone(rs));
        }
        let rs = Arc::new(crate::check::load_plan(pool, Some(id)).await?);
        let mut m = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        // a few plans at most: drafts under review
        if m.len() >= 4 {
            m.clear();
        }
        m.insert(id, (rs.plan().version, Arc::clone(&rs)));
        Ok(rs)
    }
}

const STAFF: &[Role] = &[
    Role::Operator,
    Role::Verifikator,
    Role::Forum,
    Role::Pejabat,
    Role::Planner,
];

fn actor(c: &Caller) -> Actor {
    Actor {
        id: Some(c.user_id),
        role: c.role.as_str().to_owned(),
    }
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, PlanError> {
    caller.require(STAFF)?;
    let plans = store::list(&state.pool).await?;
    Ok(axum::Json(json!({ "plans": plans })).into_response())
}

fn body_object(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Map<String, Value>, PlanError> {
    crate::http::body::json_object(headers, body).map_err(PlanError::Api)
}

fn opt_str<'a>(
    m: &'a serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<&'a str>, PlanError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(PlanError::invalid(
            key,
            format!("Isian {key} harus berupa teks."),
            format!("The field {key} must be a string."),
        )),
    }
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PlanError> {
    caller.require(&[Role::Planner])?;
    let m = body_object(&headers, &body)?;
    let name = opt_str(&m, "name")?.ok_or_else(|| {
        PlanError::invalid(
            "name",
            "Isian name (nama rancangan) wajib diisi.",
            "The field name (the draft's name) is required.",
        )
    })?;
    let valid_from = match opt_str(&m, "valid_from")? {
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                PlanError::invalid(
                    "valid_from",
                    "Tanggal berlaku harus berbentuk YYYY-MM-DD.",
                    "valid_from must be a date, YYYY-MM-DD.",
                )
            })?,
        ),
        None => None,
    };
    let mut tx = state.pool.begin().await?;
    store::lock_plans(&mut tx).await?;
    let base = match opt_str(&m, "from")? {
        Some(k) => Some(store::find(&mut tx, k).await.map_err(|e| match e {
            PlanError::NotFound(k) => PlanError::invalid(
                "from",
                format!("Rencana asal {k:?} tidak ditemukan."),
                format!("The plan to copy, {k:?}, was not found."),
            ),
            e => e,
        })?),
        None if m.get("empty") == Some(&Value::Bool(true)) => None,
        None => store::active(&mut tx).await?,
    };
    let plan = store::create_draft(
        &mut tx,
        name,
        base.as_ref(),
        opt_str(&m, "legal_basis")?,
        valid_from,
        &actor(&caller),
    )
    .await?;
    tx.commit().await?;
    let mut res = (StatusCode::CREATED, axum::Json(json!({ "plan": plan }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/plans/{}", plan.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Response, PlanError> {
    caller.require(STAFF)?;
    let mut conn = state.pool.acquire().await?;
    let plan = store::find(&mut conn, &key).await?;
    drop(conn);
    let history = store::history(&state.pool, plan.id).await?;
    Ok(axum::Json(json!({ "plan": plan, "history": history })).into_response())
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Response, PlanError> {
    caller.require(&[Role::Planner])?;
    store::delete_draft(&state.pool, &key, &actor(&caller)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> PlanError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        PlanError::TooLarge {
            detail: "Berkas terlalu besar untuk batas unggah server (body_limit_bytes).".into(),
            detail_en: "The file is larger than the server's upload limit (body_limit_bytes)."
                .into(),
        }
    } else {
        PlanError::Api(ApiError::bad_request(
            format!("Unggahan multipart tidak dapat dibaca: {e}"),
            format!("The multipart upload cannot be read: {e}"),
        ))
    }
}

fn flag(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "ya" | "on"
    )
}

/// `POST /api/plans/{plan}/rules` (multipart: `file`, optional `sheet`, `table`, `from`,
/// `dry_run`): loads the file's tables into the draft, creating it from `from` (or the active
/// plan) when no plan has that name.
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    mut mp: Multipart,
) -> Result<Response, PlanError> {
    caller.require(&[Role::Planner])?;
    let (mut file, mut sheet, mut table, mut from, mut dry_run) = (None, None, None, None, false);
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" || field.file_name().is_some() {
            let fname = field.file_name().unwrap_or("rules.csv").to_owned();
            let mut buf = Vec::new();
            while let Some(c) = field.chunk().await.map_err(multipart_error)? {
                buf.extend_from_slice(&c);
            }
            file = Some((fname, buf));
            continue;
        }
        let text = field.text().await.map_err(|e| e.or_read(multipart_error))?;
        match name.as_str() {
            "sheet" => sheet = Some(text.trim().to_owned()).filter(|s| !s.is_empty()),
            "table" => table = Some(text),
            "from" => from = Some(text.trim().to_owned()).filter(|s| !s.is_empty()),
            "dry_run" => dry_run = flag(&text),
            other => {
                return Err(PlanError::invalid(
                    "form",
                    format!(
                        "Isian formulir {other:?} tidak dikenal; yang dikenal: file, sheet, table, from, dry_run."
                    ),
                    format!(
                        "Unknown form field {other:?}; known: file, sheet, table, from, dry_run."
                    ),
                ));
            }
        }
    }
    let (fname, bytes) = file.ok_or_else(|| {
        PlanError::invalid(
            "file",
            "Lampirkan berkas CSV atau XLSX di isian file.",
            "Attach a CSV or XLSX file in the field file.",
        )
    })?;
    let kind = match table {
        Some(t) if !t.trim().is_empty() => Some(TableKind::parse(&t).ok_or_else(|| {
            PlanError::invalid(
                "table",
                "table harus itbx, intensity, conditions atau activities.",
                "table must be itbx, intensity, conditions or activities.",
            )
        })?),
        _ => None,
    };
    let opts = ImportOptions {
        plan: key,
        base: from,
        dry_run,
        actor: actor(&caller),
    };
    let report = import_bytes(&state.pool, &fname, &bytes, sheet.as_deref(), kind, &opts).await?;
    let status = if report.created && !report.dry_run {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(report)).into_response())
}

/// Reads, checks and stores a rule book file (the HTTP and CLI path).
pub async fn import_bytes(
    pool: &sqlx::PgPool,
    file_name: &str,
    bytes: &[u8],
    sheet: Option<&str>,
    kind: Option<TableKind>,
    opts: &ImportOptions,
) -> Result<store::ImportReport, PlanError> {
    let sheets = {
        let (n, b) = (file_name.to_owned(), bytes.to_vec());
        tokio::task::spawn_blocking(move || sheets::read_file(&n, &b))
            .await
            .map_err(|e| PlanError::Internal(e.to_string()))??
    };
    let cat = store::target_catalogue(pool, opts).await?;
    let book = book::read(&sheets, &cat, sheet, kind).map_err(PlanError::Book)?;
    store::import(pool, &book, opts).await
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
    table: Option<String>,
}

/// `GET /api/plans/{plan}/rules?format=xlsx|csv&table=..`: the plan's tables (CSV: one table).
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PlanError> {
    caller.require(STAFF)?;
    let format = q
        .format
        .as_deref()
        .unwrap_or(if q.table.is_some() { "csv" } else { "xlsx" });
    let kind = match &q.table {
        Some(t) => Some(TableKind::parse(t).ok_or_else(|| {
            PlanError::invalid(
                "table",
                "table harus itbx, intensity, conditions atau activities.",
                "table must be itbx, intensity, conditions or activities.",
            )
        })?),
        None => None,
    };
    let (name, bytes, ctype) = export_plan(&state.pool, &key, format, kind).await?;
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// A file name made of safe characters.
fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The plan's tables as a file: (file name, bytes, content type).
pub async fn export_plan(
    pool: &sqlx::PgPool,
    key: &str,
    format: &str,
    kind: Option<TableKind>,
) -> Result<(String, Vec<u8>, &'static str), PlanError> {
    let mut conn = pool.acquire().await?;
    let plan = store::find(&mut conn, key).await?;
    let book = store::load_book(&mut conn, plan.id).await?;
    let grids: Vec<book::Grid> = book::to_grids(&book, &store::titles(&book))
        .into_iter()
        .filter(|g| kind.is_none_or(|k| g.kind == k))
        .collect();
    let stem = file_stem(&plan.name);
    match format {
        "csv" => {
            let Some(k) = kind else {
                return Err(PlanError::invalid(
                    "table",
                    "Ekspor CSV berisi satu tabel: sebutkan table=itbx, intensity, conditions atau activities.",
                    "A CSV export holds one table: give table=itbx, intensity, conditions or activities.",
                ));
            };
            Ok((
                format!("{stem}-{}.csv", k.as_str()),
                sheets::write_csv(&grids[0]),
                "text/csv; charset=utf-8",
            ))
        }
        "xlsx" => Ok((
            format!("{stem}.xlsx"),
            sheets::write_xlsx(&grids)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )),
        _ => Err(PlanError::invalid(
            "format",
            "format harus xlsx atau csv.",
            "format must be xlsx or csv.",
        )),
    }
}

#[derive(Deserialize)]
struct FormatQuery {
    f: Option<String>,
}

fn wants_html(headers: &HeaderMap, f: Option<&str>) -> bool {
    match f {
        Some(f) => f == "html",
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
    }
}

/// `GET /api/plans/{a}/diff/{b}`: what plan `b` changes against `a`.
async fn compare(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((a, b)): Path<(String, String)>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, PlanError> {
    caller.require(STAFF)?;
    if let Some(f) = q.f.as_deref()
        && f != "html"
        && f != "json"
    {
        return Err(PlanError::invalid(
            "f",
            "f harus json atau html.",
            "f must be json or html.",
        ));
    }
    let mut tx = state.pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *tx)
        .await?;
    let d = diff::diff(&mut tx, &a, &b).await?;
    tx.commit().await?;
    if wants_html(&headers, q.f.as_deref()) {
        return Ok(Html(diff_html(&d)).into_response());
    }
    Ok(axum::Json(d).into_response())
}

fn v(x: &Value) -> String {
    match x {
        Value::Null => "–".into(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

/// The comparison as a page a person reads (Indonesian, English in titles).
pub fn diff_html(d: &PlanDiff) -> String {
    let mut h = String::new();
    let s = &d.summary;
    h.push_str(&format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Perbandingan rencana: {a} → {b}</title><link rel=\"stylesheet\" href=\"/assets/app/style.css\"></head><body class=\"doc\"><main class=\"doc-main\">\
         <h1>Perbandingan rencana <small>Plan comparison</small></h1>\
         <p><b>{a}</b> ({sa}, versi {va}) → <b>{b}</b> ({sb}, versi {vb})</p>\
         <ul class=\"summary\"><li>{} sel ITBX berubah <i>ITBX cells changed</i></li><li>{} baris intensitas berubah <i>intensity rows changed</i></li>\
         <li>{} teks ketentuan berubah <i>condition texts changed</i></li><li>{} sub-zona baru, {} dihapus <i>sub-zones added, removed</i></li>\
         <li>{} zona berubah atau baru, {} zona dihapus <i>zones changed or added, removed</i></li><li>{} m² berganti sub-zona <i>m² rezoned</i></li></ul>",
        s.itbx_cells_changed,
        s.intensity_rows_changed,
        s.conditions_changed,
        s.subzones_added,
        s.subzones_removed,
        s.zones_changed,
        s.zones_removed,
        book::format_number((s.rezoned_m2 * 100.0).round() / 100.0),
        a = esc(&d.a.name),
        b = esc(&d.b.name),
        sa = esc(&d.a.status),
        sb = esc(&d.b.status),
        va = d.a.version,
        vb = d.b.version,
    ));
    if !d.rules.itbx.is_empty() {
        h.push_str("<h2>Matriks ITBX <small>ITBX matrix</small></h2><table><thead><tr><th>KBLI</th><th>Kegiatan</th><th>Sub-zona</th><th>Sebelum</th><th>Sesudah</th></tr></thead><tbody>");
        for c in &d.rules.itbx {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.kbli),
                esc(&c.activity),
                esc(&c.subzone),
                c.from
                    .as_ref()
                    .map(|x| esc(&x.text))
                    .unwrap_or_else(|| "–".into()),
                c.to.as_ref()
                    .map(|x| esc(&x.text))
                    .unwrap_or_else(|| "–".into()),
            ));
        }
        h.push_str("</tbody></table>");
    }
    if !d.rules.intensity.is_empty() {
        h.push_str("<h2>Intensitas <small>Intensity</small></h2><table><thead><tr><th>Sub-zona</th><th>Varian</th><th>Nilai</th><th>Sebelum</th><th>Sesudah</th></tr></thead><tbody>");
        for r in &d.rules.intensity {
            for f in &r.fields {
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&r.subzone),
                    esc(&r.variant),
                    f.field,
                    v(&f.from),
                    v(&f.to)
                ));
            }
        }
        h.push_str("</tbody></table>");
    }
    if !d.rules.conditions.is_empty() {
        h.push_str("<h2>Teks ketentuan <small>Condition texts</small></h2><table><thead><tr><th>Kode</th><th>Sebelum</th><th>Sesudah</th></tr></thead><tbody>");
        for c in &d.rules.conditions {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.code),
                c.from.as_deref().map(esc).unwrap_or_else(|| "–".into()),
                c.to.as_deref().map(esc).unwrap_or_else(|| "–".into())
            ));
        }
        h.push_str("</tbody></table>");
    }
    if !d.zones.rezoned.is_empty() {
        h.push_str("<h2>Perubahan sub-zona <small>Rezoned area</small></h2><table><thead><tr><th>Dari</th><th>Menjadi</th><th>Luas (m²)</th></tr></thead><tbody>");
        for r in &d.zones.rezoned {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(&r.from),
                esc(&r.to),
                book::format_number(r.area_m2)
            ));
        }
        h.push_str("</tbody></table>");
    }
    if !d.zones.changed.is_empty() {
        h.push_str("<h2>Zona berubah <small>Changed zones</small></h2><table><thead><tr><th>Zona</th><th>Sub-zona</th><th>Luas (m²)</th><th>Sebelumnya</th></tr></thead><tbody>");
        for z in &d.zones.changed {
            let before: Vec<String> = z
                .before
                .iter()
                .map(|(k, m2)| format!("{} {} m²", esc(k), book::format_number(*m2)))
                .collect();
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                z.id,
                esc(&z.subzone),
                book::format_number(z.area_m2),
                if before.is_empty() {
                    "– (baru)".into()
                } else {
                    before.join(", ")
                }
            ));
        }
        h.push_str("</tbody></table>");
    }
    if d.summary.itbx_cells_changed
        + d.summary.intensity_rows_changed
        + d.summary.conditions_changed
        + d.summary.zones_changed
        + d.summary.zones_removed
        == 0
    {
        h.push_str("<p>Kedua rencana sama. <i>The plans are the same.</i></p>");
    }
    h.push_str("</main></body></html>");
    h
}

#[derive(Deserialize)]
struct ImpactQuery {
    /// The plan to compare with (the active plan by default).
    against: Option<String>,
    /// Re-check every subject, not only those the screen keeps.
    full: Option<String>,
}

/// `GET /api/plans/{plan}/impact`: permits and open applications whose outcome changes.
async fn impact_of(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    Query(q): Query<ImpactQuery>,
) -> Result<Response, PlanError> {
    caller.require(STAFF)?;
    let full = q.full.as_deref().is_some_and(flag);
    let imp = impact_run(
        &state.pool,
        Some(&state.check),
        &state.plans,
        &key,
        q.against.as_deref(),
        full,
    )
    .await?;
    Ok(axum::Json(imp).into_response())
}

/// Runs the impact of plan `key` against `against` (the active plan when `None`). The active
/// plan's rule set comes from `check` when given (the server's, already built).
pub async fn impact_run(
    pool: &sqlx::PgPool,
    check: Option<&crate::check::CheckService>,
    cache: &PlanCache,
    key: &str,
    against: Option<&str>,
    full: bool,
) -> Result<impact::Impact, PlanError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let after_plan = store::find(&mut tx, key).await?;
    let before_plan = match against {
        Some(k) => store::find(&mut tx, k).await?,
        None => store::active(&mut tx).await?.ok_or_else(|| {
            PlanError::state(
                "Belum ada rencana aktif untuk dibandingkan.",
                "No plan is active to compare with.",
            )
        })?,
    };
    let (ba, bb) = (
        store::load_book(&mut tx, before_plan.id).await?,
        store::load_book(&mut tx, after_plan.id).await?,
    );
    let rules = diff::rules_diff(
        &ba,
        &bb,
        &Default::default(),
        &Default::default(),
        &store::titles(&bb),
    );
    let subjects = impact::subjects(&mut tx).await?;
    let names = impact::kelurahan_names(&mut tx).await?;
    tx.commit().await?;
    let rule_set = |p: &store::Plan| {
        let p = p.clone();
        async move {
            if let Some(check) = check
                && p.status == "active"
            {
                let rs = check.rule_set().await?;
                if rs.plan().id == p.id && rs.plan().version == p.version {
                    return Ok::<_, PlanError>(rs);
                }
            }
            cache.rule_set(pool, p.id, p.version).await
        }
    };
    let before = rule_set(&before_plan).await?;
    let after = rule_set(&after_plan).await?;
    let (bref, aref): (PlanRef, PlanRef) = ((&before_plan).into(), (&after_plan).into());
    let imp = tokio::task::spawn_blocking(move || {
        impact::run(&before, &after, &rules, &subjects, &names, bref, aref, full)
    })
    .await
    .map_err(|e| PlanError::Internal(e.to_string()))?;
    Ok(imp)
}

/// `POST /api/plans/{plan}/activate` `{"reason": "...", "version": N}` (admins).
async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, PlanError> {
    caller.require(&[Role::Admin])?;
    let m = body_object(&headers, &body)?;
    let reason = opt_str(&m, "reason")?.unwrap_or("");
    let version = match m.get("version") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(
            || {
                PlanError::invalid(
                    "version",
                    "version harus bilangan bulat.",
                    "version must be an integer.",
                )
            },
        )?),
        Some(_) => {
            return Err(PlanError::invalid(
                "version",
                "version harus bilangan bulat.",
                "version must be an integer.",
            ));
        }
    };
    let plan = store::activate(&state.pool, &key, reason, version, &actor(&caller)).await?;
    // the rule set follows the change feed; this makes the next check use the new plan at once
    state.check.invalidate();
    Ok(axum::Json(json!({ "plan": plan })).into_response())
}
