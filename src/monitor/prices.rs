//! Food prices: per market × commodity figures and alert levels, alerts, disparity between
//! markets, the city food price index, CSV export, and the CSV import.
//!
//! Only retail prices (`level = 'eceran'`) feed the figures. Each series is judged at its latest
//! observation on or before `date` (no bound without `date`), with the windows and rules of
//! [`calc::series_stats`] and [`calc::alert_level`]; the view `market_commodity_alerts` (0005)
//! applies the same rules for the `markets` tiles.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::cache::{Reads, get_cached};
use super::calc::{self, AlertLevel, Obs, SeriesStats};
use super::csvin::{self, Column, NameIndex};
use super::{ImportReport, MonitorError, RowError, bad_param};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;

pub fn routes(cache: super::cache::Shared) -> Router<AppState> {
    Router::new()
        .route("/api/prices", get_cached(Reads::Replica, prices))
        .route("/api/prices/alerts", get_cached(Reads::Replica, alerts))
        .route("/api/prices/index", get_cached(Reads::Replica, index))
        .route(
            "/api/prices/disparity",
            get_cached(Reads::Replica, disparity),
        )
        .route("/api/prices/series", get_cached(Reads::Primary, series))
        .layer(Extension(cache))
        .route("/api/prices/import", post(import_http))
}

#[derive(Debug, Clone)]
pub struct Market {
    pub id: i32,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Commodity {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone)]
struct Reference {
    commodity_id: i32,
    kind: String,
    price_min: Option<f64>,
    price_max: f64,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    legal_basis: String,
    id: i32,
}

/// The reference price in force on `d`: HET before HAP, then the newest.
fn reference_on(refs: &[Reference], commodity_id: i32, d: NaiveDate) -> Option<&Reference> {
    refs.iter()
        .filter(|r| {
            r.commodity_id == commodity_id
                && r.valid_from <= d
                && r.valid_until.is_none_or(|u| u >= d)
        })
        .max_by(|a, b| {
            (a.kind == "HET", a.valid_from, a.id).cmp(&(b.kind == "HET", b.valid_from, b.id))
        })
}

/// One market × commodity at its latest price.
pub struct Item {
    pub market: Market,
    pub commodity: Commodity,
    pub stats: SeriesStats,
    reference: Option<Reference>,
    pub level: AlertLevel,
    pub reasons: Vec<calc::AlertReason>,
}

fn r2(x: f64) -> f64 {
    calc::round_to(x, 2)
}

impl Item {
    fn json(&self) -> Value {
        let s = &self.stats;
        let reference = self.reference.as_ref().map(|r| {
            json!({"kind": r.kind, "price_min": r.price_min, "price_max": r.price_max,
                   "valid_from": r.valid_from, "valid_until": r.valid_until,
                   "legal_basis": r.legal_basis})
        });
        let gap = self.reference.as_ref().map(|r| s.price - r.price_max);
        let gap_pct = self
            .reference
            .as_ref()
            .and_then(|r| calc::change_pct(s.price, r.price_max));
        json!({
            "market": {"id": self.market.id, "code": self.market.code, "name": self.market.name},
            "commodity": {"code": self.commodity.code, "name": self.commodity.name,
                          "unit": self.commodity.unit},
            "date": s.date,
            "price": s.price,
            "avg_week": r2(s.avg_week),
            "avg_month": r2(s.avg_month),
            "prev_month_price": s.prev_month_price,
            "mom_pct": s.mom_pct.map(r2),
            "prev_year_price": s.prev_year_price,
            "yoy_pct": s.yoy_pct.map(r2),
            "cv_4w_pct": s.cv_4w_pct.map(r2),
            "cv_12m_pct": s.cv_12m_pct.map(r2),
            "n_4w": s.n_4w,
            "n_12m": s.n_12m,
            "reference": reference,
            "gap_idr": gap,
            "gap_pct": gap_pct.map(r2),
            "alert": {"level": self.level, "reasons": self.reasons},
        })
    }
}

#[derive(Default)]
struct Filter {
    market: Option<i32>,
    commodity: Option<i32>,
    date: Option<NaiveDate>,
}

async fn markets(pool: &PgPool) -> Result<Vec<Market>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, (i32, String, String)>(
            "SELECT id, code, name FROM markets ORDER BY id",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(id, code, name)| Market { id, code, name })
        .collect(),
    )
}

async fn commodities(pool: &PgPool) -> Result<Vec<Commodity>, sqlx::Error> {
    Ok(sqlx::query_as::<_, (i32, String, String, String)>(
        "SELECT id, code, name, unit FROM commodities ORDER BY id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, code, name, unit)| Commodity {
        id,
        code,
        name,
        unit,
    })
    .collect())
}

