//! Import and export with GDAL against a real PostGIS. Every input file is written by GDAL
//! (`ogr2ogr`) inside the test from a GeoJSON made here: round trips through every format,
//! TM-3 (EPSG:23840) input landing in the right kelurahan, repaired and rejected geometries,
//! all-or-nothing loads, bad input, and the HTTP job and export endpoints.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use ruang::config::Config;
use ruang::crs::Crs;
use ruang::import::{
    ExportFormat, ExportOptions, ImportError, ImportLimits, ImportOptions, Progress, ReadOptions,
    Report, Target, WhereClause,
};
use ruang::ogc::cql2::FilterLang;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

fn demo_db() -> &'static str {
    common::shared_demo_database("import")
}

async fn pool_on(url: &str) -> PgPool {
    ruang::db::connect(url, 8, Duration::from_secs(10))
        .await
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ruang-import-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs ogr2ogr; panics with its output on failure.
fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn square(x: f64, y: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]})
}

/// Three zones in Oebobo with RDTR attribute names (KODZON, KODSZN, NAMOBJ, KODBLK, WADMKD and
/// two overlay flags), as GeoJSON.
fn zones_geojson() -> Value {
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODZON": "R", "KODSZN": "R-2", "NAMOBJ": "Perumahan A",
            "KODBLK": "04.1001.0001", "WADMKD": "Oebobo", "KKOP_1": 1, "KRB_03": 0},
         "geometry": square(123.6001, -10.1652, 0.0013)},
        {"type": "Feature", "properties": {"KODZON": "K", "KODSZN": "K2", "NAMOBJ": "Perdagangan B",
            "KODBLK": "04.1001.0002", "WADMKD": "Oebobo", "KKOP_1": 1, "KRB_03": 1},
         "geometry": {"type": "MultiPolygon", "coordinates": [
             square(123.6021, -10.1652, 0.0011)["coordinates"].clone(),
             square(123.6041, -10.1652, 0.0007)["coordinates"].clone()]}},
        {"type": "Feature", "properties": {"KODZON": "KT", "KODSZN": "KT-1", "NAMOBJ": "Kantor C",
            "KODBLK": "04.1001.0003", "WADMKD": "Oebobo", "KKOP_1": 0, "KRB_03": 0},
         "geometry": square(123.6001, -10.1632, 0.0009)},
    ]})
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

async fn import(
    pool: &PgPool,
    path: &Path,
    target: Target,
    plan: Option<&str>,
    s_srs: Option<u32>,
    dry_run: bool,
) -> Result<Report, ImportError> {
    ruang::import::import(
        pool,
        ImportOptions {
            read: ReadOptions {
                path: path.to_string_lossy().to_string(),
                layer: None,
                s_srs,
                map: Vec::new(),
            },
            target,
            plan: plan.map(str::to_string),
            dry_run,
            display_name: None,
            limits: ImportLimits::default(),
            job: None,
        },
        Arc::new(Progress::default()),
    )
    .await
}

async fn plan_id(pool: &PgPool, name: &str) -> Option<i32> {
    sqlx::query_scalar("SELECT id FROM zoning_plans WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
        .unwrap()
}

/// The zones of a plan as comparable rows, ordered by name.
async fn zone_rows(
    pool: &PgPool,
    plan: &str,
) -> Vec<(
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
)> {
    sqlx::query_as(
        "SELECT z.zone_code, z.subzone_code, z.name, z.block_code, z.kelurahan_code, z.overlay_flags \
           FROM zones z JOIN zoning_plans p ON p.id = z.plan_id WHERE p.name = $1 ORDER BY z.name",
    )
    .bind(plan)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Largest Hausdorff distance (degrees) between the zones of two plans, matched by name.
async fn max_distance(pool: &PgPool, a: &str, b: &str) -> f64 {
    let (n, d): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), max(ST_HausdorffDistance(x.geom, y.geom)) \
           FROM zones x JOIN zoning_plans px ON px.id = x.plan_id AND px.name = $1 \
           JOIN zones y ON y.name = x.name \
           JOIN zoning_plans py ON py.id = y.plan_id AND py.name = $2",
    )
    .bind(a)
    .bind(b)
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(n > 0, "no zones matched between {a} and {b}");
    d.unwrap()
}

/// Largest Hausdorff distance between a plan's zones and the source GeoJSON, matched by name.
async fn distance_to_source(pool: &PgPool, plan: &str, src: &Value) -> f64 {
    let mut worst: f64 = 0.0;
    for f in src["features"].as_array().unwrap() {
        let d: f64 = sqlx::query_scalar(
            "SELECT ST_HausdorffDistance(z.geom, ST_SetSRID(ST_GeomFromGeoJSON($3), 4326)) \
               FROM zones z JOIN zoning_plans p ON p.id = z.plan_id \
              WHERE p.name = $1 AND z.name = $2",
        )
        .bind(plan)
        .bind(f["properties"]["NAMOBJ"].as_str().unwrap())
        .bind(f["geometry"].to_string())
        .fetch_one(pool)
        .await
        .unwrap();
        worst = worst.max(d);
    }
    worst
}

async fn export_plan(pool: &PgPool, plan: &str, format: ExportFormat, out: &Path) -> u64 {
    let id = plan_id(pool, plan).await.unwrap();
    let filter = WhereClause::cql2(
        Target::Zones,
        &format!("plan_id = {id}"),
        FilterLang::Text,
        Crs::Crs84,
    )
    .unwrap();
    ruang::import::export(
        pool,
        ExportOptions {
            target: Target::Zones,
            format,
            t_srs: 4326,
            filter: Some(filter),
        },
        out,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn every_format_round_trips_with_the_same_geometries_and_attributes() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("roundtrip");
    let src = zones_geojson();
    let src_path = write_json(&dir, "src.geojson", &src);
    let formats = [
        ("GPKG", "zones.gpkg", ExportFormat::Gpkg),
        ("GeoJSON", "zones.geojson", ExportFormat::GeoJson),
        ("ESRI Shapefile", "zones.shp.zip", ExportFormat::Shapefile),
        ("FlatGeobuf", "zones.fgb", ExportFormat::FlatGeobuf),
        ("KML", "zones.kml", ExportFormat::Kml),
    ];
    for (driver, file, format) in formats {
        let input = dir.join(format!("in-{file}"));
        ogr2ogr(&[
            "-f",
            driver,
            input.to_str().unwrap(),
            src_path.to_str().unwrap(),
        ]);
        let p1 = format!("rt {driver} 1");
        let r = import(&pool, &input, Target::Zones, Some(&p1), None, false)
            .await
            .unwrap_or_else(|e| panic!("{driver}: {e}"));
        assert_eq!((r.read, r.imported, r.rejected), (3, 3, 0), "{driver}: {r}");
        assert!(r.plan_created && r.committed, "{driver}: {r}");
        let d = distance_to_source(&pool, &p1, &src).await;
        assert!(
            d < 1e-7,
            "{driver}: first import is {d} degrees off the source"
        );

        let out = dir.join(format!("out-{file}"));
        assert_eq!(export_plan(&pool, &p1, format, &out).await, 3, "{driver}");
        let p2 = format!("rt {driver} 2");
        let r = import(&pool, &out, Target::Zones, Some(&p2), None, false)
            .await
            .unwrap_or_else(|e| panic!("{driver} re-import: {e}"));
        assert_eq!((r.read, r.imported, r.rejected), (3, 3, 0), "{driver}: {r}");
        let d = max_distance(&pool, &p1, &p2).await;
        assert!(
            d < 1e-7,
            "{driver}: round trip moved geometries by {d} degrees"
        );
        let (a, b) = (zone_rows(&pool, &p1).await, zone_rows(&pool, &p2).await);
        assert_eq!(a, b, "{driver}: attributes changed in the round trip");
        // What the RDTR attributes became (rows ordered by name: Kantor C, Perdagangan B,
        // Perumahan A).
        assert_eq!(a[0].1, "KT", "legacy KT-1 through zone_code_aliases");
        assert_eq!(a[1].0, "K");
        assert_eq!(a[1].1, "K-2", "K2 without the hyphen");
        assert_eq!(a[1].5, vec!["KKOP_1".to_string(), "KRB_03".to_string()]);
        assert_eq!(a[2].1, "R-2");
        assert_eq!(a[2].4.as_deref(), Some("53.71.04.1001"), "WADMKD Oebobo");
        assert_eq!(a[2].5, vec!["KKOP_1".to_string()]);
    }
}

#[tokio::test]
async fn csv_with_wkt_or_lon_lat_columns_imports_and_needs_a_crs() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("csv");
    let src = zones_geojson();
    let src_path = write_json(&dir, "src.geojson", &src);
    let csv = dir.join("zones.csv");
    ogr2ogr(&[
        "-f",
        "CSV",
        "-lco",
        "GEOMETRY=AS_WKT",
        csv.to_str().unwrap(),
        src_path.to_str().unwrap(),
    ]);
    // A CSV names no CRS: refused without --s-srs, with a hint.
    let e = import(&pool, &csv, Target::Zones, Some("csv plan"), None, false)
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::NoCrs(_)), "{e}");
    assert!(e.to_string().contains("--s-srs"), "{e}");
    assert_eq!(plan_id(&pool, "csv plan").await, None, "nothing written");
    let r = import(
        &pool,
        &csv,
        Target::Zones,
        Some("csv plan"),
        Some(4326),
        false,
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.rejected), (3, 0), "{r}");
    assert!(distance_to_source(&pool, "csv plan", &src).await < 1e-7);

    // Markets from lon/lat columns.
    let markets = dir.join("pasar.csv");
    std::fs::write(
        &markets,
        "kode,nama,lon,lat,alamat\nuji_csv_1,Pasar Uji Satu,123.6012,-10.1645,Jl. Uji 1\nuji_csv_2,Pasar Uji Dua,123.5901,-10.1702,\n",
    )
    .unwrap();
    let r = import(&pool, &markets, Target::Markets, None, Some(4326), false)
        .await
        .unwrap();
    assert_eq!((r.imported, r.rejected), (2, 0), "{r}");
    let (x, y, addr): (f64, f64, Option<String>) = sqlx::query_as(
        "SELECT ST_X(geom), ST_Y(geom), address FROM markets WHERE code = 'uji_csv_1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        (x - 123.6012).abs() < 1e-9 && (y + 10.1645).abs() < 1e-9,
        "{x} {y}"
    );
    assert_eq!(addr.as_deref(), Some("Jl. Uji 1"));
}

