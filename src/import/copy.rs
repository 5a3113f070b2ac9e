//! The values of one COPY row, for tokio-postgres's `BinaryCopyInWriter`.
//!
//! Rows go as binary COPY rather than text because the server then takes each geometry as WKB
//! bytes (PostGIS' `geometry_recv`) instead of decoding twice as many hex digits, and every
//! field arrives with its length instead of being split and unescaped: about 7 % of the
//! server's work on a 200,000-polygon import, where the server is the bottleneck.
//!
//! The reader thread parses each feature's canonical text values (as `target::convert` makes
//! them) into [`Field`]s, so a value that cannot be sent rejects its feature there; the writer
//! frames the rows (PostgreSQL docs, "COPY — Binary Format") and encodes each field with its
//! `ToSql`: postgres-types' own for text, integers, booleans, dates and `text[]`, the two
//! below for `numeric` and `geometry`, which it does not know.

use bytes::{BufMut, BytesMut};
use chrono::NaiveDate;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// The type of one COPY column, as the table declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int4,
    Bool,
    Date,
    Numeric,
    /// `text[]`
    TextArray,
    /// `geometry` (sent as EWKB)
    Geometry,
}

impl ColType {
    /// The name PostgreSQL's `format_type` gives the type (for checks against the catalogue).
    pub fn sql_name(self) -> &'static str {
        match self {
            ColType::Text => "text",
            ColType::Int4 => "integer",
            ColType::Bool => "boolean",
            ColType::Date => "date",
            ColType::Numeric => "numeric",
            ColType::TextArray => "text[]",
            ColType::Geometry => "geometry",
        }
    }
}

/// One value of a COPY row, parsed and ready to be encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Null,
    Text(String),
    Int4(i32),
    Bool(bool),
    Date(NaiveDate),
    Numeric(Numeric),
    TextArray(Vec<String>),
    Geometry(Ewkb),
}

impl Field {
    /// Parses a value in its canonical text form as a value of `ty`.
    pub fn parse(ty: ColType, s: &str) -> Result<Field, String> {
        Ok(match ty {
            ColType::Text => Field::Text(s.to_string()),
            ColType::Int4 => {
                Field::Int4(s.parse().map_err(|_| format!("'{s}' is not an integer"))?)
            }
            ColType::Bool => Field::Bool(match s {
                "true" | "t" => true,
                "false" | "f" => false,
                _ => return Err(format!("'{s}' is not a boolean")),
            }),
            ColType::Date => Field::Date(
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| format!("'{s}' is not a date"))?,
            ),
            ColType::Numeric => Field::Numeric(Numeric::parse(s)?),
            ColType::TextArray => Field::TextArray(text_array(s)?),
            ColType::Geometry => return Err("a geometry is sent as WKB, not text".into()),
        })
    }

    /// Bytes this value holds in memory, roughly (for sizing batches).
    pub fn size(&self) -> usize {
        std::mem::size_of::<Field>()
            + match self {
                Field::Text(s) => s.len(),
                Field::Numeric(n) => n.0.len(),
                Field::TextArray(a) => a.iter().map(|s| 24 + s.len()).sum(),
                Field::Geometry(g) => g.wkb.len(),
                Field::Null | Field::Int4(_) | Field::Bool(_) | Field::Date(_) => 0,
            }
    }
}

/// A row: `values` in their canonical text form for every column of `types` but the last,
/// which is the geometry as 2D WKB (with `srid`). The error says which value cannot be sent.
pub fn row(
    types: &[ColType],
    values: Vec<Option<String>>,
    wkb: Vec<u8>,
    srid: u32,
) -> Result<Vec<Field>, String> {
    debug_assert_eq!(types.len(), values.len() + 1);
    let mut row = Vec::with_capacity(types.len());
    for (ty, v) in types.iter().zip(values) {
        row.push(match v {
            None => Field::Null,
            Some(s) if *ty == ColType::Text => Field::Text(s),
            Some(s) => Field::parse(*ty, &s)?,
        });
    }
    row.push(Field::Geometry(Ewkb::new(wkb, srid)?));
    Ok(row)
}

