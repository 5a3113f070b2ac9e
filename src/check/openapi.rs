//! OpenAPI description of `POST /api/check`, `GET /api/zoning/at`, `GET /api/activities`.

use crate::http::apidoc::{JSON, Op, Paths, p_query, p_query_required};

/// Path items of these routes.
pub fn paths(p: &mut Paths) {
    // Zoning check.
    p.add(
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
    p.add(
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
    p.add(
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
}
