//! Vector tiles: the layer registry, SQL built once per layer and zoom, the tile cache and its
//! invalidation from database change notifications.
//!
//! Tilesets: one per layer, named after it, plus `city`, the composite of every public layer.
//! A tile is rendered by one prepared statement per (tileset, zoom); see [`sql`] for its shape.

pub mod cache;
pub mod db;
pub mod fonts;
pub mod http;
pub mod layer;
pub mod memory;
pub mod occupancy;
pub mod sql;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};

use sqlx::{Column, Executor, PgPool, Statement, TypeInfo};

use crate::db::changes::Change;
use cache::{Tile, TileCache, TileKey};
use layer::{LayerDef, LayerError, MAX_ZOOM};

/// Name of the composite tileset of all public layers.
pub const COMPOSITE: &str = "city";

/// Fallback bounds of Kota Kupang (lon/lat) when the database has no admin areas yet.
pub const KUPANG_BOUNDS: [f64; 4] = [123.52, -10.30, 123.70, -10.12];

#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error("{file}: {message}")]
    Source { file: String, message: String },
    #[error(transparent)]
    Query(#[from] db::TileDbError),
}

/// A field of a layer as TileJSON describes it.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// "Number", "String" or "Boolean".
    pub kind: &'static str,
    /// How an in-process snapshot reads it.
    pub prop: memory::PropKind,
}

#[derive(Debug)]
pub struct Layer {
    pub def: LayerDef,
    pub fields: Vec<Field>,
}

#[derive(Debug)]
pub struct Tileset {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Indexes into [`TileService::layers`].
    pub layers: Vec<usize>,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// `None` for a public tileset; else the role a caller needs (admins may see all).
    pub role: Option<String>,
    /// Statement per zoom 0..=24; `None` where no layer is visible.
    queries: Vec<Option<Arc<str>>>,
    /// Per zoom, the statement for only the visible layers not cut in-process (`None` when
    /// there are none); used while every in-process layer has a current snapshot.
    rest_queries: Vec<Option<Arc<str>>>,
    /// The layers (indexes into [`TileService::layers`]) cut in-process.
    memory_layers: Vec<usize>,
    /// Tables whose changes invalidate this tileset.
    pub changes: Vec<String>,
}

/// The tile subsystem, shared by all requests.
pub struct TileService {
    pub layers: Vec<Layer>,
    pub tilesets: Vec<Tileset>,
    by_name: HashMap<String, u16>,
    pub cache: TileCache,
    pub bounds: [f64; 4],
    /// Map glyphs, found on the first glyph request (see [`fonts`]).
    pub fonts: std::sync::OnceLock<fonts::Fonts>,
    /// The primary's tile pool, and the replicas' (see `db::reads`).
    pub reads: Arc<crate::db::reads::ReadRouter>,
    /// Tiles answered from the cache, rendered, known empty (for the metrics).
    pub hits: std::sync::atomic::AtomicU64,
    pub misses: std::sync::atomic::AtomicU64,
    pub known_empty: std::sync::atomic::AtomicU64,
    /// Per tileset: which tiles can hold anything (see [`occupancy`]).
    pub occupancy: Vec<occupancy::Occupancy>,
    /// The answer for a tile the occupancy map knows to be empty.
    empty: Arc<Tile>,
    pool: PgPool,
    /// Per layer: its in-process snapshot, for layers with `render = "memory"`.
    memory: Vec<Option<MemorySlot>>,
    /// Bytes all snapshots together may hold (0: nothing is cut in-process).
    memory_budget: usize,
    /// Tiles cut in-process (for the metrics).
    pub in_memory: AtomicU64,
}

/// One in-process layer's snapshot and how current it is.
struct MemorySlot {
    snapshot: std::sync::RwLock<Option<Arc<memory::MemLayer>>>,
    /// Raised by every change to the layer's tables; the snapshot serves only while `ready`
    /// equals it, so a change sends tiles to PostGIS until the reload is in.
    wanted: AtomicU64,
    ready: AtomicU64,
    loading: AtomicBool,
    /// The layer cannot be held (too large for the budget, or not polygons): PostGIS serves it.
    refused: AtomicBool,
}

