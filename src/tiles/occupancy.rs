//! Which tiles of a tileset can hold anything: a bitmap of the zoom-16 tiles that the
//! bounding box of some feature (widened by the tile buffer) meets. A tile whose cells are all
//! clear is answered empty (204) without asking the database.
//!
//! Around Kupang half the tiles of the usual zooms are sea; each of them otherwise costs a
//! database round trip and an index probe. The map is conservative by construction:
//!
//! - a tile at zoom z >= 16 lies inside its zoom-16 ancestor, and its buffered envelope inside
//!   the ancestor's (its buffer is smaller), so a feature it could show has marked the ancestor;
//! - a tile at 12 <= z < 16 covers 2^(16-z) cells a side; its buffer is at most one cell more
//!   on each side for the usual buffer (more for larger buffers: the ring is computed), and
//!   every cell of the widened range is looked at; lower zooms always go to the database;
//! - the map ignores layer filters (more marked cells, never fewer), and it is only trusted once
//!   built after the change listener is up: it starts unknown, is built on the listener's first
//!   `Resync`, and every change marks its box (changes seen while a build runs are applied to
//!   the result before it is installed). A change it cannot place (no box, or outside the map)
//!   makes the map unknown again until it is rebuilt.

use std::sync::RwLock;

/// The zoom of the cells.
pub const ZOOM: u8 = 16;
/// Tiles more than this many zooms above [`ZOOM`] always go to the database.
const MAX_UP: u8 = 4;
/// At most this many cells (2 MiB of bits); a larger extent leaves the map unknown.
const MAX_CELLS: i64 = 1 << 24;
/// Widening in cells (about 6 m at zoom 16) for rounding: PostGIS compares boxes in single
/// precision, rounded outwards, and near Kupang (x about 13.7e6 m) one float4 step is 1 m, so
/// `&&` on a tile envelope can take in a feature up to a step or two beyond it.
const EPS: f64 = 0.01;
/// Half the Web Mercator world, in metres.
const R: f64 = 20_037_508.342_789_244;

/// A box in zoom-16 tile coordinates: x east, y south (min x, min y, max x, max y).
pub type CellBox = [f64; 4];

/// A Web Mercator (EPSG:3857) box (west, south, east, north) in cell coordinates.
pub fn from_mercator(b: [f64; 4]) -> CellBox {
    let n = f64::from(1u32 << ZOOM);
    let x = |m: f64| (m + R) / (2.0 * R) * n;
    let y = |m: f64| (R - m) / (2.0 * R) * n;
    [x(b[0]), y(b[3]), x(b[2]), y(b[1])]
}

/// A lon/lat box (west, south, east, north) in cell coordinates.
pub fn from_lonlat(b: [f64; 4]) -> CellBox {
    let n = f64::from(1u32 << ZOOM);
    let x = |lon: f64| (lon + 180.0) / 360.0 * n;
    let y = |lat: f64| {
        let r = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n
    };
    [x(b[0]), y(b[3]), x(b[2]), y(b[1])]
}

/// The marked cells over a rectangle of zoom-16 tiles.
#[derive(Debug, Clone)]
pub struct Grid {
    x0: i64,
    y0: i64,
    w: i64,
    h: i64,
    bits: Vec<u64>,
}

impl Grid {
    /// The cell range (inclusive) a box widened by `margin` cells meets.
    fn range(b: CellBox, margin: f64) -> [i64; 4] {
        let m = margin + EPS;
        [
            (b[0] - m).floor() as i64,
            (b[1] - m).floor() as i64,
            (b[2] + m).floor() as i64,
            (b[3] + m).floor() as i64,
        ]
    }

