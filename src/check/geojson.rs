//! Geometry at the HTTP edge: GeoJSON in (any of the accepted CRSs), EPSG:32751 for the engine,
//! GeoJSON in lon/lat (CRS84) out. Transforms use PROJ, one transformer per thread and CRS
//! pair (`Proj` is not `Sync`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use proj::Proj;
use serde_json::{Value, json};

use crate::crs::Crs;
use crate::rules::{CheckError, CheckErrorKind, MetricMultiPolygon, Utm51s, diagnose_lonlat};

/// The CRS of a request's `crs` field (`None` = CRS84): lon/lat degrees (GeoJSON's default;
/// `EPSG:4326` is read in lon/lat order too), EPSG:32751 or EPSG:23840 metres. Web Mercator is
/// not taken (its metres are not ground metres).
pub fn input_crs(s: Option<&str>) -> Option<Crs> {
    let Some(s) = s else {
        return Some(Crs::Crs84);
    };
    match Crs::parse(s)? {
        Crs::Crs84 | Crs::Epsg4326 => Some(Crs::Crs84),
        c @ (Crs::Utm51s | Crs::Tm3Zone512) => Some(c),
        Crs::WebMercator => None,
    }
}

/// A refused request, naming the field; rendered as problem+json by [`super::http`].
#[derive(Debug, Clone)]
pub struct RequestError {
    pub status: u16,
    /// Machine-readable kind (`invalid_geometry`, `unknown_kbli`, `bad_json`, ...).
    pub code: &'static str,
    pub field: Option<String>,
    pub detail_id: String,
    pub detail_en: String,
    pub suggestions: Vec<crate::rules::ActivitySuggestion>,
}

impl RequestError {
    pub fn new(
        status: u16,
        code: &'static str,
        field: Option<&str>,
        id: String,
        en: String,
    ) -> Self {
        RequestError {
            status,
            code,
            field: field.map(str::to_string),
            detail_id: id,
            detail_en: en,
            suggestions: Vec::new(),
        }
    }

    pub fn invalid(field: &str, id: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(422, "invalid_geometry", Some(field), id.into(), en.into())
    }
}

impl From<CheckError> for RequestError {
    fn from(e: CheckError) -> Self {
        let code = match e.kind {
            CheckErrorKind::EmptyGeometry => "empty_geometry",
            CheckErrorKind::InvalidGeometry => "invalid_geometry",
            CheckErrorKind::TooManyVertices => "too_many_vertices",
            CheckErrorKind::InvalidFigure => "invalid_figure",
            CheckErrorKind::ImpossibleFigures => "impossible_figures",
            CheckErrorKind::UnknownKbli => "unknown_kbli",
            CheckErrorKind::MetresAsDegrees => "metres_as_degrees",
            CheckErrorKind::LonLatSwapped => "lon_lat_swapped",
            CheckErrorKind::OutsideKupang => "outside_kupang",
        };
        RequestError {
            status: e.kind.http_status(),
            code,
            field: Some(e.field),
            detail_id: e.message_id,
            detail_en: e.message_en,
            suggestions: e.suggestions,
        }
    }
}

fn position(field: &str, v: &Value) -> Result<Coord<f64>, RequestError> {
    let bad = || {
        RequestError::invalid(
            field,
            "GeoJSON tidak sah: setiap posisi harus berupa larik angka [x, y].",
            "Invalid GeoJSON: every position must be an array of numbers [x, y].",
        )
    };
    let a = v.as_array().ok_or_else(bad)?;
    if a.len() < 2 {
        return Err(bad());
    }
    let x = a[0].as_f64().ok_or_else(bad)?;
    let y = a[1].as_f64().ok_or_else(bad)?;
    Ok(Coord { x, y })
}

