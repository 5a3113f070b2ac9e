//! The zoning check around the pure engine ([`crate::rules`]): the rule set of the active plan
//! loaded from PostGIS and kept in memory, rebuilt after a change, and the interfaces
//! (`POST /api/check`, `GET /api/zoning/at`, `GET /api/activities`).
//!
//! - [`CheckService`]: the current [`RuleSet`] (an `Arc` swapped atomically), built in the
//!   background when the change listener starts. A `ruang_changes` notification for a table
//!   the rule set reads marks it stale; the next request rebuilds it (one rebuild at a time,
//!   other requests wait for it), so a bulk load costs one rebuild, not one per statement.
//! - [`load`]: reads every table the engine needs, geometry as `ST_AsBinary(ST_Transform(geom,
//!   32751))` decoded by [`wkb`].
//! - [`geojson`]: request geometry in, answer geometry out, CRS transforms with PROJ.
//! - [`http`]: the routes.

pub mod decision;
pub mod geojson;
pub mod http;
pub mod openapi;
pub mod request;
pub mod wkb;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::{PgPool, Row};

use crate::db::changes::Change;

use crate::rules::{
    Activity, ActivityRule, ItbxClass, Overlay, OverlayKind, PlanInfo, RegisteredParcel,
    RuleCondition, RuleSet, RuleSetData, RuleSetError, Subzone, Utm51s, Zone, ZoneRule,
};

/// Tables whose change makes the rule set stale.
pub const WATCHED_TABLES: &[&str] = &[
    "zones",
    "parcels",
    "overlays",
    "zone_rules",
    "subzones",
    "zoning_plans",
    "activities",
    "rule_conditions",
    "activity_rules",
];

/// Why the rule set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("database error while loading the rule set: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("no zoning plan is active")]
    NoActivePlan,
    #[error("{what} {key}: bad geometry: {reason}")]
    Geometry {
        what: &'static str,
        key: String,
        reason: String,
    },
    #[error("{what} {key}: unknown {field} {value:?}")]
    BadValue {
        what: &'static str,
        key: String,
        field: &'static str,
        value: String,
    },
    #[error("the rule set is inconsistent: {0}")]
    RuleSet(#[from] RuleSetError),
}

impl crate::db::reads::Unavailable for LoadError {
    fn unavailable(&self) -> bool {
        matches!(self, LoadError::Sql(e) if crate::db::unavailable(e))
    }
}

impl From<LoadError> for crate::error::ApiError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::NoActivePlan => crate::error::ApiError::unavailable(
                "Belum ada rencana tata ruang (RDTR) yang aktif, sehingga pemeriksaan belum dapat dilakukan.",
                "No zoning plan (RDTR) is active yet, so no check can be made.",
            ),
            LoadError::Sql(e) => e.into(),
            other => crate::error::ApiError::internal(&other),
        }
    }
}

fn geom(
    what: &'static str,
    key: &dyn std::fmt::Display,
    bytes: &[u8],
) -> Result<Utm51s<geo::MultiPolygon<f64>>, LoadError> {
    wkb::multipolygon(bytes)
        .map(Utm51s::new)
        .map_err(|reason| LoadError::Geometry {
            what,
            key: key.to_string(),
            reason,
        })
}

/// Reads the active plan's rule set data from PostGIS (geometry in EPSG:32751).
pub async fn load_data(pool: &PgPool) -> Result<RuleSetData, LoadError> {
    load_plan_data(pool, None).await
}

