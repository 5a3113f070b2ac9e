//! Plans in PostGIS: list and find, create a draft (a copy of another plan's zones, overlays and
//! rules), write a [`Book`] into a draft in one transaction, read a plan's book back, activate a
//! draft with a reason, delete a draft, and the append-only history (`plan_events`).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use super::PlanError;
use super::book::{Book, Catalogue, CellError, Itbx};
use crate::rules::{Activity, ActivityRule, ZoneRule};

/// A zoning plan as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: i32,
    pub name: String,
    /// `draft`, `active` or `retired`.
    pub status: String,
    pub version: i32,
    pub legal_basis: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub based_on: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
    pub zones: i64,
}

/// Who acts (recorded in the history): a user, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub role: String,
}

impl Actor {
    pub fn cli() -> Self {
        Actor {
            id: None,
            role: "cli".into(),
        }
    }
}

const PLAN_COLUMNS: &str =
    "p.id, p.name, p.status, p.version, p.legal_basis, p.valid_from, p.based_on,
    p.created_at, p.updated_at, p.activated_at, p.retired_at,
    (SELECT count(*) FROM zones z WHERE z.plan_id = p.id) AS zones";

fn plan_row(r: &sqlx::postgres::PgRow) -> Result<Plan, sqlx::Error> {
    Ok(Plan {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        legal_basis: r.try_get("legal_basis")?,
        valid_from: r.try_get("valid_from")?,
        based_on: r.try_get("based_on")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        activated_at: r.try_get("activated_at")?,
        retired_at: r.try_get("retired_at")?,
        zones: r.try_get("zones")?,
    })
}

/// Every plan, the active one first, then drafts, then retired ones (newest first).
pub async fn list(pool: &PgPool) -> Result<Vec<Plan>, PlanError> {
    let rows = sqlx::query(&format!(
        "SELECT {PLAN_COLUMNS} FROM zoning_plans p
          ORDER BY CASE p.status WHEN 'active' THEN 0 WHEN 'draft' THEN 1 ELSE 2 END, p.id DESC"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(plan_row).collect::<Result<_, _>>()?)
}

/// A plan by id (digits) or by name.
pub async fn find(conn: &mut PgConnection, key: &str) -> Result<Plan, PlanError> {
    let key = key.trim();
    let row = if let Ok(id) = key.parse::<i32>() {
        sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM zoning_plans p WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM zoning_plans p WHERE p.name = $1"
        ))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?
    };
    match row {
        Some(r) => Ok(plan_row(&r)?),
        None => Err(PlanError::NotFound(key.to_owned())),
    }
}

/// The active plan, if any.
pub async fn active(conn: &mut PgConnection) -> Result<Option<Plan>, PlanError> {
    let row = sqlx::query(&format!(
        "SELECT {PLAN_COLUMNS} FROM zoning_plans p WHERE p.status = 'active'"
    ))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| plan_row(&r)).transpose()?)
}

/// What a book is checked against, for plan `plan_id` (its condition codes).
pub async fn catalogue(
    conn: &mut PgConnection,
    plan_id: Option<i32>,
) -> Result<Catalogue, PlanError> {
    let mut c = Catalogue::default();
    for r in sqlx::query("SELECT code, name FROM subzones")
        .fetch_all(&mut *conn)
        .await?
    {
        c.subzones.insert(r.try_get("code")?, r.try_get("name")?);
    }
    for r in sqlx::query("SELECT alias, subzone_code FROM zone_code_aliases")
        .fetch_all(&mut *conn)
        .await?
    {
        let alias: String = r.try_get("alias")?;
        c.subzone_aliases
            .insert(alias.to_uppercase(), r.try_get("subzone_code")?);
    }
    // codes written without their hyphen (R2 for R-2) are accepted too
    for code in c.subzones.keys().cloned().collect::<Vec<_>>() {
        c.subzone_aliases
            .entry(code.replace('-', ""))
            .or_insert(code);
    }
    for r in sqlx::query("SELECT kbli_code, title, keywords FROM activities")
        .fetch_all(&mut *conn)
        .await?
    {
        let code: String = r.try_get("kbli_code")?;
        c.activity_keywords
            .insert(code.clone(), r.try_get("keywords")?);
        c.activities.insert(code, r.try_get("title")?);
    }
    if let Some(id) = plan_id {
        for r in sqlx::query("SELECT code FROM rule_conditions WHERE plan_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        {
            c.plan_conditions.insert(r.try_get("code")?);
        }
    }
    Ok(c)
}