fn ring(
    field: &str,
    v: &Value,
    count: &mut usize,
    max: usize,
) -> Result<LineString<f64>, RequestError> {
    let a = v.as_array().ok_or_else(|| {
        RequestError::invalid(
            field,
            "GeoJSON tidak sah: cincin poligon harus berupa larik posisi.",
            "Invalid GeoJSON: a polygon ring must be an array of positions.",
        )
    })?;
    *count += a.len();
    if *count > max {
        return Err(too_many(field, max));
    }
    let mut cs = a
        .iter()
        .map(|p| position(field, p))
        .collect::<Result<Vec<_>, _>>()?;
    if cs.len() < 4 || cs.first() != cs.last() {
        // an unclosed ring is closed; fewer than 3 distinct corners is refused
        if cs.first() != cs.last()
            && let Some(&first) = cs.first()
        {
            cs.push(first);
        }
        if cs.len() < 4 {
            return Err(RequestError::invalid(
                field,
                "GeoJSON tidak sah: cincin poligon memerlukan sedikitnya 4 posisi (titik pertama diulang di akhir).",
                "Invalid GeoJSON: a polygon ring needs at least 4 positions (the first repeated at the end).",
            ));
        }
    }
    Ok(LineString::new(cs))
}

fn too_many(field: &str, max: usize) -> RequestError {
    RequestError::new(
        413,
        "too_many_vertices",
        Some(field),
        format!("Geometri memiliki lebih dari {max} titik sudut; sederhanakan poligonnya."),
        format!("The geometry has more than {max} vertices; simplify the polygon."),
    )
}

fn polygon(
    field: &str,
    v: &Value,
    count: &mut usize,
    max: usize,
) -> Result<Polygon<f64>, RequestError> {
    let rings = v.as_array().ok_or_else(|| {
        RequestError::invalid(
            field,
            "GeoJSON tidak sah: koordinat Polygon harus berupa larik cincin.",
            "Invalid GeoJSON: Polygon coordinates must be an array of rings.",
        )
    })?;
    let mut rings = rings
        .iter()
        .map(|r| ring(field, r, count, max))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let exterior = rings.next().ok_or_else(|| {
        RequestError::new(
            422,
            "empty_geometry",
            Some(field),
            "Geometri kosong: gambarkan poligon persil.".into(),
            "The geometry is empty: draw the parcel polygon.".into(),
        )
    })?;
    Ok(Polygon::new(exterior, rings.collect()))
}

/// Reads a GeoJSON Polygon or MultiPolygon, bare or as a Feature's geometry, refusing more than
/// `max_vertices` positions before anything else is done with them.
pub fn parse(
    field: &str,
    v: &Value,
    max_vertices: usize,
) -> Result<MultiPolygon<f64>, RequestError> {
    let t = v.get("type").and_then(Value::as_str).unwrap_or("");
    let mut count = 0usize;
    match t {
        "Feature" => match v.get("geometry") {
            Some(g) if !g.is_null() => parse(field, g, max_vertices),
            _ => Err(RequestError::invalid(
                field,
                "Feature GeoJSON tidak memiliki geometri.",
                "The GeoJSON Feature has no geometry.",
            )),
        },
        "Polygon" => {
            let c = v.get("coordinates").unwrap_or(&Value::Null);
            Ok(MultiPolygon::new(vec![polygon(
                field,
                c,
                &mut count,
                max_vertices,
            )?]))
        }
        "MultiPolygon" => {
            let polys = v
                .get("coordinates")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    RequestError::invalid(
                        field,
                        "GeoJSON tidak sah: koordinat MultiPolygon harus berupa larik poligon.",
                        "Invalid GeoJSON: MultiPolygon coordinates must be an array of polygons.",
                    )
                })?;
            let polys = polys
                .iter()
                .map(|p| polygon(field, p, &mut count, max_vertices))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(MultiPolygon::new(polys))
        }
        "" => Err(RequestError::invalid(
            field,
            "GeoJSON tidak sah: objek geometri memerlukan \"type\" dan \"coordinates\".",
            "Invalid GeoJSON: a geometry object needs \"type\" and \"coordinates\".",
        )),
        other => {
            let shown: String = other.chars().take(40).collect();
            Err(RequestError::invalid(
                field,
                format!(
                    "Geometri {shown} tidak dapat diperiksa: kirimkan Polygon atau MultiPolygon."
                ),
                format!("A {shown} cannot be checked: send a Polygon or MultiPolygon."),
            ))
        }
    }
}