impl MemorySlot {
    fn current(&self) -> Option<Arc<memory::MemLayer>> {
        if self.refused.load(SeqCst) || self.ready.load(SeqCst) != self.wanted.load(SeqCst) {
            return None;
        }
        self.snapshot.read().ok()?.clone()
    }
}

/// What a tile request gives.
pub enum Rendered {
    Tile(Arc<Tile>),
    /// No layer of the tileset is visible at this zoom.
    OutsideZoom,
}

impl TileService {
    /// Reads the layer files of `dir`, checks them against the database and builds every
    /// statement. Fails with a message naming the file when a layer is wrong. Tiles are then
    /// rendered through `db` (see [`db::TileDb`]).
    pub async fn load(
        pool: PgPool,
        db: db::TileDb,
        dir: &Path,
        cache_bytes: u64,
    ) -> Result<Self, TileError> {
        let reads = Arc::new(crate::db::reads::ReadRouter::primary_only(pool.clone(), db));
        Self::load_with_reads(pool, reads, dir, cache_bytes, 0).await
    }

    /// [`TileService::load`], rendering through `reads`: on a replica when one is eligible.
    /// Layers with `render = "memory"` are cut in-process once their snapshot is loaded
    /// (the change feed's first `Resync` starts that, see [`TileService::spawn_invalidation`]),
    /// within `memory_bytes` for all of them; 0 leaves every layer to PostGIS.
    pub async fn load_with_reads(
        pool: PgPool,
        reads: Arc<crate::db::reads::ReadRouter>,
        dir: &Path,
        cache_bytes: u64,
        memory_bytes: u64,
    ) -> Result<Self, TileError> {
        let defs = layer::read_dir(dir)?;
        let mut layers = Vec::with_capacity(defs.len());
        for def in defs {
            let fields = check_columns(&pool, &def).await?;
            layers.push(Layer { def, fields });
        }
        let mut tilesets: Vec<Tileset> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                make_tileset(
                    &layers,
                    &l.def.name,
                    &l.def.title,
                    &l.def.description,
                    vec![i],
                )
            })
            .collect();
        let public: Vec<usize> = (0..layers.len())
            .filter(|i| layers[*i].def.is_public())
            .collect();
        if layers.iter().any(|l| l.def.name == COMPOSITE) {
            return Err(TileError::Source {
                file: format!("{COMPOSITE}.toml"),
                message: format!("the name {COMPOSITE:?} is reserved for the composite tileset"),
            });
        }
        tilesets.push(make_tileset(
            &layers,
            COMPOSITE,
            "Kota Kupang",
            "Semua lapisan publik: zonasi, persil, overlay, wilayah, kesehatan, pasar, sampah",
            public,
        ));
        let by_name = tilesets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i as u16))
            .collect();
        let margins = tilesets
            .iter()
            .map(|t| {
                t.layers
                    .iter()
                    .map(|i| layers[*i].def.buffer as f64 / sql::EXTENT as f64)
                    .fold(0.0, f64::max)
            })
            .collect();
        let bounds = load_bounds(&pool).await.unwrap_or(KUPANG_BOUNDS);
        let occupancy = tilesets
            .iter()
            .map(|t| {
                let buffer = t.layers.iter().map(|i| layers[*i].def.buffer).max();
                occupancy::Occupancy::new(buffer.unwrap_or(0))
            })
            .collect();
        let memory = layers
            .iter()
            .map(|l| {
                (memory_bytes > 0 && l.def.render == layer::Render::Memory).then(|| MemorySlot {
                    snapshot: std::sync::RwLock::new(None),
                    wanted: AtomicU64::new(1),
                    ready: AtomicU64::new(0),
                    loading: AtomicBool::new(false),
                    refused: AtomicBool::new(false),
                })
            })
            .collect();
        Ok(TileService {
            memory,
            memory_budget: usize::try_from(memory_bytes).unwrap_or(usize::MAX),
            in_memory: Default::default(),
            occupancy,
            empty: Arc::new(Tile::new(Vec::new(), false)),
            pool: pool.clone(),
            layers,
            tilesets,
            by_name,
            cache: TileCache::new(cache_bytes, margins),
            bounds,
            fonts: std::sync::OnceLock::new(),
            reads,
            hits: Default::default(),
            misses: Default::default(),
            known_empty: Default::default(),
        })
    }

    pub fn tileset(&self, name: &str) -> Option<(u16, &Tileset)> {
        let i = *self.by_name.get(name)?;
        Some((i, &self.tilesets[i as usize]))
    }

    /// The tile z/x/y of tileset `index`, from the cache or the database.
    pub async fn tile(&self, index: u16, z: u8, x: u32, y: u32) -> Result<Rendered, TileError> {
        let ts = &self.tilesets[index as usize];
        let Some(sql) = ts.queries.get(z as usize).cloned().flatten() else {
            return Ok(Rendered::OutsideZoom);
        };
        let key = TileKey {
            tileset: index,
            z,
            x,
            y,
        };
        use std::sync::atomic::Ordering::Relaxed;
        if self.occupancy[index as usize].known_empty(z, x, y) {
            self.known_empty.fetch_add(1, Relaxed);
            return Ok(Rendered::Tile(self.empty.clone()));
        }
        if let Some(tile) = self.cache.get(&key) {
            self.hits.fetch_add(1, Relaxed);
            return Ok(Rendered::Tile(tile));
        }
        self.misses.fetch_add(1, Relaxed);
        // The generation is read before the source is picked: a change handled after this
        // point raised the replicas' fence first (`db::changes`), so the pick below cannot
        // choose a replica without it, and a tile rendered before the change is not cached.
        let generation = self.cache.generation(index);
        let bytes = match self.cut_in_memory(ts, z, x, y) {
            Some(mut bytes) => {
                self.in_memory.fetch_add(1, Relaxed);
                if let Some(rest) = ts.rest_queries.get(z as usize).cloned().flatten() {
                    bytes.extend(self.reads.render_tile(&rest, z, x, y).await?);
                }
                bytes
            }
            None => self.reads.render_tile(&sql, z, x, y).await?,
        };
        let tile = Arc::new(Tile::new(bytes, self.cache.enabled()));
        self.cache.insert(key, tile.clone(), generation);
        Ok(Rendered::Tile(tile))
    }

    /// The in-process part of tile z/x/y of `ts`: the MVT layers of its visible in-process
    /// layers, concatenated. `None` when it has no such layer at `z` or one of their snapshots
    /// is not current (the whole tile then comes from PostGIS).
    fn cut_in_memory(&self, ts: &Tileset, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        let mut snapshots = Vec::new();
        for i in &ts.memory_layers {
            let def = &self.layers[*i].def;
            if z < def.minzoom || z > def.maxzoom {
                continue;
            }
            snapshots.push((def, self.memory[*i].as_ref()?.current()?));
        }
        if snapshots.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for (def, snap) in snapshots {
            out.extend(snap.render(z, x, y, def.buffer, def.tolerance_at(z)));
        }
        Some(out)
    }

    /// Layer `name`'s definition and current snapshot, when it is cut in-process.
    fn current_memory(&self, name: &str) -> Option<(&LayerDef, Arc<memory::MemLayer>)> {
        let i = self.layers.iter().position(|l| l.def.name == name)?;
        Some((&self.layers[i].def, self.memory[i].as_ref()?.current()?))
    }

    /// The tile z/x/y of layer `name` cut in-process, when the layer is and its snapshot is
    /// current (for tests and tools comparing it with PostGIS).
    pub fn render_in_memory(&self, name: &str, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        let (def, snap) = self.current_memory(name)?;
        Some(snap.render(z, x, y, def.buffer, def.tolerance_at(z)))
    }

    /// True when layer `name` is cut in-process and its snapshot is current.
    pub fn memory_ready(&self, name: &str) -> bool {
        self.current_memory(name).is_some()
    }

    /// For `/readyz`: each layer cut in-process, whether its snapshot is current (`current`),
    /// being (re)loaded while PostGIS serves it (`loading`) or left to PostGIS for good
    /// (`postgis`: too large for the budget or not polygons), with its size when held.
    pub fn memory_states(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (i, slot) in self.memory.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let held = slot.snapshot.read().ok().and_then(|s| s.clone());
            let state = if slot.refused.load(SeqCst) {
                "postgis"
            } else if slot.current().is_some() {
                "current"
            } else {
                "loading"
            };
            out.insert(
                self.layers[i].def.name.clone(),
                serde_json::json!({
                    "state": state,
                    "features": held.as_ref().map(|h| h.len()),
                    "bytes": held.as_ref().map(|h| h.bytes),
                }),
            );
        }
        serde_json::Value::Object(out)
    }

    /// Marks the snapshots of layers built on `table` (all with `None`) stale.
    fn stale_memory(&self, table: Option<&str>) {
        for (i, slot) in self.memory.iter().enumerate() {
            let Some(slot) = slot else { continue };
            if table.is_none_or(|t| self.layers[i].def.changes.iter().any(|c| c == t)) {
                slot.wanted.fetch_add(1, SeqCst);
            }
        }
    }

    /// Starts a reload of every snapshot that is behind its layer's changes;
    /// [`TileService::reload_memory`] keeps it to one loader per layer.
    fn reload_stale_memory(self: &Arc<Self>) {
        for (i, slot) in self.memory.iter().enumerate() {
            if let Some(slot) = slot
                && slot.ready.load(SeqCst) != slot.wanted.load(SeqCst)
            {
                tokio::spawn(Arc::clone(self).reload_memory(i));
            }
        }
    }

    /// Loads layer `index`'s snapshot again until it matches the latest change (one loader per
    /// layer; a change during a load makes it load once more). When the database cannot be
    /// read it retries with backoff (0.25 s doubling to 15 s); a layer too large for the budget
    /// or not made of polygons is left to PostGIS for good, with a warning.
    pub async fn reload_memory(self: Arc<Self>, index: usize) {
        let Some(slot) = self.memory.get(index).and_then(Option::as_ref) else {
            return;
        };
        let def = &self.layers[index].def;
        let kinds: Vec<memory::PropKind> =
            self.layers[index].fields.iter().map(|f| f.prop).collect();
        let mut wait = std::time::Duration::from_millis(250);
        while !slot.loading.swap(true, SeqCst) {
            loop {
                let target = slot.wanted.load(SeqCst);
                if slot.ready.load(SeqCst) == target || slot.refused.load(SeqCst) {
                    break;
                }
                let others: usize = self
                    .memory
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != index)
                    .filter_map(|(_, s)| {
                        s.as_ref()?.snapshot.read().ok()?.as_ref().map(|m| m.bytes)
                    })
                    .sum();
                let budget = self.memory_budget.saturating_sub(others);
                let started = std::time::Instant::now();
                match memory::load(&self.pool, def, &kinds, budget).await {
                    Ok(layer) => {
                        tracing::debug!(layer = %def.name, features = layer.len(), bytes = layer.bytes,
                            ms = started.elapsed().as_millis() as u64, "in-process tile layer loaded");
                        if let Ok(mut s) = slot.snapshot.write() {
                            *s = Some(Arc::new(layer));
                        }
                        slot.ready.store(target, SeqCst);
                        wait = std::time::Duration::from_millis(250);
                    }
                    Err(memory::MemoryError::Db(e)) => {
                        if self.pool.is_closed() {
                            slot.loading.store(false, SeqCst);
                            return;
                        }
                        tracing::debug!(error = %e, layer = %def.name, "in-process tile layer not loaded; retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(std::time::Duration::from_secs(15));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, layer = %def.name,
                            "layer not cut in-process; PostGIS renders its tiles");
                        if let Ok(mut s) = slot.snapshot.write() {
                            *s = None;
                        }
                        slot.refused.store(true, SeqCst);
                    }
                }
            }
            slot.loading.store(false, SeqCst);
            // a change that came after the last look but before `loading` was cleared
            if slot.ready.load(SeqCst) == slot.wanted.load(SeqCst) || slot.refused.load(SeqCst) {
                return;
            }
        }
    }

    /// Applies one change: drops the tiles of the tilesets built on `table` that meet `bbox`
    /// (all of them when there is no box).
    /// Returns the tilesets whose occupancy map must be rebuilt.
    pub fn apply_change(&self, table: &str, bbox: Option<[f64; 4]>) -> Vec<u16> {
        self.stale_memory(Some(table));
        let affected: Vec<u16> = self
            .tilesets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.changes.iter().any(|c| c == table))
            .map(|(i, _)| i as u16)
            .collect();
        if !affected.is_empty() {
            tracing::debug!(
                table,
                ?bbox,
                tilesets = affected.len(),
                "invalidating tiles"
            );
            self.cache.invalidate(&affected, bbox);
        }
        affected
            .into_iter()
            .filter(|t| self.occupancy[*t as usize].change(bbox))
            .collect()
    }

    /// Builds the occupancy map of tileset `index` from the bounding boxes of every feature
    /// of its layers (filters ignored), again while changes made it stale meanwhile. When the
    /// database cannot be read, the map stays unknown (every tile goes to the database) and the
    /// build is retried with backoff (0.25 s doubling to 15 s) until it succeeds.
    pub async fn rebuild_occupancy(&self, index: u16) {
        let occ = &self.occupancy[index as usize];
        if !occ.start() {
            return;
        }
        let mut wait = std::time::Duration::from_millis(250);
        let mut failures = 0u32;
        loop {
            let started = std::time::Instant::now();
            let grid = match self.occupancy_boxes(index).await {
                Ok(boxes) => occupancy::Grid::build(&boxes, occ.margin()),
                Err(e) => {
                    let name = &self.tilesets[index as usize].name;
                    if failures == 0 {
                        tracing::warn!(error = %e, tileset = %name,
                            "occupancy map not built; every tile goes to the database; retrying");
                    } else {
                        tracing::debug!(error = %e, tileset = %name, failures, "occupancy map not built");
                    }
                    failures += 1;
                    occ.finish(None);
                    if self.pool.is_closed() {
                        return;
                    }
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(15));
                    // another build may have started meanwhile (a resync): it takes over
                    if !occ.start() {
                        return;
                    }
                    continue;
                }
            };
            if failures > 0 {
                tracing::info!(tileset = %self.tilesets[index as usize].name, failures,
                    "occupancy map rebuilt after failures");
                failures = 0;
            }
            let again = occ.finish(grid);
            tracing::debug!(
                tileset = %self.tilesets[index as usize].name,
                cells = ?occ.marked(),
                ms = started.elapsed().as_millis() as u64,
                "occupancy map built"
            );
            if !again || !occ.start() {
                return;
            }
        }
    }

    async fn occupancy_boxes(&self, index: u16) -> Result<Vec<occupancy::CellBox>, sqlx::Error> {
        let mut out = Vec::new();
        for i in &self.tilesets[index as usize].layers {
            let sql = sql::bbox_query(&self.layers[*i].def);
            let rows: Vec<(f64, f64, f64, f64)> =
                sqlx::query_as(&sql).fetch_all(&self.pool).await?;
            out.extend(
                rows.into_iter()
                    .map(|(w, s, e, n)| occupancy::from_mercator([w, s, e, n])),
            );
        }
        Ok(out)
    }

    /// Applies the database's change feed to the cache until it ends. The feed's first
    /// `Resync` (listener up) builds the occupancy maps and loads the in-process snapshots,
    /// so each is read once at start-up.
    pub fn spawn_invalidation(self: &Arc<Self>, mut changes: crate::db::changes::Subscription) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                let rebuild = match &*change {
                    Change::Table { table, bbox } => this.apply_change(table, *bbox),
                    Change::Resync => {
                        this.stale_memory(None);
                        let all: Vec<u16> = (0..this.tilesets.len() as u16).collect();
                        this.cache.invalidate(&all, None);
                        all
                    }
                };
                this.reload_stale_memory();
                for index in rebuild {
                    let this = Arc::clone(&this);
                    tokio::spawn(async move { this.rebuild_occupancy(index).await });
                }
            }
        });
    }
}