#[tokio::test]
async fn a_tm3_shapefile_lands_in_the_right_kelurahan() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("tm3");
    // A 40 m square around a point inside kelurahan Oebobo, in TM-3 zone 51.2 metres.
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 23840) AS p \
           FROM admin_areas WHERE code = '53.71.04.1001') s",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        x > 100_000.0 && y > 300_000.0 && y < 500_000.0,
        "TM-3 metres: {x} {y}"
    );
    let src = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODSZN": "R-3", "NAMOBJ": "TM3 zone"},
         "geometry": square(x - 20.0, y - 20.0, 40.0)}]});
    let src_path = write_json(&dir, "tm3.geojson", &src);
    let shp = dir.join("tm3.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-a_srs",
        "EPSG:23840",
        shp.to_str().unwrap(),
        src_path.to_str().unwrap(),
    ]);
    assert!(dir.join("tm3.prj").exists());
    let r = import(&pool, &shp, Target::Zones, Some("tm3 plan"), None, false)
        .await
        .unwrap();
    assert_eq!(r.imported, 1, "{r}");
    assert!(r.source_crs.contains("23840"), "{}", r.source_crs);
    let (kel, area, off): (String, f64, f64) = sqlx::query_as(
        "SELECT (SELECT a.code FROM admin_areas a WHERE a.level = 'kelurahan' \
                  AND ST_Contains(a.geom, ST_PointOnSurface(z.geom))), \
                ST_Area(ST_Transform(z.geom, 23840)), \
                ST_Distance(ST_Transform(ST_Centroid(z.geom), 23840), ST_SetSRID(ST_MakePoint($1, $2), 23840)) \
           FROM zones z JOIN zoning_plans p ON p.id = z.plan_id WHERE p.name = 'tm3 plan'",
    )
    .bind(x)
    .bind(y)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kel, "53.71.04.1001", "the square lies in Oebobo");
    assert!((area - 1600.0).abs() < 0.5, "area {area} m²");
    assert!(off < 0.01, "centre {off} m off");
    let lon: f64 = sqlx::query_scalar(
        "SELECT ST_X(ST_Centroid(z.geom)) FROM zones z JOIN zoning_plans p ON p.id = z.plan_id \
          WHERE p.name = 'tm3 plan'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        (123.52..123.70).contains(&lon),
        "lon {lon} is in Kupang (axis order kept)"
    );
}

#[tokio::test]
async fn invalid_geometries_are_repaired_or_rejected_as_reported() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("invalid");
    let bowtie = json!({"type": "Polygon", "coordinates": [[
        [123.61, -10.17], [123.612, -10.168], [123.612, -10.17], [123.61, -10.168], [123.61, -10.17]]]});
    let src = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODSZN": "R-2", "NAMOBJ": "bowtie"}, "geometry": bowtie},
        {"type": "Feature", "properties": {"KODSZN": "R-2", "NAMOBJ": "fine"},
         "geometry": square(123.615, -10.17, 0.001)}]});
    let p = dir.join("bowtie.gpkg");
    let src_path = write_json(&dir, "bowtie.geojson", &src);
    ogr2ogr(&[
        "-f",
        "GPKG",
        p.to_str().unwrap(),
        src_path.to_str().unwrap(),
    ]);
    let r = import(&pool, &p, Target::Zones, Some("repair plan"), None, false)
        .await
        .unwrap();
    assert_eq!(
        (r.read, r.imported, r.repaired, r.rejected),
        (2, 2, 1, 0),
        "{r}"
    );
    assert_eq!(r.repaired_features[0].feature.split(' ').next(), Some("#1"));
    assert!(r.repaired_features[0].reason_en.contains("repaired"), "{r}");
    let (parts, valid): (i32, bool) = sqlx::query_as(
        "SELECT ST_NumGeometries(z.geom), ST_IsValid(z.geom) FROM zones z \
           JOIN zoning_plans p ON p.id = z.plan_id WHERE p.name = 'repair plan' AND z.name = 'bowtie'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        valid && parts == 2,
        "the bow-tie became two triangles: {parts}"
    );

    // A polygon with no area cannot be repaired: rejected with its reason, nothing written.
    let flat = json!({"type": "Polygon", "coordinates": [[
        [123.61, -10.17], [123.611, -10.17], [123.612, -10.17], [123.61, -10.17]]]});
    let src = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODSZN": "R-2", "NAMOBJ": "ok"}, "geometry": square(123.62, -10.17, 0.001)},
        {"type": "Feature", "properties": {"KODSZN": "R-2", "NAMOBJ": "flat"}, "geometry": flat}]});
    let src_path = write_json(&dir, "flat.geojson", &src);
    let r = import(
        &pool,
        &src_path,
        Target::Zones,
        Some("flat plan"),
        None,
        false,
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.rejected), (0, 1), "{r}");
    assert!(r.rejected_features[0].feature.starts_with("#2"), "{r}");
    assert!(r.rejected_features[0].reason_en.contains("area"), "{r}");
    assert!(!r.committed);
    assert_eq!(plan_id(&pool, "flat plan").await, None);
}

#[tokio::test]
async fn one_broken_feature_in_the_middle_imports_nothing() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("broken");
    let mut features = Vec::new();
    for i in 0..9 {
        let code = if i == 4 { "ZZ-9" } else { "R-4" };
        features.push(json!({"type": "Feature",
            "properties": {"KODSZN": code, "NAMOBJ": format!("z{i}")},
            "geometry": square(123.58 + i as f64 * 0.002, -10.18, 0.001)}));
    }
    let src = json!({"type": "FeatureCollection", "features": features});
    let src_path = write_json(&dir, "broken.geojson", &src);
    let fgb = dir.join("broken.fgb");
    ogr2ogr(&[
        "-f",
        "FlatGeobuf",
        "-lco",
        "SPATIAL_INDEX=NO",
        fgb.to_str().unwrap(),
        src_path.to_str().unwrap(),
    ]);
    // Into the existing active plan: its zone count must not move.
    let (active, before): (String, i64) = sqlx::query_as(
        "SELECT p.name, (SELECT count(*) FROM zones z WHERE z.plan_id = p.id) \
           FROM zoning_plans p WHERE p.status = 'active'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let r = import(&pool, &fgb, Target::Zones, Some(&active), None, false)
        .await
        .unwrap();
    assert_eq!((r.read, r.imported, r.rejected), (9, 0, 1), "{r}");
    assert!(r.rejected_features[0].feature.starts_with("#5"), "{r}");
    assert!(
        r.rejected_features[0]
            .reason_en
            .contains("'ZZ-9' is unknown"),
        "{r}"
    );
    assert!(
        r.rejected_features[0].reason_id.contains("tidak dikenal"),
        "{r}"
    );
    assert!(r.to_string().contains("nothing was imported"), "{r}");
    let after: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM zones z JOIN zoning_plans p ON p.id = z.plan_id WHERE p.name = $1",
    )
    .bind(&active)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn dry_run_checks_everything_and_writes_nothing() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("dry");
    let src_path = write_json(&dir, "src.geojson", &zones_geojson());
    let r = import(
        &pool,
        &src_path,
        Target::Zones,
        Some("dry plan"),
        None,
        true,
    )
    .await
    .unwrap();
    assert_eq!((r.read, r.imported, r.rejected), (3, 3, 0), "{r}");
    assert!(r.dry_run && !r.committed);
    assert_eq!(
        plan_id(&pool, "dry plan").await,
        None,
        "the new plan was rolled back too"
    );
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("bad");
    let txt = dir.join("notes.txt");
    std::fs::write(&txt, "this is not a map\n").unwrap();
    let e = import(&pool, &txt, Target::Markets, None, None, false)
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::NotGis(_)), "{e}");
    assert!(e.to_string().contains("not a GIS file"), "{e}");
    let e = import(
        &pool,
        &dir.join("missing.gpkg"),
        Target::Markets,
        None,
        None,
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ImportError::NoFile(_)), "{e}");
    // Zones need a plan.
    let src_path = write_json(&dir, "src.geojson", &zones_geojson());
    let e = import(&pool, &src_path, Target::Zones, None, None, false)
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::NeedsPlan(_)), "{e}");
    // Points are not polygons.
    let pts = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODSZN": "R-2"}, "geometry": {"type": "Point", "coordinates": [123.6, -10.17]}}]});
    let p = write_json(&dir, "pts.geojson", &pts);
    let r = import(&pool, &p, Target::Zones, Some("pts plan"), None, false)
        .await
        .unwrap();
    assert_eq!(r.rejected, 1);
    assert!(r.rejected_features[0].reason_en.contains("Polygon"), "{r}");

    // The CLI: unknown --into, and a file that is not GIS, as one clear line each.
    let bin = env!("CARGO_BIN_EXE_ruang");
    let out = Command::new(bin)
        .args(["import", txt.to_str().unwrap(), "--into", "roads"])
        .env("DATABASE_URL", demo_db())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown target 'roads'") && err.contains("zones"),
        "{err}"
    );
    let out = Command::new(bin)
        .args(["import", txt.to_str().unwrap(), "--into", "markets"])
        .env("DATABASE_URL", demo_db())
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a GIS file"), "{err}");
    let out = Command::new(bin)
        .args([
            "export",
            "--from",
            "markets",
            "--format",
            "XLSX",
            "/tmp/x.xlsx",
        ])
        .env("DATABASE_URL", demo_db())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format 'XLSX'"));
    let out = Command::new(bin)
        .args([
            "export",
            "--from",
            "markets",
            "--format",
            "GPKG",
            "--filter",
            "nama = 'x'",
            "/tmp/x.gpkg",
        ])
        .env("DATABASE_URL", demo_db())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown property 'nama'") && err.contains("tidak dikenal"),
        "{err}"
    );
}

#[tokio::test]
async fn cli_imports_a_zipped_shapefile_and_exports_in_tm3() {
    let dir = tmp("cli");
    let src_path = write_json(&dir, "src.geojson", &zones_geojson());
    let shpdir = dir.join("shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shpdir.to_str().unwrap(),
        src_path.to_str().unwrap(),
        "-nln",
        "zona",
    ]);
    let zip = dir.join("zona.zip");
    let st = Command::new("zip")
        .arg("-jq")
        .arg(&zip)
        .args(
            std::fs::read_dir(&shpdir)
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
        .status();
    if !st.map(|s| s.success()).unwrap_or(false) {
        // No zip program: let GDAL write the zipped Shapefile.
        ogr2ogr(&[
            "-f",
            "ESRI Shapefile",
            zip.with_extension("shp.zip").to_str().unwrap(),
            src_path.to_str().unwrap(),
        ]);
        std::fs::rename(zip.with_extension("shp.zip"), &zip).unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_ruang");
    let out = Command::new(bin)
        .args([
            "import",
            zip.to_str().unwrap(),
            "--into",
            "zones",
            "--plan",
            "cli plan",
            "--json",
        ])
        .env("DATABASE_URL", demo_db())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["driver"], "ESRI Shapefile");
    let gpkg = dir.join("tm3.gpkg");
    let out = Command::new(bin)
        .args([
            "export",
            "--from",
            "zones",
            "--format",
            "GPKG",
            "--t-srs",
            "EPSG:23840",
            gpkg.to_str().unwrap(),
        ])
        .env("DATABASE_URL", demo_db())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = Command::new("ogrinfo")
        .args(["-so", gpkg.to_str().unwrap(), "zones"])
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("23840") || info.contains("TM-3"), "{info}");
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let b = "ruang-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let h = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, h, body)
}

fn post_import(token: Option<&str>, ct: &str, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post("/api/imports").header(header::CONTENT_TYPE, ct);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(body)).unwrap()
}

