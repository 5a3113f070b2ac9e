//! Tiles cut in-process (`render = "memory"`) against PostGIS's `ST_AsMVT` of the same tile, in
//! a real PostGIS with the demo city: every tile of z12-z17 over the city, for each layer cut
//! in memory, decodes to the same features with the same properties, and the same geometry
//! within one tile unit on the tile's own square (what a map shows; the 64-unit buffer only
//! hides seams): the parts only one rendering covers are each at most one unit wide on average
//! (twice their area over their outline) and together no larger than the outline's length.
//! A feature may be on one side only when nothing of it reaches the tile's square (a sliver in
//! the buffer one clipper keeps). The counts (features, vertices over one unit off, buffer-only
//! slivers) are printed. And the in-process snapshot follows edits through the change feed.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use futures_util::StreamExt;
use geo::{Area, BooleanOps, Distance, Euclidean, Length};
use ruang::config::Config;

const LAYERS: [&str; 2] = ["zones", "parcels"];

async fn state_on(url: &str) -> ruang::AppState {
    let config = Config {
        tile_cache_bytes: 0,
        ..Config::default()
    };
    common::TestApp::with_config(url, config).await.state
}

/// Every tile x/y of zoom `z` over the lon/lat box.
fn tiles_over(b: [f64; 4], z: u8) -> Vec<(u32, u32)> {
    let (x0, y0) = common::tile_of(b[0], b[3], z);
    let (x1, y1) = common::tile_of(b[2], b[1], z);
    (x0..=x1)
        .flat_map(|x| (y0..=y1).map(move |y| (x, y)))
        .collect()
}

type Decoded = HashMap<
    u64,
    (
        HashMap<String, mvt_reader::feature::Value>,
        geo::MultiPolygon<f64>,
    ),
>;

/// The features of layer `name` in an MVT, by id.
fn decode(bytes: &[u8], name: &str) -> Decoded {
    let mut out = HashMap::new();
    if bytes.is_empty() {
        return out;
    }
    let reader = mvt_reader::Reader::new(bytes.to_vec()).expect("a valid MVT");
    let layers = reader.get_layer_metadata().expect("layers");
    for l in layers.iter().filter(|l| l.name == name) {
        assert_eq!(l.extent, 4096);
        for f in reader
            .get_features_as::<f64>(l.layer_index)
            .expect("features")
        {
            let id = f.id.expect("every feature has an id");
            let geom = match f.geometry {
                geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                other => panic!("feature {id} of {name} is not a polygon: {other:?}"),
            };
            let props = f.properties.unwrap_or_default();
            assert!(
                out.insert(id, (props, geom)).is_none(),
                "feature {id} is twice in one tile of {name}"
            );
        }
    }
    out
}

/// The part of a decoded geometry inside the tile's own square (0..4096 on both axes).
fn visible(g: &geo::MultiPolygon<f64>) -> geo::MultiPolygon<f64> {
    let square = geo::Rect::new((0.0, 0.0), (4096.0, 4096.0)).to_polygon();
    g.intersection(&geo::MultiPolygon(vec![square]))
}

/// The largest distance from a vertex of `a` to the boundary of `b` (tile units).
fn reach(a: &geo::MultiPolygon<f64>, b: &geo::MultiPolygon<f64>) -> f64 {
    let rings: Vec<&geo::LineString<f64>> =
        b.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect();
    a.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.points())
        .map(|pt| {
            rings
                .iter()
                .map(|r| Euclidean.distance(&pt, *r))
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max)
}

