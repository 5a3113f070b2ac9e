//! Reading a file with GDAL: open any vector format, pick the layer, map attributes to the
//! target's columns, reproject to EPSG:4326, validate and repair geometries, and turn each
//! feature into one row of binary COPY.
//!
//! Everything here is blocking (GDAL is a C library) and runs on a thread of its own; batches
//! of COPY text leave through a bounded channel, so at most a few batches are in memory however
//! large the file is.

use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdal::cpl::CslStringList;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{Geometry, LayerAccess, OGRwkbGeometryType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::algorithm::Validation;
use tokio::sync::mpsc;

use super::binary::{self, ColType};
use super::target::{GeomKind, Lookups, OVERLAY_FLAGS, Target, convert};
use super::{ImportError, ImportLimits, Issue, valid};

/// About 1 MiB of COPY data per batch.
const BATCH_BYTES: usize = 1 << 20;
/// At most this many rejected or repaired features are listed one by one in a report.
pub const LIST_LIMIT: usize = 200;

/// Counters shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct Progress {
    pub read: AtomicU64,
    pub rejected: AtomicU64,
    pub repaired: AtomicU64,
    /// Features in the layer when the driver knows it cheaply; 0 when unknown.
    pub total: AtomicU64,
    /// Set to stop the import: the reader stops at its next feature and nothing is written.
    pub cancel: AtomicBool,
}

/// What to read and how.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub path: String,
    pub layer: Option<String>,
    pub s_srs: Option<u32>,
    /// `--map target=source` pairs.
    pub map: Vec<(String, String)>,
}

/// What the reader found, besides the rows it sent.
#[derive(Debug, Default)]
pub struct ReadSummary {
    pub driver: String,
    pub layer: String,
    pub source_crs: String,
    /// target column -> source attribute
    pub mapping: Vec<(String, String)>,
    pub read: u64,
    pub repaired: Vec<Issue>,
    pub rejected: Vec<Issue>,
    pub repaired_count: u64,
    pub rejected_count: u64,
    /// True when reading stopped after `max_rejected` rejected features.
    pub stopped: bool,
}

pub(super) fn quiet_gdal() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        gdal::config::set_error_handler(|class, num, msg| {
            tracing::debug!(?class, num, "gdal: {msg}");
        });
    });
}

/// Opens a file as vector data, with the CSV open options that find WKT or lon/lat columns.
///
/// Archives are not opened here: [`super::prepare_input`] unpacks them (under limits) first,
/// so GDAL never reads a zip through `/vsizip/` on its own.
pub fn open(path: &str) -> Result<Dataset, ImportError> {
    quiet_gdal();
    let gpath = path;
    let csv = path.to_lowercase().ends_with(".csv");
    let csv_options = [
        "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom,geometri",
        "X_POSSIBLE_NAMES=lon,long,longitude,lng,x,bujur",
        "Y_POSSIBLE_NAMES=lat,latitude,y,lintang",
        "KEEP_GEOM_COLUMNS=NO",
    ];
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        open_options: csv.then_some(&csv_options[..]),
        ..Default::default()
    };
    Dataset::open_ex(gpath, options).map_err(|_| {
        if !std::path::Path::new(path).exists() && !path.starts_with("/vsi") {
            ImportError::NoFile(path.to_string())
        } else {
            ImportError::NotGis(path.to_string())
        }
    })
}

/// The limit error for a layer of more than `limits.max_features` features (`n_id`/`n_en`:
/// how many, in words).
fn too_many(layer: &str, n_id: &str, n_en: &str, max: u64) -> ImportError {
    ImportError::Limit {
        id: format!(
            "layer '{layer}' berisi {n_id} fitur; paling banyak {max} fitur boleh diimpor sekaligus (import_max_features)"
        ),
        en: format!(
            "the layer '{layer}' holds {n_en} features; at most {max} may be imported at once (import_max_features)"
        ),
    }
}