/// Reads the rule set data of plan `plan_id` (any status; the active plan when `None`).
pub async fn load_plan_data(pool: &PgPool, plan_id: Option<i32>) -> Result<RuleSetData, LoadError> {
    let mut tx = pool.begin().await?;
    // one consistent snapshot of every table
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let plan = sqlx::query(
        "SELECT id, version, name FROM zoning_plans
          WHERE CASE WHEN $1::int IS NULL THEN status = 'active' ELSE id = $1 END
          ORDER BY id LIMIT 1",
    )
    .bind(plan_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(LoadError::NoActivePlan)?;
    let plan = PlanInfo {
        id: plan.try_get("id")?,
        version: plan.try_get("version")?,
        name: plan.try_get("name")?,
    };
    let plan_id = plan.id;

    let subzones = sqlx::query(
        "SELECT code, zone_code, zone_group, zone_name, name, name_en, buildable FROM subzones",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Subzone {
            code: r.try_get("code")?,
            zone_code: r.try_get("zone_code")?,
            zone_group: r.try_get("zone_group")?,
            zone_name: r.try_get("zone_name")?,
            name: r.try_get("name")?,
            name_en: r.try_get("name_en")?,
            buildable: r.try_get("buildable")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let mut zones = Vec::new();
    for r in sqlx::query(
        "SELECT id, zone_code, subzone_code, name, block_code, kelurahan_code,
                ST_AsBinary(ST_Transform(geom, 32751)) AS wkb
           FROM zones WHERE plan_id = $1",
    )
    .bind(plan_id)
    .fetch_all(&mut *tx)
    .await?
    {
        let id: i64 = r.try_get("id")?;
        let wkb: Vec<u8> = r.try_get("wkb")?;
        zones.push(Zone {
            id,
            zone_code: r.try_get("zone_code")?,
            subzone_code: r.try_get("subzone_code")?,
            name: r.try_get("name")?,
            block_code: r.try_get("block_code")?,
            kelurahan_code: r.try_get("kelurahan_code")?,
            geom: geom("zone", &id, &wkb)?,
        });
    }

    let zone_rules = zone_rules_of(&mut tx, plan_id).await?;
    let activities = activities_of(&mut tx).await?;
    let conditions = conditions_of(&mut tx, plan_id).await?;
    let activity_rules = activity_rules_of(&mut tx, plan_id).await?;

    let mut overlays = Vec::new();
    for r in sqlx::query(
        "SELECT id, kind, name, no_building, height_max_m::float8 AS height_max_m, hazard,
                hazard_level, condition_id, condition_en,
                ST_AsBinary(ST_Transform(geom, 32751)) AS wkb
           FROM overlays WHERE plan_id = $1",
    )
    .bind(plan_id)
    .fetch_all(&mut *tx)
    .await?
    {
        let id: i64 = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let kind = OverlayKind::parse(&kind).ok_or_else(|| LoadError::BadValue {
            what: "overlay",
            key: id.to_string(),
            field: "kind",
            value: kind.clone(),
        })?;
        let wkb: Vec<u8> = r.try_get("wkb")?;
        overlays.push(Overlay {
            id,
            kind,
            name: r.try_get("name")?,
            no_building: r.try_get("no_building")?,
            height_max_m: r.try_get("height_max_m")?,
            hazard: r.try_get("hazard")?,
            hazard_level: r.try_get("hazard_level")?,
            condition_id: r.try_get("condition_id")?,
            condition_en: r.try_get("condition_en")?,
            geom: geom("overlay", &id, &wkb)?,
        });
    }

    let mut parcels = Vec::new();
    for r in sqlx::query(
        "SELECT id, kind, parcel_number, ST_AsBinary(ST_Transform(geom, 32751)) AS wkb FROM parcels",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let id: i64 = r.try_get("id")?;
        let wkb: Vec<u8> = r.try_get("wkb")?;
        parcels.push(RegisteredParcel {
            id,
            kind: r.try_get("kind")?,
            parcel_number: r.try_get("parcel_number")?,
            geom: geom("parcel", &id, &wkb)?,
        });
    }
    tx.commit().await?;

    Ok(RuleSetData {
        plan: Some(plan),
        subzones,
        zones,
        zone_rules,
        activities,
        conditions,
        activity_rules,
        overlays,
        parcels,
        ..Default::default()
    })
}

/// The intensity rows of plan `plan_id`.
pub async fn zone_rules_of(
    conn: &mut sqlx::PgConnection,
    plan_id: i32,
) -> Result<Vec<ZoneRule>, sqlx::Error> {
    sqlx::query(
        "SELECT subzone_code, variant, kdb_max_pct::float8 AS kdb, klb_max::float8 AS klb,
                kdh_min_pct::float8 AS kdh, ktb_max_pct::float8 AS ktb,
                height_max_m::float8 AS height, floors_max, gsb_min_m::float8 AS gsb,
                jbs_min_m::float8 AS jbs, min_parcel_m2::float8 AS min_parcel, note
           FROM zone_rules WHERE plan_id = $1",
    )
    .bind(plan_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(ZoneRule {
            subzone_code: r.try_get("subzone_code")?,
            variant: r.try_get("variant")?,
            kdb_max_pct: r.try_get("kdb")?,
            klb_max: r.try_get("klb")?,
            kdh_min_pct: r.try_get("kdh")?,
            ktb_max_pct: r.try_get("ktb")?,
            height_max_m: r.try_get("height")?,
            floors_max: r.try_get("floors_max")?,
            gsb_min_m: r.try_get("gsb")?,
            jbs_min_m: r.try_get("jbs")?,
            min_parcel_m2: r.try_get("min_parcel")?,
            note: r.try_get("note")?,
        })
    })
    .collect()
}

/// The whole (national) KBLI catalogue, by code.
pub async fn activities_of(conn: &mut sqlx::PgConnection) -> Result<Vec<Activity>, sqlx::Error> {
    sqlx::query(
        "SELECT kbli_code, title, title_en, section, keywords FROM activities ORDER BY kbli_code",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Activity {
            kbli_code: r.try_get("kbli_code")?,
            title: r.try_get("title")?,
            title_en: r.try_get("title_en")?,
            section: r.try_get("section")?,
            keywords: r.try_get("keywords")?,
        })
    })
    .collect()
}