fn json_of(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

#[tokio::test]
async fn http_import_job_reports_progress_and_the_tiles_change_when_it_commits() {
    let url = common::demo_database("import_http").await;
    let pool = pool_on(&url).await;
    let state = ruang::AppState::new(pool.clone(), Config::default())
        .await
        .unwrap();
    let app = ruang::app(state);
    let planner = common::user_with_token(&pool, "planner").await;
    let applicant = common::user_with_token(&pool, "pemohon").await;
    let (active,): (String,) =
        sqlx::query_as("SELECT name FROM zoning_plans WHERE status = 'active'")
            .fetch_one(&pool)
            .await
            .unwrap();

    // A zone far out at sea in the north-west of the city's box, where no demo zone is.
    let (lon, lat) = (123.5205, -10.1205);
    let src = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODSZN": "C-1", "NAMOBJ": "http zone"},
         "geometry": square(lon, lat, 0.002)}]});
    let dir = tmp("http");
    let src_path = write_json(&dir, "src.geojson", &src);
    let gpkg = dir.join("upload.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        src_path.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&gpkg).unwrap();

    let (x, y) = common::tile_of(lon + 0.001, lat + 0.001, 14);
    let tile_uri = format!("/tiles/zones/14/{x}/{y}");
    let (_, _, before) = call(&app, Request::get(&tile_uri).body(Body::empty()).unwrap()).await;

    // Who may import.
    let (ct, body) = multipart(
        &[("into", "zones"), ("plan", &active)],
        Some(("zona.gpkg", &bytes)),
    );
    let (st, _, _) = call(&app, post_import(None, &ct, body.clone())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, _) = call(&app, post_import(Some(&applicant), &ct, body.clone())).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Bad requests.
    let (ct2, b2) = multipart(&[("into", "roads")], Some(("zona.gpkg", &bytes)));
    let (st, _, b) = call(&app, post_import(Some(&planner), &ct2, b2)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        json_of(&b)["detail_en"]
            .as_str()
            .unwrap()
            .contains("unknown target")
    );
    let (ct2, b2) = multipart(&[("into", "zones"), ("plan", "x")], None);
    let (st, _, _) = call(&app, post_import(Some(&planner), &ct2, b2)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (ct2, b2) = multipart(&[("into", "markets")], Some(("notes.txt", b"hello")));
    let (st, _, b) = call(&app, post_import(Some(&planner), &ct2, b2)).await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let (ct2, b2) = multipart(&[("into", "zones")], Some(("zona.gpkg", &bytes)));
    let (st, _, _) = call(&app, post_import(Some(&planner), &ct2, b2)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "zones without a plan");
    for (fields, needle) in [
        (
            [("into", "zones"), ("plan", "x"), ("s_srs", "TM3")],
            "s_srs 'TM3' must look like EPSG:N",
        ),
        (
            [("into", "zones"), ("plan", "x"), ("map", "KODSZN")],
            "map 'KODSZN' must look like column=attribute",
        ),
    ] {
        let (ct2, b2) = multipart(&fields, Some(("zona.gpkg", &bytes)));
        let (st, _, b) = call(&app, post_import(Some(&planner), &ct2, b2)).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{needle}");
        let p = json_of(&b);
        assert!(p["detail_en"].as_str().unwrap().contains(needle), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("harus"), "{p}");
    }
    // Over the server's upload limit: 413.
    let small = ruang::AppState::new(
        pool.clone(),
        Config {
            body_limit_bytes: 4096,
            ..Config::default()
        },
    )
    .await
    .unwrap();
    let (ct2, b2) = multipart(
        &[("into", "zones"), ("plan", "x")],
        Some(("zona.gpkg", &bytes)),
    );
    assert!(b2.len() > 4096);
    let (st, _, _) = call(&ruang::app(small), post_import(Some(&planner), &ct2, b2)).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);

    // The job.
    let (st, h, b) = call(&app, post_import(Some(&planner), &ct, body)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&b));
    let id = json_of(&b)["id"].as_str().unwrap().to_string();
    assert_eq!(h[header::LOCATION], format!("/api/imports/{id}").as_str());
    let mut job = Value::Null;
    for _ in 0..100 {
        let req = Request::get(format!("/api/imports/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {planner}"))
            .body(Body::empty())
            .unwrap();
        let (st, _, b) = call(&app, req).await;
        assert_eq!(st, StatusCode::OK);
        job = json_of(&b);
        if job["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["report"]["imported"], 1, "{job}");
    assert_eq!(job["progress"]["read"], 1, "{job}");
    assert_eq!(job["file_name"], "zona.gpkg");
    let req = Request::get("/api/imports/00000000-0000-0000-0000-000000000000")
        .header(header::AUTHORIZATION, format!("Bearer {planner}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::NOT_FOUND);

    // The tile over the new zone changes once the change notification arrives.
    let mut changed = false;
    for _ in 0..50 {
        let (st, _, after) = call(&app, Request::get(&tile_uri).body(Body::empty()).unwrap()).await;
        if st == StatusCode::OK && after != before {
            changed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        changed,
        "the zones tile did not change after the import committed"
    );
}

#[tokio::test]
async fn http_export_streams_each_format() {
    let pool = pool_on(demo_db()).await;
    let state = ruang::AppState::new(pool.clone(), Config::default())
        .await
        .unwrap();
    let app = ruang::app(state);
    let markets: i64 = sqlx::query_scalar("SELECT count(*) FROM markets")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (st, h, b) = call(
        &app,
        Request::get("/api/exports/markets?format=GeoJSON")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/geo+json");
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("markets.geojson")
    );
    let v = json_of(&b);
    assert_eq!(v["features"].as_array().unwrap().len() as i64, markets);
    let (st, h, b) = call(
        &app,
        Request::get("/api/exports/admin_areas?format=ESRI%20Shapefile&t_srs=EPSG:23840")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/zip");
    assert!(b.starts_with(b"PK"), "a zip");
    for (uri, status) in [
        ("/api/exports/roads?format=GPKG", StatusCode::NOT_FOUND),
        ("/api/exports/markets?format=XLSX", StatusCode::BAD_REQUEST),
        (
            "/api/exports/markets?format=GPKG&t_srs=EPSG:999999",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/exports/markets?format=GPKG&filter=nama%3D'x'",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (st, h, b) = call(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(st, status, "{uri}: {}", String::from_utf8_lossy(&b));
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    }
}

// ---------------------------------------------------------------------------------------------
// Export filters (CQL2 over the layer's OGC queryables)
// ---------------------------------------------------------------------------------------------

/// The `id` attribute of every feature in an exported file, sorted.
fn ids_in_file(path: &Path, layer: &str) -> Vec<i64> {
    let ds = gdal::Dataset::open(path).unwrap();
    let mut l = ds.layer_by_name(layer).unwrap();
    let mut ids: Vec<i64> = gdal::vector::LayerAccess::features(&mut l)
        .map(|f| {
            let i = f.field_index("id").unwrap();
            f.field_as_integer64(i).unwrap().unwrap()
        })
        .collect();
    ids.sort();
    ids
}

/// The `id` property of every feature of a GeoJSON export, sorted.
fn ids_in_geojson(v: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

async fn ids_where(pool: &PgPool, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

const BOX_WKT: &str =
    "POLYGON((123.58 -10.18, 123.60 -10.18, 123.60 -10.16, 123.58 -10.16, 123.58 -10.18))";

#[tokio::test]
async fn export_filters_give_exactly_the_features_sql_selects() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("filter");
    let export = |target: Target, filter: &str, lang: FilterLang, crs: Crs, out: PathBuf| {
        let pool = pool.clone();
        let filter = WhereClause::cql2(target, filter, lang, crs).unwrap();
        async move {
            let n = ruang::import::export(
                &pool,
                ExportOptions {
                    target,
                    format: ExportFormat::Gpkg,
                    t_srs: 4326,
                    filter: Some(filter),
                },
                &out,
            )
            .await
            .unwrap();
            (n, ids_in_file(&out, target.as_str()))
        }
    };

    // An attribute.
    let want = ids_where(
        &pool,
        "SELECT id::int8 FROM zones WHERE subzone_code = 'R-2' ORDER BY 1",
    )
    .await;
    assert!(want.len() > 10, "the demo city has R-2 zones");
    let (n, got) = export(
        Target::Zones,
        "subzone_code = 'R-2'",
        FilterLang::Text,
        Crs::Crs84,
        dir.join("r2.gpkg"),
    )
    .await;
    assert_eq!(n as usize, want.len());
    assert_eq!(got, want);

    // A spatial predicate, in text and in JSON, and the same box written in UTM 51S.
    let want = ids_where(
        &pool,
        &format!(
            "SELECT id FROM parcels WHERE ST_Intersects(geom, ST_GeomFromText('{BOX_WKT}', 4326)) ORDER BY 1"
        ),
    )
    .await;
    assert!(want.len() > 10 && want.len() < 6000, "{}", want.len());
    let (_, got) = export(
        Target::Parcels,
        &format!("S_INTERSECTS(geometry, {BOX_WKT})"),
        FilterLang::Text,
        Crs::Crs84,
        dir.join("box.gpkg"),
    )
    .await;
    assert_eq!(got, want);
    let json_filter = json!({"op": "s_intersects", "args": [{"property": "geometry"},
        {"type": "Polygon", "coordinates": [[[123.58, -10.18], [123.60, -10.18], [123.60, -10.16],
                                              [123.58, -10.16], [123.58, -10.18]]]}]});
    let (_, got) = export(
        Target::Parcels,
        &json_filter.to_string(),
        FilterLang::Json,
        Crs::Crs84,
        dir.join("box-json.gpkg"),
    )
    .await;
    assert_eq!(got, want);
    let utm: String = sqlx::query_scalar(&format!(
        "SELECT ST_AsText(ST_Transform(ST_GeomFromText('{BOX_WKT}', 4326), 32751))"
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    let want_utm = ids_where(
        &pool,
        &format!(
            "SELECT id FROM parcels WHERE ST_Intersects(geom, ST_Transform(ST_GeomFromText('{utm}', 32751), 4326)) ORDER BY 1"
        ),
    )
    .await;
    let (_, got) = export(
        Target::Parcels,
        &format!("S_INTERSECTS(geometry, {utm})"),
        FilterLang::Text,
        Crs::Utm51s,
        dir.join("box-utm.gpkg"),
    )
    .await;
    assert_eq!(got, want_utm);

    // A property that comes from the collection's join (the catchment's stunting prevalence).
    let want = ids_where(
        &pool,
        "SELECT t.id::int8 FROM health_facilities t \
           JOIN puskesmas_stunting_latest s ON s.facility_id = t.id \
          WHERE s.prevalence_pct > 14 AND t.kind = 'puskesmas' ORDER BY 1",
    )
    .await;
    assert!(!want.is_empty(), "some Puskesmas are above the target");
    let (_, got) = export(
        Target::HealthFacilities,
        "stunting_prevalence_pct > 14 AND kind = 'puskesmas'",
        FilterLang::Text,
        Crs::Crs84,
        dir.join("pkm.gpkg"),
    )
    .await;
    assert_eq!(got, want);

    // The command line: the same zones, and a bad filter as a clear message with exit 1.
    let bin = env!("CARGO_BIN_EXE_ruang");
    let out_path = dir.join("cli-r2.geojson");
    let out = Command::new(bin)
        .args(["export", "--from", "zones", "--format", "GeoJSON"])
        .args([
            "--filter",
            "subzone_code = 'R-2' AND S_INTERSECTS(geometry, BBOX(123.5, -10.3, 123.7, -10.1))",
        ])
        .arg(&out_path)
        .env("DATABASE_URL", demo_db())
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = ids_where(
        &pool,
        "SELECT id::int8 FROM zones WHERE subzone_code = 'R-2' \
            AND ST_Intersects(geom, ST_MakeEnvelope(123.5, -10.3, 123.7, -10.1, 4326)) ORDER BY 1",
    )
    .await;
    let v: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(ids_in_geojson(&v), want);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("wrote {} features", want.len())),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for (args, needle) in [
        (vec!["--filter", "subzone_code = "], "cannot be parsed"),
        (
            vec!["--filter", "kodzon = 'R'"],
            "unknown property 'kodzon'",
        ),
        (
            vec!["--filter", "name = 'x'", "--filter-lang", "sql"],
            "unknown filter language 'sql'",
        ),
        (
            vec!["--filter", "name = 'x'", "--filter-crs", "EPSG:9999"],
            "unknown filter CRS",
        ),
        (
            vec![
                "--filter-crs",
                "EPSG:32751",
                "--filter",
                "S_INTERSECTS(geometry, POINT(100000000000000000000 100000000000000000000))",
            ],
            "cannot be used",
        ),
    ] {
        let bad_out = dir.join("bad.gpkg");
        let out = Command::new(bin)
            .args(["export", "--from", "zones", "--format", "GPKG"])
            .args(&args)
            .arg(&bad_out)
            .env("DATABASE_URL", demo_db())
            .env("RUANG_LOG", "warn")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!bad_out.exists(), "{args:?}: no file is written");
    }
}

#[tokio::test]
async fn http_export_filters_and_refuses_bad_ones() {
    let pool = pool_on(demo_db()).await;
    let state = ruang::AppState::new(pool.clone(), Config::default())
        .await
        .unwrap();
    let app = ruang::app(state);
    let get = |uri: String| {
        let app = app.clone();
        async move { call(&app, Request::get(uri).body(Body::empty()).unwrap()).await }
    };
    let enc = |s: &str| ruang::ogc::items::urlencode(s);

    let want = ids_where(
        &pool,
        "SELECT id::int8 FROM zones WHERE subzone_code = 'R-2' ORDER BY 1",
    )
    .await;
    let (st, _, b) = get(format!(
        "/api/exports/zones?format=GeoJSON&filter={}",
        enc("subzone_code = 'R-2'")
    ))
    .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(ids_in_geojson(&json_of(&b)), want);

    let want = ids_where(
        &pool,
        &format!(
            "SELECT id FROM parcels WHERE ST_Intersects(geom, ST_GeomFromText('{BOX_WKT}', 4326)) \
               AND kind = 'terdaftar' ORDER BY 1"
        ),
    )
    .await;
    let json_filter = json!({"op": "and", "args": [
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [123.58, -10.18, 123.60, -10.16]}]},
        {"op": "=", "args": [{"property": "kind"}, "terdaftar"]}]});
    let (st, _, b) = get(format!(
        "/api/exports/parcels?format=GeoJSON&filter-lang=cql2-json&filter={}",
        enc(&json_filter.to_string())
    ))
    .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(ids_in_geojson(&json_of(&b)), want);

    // Bad filters: 400 problem+json in both languages, naming the problem.
    let markets_before: i64 = sqlx::query_scalar("SELECT count(*) FROM markets")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (query, needle_en, needle_id) in [
        (
            format!("filter={}", enc("name = ")),
            "cannot be parsed",
            "tidak dapat dibaca",
        ),
        (
            format!("filter={}", enc("nama = 'Pasar Inpres'")),
            "unknown property 'nama'",
            "tidak dikenal",
        ),
        (
            // A quoted name meant to smuggle SQL: refused (cql2-text does not read it).
            format!("filter={}", enc("\"name; DROP TABLE markets; --\" = 'x'")),
            "filter:",
            "filter:",
        ),
        (
            format!("filter-lang=sql&filter={}", enc("name = 'x'")),
            "unknown filter language",
            "tidak dikenal",
        ),
        (
            format!("filter-crs=EPSG:9999&filter={}", enc("name = 'x'")),
            "unknown filter CRS",
            "tidak dikenal",
        ),
        (
            // A point PROJ cannot transform: the database refuses the value.
            format!(
                "filter-crs=EPSG:32751&filter={}",
                enc("S_INTERSECTS(geometry, POINT(100000000000000000000 100000000000000000000))")
            ),
            "cannot be used",
            "tidak dapat digunakan",
        ),
    ] {
        let (st, h, b) = get(format!("/api/exports/markets?format=GeoJSON&{query}")).await;
        assert_eq!(
            st,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            String::from_utf8_lossy(&b)
        );
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
        let p = json_of(&b);
        let (id, en) = (
            p["detail"].as_str().unwrap(),
            p["detail_en"].as_str().unwrap(),
        );
        assert!(
            en.contains(needle_en) && id.contains(needle_id),
            "{query}: {p}"
        );
    }
    // A value meant to break out of its quotes stays a value: in cql2-text the doubled quote
    // is a quote inside the literal, and in cql2-json a string may hold anything.
    let (st, _, b) = get(format!(
        "/api/exports/markets?format=GeoJSON&filter={}",
        enc("name = 'x''; DROP TABLE markets; --'")
    ))
    .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json_of(&b)["features"].as_array().unwrap().len(), 0);
    let sneaky = json!({"op": "=", "args": [{"property": "name"}, "x'; DROP TABLE markets; --"]});
    let (st, _, b) = get(format!(
        "/api/exports/markets?format=GeoJSON&filter-lang=cql2-json&filter={}",
        enc(&sneaky.to_string())
    ))
    .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json_of(&b)["features"].as_array().unwrap().len(), 0);
    let (st, _, b) = get(format!(
        "/api/exports/markets?format=GeoJSON&filter={}",
        enc("name = 'x' OR 1 = 1")
    ))
    .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(
        json_of(&b)["features"].as_array().unwrap().len() as i64,
        markets_before,
        "OR 1 = 1 is a legitimate filter that matches everything"
    );
    let markets_after: i64 = sqlx::query_scalar("SELECT count(*) FROM markets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(markets_before, markets_after);
}

// ---------------------------------------------------------------------------------------------
// --layer, --map, the command line's summary and progress bar
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn layer_and_map_choose_what_is_read() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("layer");
    // A GeoPackage with two layers: the RDTR zones, and zones with a consultant's own names.
    let src_path = write_json(&dir, "src.geojson", &zones_geojson());
    let odd = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODE_SZ": "R-3", "LABEL_X": "Odd one", "NAMOBJ": "ignored"},
         "geometry": square(123.6101, -10.1652, 0.001)},
        {"type": "Feature", "properties": {"KODE_SZ": "K-2", "LABEL_X": "Odd two", "NAMOBJ": "ignored"},
         "geometry": square(123.6121, -10.1652, 0.001)}]});
    let odd_path = write_json(&dir, "odd.geojson", &odd);
    let gpkg = dir.join("two.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        src_path.to_str().unwrap(),
        "-nln",
        "rdtr",
    ]);
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-update",
        gpkg.to_str().unwrap(),
        odd_path.to_str().unwrap(),
        "-nln",
        "konsultan",
    ]);
    let opts = |layer: Option<&str>, map: &[(&str, &str)], plan: &str| ImportOptions {
        read: ReadOptions {
            path: gpkg.to_string_lossy().to_string(),
            layer: layer.map(str::to_string),
            s_srs: None,
            map: map
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        },
        target: Target::Zones,
        plan: Some(plan.to_string()),
        dry_run: false,
        display_name: None,
        limits: ImportLimits::default(),
        job: None,
    };
    let run = |o: ImportOptions| {
        let pool = pool.clone();
        async move { ruang::import::import(&pool, o, Arc::new(Progress::default())).await }
    };

    // Without --layer: refused, naming both layers; a wrong name lists them too.
    let e = run(opts(None, &[], "layer plan")).await.unwrap_err();
    assert!(matches!(e, ImportError::ChooseLayer(_)), "{e}");
    assert!(
        e.to_string().contains("rdtr") && e.to_string().contains("konsultan"),
        "{e}"
    );
    let e = run(opts(Some("zona"), &[], "layer plan"))
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::NoSuchLayer { .. }), "{e}");
    assert!(e.to_string().contains("konsultan"), "{e}");
    assert_eq!(plan_id(&pool, "layer plan").await, None, "nothing written");

    // --layer rdtr reads that layer only.
    let r = run(opts(Some("rdtr"), &[], "layer plan")).await.unwrap();
    assert_eq!(
        (r.layer.as_str(), r.read, r.imported),
        ("rdtr", 3, 3),
        "{r}"
    );

    // The other layer has no recognised sub-zone attribute: every feature is rejected...
    let r = run(opts(Some("konsultan"), &[], "map plan")).await.unwrap();
    assert_eq!((r.imported, r.rejected), (0, 2), "{r}");
    // ...until --map names it; --map also wins over a recognised name (NAMOBJ).
    let map = [("subzone_code", "KODE_SZ"), ("name", "label_x")];
    let r = run(opts(Some("konsultan"), &map, "map plan"))
        .await
        .unwrap();
    assert_eq!((r.imported, r.rejected), (2, 0), "{r}");
    assert!(
        r.mapping
            .contains(&("subzone_code".to_string(), "KODE_SZ".to_string())),
        "{:?}",
        r.mapping
    );
    let rows = zone_rows(&pool, "map plan").await;
    let got: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_deref()))
        .collect();
    assert_eq!(
        got,
        [("R", "R-3", Some("Odd one")), ("K", "K-2", Some("Odd two"))]
    );

    // A --map to a column the table does not have, or from an attribute the file does not have.
    for (map, needle) in [
        (("kode", "KODE_SZ"), "'kode' is not a column of zones"),
        (("subzone_code", "KODSZN"), "no attribute 'KODSZN'"),
    ] {
        let e = run(opts(Some("konsultan"), &[map], "bad map plan"))
            .await
            .unwrap_err();
        assert!(matches!(e, ImportError::BadMap(_)), "{e}");
        assert!(e.to_string().contains(needle), "{e}");
    }

    // The command line takes the same flags.
    let bin = env!("CARGO_BIN_EXE_ruang");
    let out = Command::new(bin)
        .arg("import")
        .arg(&gpkg)
        .args([
            "--into",
            "zones",
            "--plan",
            "cli map plan",
            "--layer",
            "konsultan",
        ])
        .args(["--map", "subzone_code=KODE_SZ", "--map", "name=LABEL_X"])
        .env("DATABASE_URL", demo_db())
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("layer 'konsultan'"), "{text}");
    assert!(text.contains("subzone_code<-KODE_SZ"), "{text}");
    assert_eq!(zone_rows(&pool, "cli map plan").await.len(), 2);
}

