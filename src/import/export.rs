//! Export of a layer to a file with GDAL.
//!
//! The rows come from one query, `SELECT <columns>, ST_AsBinary(ST_Transform(geom, N)) FROM
//! <table> [WHERE <filter>] ORDER BY id`, streamed from PostGIS in batches through a bounded
//! channel into a blocking GDAL writer thread. The optional filter is a [`WhereClause`]: a SQL
//! fragment whose placeholders start at `$1`, with its bind values. [`WhereClause::cql2`] makes
//! one from a CQL2 filter with the OGC API's translator (`ogc::cql2::to_sql`) over the
//! queryables of the layer's OGC collection (`ogc::collections`), so a filter means the same
//! on `/collections/{layer}/items` and in an export; when it names a property that comes from a
//! join (a Puskesmas' stunting prevalence, a market's price alert), the export reads from the
//! collection's `FROM` with that join.
//!
//! Attribute names are at most 10 characters (Shapefile's limit) and are the ones the importer
//! recognises, so an exported file imports back unchanged.

use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use gdal::vector::{
    Feature, FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
};
use gdal::{Dataset, DriverManager};
use sqlx::{PgPool, Row};
use tokio::sync::mpsc;

use super::target::{GeomKind, Target};
use super::{ImportError, read};
use crate::crs::Crs;
use crate::ogc::collections::{self, Collection};
use crate::ogc::cql2::{self, BindValue, FilterLang};

/// A WHERE fragment (without the keyword, over the table alias `t`) and its bind values;
/// placeholders start at `$1`.
#[derive(Debug, Clone)]
pub struct WhereClause {
    pub sql: String,
    pub binds: Vec<BindValue>,
}

impl WhereClause {
    /// A CQL2 filter (text or JSON, geometries in `crs`) over the queryables of the layer's
    /// OGC collection: the same property names and meaning as `/collections/{layer}/items`.
    pub fn cql2(
        target: Target,
        filter: &str,
        lang: FilterLang,
        crs: Crs,
    ) -> Result<WhereClause, ImportError> {
        let (sql, binds) = cql2::to_sql(filter, lang, &collection(target).queryables(), crs)
            .map_err(ImportError::Filter)?;
        Ok(WhereClause { sql, binds })
    }

    /// [`WhereClause::cql2`] from the words of a request or command line: `lang` is
    /// `cql2-text` (default) or `cql2-json`, `crs` a CRS the OGC API serves (default CRS84).
    pub fn from_params(
        target: Target,
        filter: &str,
        lang: Option<&str>,
        crs: Option<&str>,
    ) -> Result<WhereClause, ImportError> {
        let lang = match lang {
            None => FilterLang::Text,
            Some(l) => FilterLang::parse(l).ok_or_else(|| ImportError::FilterLang(clip(l)))?,
        };
        let crs = match crs {
            None => Crs::Crs84,
            Some(c) => Crs::parse(c).ok_or_else(|| ImportError::FilterCrs(clip(c)))?,
        };
        WhereClause::cql2(target, filter, lang, crs)
    }
}

fn clip(s: &str) -> String {
    crate::ogc::query::clip(s)
}

/// The OGC API collection a layer is served as (the same id).
fn collection(target: Target) -> &'static Collection {
    collections::find(target.as_str()).expect("every import target is an OGC collection")
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Gpkg,
    GeoJson,
    Shapefile,
    FlatGeobuf,
    Kml,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        Some(match s.to_lowercase().as_str() {
            "gpkg" | "geopackage" => ExportFormat::Gpkg,
            "geojson" | "json" => ExportFormat::GeoJson,
            "esri shapefile" | "shapefile" | "shp" | "zip" => ExportFormat::Shapefile,
            "flatgeobuf" | "fgb" => ExportFormat::FlatGeobuf,
            "kml" => ExportFormat::Kml,
            _ => return None,
        })
    }

    pub fn driver(self) -> &'static str {
        match self {
            ExportFormat::Gpkg => "GPKG",
            ExportFormat::GeoJson => "GeoJSON",
            ExportFormat::Shapefile => "ESRI Shapefile",
            ExportFormat::FlatGeobuf => "FlatGeobuf",
            ExportFormat::Kml => "KML",
        }
    }

    /// File name suffix; a Shapefile is written as one zip.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Gpkg => "gpkg",
            ExportFormat::GeoJson => "geojson",
            ExportFormat::Shapefile => "shp.zip",
            ExportFormat::FlatGeobuf => "fgb",
            ExportFormat::Kml => "kml",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Gpkg => "application/geopackage+sqlite3",
            ExportFormat::GeoJson => "application/geo+json",
            ExportFormat::Shapefile => "application/zip",
            ExportFormat::FlatGeobuf => "application/flatgeobuf",
            ExportFormat::Kml => "application/vnd.google-earth.kml+xml",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Real,
    Int,
}

