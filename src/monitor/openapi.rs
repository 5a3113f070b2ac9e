//! OpenAPI description of the monitoring routes (stunting, prices, waste).

use crate::http::apidoc::{CSV_OR_JSON, JSON, Op, Paths, p_path, p_query, p_query_required};

/// Path items of these routes.
pub fn paths(p: &mut Paths) {
    // Monitoring.
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
    p.add(
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
}
