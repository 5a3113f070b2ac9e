//! OpenAPI 3.0 path items of the server's routes that are not OGC API - Features and not
//! permits (those come from [`super::openapi::ENDPOINTS`] and [`crate::permits::openapi`]):
//! operations, tiles, styles, fonts, the zoning check, monitoring, import/export and the web
//! pages. [`super::openapi::document`] merges all three into `/api`.
//!
//! These routes are registered by their own modules, so this file is kept in step by a test
//! (`tests/ogc_api.rs`): it reads every `.route("...")` in `src/` and requires it here, and it
//! requests every documented operation and every undocumented method of each documented path
//! through the real router (an undocumented method must answer 405).

use serde_json::{Map, Value, json};

fn problem() -> Value {
    json!({ "$ref": "#/components/responses/Problem" })
}

fn p_path(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": desc,
            "schema": { "type": "string" } })
}

fn p_query(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": desc,
            "schema": { "type": "string" } })
}

fn p_query_required(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "query", "required": true, "description": desc,
            "schema": { "type": "string" } })
}

/// One operation: `ok` is the success status with its media types, `errors` the problem
/// statuses it may answer, `auth` whether it needs a caller (bearer token or session cookie).
struct Op<'a> {
    id: &'a str,
    tag: &'a str,
    summary: &'a str,
    params: Vec<Value>,
    body: &'a [&'a str],
    ok: (&'a str, &'a [&'a str]),
    errors: &'a [&'a str],
    auth: bool,
}

impl Op<'_> {
    fn json(self) -> Value {
        let mut responses = Map::new();
        let mut ok = json!({ "description": "OK" });
        if !self.ok.1.is_empty() {
            let content: Map<String, Value> = self
                .ok
                .1
                .iter()
                .map(|t| (t.to_string(), json!({})))
                .collect();
            ok["content"] = Value::Object(content);
        }
        responses.insert(self.ok.0.to_string(), ok);
        for s in self.errors {
            responses.insert(s.to_string(), problem());
        }
        let mut op = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "responses": responses,
        });
        if !self.params.is_empty() {
            op["parameters"] = Value::Array(self.params);
        }
        if !self.body.is_empty() {
            let content: Map<String, Value> = self
                .body
                .iter()
                .map(|t| (t.to_string(), json!({ "schema": {} })))
                .collect();
            op["requestBody"] = json!({ "required": true, "content": content });
        }
        if self.auth {
            op["security"] = json!([{ "bearerAuth": [] }, { "sessionCookie": [] }]);
        }
        op
    }
}

const JSON: &[&str] = &["application/json"];
const CSV_OR_JSON: &[&str] = &["application/json", "text/csv"];
const MVT: &str = "application/vnd.mapbox-vector-tile";