impl ToSql for Field {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        // Each value checks that the column's type is one it can be written as.
        match self {
            Field::Null => Ok(IsNull::Yes),
            Field::Text(s) => s.to_sql_checked(ty, out),
            Field::Int4(i) => i.to_sql_checked(ty, out),
            Field::Bool(b) => b.to_sql_checked(ty, out),
            Field::Date(d) => d.to_sql_checked(ty, out),
            Field::Numeric(n) => n.to_sql_checked(ty, out),
            Field::TextArray(a) => a.to_sql_checked(ty, out),
            Field::Geometry(g) => g.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value, by the type inside.
        true
    }

    to_sql_checked!();
}

/// A `numeric` in PostgreSQL's binary form: base-10000 digit groups with the weight of the
/// first group, a sign and the number of decimals shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Numeric(Vec<u8>);

impl Numeric {
    /// From a plain decimal (`-12.50`, `0.0001`, `300`).
    pub fn parse(s: &str) -> Result<Numeric, String> {
        let bad = || format!("'{s}' is not a decimal number");
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let dscale = i16::try_from(frac.len()).map_err(|_| bad())?;
        // Pad the integer part on the left and the fraction on the right to whole groups of four.
        let int_pad = (4 - int.len() % 4) % 4;
        let frac_pad = (4 - frac.len() % 4) % 4;
        let digits: Vec<u8> = std::iter::repeat_n(b'0', int_pad)
            .chain(int.bytes())
            .chain(frac.bytes())
            .chain(std::iter::repeat_n(b'0', frac_pad))
            .map(|b| b - b'0')
            .collect();
        let mut groups: Vec<i16> = digits
            .chunks(4)
            .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + *d as i16))
            .collect();
        let mut weight = i16::try_from((int.len() + int_pad) / 4).map_err(|_| bad())? - 1;
        // Leading zero groups lower the weight; trailing zero groups are implied.
        let lead = groups.iter().take_while(|g| **g == 0).count();
        groups.drain(..lead);
        weight -= lead as i16;
        while groups.last() == Some(&0) {
            groups.pop();
        }
        if groups.is_empty() {
            weight = 0;
        }
        let sign: u16 = if neg && !groups.is_empty() { 0x4000 } else { 0 };
        let mut out = Vec::with_capacity(8 + 2 * groups.len());
        out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
        for g in groups {
            out.extend_from_slice(&g.to_be_bytes());
        }
        Ok(Numeric(out))
    }
}

impl ToSql for Numeric {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.put_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }

    to_sql_checked!();
}

/// The elements of the simple literal `{A,B}` (no quotes, braces, backslashes, blanks or
/// NULLs: the overlay codes).
fn text_array(s: &str) -> Result<Vec<String>, String> {
    let inner = s
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(|| format!("'{s}' is not an array literal"))?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<String> = inner.split(',').map(str::to_string).collect();
    if items
        .iter()
        .any(|i| i.is_empty() || i.contains(['"', '\\', '{', '}', ' ']) || i == "NULL")
    {
        return Err(format!("'{s}' is not a simple array literal"));
    }
    Ok(items)
}

/// A 2D WKB geometry with its SRID, sent to a `geometry` column as EWKB (the WKB with the
/// SRID flag set in its type and the SRID after it).
#[derive(Debug, Clone, PartialEq)]
pub struct Ewkb {
    wkb: Vec<u8>,
    srid: u32,
}

impl Ewkb {
    pub fn new(wkb: Vec<u8>, srid: u32) -> Result<Ewkb, String> {
        if wkb.len() < 5 || wkb[0] > 1 {
            return Err("WKB too short or of unknown byte order".into());
        }
        Ok(Ewkb { wkb, srid })
    }
}

