//! Stunting: prevalence by kelurahan, kecamatan, Puskesmas catchment and city per month, the
//! trend of one unit, and the CSV import.
//!
//! The monthly counts come from the views of `migrations/0005_monitor.sql`
//! (`stunting_kelurahan_month`, `stunting_puskesmas_month`): a kelurahan-level row wins over the
//! sum of the kelurahan's posyandu rows, e-PPGBM wins over other sources, a catchment is the sum
//! of its kelurahan. Prevalence, gap and rank are computed here ([`super::calc`]).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Datelike, Months, NaiveDate};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::cache::{Reads, get_cached};
use super::calc::{self, NATIONAL_TARGET_PCT};
use super::csvin::{self, Column, NameIndex};
use super::{ImportReport, MonitorError, RowError, bad_param};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;

pub fn routes(cache: super::cache::Shared) -> Router<AppState> {
    Router::new()
        .route("/api/stunting", get_cached(Reads::Replica, by_unit))
        .route("/api/stunting/trend", get_cached(Reads::Replica, trend))
        .layer(Extension(cache))
        .route("/api/stunting/import", post(import_http))
}

/// `YYYY-MM` (or `YYYY-MM-01`) → the first day of that month.
pub fn parse_period(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let s = s.strip_suffix("-01").filter(|r| r.len() == 7).unwrap_or(s);
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if !(2000..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, 1)
}

pub fn fmt_period(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// A unit's counts in one month.
struct Counts {
    code: String,
    name: String,
    facility_id: Option<i32>,
    measured: Option<i64>,
    stunted: Option<i64>,
}

fn figures(measured: Option<i64>, stunted: Option<i64>) -> (Option<f64>, Option<f64>) {
    let p = match (measured, stunted) {
        (Some(m), Some(s)) => calc::prevalence_pct(s, m),
        _ => None,
    };
    (p, p.map(calc::gap_to_target_pp))
}

async fn latest_period(pool: &PgPool) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar("SELECT period FROM stunting_latest_period")
        .fetch_one(pool)
        .await
}

