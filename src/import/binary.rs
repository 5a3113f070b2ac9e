//! PostgreSQL's binary COPY format, for the handful of column types the import targets use.
//!
//! Binary rather than text COPY because the server then takes each geometry as WKB bytes
//! (PostGIS' `geometry_recv`) instead of decoding twice as many hex digits, and every field
//! arrives with its length instead of being split and unescaped. That is about 7 % of the
//! server's work on a 200,000-polygon import, where the server is the bottleneck.
//!
//! Layout (PostgreSQL docs, "COPY — Binary Format"): a signature and two zero words; per row
//! the field count (i16) and per field its length (i32, -1 for NULL) and bytes, all big
//! endian; a trailer of -1 (i16).

use chrono::NaiveDate;

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

/// The start of every binary COPY stream.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end of every binary COPY stream.
pub const TRAILER: &[u8] = &[0xff, 0xff];

/// Appends one row: `values` in their canonical text form (as `target::convert` makes them)
/// for every column but the last, which is the geometry as 2D WKB. On error nothing is
/// appended and the message says which value could not be encoded.
pub fn push_row(
    out: &mut Vec<u8>,
    types: &[ColType],
    values: &[Option<String>],
    wkb: &[u8],
    srid: u32,
) -> Result<(), String> {
    debug_assert_eq!(types.len(), values.len() + 1);
    let start = out.len();
    let r = (|| {
        out.extend_from_slice(&(types.len() as i16).to_be_bytes());
        for (ty, v) in types.iter().zip(values) {
            match v {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(s) => field(out, |o| encode(o, *ty, s))?,
            }
        }
        field(out, |o| ewkb(o, wkb, srid))
    })();
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Writes a length-prefixed field.
fn field(
    out: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    body(out)?;
    let len = i32::try_from(out.len() - at - 4).map_err(|_| "value too large".to_string())?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn encode(out: &mut Vec<u8>, ty: ColType, s: &str) -> Result<(), String> {
    match ty {
        ColType::Text => out.extend_from_slice(s.as_bytes()),
        ColType::Int4 => {
            let v: i32 = s.parse().map_err(|_| format!("'{s}' is not an integer"))?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        ColType::Bool => out.push(match s {
            "true" | "t" => 1,
            "false" | "f" => 0,
            _ => return Err(format!("'{s}' is not a boolean")),
        }),
        ColType::Date => {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| format!("'{s}' is not a date"))?;
            let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
            let days = i32::try_from((d - epoch).num_days())
                .map_err(|_| format!("'{s}' is out of range"))?;
            out.extend_from_slice(&days.to_be_bytes());
        }
        ColType::Numeric => numeric(out, s)?,
        ColType::TextArray => text_array(out, s)?,
        ColType::Geometry => return Err("a geometry is sent as WKB, not text".into()),
    }
    Ok(())
}

/// `numeric` from a plain decimal (`-12.50`, `0.0001`, `300`): base-10000 digit groups with
/// the weight of the first group, a sign and the number of decimals shown.
fn numeric(out: &mut Vec<u8>, s: &str) -> Result<(), String> {
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
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

/// `text[]` from the simple literal `{A,B}` (elements without quotes, braces, backslashes or
/// blanks: the overlay codes); one dimension, no NULLs, element type text (oid 25).
fn text_array(out: &mut Vec<u8>, s: &str) -> Result<(), String> {
    let inner = s
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(|| format!("'{s}' is not an array literal"))?;
    let items: Vec<&str> = if inner.is_empty() {
        Vec::new()
    } else {
        inner.split(',').collect()
    };
    if items
        .iter()
        .any(|i| i.is_empty() || i.contains(['"', '\\', '{', '}', ' ']) || *i == "NULL")
    {
        return Err(format!("'{s}' is not a simple array literal"));
    }
    let ndim: i32 = if items.is_empty() { 0 } else { 1 };
    out.extend_from_slice(&ndim.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // no NULLs
    out.extend_from_slice(&25u32.to_be_bytes()); // text
    if ndim == 1 {
        out.extend_from_slice(&(items.len() as i32).to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes()); // lower bound
        for i in items {
            out.extend_from_slice(&(i.len() as i32).to_be_bytes());
            out.extend_from_slice(i.as_bytes());
        }
    }
    Ok(())
}

/// EWKB: the WKB with the SRID flag set in its type and the SRID after it.
fn ewkb(out: &mut Vec<u8>, wkb: &[u8], srid: u32) -> Result<(), String> {
    if wkb.len() < 5 || wkb[0] > 1 {
        return Err("WKB too short or of unknown byte order".into());
    }
    let little = wkb[0] == 1;
    let ty = [wkb[1], wkb[2], wkb[3], wkb[4]];
    let head = if little {
        u32::from_le_bytes(ty)
    } else {
        u32::from_be_bytes(ty)
    } | 0x2000_0000;
    out.push(wkb[0]);
    if little {
        out.extend_from_slice(&head.to_le_bytes());
        out.extend_from_slice(&srid.to_le_bytes());
    } else {
        out.extend_from_slice(&head.to_be_bytes());
        out.extend_from_slice(&srid.to_be_bytes());
    }
    out.extend_from_slice(&wkb[5..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(ty: ColType, s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, ty, s).unwrap();
        out
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
            assert!(
                encode(&mut Vec::new(), ColType::Numeric, bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates_count_days_from_2000() {
        assert_eq!(enc(ColType::Date, "2000-01-01"), 0i32.to_be_bytes());
        assert_eq!(enc(ColType::Date, "2000-01-31"), 30i32.to_be_bytes());
        assert_eq!(enc(ColType::Date, "1999-12-31"), (-1i32).to_be_bytes());
        assert!(encode(&mut Vec::new(), ColType::Date, "2000-02-30").is_err());
    }

    #[test]
    fn arrays_and_rows() {
        let a = enc(ColType::TextArray, "{KKOP,KRB}");
        assert_eq!(&a[..12], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25]);
        assert_eq!(&a[12..20], [0, 0, 0, 2, 0, 0, 0, 1]);
        assert_eq!(&a[20..], b"\0\0\0\x04KKOP\0\0\0\x03KRB");
        assert_eq!(enc(ColType::TextArray, "{}")[..4], [0, 0, 0, 0]);
        assert!(encode(&mut Vec::new(), ColType::TextArray, "{\"a b\"}").is_err());

        let types = [ColType::Text, ColType::Int4, ColType::Geometry];
        let point = [1u8, 1, 0, 0, 0];
        let mut out = vec![9];
        push_row(&mut out, &types, &[Some("ab".into()), None], &point, 4326).unwrap();
        assert_eq!(
            out,
            [
                &[9, 0, 3][..],
                &[0, 0, 0, 2, b'a', b'b'],
                &[0xff, 0xff, 0xff, 0xff],
                &[0, 0, 0, 9, 1, 1, 0, 0, 0x20, 0xe6, 0x10, 0, 0],
            ]
            .concat()
        );
        // A value that cannot be encoded leaves nothing behind.
        let bad = push_row(&mut out, &types, &[None, Some("x".into())], &point, 4326);
        assert!(bad.is_err());
        assert_eq!(out.len(), 3 + 6 + 4 + 13);
    }
}