async fn market_index(pool: &PgPool) -> Result<NameIndex<i32>, sqlx::Error> {
    let mut idx = NameIndex::default();
    for (id, code, name) in
        sqlx::query_as::<_, (i32, String, String)>("SELECT id, code, name FROM markets ORDER BY id")
            .fetch_all(pool)
            .await?
    {
        idx.add(&id.to_string(), id, false);
        idx.add(&code, id, false);
        idx.add(&name, id, true);
    }
    for (alias, id) in sqlx::query_as::<_, (String, i32)>(
        "SELECT alias, market_id FROM market_aliases ORDER BY alias",
    )
    .fetch_all(pool)
    .await?
    {
        idx.add(&alias, id, false);
    }
    Ok(idx)
}

async fn commodity_index(pool: &PgPool) -> Result<NameIndex<i32>, sqlx::Error> {
    let mut idx = NameIndex::default();
    for (id, code, name, name_en) in sqlx::query_as::<_, (i32, String, String, String)>(
        "SELECT id, code, name, name_en FROM commodities ORDER BY id",
    )
    .fetch_all(pool)
    .await?
    {
        idx.add(&code, id, true);
        idx.add(&name, id, true);
        idx.add(&name_en, id, false);
    }
    Ok(idx)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
}

/// A market by id, code, name or alias; 404 with the closest names otherwise.
fn resolve_market(idx: &NameIndex<i32>, m: &str) -> Result<i32, ApiError> {
    idx.get(m).ok_or_else(|| {
        let s = idx.suggest(m);
        ApiError::not_found(
            &format!(
                "Pasar {m:?}{}",
                if s.is_empty() {
                    String::new()
                } else {
                    format!(" (maksud Anda: {}?)", s.join(", "))
                }
            ),
            &format!(
                "The market {m:?}{}",
                if s.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean: {}?)", s.join(", "))
                }
            ),
        )
    })
}

async fn filter_of(pool: &PgPool, q: &HashMap<String, String>) -> Result<Filter, MonitorError> {
    let mut f = Filter::default();
    if let Some(m) = q.get("market").filter(|s| !s.trim().is_empty()) {
        let idx = market_index(pool).await?;
        f.market = Some(resolve_market(&idx, m)?);
    }
    if let Some(c) = q.get("commodity").filter(|s| !s.trim().is_empty()) {
        let idx = commodity_index(pool).await?;
        f.commodity = Some(idx.get(c).ok_or_else(|| {
            let s = idx.suggest(c);
            ApiError::not_found(
                &format!("Komoditas {c:?} (saran: {})", s.join(", ")),
                &format!("The commodity {c:?} (suggestions: {})", s.join(", ")),
            )
        })?);
    }
    if let Some(d) = q.get("date").filter(|s| !s.trim().is_empty()) {
        f.date = Some(parse_date(d).ok_or_else(|| {
            bad_param(
                "date",
                d,
                "tulis tanggal sebagai YYYY-MM-DD",
                "write the date as YYYY-MM-DD",
            )
        })?);
    }
    Ok(f)
}

/// Every HET/HAP reference row.
async fn references(pool: &PgPool) -> Result<Vec<Reference>, sqlx::Error> {
    Ok(sqlx::query_as::<
        _,
        (
            i32,
            i32,
            String,
            Option<f64>,
            f64,
            NaiveDate,
            Option<NaiveDate>,
            String,
        ),
    >(
        "SELECT id, commodity_id, kind, price_min::float8, price_max::float8, valid_from,
                valid_until, legal_basis FROM reference_prices",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(
        |(id, commodity_id, kind, price_min, price_max, valid_from, valid_until, legal_basis)| {
            Reference {
                commodity_id,
                kind,
                price_min,
                price_max,
                valid_from,
                valid_until,
                legal_basis,
                id,
            }
        },
    )
    .collect())
}