#[tokio::test]
async fn cli_summary_lists_counts_and_reasons_and_exits_2_on_rejections() {
    let dir = tmp("summary");
    let bowtie = json!({"type": "Polygon", "coordinates": [[
        [123.63, -10.17], [123.632, -10.168], [123.632, -10.17], [123.63, -10.168], [123.63, -10.17]]]});
    let src = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KODSZN": "R-2", "NAMOBJ": "a"}, "geometry": square(123.634, -10.17, 0.001)},
        {"type": "Feature", "properties": {"KODSZN": "R-2", "NAMOBJ": "bowtie"}, "geometry": bowtie},
        {"type": "Feature", "properties": {"KODSZN": "QQ-7", "NAMOBJ": "unknown code"}, "geometry": square(123.636, -10.17, 0.001)}]});
    let path = write_json(&dir, "mixed.geojson", &src);
    let bin = env!("CARGO_BIN_EXE_ruang");
    let out = Command::new(bin)
        .arg("import")
        .arg(&path)
        .args(["--into", "zones", "--plan", "summary plan"])
        .env("DATABASE_URL", demo_db())
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("read 3, imported 0, repaired 1, rejected 1"),
        "{text}"
    );
    assert!(text.contains("repaired #2"), "{text}");
    assert!(
        text.contains("rejected #3") && text.contains("'QQ-7' is unknown"),
        "{text}"
    );
    assert!(
        text.contains("tidak dikenal"),
        "the reason in Indonesian too: {text}"
    );
    assert!(text.contains("nothing was imported"), "{text}");

    // Without the bad feature it commits, and says so.
    let mut fixed = src.clone();
    fixed["features"].as_array_mut().unwrap().pop();
    let path = write_json(&dir, "fixed.geojson", &fixed);
    let out = Command::new(bin)
        .arg("import")
        .arg(&path)
        .args(["--into", "zones", "--plan", "summary plan"])
        .env("DATABASE_URL", demo_db())
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("read 2, imported 2, repaired 1, rejected 0"),
        "{text}"
    );
    assert!(text.contains("committed"), "{text}");
}