/// The condition texts of plan `plan_id`.
pub async fn conditions_of(
    conn: &mut sqlx::PgConnection,
    plan_id: i32,
) -> Result<Vec<RuleCondition>, sqlx::Error> {
    sqlx::query("SELECT code, text_id, text_en FROM rule_conditions WHERE plan_id = $1")
        .bind(plan_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(RuleCondition {
                code: r.try_get("code")?,
                text_id: r.try_get("text_id")?,
                text_en: r.try_get("text_en")?,
            })
        })
        .collect()
}

/// The ITBX cells of plan `plan_id`.
pub async fn activity_rules_of(
    conn: &mut sqlx::PgConnection,
    plan_id: i32,
) -> Result<Vec<ActivityRule>, LoadError> {
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT subzone_code, kbli_code, class::text AS class, condition_codes
           FROM activity_rules WHERE plan_id = $1",
    )
    .bind(plan_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let subzone_code: String = r.try_get("subzone_code")?;
        let kbli_code: String = r.try_get("kbli_code")?;
        let class: String = r.try_get("class")?;
        let class = ItbxClass::parse(class.trim()).ok_or_else(|| LoadError::BadValue {
            what: "activity rule",
            key: format!("{subzone_code}/{kbli_code}"),
            field: "class",
            value: class.clone(),
        })?;
        out.push(ActivityRule {
            subzone_code,
            kbli_code,
            class,
            condition_codes: r.try_get("condition_codes")?,
        });
    }
    Ok(out)
}

/// Loads and builds the active plan's rule set, logging how long each half took.
pub async fn load(pool: &PgPool) -> Result<RuleSet, LoadError> {
    load_plan(pool, None).await
}

