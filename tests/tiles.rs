//! Vector tiles against the demo city in a real PostGIS: decoded tiles checked against SQL,
//! HTTP caching semantics, invalidation, TileJSON, OGC API - Tiles and the planner style.

mod common;

use std::io::Read;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use ruang::config::Config;
use ruang::tiles::cache::TileKey;

fn demo_db() -> &'static str {
    common::shared_demo_database("tiles")
}

async fn setup(cache_bytes: u64) -> (axum::Router, ruang::AppState) {
    let config = Config {
        tile_cache_bytes: cache_bytes,
        ..Config::default()
    };
    let t = common::TestApp::with_config(demo_db(), config).await;
    // the steady state: zones and parcels cut in-process (PostGIS renders them until then)
    for layer in ["zones", "parcels"] {
        common::memory_ready(&t.state, layer).await;
    }
    (t.app, t.state)
}

async fn send(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut c = common::call(app, "GET", uri).header("host", "127.0.0.1:8080");
    for (k, v) in headers {
        c = c.header(k, v);
    }
    let a = c.send().await;
    (a.status, a.headers, a.body)
}

fn json(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

/// Feature count per layer of an MVT, and the extent of each layer.
fn decode(bytes: &[u8]) -> Vec<(String, usize, u32)> {
    let reader = mvt_reader::Reader::new(bytes.to_vec()).expect("a valid MVT");
    let layers = reader.get_layer_metadata().expect("layer metadata");
    layers
        .iter()
        .map(|l| {
            let n = reader.get_features(l.layer_index).expect("features").len();
            (l.name.clone(), n, l.extent)
        })
        .collect()
}

#[tokio::test]
async fn zone_and_parcel_tiles_hold_exactly_the_features_sql_finds_in_the_envelope() {
    let (app, state) = setup(0).await;
    let (x, y) = common::tile_of(123.597, -10.168, 15);
    for (layer, z, sql) in [
        (
            "zones",
            15u8,
            "SELECT count(*) FROM zones z JOIN zoning_plans p ON p.id = z.plan_id AND p.status = 'active' \
             WHERE ST_Intersects(z.geom_3857, ST_TileEnvelope($1, $2, $3, margin => 64/4096.0))",
        ),
        (
            "parcels",
            15u8,
            "SELECT count(*) FROM parcels WHERE ST_Intersects(geom_3857, ST_TileEnvelope($1, $2, $3, margin => 64/4096.0))",
        ),
    ] {
        let (status, headers, body) =
            send(&app, &format!("/tiles/{layer}/{z}/{x}/{y}.mvt"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{layer}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/vnd.mapbox-vector-tile"
        );
        let layers = decode(&body);
        assert_eq!(layers.len(), 1, "{layers:?}");
        assert_eq!(layers[0].0, layer);
        assert_eq!(layers[0].2, 4096, "extent");
        let expected: i64 = sqlx::query_scalar(sql)
            .bind(i32::from(z))
            .bind(x as i32)
            .bind(y as i32)
            .fetch_one(&state.pool)
            .await
            .unwrap();
        assert!(expected > 0, "the test tile must hold {layer}");
        assert_eq!(layers[0].1 as i64, expected, "{layer} features in the tile");
    }
}

#[tokio::test]
async fn zone_features_carry_their_rules() {
    let (app, _) = setup(0).await;
    let (x, y) = common::tile_of(123.597, -10.168, 14);
    let (_, _, body) = send(&app, &format!("/tiles/zones/14/{x}/{y}"), &[]).await;
    let reader = mvt_reader::Reader::new(body).unwrap();
    let features = reader.get_features(0).unwrap();
    let with_rules = features
        .iter()
        .filter(|f| {
            let p = f.properties.as_ref().unwrap();
            p.contains_key("subzone_code") && p.contains_key("color_class")
        })
        .count();
    assert_eq!(with_rules, features.len());
    let housing = features.iter().find(|f| {
        f.properties
            .as_ref()
            .unwrap()
            .get("subzone_code")
            .map(|v| format!("{v:?}"))
            .is_some_and(|v| v.contains("R-"))
    });
    let housing = housing.expect("a housing zone in the centre");
    assert!(housing.properties.as_ref().unwrap().contains_key("kdb_max"));
    assert!(housing.id.is_some(), "features carry their id");
}

#[tokio::test]
async fn the_city_tileset_holds_every_public_layer() {
    let (app, _) = setup(0).await;
    let (x, y) = common::tile_of(123.5944, -10.1602, 15);
    let (status, _, body) = send(&app, &format!("/tiles/city/15/{x}/{y}.pbf"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<String> = decode(&body).into_iter().map(|l| l.0).collect();
    for l in ["zones", "parcels", "admin_areas"] {
        assert!(names.contains(&l.to_string()), "{l} in {names:?}");
    }
}

#[tokio::test]
async fn etag_304_gzip_and_204() {
    let (app, _) = setup(64 << 20).await;
    let (x, y) = common::tile_of(123.597, -10.168, 15);
    let uri = format!("/tiles/zones/15/{x}/{y}");
    let (status, h, plain) = send(&app, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = h[header::ETAG].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.len() > 10,
        "strong ETag: {etag}"
    );
    assert!(
        h[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(h.get(header::CONTENT_ENCODING).is_none());

    let (status, h, body) = send(&app, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h[header::ETAG].to_str().unwrap(), etag);

    let (status, h, gz) = send(&app, &uri, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert_eq!(h[header::ETAG].to_str().unwrap(), etag);
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    assert!(gz.len() < plain.len());

    // Far out in the Indian Ocean: nothing there.
    let (x, y) = common::tile_of(90.0, -30.0, 14);
    let (status, _, body) = send(&app, &format!("/tiles/zones/14/{x}/{y}"), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_empty());
}

#[tokio::test]
async fn bad_tile_requests_get_clear_4xx() {
    let (app, _) = setup(0).await;
    for (uri, expected, needle) in [
        (
            "/tiles/zones/25/0/0",
            StatusCode::BAD_REQUEST,
            "above the limit",
        ),
        (
            "/tiles/zones/14/16384/0",
            StatusCode::BAD_REQUEST,
            "between 0 and 16383",
        ),
        (
            "/tiles/zones/3/0/-1",
            StatusCode::BAD_REQUEST,
            "non-negative integer",
        ),
        (
            "/tiles/zones/abc/0/0",
            StatusCode::BAD_REQUEST,
            "non-negative integer",
        ),
        (
            "/tiles/zones/14/1.5/0",
            StatusCode::BAD_REQUEST,
            "non-negative integer",
        ),
        (
            "/tiles/nope/1/0/0",
            StatusCode::NOT_FOUND,
            "no tileset 'nope'",
        ),
        ("/tiles/nope", StatusCode::NOT_FOUND, "no tileset"),
        (
            "/tiles/parcels/23/0/0",
            StatusCode::NOT_FOUND,
            "no tiles above zoom 22",
        ),
        (
            "/collections/city/tiles",
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            "/collections/zones/tiles/WebMercatorQuad/99/0/0",
            StatusCode::BAD_REQUEST,
            "above the limit",
        ),
    ] {
        let (status, h, body) = send(&app, uri, &[]).await;
        assert_eq!(
            status,
            expected,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json", "{uri}");
        let v = json(&body);
        assert!(
            v["detail_en"].as_str().unwrap().contains(needle),
            "{uri}: {v}"
        );
    }
    // Below a layer's minimum zoom there is nothing to draw.
    let (status, _, _) = send(&app, "/tiles/parcels/10/0/0", &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn tilejson_describes_the_tileset_for_the_origin_used() {
    let (app, state) = setup(0).await;
    let (status, _, body) = send(
        &app,
        "/tiles/city",
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "peta.kupangkota.go.id"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tj = json(&body);
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "https://peta.kupangkota.go.id/tiles/city/{z}/{x}/{y}.mvt"
    );
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        b[0] > 123.4 && b[2] < 123.8 && b[1] > -10.4 && b[3] < -10.0,
        "{b:?}"
    );
    let c = tj["center"].as_array().unwrap();
    assert!(c[0].as_f64().unwrap() > b[0] && c[0].as_f64().unwrap() < b[2]);
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let public: Vec<&str> = state
        .tiles
        .layers
        .iter()
        .filter(|l| l.def.is_public())
        .map(|l| l.def.name.as_str())
        .collect();
    assert_eq!(ids, public);
    for l in tj["vector_layers"].as_array().unwrap() {
        assert!(
            l["fields"].is_object() && l["minzoom"].is_u64() && l["maxzoom"].is_u64(),
            "{l}"
        );
    }
    let zones =
        &tj["vector_layers"].as_array().unwrap()[ids.iter().position(|i| *i == "zones").unwrap()];
    assert_eq!(zones["fields"]["kdb_max"], "Number");
    assert_eq!(zones["fields"]["subzone_code"], "String");
}

#[tokio::test]
async fn every_source_layer_of_the_planner_style_exists_in_the_city_tileset() {
    let (app, _) = setup(0).await;
    let (status, _, body) = send(
        &app,
        "/styles/planner",
        &[("x-forwarded-host", "gis.example:8443")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let style = json(&body);
    assert_eq!(style["version"], 8);
    assert_eq!(
        style["sources"]["city"]["url"],
        "http://gis.example:8443/tiles/city"
    );
    let (_, _, body) = send(&app, "/tiles/city", &[]).await;
    let tj = json(&body);
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let mut used = 0;
    for l in style["layers"].as_array().unwrap() {
        if let Some(sl) = l["source-layer"].as_str() {
            assert!(
                ids.contains(&sl),
                "style layer {} uses unknown source-layer {sl}",
                l["id"]
            );
            used += 1;
        }
    }
    assert!(used >= 8);
    let (status, h, _) = send(&app, "/styles/nope", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
}

#[tokio::test]
async fn ogc_api_tiles_serves_the_same_tiles_with_row_and_col() {
    let (app, _) = setup(0).await;
    let (_, _, body) = send(&app, "/tileMatrixSets", &[]).await;
    assert_eq!(json(&body)["tileMatrixSets"][0]["id"], "WebMercatorQuad");
    let (_, _, body) = send(&app, "/tileMatrixSets/WebMercatorQuad", &[]).await;
    let tms = json(&body);
    assert_eq!(tms["tileMatrices"].as_array().unwrap().len(), 25);
    assert_eq!(tms["tileMatrices"][14]["matrixWidth"], 16384);
    let (status, _, body) = send(&app, "/collections/zones/tiles", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let ts = json(&body);
    let item = ts["tilesets"][0]["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item")
        .unwrap()
        .clone();
    assert!(
        item["href"]
            .as_str()
            .unwrap()
            .ends_with("/collections/zones/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    );
    let (status, _, body) = send(&app, "/collections/zones/tiles/WebMercatorQuad", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(json(&body)["tileMatrixSetLimits"].as_array().unwrap().len() > 5);

    let (x, y) = common::tile_of(123.597, -10.168, 15);
    let xyz_uri = format!("/tiles/zones/15/{x}/{y}");
    // Byte for byte, as long as one renderer answers both: another test's edit of the shared
    // database sends zones to PostGIS while its snapshot reloads, so a comparison whose XYZ
    // tile changed around the OGC request is made again.
    for attempt in 1.. {
        let (_, _, xyz) = send(&app, &xyz_uri, &[]).await;
        let (status, _, ogc) = send(
            &app,
            &format!("/collections/zones/tiles/WebMercatorQuad/15/{y}/{x}"),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, again) = send(&app, &xyz_uri, &[]).await;
        if xyz == again || attempt == 20 {
            assert_eq!(xyz, ogc);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn editing_one_zone_invalidates_only_its_tiles() {
    let (app, state) = setup(64 << 20).await;
    let (zone_id, lon, lat): (i64, f64, f64) = sqlx::query_as(
        "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM zones \
         WHERE subzone_code LIKE 'R-%' ORDER BY ST_Area(geom) DESC LIMIT 1",
    )
    .fetch_one(&state.pool)
    .await
    .unwrap();
    let (tsi, _) = state.tiles.tileset("zones").unwrap();
    let (x, y) = common::tile_of(lon, lat, 15);
    let near = format!("/tiles/zones/15/{x}/{y}");
    // Another zone 2-6 km away: its tile does not meet the edited zone.
    let (flon, flat): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom)) FROM zones a, zones b \
         WHERE a.id = $1 AND ST_DWithin(a.geom::geography, b.geom::geography, 6000) \
           AND NOT ST_DWithin(a.geom::geography, b.geom::geography, 2000) ORDER BY b.id LIMIT 1",
    )
    .bind(zone_id)
    .fetch_one(&state.pool)
    .await
    .unwrap();
    let far_xy = common::tile_of(flon, flat, 15);
    let far = format!("/tiles/zones/15/{}/{}", far_xy.0, far_xy.1);
    let (_, h1, before) = send(&app, &near, &[]).await;
    let (far_status, _, _) = send(&app, &far, &[]).await;
    assert_eq!(far_status, StatusCode::OK);
    let key = |x: u32, y: u32| TileKey {
        tileset: tsi,
        z: 15,
        x,
        y,
    };
    assert!(state.tiles.cache.get(&key(x, y)).is_some());
    assert!(state.tiles.cache.get(&key(far_xy.0, far_xy.1)).is_some());

    // A planner edits the zone's code.
    sqlx::query("UPDATE zones SET subzone_code = 'K-1', zone_code = 'K' WHERE id = $1")
        .bind(zone_id)
        .execute(&state.pool)
        .await
        .unwrap();
    let mut waited = 0;
    while state.tiles.cache.get(&key(x, y)).is_some() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 100, "the touched tile was not invalidated");
    }
    assert!(
        state.tiles.cache.get(&key(far_xy.0, far_xy.1)).is_some(),
        "a tile the change does not touch stays cached"
    );
    let (_, h2, after) = send(&app, &near, &[]).await;
    assert_ne!(before, after);
    assert_ne!(h1[header::ETAG], h2[header::ETAG]);
    // put it back for the other tests
    sqlx::query("UPDATE zones SET subzone_code = 'R-2', zone_code = 'R' WHERE id = $1")
        .bind(zone_id)
        .execute(&state.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_layer_file_naming_a_missing_column_stops_start_up_with_its_name() {
    let pool = ruang::db::connect(demo_db(), 2, Duration::from_secs(10))
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("ruang-tiles-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("zones.toml"),
        "name = \"zones\"\ntitle = \"Z\"\nminzoom = 10\nmaxzoom = 20\ngeometry = \"geom_3857\"\n\
         id = \"id\"\nproperties = [\"zone_colour\"]\n[source]\ntable = \"zones\"\n",
    )
    .unwrap();
    let err = ruang::tiles::TileService::load(pool.clone(), sqlx_db(&pool), &dir, 0)
        .await
        .err()
        .expect("must fail")
        .to_string();
    assert!(
        err.contains("zones.toml") && err.contains("zone_colour"),
        "{err}"
    );
    std::fs::write(
        dir.join("zones.toml"),
        "name = \"zones\"\ntitle = \"Z\"\nminzoom = 10\nmaxzoom = 20\ngeometry = \"geom\"\n\
         id = \"subzone_code\"\n[source]\ntable = \"zones\"\n",
    )
    .unwrap();
    let err = ruang::tiles::TileService::load(pool.clone(), sqlx_db(&pool), &dir, 0)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("must be an integer"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_role_restricted_layer_needs_a_token_of_that_role_and_stays_out_of_the_city() {
    let pool = ruang::db::connect(demo_db(), 4, Duration::from_secs(10))
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("ruang-tiles-role-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["zones.toml", "parcels.toml"] {
        std::fs::copy(format!("tiles/{f}"), dir.join(f)).unwrap();
    }
    std::fs::write(
        dir.join("zones_internal.toml"),
        "name = \"zones_internal\"\ntitle = \"Zona (internal)\"\naccess = \"planner\"\nminzoom = 10\n\
         maxzoom = 22\ngeometry = \"geom_3857\"\nid = \"id\"\nproperties = [\"block_code\"]\n\
         [source]\ntable = \"zones\"\n",
    )
    .unwrap();
    // Two users with bearer tokens; only the SHA-256 of a token is stored.
    let mut tokens = Vec::new();
    for (email, role) in [
        ("pemohon@example.id", "pemohon"),
        ("planner@example.id", "planner"),
    ] {
        let secret = format!("tok-{role}-{}", std::process::id());
        sqlx::query(
            "WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ($1, '$argon2id$v=19$test', $2) \
             ON CONFLICT (email) DO UPDATE SET role = EXCLUDED.role RETURNING id) \
             INSERT INTO api_tokens (user_id, token_hash) SELECT id, $3 FROM u",
        )
        .bind(email)
        .bind(role)
        .bind(ruang::auth::token_hash(&secret))
        .execute(&pool)
        .await
        .unwrap();
        tokens.push(secret);
    }
    let config = Config {
        tiles_dir: dir.clone(),
        tile_cache_bytes: 0,
        ..Config::default()
    };
    let state = ruang::AppState::new(pool, config).await.expect("app state");
    let app = ruang::app(state.clone());
    let (x, y) = common::tile_of(123.597, -10.168, 15);
    let uri = format!("/tiles/zones_internal/15/{x}/{y}");
    let (status, h, _) = send(&app, &uri, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    let pemohon = format!("Bearer {}", tokens[0]);
    let (status, _, _) = send(&app, &uri, &[("authorization", &pemohon)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(&app, &uri, &[("authorization", "Bearer not-a-token")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let planner = format!("Bearer {}", tokens[1]);
    let (status, h, body) = send(&app, &uri, &[("authorization", &planner)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        h[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert_eq!(decode(&body)[0].0, "zones_internal");
    // The composite holds public layers only.
    let (_, _, body) = send(&app, "/tiles/city", &[]).await;
    let ids: Vec<String> = json(&body)["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"zones".to_string()));
    assert!(!ids.contains(&"zones_internal".to_string()), "{ids:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every font the planner style names is served as SDF glyphs, so its labels draw.
#[tokio::test]
async fn the_style_fonts_are_served_as_glyph_ranges() {
    use pbf_font_tools::prost::Message;
    let (app, _) = setup(0).await;
    let (status, _, body) = send(&app, "/styles/planner", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let style = json(&body);
    assert_eq!(
        style["glyphs"],
        "http://127.0.0.1:8080/fonts/{fontstack}/{range}.pbf"
    );
    let mut stacks: Vec<String> = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["layout"]["text-font"].as_array())
        .map(|fs| {
            fs.iter()
                .map(|f| f.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    stacks.sort();
    stacks.dedup();
    assert!(!stacks.is_empty(), "the style has labels");
    for stack in &stacks {
        let uri = format!("/fonts/{}/0-255.pbf", stack.replace(' ', "%20"));
        let (status, h, body) = send(&app, &uri, &[]).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(h[header::CONTENT_TYPE], "application/x-protobuf");
        let glyphs = pbf_font_tools::Glyphs::decode(body.as_slice()).expect("a glyph PBF");
        assert_eq!(glyphs.stacks.len(), 1);
        let s = &glyphs.stacks[0];
        assert_eq!(s.name, *stack);
        // Every letter of "Kelurahan Oebobo" has a glyph whose SDF bitmap covers its box plus
        // the 3-pixel buffer on each side.
        for ch in "Kelurahan Oebobo".chars().filter(|c| *c != ' ') {
            let g = s
                .glyphs
                .iter()
                .find(|g| g.id == u32::from(ch))
                .unwrap_or_else(|| panic!("no glyph for {ch:?} in {stack}"));
            let bitmap = g.bitmap.as_ref().expect("a bitmap");
            assert_eq!(
                bitmap.len() as u32,
                (g.width + 6) * (g.height + 6),
                "{ch:?}"
            );
            assert!(g.advance > 0, "{ch:?} advances");
        }
        // Cached, with a strong ETag.
        let etag = h[header::ETAG].to_str().unwrap().to_owned();
        let (status, _, _) = send(&app, &uri, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
    }
}

#[tokio::test]
async fn glyph_requests_fall_back_through_the_stack_and_refuse_bad_ones() {
    use pbf_font_tools::prost::Message;
    let (app, _) = setup(0).await;
    // An unknown first font falls back to the next one of the stack.
    let (status, _, body) = send(
        &app,
        "/fonts/No%20Such%20Font,DejaVu%20Sans%20Book/256-511.pbf",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let glyphs = pbf_font_tools::Glyphs::decode(body.as_slice()).unwrap();
    // U+00E9 is in 0-255, U+0100 (Ā) in 256-511.
    assert!(glyphs.stacks[0].glyphs.iter().any(|g| g.id == 0x100));
    assert!(
        glyphs.stacks[0]
            .glyphs
            .iter()
            .all(|g| (256..512).contains(&g.id))
    );

    let (status, h, body) = send(&app, "/fonts/No%20Such%20Font/0-255.pbf", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    assert!(
        String::from_utf8_lossy(&body).contains("DejaVu Sans Book"),
        "lists what exists"
    );

    for bad in ["1-256.pbf", "0-511.pbf", "65536-65791.pbf", "x-y.pbf"] {
        let (status, _, body) =
            send(&app, &format!("/fonts/DejaVu%20Sans%20Book/{bad}"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            json(&body)["detail_en"]
                .as_str()
                .unwrap()
                .contains("multiple of 256")
        );
    }

    let (status, _, body) = send(&app, "/fonts", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let list = json(&body);
    assert!(
        list["fonts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "DejaVu Sans Book")
    );
}

fn sqlx_db(pool: &sqlx::PgPool) -> ruang::tiles::db::TileDb {
    ruang::tiles::db::TileDb::Sqlx(pool.clone())
}

/// The tokio-postgres tile path (what the server uses) and the sqlx fallback (used when the
/// database demands TLS) render byte-identical tiles, and an unreachable database answers 503.
#[tokio::test]
async fn the_fast_tile_path_renders_what_the_sqlx_path_renders() {
    use ruang::tiles::db::TileDb;
    let pool = ruang::db::connect(demo_db(), 4, Duration::from_secs(10))
        .await
        .unwrap();
    let fast = TileDb::new(&pool, None, 2, Duration::from_secs(10));
    assert!(matches!(fast, TileDb::Fast(_)), "no TLS here: fast path");
    let slow = sqlx_db(&pool);
    let (x, y) = common::tile_of(123.597, -10.168, 15);
    let sql = "SELECT coalesce((SELECT ST_AsMVT(t.*, 'zones', 4096, 'geom', 'id') FROM (\
               SELECT id, zone_code, ST_AsMVTGeom(geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom \
               FROM zones WHERE geom_3857 && ST_TileEnvelope($1, $2, $3) ORDER BY id) AS t), ''::bytea)";
    let a = fast.render(sql, 15, x, y).await.unwrap();
    let b = slow.render(sql, 15, x, y).await.unwrap();
    assert!(!a.is_empty(), "the city centre has zones");
    assert_eq!(a, b);
    // An empty tile (open sea) is empty bytes on both paths.
    assert!(fast.render(sql, 15, 0, 0).await.unwrap().is_empty());

    // A tile database that cannot be reached gives a 503 problem, not a 500.
    let gone: sqlx::postgres::PgConnectOptions =
        "postgresql://postgres@127.0.0.1:1/ruang".parse().unwrap();
    let dead = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(gone);
    let down = TileDb::new(&dead, None, 1, Duration::from_secs(2));
    let err = down.render(sql, 15, x, y).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
}

/// Waits until the occupancy map of `tileset` is built (after the change listener is up).
async fn occupancy_ready(state: &ruang::AppState, tileset: &str) -> usize {
    let (i, _) = state.tiles.tileset(tileset).unwrap();
    for _ in 0..200 {
        if state.tiles.occupancy[i as usize].marked().is_some() {
            return i as usize;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the occupancy map of {tileset} was never built");
}

/// Every tile from zoom 12 to 17 over the city that the server answers empty without asking
/// the database really is empty: no feature's box meets its buffered envelope. And the map
/// spares the database a real share of the tiles (the sea around Kupang).
#[tokio::test]
async fn tiles_known_empty_without_the_database_hold_nothing() {
    let (_app, state) = setup(0).await;
    let (w, s, e, n) = (123.50, -10.25, 123.70, -10.10);
    for (tileset, tables) in [
        ("parcels", vec!["parcels"]),
        ("zones", vec!["zones"]),
        ("health_facilities", vec!["health_facilities"]),
        (
            "city",
            vec![
                "zones",
                "parcels",
                // The layer shows kecamatan and kelurahan, not the city outline.
                "(SELECT geom_3857 FROM admin_areas WHERE level <> 'kota')",
                "overlays",
                "markets",
                "health_facilities",
                "waste_facilities",
            ],
        ),
    ] {
        let i = occupancy_ready(&state, tileset).await;
        let occ = &state.tiles.occupancy[i];
        let (mut zs, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new());
        let mut total = 0;
        for z in 12u8..=17 {
            let (x0, y0) = common::tile_of(w, n, z);
            let (x1, y1) = common::tile_of(e, s, z);
            for x in x0..=x1 {
                for y in y0..=y1 {
                    total += 1;
                    if occ.known_empty(z, x, y) {
                        zs.push(i32::from(z));
                        xs.push(x as i32);
                        ys.push(y as i32);
                    }
                }
            }
        }
        for table in tables {
            let wrong: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM unnest($1::int[], $2::int[], $3::int[]) AS t (z, x, y) \
                 JOIN {table} f ON f.geom_3857 && ST_TileEnvelope(t.z, t.x, t.y, margin => 64 / 4096.0)"
            ))
            .bind(&zs)
            .bind(&xs)
            .bind(&ys)
            .fetch_one(&state.pool)
            .await
            .unwrap();
            assert_eq!(wrong, 0, "{tileset}: tiles called empty that hold {table}");
        }
        if tileset != "city" {
            assert!(
                zs.len() * 5 > total,
                "{tileset}: only {} of {total} tiles known empty",
                zs.len()
            );
        }
    }
}

/// A parcel drawn where there was nothing shows in its tile as soon as the change arrives,
/// and its removal empties the tile again once that change arrives.
#[tokio::test]
async fn a_feature_added_where_the_map_was_empty_appears_in_its_tile() {
    let (app, state) = setup(0).await;
    let i = occupancy_ready(&state, "parcels").await;
    // An empty zoom-17 tile in the city's box, as far as the map knows.
    let (x0, y0) = common::tile_of(123.55, -10.12, 17);
    let (x1, y1) = common::tile_of(123.65, -10.22, 17);
    let (x, y) = (x0..=x1)
        .flat_map(|x| (y0..=y1).map(move |y| (x, y)))
        .find(|(x, y)| state.tiles.occupancy[i].known_empty(17, *x, *y))
        .expect("an empty tile");
    let uri = format!("/tiles/parcels/17/{x}/{y}");
    assert_eq!(send(&app, &uri, &[]).await.0, StatusCode::NO_CONTENT);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO parcels (kind, parcel_number, geom) SELECT 'terdaftar', 'OCC-TEST', \
         ST_Multi(ST_Transform(ST_Expand(ST_Centroid(ST_TileEnvelope(17, $1, $2)), 20), 4326)) \
         RETURNING id",
    )
    .bind(x as i32)
    .bind(y as i32)
    .fetch_one(&state.pool)
    .await
    .unwrap();
    let mut waited = 0;
    loop {
        let (status, _, body) = send(&app, &uri, &[]).await;
        if status == StatusCode::OK {
            assert_eq!(decode(&body), vec![("parcels".to_string(), 1, 4096)]);
            break;
        }
        waited += 1;
        assert!(waited < 100, "the new parcel never showed in its tile");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("DELETE FROM parcels WHERE id = $1")
        .bind(id)
        .execute(&state.pool)
        .await
        .unwrap();
    // The in-process parcels snapshot follows the change feed too, so the removal is polled.
    let mut waited = 0;
    while send(&app, &uri, &[]).await.0 != StatusCode::NO_CONTENT {
        waited += 1;
        assert!(waited < 100, "the removed parcel stayed in its tile");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An occupancy map that cannot be built (the database cannot be read) is rebuilt by itself with
/// backoff once it can be read again, with no change notification or restart.
#[tokio::test]
async fn an_occupancy_map_that_failed_to_build_is_rebuilt_with_backoff() {
    let url = common::demo_database("tiles_occ_retry").await;
    let pool = ruang::db::connect(&url, 8, Duration::from_secs(10))
        .await
        .unwrap();
    let state = ruang::AppState::new(pool.clone(), Config::default())
        .await
        .expect("app state");
    let (index, _) = state.tiles.tileset("zones").unwrap();
    let occ = |s: &ruang::AppState| s.tiles.occupancy[index as usize].marked();
    let start = std::time::Instant::now();
    while occ(&state).is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "first build");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("ALTER TABLE zones RENAME TO zones_away")
        .execute(&pool)
        .await
        .unwrap();
    let tiles = state.tiles.clone();
    let rebuild = tokio::spawn(async move { tiles.rebuild_occupancy(index).await });
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(occ(&state), None, "unknown while the layer cannot be read");
    assert!(!rebuild.is_finished(), "still retrying");
    sqlx::query("ALTER TABLE zones_away RENAME TO zones")
        .execute(&pool)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), rebuild)
        .await
        .expect("rebuilt within the backoff")
        .unwrap();
    assert!(occ(&state).is_some_and(|n| n > 0));
}