/// The progress bar shows on a terminal: run the import under `script`, which gives it one.
#[tokio::test]
async fn cli_progress_bar_shows_features_per_second_on_a_terminal() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("progress");
    let gpkg = dir.join("many.gpkg");
    // Enough small parcels that the import takes longer than the bar's first frames.
    let url = demo_db();
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        &format!("PG:{url}"),
        "-nln",
        "parcels",
        "-nlt",
        "MULTIPOLYGON",
        "-sql",
        "SELECT 'terdaftar'::text AS kind, 'PROGRESS-' || i AS parcel_number, \
                ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(123.55 + (i % 300) * 0.0002, \
                                                           -10.20 + (i / 300) * 0.0002), 4326), \
                                   0.00008, 'quad_segs=2')) AS geom \
           FROM generate_series(0, 59999) AS i",
    ]);
    let bin = env!("CARGO_BIN_EXE_ruang");
    let cmd = format!(
        "{bin} import {} --into parcels --dry-run",
        gpkg.to_str().unwrap()
    );
    let out = Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .env("DATABASE_URL", url)
        .env("RUANG_LOG", "warn")
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("read 60000, imported 60000"), "{text}");
    // indicatif's frames: "<bar> 12345/60000 features (23456.789/s, eta 2s)".
    assert!(
        text.contains("/60000 features ("),
        "no progress bar: {text}"
    );
    assert!(text.contains("/s, eta"), "no rate: {text}");
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM parcels WHERE parcel_number LIKE 'PROGRESS-%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(n, 0, "a dry run writes nothing");
}

/// The binary COPY columns ruang declares are the tables' real types, and every type it
/// encodes comes back from PostgreSQL as the value that went in.
#[tokio::test]
async fn binary_copy_columns_match_the_tables_and_every_type_round_trips() {
    use ruang::import::binary::{self, ColType};
    let pool = pool_on(demo_db()).await;
    for target in Target::ALL {
        for (col, ty) in target.copy_columns() {
            let found: String = sqlx::query_scalar(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
                 WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
            )
            .bind(target.as_str())
            .bind(col)
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{}.{col}: {e}", target.as_str()));
            let want = ty.sql_name();
            assert!(
                found == want || (*ty == ColType::Geometry && found.starts_with("geometry(")),
                "{}.{col} is {found}, ruang sends {want}",
                target.as_str()
            );
        }
    }

    let types = [
        ColType::Text,
        ColType::Int4,
        ColType::Bool,
        ColType::Date,
        ColType::Numeric,
        ColType::TextArray,
        ColType::Geometry,
    ];
    let rows: Vec<[Option<&str>; 6]> = vec![
        [
            Some("Jl. Soeharto\tNo. 5\n— Kupang \\ NTT"),
            Some("-42"),
            Some("true"),
            Some("2024-02-29"),
            Some("12.5"),
            Some("{KKOP,KRB}"),
        ],
        [
            Some(""),
            Some("2147483647"),
            Some("false"),
            Some("1999-12-31"),
            Some("0.0001"),
            Some("{}"),
        ],
        [None, None, None, None, Some("123456789.000123"), None],
        [
            Some("x"),
            Some("0"),
            Some("f"),
            Some("2000-01-01"),
            Some("20000"),
            Some("{SEMPADAN_PANTAI}"),
        ],
        [
            Some("y"),
            Some("1"),
            Some("t"),
            Some("2100-12-31"),
            Some("0"),
            Some("{A}"),
        ],
    ];
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "CREATE TEMP TABLE copy_types (t text, i integer, b boolean, d date, n numeric, \
         a text[], g geometry(Point, 4326))",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let mut data = binary::HEADER.to_vec();
    for (k, row) in rows.iter().enumerate() {
        let mut wkb = vec![1u8, 1, 0, 0, 0];
        wkb.extend_from_slice(&(123.6 + k as f64).to_le_bytes());
        wkb.extend_from_slice(&(-10.2f64).to_le_bytes());
        let values: Vec<Option<String>> = row.iter().map(|v| v.map(String::from)).collect();
        binary::push_row(&mut data, &types, &values, &wkb, 4326).unwrap();
    }
    data.extend_from_slice(binary::TRAILER);
    let mut copy = tx
        .copy_in_raw("COPY copy_types FROM STDIN (FORMAT binary)")
        .await
        .unwrap();
    copy.send(data).await.unwrap();
    assert_eq!(copy.finish().await.unwrap(), rows.len() as u64);
    type Back = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let back: Vec<Back> = sqlx::query_as(
        "SELECT t, i::text, b::text, d::text, n::text, a::text, ST_AsEWKT(g) FROM copy_types \
         ORDER BY ST_X(g)",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    for (k, (row, got)) in rows.iter().zip(&back).enumerate() {
        assert_eq!(got.0.as_deref(), row[0]);
        assert_eq!(got.1.as_deref(), row[1]);
        let b = row[2].map(|v| if v.starts_with('t') { "true" } else { "false" });
        assert_eq!(got.2.as_deref(), b);
        assert_eq!(got.3.as_deref(), row[3]);
        assert_eq!(got.4.as_deref(), row[4]);
        assert_eq!(got.5.as_deref(), row[5]);
        assert_eq!(
            got.6,
            format!("SRID=4326;POINT({} -10.2)", 123.6 + k as f64)
        );
    }
    tx.rollback().await.unwrap();
}

/// Overlays (boolean, numeric), waste facilities (numeric, points) and parcels (dates) go
/// through the whole import with their typed columns intact.
#[tokio::test]
async fn typed_columns_of_every_kind_import() {
    let pool = pool_on(demo_db()).await;
    let dir = tmp("typed");
    let overlays = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "kkop", "name": "KKOP uji", "no_building": "ya",
            "height_max_m": "45.25"},
         "geometry": square(123.6101, -10.1752, 0.001)}]});
    let path = write_json(&dir, "overlays.geojson", &overlays);
    let plan = format!("typed-{}", std::process::id());
    let r = import(&pool, &path, Target::Overlays, Some(&plan), None, false)
        .await
        .unwrap();
    assert!(r.committed, "{r:?}");
    let (nb, h): (bool, String) = sqlx::query_as(
        "SELECT o.no_building, o.height_max_m::text FROM overlays o \
         JOIN zoning_plans p ON p.id = o.plan_id WHERE p.name = $1",
    )
    .bind(&plan)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(nb);
    assert_eq!(h, "45.25");

    let tag = std::process::id();
    let waste = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "TPS", "name": format!("TPS uji {tag}"), "kapasitas": "7,5"},
         "geometry": {"type": "Point", "coordinates": [123.6011, -10.1641]}}]});
    let path = write_json(&dir, "waste.geojson", &waste);
    let r = import(&pool, &path, Target::WasteFacilities, None, None, false)
        .await
        .unwrap();
    assert!(r.committed, "{r:?}");
    let cap: String =
        sqlx::query_scalar("SELECT capacity_m3::text FROM waste_facilities WHERE name = $1")
            .bind(format!("TPS uji {tag}"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(cap, "7.5");

    let parcels = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "terdaftar", "parcel_number": format!("TYPED-{tag}"),
            "valid_until": "2031/06/30", "registered_at": "2019-01-15T08:00:00"},
         "geometry": square(123.6121, -10.1752, 0.0002)}]});
    let path = write_json(&dir, "parcels.geojson", &parcels);
    let r = import(&pool, &path, Target::Parcels, None, None, false)
        .await
        .unwrap();
    assert!(r.committed, "{r:?}");
    let (v, reg): (String, String) = sqlx::query_as(
        "SELECT valid_until::text, registered_at::text FROM parcels WHERE parcel_number = $1",
    )
    .bind(format!("TYPED-{tag}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((v.as_str(), reg.as_str()), ("2031-06-30", "2019-01-15"));
}

// ---------------------------------------------------------------------------------------------
// Hostile uploads (issue 16): zip bombs, archive and Shapefile limits, the feature and rejection
// caps, cancelling a job, and what a starting server cleans up
// ---------------------------------------------------------------------------------------------

/// Counts the bytes written through it.
struct Counted<W: Write> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Passes bytes on and keeps their CRC-32 and count (the member's real content).
struct Tee<W: Write> {
    inner: W,
    crc: flate2::Crc,
    size: u64,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.crc.update(&b[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a zip archive member by member, streaming (each member followed by a data
/// descriptor), so a gigabyte of zeros never sits in memory. A member's `declared` size, when
/// given, is what the archive claims instead of the truth.
struct ZipOut {
    out: Counted<std::io::BufWriter<std::fs::File>>,
    central: Vec<u8>,
    count: u16,
}

/// Deflate at its best: a gigabyte of zeros becomes about a megabyte.
const LEVEL: flate2::Compression = flate2::Compression::best();

impl ZipOut {
    fn create(path: &Path) -> Self {
        ZipOut {
            out: Counted {
                inner: std::io::BufWriter::new(std::fs::File::create(path).unwrap()),
                n: 0,
            },
            central: Vec::new(),
            count: 0,
        }
    }

    fn add(
        &mut self,
        name: &str,
        deflate: bool,
        declared: Option<u64>,
        body: &mut dyn FnMut(&mut dyn Write),
    ) {
        let offset = self.out.n as u32;
        let method: u16 = if deflate { 8 } else { 0 };
        let mut local = Vec::new();
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&20u16.to_le_bytes());
        local.extend_from_slice(&8u16.to_le_bytes()); // sizes in the data descriptor
        local.extend_from_slice(&method.to_le_bytes());
        local.extend_from_slice(&[0u8; 16]); // time, date, crc, sizes
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        self.out.write_all(&local).unwrap();
        let start = self.out.n;
        let (crc, size) = if deflate {
            let mut tee = Tee {
                inner: flate2::write::DeflateEncoder::new(&mut self.out, LEVEL),
                crc: flate2::Crc::new(),
                size: 0,
            };
            body(&mut tee);
            tee.inner.finish().unwrap();
            (tee.crc.sum(), tee.size)
        } else {
            let mut tee = Tee {
                inner: &mut self.out,
                crc: flate2::Crc::new(),
                size: 0,
            };
            body(&mut tee);
            (tee.crc.sum(), tee.size)
        };
        let packed = (self.out.n - start) as u32;
        let claimed = declared.unwrap_or(size) as u32;
        let mut desc = Vec::new();
        desc.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        desc.extend_from_slice(&crc.to_le_bytes());
        desc.extend_from_slice(&packed.to_le_bytes());
        desc.extend_from_slice(&claimed.to_le_bytes());
        self.out.write_all(&desc).unwrap();
        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&8u16.to_le_bytes());
        c.extend_from_slice(&method.to_le_bytes());
        c.extend_from_slice(&[0u8; 4]);
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&packed.to_le_bytes());
        c.extend_from_slice(&claimed.to_le_bytes());
        c.extend_from_slice(&(name.len() as u16).to_le_bytes());
        c.extend_from_slice(&[0u8; 12]);
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.count += 1;
    }

    fn bytes(&mut self, name: &str, data: &[u8]) {
        self.add(name, true, None, &mut |w| w.write_all(data).unwrap());
    }

    fn finish(mut self) {
        let at = self.out.n as u32;
        let central = std::mem::take(&mut self.central);
        self.out.write_all(&central).unwrap();
        let mut end = Vec::new();
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0u8; 4]);
        end.extend_from_slice(&self.count.to_le_bytes());
        end.extend_from_slice(&self.count.to_le_bytes());
        end.extend_from_slice(&(central.len() as u32).to_le_bytes());
        end.extend_from_slice(&at.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&end).unwrap();
        self.out.flush().unwrap();
    }
}

/// `n` bytes of `byte`, written 1 MiB at a time.
fn fill(w: &mut dyn Write, byte: u8, n: u64) {
    let chunk = vec![byte; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..k]).unwrap();
        left -= k as u64;
    }
}