/// Orders `items` by their key's place in `layout`; keys the layout lacks come after, sorted.
fn order_by_layout<T, K: Ord + Clone + std::hash::Hash + Eq>(
    items: &mut [T],
    key: impl Fn(&T) -> K,
    layout: &[K],
) {
    let pos: HashMap<K, usize> = layout
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    items.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        match (pos.get(&ka), pos.get(&kb)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => ka.cmp(&kb),
        }
    });
}

/// The distinct `keys`, plus the layout's own, in the layout's order (others after, sorted).
fn keys_in_layout<'a>(keys: impl Iterator<Item = &'a String>, layout: &'a [String]) -> Vec<String> {
    let mut out: Vec<String> = keys
        .chain(layout.iter())
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    order_by_layout(&mut out, |c| c.clone(), layout);
    out
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A plan's rule tables as a book, in the layout of its last import; `activities` is the whole
/// (national) catalogue.
pub async fn load_book(conn: &mut PgConnection, plan_id: i32) -> Result<Book, PlanError> {
    let layout: Value = sqlx::query_scalar("SELECT book_layout FROM zoning_plans WHERE id = $1")
        .bind(plan_id)
        .fetch_one(&mut *conn)
        .await?;
    let mut cells = crate::check::activity_rules_of(&mut *conn, plan_id).await?;
    // columns and rows of the last import stay even where every cell was empty
    let columns = keys_in_layout(
        cells.iter().map(|c| &c.subzone_code),
        &strings(&layout, "itbx_columns"),
    );
    let rows = keys_in_layout(
        cells.iter().map(|c| &c.kbli_code),
        &strings(&layout, "itbx_rows"),
    );
    let row_pos: HashMap<&String, usize> = rows.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let col_pos: HashMap<&String, usize> =
        columns.iter().enumerate().map(|(i, k)| (k, i)).collect();
    cells.sort_by_key(|c| (row_pos[&c.kbli_code], col_pos[&c.subzone_code]));
    let itbx = Itbx {
        columns: columns.clone(),
        rows: rows.clone(),
        cells,
    };

    let mut intensity = crate::check::zone_rules_of(&mut *conn, plan_id).await?;
    let lay: Vec<String> = strings(&layout, "intensity_rows");
    order_by_layout(
        &mut intensity,
        |r| format!("{}|{}", r.subzone_code, r.variant),
        &lay,
    );

    let mut conditions = crate::check::conditions_of(&mut *conn, plan_id).await?;
    let lay = strings(&layout, "conditions_rows");
    order_by_layout(&mut conditions, |c| c.code.clone(), &lay);

    let activities = crate::check::activities_of(&mut *conn).await?;
    Ok(Book {
        itbx: Some(itbx),
        intensity: Some(intensity),
        conditions: Some(conditions),
        activities: Some(activities),
        activity_columns: super::book::ActivityColumns {
            title_en: true,
            keywords: true,
        },
        ignored_sheets: vec![],
    })
}

/// KBLI code → title, for the matrix's `Kegiatan` column.
pub fn titles(book: &Book) -> BTreeMap<String, String> {
    book.activities
        .iter()
        .flatten()
        .map(|a| (a.kbli_code.clone(), a.title.clone()))
        .collect()
}

async fn event(
    conn: &mut PgConnection,
    plan: &Plan,
    action: &str,
    actor: &Actor,
    reason: Option<&str>,
    data: Value,
) -> Result<(), PlanError> {
    sqlx::query(
        "INSERT INTO plan_events (plan_id, plan_name, action, actor_id, actor_role, reason, plan_version, data)
         VALUES ($1, $2, $3, $4, $5, $6, (SELECT version FROM zoning_plans WHERE id = $1), $7)",
    )
    .bind(plan.id)
    .bind(&plan.name)
    .bind(action)
    .bind(actor.id)
    .bind(&actor.role)
    .bind(reason)
    .bind(data)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A plan's history, oldest first.
#[derive(Debug, Serialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub actor_name: Option<String>,
    pub reason: Option<String>,
    pub plan_version: Option<i32>,
    pub data: Value,
}