/// Figures and alert levels of every market × commodity that matches the filter.
async fn compute(pool: &PgPool, f: &Filter) -> Result<Vec<Item>, sqlx::Error> {
    let rows: Vec<(i32, i32, NaiveDate, f64)> = sqlx::query_as(
        "WITH latest AS (
             SELECT market_id, commodity_id, max(obs_date) AS d
               FROM price_observations
              WHERE level = 'eceran'
                AND ($1::int4 IS NULL OR market_id = $1)
                AND ($2::int4 IS NULL OR commodity_id = $2)
                AND ($3::date IS NULL OR obs_date <= $3)
              GROUP BY market_id, commodity_id)
         SELECT p.market_id, p.commodity_id, p.obs_date, p.price_idr::float8
           FROM latest l
           JOIN price_observations p
             ON p.market_id = l.market_id AND p.commodity_id = l.commodity_id
            AND p.level = 'eceran' AND p.obs_date <= l.d
            AND p.obs_date >= (l.d - interval '1 year')::date - 14
          ORDER BY p.market_id, p.commodity_id, p.obs_date",
    )
    .bind(f.market)
    .bind(f.commodity)
    .bind(f.date)
    .fetch_all(pool)
    .await?;
    let markets: HashMap<i32, Market> = markets(pool)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let commodities: HashMap<i32, Commodity> = commodities(pool)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let refs = references(pool).await?;
    let mut series: BTreeMap<(i32, i32), Vec<Obs>> = BTreeMap::new();
    for (m, c, date, price) in rows {
        series.entry((m, c)).or_default().push(Obs { date, price });
    }
    let mut items = Vec::with_capacity(series.len());
    for ((m, c), obs) in series {
        let (Some(market), Some(commodity)) = (markets.get(&m), commodities.get(&c)) else {
            continue;
        };
        let Some(stats) = calc::series_stats(&obs, None) else {
            continue;
        };
        let reference = reference_on(&refs, c, stats.date).cloned();
        let (level, reasons) = calc::alert_level(
            stats.cv_4w_pct,
            stats.mom_pct,
            stats.price,
            reference.as_ref().map(|r| r.price_max),
        );
        items.push(Item {
            market: market.clone(),
            commodity: commodity.clone(),
            stats,
            reference,
            level,
            reasons,
        });
    }
    Ok(items)
}

/// Per commodity: how its latest prices differ between markets. Markets whose latest price is
/// more than 14 days older than the commodity's newest are left out.
fn disparities(items: &[Item]) -> Vec<Value> {
    let mut by: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for it in items {
        by.entry(it.commodity.code.as_str()).or_default().push(it);
    }
    let mut out = Vec::new();
    for (code, its) in by {
        let Some(newest) = its.iter().map(|i| i.stats.date).max() else {
            continue;
        };
        let fresh: Vec<&&Item> = its
            .iter()
            .filter(|i| (newest - i.stats.date).num_days() <= 14)
            .collect();
        let prices: Vec<f64> = fresh.iter().map(|i| i.stats.price).collect();
        let Some(d) = calc::disparity(&prices) else {
            continue;
        };
        let pick = |p: f64| {
            fresh
                .iter()
                .find(|i| i.stats.price == p)
                .map(|i| json!({"code": i.market.code, "name": i.market.name, "price": p}))
        };
        out.push(json!({
            "commodity": code,
            "name": its[0].commodity.name,
            "date": newest,
            "markets": d.markets,
            "min": d.min,
            "max": d.max,
            "mean": r2(d.mean),
            "spread_pct": r2(d.spread_pct),
            "cv_pct": d.cv_pct.map(r2),
            "cheapest": pick(d.min),
            "dearest": pick(d.max),
        }));
    }
    out
}

