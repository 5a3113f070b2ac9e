//! Ops routes: liveness and readiness. (The landing page `/` belongs to the OGC API, `crate::ogc`.)

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// `GET /healthz`: the process is up and answering. Never touches the database.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration is applied; 503 otherwise. The
/// answer also says how far the layers cut in-process are loaded (it does not wait for them).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let check = async {
        sqlx::query("SELECT 1").execute(&state.pool).await?;
        crate::db::migrations_current(&state.pool).await
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(true)) => Ok(Json(json!({
            "status": "ready",
            "database": "ok",
            "migrations": "current",
            // informational: a layer whose snapshot is loading is served by PostGIS meanwhile
            "tiles_in_memory": state.tiles.memory_states(),
        }))),
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