pub async fn history(pool: &PgPool, plan_id: i32) -> Result<Vec<Event>, PlanError> {
    let rows = sqlx::query(
        "SELECT e.at, e.action, e.actor_id, e.actor_role, coalesce(u.display_name, u.email) AS actor_name,
                e.reason, e.plan_version, e.data
           FROM plan_events e LEFT JOIN users u ON u.id = e.actor_id
          WHERE e.plan_id = $1 ORDER BY e.at, e.id",
    )
    .bind(plan_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                at: r.try_get("at")?,
                action: r.try_get("action")?,
                actor_id: r.try_get("actor_id")?,
                actor_role: r.try_get("actor_role")?,
                actor_name: r.try_get("actor_name")?,
                reason: r.try_get("reason")?,
                plan_version: r.try_get("plan_version")?,
                data: r.try_get("data")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlanError::from)
}

/// Serialises the plan-changing transactions (create, import, activate, delete) against one
/// another, so two of them cannot both create one draft or both activate.
pub async fn lock_plans(conn: &mut PgConnection) -> Result<(), PlanError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('ruang.plans'))")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Refuses (409) unless `plan` is a draft; `only_id`/`only_en` end the message ("hanya
/// rancangan yang dapat dihapus." / "only a draft can be deleted.").
fn require_draft(plan: &Plan, only_id: &str, only_en: &str) -> Result<(), PlanError> {
    if plan.status == "draft" {
        return Ok(());
    }
    Err(PlanError::state(
        format!(
            "Rencana {:?} berstatus {}; {only_id}",
            plan.name, plan.status
        ),
        format!("Plan {:?} is {}; {only_en}", plan.name, plan.status),
    ))
}

/// Checks a plan name: 3 to 120 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, PlanError> {
    let n = name.trim();
    if n.chars().count() < 3 || n.chars().count() > 120 || n.chars().any(|c| c.is_control()) {
        return Err(PlanError::invalid(
            "name",
            "Nama rencana harus 3–120 karakter tanpa karakter kendali.",
            "A plan name has 3–120 characters and no control characters.",
        ));
    }
    if n.parse::<i64>().is_ok() {
        return Err(PlanError::invalid(
            "name",
            "Nama rencana tidak boleh hanya angka (angka menunjuk nomor rencana).",
            "A plan name may not be only digits (digits name a plan's id).",
        ));
    }
    Ok(n.to_owned())
}

/// Creates a draft named `name`, a copy of `base` (zones, overlays, intensity, conditions,
/// matrix and layout), or an empty one.
pub async fn create_draft(
    conn: &mut PgConnection,
    name: &str,
    base: Option<&Plan>,
    legal_basis: Option<&str>,
    valid_from: Option<NaiveDate>,
    actor: &Actor,
) -> Result<Plan, PlanError> {
    let name = check_name(name)?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM zoning_plans WHERE name = $1)")
            .bind(&name)
            .fetch_one(&mut *conn)
            .await?;
    if exists {
        return Err(PlanError::state(
            format!("Rencana bernama {name:?} sudah ada."),
            format!("A plan named {name:?} already exists."),
        ));
    }
    let id: i32 = sqlx::query_scalar(
        "INSERT INTO zoning_plans (name, legal_basis, valid_from, status, based_on, book_layout)
         VALUES ($1, $2, $3, 'draft', $4,
                 coalesce((SELECT book_layout FROM zoning_plans WHERE id = $4), '{}'))
         RETURNING id",
    )
    .bind(&name)
    .bind(legal_basis.or(base.and_then(|b| b.legal_basis.as_deref())))
    .bind(valid_from)
    .bind(base.map(|b| b.id))
    .fetch_one(&mut *conn)
    .await?;
    if let Some(b) = base {
        for sql in [
            "INSERT INTO zones (plan_id, zone_code, subzone_code, name, block_code, kelurahan_code, overlay_flags, geom)
             SELECT $1, zone_code, subzone_code, name, block_code, kelurahan_code, overlay_flags, geom
               FROM zones WHERE plan_id = $2 ORDER BY id",
            "INSERT INTO overlays (plan_id, kind, name, no_building, height_max_m, hazard, hazard_level,
                                   condition_id, condition_en, geom)
             SELECT $1, kind, name, no_building, height_max_m, hazard, hazard_level, condition_id, condition_en, geom
               FROM overlays WHERE plan_id = $2 ORDER BY id",
            "INSERT INTO zone_rules (plan_id, subzone_code, variant, kdb_max_pct, klb_max, kdh_min_pct,
                                     ktb_max_pct, height_max_m, floors_max, gsb_min_m, jbs_min_m, min_parcel_m2, note)
             SELECT $1, subzone_code, variant, kdb_max_pct, klb_max, kdh_min_pct, ktb_max_pct,
                    height_max_m, floors_max, gsb_min_m, jbs_min_m, min_parcel_m2, note
               FROM zone_rules WHERE plan_id = $2",
            "INSERT INTO rule_conditions (plan_id, code, text_id, text_en)
             SELECT $1, code, text_id, text_en FROM rule_conditions WHERE plan_id = $2",
            "INSERT INTO activity_rules (plan_id, subzone_code, kbli_code, class, condition_codes)
             SELECT $1, subzone_code, kbli_code, class, condition_codes FROM activity_rules WHERE plan_id = $2",
        ] {
            sqlx::query(sql).bind(id).bind(b.id).execute(&mut *conn).await?;
        }
    }
    let plan = find(&mut *conn, &id.to_string()).await?;
    event(
        &mut *conn,
        &plan,
        "created",
        actor,
        None,
        json!({"based_on": base.map(|b| json!({"id": b.id, "name": b.name, "version": b.version}))}),
    )
    .await?;
    Ok(plan)
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub plan: Plan,
    /// The draft was created by this import.
    pub created: bool,
    pub dry_run: bool,
    pub tables: BTreeMap<&'static str, TableReport>,
    pub ignored_sheets: Vec<String>,
}