/// Refuses a dataset whose layer (`layer`, or its only one) says cheaply that it holds more
/// than `limits.max_features` features. Layers that cannot say are counted while reading.
pub fn check_count(
    ds: &Dataset,
    layer: Option<&str>,
    limits: &ImportLimits,
) -> Result<(), ImportError> {
    let l = match layer {
        Some(name) => ds.layer_by_name(name).ok(),
        None if ds.layer_count() == 1 => ds.layer(0).ok(),
        None => None,
    };
    if let Some(l) = l
        && let Some(n) = l.try_feature_count()
        && n > limits.max_features
    {
        return Err(too_many(
            &l.name(),
            &n.to_string(),
            &n.to_string(),
            limits.max_features,
        ));
    }
    Ok(())
}

fn lonlat() -> Result<SpatialRef, ImportError> {
    let mut s = SpatialRef::from_epsg(4326).map_err(|e| ImportError::Gdal(e.to_string()))?;
    s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(s)
}

/// A SpatialRef for `EPSG:n` with lon/lat (x/y) axis order, or a clear error.
pub fn epsg(n: u32) -> Result<SpatialRef, ImportError> {
    let mut s = SpatialRef::from_epsg(n).map_err(|_| ImportError::UnknownCrs(n))?;
    s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(s)
}