/// A `.shp`/`.shx` main header for a file of `len` bytes.
fn shp_header(len: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994i32.to_be_bytes());
    h.extend_from_slice(&[0u8; 20]);
    h.extend_from_slice(&((len / 2) as i32).to_be_bytes());
    h.extend_from_slice(&1000i32.to_le_bytes());
    h.extend_from_slice(&5i32.to_le_bytes()); // polygons
    for v in [123.5f64, -10.3, 123.7, -10.1, 0.0, 0.0, 0.0, 0.0] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h
}

/// The records the bomb's `.shx` and `.dbf` declare, and hold.
const BOMB_RECORDS: u64 = 134_000_000;

/// The hostile upload of issue 16, about 1.3 MB: a zipped Shapefile whose `.shx` (a gigabyte of
/// zeros after its header) and `.dbf` (268 MB of blank one-character records) declare 134
/// million records each, and hold them, so headers and sizes agree: GDAL 3.6 reading it through
/// `/vsizip/` allocates about 2 GB for the index and then walks 134 million empty records for
/// minutes. Written once per test run.
fn bomb_zip() -> PathBuf {
    static BOMB: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        let path = tmp("bomb").join("bomb.zip");
        let mut z = ZipOut::create(&path);
        z.bytes("bomb.shp", &shp_header(100));
        z.bytes(
            "bomb.prj",
            br#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]"#,
        );
        z.add("bomb.shx", true, None, &mut |w| {
            w.write_all(&shp_header(100 + 8 * BOMB_RECORDS)).unwrap();
            fill(w, 0, 8 * BOMB_RECORDS);
        });
        z.add("bomb.dbf", true, None, &mut |w| {
            let mut h = vec![0u8; 32];
            h[0] = 3;
            h[4..8].copy_from_slice(&(BOMB_RECORDS as u32).to_le_bytes());
            h[8..10].copy_from_slice(&65u16.to_le_bytes());
            h[10..12].copy_from_slice(&2u16.to_le_bytes());
            let mut field = b"F".to_vec();
            field.resize(11, 0);
            field.push(b'C');
            field.extend_from_slice(&[0, 0, 0, 0, 1, 0]);
            field.resize(32, 0);
            h.extend_from_slice(&field);
            h.push(0x0D);
            w.write_all(&h).unwrap();
            fill(w, b' ', 2 * BOMB_RECORDS);
        });
        z.finish();
        path
    })
    .clone()
}

/// A `VmRSS`/`VmHWM` figure of a process, in KiB.
fn proc_kib(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// The real `ruang serve` on a free port over `db_url`, with `TMPDIR` (where uploads go) set to
/// `tmpdir`; killed on drop.
struct Server {
    child: std::process::Child,
    base: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(db_url: &str, tmpdir: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tmpdir.join("server.log");
        let child = Command::new(env!("CARGO_BIN_EXE_ruang"))
            .args(["serve", "--no-demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", db_url)
            .env("TMPDIR", tmpdir)
            .env("RUANG_LOG", "info,sqlx=warn")
            .env_remove("RUANG_CONFIG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!(
                    "ruang serve exited ({status}): {}",
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
            }
            let ready = reqwest::get(format!("{}/readyz", server.base))
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "ruang serve not ready: {}",
                std::fs::read_to_string(&server.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Our work folders (`ruang-import-<uuid>`) in `dir`.
fn work_folders(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            n.strip_prefix("ruang-import-")
                .is_some_and(|r| uuid::Uuid::parse_str(r).is_ok())
        })
        .collect()
}

#[tokio::test]
async fn a_zip_bomb_is_refused_at_once_and_memory_stays_bounded() {
    // Peak memory of the server may grow by at most this over idle (README, Import and export).
    const RSS_BOUND_KIB: u64 = 300 * 1024;
    // Generous for a loaded CI machine; the refusal itself takes milliseconds.
    const TIME_BOUND: Duration = Duration::from_secs(20);
    let bomb = tokio::task::spawn_blocking(bomb_zip).await.unwrap();
    let bytes = std::fs::read(&bomb).unwrap();
    assert!(bytes.len() < 2_000_000, "the bomb is {} bytes", bytes.len());
    let (pool, url) = common::migrated_database("import_bomb").await;
    let planner = common::user_with_token(&pool, "planner").await;
    let dir = tmp("bomb-serve");
    let server = Server::start(&url, &dir).await;
    let idle = proc_kib(server.pid(), "VmRSS");

    let (ct, body) = multipart(&[("into", "parcels")], Some(("bomb.zip", &bytes)));
    let started = std::time::Instant::now();
    let res = reqwest::Client::new()
        .post(format!("{}/api/imports", server.base))
        .bearer_auth(&planner)
        .header("content-type", ct)
        .body(body)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let peak = proc_kib(server.pid(), "VmHWM");
    assert_eq!(status, 413, "{text}");
    let problem = json_of(text.as_bytes());
    assert!(
        problem["detail_en"]
            .as_str()
            .unwrap()
            .contains("import_max_uncompressed_bytes"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("melebihi batas"),
        "{problem}"
    );
    assert!(elapsed < TIME_BOUND, "refused after {elapsed:?}");
    assert!(
        peak.saturating_sub(idle) < RSS_BOUND_KIB,
        "peak {peak} KiB against {idle} KiB idle"
    );
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "no job was started");
    assert_eq!(
        work_folders(&dir),
        Vec::<String>::new(),
        "the upload is gone"
    );
    drop(server);

    // With a size cap that lets its 1.3 GB through, the bomb's declared 134 million features
    // refuse it, read from the first bytes of the members, before anything is unpacked.
    let big = ruang::AppState::new(
        pool.clone(),
        Config {
            import_max_uncompressed_bytes: 2 << 30,
            ..Config::default()
        },
    )
    .await
    .unwrap();
    let (ct, body) = multipart(&[("into", "parcels")], Some(("bomb.zip", &bytes)));
    let started = std::time::Instant::now();
    let (st, _, b) = call(&ruang::app(big), post_import(Some(&planner), &ct, body)).await;
    assert_eq!(
        st,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let p = json_of(&b);
    let en = p["detail_en"].as_str().unwrap();
    assert!(
        en.contains("declares 134000000 features") && en.contains("import_max_features"),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("fitur"), "{p}");
    assert!(started.elapsed() < TIME_BOUND);

    // The command line refuses it the same way.
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .arg("import")
        .arg(&bomb)
        .args(["--into", "parcels"])
        .env("DATABASE_URL", &url)
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("import_max_uncompressed_bytes"), "{err}");
    assert!(started.elapsed() < TIME_BOUND);
}

/// One parcel square as GeoJSON bytes.
fn parcel_geojson(number: &str) -> Vec<u8> {
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"parcel_number": number},
         "geometry": square(123.601, -10.165, 0.0005)}]})
    .to_string()
    .into_bytes()
}

