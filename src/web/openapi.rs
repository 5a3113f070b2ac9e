//! OpenAPI description of the web pages, their assets and `GET /api/places`.

use crate::http::apidoc::{JSON, Op, Paths, p_path, p_query_required};

/// Path items of these routes.
pub fn paths(p: &mut Paths) {
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
        p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
}