/// Reads the file and sends COPY batches to `tx`. Returns what it found; stops sending (but
/// keeps reading, to report more problems) after the first rejected feature, and stops reading
/// after `limits.max_rejected` of them. More than `limits.max_features` features, or
/// `progress.cancel`, end it with an error.
pub fn read(
    opts: &ReadOptions,
    target: Target,
    lookups: &Lookups,
    limits: &ImportLimits,
    progress: &Arc<Progress>,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<ReadSummary, ImportError> {
    let ds = open(&opts.path)?;
    let mut summary = ReadSummary {
        driver: ds.driver().short_name(),
        ..Default::default()
    };
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let mut layer = match &opts.layer {
        Some(name) => ds
            .layer_by_name(name)
            .map_err(|_| ImportError::NoSuchLayer {
                layer: name.clone(),
                layers: names.join(", "),
            })?,
        None => match names.len() {
            0 => return Err(ImportError::NotGis(opts.path.clone())),
            1 => ds.layer(0).map_err(|e| ImportError::Gdal(e.to_string()))?,
            _ => return Err(ImportError::ChooseLayer(names.join(", "))),
        },
    };
    summary.layer = layer.name();
    let layer_name = summary.layer.clone();
    let max = limits.max_features;
    if let Some(n) = layer.try_feature_count() {
        if n > max {
            return Err(too_many(&layer_name, &n.to_string(), &n.to_string(), max));
        }
        progress.total.store(n, Ordering::Relaxed);
    }

    // Attribute mapping: --map first, then the recognised names.
    let fields: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
    let inputs = target.inputs();
    // Each column reads the first non-empty of its candidate attributes (a KML file, say,
    // has an empty `Name` beside the `NAMOBJ` that holds the name).
    let mut idx: Vec<Vec<usize>> = vec![Vec::new(); inputs.len()];
    for (t, s) in &opts.map {
        let Some(i) = inputs.iter().position(|inp| inp.name == t) else {
            return Err(ImportError::BadMap(format!(
                "'{t}' is not a column of {}; columns: {}",
                target.as_str(),
                inputs.iter().map(|i| i.name).collect::<Vec<_>>().join(", ")
            )));
        };
        let Some(f) = find(s) else {
            return Err(ImportError::BadMap(format!(
                "the file has no attribute '{s}'; it has: {}",
                fields.join(", ")
            )));
        };
        idx[i] = vec![f];
    }
    for (i, inp) in inputs.iter().enumerate() {
        if idx[i].is_empty() {
            for n in inp.names {
                if let Some(f) = find(n)
                    && !idx[i].contains(&f)
                {
                    idx[i].push(f);
                }
            }
        }
        if !idx[i].is_empty() {
            let sources: Vec<&str> = idx[i].iter().map(|f| fields[*f].as_str()).collect();
            summary
                .mapping
                .push((inp.name.to_string(), sources.join("|")));
        }
    }
    let flags: Vec<(usize, &'static str)> = if target == Target::Zones {
        OVERLAY_FLAGS
            .iter()
            .filter_map(|flag| find(flag).map(|f| (f, *flag)))
            .collect()
    } else {
        Vec::new()
    };
    for (f, flag) in &flags {
        summary
            .mapping
            .push((format!("overlay_flags[{flag}]"), fields[*f].clone()));
    }

    // CRS: --s-srs wins, else the layer's own; none at all is an error.
    let source = match (opts.s_srs, layer.spatial_ref()) {
        (Some(n), _) => epsg(n)?,
        (None, Some(mut s)) => {
            s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            s
        }
        (None, None) => {
            let hint = layer
                .try_get_extent()
                .ok()
                .flatten()
                .map(|e| {
                    format!(
                        " (coordinates span x {:.3}..{:.3}, y {:.3}..{:.3})",
                        e.MinX, e.MaxX, e.MinY, e.MaxY
                    )
                })
                .unwrap_or_default();
            return Err(ImportError::NoCrs(hint));
        }
    };
    summary.source_crs = match (source.auth_name(), source.auth_code()) {
        (Some(a), Ok(c)) => format!("{a}:{c}"),
        _ => source.name().unwrap_or_else(|| "unknown".into()),
    };
    let dest = lonlat()?;
    // Files already in lon/lat (most GeoPackages, GeoJSON, KML) need no transformation.
    let ct = if source == dest {
        None
    } else {
        Some(CoordTransform::new(&source, &dest).map_err(|e| ImportError::Gdal(e.to_string()))?)
    };

    let kind = target.geom_kind();
    let types: Vec<ColType> = target.copy_columns().iter().map(|(_, t)| *t).collect();
    let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES + 64 * 1024);
    batch.extend_from_slice(binary::HEADER);
    let mut sending = true;
    let mut values: Vec<Option<String>> = vec![None; inputs.len()];
    let mut set_flags: Vec<&str> = Vec::new();
    for feature in layer.features() {
        if progress.cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled);
        }
        if summary.rejected_count >= limits.max_rejected {
            summary.stopped = true;
            break;
        }
        if summary.read >= max {
            return Err(too_many(
                &layer_name,
                &format!("lebih dari {max}"),
                &format!("more than {max}"),
                max,
            ));
        }
        summary.read += 1;
        progress.read.fetch_add(1, Ordering::Relaxed);
        let n = summary.read;
        let label = || match feature.fid() {
            Some(fid) => format!("#{n} (fid {fid})"),
            None => format!("#{n}"),
        };
        let reject = |id: String, en: String, summary: &mut ReadSummary| {
            summary.rejected_count += 1;
            progress.rejected.fetch_add(1, Ordering::Relaxed);
            if summary.rejected.len() < LIST_LIMIT {
                summary.rejected.push(Issue {
                    feature: label(),
                    reason_id: id,
                    reason_en: en,
                });
            }
        };

        // Attributes.
        for (i, candidates) in idx.iter().enumerate() {
            values[i] = candidates.iter().find_map(|f| {
                feature
                    .field_as_string(*f)
                    .ok()
                    .flatten()
                    .filter(|v| !v.trim().is_empty())
            });
        }
        set_flags.clear();
        for (f, flag) in &flags {
            let set = feature
                .field_as_string(*f)
                .ok()
                .flatten()
                .map(|v| v.trim().to_lowercase())
                .is_some_and(|v| {
                    !matches!(v.as_str(), "" | "0" | "false" | "f" | "tidak" | "n" | "no")
                });
            if set {
                set_flags.push(flag);
            }
        }
        let row = match convert(target, lookups, &values, &set_flags) {
            Ok(r) => r,
            Err(r) => {
                reject(r.id, r.en, &mut summary);
                sending = false;
                continue;
            }
        };

        // Geometry.
        let geom = match feature.geometry() {
            Some(g) if !g.is_empty() => g,
            _ => {
                reject(
                    "fitur tanpa geometri".into(),
                    "the feature has no geometry".into(),
                    &mut summary,
                );
                sending = false;
                continue;
            }
        };
        let prepared = prepare(geom, kind, ct.as_ref());
        let (wkb, repair) = match prepared {
            Ok(x) => x,
            Err((id, en)) => {
                reject(id, en, &mut summary);
                sending = false;
                continue;
            }
        };
        if let Some((id, en)) = repair {
            summary.repaired_count += 1;
            progress.repaired.fetch_add(1, Ordering::Relaxed);
            if summary.repaired.len() < LIST_LIMIT {
                summary.repaired.push(Issue {
                    feature: label(),
                    reason_id: id,
                    reason_en: en,
                });
            }
        }
        if !sending {
            continue;
        }
        if let Err(e) = binary::push_row(&mut batch, &types, &row, &wkb, 4326) {
            reject(
                format!("nilai tidak dapat ditulis: {e}"),
                format!("a value cannot be written: {e}"),
                &mut summary,
            );
            sending = false;
            continue;
        }
        if batch.len() >= BATCH_BYTES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_BYTES + 64 * 1024));
            if tx.blocking_send(full).is_err() {
                // The loader went away (it failed); it reports why.
                return Ok(summary);
            }
        }
    }
    if sending {
        batch.extend_from_slice(binary::TRAILER);
        let _ = tx.blocking_send(batch);
    }
    Ok(summary)
}