async fn wait_for_job(app: &axum::Router, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let req = Request::get(format!("/api/imports/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (st, _, b) = call(app, req).await;
        assert_eq!(st, StatusCode::OK);
        let job = json_of(&b);
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} still running");
}

#[tokio::test]
async fn archive_limits_hold_even_when_the_zip_lies_about_its_sizes() {
    let (pool, url) = common::migrated_database("import_caps").await;
    let planner = common::user_with_token(&pool, "planner").await;
    let app = ruang::app(
        ruang::AppState::new(
            pool.clone(),
            Config {
                import_max_uncompressed_bytes: 1 << 20,
                import_max_archive_members: 4,
                ..Config::default()
            },
        )
        .await
        .unwrap(),
    );
    let dir = tmp("caps");
    let upload = |name: &str| {
        let (ct, body) = multipart(
            &[("into", "parcels")],
            Some((name, &std::fs::read(dir.join(name)).unwrap())),
        );
        post_import(Some(&planner), &ct, body)
    };

    // A parcel and 2 MiB of zeros, honestly declared: over the 1 MiB cap.
    let mut z = ZipOut::create(&dir.join("honest.zip"));
    z.bytes("petak.geojson", &parcel_geojson("CAP-1"));
    z.add("padding.bin", true, None, &mut |w| fill(w, 0, 2 << 20));
    z.finish();
    let (st, _, b) = call(&app, upload("honest.zip")).await;
    assert_eq!(
        st,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let p = json_of(&b);
    assert!(
        p["detail_en"]
            .as_str()
            .unwrap()
            .contains("'padding.bin' 2097152 bytes")
            && p["detail_en"]
                .as_str()
                .unwrap()
                .contains("import_max_uncompressed_bytes"),
        "{p}"
    );
    assert!(
        p["detail"].as_str().unwrap().contains("melebihi batas"),
        "{p}"
    );

    // The same 2 MiB claiming to be 1,000 bytes: refused while unpacking, at byte 1,001.
    let mut z = ZipOut::create(&dir.join("liar.zip"));
    z.bytes("petak.geojson", &parcel_geojson("CAP-2"));
    z.add("padding.bin", true, Some(1000), &mut |w| {
        fill(w, 0, 2 << 20)
    });
    z.finish();
    let (st, _, b) = call(&app, upload("liar.zip")).await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let p = json_of(&b);
    assert!(
        p["detail_en"]
            .as_str()
            .unwrap()
            .contains("'padding.bin' claims 1000 bytes but unpacks to more"),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("berbohong"), "{p}");

    // More members than allowed.
    let mut z = ZipOut::create(&dir.join("many.zip"));
    for i in 0..5 {
        z.bytes(&format!("f{i}.txt"), b"x");
    }
    z.finish();
    let (st, _, b) = call(&app, upload("many.zip")).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        json_of(&b)["detail_en"]
            .as_str()
            .unwrap()
            .contains("holds 5 files; at most 4 are accepted (import_max_archive_members)")
    );

    // Within the limits the archive imports.
    let mut z = ZipOut::create(&dir.join("fine.zip"));
    z.bytes("petak.geojson", &parcel_geojson("CAP-3"));
    z.bytes("BACA.txt", b"satu bidang");
    z.finish();
    let (st, _, b) = call(&app, upload("fine.zip")).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&b));
    let id = json_of(&b)["id"].as_str().unwrap().to_string();
    let job = wait_for_job(&app, &planner, &id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT parcel_number FROM parcels ORDER BY parcel_number")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        numbers,
        ["CAP-3"],
        "nothing of the refused archives was written"
    );

    // `ruang import` runs under the same limits, from the config file.
    let config = dir.join("ruang.toml");
    std::fs::write(&config, "import_max_uncompressed_bytes = 1048576\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .arg("import")
        .arg(dir.join("liar.zip"))
        .args(["--into", "parcels"])
        .env("DATABASE_URL", &url)
        .env("RUANG_CONFIG", &config)
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("claims 1000 bytes but unpacks to more"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .arg("import")
        .arg(dir.join("honest.zip"))
        .args(["--into", "parcels"])
        .env("DATABASE_URL", &url)
        .env("RUANG_CONFIG", &config)
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("import_max_uncompressed_bytes"), "{err}");
}

/// Three parcels as a Shapefile written by GDAL into `dir/name/`: (shp, shx, dbf) paths.
fn three_parcel_shapefile(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let src = json!({"type": "FeatureCollection", "features": (1..=3).map(|i| json!(
        {"type": "Feature", "properties": {"parcel_number": format!("SHP-{i}")},
         "geometry": square(123.60 + 0.001 * f64::from(i), -10.165, 0.0005)})).collect::<Vec<_>>()});
    let src_path = write_json(dir, &format!("{name}.geojson"), &src);
    let out = dir.join(name);
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        out.to_str().unwrap(),
        src_path.to_str().unwrap(),
        "-nln",
        "petak",
    ]);
    (
        out.join("petak.shp"),
        out.join("petak.shx"),
        out.join("petak.dbf"),
    )
}

fn patch(path: &Path, at: usize, bytes: &[u8]) {
    let mut b = std::fs::read(path).unwrap();
    b[at..at + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, b).unwrap();
}

#[tokio::test]
async fn shapefiles_whose_counts_disagree_with_their_sizes_never_reach_gdal() {
    let (pool, _url) = common::migrated_database("import_shpcheck").await;
    let dir = tmp("shpcheck");
    let import_shp = |shp: PathBuf| {
        let pool = pool.clone();
        async move { import(&pool, &shp, Target::Parcels, None, None, true).await }
    };
    let (shp, _, _) = three_parcel_shapefile(&dir, "good");
    let r = import_shp(shp).await.unwrap();
    assert_eq!(r.read, 3, "{r}");

    // (file to patch, offset, bytes, what the refusal says)
    let words = ((100 + 8 * BOMB_RECORDS) / 2) as i32;
    let cases: Vec<(&str, &str, usize, Vec<u8>, &str)> = vec![
        (
            "shx-claims-more",
            "shx",
            24,
            words.to_be_bytes().to_vec(),
            "petak.shx says it is 1072000100 bytes long but is 124 bytes",
        ),
        (
            "dbf-claims-more",
            "dbf",
            4,
            (BOMB_RECORDS as u32).to_le_bytes().to_vec(),
            "declares 134000000 records of",
        ),
        (
            "dbf-claims-fewer",
            "dbf",
            4,
            2u32.to_le_bytes().to_vec(),
            "declares 2 records of",
        ),
        (
            // The third record's offset (in 16-bit words) far past the end of the .shp.
            "shx-points-outside",
            "shx",
            100 + 16,
            1_000_000i32.to_be_bytes().to_vec(),
            "petak.shx record 3 points outside petak.shp",
        ),
    ];
    for (name, ext, at, bytes, needle) in &cases {
        let (shp, shx, dbf) = three_parcel_shapefile(&dir, name);
        patch(if *ext == "shx" { &shx } else { &dbf }, *at, bytes);
        let e = import_shp(shp).await.unwrap_err();
        assert!(matches!(e, ImportError::BadFile { .. }), "{name}: {e}");
        assert!(e.to_string().contains(needle), "{name}: {e}");
        assert!(
            e.detail_id().contains("tidak dibaca"),
            "{name}: {}",
            e.detail_id()
        );
    }
    // A .dbf holding fewer records than the .shx lists (both consistent with their sizes).
    let (shp, _, dbf) = three_parcel_shapefile(&dir, "counts-differ");
    let mut b = std::fs::read(&dbf).unwrap();
    let record = usize::from(u16::from_le_bytes([b[10], b[11]]));
    b[4..8].copy_from_slice(&2u32.to_le_bytes());
    let end = b.len() - 1 - record;
    b.truncate(end);
    std::fs::write(&dbf, &b).unwrap();
    let e = import_shp(shp).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("petak.shx lists 3 shapes but petak.dbf holds 2 records"),
        "{e}"
    );

    // Zipped and uploaded: 422 before any job, naming the member and the archive.
    let planner = common::user_with_token(&pool, "planner").await;
    let app = ruang::app(
        ruang::AppState::new(pool.clone(), Config::default())
            .await
            .unwrap(),
    );
    let (shp, shx, dbf) = three_parcel_shapefile(&dir, "zipped");
    patch(&shx, 24, &words.to_be_bytes());
    let mut z = ZipOut::create(&dir.join("petak.zip"));
    for p in [&shp, &shx, &dbf] {
        z.bytes(
            p.file_name().unwrap().to_str().unwrap(),
            &std::fs::read(p).unwrap(),
        );
    }
    z.finish();
    let (ct, body) = multipart(
        &[("into", "parcels")],
        Some(("petak.zip", &std::fs::read(dir.join("petak.zip")).unwrap())),
    );
    let (st, _, b) = call(&app, post_import(Some(&planner), &ct, body)).await;
    assert_eq!(
        st,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let p = json_of(&b);
    assert!(
        p["detail_en"]
            .as_str()
            .unwrap()
            .contains("petak.shx (petak.zip) says it is 1072000100 bytes long but is 124 bytes"),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("dipalsukan"), "{p}");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM import_jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0);
}

async fn import_with(
    pool: &PgPool,
    path: &Path,
    s_srs: Option<u32>,
    limits: ImportLimits,
) -> Result<Report, ImportError> {
    ruang::import::import(
        pool,
        ImportOptions {
            read: ReadOptions {
                path: path.to_string_lossy().to_string(),
                layer: None,
                s_srs,
                map: Vec::new(),
            },
            target: Target::Parcels,
            plan: None,
            dry_run: true,
            display_name: None,
            limits,
            job: None,
        },
        Arc::new(Progress::default()),
    )
    .await
}

async fn import_layer(
    pool: &PgPool,
    path: &Path,
    layer: &str,
    limits: ImportLimits,
) -> Result<Report, ImportError> {
    ruang::import::import(
        pool,
        ImportOptions {
            read: ReadOptions {
                path: path.to_string_lossy().to_string(),
                layer: Some(layer.to_string()),
                s_srs: None,
                map: Vec::new(),
            },
            target: Target::Parcels,
            plan: None,
            dry_run: true,
            display_name: None,
            limits,
            job: None,
        },
        Arc::new(Progress::default()),
    )
    .await
}

#[tokio::test]
async fn the_feature_cap_refuses_a_layer_with_more_features() {
    let (pool, _url) = common::migrated_database("import_featcap").await;
    let dir = tmp("featcap");
    let two = ImportLimits {
        max_features: 2,
        ..ImportLimits::default()
    };
    // A Shapefile: its headers declare 3, refused before GDAL opens it.
    let (shp, _, _) = three_parcel_shapefile(&dir, "three");
    let e = import_with(&pool, &shp, None, two.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::Limit { .. }), "{e}");
    assert!(
        e.to_string().contains(
            "petak.shx declares 3 features; at most 2 may be imported at once (import_max_features)"
        ),
        "{e}"
    );
    // GeoJSON: the driver knows its count.
    let src = dir.join("three.geojson");
    let e = import_with(&pool, &src, None, two.clone())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the layer 'three' holds 3 features; at most 2"),
        "{e}"
    );
    assert!(
        e.detail_id().contains("paling banyak 2 fitur"),
        "{}",
        e.detail_id()
    );
    // GPX: the driver does not know the count without reading, so the third feature stops it.
    let gpx = dir.join("three.gpx");
    std::fs::write(
        &gpx,
        r#"<?xml version="1.0"?>
<gpx version="1.1" creator="ruang test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="-10.16" lon="123.60"><name>a</name></wpt>
<wpt lat="-10.16" lon="123.61"><name>b</name></wpt>
<wpt lat="-10.16" lon="123.62"><name>c</name></wpt>
</gpx>"#,
    )
    .unwrap();
    let e = import_layer(&pool, &gpx, "waypoints", two)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the layer 'waypoints' holds more than 2 features"),
        "{e}"
    );
    assert!(e.detail_id().contains("lebih dari 2"), "{}", e.detail_id());
    // At the cap they import.
    let three = ImportLimits {
        max_features: 3,
        ..ImportLimits::default()
    };
    for p in [&shp, &src] {
        let r = import_with(&pool, p, None, three.clone()).await.unwrap();
        assert_eq!(r.read, 3, "{r}");
    }
    // (waypoints are points: rejected from parcels, but all three are read)
    let r = import_layer(&pool, &gpx, "waypoints", three).await.unwrap();
    assert_eq!((r.read, r.rejected), (3, 3), "{r}");

    // Over HTTP: 413 at the upload.
    let planner = common::user_with_token(&pool, "planner").await;
    let app = ruang::app(
        ruang::AppState::new(
            pool.clone(),
            Config {
                import_max_features: 2,
                ..Config::default()
            },
        )
        .await
        .unwrap(),
    );
    let (ct, body) = multipart(
        &[("into", "parcels")],
        Some(("three.geojson", &std::fs::read(&src).unwrap())),
    );
    let (st, _, b) = call(&app, post_import(Some(&planner), &ct, body)).await;
    assert_eq!(
        st,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert!(
        json_of(&b)["detail_en"]
            .as_str()
            .unwrap()
            .contains("import_max_features")
    );
}