/// (SQL expression over alias `t`, field name, type)
type Column = (&'static str, &'static str, Kind);

fn columns(target: Target) -> &'static [Column] {
    use Kind::*;
    const KEL: Column = ("t.kelurahan_code", "kelurahan", Str);
    match target {
        Target::Zones => &[
            ("t.id", "id", Int),
            ("t.zone_code", "KODZON", Str),
            ("t.subzone_code", "KODSZN", Str),
            ("t.subzone_name", "NAMSZN", Str),
            ("t.name", "name", Str),
            ("t.block_code", "KODBLK", Str),
            KEL,
            ("array_to_string(t.overlay_flags, ',')", "overlays", Str),
            (
                "(SELECT p.name FROM zoning_plans p WHERE p.id = t.plan_id)",
                "plan",
                Str,
            ),
        ],
        Target::Overlays => &[
            ("t.id", "id", Int),
            ("t.kind", "kind", Str),
            ("t.name", "name", Str),
            ("t.no_building::int", "no_build", Int),
            ("t.height_max_m", "height_max", Real),
            ("t.hazard", "hazard", Str),
            ("t.hazard_level", "hazard_lvl", Str),
            ("t.condition_id", "cond_id", Str),
            ("t.condition_en", "cond_en", Str),
            (
                "(SELECT p.name FROM zoning_plans p WHERE p.id = t.plan_id)",
                "plan",
                Str,
            ),
        ],
        Target::Parcels => &[
            ("t.id", "id", Int),
            ("t.kind", "kind", Str),
            ("t.parcel_number", "parcel_no", Str),
            ("t.land_tenure", "tenure", Str),
            KEL,
            ("t.permit_number", "permit_no", Str),
            ("t.kbli_code", "kbli", Str),
            ("t.valid_until", "valid_to", Str),
            ("t.registered_at", "registered", Str),
        ],
        Target::AdminAreas => &[
            ("t.code", "code", Str),
            ("t.level", "level", Str),
            ("t.name", "name", Str),
            ("t.parent_code", "parent", Str),
            ("t.source", "source", Str),
        ],
        Target::HealthFacilities => &[
            ("t.id", "id", Int),
            ("t.kind", "kind", Str),
            ("t.code", "code", Str),
            ("t.name", "name", Str),
            (
                "(SELECT p.code FROM health_facilities p WHERE p.id = t.puskesmas_id)",
                "puskesmas",
                Str,
            ),
            KEL,
            ("t.address", "address", Str),
        ],
        Target::Markets => &[
            ("t.id", "id", Int),
            ("t.code", "code", Str),
            ("t.name", "name", Str),
            KEL,
            ("t.address", "address", Str),
            ("t.operator", "operator", Str),
        ],
        Target::WasteFacilities => &[
            ("t.id", "id", Int),
            ("t.kind", "kind", Str),
            ("t.name", "name", Str),
            ("t.capacity_m3", "capacity", Real),
            KEL,
            ("t.operator", "operator", Str),
        ],
    }
}

fn order_key(target: Target) -> &'static str {
    match target {
        Target::AdminAreas => "t.code",
        _ => "t.id",
    }
}

/// The export query for a layer (pure; tested by its text).
pub fn export_sql(target: Target, srid: u32, filter: Option<&str>) -> String {
    let cols: Vec<String> = columns(target)
        .iter()
        .map(|(e, _, _)| format!("({e})::text"))
        .collect();
    // The bare table, unless the filter names a property that needs the collection's join.
    let from = match filter {
        Some(f) => crate::ogc::query::count_from(collection(target), f),
        None => format!("{} t", target.as_str()),
    };
    let mut sql = format!(
        "SELECT {}, ST_AsBinary(ST_Transform(t.geom, {srid})) FROM {from}",
        cols.join(", "),
    );
    if let Some(f) = filter {
        sql.push_str(&format!(" WHERE ({f})"));
    }
    sql.push_str(&format!(" ORDER BY {}", order_key(target)));
    sql
}

pub struct ExportOptions {
    pub target: Target,
    pub format: ExportFormat,
    pub t_srs: u32,
    pub filter: Option<WhereClause>,
}

type Batch = Vec<(Vec<Option<String>>, Vec<u8>)>;