fn make_tileset(
    layers: &[Layer],
    name: &str,
    title: &str,
    description: &str,
    members: Vec<usize>,
) -> Tileset {
    let defs: Vec<&LayerDef> = members.iter().map(|i| &layers[*i].def).collect();
    let queries = (0..=MAX_ZOOM)
        .map(|z| sql::tile_query(&defs, z).map(Arc::from))
        .collect();
    let rest: Vec<&LayerDef> = defs
        .iter()
        .copied()
        .filter(|d| d.render != layer::Render::Memory)
        .collect();
    let rest_queries = (0..=MAX_ZOOM)
        .map(|z| sql::tile_query(&rest, z).map(Arc::from))
        .collect();
    let memory_layers = members
        .iter()
        .copied()
        .filter(|i| layers[*i].def.render == layer::Render::Memory)
        .collect();
    let mut changes: Vec<String> = defs
        .iter()
        .flat_map(|d| d.changes.iter().cloned())
        .collect();
    changes.sort();
    changes.dedup();
    Tileset {
        name: name.to_string(),
        title: title.to_string(),
        description: description.to_string(),
        minzoom: defs.iter().map(|d| d.minzoom).min().unwrap_or(0),
        maxzoom: defs.iter().map(|d| d.maxzoom).max().unwrap_or(0),
        role: defs.iter().find_map(|d| d.role.clone()),
        layers: members,
        queries,
        rest_queries,
        memory_layers,
        changes,
    }
}