/// `GET /api/stunting?period=YYYY-MM&by=kelurahan|kecamatan|puskesmas|city`
async fn by_unit(
    state: AppState,
    q: HashMap<String, String>,
    _: HeaderMap,
) -> Result<Response, MonitorError> {
    let by = q.get("by").map(String::as_str).unwrap_or("kelurahan");
    if !matches!(by, "kelurahan" | "kecamatan" | "puskesmas" | "city") {
        return Err(bad_param(
            "by",
            by,
            "pilih kelurahan, kecamatan, puskesmas atau city",
            "choose kelurahan, kecamatan, puskesmas or city",
        )
        .into());
    }
    let period = match q.get("period") {
        Some(p) => Some(parse_period(p).ok_or_else(|| {
            bad_param(
                "period",
                p,
                "tulis bulan sebagai YYYY-MM",
                "write the month as YYYY-MM",
            )
        })?),
        None => latest_period(&state.pool).await?,
    };
    let pool = &state.pool;
    let rows: Vec<Counts> = match by {
        "kelurahan" => sqlx::query_as::<_, (String, String, Option<i64>, Option<i64>)>(
            "SELECT a.code, a.name, k.measured, k.stunted
               FROM admin_areas a
               LEFT JOIN stunting_kelurahan_month k ON k.kelurahan_code = a.code AND k.period = $1
              WHERE a.level = 'kelurahan'
              ORDER BY a.code",
        )
        .bind(period)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(code, name, measured, stunted)| Counts {
            code,
            name,
            facility_id: None,
            measured,
            stunted,
        })
        .collect(),
        "kecamatan" => sqlx::query_as::<_, (String, String, Option<i64>, Option<i64>)>(
            "SELECT c.code, c.name, sum(k.measured)::int8, sum(k.stunted)::int8
               FROM admin_areas c
               LEFT JOIN admin_areas a ON a.parent_code = c.code AND a.level = 'kelurahan'
               LEFT JOIN stunting_kelurahan_month k ON k.kelurahan_code = a.code AND k.period = $1
              WHERE c.level = 'kecamatan'
              GROUP BY c.code, c.name
              ORDER BY c.code",
        )
        .bind(period)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(code, name, measured, stunted)| Counts {
            code,
            name,
            facility_id: None,
            measured,
            stunted,
        })
        .collect(),
        "puskesmas" => {
            sqlx::query_as::<_, (i32, Option<String>, String, Option<i64>, Option<i64>)>(
                "SELECT h.id, h.code, h.name, p.measured, p.stunted
               FROM health_facilities h
               LEFT JOIN stunting_puskesmas_month p ON p.facility_id = h.id AND p.period = $1
              WHERE h.kind = 'puskesmas'
              ORDER BY h.code, h.id",
            )
            .bind(period)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(id, code, name, measured, stunted)| Counts {
                code: code.unwrap_or_else(|| id.to_string()),
                name,
                facility_id: Some(id),
                measured,
                stunted,
            })
            .collect()
        }
        _ => {
            let (code, name, measured, stunted) = city_counts(pool, period).await?;
            vec![Counts {
                code,
                name,
                facility_id: None,
                measured,
                stunted,
            }]
        }
    };
    let prevalences: Vec<Option<f64>> = rows
        .iter()
        .map(|r| figures(r.measured, r.stunted).0)
        .collect();
    let ranks = calc::rank_desc(&prevalences);
    let units: Vec<Value> = rows
        .iter()
        .zip(ranks)
        .map(|(r, rank)| {
            let (p, gap) = figures(r.measured, r.stunted);
            let mut u = json!({
                "code": r.code,
                "name": r.name,
                "measured": r.measured.unwrap_or(0),
                "stunted": r.stunted.unwrap_or(0),
                "prevalence_pct": p,
                "gap_to_target_pp": gap,
                "rank": rank,
            });
            if let Some(id) = r.facility_id {
                u["facility_id"] = json!(id);
            }
            u
        })
        .collect();
    let (_, _, cm, cs) = city_counts(pool, period).await?;
    let (cp, cgap) = figures(cm, cs);
    Ok(Json(json!({
        "period": period.map(fmt_period),
        "by": by,
        "national_target_pct": NATIONAL_TARGET_PCT,
        "city": {"measured": cm.unwrap_or(0), "stunted": cs.unwrap_or(0),
                 "prevalence_pct": cp, "gap_to_target_pp": cgap},
        "units": units,
    }))
    .into_response())
}

async fn city_counts(
    pool: &PgPool,
    period: Option<NaiveDate>,
) -> Result<(String, String, Option<i64>, Option<i64>), sqlx::Error> {
    sqlx::query_as(
        "SELECT coalesce((SELECT code FROM admin_areas WHERE level = 'kota' ORDER BY code LIMIT 1), '53.71'),
                coalesce((SELECT name FROM admin_areas WHERE level = 'kota' ORDER BY code LIMIT 1), 'Kota Kupang'),
                sum(k.measured)::int8, sum(k.stunted)::int8
           FROM stunting_kelurahan_month k WHERE k.period = $1",
    )
    .bind(period)
    .fetch_one(pool)
    .await
}