/// Rows of one table: how many the file has, and how they compare with the plan before.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TableReport {
    pub rows: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
}

fn compare<K: Eq + std::hash::Hash, V: PartialEq>(
    before: HashMap<K, V>,
    after: HashMap<K, V>,
    rows: usize,
) -> TableReport {
    let mut t = TableReport {
        rows,
        ..Default::default()
    };
    for (k, v) in &after {
        match before.get(k) {
            None => t.added += 1,
            Some(b) if b == v => t.unchanged += 1,
            Some(_) => t.changed += 1,
        }
    }
    t.removed = before.keys().filter(|k| !after.contains_key(*k)).count();
    t
}

/// Options of [`import`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The draft to load into (by name or id); created when no plan has that name.
    pub plan: String,
    /// The plan a new draft copies (name or id); the active plan when absent.
    pub base: Option<String>,
    pub dry_run: bool,
    pub actor: Actor,
}

/// The target plan and the catalogue a file is checked against: the draft named in `opts`, or
/// (when none exists) the plan it would be copied from.
pub async fn target_catalogue(pool: &PgPool, opts: &ImportOptions) -> Result<Catalogue, PlanError> {
    let mut conn = pool.acquire().await?;
    let plan_id = match find(&mut conn, &opts.plan).await {
        Ok(p) => Some(p.id),
        Err(PlanError::NotFound(_)) => match &opts.base {
            Some(b) => Some(find(&mut conn, b).await?.id),
            None => active(&mut conn).await?.map(|p| p.id),
        },
        Err(e) => return Err(e),
    };
    catalogue(&mut conn, plan_id).await
}