/// Prepares the layer's source query and checks that its id, geometry and properties exist with
/// fitting types. Returns the property fields for TileJSON.
async fn check_columns(pool: &PgPool, def: &LayerDef) -> Result<Vec<Field>, TileError> {
    let file = def.file.display().to_string();
    let bad = |message: String| TileError::Source {
        file: file.clone(),
        message,
    };
    let probe = sql::probe_query(def);
    let stmt = pool
        .prepare(&probe)
        .await
        .map_err(|e| bad(format!("the source query fails: {}", db_message(&e))))?;
    let columns: HashMap<String, String> = stmt
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_info().name().to_lowercase()))
        .collect();
    let available = || {
        let mut names: Vec<&str> = columns.keys().map(String::as_str).collect();
        names.sort();
        names.join(", ")
    };
    let type_of = |col: &str| {
        columns.get(col).ok_or_else(|| {
            bad(format!(
                "column {col:?} is not in the source (it has: {})",
                available()
            ))
        })
    };
    let id_type = type_of(&def.id)?;
    if !matches!(id_type.as_str(), "int2" | "int4" | "int8") {
        return Err(bad(format!(
            "id column {:?} must be an integer, not {id_type}",
            def.id
        )));
    }
    let geom_type = type_of(&def.geometry)?;
    if geom_type != "geometry" {
        return Err(bad(format!(
            "geometry column {:?} is {geom_type}, not geometry",
            def.geometry
        )));
    }
    let mut fields = Vec::new();
    for p in &def.properties {
        let t = type_of(p)?;
        let kind = match t.as_str() {
            "int2" | "int4" | "int8" | "float4" | "float8" => "Number",
            "bool" => "Boolean",
            "text" | "varchar" | "bpchar" | "date" | "timestamptz" | "timestamp" => "String",
            "numeric" => {
                return Err(bad(format!(
                    "property {p:?} is numeric; cast it to float8 in the source (MVT has no decimal type)"
                )));
            }
            other => {
                return Err(bad(format!(
                    "property {p:?} has type {other}, which vector tiles cannot carry"
                )));
            }
        };
        fields.push(Field {
            name: p.clone(),
            kind,
            prop: memory::PropKind::of(t),
        });
    }
    Ok(fields)
}

fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    }
}

async fn load_bounds(pool: &PgPool) -> Option<[f64; 4]> {
    let row: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) \
         FROM (SELECT ST_Extent(geom) AS e FROM admin_areas) s",
    )
    .fetch_one(pool)
    .await
    .ok()?;
    match row {
        (Some(w), Some(s), Some(e), Some(n)) => Some([w, s, e, n]),
        _ => None,
    }
}