/// `GET /api/stunting/trend?unit=CODE`: kelurahan / kecamatan / city codes of `admin_areas`, or
/// a Puskesmas' `health_facilities.code`.
async fn trend(
    state: AppState,
    q: HashMap<String, String>,
    _: HeaderMap,
) -> Result<Response, MonitorError> {
    let Some(unit) = q.get("unit").map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Err(ApiError::bad_request(
            "Parameter unit wajib diisi (kode kelurahan, kecamatan, kota atau Puskesmas).",
            "The parameter unit is required (a kelurahan, kecamatan, city or Puskesmas code).",
        )
        .into());
    };
    let pool = &state.pool;
    let area: Option<(String, String, String)> =
        sqlx::query_as("SELECT code, name, level FROM admin_areas WHERE code = $1")
            .bind(unit)
            .fetch_optional(pool)
            .await?;
    let (code, name, kind, rows): (String, String, &str, Vec<(NaiveDate, i64, i64)>) =
        if let Some((code, name, level)) = area {
            let (kind, sql) = match level.as_str() {
                "kelurahan" => (
                    "kelurahan",
                    "SELECT period, measured, stunted FROM stunting_kelurahan_month
                      WHERE kelurahan_code = $1 ORDER BY period",
                ),
                "kecamatan" => (
                    "kecamatan",
                    "SELECT k.period, sum(k.measured)::int8, sum(k.stunted)::int8
                       FROM stunting_kelurahan_month k
                       JOIN admin_areas a ON a.code = k.kelurahan_code
                      WHERE a.parent_code = $1 GROUP BY k.period ORDER BY k.period",
                ),
                _ => (
                    "city",
                    "SELECT k.period, sum(k.measured)::int8, sum(k.stunted)::int8
                       FROM stunting_kelurahan_month k
                      WHERE $1::text IS NOT NULL GROUP BY k.period ORDER BY k.period",
                ),
            };
            let rows = sqlx::query_as(sql).bind(&code).fetch_all(pool).await?;
            (code, name, kind, rows)
        } else {
            let f: Option<(i32, String, String)> = sqlx::query_as(
                "SELECT id, coalesce(code, id::text), name FROM health_facilities
                  WHERE kind = 'puskesmas' AND (code = $1 OR id::text = $1)",
            )
            .bind(unit)
            .fetch_optional(pool)
            .await?;
            let Some((id, code, name)) = f else {
                return Err(ApiError::not_found(
                    &format!("Wilayah atau Puskesmas {unit:?}"),
                    &format!("The area or Puskesmas {unit:?}"),
                )
                .into());
            };
            let rows = sqlx::query_as(
                "SELECT period, measured, stunted FROM stunting_puskesmas_month
                  WHERE facility_id = $1 ORDER BY period",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (code, name, "puskesmas", rows)
        };
    let mut series = Vec::with_capacity(rows.len());
    let mut prev: Option<(NaiveDate, Option<f64>)> = None;
    for (period, measured, stunted) in rows {
        let p = calc::prevalence_pct(stunted, measured);
        let change = match prev {
            Some((pp, Some(pv))) if pp.checked_add_months(Months::new(1)) == Some(period) => {
                p.map(|x| calc::round_to(x - pv, 1))
            }
            _ => None,
        };
        series.push(json!({
            "period": fmt_period(period),
            "measured": measured,
            "stunted": stunted,
            "prevalence_pct": p,
            "gap_to_target_pp": p.map(calc::gap_to_target_pp),
            "change_pp": change,
        }));
        prev = Some((period, p));
    }
    Ok(Json(json!({
        "unit": {"code": code, "name": name, "kind": kind},
        "national_target_pct": NATIONAL_TARGET_PCT,
        "series": series,
    }))
    .into_response())
}

