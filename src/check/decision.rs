//! The decision as JSON (every geometry in lon/lat) and as a GeoJSON FeatureCollection of its
//! findings: the answer of `POST /api/check`, of an application's check, and `ruang check --json`.

use serde_json::{Value, json};

use super::geojson;
use crate::rules::Decision;

/// The decision as JSON, with every geometry in lon/lat (CRS84).
pub fn decision_json(d: &Decision) -> Result<Value, String> {
    let mut v = serde_json::to_value(d).map_err(|e| e.to_string())?;
    for (i, f) in d.findings.iter().enumerate() {
        if let Some(g) = &f.geometry {
            v["findings"][i]["geometry"] = geojson::lonlat_geojson(g)?;
        }
    }
    if let Some(g) = &d.compliant_polygon {
        v["compliant_polygon"] = geojson::lonlat_geojson(g)?;
    }
    v["geometry_crs"] = json!("OGC:CRS84");
    Ok(v)
}

/// The findings as a GeoJSON FeatureCollection (lon/lat); the decision's other fields are
/// foreign members of the collection.
pub fn decision_feature_collection(d: &Decision) -> Result<Value, String> {
    let mut v = decision_json(d)?;
    let findings = v
        .get_mut("findings")
        .map(Value::take)
        .unwrap_or(Value::Array(vec![]));
    let features: Vec<Value> = findings
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let mut props = f.clone();
            let geometry = props
                .as_object_mut()
                .and_then(|o| o.remove("geometry"))
                .unwrap_or(Value::Null);
            json!({"type": "Feature", "geometry": geometry, "properties": props})
        })
        .collect();
    if let Some(o) = v.as_object_mut() {
        o.remove("findings");
        o.insert("type".into(), json!("FeatureCollection"));
        o.insert("features".into(), Value::Array(features));
    }
    Ok(v)
}