thread_local! {
    static PROJS: RefCell<HashMap<(Crs, bool), Rc<Proj>>> = RefCell::new(HashMap::new());
}

/// The transformer between `crs` and EPSG:32751 (`to_utm`) or back, made once per thread.
fn with_proj<T>(
    crs: Crs,
    to_utm: bool,
    f: impl FnOnce(&Proj) -> Result<T, String>,
) -> Result<T, String> {
    let p = PROJS.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(p) = m.get(&(crs, to_utm)) {
            return Ok(Rc::clone(p));
        }
        let (from, to) = if to_utm {
            (crs.proj_name(), "EPSG:32751")
        } else {
            ("EPSG:32751", crs.proj_name())
        };
        let p = Rc::new(
            Proj::new_known_crs(from, to, None).map_err(|e| format!("PROJ {from} -> {to}: {e}"))?,
        );
        m.insert((crs, to_utm), Rc::clone(&p));
        Ok::<_, String>(p)
    })?;
    f(&p)
}

fn map_ring<F>(ls: &LineString<f64>, f: &mut F) -> Result<LineString<f64>, String>
where
    F: FnMut(&mut [(f64, f64)]) -> Result<(), String>,
{
    let mut v: Vec<(f64, f64)> = ls.0.iter().map(|c| (c.x, c.y)).collect();
    f(&mut v)?;
    Ok(LineString::new(
        v.into_iter().map(|(x, y)| Coord { x, y }).collect(),
    ))
}

fn map_coords<F>(mp: &MultiPolygon<f64>, mut f: F) -> Result<MultiPolygon<f64>, String>
where
    F: FnMut(&mut [(f64, f64)]) -> Result<(), String>,
{
    let mut polys = Vec::with_capacity(mp.0.len());
    for p in &mp.0 {
        let ext = map_ring(p.exterior(), &mut f)?;
        let ints = p
            .interiors()
            .iter()
            .map(|r| map_ring(r, &mut f))
            .collect::<Result<Vec<_>, _>>()?;
        polys.push(Polygon::new(ext, ints));
    }
    Ok(MultiPolygon::new(polys))
}

/// Transforms `mp` from `crs` to EPSG:32751 metres.
pub fn to_metric(mp: &MultiPolygon<f64>, crs: Crs) -> Result<MultiPolygon<f64>, String> {
    if crs == Crs::Utm51s {
        return Ok(mp.clone());
    }
    with_proj(crs, true, |p| {
        map_coords(mp, |v| {
            p.convert_array(v).map(|_| ()).map_err(|e| e.to_string())
        })
    })
}