/// Writes `book` into the draft `opts.plan` (created from `opts.base` or the active plan when it
/// does not exist), all or nothing; a dry run rolls back and reports the same.
pub async fn import(
    pool: &PgPool,
    book: &Book,
    opts: &ImportOptions,
) -> Result<ImportReport, PlanError> {
    let mut tx = pool.begin().await?;
    // one import at a time, so two uploads into one new draft cannot both create it
    lock_plans(&mut tx).await?;
    let (plan, created) = match find(&mut tx, &opts.plan).await {
        Ok(p) => (p, false),
        Err(PlanError::NotFound(_)) => {
            let base = match &opts.base {
                Some(b) => Some(find(&mut tx, b).await?),
                None => active(&mut tx).await?,
            };
            (
                create_draft(&mut tx, &opts.plan, base.as_ref(), None, None, &opts.actor).await?,
                true,
            )
        }
        Err(e) => return Err(e),
    };
    require_draft(
        &plan,
        "aturan hanya dapat dimuat ke rancangan (draft). Muat ke nama baru untuk membuat rancangan dari rencana ini.",
        "rules can only be loaded into a draft. Load into a new name to create a draft from this plan.",
    )?;
    // SELECT ... FOR UPDATE: an activation waits for the import, and the other way round
    sqlx::query("SELECT 1 FROM zoning_plans WHERE id = $1 FOR UPDATE")
        .bind(plan.id)
        .execute(&mut *tx)
        .await?;
    let before = load_book(&mut tx, plan.id).await?;
    let mut tables = BTreeMap::new();
    let mut layout = serde_json::Map::new();

    if let Some(acts) = &book.activities {
        let cols = book.activity_columns;
        let old: HashMap<&str, &Activity> = before
            .activities
            .iter()
            .flatten()
            .map(|a| (a.kbli_code.as_str(), a))
            .collect();
        let mut t = TableReport {
            rows: acts.len(),
            ..Default::default()
        };
        for a in acts {
            match old.get(a.kbli_code.as_str()) {
                None => t.added += 1,
                Some(o)
                    if o.title == a.title
                        && o.section == a.section
                        && (!cols.title_en || o.title_en == a.title_en)
                        && (!cols.keywords || o.keywords == a.keywords) =>
                {
                    t.unchanged += 1
                }
                Some(_) => t.changed += 1,
            }
        }
        sqlx::query(
            "INSERT INTO activities AS a (kbli_code, title, title_en, section, keywords)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
             ON CONFLICT (kbli_code) DO UPDATE
                SET title = EXCLUDED.title, section = EXCLUDED.section,
                    title_en = CASE WHEN $6 THEN EXCLUDED.title_en ELSE a.title_en END,
                    keywords = CASE WHEN $7 THEN EXCLUDED.keywords ELSE a.keywords END
              WHERE (a.title, a.section) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.section)
                 OR ($6 AND a.title_en IS DISTINCT FROM EXCLUDED.title_en)
                 OR ($7 AND a.keywords IS DISTINCT FROM EXCLUDED.keywords)",
        )
        .bind(acts.iter().map(|a| a.kbli_code.clone()).collect::<Vec<_>>())
        .bind(acts.iter().map(|a| a.title.clone()).collect::<Vec<_>>())
        .bind(acts.iter().map(|a| a.title_en.clone()).collect::<Vec<_>>())
        .bind(acts.iter().map(|a| a.section.clone()).collect::<Vec<_>>())
        .bind(acts.iter().map(|a| a.keywords.clone()).collect::<Vec<_>>())
        .bind(cols.title_en)
        .bind(cols.keywords)
        .execute(&mut *tx)
        .await?;
        tables.insert("activities", t);
    }

    if let Some(conds) = &book.conditions {
        // the matrix that stays (the plan's, unless the book replaces it) must find its codes
        if book.itbx.is_none() {
            let have: HashSet<&str> = conds.iter().map(|c| c.code.as_str()).collect();
            let mut missing: Vec<&str> = before
                .itbx
                .iter()
                .flat_map(|m| m.cells.iter())
                .flat_map(|c| c.condition_codes.iter())
                .map(|s| s.as_str())
                .filter(|c| !have.contains(c))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            missing.sort();
            if !missing.is_empty() {
                return Err(PlanError::Book(vec![CellError {
                    sheet: "ketentuan".into(),
                    row: 1,
                    column: None,
                    header: None,
                    value: Some(missing.join(", ")),
                    detail: format!(
                        "Matriks ITBX rencana ini memakai kode {} yang tidak ada di tabel ketentuan baru.",
                        missing.join(", ")
                    ),
                    detail_en: format!(
                        "The plan's ITBX matrix uses codes {} that the new condition table lacks.",
                        missing.join(", ")
                    ),
                    suggestions: vec![],
                }]));
            }
        }
        let old: HashMap<String, (String, String)> = before
            .conditions
            .iter()
            .flatten()
            .map(|c| (c.code.clone(), (c.text_id.clone(), c.text_en.clone())))
            .collect();
        let new: HashMap<String, (String, String)> = conds
            .iter()
            .map(|c| (c.code.clone(), (c.text_id.clone(), c.text_en.clone())))
            .collect();
        tables.insert("conditions", compare(old, new, conds.len()));
        sqlx::query("DELETE FROM rule_conditions WHERE plan_id = $1")
            .bind(plan.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO rule_conditions (plan_id, code, text_id, text_en)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])",
        )
        .bind(plan.id)
        .bind(conds.iter().map(|c| c.code.clone()).collect::<Vec<_>>())
        .bind(conds.iter().map(|c| c.text_id.clone()).collect::<Vec<_>>())
        .bind(conds.iter().map(|c| c.text_en.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        layout.insert(
            "conditions_rows".into(),
            json!(conds.iter().map(|c| &c.code).collect::<Vec<_>>()),
        );
    }

    if let Some(rules) = &book.intensity {
        let key = |r: &ZoneRule| (r.subzone_code.clone(), r.variant.clone());
        let old: HashMap<_, ZoneRule> = before
            .intensity
            .iter()
            .flatten()
            .map(|r| (key(r), r.clone()))
            .collect();
        let new: HashMap<_, ZoneRule> = rules.iter().map(|r| (key(r), r.clone())).collect();
        tables.insert("intensity", compare(old, new, rules.len()));
        sqlx::query("DELETE FROM zone_rules WHERE plan_id = $1")
            .bind(plan.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO zone_rules (plan_id, subzone_code, variant, kdb_max_pct, klb_max, kdh_min_pct,
                                     ktb_max_pct, height_max_m, floors_max, gsb_min_m, jbs_min_m, min_parcel_m2, note)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[],
                                      $7::float8[], $8::float8[], $9::int[], $10::float8[], $11::float8[],
                                      $12::float8[], $13::text[])",
        )
        .bind(plan.id)
        .bind(rules.iter().map(|r| r.subzone_code.clone()).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.variant.clone()).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.kdb_max_pct).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.klb_max).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.kdh_min_pct).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.ktb_max_pct).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.height_max_m).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.floors_max).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.gsb_min_m).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.jbs_min_m).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.min_parcel_m2).collect::<Vec<_>>())
        .bind(rules.iter().map(|r| r.note.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        layout.insert(
            "intensity_rows".into(),
            json!(
                rules
                    .iter()
                    .map(|r| format!("{}|{}", r.subzone_code, r.variant))
                    .collect::<Vec<_>>()
            ),
        );
    }

    if let Some(m) = &book.itbx {
        let key = |c: &ActivityRule| (c.subzone_code.clone(), c.kbli_code.clone());
        let val = |c: &ActivityRule| (c.class, c.condition_codes.clone());
        let old: HashMap<_, _> = before
            .itbx
            .iter()
            .flat_map(|m| m.cells.iter())
            .map(|c| (key(c), val(c)))
            .collect();
        let new: HashMap<_, _> = m.cells.iter().map(|c| (key(c), val(c))).collect();
        tables.insert("itbx", compare(old, new, m.cells.len()));
        sqlx::query("DELETE FROM activity_rules WHERE plan_id = $1")
            .bind(plan.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO activity_rules (plan_id, subzone_code, kbli_code, class, condition_codes)
             SELECT $1, s, k, c, coalesce(string_to_array(nullif(cc, ''), ','), '{}')
               FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(s, k, c, cc)",
        )
        .bind(plan.id)
        .bind(
            m.cells
                .iter()
                .map(|c| c.subzone_code.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            m.cells
                .iter()
                .map(|c| c.kbli_code.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            m.cells
                .iter()
                .map(|c| c.class.as_str().to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(
            m.cells
                .iter()
                .map(|c| c.condition_codes.join(","))
                .collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await?;
        layout.insert("itbx_columns".into(), json!(m.columns));
        layout.insert("itbx_rows".into(), json!(m.rows));
    }

    if !layout.is_empty() {
        sqlx::query("UPDATE zoning_plans SET book_layout = book_layout || $2 WHERE id = $1")
            .bind(plan.id)
            .bind(Value::Object(layout))
            .execute(&mut *tx)
            .await?;
    }
    let plan = find(&mut tx, &plan.id.to_string()).await?;
    let report = ImportReport {
        plan,
        created,
        dry_run: opts.dry_run,
        tables,
        ignored_sheets: book.ignored_sheets.clone(),
    };
    if opts.dry_run {
        tx.rollback().await?;
    } else {
        event(
            &mut tx,
            &report.plan,
            "rules_imported",
            &opts.actor,
            None,
            json!({"tables": report.tables, "ignored_sheets": report.ignored_sheets}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Makes the draft `plan_id` the active plan: the active one becomes `retired`. Refused unless
/// the plan is a draft with zones, intensity rows and a matrix, and (when given) still at
/// `expected_version`, the version the reviewer saw.
pub async fn activate(
    pool: &PgPool,
    key: &str,
    reason: &str,
    expected_version: Option<i32>,
    actor: &Actor,
) -> Result<Plan, PlanError> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(PlanError::invalid(
            "reason",
            "Sebutkan alasan pengaktifan (dasar hukum, mis. nomor Perda), paling sedikit 5 karakter.",
            "Give the reason for activating (the legal basis, e.g. the regulation's number), at least 5 characters.",
        ));
    }
    let mut tx = pool.begin().await?;
    lock_plans(&mut tx).await?;
    let plan = find(&mut tx, key).await?;
    require_draft(
        &plan,
        "hanya rancangan (draft) yang dapat diaktifkan.",
        "only a draft can be activated.",
    )?;
    if let Some(v) = expected_version
        && v != plan.version
    {
        return Err(PlanError::state(
            format!(
                "Rancangan telah berubah (versi {} kini {}); periksa lagi perbandingan dan dampaknya sebelum mengaktifkan.",
                v, plan.version
            ),
            format!(
                "The draft has changed (version {} is now {}); review the comparison and impact again before activating.",
                v, plan.version
            ),
        ));
    }
    let (rules, cells): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM zone_rules WHERE plan_id = $1), (SELECT count(*) FROM activity_rules WHERE plan_id = $1)",
    )
    .bind(plan.id)
    .fetch_one(&mut *tx)
    .await?;
    if plan.zones == 0 || rules == 0 || cells == 0 {
        return Err(PlanError::state(
            format!(
                "Rancangan {:?} belum lengkap: {} zona, {} baris intensitas, {} sel ITBX.",
                plan.name, plan.zones, rules, cells
            ),
            format!(
                "Draft {:?} is incomplete: {} zones, {} intensity rows, {} ITBX cells.",
                plan.name, plan.zones, rules, cells
            ),
        ));
    }
    let previous = active(&mut tx).await?;
    if let Some(p) = &previous {
        sqlx::query("UPDATE zoning_plans SET status = 'retired', retired_at = now() WHERE id = $1")
            .bind(p.id)
            .execute(&mut *tx)
            .await?;
        event(
            &mut tx,
            p,
            "retired",
            actor,
            Some(reason),
            json!({"replaced_by": {"id": plan.id, "name": plan.name}}),
        )
        .await?;
    }
    sqlx::query("UPDATE zoning_plans SET status = 'active', activated_at = now(), retired_at = NULL WHERE id = $1")
        .bind(plan.id)
        .execute(&mut *tx)
        .await?;
    event(
        &mut tx,
        &plan,
        "activated",
        actor,
        Some(reason),
        json!({"replaces": previous.as_ref().map(|p| json!({"id": p.id, "name": p.name, "version": p.version}))}),
    )
    .await?;
    let plan = find(&mut tx, &plan.id.to_string()).await?;
    tx.commit().await?;
    Ok(plan)
}

/// Deletes a draft (never an active or retired plan: checks and permits point at those).
pub async fn delete_draft(pool: &PgPool, key: &str, actor: &Actor) -> Result<(), PlanError> {
    let mut tx = pool.begin().await?;
    lock_plans(&mut tx).await?;
    let plan = find(&mut tx, key).await?;
    require_draft(
        &plan,
        "hanya rancangan yang dapat dihapus.",
        "only a draft can be deleted.",
    )?;
    let used: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM applications WHERE check_plan_id = $1)")
            .bind(plan.id)
            .fetch_one(&mut *tx)
            .await?;
    if used {
        return Err(PlanError::state(
            "Rancangan ini sudah dipakai untuk pemeriksaan permohonan dan tidak dapat dihapus.",
            "Applications were checked under this draft, so it cannot be deleted.",
        ));
    }
    event(&mut tx, &plan, "deleted", actor, None, json!({})).await?;
    sqlx::query("DELETE FROM zoning_plans WHERE id = $1")
        .bind(plan.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
