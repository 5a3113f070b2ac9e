//! The in-memory tile cache: bounded in bytes, keyed by tileset and z/x/y, with targeted
//! invalidation.
//!
//! Contract:
//! - An entry holds the tile's bytes, their gzip form (made once, when the tile is cached) and
//!   the strong ETag (a 128-bit hash of the bytes).
//! - Each tileset has a data generation. A renderer reads the generation before it queries the
//!   database and caches its result only if the generation is unchanged when it finishes;
//!   invalidation bumps the generation first and removes entries second. So a tile rendered from
//!   data that changed meanwhile is served once but never cached: the cache is keyed by data
//!   version without making every unrelated tile a miss after each edit.
//! - Invalidation by bounding box removes only the tiles of the affected tilesets whose envelope
//!   (with the layer buffer) meets the box, at every zoom.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub tileset: u16,
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

#[derive(Debug)]
pub struct Tile {
    /// MVT bytes; empty for an empty tile.
    pub raw: Bytes,
    /// gzip of `raw` (empty for an empty tile).
    pub gzip: Bytes,
    /// Strong ETag including the quotes.
    pub etag: String,
}

impl Tile {
    /// Wraps rendered bytes; `compress` makes the gzip form now (for tiles that will be cached).
    pub fn new(raw: Vec<u8>, compress: bool) -> Self {
        let etag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&raw));
        let gzip = if compress && !raw.is_empty() {
            gzip(&raw, flate2::Compression::default())
        } else {
            Bytes::new()
        };
        Tile {
            raw: Bytes::from(raw),
            gzip,
            etag,
        }
    }

    fn weight(&self) -> u32 {
        (self.raw.len() + self.gzip.len() + 128).min(u32::MAX as usize) as u32
    }
}

pub fn gzip(data: &[u8], level: flate2::Compression) -> Bytes {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 2), level);
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    Bytes::from(enc.finish().unwrap_or_default())
}

pub struct TileCache {
    cache: Option<moka::sync::Cache<TileKey, Arc<Tile>>>,
    generations: Vec<AtomicU64>,
    /// Buffer of each tileset's layers as a fraction of a tile, for invalidation.
    margins: Vec<f64>,
}

impl TileCache {
    /// `max_bytes == 0` turns caching off.
    pub fn new(max_bytes: u64, margins: Vec<f64>) -> Self {
        let cache = (max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_k: &TileKey, v: &Arc<Tile>| v.weight())
                .support_invalidation_closures()
                .build()
        });
        TileCache {
            cache,
            generations: margins.iter().map(|_| AtomicU64::new(0)).collect(),
            margins,
        }
    }

    pub fn enabled(&self) -> bool {
        self.cache.is_some()
    }

    pub fn get(&self, key: &TileKey) -> Option<Arc<Tile>> {
        self.cache.as_ref()?.get(key)
    }

    pub fn generation(&self, tileset: u16) -> u64 {
        self.generations[tileset as usize].load(Ordering::Acquire)
    }

    /// Caches `tile` unless the tileset's data changed since `generation` was read.
    pub fn insert(&self, key: TileKey, tile: Arc<Tile>, generation: u64) {
        if let Some(cache) = &self.cache
            && self.generation(key.tileset) == generation
        {
            cache.insert(key, tile);
        }
    }

    /// Forgets the tiles of `tilesets` that meet `bbox` (lon/lat: west, south, east, north),
    /// or all their tiles when `bbox` is `None`.
    pub fn invalidate(&self, tilesets: &[u16], bbox: Option<[f64; 4]>) {
        for t in tilesets {
            self.generations[*t as usize].fetch_add(1, Ordering::AcqRel);
        }
        let Some(cache) = &self.cache else { return };
        let tilesets: Vec<u16> = tilesets.to_vec();
        let margins = self.margins.clone();
        let result = cache.invalidate_entries_if(move |k, _| {
            if !tilesets.contains(&k.tileset) {
                return false;
            }
            match bbox {
                None => true,
                Some(b) => tile_meets(k, margins[k.tileset as usize], b),
            }
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "tile cache invalidation failed; clearing the cache");
            cache.invalidate_all();
        }
    }

    /// Number of cached tiles (after pending maintenance).
    pub fn len(&self) -> u64 {
        match &self.cache {
            Some(c) => {
                c.run_pending_tasks();
                c.entry_count()
            }
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn weighted_size(&self) -> u64 {
        match &self.cache {
            Some(c) => {
                c.run_pending_tasks();
                c.weighted_size()
            }
            None => 0,
        }
    }
}

/// Lon/lat bounds (west, south, east, north) of tile z/x/y.
pub fn tile_bounds(z: u8, x: u32, y: u32) -> [f64; 4] {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        let m = std::f64::consts::PI * (1.0 - 2.0 * y / n);
        m.sinh().atan().to_degrees()
    };
    [
        lon(f64::from(x)),
        lat(f64::from(y) + 1.0),
        lon(f64::from(x) + 1.0),
        lat(f64::from(y)),
    ]
}

