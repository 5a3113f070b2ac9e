//! OpenAPI 3.0 path items of the operations routes and of tiles, styles and fonts, and the
//! collection of every other module's description (`check::openapi`, `monitor::openapi`,
//! `import::openapi`, `web::openapi`; the toolbox is `http::apidoc`). OGC API - Features,
//! permits and plans come from [`super::openapi::ENDPOINTS`], [`crate::permits::openapi`] and
//! [`crate::plans::openapi`]; [`super::openapi::document`] merges them all into `/api`.
//!
//! These routes are registered by their own modules, so this file is kept in step by a test
//! (`tests/ogc_api.rs`): it reads every `.route("...")` in `src/` and requires it here, and it
//! requests every documented operation and every undocumented method of each documented path
//! through the real router (an undocumented method must answer 405).

use crate::http::apidoc::{JSON, MVT, Op, Paths, p_path};
use serde_json::Value;

/// Path items (`paths` entries) of the routes described here and by the other modules.
pub fn paths() -> Value {
    let mut p = Paths::default();
    // Operations.
    p.add(
        "/healthz",
        "get",
        Op {
            id: "healthz",
            tag: "Operations",
            summary: "200 while the process is up",
            params: vec![],
            body: &[],
            ok: ("200", JSON),
            errors: &[],
            auth: false,
        },
    );
    p.add(
        "/readyz",
        "get",
        Op {
            id: "readyz",
            tag: "Operations",
            summary: "200 when the database answers and migrations are current, else 503",
            params: vec![],
            body: &[],
            ok: ("200", JSON),
            errors: &["503"],
            auth: false,
        },
    );

    p.add(
        "/metrics",
        "get",
        Op {
            id: "metrics",
            tag: "Operations",
            summary: "Prometheus metrics (text format 0.0.4). On this address only with \
                      `Authorization: Bearer <metrics_token>` (401 without it, 404 when no \
                      token is configured); `metrics_bind` serves them on a private address",
            params: vec![],
            body: &[],
            ok: ("200", &["text/plain"]),
            errors: &["401", "404"],
            auth: false,
        },
    );

    // Vector tiles, OGC API - Tiles, styles, fonts.
    let tileset = || {
        p_path(
            "tileset",
            "Tileset: a layer name (zones, parcels, ...) or `city`.",
        )
    };
    p.add(
        "/tiles/{tileset}",
        "get",
        Op {
            id: "getTileJson",
            tag: "Tiles",
            summary: "TileJSON 3.0.0 of a tileset",
            params: vec![tileset()],
            body: &[],
            ok: ("200", JSON),
            errors: &["401", "403", "404"],
            auth: false,
        },
    );
    p.add(
        "/tiles/{tileset}/{z}/{x}/{y}",
        "get",
        Op {
            id: "getTile",
            tag: "Tiles",
            summary: "A Mapbox Vector Tile (204 when empty; ETag / 304; `y` may end in .mvt or .pbf)",
            params: vec![
                tileset(),
                p_path("z", "Zoom."),
                p_path("x", "Column."),
                p_path("y", "Row, optionally with `.mvt` or `.pbf`."),
            ],
            body: &[],
            ok: ("200", &[MVT]),
            errors: &["400", "401", "403", "404"],
            auth: false,
        },
    );
    p.add(
        "/tileMatrixSets",
        "get",
        Op {
            id: "getTileMatrixSets",
            tag: "Tiles",
            summary: "OGC API - Tiles: the tile matrix sets",
            params: vec![],
            body: &[],
            ok: ("200", JSON),
            errors: &[],
            auth: false,
        },
    );
    p.add(
        "/tileMatrixSets/WebMercatorQuad",
        "get",
        Op {
            id: "getWebMercatorQuad",
            tag: "Tiles",
            summary: "OGC API - Tiles: WebMercatorQuad",
            params: vec![],
            body: &[],
            ok: ("200", JSON),
            errors: &[],
            auth: false,
        },
    );
    let coll = || p_path("collectionId", "Collection (tileset) id.");
    p.add(
        "/collections/{collectionId}/tiles",
        "get",
        Op {
            id: "getCollectionTilesets",
            tag: "Tiles",
            summary: "OGC API - Tiles: the tilesets of a collection",
            params: vec![coll()],
            body: &[],
            ok: ("200", JSON),
            errors: &["404"],
            auth: false,
        },
    );
    p.add(
        "/collections/{collectionId}/tiles/WebMercatorQuad",
        "get",
        Op {
            id: "getCollectionTileset",
            tag: "Tiles",
            summary: "OGC API - Tiles: a collection's WebMercatorQuad tileset",
            params: vec![coll()],
            body: &[],
            ok: ("200", JSON),
            errors: &["404"],
            auth: false,
        },
    );
    p.add(
        "/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}",
        "get",
        Op {
            id: "getCollectionTile",
            tag: "Tiles",
            summary: "OGC API - Tiles: one tile",
            params: vec![
                coll(),
                p_path("tileMatrix", "Zoom."),
                p_path("tileRow", "Row."),
                p_path("tileCol", "Column."),
            ],
            body: &[],
            ok: ("200", &[MVT]),
            errors: &["400", "401", "403", "404"],
            auth: false,
        },
    );
    p.add(
        "/styles/{id}",
        "get",
        Op {
            id: "getStyle",
            tag: "Tiles",
            summary: "A MapLibre style with absolute URLs",
            params: vec![p_path("id", "Style name, e.g. `planner`.")],
            body: &[],
            ok: ("200", JSON),
            errors: &["404"],
            auth: false,
        },
    );
    p.add(
        "/fonts",
        "get",
        Op {
            id: "getFonts",
            tag: "Tiles",
            summary: "Font names a style may use in text-font",
            params: vec![],
            body: &[],
            ok: ("200", JSON),
            errors: &[],
            auth: false,
        },
    );
    p.add(
        "/fonts/{fontstack}/{range}",
        "get",
        Op {
            id: "getGlyphs",
            tag: "Tiles",
            summary: "256 SDF glyphs for map labels",
            params: vec![
                p_path("fontstack", "Comma-separated font names."),
                p_path("range", "`start-end.pbf`, e.g. `0-255.pbf`."),
            ],
            body: &[],
            ok: ("200", &["application/x-protobuf"]),
            errors: &["400", "404"],
            auth: false,
        },
    );
    crate::check::openapi::paths(&mut p);
    crate::monitor::openapi::paths(&mut p);
    crate::import::openapi::paths(&mut p);
    crate::web::openapi::paths(&mut p);
    p.into_value()
}
