//! Geometry tagged with its CRS: EPSG:32751 (WGS 84 / UTM zone 51S), in metres.
//!
//! The engine measures areas and distances, so it only accepts geometry whose coordinates are
//! metres. [`Utm51s`] is the only way in: the caller that transformed lon/lat (or received
//! `"crs": "EPSG:32751"`) wraps the result, and degrees cannot reach a rule by accident.

use geo::{CoordsIter, MultiPolygon, Polygon};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// EPSG code of the metric CRS the engine works in.
pub const EPSG_UTM51S: u32 = 32751;

/// A geometry in EPSG:32751 metres (x = easting, y = northing).
#[derive(Debug, Clone, PartialEq)]
pub struct Utm51s<G>(G);

/// The geometry type used for parcels, zones, overlays and offending parts.
pub type MetricMultiPolygon = Utm51s<MultiPolygon<f64>>;

impl<G> Utm51s<G> {
    /// Wraps a geometry whose coordinates are already EPSG:32751 metres.
    pub fn new(geom: G) -> Self {
        Utm51s(geom)
    }

    /// The geometry, in metres.
    pub fn geom(&self) -> &G {
        &self.0
    }

    /// Unwraps the geometry.
    pub fn into_inner(self) -> G {
        self.0
    }
}

impl From<Utm51s<Polygon<f64>>> for Utm51s<MultiPolygon<f64>> {
    fn from(p: Utm51s<Polygon<f64>>) -> Self {
        Utm51s(MultiPolygon::new(vec![p.0]))
    }
}

/// Rounds to a multiple of `step` (0.01 for centimetres and hundredths), without `-0`.
pub(crate) fn round_to(x: f64, step: f64) -> f64 {
    let r = (x / step).round() * step;
    // (x / step).round() * step can print as 12.340000000000002; go through the decimal form.
    let decimals = (-step.log10()).ceil().max(0.0) as usize;
    let r: f64 = format!("{r:.decimals$}").parse().unwrap_or(r);
    if r == 0.0 { 0.0 } else { r }
}

/// Rounds to hundredths (areas in m², distances in m, percentages, ratios).
pub(crate) fn r2(x: f64) -> f64 {
    round_to(x, 0.01)
}

/// Serialises as a GeoJSON `MultiPolygon` geometry object whose coordinates are EPSG:32751
/// metres rounded to the millimetre (not CRS84: the HTTP edge transforms before answering).
impl Serialize for Utm51s<MultiPolygon<f64>> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Ring<'a>(&'a geo::LineString<f64>);
        impl Serialize for Ring<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.0.len()))?;
                for c in &self.0.0 {
                    seq.serialize_element(&[round_to(c.x, 0.001), round_to(c.y, 0.001)])?;
                }
                seq.end()
            }
        }
        struct Poly<'a>(&'a Polygon<f64>);
        impl Serialize for Poly<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(1 + self.0.interiors().len()))?;
                seq.serialize_element(&Ring(self.0.exterior()))?;
                for r in self.0.interiors() {
                    seq.serialize_element(&Ring(r))?;
                }
                seq.end()
            }
        }
        struct Polys<'a>(&'a MultiPolygon<f64>);
        impl Serialize for Polys<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.0.len()))?;
                for p in &self.0.0 {
                    seq.serialize_element(&Poly(p))?;
                }
                seq.end()
            }
        }
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", "MultiPolygon")?;
        map.serialize_entry("coordinates", &Polys(&self.0))?;
        map.end()
    }
}

/// Number of coordinates of a geometry, closing points included.
pub(crate) fn vertex_count(mp: &MultiPolygon<f64>) -> usize {
    mp.coords_count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_stable() {
        assert_eq!(r2(12.344999), 12.34);
        assert_eq!(r2(12.345001), 12.35);
        assert_eq!(r2(-0.001), 0.0);
        assert_eq!(r2(0.1 + 0.2), 0.3);
        assert_eq!(round_to(1.23456, 0.0001), 1.2346);
        assert_eq!(format!("{}", r2(-0.004)), "0");
    }

    #[test]
    fn serialises_as_geojson() {
        use geo::polygon;
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0006, y: 0.0), (x: 0.0, y: 1.0)];
        let g: MetricMultiPolygon = Utm51s::new(p).into();
        let v = serde_json::to_value(&g).unwrap();
        assert_eq!(v["type"], "MultiPolygon");
        assert_eq!(v["coordinates"][0][0][1][0], 1.001);
        assert_eq!(v["coordinates"][0][0].as_array().unwrap().len(), 4);
    }
}
