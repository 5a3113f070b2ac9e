//! The deterministic Kupang demo city.
//!
//! [`load`] replaces every data table with a synthetic but plausible Kota Kupang: the real
//! administrative boundaries (`demo/kupang-admin.geojson`), an RDTR-like zoning plan with
//! thousands of non-overlapping zones, intensity rules and a complete ITBX matrix, overlays
//! (setbacks, airport safety surfaces, disaster-prone areas, heritage), registered parcels, the
//! 11 Puskesmas with posyandu and two years of stunting counts, the six markets with two years
//! of weekly prices, and waste collection points and citizen reports.
//!
//! All generation runs set-based inside PostGIS, in one transaction, from the SQL scripts in
//! `src/demo/sql/` (numbered in the order they run). The only inputs are the seed, the scale and
//! the embedded boundary file, passed as bind parameters in a temporary table `demo_params`.
//! Pseudo-random numbers come from `hashint8extended(key, seed)` and seeded
//! `ST_GeneratePoints`, never from `random()`, and every date series ends at a fixed as-of date
//! (2026-11-01 WITA), so the same seed and scale always give the same rows.
//!
//! The scale multiplies the number of parcels exactly (`round(60000 * scale)`) and the number
//! of zones roughly; the other tables do not depend on it.

use std::fmt;
use std::time::{Duration, Instant};

use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// The administrative boundaries of Kota Kupang: 1 kota, 6 kecamatan, 51 kelurahan (see
/// `demo/README.md` for provenance and licence caveats).
const ADMIN_GEOJSON: &str = include_str!("../../demo/kupang-admin.geojson");

/// The generation scripts, in the order they run.
const STEPS: &[(&str, &str)] = &[
    ("setup", include_str!("sql/00_setup.sql")),
    ("reset", include_str!("sql/01_reset.sql")),
    ("admin areas", include_str!("sql/10_admin.sql")),
    ("zoning catalogue", include_str!("sql/15_catalogue.sql")),
    ("reference geometry", include_str!("sql/20_geo.sql")),
    ("overlays", include_str!("sql/25_overlays.sql")),
    ("zones", include_str!("sql/30_zones.sql")),
    ("parcels", include_str!("sql/50_parcels.sql")),
    ("health", include_str!("sql/60_health.sql")),
    ("markets and prices", include_str!("sql/70_markets.sql")),
    ("waste", include_str!("sql/80_waste.sql")),
    ("statistics", include_str!("sql/90_finish.sql")),
];

/// The tables the demo fills, in the order the report lists them.
const TABLES: &[&str] = &[
    "admin_areas",
    "admin_area_aliases",
    "subzones",
    "zone_code_aliases",
    "zoning_plans",
    "zones",
    "zone_rules",
    "activities",
    "rule_conditions",
    "activity_rules",
    "overlays",
    "parcels",
    "health_facilities",
    "puskesmas_catchments",
    "stunting_observations",
    "markets",
    "market_aliases",
    "commodities",
    "reference_prices",
    "price_observations",
    "waste_facilities",
    "waste_reports",
];

/// Smallest accepted scale.
pub const MIN_SCALE: f64 = 0.1;
/// Largest accepted scale (about 3 million parcels).
pub const MAX_SCALE: f64 = 50.0;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoOptions {
    /// Seed of every pseudo-random choice. Seeds above `i64::MAX` are used as their
    /// two's-complement `i64`, which is just as deterministic.
    pub seed: u64,
    /// Size factor, from [`MIN_SCALE`] to [`MAX_SCALE`]; 1 is the normal demo city
    /// (about 5,000 zones and exactly 60,000 parcels).
    pub scale: f64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 1,
            scale: 1.0,
        }
    }
}

/// What [`load`] wrote: rows per table and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    pub seed: u64,
    pub scale: f64,
    /// `(table, rows)` for every table the demo fills.
    pub counts: Vec<(&'static str, i64)>,
    pub elapsed: Duration,
}

