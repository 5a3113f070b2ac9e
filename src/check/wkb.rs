//! The WKB that `ST_AsBinary` returns (ISO or OGC, either byte order), read with geozero: polygons
//! and multipolygons only, that is all the rule set stores.

use geo::{Geometry, MultiPolygon};
use geozero::ToGeo;
use geozero::wkb::Wkb;

/// Decodes a WKB Polygon or MultiPolygon into a MultiPolygon.
pub fn multipolygon(buf: &[u8]) -> Result<MultiPolygon<f64>, String> {
    match Wkb(buf).to_geo().map_err(|e| format!("bad WKB: {e}"))? {
        Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        Geometry::MultiPolygon(mp) => Ok(mp),
        other => Err(format!(
            "WKB geometry {} is not a Polygon or MultiPolygon",
            kind(&other)
        )),
    }
}

fn kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_little_and_big_endian() {
        // POLYGON((0 0,1 0,1 1,0 0)) little endian
        let mut le = vec![1u8];
        le.extend(3u32.to_le_bytes());
        le.extend(1u32.to_le_bytes());
        le.extend(4u32.to_le_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            le.extend(x.to_le_bytes());
            le.extend(y.to_le_bytes());
        }
        let mp = multipolygon(&le).unwrap();
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].exterior().0.len(), 4);
        // the same as a big-endian MultiPolygon
        let mut be = vec![0u8];
        be.extend(6u32.to_be_bytes());
        be.extend(1u32.to_be_bytes());
        be.push(0);
        be.extend(3u32.to_be_bytes());
        be.extend(1u32.to_be_bytes());
        be.extend(4u32.to_be_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            be.extend(x.to_be_bytes());
            be.extend(y.to_be_bytes());
        }
        assert_eq!(multipolygon(&be).unwrap(), mp);
        assert!(multipolygon(&le[..20]).is_err());
        // ISO PolygonZ: the Z values are dropped
        let mut z = vec![1u8];
        z.extend(1003u32.to_le_bytes());
        z.extend(1u32.to_le_bytes());
        z.extend(4u32.to_le_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            z.extend(x.to_le_bytes());
            z.extend(y.to_le_bytes());
            z.extend(7.0f64.to_le_bytes());
        }
        assert_eq!(multipolygon(&z).unwrap(), mp);
        // a point is refused
        let mut pt = vec![1u8];
        pt.extend(1u32.to_le_bytes());
        pt.extend(1.0f64.to_le_bytes());
        pt.extend(2.0f64.to_le_bytes());
        assert!(multipolygon(&pt).unwrap_err().contains("Point"));
    }
}
