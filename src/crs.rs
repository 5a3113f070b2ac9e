//! The coordinate reference systems ruang accepts, one vocabulary for the OGC API (Part 2), the
//! zoning check and import/export, named by their OGC URIs and parsed from any of the usual
//! spellings: the OGC URI (`http` or `https`), its `[EPSG:n]` safe CURIE, the OGC URN
//! (`urn:ogc:def:crs:EPSG::n`), `EPSG:n`, `CRS84`.
//!
//! Geometry is stored in EPSG:4326 with longitude first (PostGIS's order), which is exactly
//! OGC:CRS84. `EPSG:4326` as an OGC URI means latitude first, so the OGC API serves it with the
//! coordinates flipped (`ST_FlipCoordinates`); the zoning check reads it longitude first, like
//! GeoJSON. The projected CRSs are PostGIS transforms (every one of them is in PostGIS's
//! `spatial_ref_sys`) and PROJ transforms in the check.

/// A CRS the server can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS 84 longitude/latitude (the default of GeoJSON and of OGC API - Features).
    Crs84,
    /// WGS 84 latitude/longitude (EPSG's axis order).
    Epsg4326,
    /// WGS 84 / Pseudo-Mercator, metres.
    WebMercator,
    /// WGS 84 / UTM zone 51S, metres.
    Utm51s,
    /// DGN95 / Indonesia TM-3 zone 51.2, metres.
    Tm3Zone512,
}

pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

impl Crs {
    pub const ALL: [Crs; 5] = [
        Crs::Crs84,
        Crs::Epsg4326,
        Crs::WebMercator,
        Crs::Utm51s,
        Crs::Tm3Zone512,
    ];

    /// The OGC URI (`http://www.opengis.net/def/crs/...`).
    pub fn uri(self) -> String {
        match self {
            Crs::Crs84 => CRS84_URI.to_string(),
            other => format!("http://www.opengis.net/def/crs/EPSG/0/{}", other.srid()),
        }
    }

    /// The PostGIS SRID of the coordinates as written (CRS84 and EPSG:4326 are both 4326).
    pub fn srid(self) -> i32 {
        match self {
            Crs::Crs84 | Crs::Epsg4326 => 4326,
            Crs::WebMercator => 3857,
            Crs::Utm51s => 32751,
            Crs::Tm3Zone512 => 23840,
        }
    }

    /// True when coordinates are written latitude first.
    pub fn lat_first(self) -> bool {
        self == Crs::Epsg4326
    }

    /// True for the geographic CRSs (degrees).
    pub fn geographic(self) -> bool {
        matches!(self, Crs::Crs84 | Crs::Epsg4326)
    }

    /// Decimal places worth writing: ~1 cm in degrees, 1 mm in metres.
    pub fn decimals(self) -> u8 {
        if self.geographic() { 8 } else { 3 }
    }

    /// The CRS of an EPSG code, if ruang accepts it.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        match code {
            4326 => Some(Crs::Epsg4326),
            3857 => Some(Crs::WebMercator),
            32751 => Some(Crs::Utm51s),
            23840 => Some(Crs::Tm3Zone512),
            _ => None,
        }
    }

    /// Parses an OGC URI, its `[EPSG:n]` safe CURIE, an OGC URN or a bare `EPSG:n` / `CRS84`
    /// (any case).
    pub fn parse(s: &str) -> Option<Crs> {
        let key = key(s);
        match key.as_str() {
            "OGC/1.3/CRS84" | "OGC/CRS84" | "CRS84" | "OGC/0/CRS84" => Some(Crs::Crs84),
            _ => epsg_of_key(&key).and_then(Crs::from_epsg),
        }
    }

    /// The name PROJ knows it by (`OGC:CRS84` is longitude first).
    pub fn proj_name(self) -> &'static str {
        match self {
            Crs::Crs84 => "OGC:CRS84",
            Crs::Epsg4326 => "EPSG:4326",
            Crs::WebMercator => "EPSG:3857",
            Crs::Utm51s => "EPSG:32751",
            Crs::Tm3Zone512 => "EPSG:23840",
        }
    }

    /// SQL turning a stored EPSG:4326 (lon/lat) geometry expression into this CRS.
    pub fn from_storage_sql(self, geom: &str) -> String {
        match self {
            Crs::Crs84 => geom.to_string(),
            Crs::Epsg4326 => format!("ST_FlipCoordinates({geom})"),
            other => format!("ST_Transform({geom}, {})", other.srid()),
        }
    }

    /// SQL turning a geometry expression written in this CRS (SRID set to [`Crs::srid`]) into
    /// the storage CRS (EPSG:4326, lon/lat).
    pub fn to_storage_sql(self, geom: &str) -> String {
        match self {
            Crs::Crs84 => geom.to_string(),
            Crs::Epsg4326 => format!("ST_FlipCoordinates({geom})"),
            _ => format!("ST_Transform({geom}, 4326)"),
        }
    }
}

