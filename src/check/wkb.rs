//! A small reader for the (ISO / OGC) WKB that `ST_AsBinary` returns, for polygons and
//! multipolygons only: that is all the rule set stores.

use geo::{Coord, LineString, MultiPolygon, Polygon};

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    little: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos + N;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| format!("WKB ends early at byte {}", self.pos))?;
        self.pos = end;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn byte_order(&mut self) -> Result<(), String> {
        let [b] = self.take::<1>()?;
        self.little = match b {
            0 => false,
            1 => true,
            _ => return Err(format!("bad WKB byte order {b}")),
        };
        Ok(())
    }

    fn u32(&mut self) -> Result<u32, String> {
        let a = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f64(&mut self) -> Result<f64, String> {
        let a = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }

    /// Reads a geometry header; returns the base type (1..7) and the coordinate dimension.
    fn header(&mut self) -> Result<(u32, usize), String> {
        self.byte_order()?;
        let t = self.u32()?;
        // EWKB flags (PostGIS) and ISO Z/M/ZM offsets.
        let ewkb_z = t & 0x8000_0000 != 0;
        let ewkb_m = t & 0x4000_0000 != 0;
        if t & 0x2000_0000 != 0 {
            self.u32()?; // SRID
        }
        let t = t & 0x0fff_ffff;
        let (base, iso_dims) = (t % 1000, t / 1000);
        let dims = match iso_dims {
            0 => 2 + usize::from(ewkb_z) + usize::from(ewkb_m),
            1 | 2 => 3,
            3 => 4,
            _ => return Err(format!("bad WKB type {t}")),
        };
        Ok((base, dims))
    }

    fn count(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        // every element takes at least 4 bytes: refuse counts the buffer cannot hold
        if n > self.buf.len() {
            return Err(format!("bad WKB element count {n}"));
        }
        Ok(n)
    }

    fn polygon_body(&mut self, dims: usize) -> Result<Polygon<f64>, String> {
        let rings = self.count()?;
        let mut out: Vec<LineString<f64>> = Vec::with_capacity(rings);
        for _ in 0..rings {
            let n = self.count()?;
            let mut cs = Vec::with_capacity(n);
            for _ in 0..n {
                let x = self.f64()?;
                let y = self.f64()?;
                for _ in 2..dims {
                    self.f64()?;
                }
                cs.push(Coord { x, y });
            }
            out.push(LineString::new(cs));
        }
        let mut it = out.into_iter();
        let exterior = it.next().unwrap_or_else(|| LineString::new(vec![]));
        Ok(Polygon::new(exterior, it.collect()))
    }
}

/// Decodes a WKB Polygon or MultiPolygon into a MultiPolygon.
pub fn multipolygon(buf: &[u8]) -> Result<MultiPolygon<f64>, String> {
    let mut r = Reader {
        buf,
        pos: 0,
        little: true,
    };
    let (t, dims) = r.header()?;
    match t {
        3 => Ok(MultiPolygon::new(vec![r.polygon_body(dims)?])),
        6 => {
            let n = r.count()?;
            let mut polys = Vec::with_capacity(n);
            for _ in 0..n {
                let (t, dims) = r.header()?;
                if t != 3 {
                    return Err(format!("WKB MultiPolygon holds geometry type {t}"));
                }
                polys.push(r.polygon_body(dims)?);
            }
            Ok(MultiPolygon::new(polys))
        }
        _ => Err(format!(
            "WKB geometry type {t} is not a Polygon or MultiPolygon"
        )),
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
    }
}