fn csv_of(items: &[&Item]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "market_code",
        "market_name",
        "commodity_code",
        "commodity_name",
        "unit",
        "date",
        "price",
        "avg_week",
        "avg_month",
        "mom_pct",
        "yoy_pct",
        "cv_4w_pct",
        "cv_12m_pct",
        "reference_kind",
        "reference_max",
        "gap_pct",
        "alert_level",
        "alert_reasons",
    ]);
    let o = |x: Option<f64>| x.map(|v| r2(v).to_string()).unwrap_or_default();
    for it in items {
        let s = &it.stats;
        let _ = w.write_record([
            it.market.code.clone(),
            it.market.name.clone(),
            it.commodity.code.clone(),
            it.commodity.name.clone(),
            it.commodity.unit.clone(),
            s.date.to_string(),
            s.price.to_string(),
            r2(s.avg_week).to_string(),
            r2(s.avg_month).to_string(),
            o(s.mom_pct),
            o(s.yoy_pct),
            o(s.cv_4w_pct),
            o(s.cv_12m_pct),
            it.reference
                .as_ref()
                .map(|r| r.kind.clone())
                .unwrap_or_default(),
            o(it.reference.as_ref().map(|r| r.price_max)),
            o(it.reference
                .as_ref()
                .and_then(|r| calc::change_pct(s.price, r.price_max))),
            it.level.as_str().to_owned(),
            it.reasons
                .iter()
                .map(|r| r.detail_en.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn csv_wanted(q: &HashMap<String, String>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match q.get("f").map(String::as_str) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(bad_param(
            "f",
            other,
            "pilih json atau csv",
            "choose json or csv",
        )),
        None => Ok(super::wants_csv(headers)),
    }
}

/// `GET /api/prices?market=&commodity=&date=&f=csv`
async fn prices(
    state: AppState,
    q: HashMap<String, String>,
    headers: HeaderMap,
) -> Result<Response, MonitorError> {
    let csv = csv_wanted(&q, &headers)?;
    let f = filter_of(&state.pool, &q).await?;
    let items = compute(&state.pool, &f).await?;
    if csv {
        let refs: Vec<&Item> = items.iter().collect();
        return Ok(super::csv_response(csv_of(&refs), "harga-pangan.csv"));
    }
    Ok(Json(json!({
        "date": f.date,
        "items": items.iter().map(Item::json).collect::<Vec<_>>(),
        "disparity": disparities(&items),
    }))
    .into_response())
}

/// `GET /api/prices/alerts?date=&level=yellow|red`: the series at yellow or red (or only red),
/// red first, then by the size of the monthly change.
async fn alerts(
    state: AppState,
    q: HashMap<String, String>,
    headers: HeaderMap,
) -> Result<Response, MonitorError> {
    let csv = csv_wanted(&q, &headers)?;
    let min = match q.get("level").map(String::as_str) {
        None | Some("yellow") => AlertLevel::Yellow,
        Some("red") => AlertLevel::Red,
        Some("green") => AlertLevel::Green,
        Some(other) => {
            return Err(bad_param(
                "level",
                other,
                "pilih green, yellow atau red",
                "choose green, yellow or red",
            )
            .into());
        }
    };
    let f = filter_of(&state.pool, &q).await?;
    let items = compute(&state.pool, &f).await?;
    let mut counts = BTreeMap::new();
    for l in ["green", "yellow", "red"] {
        counts.insert(l, 0usize);
    }
    for it in &items {
        *counts.entry(it.level.as_str()).or_default() += 1;
    }
    let mut hits: Vec<&Item> = items.iter().filter(|i| i.level >= min).collect();
    hits.sort_by(|a, b| {
        b.level.cmp(&a.level).then(
            b.stats
                .mom_pct
                .unwrap_or(0.0)
                .abs()
                .total_cmp(&a.stats.mom_pct.unwrap_or(0.0).abs()),
        )
    });
    if csv {
        return Ok(super::csv_response(csv_of(&hits), "peringatan-harga.csv"));
    }
    Ok(Json(json!({
        "date": f.date,
        "counts": counts,
        "alerts": hits.iter().map(|i| i.json()).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `GET /api/prices/disparity?date=&commodity=`
async fn disparity(
    state: AppState,
    q: HashMap<String, String>,
    _: HeaderMap,
) -> Result<Response, MonitorError> {
    let mut f = filter_of(&state.pool, &q).await?;
    f.market = None;
    let items = compute(&state.pool, &f).await?;
    Ok(Json(json!({"date": f.date, "disparity": disparities(&items)})).into_response())
}

/// `GET /api/prices/index?base=YYYY-MM&market=&f=csv`: the city food price index per month.
///
/// The price of a commodity in a month is the mean of all its retail observations that month
/// (in every market, or in `market`); the index is the Jevons index (geometric mean of the
/// price relatives, × 100) over the commodities priced in both the month and the base month.
/// The base month is `base`, by default the first month with prices.
async fn index(
    state: AppState,
    q: HashMap<String, String>,
    headers: HeaderMap,
) -> Result<Response, MonitorError> {
    let csv = csv_wanted(&q, &headers)?;
    let f = filter_of(&state.pool, &q).await?;
    let base = match q.get("base") {
        Some(b) => Some(super::stunting::parse_period(b).ok_or_else(|| {
            bad_param(
                "base",
                b,
                "tulis bulan sebagai YYYY-MM",
                "write the month as YYYY-MM",
            )
        })?),
        None => None,
    };
    let rows: Vec<(NaiveDate, i32, f64)> = sqlx::query_as(
        "SELECT date_trunc('month', obs_date)::date, commodity_id, avg(price_idr)::float8
           FROM price_observations
          WHERE level = 'eceran' AND ($1::int4 IS NULL OR market_id = $1)
          GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(f.market)
    .fetch_all(&state.pool)
    .await?;
    let mut months: BTreeMap<NaiveDate, HashMap<i32, f64>> = BTreeMap::new();
    for (m, c, p) in rows {
        months.entry(m).or_default().insert(c, p);
    }
    let base = match base.or_else(|| months.keys().next().copied()) {
        Some(b) => b,
        None => {
            return Ok(Json(json!({"base": null, "method": METHOD, "series": []})).into_response());
        }
    };
    let Some(base_prices) = months.get(&base) else {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "no-data",
            format!(
                "Tidak ada harga pada bulan dasar {}.",
                super::stunting::fmt_period(base)
            ),
            format!(
                "There are no prices in the base month {}.",
                super::stunting::fmt_period(base)
            ),
        )
        .into());
    };
    let mut series = Vec::new();
    let mut prev: Option<f64> = None;
    let mut csv_rows = String::from("period,index,commodities,mom_pct\n");
    for (m, prices) in &months {
        let pairs: Vec<(f64, f64)> = prices
            .iter()
            .filter_map(|(c, p)| base_prices.get(c).map(|b| (*p, *b)))
            .collect();
        let idx = calc::jevons_index(&pairs);
        let mom = match (idx, prev) {
            (Some(i), Some(p)) => calc::change_pct(i, p),
            _ => None,
        };
        prev = idx;
        csv_rows.push_str(&format!(
            "{},{},{},{}\n",
            super::stunting::fmt_period(*m),
            idx.map(|i| calc::round_to(i, 2).to_string())
                .unwrap_or_default(),
            pairs.len(),
            mom.map(|x| r2(x).to_string()).unwrap_or_default()
        ));
        series.push(json!({
            "period": super::stunting::fmt_period(*m),
            "index": idx.map(|i| calc::round_to(i, 2)),
            "commodities": pairs.len(),
            "mom_pct": mom.map(r2),
        }));
    }
    if csv {
        return Ok(super::csv_response(csv_rows, "indeks-harga-pangan.csv"));
    }
    Ok(Json(json!({
        "base": super::stunting::fmt_period(base),
        "base_commodities": base_prices.len(),
        "market": f.market,
        "method": METHOD,
        "series": series,
    }))
    .into_response())
}

/// Longest span `GET /api/prices/series` answers: two years (and the leap day).
pub const MAX_SERIES_DAYS: i64 = 731;

/// The Monday that starts the ISO week of `d`.
fn week_start(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(
        chrono::Datelike::weekday(&d).num_days_from_monday(),
    ))
}

/// `GET /api/prices/series?commodity=&market=a,b&from=&to=&f=csv`: one commodity's weekly retail
/// price per market (the mean of the week's prices, weeks starting on Monday) over at most two
/// years, with the HET/HAP in force on each week's Monday. Without `to`, the newest price of the
/// commodity; without `from`, the 103 weeks before `to`'s week (104 weeks in all). A `from` in
/// the middle of a week makes that first week's mean cover only the days from `from` on.
async fn series(
    state: AppState,
    q: HashMap<String, String>,
    headers: HeaderMap,
) -> Result<Response, MonitorError> {
    let csv = csv_wanted(&q, &headers)?;
    let pool = &state.pool;
    let Some(c) = q.get("commodity").filter(|s| !s.trim().is_empty()) else {
        return Err(ApiError::bad_request(
            "Parameter commodity wajib diisi, misalnya commodity=beras_medium.",
            "The parameter commodity is required, e.g. commodity=beras_medium.",
        )
        .into());
    };
    let f = filter_of(pool, &HashMap::from([("commodity".to_owned(), c.clone())])).await?;
    let commodity_id = f.commodity.unwrap_or_default();
    let commodity = commodities(pool)
        .await?
        .into_iter()
        .find(|x| x.id == commodity_id)
        .ok_or_else(|| {
            ApiError::not_found(&format!("Komoditas {c:?}"), &format!("The commodity {c:?}"))
        })?;
    let mut chosen: Vec<i32> = Vec::new();
    if let Some(list) = q.get("market").filter(|s| !s.trim().is_empty()) {
        let names: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if names.len() > 50 {
            return Err(bad_param(
                "market",
                list,
                "paling banyak 50 pasar",
                "at most 50 markets",
            )
            .into());
        }
        let idx = market_index(pool).await?;
        for m in names {
            let id = resolve_market(&idx, m)?;
            if !chosen.contains(&id) {
                chosen.push(id);
            }
        }
    }
    let date = |k: &str| -> Result<Option<NaiveDate>, ApiError> {
        match q.get(k).filter(|s| !s.trim().is_empty()) {
            None => Ok(None),
            Some(v) => parse_date(v).map(Some).ok_or_else(|| {
                bad_param(
                    k,
                    v,
                    "tulis tanggal sebagai YYYY-MM-DD",
                    "write the date as YYYY-MM-DD",
                )
            }),
        }
    };
    let (from, to) = (date("from")?, date("to")?);
    let markets_filter = (!chosen.is_empty()).then_some(&chosen);
    let to = match to {
        Some(t) => Some(t),
        None => {
            sqlx::query_scalar::<_, Option<NaiveDate>>(
                "SELECT max(obs_date) FROM price_observations
              WHERE level = 'eceran' AND commodity_id = $1
                AND ($2::int4[] IS NULL OR market_id = ANY($2))
                AND ($3::date IS NULL OR obs_date >= $3)",
            )
            .bind(commodity_id)
            .bind(markets_filter)
            .bind(from)
            .fetch_one(pool)
            .await?
        }
    };
    let body_empty = |from: Option<NaiveDate>, to: Option<NaiveDate>| {
        json!({"commodity": {"code": commodity.code, "name": commodity.name, "unit": commodity.unit},
               "from": from, "to": to, "weeks": [], "markets": [],
               "reference_kind": [], "reference_min": [], "reference_max": [], "references": []})
    };
    let Some(to) = to else {
        if csv {
            return Ok(super::csv_response(
                "week\n".to_owned(),
                "harga-mingguan.csv",
            ));
        }
        return Ok(Json(body_empty(from, None)).into_response());
    };
    let from = from.unwrap_or_else(|| week_start(to) - chrono::Duration::weeks(103));
    if from > to {
        return Err(ApiError::bad_request(
            format!("Tanggal from ({from}) sesudah to ({to})."),
            format!("The date from ({from}) is after to ({to})."),
        )
        .into());
    }
    if (to - from).num_days() >= MAX_SERIES_DAYS {
        return Err(ApiError::bad_request(
            format!("Rentang {from}..{to} lebih dari dua tahun; persempit from/to."),
            format!("The span {from}..{to} is longer than two years; narrow from/to."),
        )
        .into());
    }
    let rows: Vec<(NaiveDate, i32, f64)> = sqlx::query_as(
        "SELECT date_trunc('week', obs_date)::date, market_id, avg(price_idr)::float8
           FROM price_observations
          WHERE level = 'eceran' AND commodity_id = $1
            AND ($2::int4[] IS NULL OR market_id = ANY($2))
            AND obs_date BETWEEN $3 AND $4
          GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(commodity_id)
    .bind(markets_filter)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut weeks = Vec::new();
    let mut w = week_start(from);
    while w <= to {
        weeks.push(w);
        w += chrono::Duration::weeks(1);
    }
    let all_markets = markets(pool).await?;
    let market_ids: Vec<i32> = if chosen.is_empty() {
        all_markets
            .iter()
            .map(|m| m.id)
            .filter(|id| rows.iter().any(|r| r.1 == *id))
            .collect()
    } else {
        chosen
    };
    let mut price: HashMap<(i32, NaiveDate), f64> = HashMap::new();
    for (w, m, p) in rows {
        price.insert((m, w), r2(p));
    }
    let refs = references(pool).await?;
    let on_week: Vec<Option<&Reference>> = weeks
        .iter()
        .map(|w| reference_on(&refs, commodity_id, *w))
        .collect();
    let columns: Vec<(&Market, Vec<Option<f64>>)> = market_ids
        .iter()
        .filter_map(|id| all_markets.iter().find(|m| m.id == *id))
        .map(|m| {
            (
                m,
                weeks
                    .iter()
                    .map(|w| price.get(&(m.id, *w)).copied())
                    .collect(),
            )
        })
        .collect();
    if csv {
        let mut wtr = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["week".to_owned()];
        header.extend(columns.iter().map(|(m, _)| m.name.clone()));
        header.extend(["reference_kind", "reference_min", "reference_max"].map(str::to_owned));
        let _ = wtr.write_record(&header);
        for (i, w) in weeks.iter().enumerate() {
            let mut rec = vec![w.to_string()];
            rec.extend(
                columns
                    .iter()
                    .map(|(_, p)| p[i].map(|x| x.to_string()).unwrap_or_default()),
            );
            let r = on_week[i];
            rec.push(r.map(|r| r.kind.clone()).unwrap_or_default());
            rec.push(
                r.and_then(|r| r.price_min)
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
            );
            rec.push(r.map(|r| r.price_max.to_string()).unwrap_or_default());
            let _ = wtr.write_record(&rec);
        }
        let body = String::from_utf8(wtr.into_inner().unwrap_or_default()).unwrap_or_default();
        return Ok(super::csv_response(body, "harga-mingguan.csv"));
    }
    let mut used: Vec<&Reference> = on_week.iter().flatten().copied().collect();
    used.sort_by_key(|r| (r.valid_from, r.id));
    used.dedup_by_key(|r| r.id);
    Ok(Json(json!({
        "commodity": {"code": commodity.code, "name": commodity.name, "unit": commodity.unit},
        "from": from,
        "to": to,
        "weeks": weeks,
        "markets": columns.iter().map(|(m, p)| json!({"id": m.id, "code": m.code, "name": m.name, "prices": p})).collect::<Vec<_>>(),
        "reference_kind": on_week.iter().map(|r| r.map(|r| r.kind.clone())).collect::<Vec<_>>(),
        "reference_min": on_week.iter().map(|r| r.and_then(|r| r.price_min)).collect::<Vec<_>>(),
        "reference_max": on_week.iter().map(|r| r.map(|r| r.price_max)).collect::<Vec<_>>(),
        "references": used.iter().map(|r| json!({"kind": r.kind, "price_min": r.price_min, "price_max": r.price_max,
            "valid_from": r.valid_from, "valid_until": r.valid_until, "legal_basis": r.legal_basis})).collect::<Vec<_>>(),
    }))
    .into_response())
}

const METHOD: &str = "Jevons: 100 × geometric mean of (monthly mean price ÷ base-month mean \
    price) over the commodities priced in both months; retail prices of all markets (or the \
    chosen market)";

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
    Ok(Json(report).into_response())
}

static COLUMNS: &[Column] = &[
    Column {
        name: "date",
        aliases: &["tanggal", "tgl", "obs_date"],
        required: true,
    },
    Column {
        name: "market",
        aliases: &["pasar", "market_code", "kode_pasar"],
        required: true,
    },
    Column {
        name: "commodity",
        aliases: &["komoditas", "komoditi", "commodity_code", "kode_komoditas"],
        required: true,
    },
    Column {
        name: "price",
        aliases: &["harga", "harga_rp", "price_idr"],
        required: true,
    },
    Column {
        name: "level",
        aliases: &["tingkat"],
        required: false,
    },
    Column {
        name: "source",
        aliases: &["sumber"],
        required: false,
    },
];

/// A price cell: digits, optionally one decimal mark (`.` or `,`) and one or two decimals.
/// Thousands separators are refused ("38.000" would be read as 38).
pub fn parse_price(s: &str) -> Result<String, (&'static str, &'static str)> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err((
            "Harga harus lebih dari 0.",
            "The price must be greater than 0.",
        ));
    }
    let (int, frac) = match t.find(['.', ',']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    let ok = digits(int) && frac.is_none_or(|f| digits(f) && f.len() <= 2) && int.len() <= 12;
    if !ok {
        return Err((
            "Harga harus angka dalam rupiah tanpa pemisah ribuan, mis. 38000 atau 38000,50.",
            "The price must be a number of rupiah without thousands separators, e.g. 38000 or 38000.50.",
        ));
    }
    let canon = match frac {
        Some(f) => format!("{int}.{f}"),
        None => int.to_owned(),
    };
    if canon.parse::<f64>().map(|v| v <= 0.0).unwrap_or(true) {
        return Err((
            "Harga harus lebih dari 0.",
            "The price must be greater than 0.",
        ));
    }
    Ok(canon)
}

struct PriceRow {
    line: u64,
    date: NaiveDate,
    market: i32,
    commodity: i32,
    price: String,
    level: String,
    source: String,
}

/// Validates and stores a price CSV file: all rows or none. A row already stored with the same
/// price is skipped (a repeated file adds nothing); the same market, commodity, date and level
/// with another price, or twice in the file, is an error.
pub async fn import(pool: &PgPool, bytes: &[u8]) -> Result<ImportReport, MonitorError> {
    super::check_import_size(bytes.len())?;
    let table = csvin::read(bytes, COLUMNS).map_err(MonitorError::Rows)?;
    let markets = market_index(pool).await?;
    let commodities = commodity_index(pool).await?;
    let today = chrono::Local::now().date_naive();
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<(i32, i32, NaiveDate, String), u64> = HashMap::new();
    for r in &table.rows {
        let before = errors.len();
        let empty = |col: &str| {
            RowError::new(
                r.line,
                Some(col),
                None,
                format!("Kolom {col} kosong."),
                format!("The column {col} is empty."),
            )
        };
        let date = match r.get("date") {
            None => {
                errors.push(empty("date"));
                None
            }
            Some(d) => match parse_date(d) {
                None => {
                    errors.push(RowError::new(
                        r.line,
                        Some("date"),
                        Some(d),
                        "Tanggal tidak sah; tulis YYYY-MM-DD, mis. 2026-10-26.",
                        "Not a valid date; write YYYY-MM-DD, e.g. 2026-10-26.",
                    ));
                    None
                }
                Some(x) if x > today => {
                    errors.push(RowError::new(
                        r.line,
                        Some("date"),
                        Some(d),
                        "Tanggal ini belum terjadi.",
                        "This date lies in the future.",
                    ));
                    None
                }
                Some(x) => Some(x),
            },
        };
        let market = match r.get("market") {
            None => {
                errors.push(empty("market"));
                None
            }
            Some(m) => markets.lookup(
                r.line,
                "market",
                m,
                (
                    "Pasar tidak dikenal (kode, nama atau nama lain).",
                    "Unknown market (code, name or alias).",
                ),
                &mut errors,
            ),
        };
        let commodity = match r.get("commodity") {
            None => {
                errors.push(empty("commodity"));
                None
            }
            Some(c) => commodities.lookup(
                r.line,
                "commodity",
                c,
                (
                    "Komoditas tidak dikenal (kode atau nama).",
                    "Unknown commodity (code or name).",
                ),
                &mut errors,
            ),
        };
        let price = match r.get("price") {
            None => {
                errors.push(empty("price"));
                None
            }
            Some(p) => match parse_price(p) {
                Ok(v) => Some(v),
                Err((id, en)) => {
                    errors.push(RowError::new(r.line, Some("price"), Some(p), id, en));
                    None
                }
            },
        };
        let level = r.get("level").unwrap_or("eceran").to_lowercase();
        if !matches!(level.as_str(), "eceran" | "grosir" | "produsen") {
            errors.push(RowError::new(
                r.line,
                Some("level"),
                r.get("level"),
                "Tingkat harga harus eceran, grosir atau produsen.",
                "The price level must be eceran (retail), grosir (wholesale) or produsen (producer).",
            ));
        }
        let source = r.get("source").unwrap_or("enumerator").to_owned();
        if errors.len() > before {
            continue;
        }
        let (Some(date), Some(market), Some(commodity), Some(price)) =
            (date, market, commodity, price)
        else {
            continue;
        };
        if let Some(first) = seen.insert((market, commodity, date, level.clone()), r.line) {
            errors.push(RowError::new(
                r.line,
                None,
                None,
                format!(
                    "Baris ganda: pasar, komoditas, tanggal dan tingkat yang sama sudah ada di baris {first}."
                ),
                format!(
                    "Duplicated row: the same market, commodity, date and level are in row {first}."
                ),
            ));
            continue;
        }
        rows.push(PriceRow {
            line: r.line,
            date,
            market,
            commodity,
            price,
            level,
            source,
        });
    }
    if !errors.is_empty() {
        return Err(MonitorError::Rows(errors));
    }
    let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
    let mkts: Vec<i32> = rows.iter().map(|r| r.market).collect();
    let comms: Vec<i32> = rows.iter().map(|r| r.commodity).collect();
    let prices: Vec<&str> = rows.iter().map(|r| r.price.as_str()).collect();
    let levels: Vec<&str> = rows.iter().map(|r| r.level.as_str()).collect();
    let sources: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    let lines: Vec<i64> = rows.iter().map(|r| r.line as i64).collect();
    const INPUT: &str = "unnest($1::date[], $2::int4[], $3::int4[], $4::text[], $5::text[], \
        $6::text[], $7::int8[]) AS i(obs_date, market_id, commodity_id, price, level, source, n)";
    let mut tx = pool.begin().await?;
    let conflicts: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT i.n, o.price_idr::text FROM {INPUT}
           JOIN price_observations o
             ON o.market_id = i.market_id AND o.commodity_id = i.commodity_id
            AND o.obs_date = i.obs_date AND o.level = i.level
          WHERE o.price_idr <> i.price::numeric
          ORDER BY i.n"
    ))
    .bind(&dates)
    .bind(&mkts)
    .bind(&comms)
    .bind(&prices)
    .bind(&levels)
    .bind(&sources)
    .bind(&lines)
    .fetch_all(&mut *tx)
    .await?;
    if !conflicts.is_empty() {
        return Err(MonitorError::Rows(
            conflicts
                .into_iter()
                .map(|(n, p)| {
                    RowError::new(
                        n as u64,
                        Some("price"),
                        rows.iter()
                            .find(|r| r.line as i64 == n)
                            .map(|r| r.price.as_str()),
                        format!(
                            "Harga untuk pasar, komoditas dan tanggal ini sudah tersimpan: Rp {p}; koreksi belum didukung lewat impor."
                        ),
                        format!(
                            "A price for this market, commodity and date is already stored: Rp {p}; corrections are not supported through imports yet."
                        ),
                    )
                })
                .collect(),
        ));
    }
    let inserted = sqlx::query(&format!(
        "INSERT INTO price_observations (obs_date, market_id, commodity_id, price_idr, level, source)
         SELECT obs_date, market_id, commodity_id, price::numeric, level, source
           FROM {INPUT} ORDER BY n
         ON CONFLICT ON CONSTRAINT price_observations_once DO NOTHING"
    ))
    .bind(&dates)
    .bind(&mkts)
    .bind(&comms)
    .bind(&prices)
    .bind(&levels)
    .bind(&sources)
    .bind(&lines)
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
    fn prices_are_plain_rupiah() {
        assert_eq!(parse_price("38000").unwrap(), "38000");
        assert_eq!(parse_price("38000,5").unwrap(), "38000.5");
        assert_eq!(parse_price(" 14000.25 ").unwrap(), "14000.25");
        assert!(parse_price("38.000").is_err());
        assert!(
            parse_price("-100")
                .unwrap_err()
                .1
                .contains("greater than 0")
        );
        assert!(parse_price("0").unwrap_err().1.contains("greater than 0"));
        assert!(parse_price("0.00").is_err());
        assert!(parse_price("Rp 38000").is_err());
        assert!(parse_price("").is_err());
        assert!(parse_price("1e5").is_err());
    }
}