#[tokio::test]
async fn reading_stops_after_max_rejected_features_and_the_report_says_so() {
    let (pool, url) = common::migrated_database("import_maxrej").await;
    let dir = tmp("maxrej");
    // Ten features without geometry: every one is rejected.
    let src = json!({"type": "FeatureCollection", "features": (1..=10).map(|i| json!(
        {"type": "Feature", "properties": {"parcel_number": format!("R-{i}")}, "geometry": null}))
        .collect::<Vec<_>>()});
    let path = write_json(&dir, "empty.geojson", &src);
    let three = ImportLimits {
        max_rejected: 3,
        ..ImportLimits::default()
    };
    let r = import_with(&pool, &path, Some(4326), three).await.unwrap();
    assert_eq!((r.read, r.rejected, r.imported), (3, 3, 0), "{r}");
    let stopped = r.stopped.as_ref().expect("the report says reading stopped");
    assert_eq!(stopped.after_rejected, 3);
    assert!(
        stopped
            .detail
            .contains("pembacaan berhenti setelah 3 fitur ditolak")
    );
    let text = r.to_string();
    assert!(
        text.contains("reading stopped after 3 rejected features (import_max_rejected)"),
        "{text}"
    );
    // Without the cap every feature is read.
    let r = import_with(&pool, &path, Some(4326), ImportLimits::default())
        .await
        .unwrap();
    assert_eq!((r.read, r.rejected), (10, 10), "{r}");
    assert!(r.stopped.is_none());
    // The command line, from the config file.
    let config = dir.join("ruang.toml");
    std::fs::write(&config, "import_max_rejected = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ruang"))
        .arg("import")
        .arg(&path)
        .args(["--into", "parcels", "--s-srs", "EPSG:4326", "--json"])
        .env("DATABASE_URL", &url)
        .env("RUANG_CONFIG", &config)
        .env("RUANG_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["read"], 3, "{report}");
    assert_eq!(report["stopped"]["after_rejected"], 3, "{report}");
    assert!(
        report["stopped"]["detail_en"]
            .as_str()
            .unwrap()
            .contains("the rest of the file was not checked")
    );
}

fn delete_import(token: Option<&str>, id: &str) -> Request<Body> {
    let mut r = Request::delete(format!("/api/imports/{id}"));
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}

async fn get_job(app: &axum::Router, token: &str, id: &str) -> Value {
    let req = Request::get(format!("/api/imports/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (st, _, b) = call(app, req).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    json_of(&b)
}

#[tokio::test]
async fn delete_cancels_a_running_import_and_nothing_is_written() {
    const N: u32 = 200_000;
    let (pool, url) = common::migrated_database("import_cancel").await;
    let app = ruang::app(
        ruang::AppState::new(
            pool.clone(),
            Config {
                body_limit_bytes: 512 << 20,
                ..Config::default()
            },
        )
        .await
        .unwrap(),
    );
    let planner = common::user_with_token(&pool, "planner").await;
    let other_planner = common::user_with_token(&pool, "planner").await;
    let admin = common::user_with_token(&pool, "admin").await;
    let applicant = common::user_with_token(&pool, "pemohon").await;

    // 200,000 parcels (9-vertex rings on a grid over Kupang) in a GeoPackage made by PostGIS.
    let dir = tmp("cancel");
    let gpkg = dir.join("petak.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        &format!("PG:{url}"),
        "-nln",
        "petak",
        "-nlt",
        "MULTIPOLYGON",
        "-sql",
        &format!(
            "SELECT 'CANCEL-' || i AS parcel_number, \
                    ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(123.55 + (i % 500) * 0.0002, \
                    -10.20 + (i / 500) * 0.0002), 4326), 0.00008, 'quad_segs=2')) AS geom \
               FROM generate_series(1, {N}) AS i"
        ),
    ]);
    let bytes = std::fs::read(&gpkg).unwrap();

    // Parcel numbers made unique, and another transaction holding #150,000 uncommitted: the
    // job's COPY waits there, three quarters through the file, until it is cancelled.
    sqlx::query("CREATE UNIQUE INDEX parcels_number_test ON parcels (parcel_number)")
        .execute(&pool)
        .await
        .unwrap();
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO parcels (kind, parcel_number, geom) VALUES ('terdaftar', 'CANCEL-150000', \
         ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(123.6, -10.17), 4326), 0.0001)))",
    )
    .execute(&mut *blocker)
    .await
    .unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM parcels")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = count().await;

    let (ct, body) = multipart(&[("into", "parcels")], Some(("petak.gpkg", &bytes)));
    let (st, _, b) = call(&app, post_import(Some(&planner), &ct, body)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&b));
    let id = json_of(&b)["id"].as_str().unwrap().to_string();
    let folder = std::env::temp_dir().join(format!("ruang-import-{id}"));
    assert!(folder.join("upload/petak.gpkg").exists());

    // Running, past feature 150,000, its COPY waiting for the lock.
    let started = std::time::Instant::now();
    loop {
        let job = get_job(&app, &planner, &id).await;
        assert_eq!(job["status"], "running", "{job}");
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
               AND query LIKE 'COPY parcels %' AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if waiting == 1 && job["progress"]["read"].as_i64().unwrap() >= 150_000 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the import never reached feature 150,000: {job}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Who may cancel: the owner or an admin.
    let (st, _, _) = call(&app, delete_import(None, &id)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, _) = call(&app, delete_import(Some(&applicant), &id)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, b) = call(&app, delete_import(Some(&other_planner), &id)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(
        json_of(&b)["detail"]
            .as_str()
            .unwrap()
            .contains("Hanya pengunggah")
    );
    for unknown in ["00000000-0000-0000-0000-000000000000", "x"] {
        let (st, _, _) = call(&app, delete_import(Some(&planner), unknown)).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{unknown}");
    }

    let (st, _, b) = call(&app, delete_import(Some(&planner), &id)).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let job = json_of(&b);
    assert_eq!(job["status"], "cancelled", "{job}");
    assert_eq!(
        job["error"]["detail_en"],
        "The import was cancelled; nothing was written."
    );
    assert!(
        job["error"]["detail"]
            .as_str()
            .unwrap()
            .contains("dibatalkan")
    );

    // The waiting COPY is interrupted at once (the blocker still holds its row), the
    // transaction rolled back, the folder removed.
    let started = std::time::Instant::now();
    while folder.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the job's folder is still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
           AND (application_name = $1 OR state <> 'idle' AND query LIKE 'COPY parcels %')",
    )
    .bind(format!("ruang-import-{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the import's transaction has ended");
    blocker.rollback().await.unwrap();
    assert_eq!(count().await, before, "nothing was written");
    let job = get_job(&app, &planner, &id).await;
    assert_eq!(
        job["status"], "cancelled",
        "the worker left it cancelled: {job}"
    );
    assert!(job["finished_at"].is_string());

    // Cancelling an ended job: 409, for the owner and for an admin.
    for t in [&planner, &admin] {
        let (st, _, b) = call(&app, delete_import(Some(t), &id)).await;
        assert_eq!(st, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&b));
        assert!(
            json_of(&b)["detail_en"]
                .as_str()
                .unwrap()
                .contains("status cancelled")
        );
    }
    let (ct, body) = multipart(
        &[("into", "parcels")],
        Some(("satu.geojson", &parcel_geojson("DONE-1"))),
    );
    let (st, _, b) = call(&app, post_import(Some(&planner), &ct, body)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&b));
    let done = json_of(&b)["id"].as_str().unwrap().to_string();
    let job = wait_for_job(&app, &planner, &done).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["report"]["imported"], 1, "{job}");
    let (st, _, b) = call(&app, delete_import(Some(&admin), &done)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(
        json_of(&b)["detail"]
            .as_str()
            .unwrap()
            .contains("sudah selesai (status succeeded)")
    );
    assert_eq!(count().await, before + 1);
}

#[tokio::test]
async fn a_starting_server_removes_abandoned_upload_folders_and_fails_dead_jobs() {
    use std::fs::File;
    let (pool, url) = common::migrated_database("import_stale").await;
    let dir = tmp("stale");
    // A killed process's upload: its lock file is there, nobody holds it.
    let dead = dir.join(format!("ruang-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dead.join("upload")).unwrap();
    File::create(dead.join(".lock")).unwrap();
    std::fs::write(dead.join("upload/zona.zip"), b"PK").unwrap();
    // The upload of a job another live server on this machine runs: its lock is held.
    let live = dir.join(format!("ruang-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&live).unwrap();
    let held = File::create(live.join(".lock")).unwrap();
    held.lock().unwrap();
    // An older version's folder (no lock) untouched for an hour, and a fresh one.
    let old = dir.join("ruang-import-a1B2c3");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("zona.gpkg"), b"x").unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for p in [old.join("zona.gpkg"), old.clone()] {
        File::open(&p).unwrap().set_modified(hour_ago).unwrap();
    }
    let fresh = dir.join("ruang-import-z9Y8x7");
    std::fs::create_dir_all(&fresh).unwrap();
    // Not ours.
    let other = dir.join("ruang-import-test-keep");
    std::fs::create_dir_all(&other).unwrap();

    let job = |heartbeat: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, uuid::Uuid>(&format!(
                "INSERT INTO import_jobs (target, file_name, heartbeat_at) \
                 VALUES ('parcels', 'petak.zip', {heartbeat}) RETURNING id"
            ))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let dead_job = job("now() - interval '5 minutes'").await;
    let live_job = job("now()").await;

    let server = Server::start(&url, &dir).await;
    assert!(!dead.exists(), "the abandoned upload is removed");
    assert!(
        !old.exists(),
        "the old version's abandoned upload is removed"
    );
    assert!(live.exists(), "another live server's upload is kept");
    assert!(fresh.exists() && other.exists());
    let status = |id: uuid::Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, Option<String>, Option<String>)>(
                "SELECT status, error_id, error_en FROM import_jobs WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (st, id_text, en_text) = status(dead_job).await;
    assert_eq!(st, "failed");
    assert!(
        en_text
            .unwrap()
            .contains("The server stopped while the import ran"),
        "a reason in English"
    );
    assert!(
        id_text.unwrap().contains("Server berhenti"),
        "and in Indonesian"
    );
    assert_eq!(status(live_job).await.0, "running");
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("cleaned up after import jobs of a stopped server"),
        "{log}"
    );
    drop(server);
    drop(held);
}