/// Transforms EPSG:32751 metres to lon/lat (CRS84).
pub fn to_lonlat(mp: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, String> {
    with_proj(Crs::Crs84, false, |p| {
        map_coords(mp, |v| {
            p.convert_array(v).map(|_| ()).map_err(|e| e.to_string())
        })
    })
}

/// One point from EPSG:32751 to lon/lat or back.
pub fn point(x: f64, y: f64, to_utm: bool) -> Result<(f64, f64), String> {
    with_proj(Crs::Crs84, to_utm, |p| {
        p.convert((x, y)).map_err(|e| e.to_string())
    })
}

/// A request geometry ready for the engine: parsed, diagnosed (lon/lat mistakes), transformed.
pub fn request_geometry(
    field: &str,
    v: &Value,
    crs: Crs,
    max_vertices: usize,
) -> Result<MetricMultiPolygon, RequestError> {
    let mp = parse(field, v, max_vertices)?;
    use geo::CoordsIter;
    if crs.geographic() {
        if let Some(e) = diagnose_lonlat(field, mp.coords_iter()) {
            return Err(e.into());
        }
    } else {
        let degrees_like = mp
            .coords_iter()
            .all(|c| c.x.abs() <= 180.0 && c.y.abs() <= 90.0);
        if degrees_like {
            return Err(CheckError::new(
                CheckErrorKind::InvalidGeometry,
                field,
                format!(
                    "Koordinat tampak dalam derajat, bukan meter {}. Hapus isian \"crs\" untuk bujur/lintang.",
                    crs.proj_name()
                ),
                format!(
                    "The coordinates look like degrees, not {} metres. Leave out \"crs\" for lon/lat.",
                    crs.proj_name()
                ),
            )
            .into());
        }
    }
    let metric = to_metric(&mp, crs).map_err(|e| {
        RequestError::invalid(
            field,
            format!("Koordinat tidak dapat ditransformasikan ke EPSG:32751 ({e})."),
            format!("The coordinates cannot be transformed to EPSG:32751 ({e})."),
        )
    })?;
    Ok(Utm51s::new(metric))
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// GeoJSON MultiPolygon in lon/lat (7 decimals, about 1 cm) of an EPSG:32751 geometry.
pub fn lonlat_geojson(g: &MetricMultiPolygon) -> Result<Value, String> {
    let ll = to_lonlat(g.geom())?;
    let ring = |ls: &LineString<f64>| -> Value {
        Value::Array(
            ls.0.iter()
                .map(|c| json!([round7(c.x), round7(c.y)]))
                .collect(),
        )
    };
    let polys: Vec<Value> =
        ll.0.iter()
            .map(|p| {
                let mut rings = vec![ring(p.exterior())];
                rings.extend(p.interiors().iter().map(ring));
                Value::Array(rings)
            })
            .collect();
    Ok(json!({"type": "MultiPolygon", "coordinates": polys}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_names() {
        assert_eq!(input_crs(None), Some(Crs::Crs84));
        assert_eq!(input_crs(Some("EPSG:4326")), Some(Crs::Crs84));
        assert_eq!(
            input_crs(Some("urn:ogc:def:crs:OGC:1.3:CRS84")),
            Some(Crs::Crs84)
        );
        assert_eq!(input_crs(Some("epsg:32751")), Some(Crs::Utm51s));
        assert_eq!(input_crs(Some("EPSG:23840")), Some(Crs::Tm3Zone512));
        assert_eq!(input_crs(Some("EPSG:3857")), None);
        assert_eq!(input_crs(Some("[EPSG:23840]")), Some(Crs::Tm3Zone512));
    }

    #[test]
    fn lonlat_round_trip_through_utm() {
        let (x, y) = point(123.6, -10.17, true).unwrap();
        assert!(
            (x - 565_700.0).abs() < 1_000.0 && (y - 8_875_600.0).abs() < 1_000.0,
            "{x} {y}"
        );
        let (lon, lat) = point(x, y, false).unwrap();
        assert!((lon - 123.6).abs() < 1e-9 && (lat + 10.17).abs() < 1e-9);
    }

    #[test]
    fn refuses_bad_geojson() {
        let max = 10_000;
        assert!(
            parse(
                "parcel",
                &json!({"type": "Point", "coordinates": [1, 2]}),
                max
            )
            .is_err()
        );
        assert!(
            parse(
                "parcel",
                &json!({"type": "Polygon", "coordinates": "x"}),
                max
            )
            .is_err()
        );
        assert!(
            parse(
                "parcel",
                &json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}),
                max
            )
            .is_err()
        );
        let ok = json!({"type": "Feature", "properties": {}, "geometry":
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}});
        assert_eq!(
            parse("parcel", &ok, max).unwrap().0[0].exterior().0.len(),
            4
        );
        let e = parse("parcel", &ok, 2).unwrap_err();
        assert_eq!(e.status, 413);
    }
}