#[tokio::test]
async fn every_tile_cut_in_memory_equals_postgis_rendering_of_it() {
    let url = common::demo_database("tiles_memory").await;
    let state = state_on(&url).await;
    let pool = state.pool.clone();
    let bbox: (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) \
         FROM (SELECT ST_Extent(geom) AS e FROM admin_areas WHERE level = 'kota') s",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let bbox = [bbox.0, bbox.1, bbox.2, bbox.3];
    let mut failures = Vec::new();
    for name in LAYERS {
        common::memory_ready(&state, name).await;
        let def = &state
            .tiles
            .layers
            .iter()
            .find(|l| l.def.name == name)
            .expect("layer")
            .def;
        let (mut tiles, mut features, mut worst) = (0usize, 0usize, 0.0f64);
        let mut mismatches: Vec<String> = Vec::new();
        let mut buffer_only = 0usize;
        let mut vertex_off = 0usize;
        let mut worst_at = String::new();
        for z in def.minzoom.max(12)..=17 {
            let sql = ruang::tiles::sql::tile_query(&[def], z).expect("visible");
            let list = tiles_over(bbox, z);
            let postgis: Vec<((u32, u32), Vec<u8>)> = futures_util::stream::iter(list)
                .map(|(x, y)| {
                    let (pool, sql) = (pool.clone(), sql.clone());
                    async move {
                        let bytes: Vec<u8> = sqlx::query_scalar(&sql)
                            .bind(i32::from(z))
                            .bind(x as i32)
                            .bind(y as i32)
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                        ((x, y), bytes)
                    }
                })
                .buffer_unordered(6)
                .collect()
                .await;
            for ((x, y), pg_bytes) in postgis {
                let here = format!("{name} {z}/{x}/{y}");
                let mem_bytes = state
                    .tiles
                    .render_in_memory(name, z, x, y)
                    .expect("the snapshot is current");
                let mem = decode(&mem_bytes, name);
                let pg = decode(&pg_bytes, name);
                let mut ids: Vec<u64> = pg.keys().chain(mem.keys()).copied().collect();
                ids.sort();
                ids.dedup();
                tiles += 1;
                for id in ids {
                    let (Some((pp, pgeom)), Some((mp, mgeom))) = (pg.get(&id), mem.get(&id)) else {
                        // on one side only: allowed only for a sliver in the buffer, which
                        // one clipper keeps and the other drops
                        let (side, (_, g)) = match (pg.get(&id), mem.get(&id)) {
                            (Some(f), _) => ("PostGIS", f),
                            (_, Some(f)) => ("memory", f),
                            _ => unreachable!(),
                        };
                        if visible(g).unsigned_area() > 0.0 {
                            mismatches.push(format!(
                                "{here} feature {id}: only in the {side} tile\n {g:?}"
                            ));
                        }
                        buffer_only += 1;
                        continue;
                    };
                    assert_eq!(mp, pp, "{here} feature {id}: properties differ");
                    // what a map shows: the tile's own square (the buffer around it only
                    // joins neighbouring tiles without seams)
                    let (mgeom, pgeom) = (visible(mgeom), visible(pgeom));
                    let d = reach(&mgeom, &pgeom).max(reach(&pgeom, &mgeom));
                    if d > std::f64::consts::SQRT_2 + 1e-9 {
                        // a vertex off its diagonal neighbour: allowed only where the two
                        // differ by slivers, measured below
                        vertex_off += 1;
                    }
                    // the parts covered by one rendering only, each as wide on average as
                    // twice its area over its outline's length
                    let diff = mgeom.xor(&pgeom);
                    let widest = diff
                        .0
                        .iter()
                        .map(|p| {
                            let outline: f64 = std::iter::once(p.exterior())
                                .chain(p.interiors())
                                .map(|r| Euclidean.length(r))
                                .sum();
                            2.0 * p.unsigned_area() / outline.max(1e-9)
                        })
                        .fold(0.0, f64::max);
                    let perimeter: f64 =
                        pgeom.0.iter().map(|p| Euclidean.length(p.exterior())).sum();
                    let area = diff.unsigned_area();
                    if widest > 1.0 + 1e-9 || area > perimeter.max(4.0) {
                        mismatches.push(format!(
                            "{here} feature {id}: a difference {widest:.2} units wide, \
                             {area:.1} units² in all (outline {perimeter:.0})\n \
                             memory:  {mgeom:?}\n postgis: {pgeom:?}"
                        ));
                    }
                    if d > worst {
                        worst = d;
                        worst_at = format!(
                            "{here} feature {id}\n memory:  {mgeom:?}\n postgis: {pgeom:?}"
                        );
                    }
                    features += 1;
                }
            }
        }
        eprintln!(
            "{name}: {tiles} tiles, {features} features compared, largest vertex distance \
             {worst:.2} ({vertex_off} features with a vertex over one unit off), {} differ, \
             {buffer_only} on one side only in the buffer; the farthest vertex: {worst_at}",
            mismatches.len()
        );
        assert!(features > 500, "{name}: only {features} features compared");
        if !mismatches.is_empty() {
            failures.push(format!(
                "{name}: {} of {features} features differ from PostGIS; the first:\n{}",
                mismatches.len(),
                mismatches
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let a = common::call(app, "GET", uri)
        .header("host", "127.0.0.1:8080")
        .send()
        .await;
    (a.status, a.body)
}

#[tokio::test]
async fn an_edit_reaches_the_in_memory_tiles_through_the_change_feed() {
    let url = common::demo_database("tiles_memory_edit").await;
    let state = state_on(&url).await;
    let app = ruang::app(state.clone());
    common::memory_ready(&state, "zones").await;
    // operators see it in /readyz
    let (status, body) = get(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    let ready: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        ready["tiles_in_memory"]["zones"]["state"], "current",
        "{ready}"
    );
    assert!(
        ready["tiles_in_memory"]["zones"]["features"].as_u64() > Some(100),
        "{ready}"
    );
    // a zone of the active plan, and a sub-zone it is not
    let (id, lon, lat, old): (i64, f64, f64, String) = sqlx::query_as(
        "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), subzone_code \
         FROM zones WHERE plan_active ORDER BY ST_Area(geom) DESC LIMIT 1",
    )
    .fetch_one(&state.pool)
    .await
    .unwrap();
    let new: String = sqlx::query_scalar(
        "SELECT code FROM subzones WHERE code <> $1 AND code IN \
         (SELECT subzone_code FROM zone_rules) ORDER BY code LIMIT 1",
    )
    .bind(&old)
    .fetch_one(&state.pool)
    .await
    .unwrap();
    let z = 16u8;
    let (x, y) = common::tile_of(lon, lat, z);
    let uri = format!("/tiles/zones/{z}/{x}/{y}");
    let subzone_of = |bytes: &[u8]| {
        decode(bytes, "zones")
            .get(&(id as u64))
            .and_then(|(p, _)| p.get("subzone_code").cloned())
    };
    let before = state.tiles.render_in_memory("zones", z, x, y).unwrap();
    assert_eq!(
        subzone_of(&before),
        Some(mvt_reader::feature::Value::String(old.clone()))
    );
    let served = state
        .tiles
        .in_memory
        .load(std::sync::atomic::Ordering::Relaxed);
    let (status, body) = get(&app, &uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(subzone_of(&body), subzone_of(&before));
    assert!(
        state
            .tiles
            .in_memory
            .load(std::sync::atomic::Ordering::Relaxed)
            > served,
        "the tile was not cut in-process"
    );

    sqlx::query("UPDATE zones SET subzone_code = $1 WHERE id = $2")
        .bind(&new)
        .bind(id)
        .execute(&state.pool)
        .await
        .unwrap();
    // every answer after the edit is either PostGIS's (while the snapshot reloads) or the new
    // snapshot's: the old sub-zone never comes back once the new one was seen
    let started = Instant::now();
    let want = Some(mvt_reader::feature::Value::String(new.clone()));
    loop {
        let (_, body) = get(&app, &uri).await;
        if subzone_of(&body) == want {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the edit did not reach the tile within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    common::memory_ready(&state, "zones").await;
    let after = state.tiles.render_in_memory("zones", z, x, y).unwrap();
    assert_eq!(
        subzone_of(&after),
        want,
        "the reloaded snapshot has the edit"
    );
    let (_, body) = get(&app, &uri).await;
    assert_eq!(subzone_of(&body), want);
}