async fn import_http(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, MonitorError> {
    caller.require(&[Role::Planner])?;
    super::check_csv_content_type(&headers)?;
    super::check_import_size(body.len())?;
    let report = import(&state.pool, &body).await?;
    Ok((StatusCode::OK, Json(report)).into_response())
}

static COLUMNS: &[Column] = &[
    Column {
        name: "period",
        aliases: &["periode", "bulan", "month"],
        required: true,
    },
    Column {
        name: "level",
        aliases: &["tingkat"],
        required: false,
    },
    Column {
        name: "unit",
        aliases: &[
            "kelurahan",
            "unit_code",
            "kode",
            "code",
            "wilayah",
            "posyandu",
            "puskesmas",
        ],
        required: true,
    },
    Column {
        name: "target",
        aliases: &["sasaran"],
        required: false,
    },
    Column {
        name: "measured",
        aliases: &["diukur", "j_b_diukur", "jumlah_diukur"],
        required: true,
    },
    Column {
        name: "severely_stunted",
        aliases: &["sangat_pendek", "s_pendek"],
        required: true,
    },
    Column {
        name: "stunted",
        aliases: &["pendek"],
        required: true,
    },
    Column {
        name: "normal",
        aliases: &[],
        required: true,
    },
    Column {
        name: "tall",
        aliases: &["tinggi"],
        required: false,
    },
    Column {
        name: "source",
        aliases: &["sumber"],
        required: false,
    },
];

/// The source of rows that name none.
pub const DEFAULT_SOURCE: &str = "e-PPGBM";

struct StuntingRow {
    line: u64,
    period: NaiveDate,
    level: String,
    kelurahan: Option<String>,
    facility: Option<i32>,
    target: Option<i32>,
    measured: i32,
    severe: i32,
    stunted: i32,
    normal: i32,
    tall: i32,
    source: String,
}

fn count(row: &csvin::Row, col: &str, required: bool, errors: &mut Vec<RowError>) -> Option<i32> {
    let Some(v) = row.get(col) else {
        if required {
            errors.push(RowError::new(
                row.line,
                Some(col),
                None,
                format!("Kolom {col} kosong."),
                format!("The column {col} is empty."),
            ));
        }
        return None;
    };
    match v.parse::<i32>() {
        Ok(n) if n >= 0 && v.chars().all(|c| c.is_ascii_digit()) => Some(n),
        _ => {
            errors.push(RowError::new(
                row.line,
                Some(col),
                Some(v),
                "Harus bilangan bulat 0 atau lebih (tanpa pemisah ribuan).",
                "Must be a whole number of 0 or more (no thousands separators).",
            ));
            None
        }
    }
}

/// Validates and stores a stunting CSV file: all rows or none. A row already stored with the
/// same counts is skipped (so a repeated file adds nothing); the same key with other counts,
/// and a key repeated inside the file, are errors.
pub async fn import(pool: &PgPool, bytes: &[u8]) -> Result<ImportReport, MonitorError> {
    super::check_import_size(bytes.len())?;
    let table = csvin::read(bytes, COLUMNS).map_err(MonitorError::Rows)?;
    let mut kel: NameIndex<String> = NameIndex::default();
    for (code, name) in sqlx::query_as::<_, (String, String)>(
        "SELECT code, name FROM admin_areas WHERE level = 'kelurahan'
          UNION ALL
         SELECT a.code, x.alias FROM admin_area_aliases x
           JOIN admin_areas a ON a.code = x.code AND a.level = 'kelurahan'",
    )
    .fetch_all(pool)
    .await?
    {
        kel.add(&code, code.clone(), false);
        kel.add(&name, code, true);
    }
    let mut facilities: HashMap<&str, NameIndex<(i32, Option<String>)>> = HashMap::new();
    for (id, kind, code, name, k) in
        sqlx::query_as::<_, (i32, String, Option<String>, String, Option<String>)>(
            "SELECT id, kind, code, name, kelurahan_code FROM health_facilities
              WHERE kind IN ('posyandu', 'puskesmas') ORDER BY id",
        )
        .fetch_all(pool)
        .await?
    {
        let kind = if kind == "posyandu" {
            "posyandu"
        } else {
            "puskesmas"
        };
        let idx = facilities.entry(kind).or_default();
        if let Some(c) = &code {
            idx.add(c, (id, k.clone()), false);
        }
        idx.add(&name, (id, k), true);
    }
    let this_month = chrono::Local::now().date_naive().with_day(1);
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    type Key = (NaiveDate, String, Option<String>, Option<i32>, String);
    let mut seen: HashMap<Key, u64> = HashMap::new();
    for r in &table.rows {
        let before = errors.len();
        let period = r.get("period").and_then(|p| {
            let parsed = parse_period(p);
            if parsed.is_none() {
                errors.push(RowError::new(
                    r.line,
                    Some("period"),
                    Some(p),
                    "Bulan tidak sah; tulis YYYY-MM, mis. 2026-05.",
                    "Not a valid month; write YYYY-MM, e.g. 2026-05.",
                ));
            } else if parsed > this_month {
                errors.push(RowError::new(
                    r.line,
                    Some("period"),
                    Some(p),
                    "Bulan ini belum terjadi.",
                    "This month lies in the future.",
                ));
                return None;
            }
            parsed
        });
        if r.get("period").is_none() {
            errors.push(RowError::new(
                r.line,
                Some("period"),
                None,
                "Kolom period kosong.",
                "The column period is empty.",
            ));
        }
        let level = r.get("level").unwrap_or("kelurahan").to_lowercase();
        if !matches!(level.as_str(), "kelurahan" | "posyandu" | "puskesmas") {
            errors.push(RowError::new(
                r.line,
                Some("level"),
                r.get("level"),
                "Tingkat harus kelurahan, posyandu atau puskesmas.",
                "The level must be kelurahan, posyandu or puskesmas.",
            ));
        }
        let (mut kelurahan, mut facility) = (None, None);
        match r.get("unit") {
            None => errors.push(RowError::new(
                r.line,
                Some("unit"),
                None,
                "Kolom unit kosong.",
                "The column unit is empty.",
            )),
            Some(u) if level == "kelurahan" => {
                kelurahan = kel.lookup(
                    r.line,
                    "unit",
                    u,
                    (
                        "Kelurahan tidak dikenal (kode atau nama).",
                        "Unknown kelurahan (code or name).",
                    ),
                    &mut errors,
                );
            }
            Some(u) if level == "posyandu" || level == "puskesmas" => {
                let idx = facilities.get(level.as_str());
                match idx.and_then(|i| i.get(u)) {
                    Some((id, k)) => {
                        facility = Some(id);
                        if level == "posyandu" {
                            kelurahan = k;
                        }
                    }
                    None => errors.push(
                        RowError::new(
                            r.line,
                            Some("unit"),
                            Some(u),
                            format!("{level} tidak dikenal (kode atau nama)."),
                            format!("Unknown {level} (code or name)."),
                        )
                        .with_suggestions(idx.map(|i| i.suggest(u)).unwrap_or_default()),
                    ),
                }
            }
            Some(_) => {}
        }
        let target = count(r, "target", false, &mut errors);
        let measured = count(r, "measured", true, &mut errors);
        let severe = count(r, "severely_stunted", true, &mut errors);
        let stunted = count(r, "stunted", true, &mut errors);
        let normal = count(r, "normal", true, &mut errors);
        let tall = count(r, "tall", false, &mut errors).unwrap_or(0);
        let source = r.get("source").unwrap_or(DEFAULT_SOURCE).to_owned();
        if let (Some(m), Some(s), Some(p), Some(n)) = (measured, severe, stunted, normal) {
            let sum = s as i64 + p as i64 + n as i64 + tall as i64;
            if sum > m as i64 {
                errors.push(RowError::new(
                    r.line,
                    Some("measured"),
                    r.get("measured"),
                    format!(
                        "Sangat pendek + pendek + normal + tinggi = {sum}, lebih dari yang diukur ({m})."
                    ),
                    format!(
                        "Severely stunted + stunted + normal + tall = {sum}, more than measured ({m})."
                    ),
                ));
            }
        }
        if errors.len() > before {
            continue;
        }
        let (Some(period), Some(measured), Some(severe), Some(stunted), Some(normal)) =
            (period, measured, severe, stunted, normal)
        else {
            continue;
        };
        let key = (
            period,
            level.clone(),
            kelurahan.clone(),
            facility,
            source.clone(),
        );
        if let Some(first) = seen.insert(key, r.line) {
            errors.push(RowError::new(
                r.line,
                Some("unit"),
                r.get("unit"),
                format!(
                    "Baris ganda: unit, bulan dan sumber yang sama sudah ada di baris {first}."
                ),
                format!("Duplicated row: the same unit, month and source are in row {first}."),
            ));
            continue;
        }
        rows.push(StuntingRow {
            line: r.line,
            period,
            level,
            kelurahan,
            facility,
            target,
            measured,
            severe,
            stunted,
            normal,
            tall,
            source,
        });
    }
    if !errors.is_empty() {
        return Err(MonitorError::Rows(errors));
    }
    store(pool, &rows).await
}

async fn store(pool: &PgPool, rows: &[StuntingRow]) -> Result<ImportReport, MonitorError> {
    let periods: Vec<NaiveDate> = rows.iter().map(|r| r.period).collect();
    let levels: Vec<&str> = rows.iter().map(|r| r.level.as_str()).collect();
    let kels: Vec<Option<&str>> = rows.iter().map(|r| r.kelurahan.as_deref()).collect();
    let facs: Vec<Option<i32>> = rows.iter().map(|r| r.facility).collect();
    let targets: Vec<Option<i32>> = rows.iter().map(|r| r.target).collect();
    let measured: Vec<i32> = rows.iter().map(|r| r.measured).collect();
    let severe: Vec<i32> = rows.iter().map(|r| r.severe).collect();
    let stunted: Vec<i32> = rows.iter().map(|r| r.stunted).collect();
    let normal: Vec<i32> = rows.iter().map(|r| r.normal).collect();
    let tall: Vec<i32> = rows.iter().map(|r| r.tall).collect();
    let sources: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    let lines: Vec<i64> = rows.iter().map(|r| r.line as i64).collect();
    const INPUT: &str = "unnest($1::date[], $2::text[], $3::text[], $4::int4[], $5::int4[], \
        $6::int4[], $7::int4[], $8::int4[], $9::int4[], $10::int4[], $11::text[], $12::int8[]) \
        AS i(period, level, kel, fac, target, measured, severe, stunted, normal, tall, source, n)";
    macro_rules! bind_all {
        ($q:expr) => {
            $q.bind(&periods)
                .bind(&levels)
                .bind(&kels)
                .bind(&facs)
                .bind(&targets)
                .bind(&measured)
                .bind(&severe)
                .bind(&stunted)
                .bind(&normal)
                .bind(&tall)
                .bind(&sources)
                .bind(&lines)
        };
    }
    let mut tx = pool.begin().await?;
    let conflicts: Vec<(i64, i32, i32, i32)> = bind_all!(sqlx::query_as(&format!(
        "SELECT i.n, o.measured, o.severely_stunted, o.stunted FROM {INPUT}
           JOIN stunting_observations o
             ON o.period = i.period AND o.level = i.level AND o.source = i.source
            AND o.kelurahan_code IS NOT DISTINCT FROM i.kel
            AND o.facility_id IS NOT DISTINCT FROM i.fac
          WHERE (o.target, o.measured, o.severely_stunted, o.stunted, o.normal, o.tall)
                IS DISTINCT FROM (i.target, i.measured, i.severe, i.stunted, i.normal, i.tall)
          ORDER BY i.n"
    )))
    .fetch_all(&mut *tx)
    .await?;
    if !conflicts.is_empty() {
        return Err(MonitorError::Rows(
            conflicts
                .into_iter()
                .map(|(n, m, s, p)| {
                    RowError::new(
                        n as u64,
                        None,
                        None,
                        format!(
                            "Data unit, bulan dan sumber ini sudah tersimpan dengan angka lain \
                             (diukur {m}, sangat pendek {s}, pendek {p}); koreksi belum didukung lewat impor."
                        ),
                        format!(
                            "This unit, month and source are already stored with other counts \
                             (measured {m}, severely stunted {s}, stunted {p}); corrections are not \
                             supported through imports yet."
                        ),
                    )
                })
                .collect(),
        ));
    }
    let inserted = bind_all!(sqlx::query(&format!(
        "INSERT INTO stunting_observations (period, level, kelurahan_code, facility_id, target,
                measured, severely_stunted, stunted, normal, tall, source)
         SELECT period, level, kel, fac, target, measured, severe, stunted, normal, tall, source
           FROM {INPUT} ORDER BY n
         ON CONFLICT ON CONSTRAINT stunting_once DO NOTHING"
    )))
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;
    tx.commit().await?;
    Ok(ImportReport {
        rows: rows.len(),
        inserted,
        unchanged: rows.len() - inserted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(parse_period("2026-05"), NaiveDate::from_ymd_opt(2026, 5, 1));
        assert_eq!(
            parse_period("2026-05-01"),
            NaiveDate::from_ymd_opt(2026, 5, 1)
        );
        assert_eq!(parse_period("2026-13"), None);
        assert_eq!(parse_period("2026-5"), None);
        assert_eq!(parse_period("05/2026"), None);
        assert_eq!(parse_period("2026-05-02"), None);
    }
}