fn tile_meets(k: &TileKey, margin: f64, b: [f64; 4]) -> bool {
    let [w, s, e, n] = tile_bounds(k.z, k.x, k.y);
    let dx = (e - w) * margin;
    let dy = (n - s) * margin;
    w - dx <= b[2] && b[0] <= e + dx && s - dy <= b[3] && b[1] <= n + dy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tileset: u16, z: u8, x: u32, y: u32) -> TileKey {
        TileKey { tileset, z, x, y }
    }

    #[test]
    fn tile_bounds_match_web_mercator() {
        let [w, s, e, n] = tile_bounds(0, 0, 0);
        assert_eq!((w, e), (-180.0, 180.0));
        assert!((n - 85.0511).abs() < 1e-3 && (s + 85.0511).abs() < 1e-3);
        // z14 tile over central Kupang contains (123.607, -10.177)
        let n = 2f64.powi(14);
        let x = ((123.607 + 180.0) / 360.0 * n) as u32;
        let lat = (-10.177f64).to_radians();
        let y =
            ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
        let [w, s, e, nn] = tile_bounds(14, x, y);
        assert!(w <= 123.607 && 123.607 <= e && s <= -10.177 && -10.177 <= nn);
    }

    #[test]
    fn invalidation_removes_only_touched_tiles_of_the_named_tilesets() {
        let cache = TileCache::new(1 << 20, vec![0.0, 0.0]);
        let (x, y) = (13_817, 7_865); // z14 near Kupang
        for (ts, dx) in [(0u16, 0u32), (0, 5), (1, 0)] {
            cache.insert(
                key(ts, 14, x + dx, y),
                Arc::new(Tile::new(vec![1, 2, 3], true)),
                0,
            );
        }
        assert_eq!(cache.len(), 3);
        let [w, s, e, n] = tile_bounds(14, x, y);
        let inside = [
            w + (e - w) / 4.0,
            s + (n - s) / 4.0,
            w + (e - w) / 2.0,
            s + (n - s) / 2.0,
        ];
        cache.invalidate(&[0], Some(inside));
        assert!(
            cache.get(&key(0, 14, x, y)).is_none(),
            "touched tile removed"
        );
        assert!(cache.get(&key(0, 14, x + 5, y)).is_some(), "far tile kept");
        assert!(cache.get(&key(1, 14, x, y)).is_some(), "other tileset kept");
        cache.invalidate(&[1], None);
        assert!(cache.get(&key(1, 14, x, y)).is_none());
    }

    #[test]
    fn a_tile_rendered_before_a_change_is_not_cached() {
        let cache = TileCache::new(1 << 20, vec![0.0]);
        let gen_before = cache.generation(0);
        cache.invalidate(&[0], None);
        cache.insert(
            key(0, 1, 0, 0),
            Arc::new(Tile::new(vec![9], true)),
            gen_before,
        );
        assert!(cache.get(&key(0, 1, 0, 0)).is_none());
    }

    #[test]
    fn the_cache_is_bounded_in_bytes() {
        let cache = TileCache::new(10_000, vec![0.0]);
        for i in 0..100 {
            // incompressible-ish payload of 1000 bytes
            let raw: Vec<u8> = (0..1000u32)
                .map(|j| (j.wrapping_mul(2654435761) >> (i % 7)) as u8)
                .collect();
            cache.insert(key(0, 20, i, 0), Arc::new(Tile::new(raw, true)), 0);
        }
        assert!(cache.weighted_size() <= 10_000, "{}", cache.weighted_size());
        assert!(cache.len() < 100);
    }

    #[test]
    fn etag_is_a_strong_hash_of_the_bytes() {
        let a = Tile::new(vec![1, 2, 3], false);
        let b = Tile::new(vec![1, 2, 3], false);
        let c = Tile::new(vec![1, 2, 4], false);
        assert_eq!(a.etag, b.etag);
        assert_ne!(a.etag, c.etag);
        assert!(a.etag.starts_with('"') && !a.etag.starts_with("W/"));
    }
}