/// Loads and builds the rule set of plan `plan_id` (the active plan when `None`).
pub async fn load_plan(pool: &PgPool, plan_id: Option<i32>) -> Result<RuleSet, LoadError> {
    let t = Instant::now();
    let data = load_plan_data(pool, plan_id).await?;
    let read_ms = t.elapsed().as_secs_f64() * 1e3;
    let (zones, overlays, parcels) = (data.zones.len(), data.overlays.len(), data.parcels.len());
    let t2 = Instant::now();
    let rs = tokio::task::spawn_blocking(move || RuleSet::new(data))
        .await
        .map_err(|e| {
            LoadError::Sql(sqlx::Error::Protocol(format!(
                "rule set build panicked: {e}"
            )))
        })??;
    let build_ms = t2.elapsed().as_secs_f64() * 1e3;
    tracing::info!(
        plan_id = rs.plan().id,
        plan_version = rs.plan().version,
        zones,
        overlays,
        parcels,
        read_ms = format!("{read_ms:.1}"),
        build_ms = format!("{build_ms:.1}"),
        "zoning rule set loaded"
    );
    Ok(rs)
}

/// The rule set a request is answered from.
pub struct Current {
    pub rules: Arc<RuleSet>,
    /// Set when the rule set could not be rebuilt after a change (the database is unreachable
    /// or the load failed): the last one built is used, and this says since when it is stale.
    pub stale_since: Option<std::time::SystemTime>,
}

/// First and longest wait between attempts to rebuild a rule set that failed to load.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(15);

/// The rule set of the active plan, kept in memory and rebuilt after a change.
///
/// When a rebuild fails (the database is unreachable, the load fails) and a rule set was built
/// before, requests keep being answered from it, marked stale ([`Current::stale_since`]); a
/// background task retries with exponential backoff ([`RETRY_FIRST`] to [`RETRY_MAX`]) until a
/// rebuild succeeds, and requests in between do not wait for the database.
pub struct CheckService {
    pool: PgPool,
    /// Where the rule set is read from: a replica when one is eligible (`db::reads`).
    reads: Option<Arc<crate::db::reads::ReadRouter>>,
    current: RwLock<Option<Arc<RuleSet>>>,
    stale: AtomicBool,
    /// Since when the rebuild has been failing (`None` while it works).
    failing_since: RwLock<Option<std::time::SystemTime>>,
    /// Bumped on every rebuild (tests and logs).
    generation: AtomicU64,
    rebuild: tokio::sync::Mutex<()>,
    /// Wakes the retry task after a failed rebuild.
    retry: tokio::sync::Notify,
}

impl CheckService {
    /// A service that loads its rule set on first use.
    pub fn new(pool: PgPool) -> Self {
        CheckService {
            pool,
            reads: None,
            current: RwLock::new(None),
            stale: AtomicBool::new(true),
            failing_since: RwLock::new(None),
            generation: AtomicU64::new(0),
            rebuild: tokio::sync::Mutex::new(()),
            retry: tokio::sync::Notify::new(),
        }
    }

    /// A service that reads its rule set through `reads` (on a replica when one is eligible).
    pub fn with_reads(pool: PgPool, reads: Arc<crate::db::reads::ReadRouter>) -> Self {
        CheckService {
            reads: Some(reads),
            ..Self::new(pool)
        }
    }

    /// How many times the rule set was built.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Marks the rule set stale; the next [`CheckService::rule_set`] rebuilds it.
    pub fn invalidate(&self) {
        self.stale.store(true, Ordering::SeqCst);
    }

