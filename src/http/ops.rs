//! Ops routes: liveness, readiness and a small landing page.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// `GET /healthz`: the process is up and answering. Never touches the database.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration is applied; 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let check = async {
        sqlx::query("SELECT 1").execute(&state.pool).await?;
        crate::db::migrations_current(&state.pool).await
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(true)) => Ok(Json(
            json!({ "status": "ready", "database": "ok", "migrations": "current" }),
        )),
        Ok(Ok(false)) => Err(ApiError::unavailable(
            "Migrasi basis data belum lengkap. Jalankan `ruang migrate`.",
            "Database migrations are not current. Run `ruang migrate`.",
        )),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::unavailable(
                "Basis data tidak dapat dihubungi.",
                "The database cannot be reached.",
            ))
        }
        Err(_) => Err(ApiError::unavailable(
            "Basis data tidak menjawab dalam 3 detik.",
            "The database did not answer within 3 seconds.",
        )),
    }
}

/// Tables shown on the landing page, with their Indonesian and English labels.
const DATASETS: &[(&str, &str, &str)] = &[
    (
        "admin_areas",
        "Wilayah administrasi",
        "Administrative areas",
    ),
    ("zones", "Zona RDTR", "Zoning (RDTR) zones"),
    ("overlays", "Ketentuan khusus (overlay)", "Overlays"),
    ("parcels", "Persil", "Parcels"),
    (
        "health_facilities",
        "Fasilitas kesehatan",
        "Health facilities",
    ),
    (
        "stunting_observations",
        "Data stunting",
        "Stunting observations",
    ),
    ("markets", "Pasar", "Markets"),
    ("price_observations", "Harga pangan", "Food prices"),
    ("waste_facilities", "Fasilitas sampah", "Waste facilities"),
    ("waste_reports", "Laporan sampah", "Waste reports"),
];

/// `GET /`: what this server holds, as HTML for browsers and JSON otherwise.
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // One statement, table names from the constant list above (never from the request).
    let sql = DATASETS
        .iter()
        .map(|(t, _, _)| format!("SELECT '{t}' AS name, count(*) AS n FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql).fetch_all(&state.pool).await?;
    let count = |t: &str| rows.iter().find(|(n, _)| n == t).map_or(0, |(_, c)| *c);
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let mut items = String::new();
        for (t, id, en) in DATASETS {
            items.push_str(&format!(
                "<tr><td>{id}</td><td lang=\"en\">{en}</td><td class=\"n\">{}</td></tr>",
                count(t)
            ));
        }
        let page = format!(
            "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>ruang — Kota Kupang</title><style>body{{font-family:system-ui,sans-serif;\
             max-width:44rem;margin:2rem auto;padding:0 1rem}}td{{padding:.2rem .6rem}}\
             .n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head><body>\
             <h1>ruang — Kota Kupang</h1><p>Server data spasial: zonasi RDTR, persetujuan ruang, \
             kesehatan, harga pangan dan sampah. <span lang=\"en\">Spatial data server: zoning, \
             permits, health, food prices and waste.</span></p><table>{items}</table>\
             <p><a href=\"/healthz\">/healthz</a> · <a href=\"/readyz\">/readyz</a></p></body></html>"
        );
        return Ok(Html(page).into_response());
    }
    let datasets: serde_json::Map<String, serde_json::Value> = DATASETS
        .iter()
        .map(|(t, _, _)| (t.to_string(), json!(count(t))))
        .collect();
    Ok((
        StatusCode::OK,
        Json(json!({
            "title": "ruang — Kota Kupang",
            "description": "Spatial data server: RDTR zoning, spatial-use permits, health, food prices and waste",
            "datasets": datasets,
            "links": [
                { "rel": "self", "href": "/", "type": "application/json" },
                { "rel": "alternate", "href": "/", "type": "text/html" },
                { "rel": "status", "href": "/healthz" },
                { "rel": "status", "href": "/readyz" }
            ]
        })),
    )
        .into_response())
}