impl ToSql for Ewkb {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let w = &self.wkb;
        let little = w[0] == 1;
        let ty = [w[1], w[2], w[3], w[4]];
        let head = if little {
            u32::from_le_bytes(ty)
        } else {
            u32::from_be_bytes(ty)
        } | 0x2000_0000;
        out.reserve(w.len() + 4);
        out.put_u8(w[0]);
        if little {
            out.put_u32_le(head);
            out.put_u32_le(self.srid);
        } else {
            out.put_u32(head);
            out.put_u32(self.srid);
        }
        out.put_slice(&w[5..]);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "geometry"
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(ty: ColType, s: &str) -> Vec<u8> {
        let t = match ty {
            ColType::Text => Type::TEXT,
            ColType::Int4 => Type::INT4,
            ColType::Bool => Type::BOOL,
            ColType::Date => Type::DATE,
            ColType::Numeric => Type::NUMERIC,
            ColType::TextArray => Type::TEXT_ARRAY,
            ColType::Geometry => unreachable!(),
        };
        let mut out = BytesMut::new();
        Field::parse(ty, s).unwrap().to_sql(&t, &mut out).unwrap();
        out.to_vec()
    }

    fn words(b: &[u8]) -> Vec<i16> {
        b.chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect()
    }

    #[test]
    fn numerics_are_base_10000_groups() {
        // ndigits, weight, sign, dscale, digits...
        assert_eq!(
            words(&enc(ColType::Numeric, "12.5")),
            [2, 0, 0, 1, 12, 5000]
        );
        assert_eq!(words(&enc(ColType::Numeric, "0.0001")), [1, -1, 0, 4, 1]);
        assert_eq!(words(&enc(ColType::Numeric, "300")), [1, 0, 0, 0, 300]);
        assert_eq!(
            words(&enc(ColType::Numeric, "123456")),
            [2, 1, 0, 0, 12, 3456]
        );
        assert_eq!(words(&enc(ColType::Numeric, "20000")), [1, 1, 0, 0, 2]);
        assert_eq!(words(&enc(ColType::Numeric, "0")), [0, 0, 0, 0]);
        assert_eq!(
            words(&enc(ColType::Numeric, "-0.5")),
            [1, -1, 0x4000, 1, 5000]
        );
        for bad in ["", ".", "1e5", "abc", "1.2.3", "--1"] {
            assert!(Field::parse(ColType::Numeric, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_count_days_from_2000() {
        assert_eq!(enc(ColType::Date, "2000-01-01"), 0i32.to_be_bytes());
        assert_eq!(enc(ColType::Date, "2000-01-31"), 30i32.to_be_bytes());
        assert_eq!(enc(ColType::Date, "1999-12-31"), (-1i32).to_be_bytes());
        assert!(Field::parse(ColType::Date, "2000-02-30").is_err());
    }

    #[test]
    fn arrays_geometries_and_rows() {
        let a = enc(ColType::TextArray, "{KKOP,KRB}");
        assert_eq!(&a[..12], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25]);
        assert_eq!(&a[12..20], [0, 0, 0, 2, 0, 0, 0, 1]);
        assert_eq!(&a[20..], b"\0\0\0\x04KKOP\0\0\0\x03KRB");
        // postgres-types sends an empty array as one dimension of length 0; PostgreSQL reads
        // it back as '{}' (the round trip in tests/import.rs).
        assert_eq!(enc(ColType::TextArray, "{}")[12..16], [0, 0, 0, 0]);
        assert!(Field::parse(ColType::TextArray, "{\"a b\"}").is_err());

        let types = [ColType::Text, ColType::Int4, ColType::Geometry];
        let point = vec![1u8, 1, 0, 0, 0];
        let r = row(&types, vec![Some("ab".into()), None], point.clone(), 4326).unwrap();
        assert_eq!(r[0], Field::Text("ab".into()));
        assert_eq!(r[1], Field::Null);
        let geometry = Type::new(
            "geometry".into(),
            16_000,
            tokio_postgres::types::Kind::Simple,
            "public".into(),
        );
        let mut out = BytesMut::new();
        r[2].to_sql_checked(&geometry, &mut out).unwrap();
        assert_eq!(&out[..], [1, 1, 0, 0, 0x20, 0xe6, 0x10, 0, 0]);
        // A geometry does not go into a text column, nor text into a geometry.
        assert!(r[2].to_sql_checked(&Type::TEXT, &mut out).is_err());
        assert!(r[0].to_sql_checked(&geometry, &mut out).is_err());
        // A value that cannot be parsed says so.
        assert!(row(&types, vec![None, Some("x".into())], point, 4326).is_err());
        assert!(row(&types, vec![None, None], vec![1, 1], 4326).is_err());
    }
}