    fn cached(&self) -> Option<Arc<RuleSet>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn failing(&self) -> Option<std::time::SystemTime> {
        *self.failing_since.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The current rule set, rebuilt first when a change made it stale; the last one built
    /// while a rebuild fails (see [`CheckService::current`]).
    pub async fn rule_set(&self) -> Result<Arc<RuleSet>, LoadError> {
        self.current().await.map(|c| c.rules)
    }

    /// The rule set to answer from, and whether it is stale. Fails only when no rule set was
    /// ever built (or no plan is active).
    pub async fn current(&self) -> Result<Current, LoadError> {
        let fresh = |rules| Current {
            rules,
            stale_since: None,
        };
        if !self.stale.load(Ordering::SeqCst)
            && let Some(rs) = self.cached()
        {
            return Ok(fresh(rs));
        }
        // While rebuilding fails, answer from the last rule set at once: the retry task
        // rebuilds it, so requests neither wait for an unreachable database nor pile onto it.
        if let (Some(rs), Some(since)) = (self.cached(), self.failing()) {
            return Ok(Current {
                rules: rs,
                stale_since: Some(since),
            });
        }
        match self.rebuild_now().await {
            Ok(rs) => Ok(fresh(rs)),
            Err(e) => match (self.cached(), &e) {
                (_, LoadError::NoActivePlan) => Err(e),
                (Some(rs), _) => Ok(Current {
                    rules: rs,
                    stale_since: self.failing(),
                }),
                (None, _) => Err(e),
            },
        }
    }

    /// Rebuilds the rule set if it is stale (one rebuild at a time; others wait for it).
    async fn rebuild_now(&self) -> Result<Arc<RuleSet>, LoadError> {
        let _guard = self.rebuild.lock().await;
        // another request may have rebuilt it while this one waited
        if !self.stale.load(Ordering::SeqCst)
            && let Some(rs) = self.cached()
        {
            return Ok(rs);
        }
        // cleared before reading: a change during the load marks it stale again
        self.stale.store(false, Ordering::SeqCst);
        let loaded = match &self.reads {
            Some(reads) => reads.read(|pool| async move { load(&pool).await }).await,
            None => load(&self.pool).await,
        };
        match loaded {
            Ok(rs) => {
                let rs = Arc::new(rs);
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&rs));
                let was_failing = self
                    .failing_since
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                if let Some(since) = was_failing {
                    tracing::info!(
                        failing_for_ms = since.elapsed().unwrap_or_default().as_millis() as u64,
                        "zoning rule set rebuilt after failures"
                    );
                }
                self.generation.fetch_add(1, Ordering::SeqCst);
                Ok(rs)
            }
            Err(e) => {
                self.stale.store(true, Ordering::SeqCst);
                if !matches!(e, LoadError::NoActivePlan) {
                    let mut f = self
                        .failing_since
                        .write()
                        .unwrap_or_else(|e| e.into_inner());
                    if f.is_none() {
                        tracing::warn!(error = %e, "cannot rebuild the zoning rule set; answering from the last one and retrying");
                        *f = Some(std::time::SystemTime::now());
                    }
                    self.retry.notify_one();
                }
                Err(e)
            }
        }
    }

    /// Whether a change of `table` concerns the rule set.
    fn concerns_rules(table: &str) -> bool {
        WATCHED_TABLES.contains(&table)
    }

    /// Follows the database's change feed: marks the rule set stale when a watched table
    /// changed, and on a resync (listener up, changes possibly missed) also rebuilds it at once
    /// so the first check does not wait for it. Also starts the task that retries a failed
    /// rebuild with backoff.
    pub fn spawn_invalidation(self: &Arc<Self>, mut changes: crate::db::changes::Subscription) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                match &*change {
                    Change::Table { table, .. } => {
                        if Self::concerns_rules(table) {
                            this.invalidate();
                        }
                    }
                    Change::Resync => {
                        this.invalidate();
                        match this.rebuild_now().await {
                            Ok(_) => {}
                            Err(LoadError::NoActivePlan) => {
                                tracing::debug!("no active zoning plan yet")
                            }
                            Err(_) if this.pool.is_closed() => return,
                            Err(e) => tracing::debug!(error = %e, "cannot load the rule set"),
                        }
                    }
                }
            }
        });
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                this.retry.notified().await;
                let mut wait = RETRY_FIRST;
                while this.failing().is_some() && !this.pool.is_closed() {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                    if this.rebuild_now().await.is_ok() {
                        break;
                    }
                }
                if this.pool.is_closed() {
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_that_concern_the_rules() {
        assert!(CheckService::concerns_rules("zone_rules"));
        assert!(CheckService::concerns_rules("activity_rules"));
        assert!(!CheckService::concerns_rules("markets"));
    }
}