    /// A grid over exactly the cells `boxes` meet; `None` when that is too many cells or a
    /// box is not finite.
    pub fn build(boxes: &[CellBox], margin: f64) -> Option<Grid> {
        if boxes.iter().flatten().any(|v| !v.is_finite()) {
            return None;
        }
        let ranges: Vec<[i64; 4]> = boxes.iter().map(|b| Self::range(*b, margin)).collect();
        let (mut x0, mut y0, mut x1, mut y1) = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
        for r in &ranges {
            x0 = x0.min(r[0]);
            y0 = y0.min(r[1]);
            x1 = x1.max(r[2]);
            y1 = y1.max(r[3]);
        }
        if ranges.is_empty() {
            (x0, y0, x1, y1) = (0, 0, -1, -1);
        }
        let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
        if w.saturating_mul(h) > MAX_CELLS {
            return None;
        }
        let mut g = Grid {
            x0,
            y0,
            w,
            h,
            bits: vec![0; ((w * h) as usize).div_ceil(64)],
        };
        for r in ranges {
            g.set(r);
        }
        Some(g)
    }

    /// The word and bit of cell x, y (inside the grid).
    fn bit(&self, x: i64, y: i64) -> (usize, u64) {
        let i = ((y - self.y0) * self.w + (x - self.x0)) as usize;
        (i / 64, 1 << (i % 64))
    }

    fn set(&mut self, r: [i64; 4]) {
        for y in r[1]..=r[3] {
            for x in r[0]..=r[2] {
                let (word, bit) = self.bit(x, y);
                self.bits[word] |= bit;
            }
        }
    }

    /// Marks the cells `b` meets; false (nothing marked) when some lie outside the grid.
    pub fn mark(&mut self, b: CellBox, margin: f64) -> bool {
        if b.iter().any(|v| !v.is_finite()) {
            return false;
        }
        let r = Self::range(b, margin);
        if r[0] < self.x0 || r[1] < self.y0 || r[2] >= self.x0 + self.w || r[3] >= self.y0 + self.h
        {
            return false;
        }
        self.set(r);
        true
    }

    /// Whether any cell of the inclusive range is marked (cells outside the grid are not).
    pub fn any(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> bool {
        let (xa, ya) = (x0.max(self.x0), y0.max(self.y0));
        let (xb, yb) = (x1.min(self.x0 + self.w - 1), y1.min(self.y0 + self.h - 1));
        for y in ya..=yb {
            for x in xa..=xb {
                let (word, bit) = self.bit(x, y);
                if self.bits[word] & bit != 0 {
                    return true;
                }
            }
        }
        false
    }

    /// Number of marked cells.
    pub fn marked(&self) -> u64 {
        self.bits.iter().map(|b| u64::from(b.count_ones())).sum()
    }
}

#[derive(Debug, Default)]
struct State {
    grid: Option<Grid>,
    building: bool,
    /// Changes seen while a build runs (`None`: a change without a box).
    pending: Vec<Option<CellBox>>,
    /// Another build was asked for while one ran.
    again: bool,
}

/// The occupancy map of one tileset.
#[derive(Debug)]
pub struct Occupancy {
    /// The tileset's largest buffer, in cells (buffer / 4096).
    margin: f64,
    state: RwLock<State>,
}

impl Occupancy {
    /// An unknown map for a tileset whose largest layer buffer is `buffer` (of 4096).
    pub fn new(buffer: u32) -> Self {
        Occupancy {
            margin: f64::from(buffer) / f64::from(super::sql::EXTENT),
            state: RwLock::new(State::default()),
        }
    }