/// Writes the layer to `out` (replaced if it exists); returns the number of features.
pub async fn export(pool: &PgPool, opts: ExportOptions, out: &Path) -> Result<u64, ImportError> {
    let known: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)")
            .bind(opts.t_srs as i32)
            .fetch_one(pool)
            .await?;
    if !known {
        return Err(ImportError::UnknownCrs(opts.t_srs));
    }
    read::epsg(opts.t_srs)?;
    let filtered = opts.filter.is_some();
    let (sql, binds) = match opts.filter {
        Some(w) => (export_sql(opts.target, opts.t_srs, Some(&w.sql)), w.binds),
        None => (export_sql(opts.target, opts.t_srs, None), Vec::new()),
    };
    let ncols = columns(opts.target).len();
    let (send, recv) = mpsc::channel::<Batch>(4);
    let writer = {
        let out = out.to_path_buf();
        let (target, format, srid) = (opts.target, opts.format, opts.t_srs);
        tokio::task::spawn_blocking(move || write(&out, target, format, srid, recv))
    };
    let fetched = async {
        let mut rows = crate::bind_values!(sqlx::query(&sql), &binds).fetch(pool);
        let mut batch: Batch = Vec::with_capacity(1000);
        while let Some(row) = rows.try_next().await? {
            let mut vals = Vec::with_capacity(ncols);
            for i in 0..ncols {
                vals.push(row.try_get::<Option<String>, _>(i)?);
            }
            let wkb: Vec<u8> = row.try_get(ncols)?;
            batch.push((vals, wkb));
            if batch.len() == 1000 {
                if send.send(std::mem::take(&mut batch)).await.is_err() {
                    break;
                }
                batch.reserve(1000);
            }
        }
        if !batch.is_empty() {
            let _ = send.send(batch).await;
        }
        Ok::<_, sqlx::Error>(())
    }
    .await;
    drop(send);
    let written = writer
        .await
        .map_err(|e| ImportError::Thread(e.to_string()))?;
    if let Err(e) = fetched {
        // No half-written file: the rows stopped coming.
        let _ = std::fs::remove_file(out);
        return Err(filter_value_error(e, filtered));
    }
    written
}

/// A database error while running a filter: a value the database cannot use (a division by
/// zero, an out-of-range date, a bad geometry) is the filter's fault.
fn filter_value_error(e: sqlx::Error, filtered: bool) -> ImportError {
    if filtered
        && let sqlx::Error::Database(db) = &e
        && let Some(code) = db.code()
        && (code.starts_with("22") || code == "XX000")
    {
        return ImportError::FilterValue(db.message().to_string());
    }
    ImportError::Sql(e)
}

fn gdal_err(e: gdal::errors::GdalError) -> ImportError {
    ImportError::Gdal(e.to_string())
}

fn write(
    out: &Path,
    target: Target,
    format: ExportFormat,
    srid: u32,
    mut recv: mpsc::Receiver<Batch>,
) -> Result<u64, ImportError> {
    // GDAL writes a zipped Shapefile when the name ends in .shp.zip; write beside `out` under
    // such a name, then rename.
    let tmp: PathBuf = if format == ExportFormat::Shapefile
        && !out.to_string_lossy().to_lowercase().ends_with(".shp.zip")
    {
        let dir = tempfile::Builder::new()
            .prefix(".ruang-export")
            .tempdir_in(
                out.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new(".")),
            )
            .map_err(|e| ImportError::Gdal(e.to_string()))?;
        let p = dir.path().join(format!("{}.shp.zip", target.as_str()));
        let n = write_file(&p, target, format, srid, &mut recv)?;
        std::fs::rename(&p, out).map_err(|e| ImportError::Gdal(e.to_string()))?;
        return Ok(n);
    } else {
        out.to_path_buf()
    };
    write_file(&tmp, target, format, srid, &mut recv)
}