/// The list of CRS URIs every collection offers.
pub fn all_uris() -> Vec<String> {
    Crs::ALL.iter().map(|c| c.uri()).collect()
}

/// Any EPSG code, for import and export (GDAL knows many more CRSs than ruang serves): `N`,
/// `EPSG:N` or any spelling [`Crs::parse`] takes (`CRS84` is 4326).
pub fn parse_epsg(s: &str) -> Option<u32> {
    if let Some(c) = Crs::parse(s) {
        return Some(c.srid() as u32);
    }
    let t = s.trim();
    let code = if t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse().ok()
    } else {
        epsg_of_key(&key(t))
    };
    code.filter(|n| *n > 0)
}

/// A CRS name reduced to `AUTHORITY/[VERSION/]CODE`, upper case: `EPSG/0/23840`, `EPSG/23840`,
/// `OGC/1.3/CRS84`, `CRS84`.
fn key(s: &str) -> String {
    let t = s.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(t);
    let u = t.to_ascii_uppercase();
    let u = u
        .strip_prefix("HTTPS://")
        .map_or(u.clone(), |r| format!("HTTP://{r}"));
    let rest = u
        .strip_prefix("HTTP://WWW.OPENGIS.NET/DEF/CRS/")
        .or_else(|| u.strip_prefix("URN:OGC:DEF:CRS:"))
        .unwrap_or(&u);
    rest.replace("::", "/").replace(':', "/")
}

/// The code of an `EPSG/0/N` or `EPSG/N` key.
fn epsg_of_key(key: &str) -> Option<u32> {
    let n = key
        .strip_prefix("EPSG/0/")
        .or_else(|| key.strip_prefix("EPSG/"))?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris_curies_and_codes() {
        for (s, want) in [
            ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", Crs::Crs84),
            ("https://www.opengis.net/def/crs/OGC/1.3/CRS84", Crs::Crs84),
            ("[OGC:CRS84]", Crs::Crs84),
            ("http://www.opengis.net/def/crs/EPSG/0/4326", Crs::Epsg4326),
            ("EPSG:4326", Crs::Epsg4326),
            ("urn:ogc:def:crs:EPSG::32751", Crs::Utm51s),
            ("[EPSG:23840]", Crs::Tm3Zone512),
            (
                "http://www.opengis.net/def/crs/EPSG/0/3857",
                Crs::WebMercator,
            ),
        ] {
            assert_eq!(Crs::parse(s), Some(want), "{s}");
        }
        for bad in [
            "",
            "EPSG:9999",
            "http://example.com/crs",
            "4326; DROP TABLE zones",
        ] {
            assert_eq!(Crs::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_check_and_import_spellings() {
        for (s, want) in [
            ("urn:ogc:def:crs:OGC:1.3:CRS84", Crs::Crs84),
            ("OGC:CRS84", Crs::Crs84),
            ("CRS84", Crs::Crs84),
            ("epsg:32751", Crs::Utm51s),
            ("EPSG:0:23840", Crs::Tm3Zone512),
            ("EPSG::23840", Crs::Tm3Zone512),
            (
                "http://www.opengis.net/def/crs/EPSG/0/23840",
                Crs::Tm3Zone512,
            ),
        ] {
            assert_eq!(Crs::parse(s), Some(want), "{s}");
        }
        assert_eq!(parse_epsg("EPSG:23840"), Some(23840));
        assert_eq!(parse_epsg("epsg:2154"), Some(2154));
        assert_eq!(parse_epsg("4326"), Some(4326));
        assert_eq!(parse_epsg("CRS84"), Some(4326));
        assert_eq!(parse_epsg("urn:ogc:def:crs:EPSG::32750"), Some(32750));
        for bad in ["x", "", "0", "EPSG:", "EPSG:x", "EPSG:-5"] {
            assert_eq!(parse_epsg(bad), None, "{bad}");
        }
    }

    #[test]
    fn uris_round_trip() {
        for c in Crs::ALL {
            assert_eq!(Crs::parse(&c.uri()), Some(c));
        }
    }
}