impl DemoReport {
    /// Rows written to `table`, if the demo fills it.
    pub fn count(&self, table: &str) -> Option<i64> {
        self.counts
            .iter()
            .find(|(name, _)| *name == table)
            .map(|&(_, n)| n)
    }
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "demo city (seed {}, scale {}) loaded in {:.1} s:",
            self.seed,
            self.scale,
            self.elapsed.as_secs_f64()
        )?;
        let width = self.counts.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
        for (i, (table, rows)) in self.counts.iter().enumerate() {
            write!(f, "  {table:<width$}  {rows:>9}")?;
            if i + 1 < self.counts.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

/// Why the demo city could not be loaded. Nothing is changed in any of these cases: the load
/// runs in one transaction.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "demo scale {0} is not allowed: use a number from {MIN_SCALE} to {MAX_SCALE} \
         (1 is the normal demo city with 60,000 parcels)"
    )]
    BadScale(f64),
    #[error(
        "the database is not ready for the demo city: table {0} is missing. \
         Run `ruang migrate` first"
    )]
    NotMigrated(String),
    #[error("the embedded demo boundary file is not valid JSON: {0}")]
    BadAdminFile(#[from] serde_json::Error),
    #[error("loading the demo city failed while generating {step}: {source}")]
    Step {
        step: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("database error while loading the demo city: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Checks a scale before anything touches the database.
fn check_scale(scale: f64) -> Result<(), DemoError> {
    if scale.is_finite() && (MIN_SCALE..=MAX_SCALE).contains(&scale) {
        Ok(())
    } else {
        Err(DemoError::BadScale(scale))
    }
}

/// Replaces all data with the demo city, in one transaction.
///
/// Every table of the schema that holds `zones` is emptied (`TRUNCATE ... RESTART IDENTITY
/// CASCADE`), except the migration ledger and extension tables, then filled. That includes users
/// and tokens. Concurrent loads are serialised by an advisory lock.
pub async fn load(pool: &PgPool, opts: &DemoOptions) -> Result<DemoReport, DemoError> {
    check_scale(opts.scale)?;
    let admin: serde_json::Value = serde_json::from_str(ADMIN_GEOJSON)?;
    let started = Instant::now();

    // A connection of its own, with the pool's settings but without statement logging: the
    // scripts are long and some take many seconds, which would otherwise fill the log with
    // "slow statement" warnings that quote them in full.
    let options = (*pool.connect_options())
        .clone()
        .disable_statement_logging();
    let mut conn = PgConnection::connect_with(&options).await?;
    let result = fill(&mut conn, opts, &admin).await;
    let _ = conn.close().await;
    let counts = result?;

    Ok(DemoReport {
        seed: opts.seed,
        scale: opts.scale,
        counts,
        elapsed: started.elapsed(),
    })
}

/// The transaction of [`load`]: checks, generation, counts, commit.
async fn fill(
    conn: &mut PgConnection,
    opts: &DemoOptions,
    admin: &serde_json::Value,
) -> Result<Vec<(&'static str, i64)>, DemoError> {
    let mut tx = conn.begin().await?;
    for table in TABLES {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(*table)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(DemoError::NotMigrated((*table).to_string()));
        }
    }

    sqlx::raw_sql(
        "CREATE TEMP TABLE demo_params (seed bigint NOT NULL, scale float8 NOT NULL, \
         admin jsonb NOT NULL) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO demo_params (seed, scale, admin) VALUES ($1, $2, $3)")
        .bind(opts.seed as i64)
        .bind(opts.scale)
        .bind(sqlx::types::Json(admin))
        .execute(&mut *tx)
        .await?;

    for &(step, sql) in STEPS {
        let t = Instant::now();
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| DemoError::Step { step, source })?;
        tracing::debug!(
            step,
            elapsed_ms = t.elapsed().as_millis() as u64,
            "demo step done"
        );
    }

    let mut counts = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        // table names are the constants above, never input
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        counts.push((table, n));
    }
    tx.commit().await?;
    Ok(counts)
}

/// True when the database already holds data (the demo city or real data): `admin_areas` has
/// rows.
pub async fn is_loaded(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM admin_areas)")
        .fetch_one(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bounds() {
        for ok in [0.1, 1.0, 10.0, 50.0] {
            assert!(check_scale(ok).is_ok(), "{ok}");
        }
        for bad in [0.0, -1.0, 0.05, 50.5, 1000.0, f64::NAN, f64::INFINITY] {
            let err = check_scale(bad).unwrap_err();
            assert!(err.to_string().contains("from 0.1 to 50"), "{err}");
        }
    }

    #[test]
    fn admin_file_is_complete() {
        let v: serde_json::Value = serde_json::from_str(ADMIN_GEOJSON).unwrap();
        let features = v["features"].as_array().unwrap();
        assert_eq!(features.len(), 58);
        let kelurahan = features
            .iter()
            .filter(|f| f["properties"]["level"] == "kelurahan")
            .count();
        assert_eq!(kelurahan, 51);
    }

    #[test]
    fn report_lists_every_table() {
        let report = DemoReport {
            seed: 7,
            scale: 1.0,
            counts: TABLES.iter().map(|t| (*t, 1)).collect(),
            elapsed: Duration::from_millis(1500),
        };
        let text = report.to_string();
        assert_eq!(text.lines().count(), TABLES.len() + 1);
        assert!(text.contains("parcels"));
        assert_eq!(report.count("zones"), Some(1));
        assert_eq!(report.count("users"), None);
    }
}