    pub fn margin(&self) -> f64 {
        self.margin
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// True when tile z/x/y certainly holds nothing; false when it may hold something or
    /// the map is unknown.
    pub fn known_empty(&self, z: u8, x: u32, y: u32) -> bool {
        if z + MAX_UP < ZOOM {
            return false;
        }
        let st = self.read();
        let Some(g) = &st.grid else {
            return false;
        };
        let (x, y) = (i64::from(x), i64::from(y));
        if z >= ZOOM {
            let d = z - ZOOM;
            return !g.any(x >> d, y >> d, x >> d, y >> d);
        }
        let d = ZOOM - z;
        let side = 1i64 << d;
        // The tile's buffer in cells, rounded up: at least the one cell around it.
        let ring = ((side as f64 * self.margin) + EPS).ceil().max(1.0) as i64;
        !g.any(
            x * side - ring,
            y * side - ring,
            (x + 1) * side - 1 + ring,
            (y + 1) * side - 1 + ring,
        )
    }

    /// Records a change of the data inside `bbox` (lon/lat), or anywhere (`None`). Returns
    /// true when the map is unknown now and nobody is building it: the caller should build it.
    pub fn change(&self, bbox: Option<[f64; 4]>) -> bool {
        let b = bbox.map(from_lonlat);
        let mut st = self.write();
        if st.building {
            st.pending.push(b);
        }
        let placed = match (&mut st.grid, b) {
            (Some(g), Some(b)) => g.mark(b, self.margin),
            _ => false,
        };
        if !placed {
            st.grid = None;
        }
        st.grid.is_none() && !st.building
    }

    /// Starts a build: the map is unknown until [`Occupancy::finish`]. False when a build is
    /// already running (it will run again when it finishes).
    pub fn start(&self) -> bool {
        let mut st = self.write();
        if st.building {
            st.again = true;
            return false;
        }
        st.building = true;
        st.again = false;
        st.pending.clear();
        st.grid = None;
        true
    }

    /// Installs a built grid (or `None`: stays unknown), after marking the changes seen during
    /// the build. True when the build has to run again.
    pub fn finish(&self, built: Option<Grid>) -> bool {
        let mut st = self.write();
        st.building = false;
        let mut grid = built;
        let mut lost = false;
        for b in std::mem::take(&mut st.pending) {
            if let Some(g) = &mut grid {
                let ok = b.is_some_and(|b| g.mark(b, self.margin));
                if !ok {
                    grid = None;
                    lost = true;
                }
            }
        }
        st.grid = grid;
        std::mem::take(&mut st.again) || lost
    }

    /// Marked cells, or `None` while the map is unknown.
    pub fn marked(&self) -> Option<u64> {
        self.read().grid.as_ref().map(Grid::marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell_of(lon: f64, lat: f64) -> (i64, i64) {
        let c = from_lonlat([lon, lat, lon, lat]);
        (c[0].floor() as i64, c[1].floor() as i64)
    }

    fn built(boxes: &[[f64; 4]]) -> Occupancy {
        let o = Occupancy::new(64);
        assert!(o.start());
        let cells: Vec<CellBox> = boxes.iter().map(|b| from_lonlat(*b)).collect();
        assert!(!o.finish(Grid::build(&cells, o.margin())));
        o
    }

    #[test]
    fn mercator_and_lonlat_agree() {
        let m = from_mercator([13_754_000.0, -1_140_000.0, 13_755_000.0, -1_139_000.0]);
        let lon = |x: f64| x / R * 180.0;
        let lat = |y: f64| (2.0 * (y / R * std::f64::consts::PI).exp().atan()).to_degrees() - 90.0;
        let l = from_lonlat([
            lon(13_754_000.0),
            lat(-1_140_000.0),
            lon(13_755_000.0),
            lat(-1_139_000.0),
        ]);
        for i in 0..4 {
            assert!((m[i] - l[i]).abs() < 1e-6, "{m:?} {l:?}");
        }
    }

    #[test]
    fn tiles_near_a_feature_may_hold_it_and_far_ones_are_empty() {
        // One small parcel in Oebobo.
        let (lon, lat) = (123.6, -10.17);
        let o = built(&[[lon, lat, lon + 0.0001, lat + 0.0001]]);
        let (cx, cy) = cell_of(lon, lat);
        let (cx, cy) = (cx as u32, cy as u32);
        assert!(!o.known_empty(16, cx, cy));
        assert!(!o.known_empty(18, cx * 4 + 1, cy * 4 + 3) || !o.known_empty(18, cx * 4, cy * 4));
        assert!(!o.known_empty(14, cx / 4, cy / 4));
        assert!(!o.known_empty(12, cx / 16, cy / 16));
        // Zoom 11 and lower always ask the database.
        assert!(!o.known_empty(11, 0, 0));
        // 3 cells away, and the zoom-14 tile two tiles away: empty.
        assert!(o.known_empty(16, cx + 3, cy));
        assert!(o.known_empty(17, (cx + 3) * 2, cy * 2));
        assert!(o.known_empty(14, cx / 4 + 2, cy / 4));
        // Far outside the grid.
        assert!(o.known_empty(16, 0, 0));
        assert_eq!(o.marked(), Some(1));
    }

    #[test]
    fn the_buffer_reaches_into_the_neighbour() {
        // A point 10 cm west of a zoom-16 cell's east edge: the buffer (64/4096 of a tile,
        // ~9.5 m at z16) reaches into the next cell, which must not be called empty.
        let cx = 60_000u32;
        let n = f64::from(1u32 << ZOOM);
        let edge_lon = f64::from(cx + 1) / n * 360.0 - 180.0;
        let lat = -10.17;
        let p = edge_lon - 1e-6;
        let o = built(&[[p, lat, p, lat]]);
        let (px, py) = cell_of(p, lat);
        assert_eq!(px, i64::from(cx));
        assert!(!o.known_empty(16, cx + 1, py as u32));
        // At zoom 17 the child cell right of the edge is within the buffer too.
        assert!(!o.known_empty(17, (cx + 1) * 2, py as u32 * 2));
        assert!(!o.known_empty(17, (cx + 1) * 2, py as u32 * 2 + 1));
        assert!(o.known_empty(16, cx + 2, py as u32));
    }

    #[test]
    fn changes_mark_cells_or_make_the_map_unknown() {
        let (lon, lat) = (123.6, -10.17);
        let o = built(&[[lon, lat, lon + 0.05, lat + 0.05]]);
        let (cx, cy) = cell_of(lon + 0.02, lat + 0.02);
        // Inside the grid: marked at once.
        assert!(!o.change(Some([lon + 0.02, lat + 0.02, lon + 0.02, lat + 0.02])));
        assert!(!o.known_empty(16, cx as u32, cy as u32));
        // Outside the grid: unknown, and the caller must rebuild.
        assert!(o.change(Some([100.0, 0.0, 100.0, 0.0])));
        assert_eq!(o.marked(), None);
        assert!(!o.known_empty(16, 0, 0));
        // A change during a build is applied to its result; one without a box loses it.
        assert!(o.start());
        assert!(!o.change(Some([124.0, -9.8, 124.0, -9.8])));
        let cells = vec![
            from_lonlat([lon, lat, lon, lat]),
            from_lonlat([124.5, -9.5, 124.5, -9.5]),
        ];
        assert!(!o.finish(Grid::build(&cells, o.margin())));
        let (fx, fy) = cell_of(124.0, -9.8);
        assert!(!o.known_empty(16, fx as u32, fy as u32));
        assert!(o.start());
        o.change(None);
        assert!(
            o.finish(Grid::build(&cells, o.margin())),
            "must build again"
        );
        assert_eq!(o.marked(), None);
        // Asking for a build while one runs makes it run again.
        assert!(o.start());
        assert!(!o.start());
        assert!(o.finish(Grid::build(&cells, o.margin())));
    }

    #[test]
    fn huge_extents_stay_unknown() {
        let cells = vec![from_lonlat([-170.0, -80.0, 170.0, 80.0])];
        assert!(Grid::build(&cells, 0.0).is_none());
        let g = Grid::build(&[], 0.0).unwrap();
        assert!(!g.any(0, 0, 10, 10));
    }
}