/// Path items (`paths` entries) of the routes described here.
pub fn paths() -> Value {
    let mut p = Map::new();
    let mut add = |path: &str, method: &str, op: Op| {
        let entry = p.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[method] = op.json();
    };

    // Operations.
    add(
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
    add(
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

    add(
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
    add(
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
    add(
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
    add(
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
    add(
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
    add(
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
    add(
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
    add(
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
    add(
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
    add(
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
    add(
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

    // Zoning check.
    add(
        "/api/check",
        "post",
        Op {
            id: "checkParcel",
            tag: "Check",
            summary: "Zoning check of a drawn parcel: the Decision, or the findings as GeoJSON",
            params: vec![],
            body: &["application/json", "application/geo+json"],
            ok: ("200", &["application/json", "application/geo+json"]),
            errors: &["400", "413", "415", "422", "429"],
            auth: false,
        },
    );
    add(
        "/api/zoning/at",
        "get",
        Op {
            id: "zoningAt",
            tag: "Check",
            summary: "The zone at a point, its intensity rules and its I/T/B/X activities",
            params: vec![
                p_query_required("lon", "Longitude (decimal degrees)."),
                p_query_required("lat", "Latitude (decimal degrees)."),
            ],
            body: &[],
            ok: ("200", JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );
    add(
        "/api/activities",
        "get",
        Op {
            id: "searchActivities",
            tag: "Check",
            summary: "KBLI search by code prefix or Indonesian words",
            params: vec![
                p_query_required("q", "Code prefix or words."),
                p_query("limit", "At most this many."),
            ],
            body: &[],
            ok: ("200", JSON),
            errors: &["400"],
            auth: false,
        },
    );
    add(
        "/api/places",
        "get",
        Op {
            id: "searchPlaces",
            tag: "Check",
            summary: "Kelurahan and kecamatan by name, with bounding boxes",
            params: vec![p_query_required("q", "Name or another spelling.")],
            body: &[],
            ok: ("200", JSON),
            errors: &["400"],
            auth: false,
        },
    );

    // Monitoring.
    add(
        "/api/stunting",
        "get",
        Op {
            id: "getStunting",
            tag: "Monitoring",
            summary: "Stunting prevalence per unit for a month",
            params: vec![
                p_query("period", "YYYY-MM (default: the latest month with data)."),
                p_query("by", "kelurahan (default), kecamatan, puskesmas or city."),
            ],
            body: &[],
            ok: ("200", JSON),
            errors: &["400"],
            auth: false,
        },
    );
    add(
        "/api/stunting/trend",
        "get",
        Op {
            id: "getStuntingTrend",
            tag: "Monitoring",
            summary: "Monthly stunting series of a unit",
            params: vec![p_query_required(
                "unit",
                "Unit code (admin area or Puskesmas).",
            )],
            body: &[],
            ok: ("200", JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );
    add(
        "/api/stunting/import",
        "post",
        Op {
            id: "importStunting",
            tag: "Monitoring",
            summary: "Import stunting counts (CSV, planner)",
            params: vec![],
            body: &["text/csv"],
            ok: ("200", JSON),
            errors: &["401", "403", "413", "415", "422"],
            auth: true,
        },
    );
    let date = || {
        p_query(
            "date",
            "YYYY-MM-DD: latest price on or before (default: latest).",
        )
    };
    let f = || p_query("f", "`csv` for CSV (or Accept: text/csv).");
    add(
        "/api/prices",
        "get",
        Op {
            id: "getPrices",
            tag: "Monitoring",
            summary: "Latest prices per market and commodity with averages, changes and alerts",
            params: vec![
                p_query("market", "Market id, code, name or alias."),
                p_query("commodity", "Commodity code or name."),
                date(),
                f(),
            ],
            body: &[],
            ok: ("200", CSV_OR_JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );
    add(
        "/api/prices/alerts",
        "get",
        Op {
            id: "getPriceAlerts",
            tag: "Monitoring",
            summary: "Price alerts at or above a level",
            params: vec![date(), p_query("level", "yellow (default) or red."), f()],
            body: &[],
            ok: ("200", CSV_OR_JSON),
            errors: &["400"],
            auth: false,
        },
    );
    add(
        "/api/prices/index",
        "get",
        Op {
            id: "getPriceIndex",
            tag: "Monitoring",
            summary: "City food price index (Jevons)",
            params: vec![
                p_query("base", "Base month YYYY-MM."),
                p_query("market", "Only this market."),
                f(),
            ],
            body: &[],
            ok: ("200", CSV_OR_JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );
    add(
        "/api/prices/disparity",
        "get",
        Op {
            id: "getPriceDisparity",
            tag: "Monitoring",
            summary: "Price disparity across markets",
            params: vec![date(), p_query("commodity", "Commodity code or name.")],
            body: &[],
            ok: ("200", JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );
    add(
        "/api/prices/series",
        "get",
        Op {
            id: "getPriceSeries",
            tag: "Monitoring",
            summary: "One commodity's weekly price per market, with the HET/HAP in force",
            params: vec![
                p_query_required("commodity", "Commodity code or name."),
                p_query(
                    "market",
                    "Markets (id, code or name), comma-separated; all by default.",
                ),
                p_query("from", "YYYY-MM-DD; 104 weeks before `to` by default."),
                p_query(
                    "to",
                    "YYYY-MM-DD; the newest price by default. At most two years.",
                ),
                f(),
            ],
            body: &[],
            ok: ("200", CSV_OR_JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );
    add(
        "/api/prices/import",
        "post",
        Op {
            id: "importPrices",
            tag: "Monitoring",
            summary: "Import prices (CSV, planner)",
            params: vec![],
            body: &["text/csv"],
            ok: ("200", JSON),
            errors: &["401", "403", "413", "415", "422"],
            auth: true,
        },
    );
    add(
        "/api/waste/reports",
        "post",
        Op {
            id: "createWasteReport",
            tag: "Monitoring",
            summary: "Report waste (public, rate-limited)",
            params: vec![],
            body: &["application/json", "multipart/form-data"],
            ok: ("201", JSON),
            errors: &["400", "413", "415", "422", "429"],
            auth: false,
        },
    );
    add(
        "/api/waste/reports",
        "get",
        Op {
            id: "listWasteReports",
            tag: "Monitoring",
            summary: "Waste reports, newest first",
            params: vec![
                p_query("status", "open or one status."),
                p_query("kelurahan", "Kelurahan code."),
                p_query("limit", "Page size."),
                p_query("offset", "Reports to skip."),
            ],
            body: &[],
            ok: ("200", JSON),
            errors: &["400"],
            auth: false,
        },
    );
    let report = || p_path("id", "Report id.");
    add(
        "/api/waste/reports/{id}",
        "get",
        Op {
            id: "getWasteReport",
            tag: "Monitoring",
            summary: "One waste report with its timeline (by id or reference LS-<id>)",
            params: vec![report()],
            body: &[],
            ok: ("200", JSON),
            errors: &["404"],
            auth: false,
        },
    );
    add(
        "/api/waste/reports/{id}/photo",
        "get",
        Op {
            id: "getWasteReportPhoto",
            tag: "Monitoring",
            summary: "A report's photo (planner)",
            params: vec![report()],
            body: &[],
            ok: ("200", &["image/jpeg", "image/png"]),
            errors: &["401", "403", "404"],
            auth: true,
        },
    );
    add(
        "/api/waste/reports/{id}/status",
        "post",
        Op {
            id: "setWasteReportStatus",
            tag: "Monitoring",
            summary: "Move a report to its next status (planner)",
            params: vec![report()],
            body: &["application/json"],
            ok: ("200", JSON),
            errors: &["400", "401", "403", "404", "409", "422"],
            auth: true,
        },
    );
    add(
        "/api/waste/summary",
        "get",
        Op {
            id: "getWasteSummary",
            tag: "Monitoring",
            summary: "Open reports and time to close",
            params: vec![p_query("from", "YYYY-MM-DD."), p_query("to", "YYYY-MM-DD.")],
            body: &[],
            ok: ("200", JSON),
            errors: &["400"],
            auth: false,
        },
    );
    add(
        "/api/waste/trend",
        "get",
        Op {
            id: "getWasteTrend",
            tag: "Monitoring",
            summary: "Waste reports per month by status, median time to close",
            params: vec![
                p_query("from", "YYYY-MM; 11 months before `to` by default."),
                p_query("to", "YYYY-MM; the month of the newest report by default."),
                p_query("kelurahan", "Kelurahan code."),
            ],
            body: &[],
            ok: ("200", JSON),
            errors: &["400", "404"],
            auth: false,
        },
    );

    // Import and export.
    add(
        "/api/imports",
        "post",
        Op {
            id: "startImport",
            tag: "Import",
            summary: "Start a GDAL import job (planner, admin); an archive is unpacked and every \
                      Shapefile checked before the job starts: over an import limit 413, \
                      damaged or self-contradicting files 422",
            params: vec![],
            body: &["multipart/form-data"],
            ok: ("202", JSON),
            errors: &["400", "401", "403", "413", "422"],
            auth: true,
        },
    );
    add(
        "/api/imports/{id}",
        "get",
        Op {
            id: "getImport",
            tag: "Import",
            summary: "An import job's status and report",
            params: vec![p_path("id", "Job id (UUID).")],
            body: &[],
            ok: ("200", JSON),
            errors: &["401", "403", "404"],
            auth: true,
        },
    );
    add(
        "/api/imports/{id}",
        "delete",
        Op {
            id: "cancelImport",
            tag: "Import",
            summary: "Cancel a running import job (the user who started it, or an admin): it \
                      becomes cancelled, its transaction is rolled back so nothing is written, \
                      its upload folder is removed; 409 when the job has already ended",
            params: vec![p_path("id", "Job id (UUID).")],
            body: &[],
            ok: ("200", JSON),
            errors: &["401", "403", "404", "409"],
            auth: true,
        },
    );
    add(
        "/api/exports/{layer}",
        "get",
        Op {
            id: "exportLayer",
            tag: "Import",
            summary: "A layer as a file (GPKG, GeoJSON, ...)",
            params: vec![
                p_path("layer", "Layer (zones, parcels, ...)."),
                p_query(
                    "format",
                    "GPKG (default), GeoJSON, ESRI Shapefile, FlatGeobuf, KML.",
                ),
                p_query("t_srs", "EPSG:N of the file (default EPSG:4326)."),
                p_query("filter", "CQL2 text."),
            ],
            body: &[],
            ok: ("200", &["application/octet-stream"]),
            errors: &["400", "404"],
            auth: false,
        },
    );

    // Web pages and their assets.
    for (path, id, summary) in [
        ("/peta", "pagePeta", "Planners' map"),
        (
            "/ajukan",
            "pageAjukan",
            "Applicants' page: draw, check, submit",
        ),
        (
            "/verifikasi",
            "pageVerifikasi",
            "Staff queue and verification",
        ),
        (
            "/pantau",
            "pagePantau",
            "Monitoring dashboard: prices, stunting, waste; staff handling of waste reports",
        ),
        (
            "/lapor",
            "pageLapor",
            "Citizens report waste and look a report up by its reference",
        ),
    ] {
        add(
            path,
            "get",
            Op {
                id,
                tag: "Web",
                summary,
                params: vec![],
                body: &[],
                ok: ("200", &["text/html"]),
                errors: &[],
                auth: false,
            },
        );
    }
    add(
        "/assets/app/{path}",
        "get",
        Op {
            id: "appAsset",
            tag: "Web",
            summary: "The pages' scripts and styles (web/src)",
            params: vec![p_path("path", "File path below web/src (may contain `/`).")],
            body: &[],
            ok: ("200", &[]),
            errors: &["404"],
            auth: false,
        },
    );
    add(
        "/assets/vendor/{package}/{path}",
        "get",
        Op {
            id: "vendorAsset",
            tag: "Web",
            summary: "A file of an npm package's dist folder",
            params: vec![
                p_path("package", "npm package name."),
                p_path("path", "File path below dist (may contain `/`)."),
            ],
            body: &[],
            ok: ("200", &[]),
            errors: &["404"],
            auth: false,
        },
    );
    Value::Object(p)
}