type Reason = (String, String);

fn flat(t: OGRwkbGeometryType::Type) -> OGRwkbGeometryType::Type {
    gdal::vector::geometry_type_flatten(t)
}

/// Adds every polygon inside `g` to `out` (a MultiPolygon).
fn collect_polygons(g: &Geometry, out: &mut Geometry) -> Result<(), gdal::errors::GdalError> {
    match flat(g.geometry_type()) {
        OGRwkbGeometryType::wkbPolygon if !g.is_empty() => {
            out.add_geometry(g.clone())?;
        }
        OGRwkbGeometryType::wkbMultiPolygon | OGRwkbGeometryType::wkbGeometryCollection => {
            for i in 0..g.geometry_count() {
                collect_polygons(&g.get_geometry(i), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reprojects (when `ct` is given), checks and (for polygons) repairs one geometry; returns its
/// 2D little-endian WKB (a MultiPolygon for polygon tables) and, when it was repaired, why.
///
/// The common case, a 2D polygon already in lon/lat whose ring the quick test in `valid` proves
/// simple, costs one WKB export and no copy of the geometry and no GEOS call.
fn prepare(
    g: &Geometry,
    kind: GeomKind,
    ct: Option<&CoordTransform>,
) -> Result<(Vec<u8>, Option<Reason>), Reason> {
    let gdal_err = |e: gdal::errors::GdalError| {
        (
            format!("geometri tidak dapat diproses: {e}"),
            format!("the geometry cannot be processed: {e}"),
        )
    };
    let t = g.geometry_type();
    let ft = flat(t);
    let single_of_multi = kind == GeomKind::Point
        && ft == OGRwkbGeometryType::wkbMultiPoint
        && g.geometry_count() == 1;
    let fits = match kind {
        GeomKind::MultiPolygon => matches!(
            ft,
            OGRwkbGeometryType::wkbPolygon | OGRwkbGeometryType::wkbMultiPolygon
        ),
        GeomKind::Point => ft == OGRwkbGeometryType::wkbPoint || single_of_multi,
    };
    if !fits {
        let want = match kind {
            GeomKind::MultiPolygon => "Polygon/MultiPolygon",
            GeomKind::Point => "Point",
        };
        let got = g.geometry_name();
        return Err((
            format!("jenis geometri {got} tidak cocok; tabel ini butuh {want}"),
            format!("geometry type {got} does not fit; this table needs {want}"),
        ));
    }
    // A copy only when something has to change: Z/M dropped, coordinates transformed, or the
    // one point taken out of a MultiPoint.
    let owned;
    let g: &Geometry = if ft != t || ct.is_some() || single_of_multi {
        let mut o = if single_of_multi {
            g.get_geometry(0).clone()
        } else {
            g.clone()
        };
        o.flatten_to_2d();
        if let Some(ct) = ct {
            o.transform_inplace(ct).map_err(|e| {
                (
                    format!("koordinat tidak dapat diubah ke EPSG:4326: {e}"),
                    format!("the coordinates cannot be transformed to EPSG:4326: {e}"),
                )
            })?;
        }
        owned = o;
        &owned
    } else {
        g
    };
    let env = g.envelope();
    let finite = [env.MinX, env.MaxX, env.MinY, env.MaxY]
        .iter()
        .all(|v| v.is_finite());
    if !finite || env.MinX < -180.0 || env.MaxX > 180.0 || env.MinY < -90.0 || env.MaxY > 90.0 {
        return Err((
            "koordinat di luar rentang bujur/lintang setelah transformasi: CRS berkas salah? (pakai --s-srs)".into(),
            "coordinates fall outside the lon/lat range after transformation: wrong CRS for the file? (use --s-srs)".into(),
        ));
    }
    let mut wkb = g.wkb().map_err(gdal_err)?;
    if kind == GeomKind::Point {
        return Ok((wkb, None));
    }
    if flat(g.geometry_type()) == OGRwkbGeometryType::wkbPolygon {
        // MultiPolygon of one: byte order, type 6, count 1, then the polygon as it is.
        let mut m = Vec::with_capacity(wkb.len() + 9);
        m.extend_from_slice(&[1, 6, 0, 0, 0, 1, 0, 0, 0]);
        m.extend_from_slice(&wkb);
        wkb = m;
    }
    if valid::certainly_valid(&wkb) {
        // A simple closed ring always encloses some area.
        return Ok((wkb, None));
    }
    if g.is_valid() {
        if g.area() <= 0.0 {
            return Err((
                "poligon tanpa luas".into(),
                "the polygon has no area".into(),
            ));
        }
        return Ok((wkb, None));
    }
    let g = Geometry::from_wkb(&wkb).map_err(gdal_err)?;
    let why = g
        .to_geo()
        .ok()
        .and_then(|geo| match geo {
            geo::Geometry::MultiPolygon(mp) => mp.check_validation().err().map(|e| e.to_string()),
            geo::Geometry::Polygon(p) => p.check_validation().err().map(|e| e.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "invalid polygon".into());
    let fixed = g.make_valid(&CslStringList::new()).map_err(|_| {
        (
            format!("geometri tidak valid ({why}) dan tidak dapat diperbaiki"),
            format!("the geometry is invalid ({why}) and cannot be repaired"),
        )
    })?;
    let mut m = Geometry::empty(OGRwkbGeometryType::wkbMultiPolygon).map_err(gdal_err)?;
    collect_polygons(&fixed, &mut m).map_err(gdal_err)?;
    if m.is_empty() || m.area() <= 0.0 || !m.is_valid() {
        return Err((
            format!("geometri tidak valid ({why}) dan tidak menyisakan luas setelah diperbaiki"),
            format!("the geometry is invalid ({why}) and has no area left once repaired"),
        ));
    }
    let repaired = (
        format!("diperbaiki (ST_MakeValid): {why}"),
        format!("repaired (MakeValid): {why}"),
    );
    Ok((m.wkb().map_err(gdal_err)?, Some(repaired)))
}
