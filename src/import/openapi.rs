//! OpenAPI description of the import and export routes.

use crate::http::apidoc::{JSON, Op, Paths, p_path, p_query};

/// Path items of these routes.
pub fn paths(p: &mut Paths) {
    // Import and export.
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
}