fn write_file(
    path: &Path,
    target: Target,
    format: ExportFormat,
    srid: u32,
    recv: &mut mpsc::Receiver<Batch>,
) -> Result<u64, ImportError> {
    if path.exists() {
        std::fs::remove_file(path).map_err(|e| ImportError::Gdal(e.to_string()))?;
    }
    let driver = DriverManager::get_driver_by_name(format.driver()).map_err(gdal_err)?;
    let mut ds = driver.create_vector_only(path).map_err(gdal_err)?;
    let srs = read::epsg(srid)?;
    let cols = columns(target);
    {
        let ty = match target.geom_kind() {
            GeomKind::MultiPolygon => OGRwkbGeometryType::wkbMultiPolygon,
            GeomKind::Point => OGRwkbGeometryType::wkbPoint,
        };
        let layer = ds
            .create_layer(LayerOptions {
                name: target.as_str(),
                srs: Some(&srs),
                ty,
                options: None,
            })
            .map_err(gdal_err)?;
        for (_, name, kind) in cols {
            let t = match kind {
                Kind::Str => OGRFieldType::OFTString,
                Kind::Real => OGRFieldType::OFTReal,
                Kind::Int => OGRFieldType::OFTInteger64,
            };
            FieldDefn::new(name, t)
                .and_then(|f| f.add_to_layer(&layer))
                .map_err(gdal_err)?;
        }
    }
    let n = if format == ExportFormat::Gpkg {
        let txn = ds.start_transaction().map_err(gdal_err)?;
        let n = write_rows(&txn, target, cols, recv)?;
        txn.commit().map_err(gdal_err)?;
        n
    } else {
        write_rows(&ds, target, cols, recv)?
    };
    ds.close().map_err(gdal_err)?;
    Ok(n)
}

fn write_rows(
    ds: &Dataset,
    target: Target,
    cols: &[Column],
    recv: &mut mpsc::Receiver<Batch>,
) -> Result<u64, ImportError> {
    let layer = ds.layer_by_name(target.as_str()).map_err(gdal_err)?;
    let defn = layer.defn();
    // Field positions as the driver laid them out (it may reorder or rename).
    let names: Vec<String> = defn.fields().map(|f| f.name()).collect();
    let pos: Vec<Option<usize>> = cols
        .iter()
        .map(|(_, name, _)| names.iter().position(|n| n.eq_ignore_ascii_case(name)))
        .collect();
    let mut n = 0;
    while let Some(batch) = recv.blocking_recv() {
        for (vals, wkb) in batch {
            let mut f = Feature::new(defn).map_err(gdal_err)?;
            for (i, v) in vals.iter().enumerate() {
                let (Some(v), Some(field)) = (v, pos[i]) else {
                    continue;
                };
                match cols[i].2 {
                    Kind::Str => f.set_field_string(field, v),
                    Kind::Real => f.set_field_double(field, v.parse().unwrap_or(f64::NAN)),
                    Kind::Int => f.set_field_integer64(field, v.parse().unwrap_or(0)),
                }
                .map_err(gdal_err)?;
            }
            f.set_geometry(Geometry::from_wkb(&wkb).map_err(gdal_err)?)
                .map_err(gdal_err)?;
            f.create(&layer).map_err(gdal_err)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_sql_takes_a_filter_fragment_with_its_own_placeholders() {
        let sql = export_sql(Target::Markets, 23840, Some("t.name = $1"));
        assert!(
            sql.starts_with("SELECT (t.id)::text, (t.code)::text"),
            "{sql}"
        );
        assert!(sql.contains("ST_Transform(t.geom, 23840)"), "{sql}");
        assert!(
            sql.ends_with("FROM markets t WHERE (t.name = $1) ORDER BY t.id"),
            "{sql}"
        );
    }

    #[test]
    fn a_filter_on_a_joined_property_reads_through_the_collections_join() {
        let w = WhereClause::cql2(
            Target::HealthFacilities,
            "stunting_prevalence_pct > 20 AND kind = 'puskesmas'",
            FilterLang::Text,
            Crs::Crs84,
        )
        .unwrap();
        assert_eq!(w.binds.len(), 2);
        let sql = export_sql(Target::HealthFacilities, 4326, Some(&w.sql));
        assert!(
            sql.contains("LEFT JOIN puskesmas_stunting_latest s"),
            "{sql}"
        );
        let w = WhereClause::cql2(
            Target::HealthFacilities,
            "kind = 'puskesmas'",
            FilterLang::Text,
            Crs::Crs84,
        )
        .unwrap();
        let sql = export_sql(Target::HealthFacilities, 4326, Some(&w.sql));
        assert!(sql.contains("FROM health_facilities t WHERE"), "{sql}");
    }

    #[test]
    fn every_layer_has_its_collections_queryables() {
        for t in Target::ALL {
            let names = collection(t).queryable_names();
            assert!(names.contains(&"geometry".to_string()), "{t:?}");
            let e = WhereClause::cql2(t, "no_such_thing = 1", FilterLang::Text, Crs::Crs84)
                .unwrap_err();
            assert!(
                e.to_string().contains("unknown property 'no_such_thing'"),
                "{e}"
            );
        }
    }

    #[test]
    fn every_field_name_fits_a_shapefile() {
        for t in Target::ALL {
            for (_, name, _) in columns(t) {
                assert!(name.len() <= 10, "{name}");
            }
        }
    }
}
