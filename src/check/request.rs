//! The body of `POST /api/check` (also `ruang check`'s input) read into the engine's input,
//! and the refused request's problem answer. No HTTP handlers here.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::geojson::{self, RequestError};
use crate::error::ApiError;
use crate::rules::{BuildingFigures, CheckInput, RuleSet};

/// A refused request: its `code` (and `field`, `suggestions` when known), `no-store`.
impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let mut a = ApiError::coded(status, e.code, e.detail_id, e.detail_en);
        a.field = e.field;
        if !e.suggestions.is_empty() {
            a = a.with_member("suggestions", json!(e.suggestions));
        }
        a
    }
}

/// `rules::check`'s refusal of an input, as a problem answer.
impl From<crate::rules::CheckError> for ApiError {
    fn from(e: crate::rules::CheckError) -> Self {
        RequestError::from(e).into()
    }
}

/// The body of `POST /api/check`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    parcel: Value,
    #[serde(default)]
    crs: Option<String>,
    kbli: Value,
    #[serde(default)]
    building: Option<Value>,
    #[serde(default)]
    footprint: Option<Value>,
    #[serde(default)]
    declared_land_area_m2: Option<Value>,
    #[serde(default)]
    variant: Option<String>,
}

const FIGURES: &[&str] = &[
    "footprint_m2",
    "floor_area_m2",
    "floors",
    "height_m",
    "green_m2",
    "basement_m2",
];

fn field_error(field: &str, id: String, en: String) -> RequestError {
    RequestError::new(422, "invalid_field", Some(field), id, en)
}

fn number(field: &str, v: &Value) -> Result<Option<f64>, RequestError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        _ => Err(field_error(
            field,
            format!("Isian {field} harus berupa angka."),
            format!("The field {field} must be a number."),
        )),
    }
}

fn building(v: Option<&Value>) -> Result<BuildingFigures, RequestError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BuildingFigures::default());
    };
    let obj = v.as_object().ok_or_else(|| {
        field_error(
            "building",
            "Isian building harus berupa objek angka bangunan.".into(),
            "The field building must be an object of building figures.".into(),
        )
    })?;
    let mut b = BuildingFigures::default();
    for (k, v) in obj {
        let field = format!("building.{k}");
        let n = number(&field, v)?;
        match k.as_str() {
            "footprint_m2" => b.footprint_m2 = n,
            "floor_area_m2" => b.floor_area_m2 = n,
            "height_m" => b.height_m = n,
            "green_m2" => b.green_m2 = n,
            "basement_m2" => b.basement_m2 = n,
            "floors" => {
                b.floors = match n {
                    None => None,
                    Some(f) if f.fract() == 0.0 && f.abs() < 1e9 => Some(f as i64),
                    Some(_) => {
                        return Err(field_error(
                            &field,
                            "Jumlah lantai harus bilangan bulat.".into(),
                            "The number of floors must be a whole number.".into(),
                        ));
                    }
                }
            }
            _ => {
                return Err(field_error(
                    &field,
                    format!(
                        "Isian {field} tidak dikenal; yang dikenal: {}.",
                        FIGURES.join(", ")
                    ),
                    format!("Unknown field {field}; known: {}.", FIGURES.join(", ")),
                ));
            }
        }
    }
    Ok(b)
}

/// Parses the body into the engine's input (the shared part of the HTTP route and the CLI).
pub fn parse_request(body: &[u8], rs: &RuleSet) -> Result<CheckInput, ApiError> {
    let v = Value::Object(crate::http::body::parse_object(body)?);
    let req: CheckRequest = serde_json::from_value(v).map_err(|e| {
        RequestError::new(
            422,
            "invalid_field",
            None,
            format!("Isian permintaan tidak sah: {e}."),
            format!("Invalid request field: {e}."),
        )
    })?;
    let crs = geojson::input_crs(req.crs.as_deref()).ok_or_else(|| {
        let shown: String = req.crs.clone().unwrap_or_default().chars().take(60).collect();
        field_error(
            "crs",
            format!("CRS \"{shown}\" tidak didukung; gunakan EPSG:4326/CRS84 (bujur, lintang), EPSG:32751 atau EPSG:23840."),
            format!("CRS \"{shown}\" is not supported; use EPSG:4326/CRS84 (lon, lat), EPSG:32751 or EPSG:23840."),
        )
    })?;
    let kbli = match &req.kbli {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(field_error(
                "kbli",
                "Isian kbli harus berupa kode KBLI 5 angka, misalnya \"47111\".".into(),
                "The field kbli must be a 5-digit KBLI code, e.g. \"47111\".".into(),
            )
            .into());
        }
    };
    let max = rs.tolerances().max_vertices;
    let parcel = geojson::request_geometry("parcel", &req.parcel, crs, max)?;
    let footprint = match req.footprint.as_ref().filter(|f| !f.is_null()) {
        Some(f) => Some(geojson::request_geometry("footprint", f, crs, max)?),
        None => None,
    };
    let declared = match &req.declared_land_area_m2 {
        Some(v) => number("declared_land_area_m2", v)?,
        None => None,
    };
    Ok(CheckInput {
        parcel,
        footprint,
        kbli,
        building: building(req.building.as_ref())?,
        declared_land_area_m2: declared,
        variant: req.variant.filter(|v| !v.is_empty()),
    })
}
