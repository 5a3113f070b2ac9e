//! Vector tile layer definitions: one TOML file per layer in `tiles/`.
//!
//! ```toml
//! name = "zones"                  # must equal the file name without .toml
//! title = "Zona RDTR"
//! description = "..."
//! access = "public"               # or a role: "planner", "verifikator", ...
//! minzoom = 10
//! maxzoom = 22
//! geometry = "geom_3857"          # a geometry column in EPSG:3857
//! id = "id"                       # an integer column, the MVT feature id
//! properties = ["zone_code", "subzone_code"]
//! changes = ["zones", "zone_rules"] # tables whose changes invalidate the layer's tiles
//! [source]
//! table = "zones"                 # or: sql = "SELECT ... FROM ..."
//! filter = "plan_id = 1"          # optional SQL condition on the source rows
//! render = "memory"               # optional: cut tiles in-process (polygon layers that fit in
//!                                 # memory, see `tiles::memory`); default "postgis"
//! [simplify]                      # zoom = tolerance in metres, used at that zoom and below
//! 10 = 40.0
//! 12 = 8.0
//! ```
//!
//! Files are written by the city's administrators, so `source.sql` and `filter` are trusted SQL;
//! every identifier is still validated and quoted. Unknown keys, bad zoom ranges and columns
//! missing from the source stop the server with a message naming the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Highest zoom ruang serves at all.
pub const MAX_ZOOM: u8 = 24;

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("tiles folder {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: PathBuf, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerFile {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "public")]
    pub access: String,
    pub minzoom: u8,
    pub maxzoom: u8,
    pub geometry: String,
    pub id: String,
    #[serde(default)]
    pub properties: Vec<String>,
    #[serde(default)]
    pub changes: Vec<String>,
    pub source: SourceFile,
    #[serde(default)]
    pub simplify: BTreeMap<String, f64>,
    #[serde(default = "default_buffer")]
    pub buffer: u32,
    #[serde(default)]
    pub render: Render,
}

/// Where a layer's tiles are cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Render {
    /// `ST_AsMVT` in the database, per tile.
    #[default]
    Postgis,
    /// In-process from a snapshot of the layer (`tiles::memory`), PostGIS while it loads.
    Memory,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    pub table: Option<String>,
    pub sql: Option<String>,
    pub filter: Option<String>,
}

fn public() -> String {
    "public".to_string()
}

fn default_buffer() -> u32 {
    64
}

/// Where a layer's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Table(String),
    Sql(String),
}

/// A checked layer definition.
#[derive(Debug, Clone)]
pub struct LayerDef {
    pub name: String,
    pub title: String,
    pub description: String,
    /// `None` for public layers, else the role that may see it.
    pub role: Option<String>,
    pub minzoom: u8,
    pub maxzoom: u8,
    pub geometry: String,
    pub id: String,
    pub properties: Vec<String>,
    /// Tables whose changes invalidate this layer's tiles.
    pub changes: Vec<String>,
    pub source: Source,
    pub filter: Option<String>,
    /// (zoom, tolerance in metres), ascending by zoom: a tile at zoom z uses the tolerance of
    /// the first entry with zoom >= z; above the last entry nothing is simplified.
    pub simplify: Vec<(u8, f64)>,
    pub buffer: u32,
    pub render: Render,
    pub file: PathBuf,
}

const ROLES: &[&str] = &[
    "public",
    "pemohon",
    "operator",
    "verifikator",
    "forum",
    "pejabat",
    "planner",
    "admin",
];

/// A valid SQL identifier of our own style: lower-case letters, digits and underscores.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 63
}

/// Double-quotes an identifier (doubling any quote inside).
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl LayerDef {
    /// Parses and checks one layer file's text (everything that needs no database).
    pub fn parse(file: &Path, text: &str) -> Result<Self, LayerError> {
        let bad = |message: String| LayerError::Invalid {
            file: file.to_path_buf(),
            message,
        };
        let f: LayerFile = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if f.name != stem {
            return Err(bad(format!(
                "name {:?} must equal the file name {:?}",
                f.name, stem
            )));
        }
        if !is_identifier(&f.name) {
            return Err(bad(format!(
                "name {:?} may hold only a-z, 0-9 and _",
                f.name
            )));
        }
        if f.maxzoom > MAX_ZOOM {
            return Err(bad(format!("maxzoom {} is above {MAX_ZOOM}", f.maxzoom)));
        }
        if f.minzoom > f.maxzoom {
            return Err(bad(format!(
                "minzoom {} is above maxzoom {}",
                f.minzoom, f.maxzoom
            )));
        }
        if !ROLES.contains(&f.access.as_str()) {
            return Err(bad(format!(
                "access {:?} is not one of {}",
                f.access,
                ROLES.join(", ")
            )));
        }
        for col in [&f.geometry, &f.id].into_iter().chain(f.properties.iter()) {
            if !is_identifier(col) {
                return Err(bad(format!(
                    "column {col:?} is not a plain lower-case identifier"
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for p in &f.properties {
            if !seen.insert(p) || p == &f.geometry {
                return Err(bad(format!("property {p:?} is listed twice")));
            }
        }
        let source = match (f.source.table, f.source.sql) {
            (Some(t), None) if is_identifier(&t) => Source::Table(t),
            (Some(t), None) => {
                return Err(bad(format!("source.table {t:?} is not a plain identifier")));
            }
            (None, Some(sql)) if !sql.trim().is_empty() => Source::Sql(sql),
            _ => {
                return Err(bad(
                    "source needs exactly one of `table` or `sql`".to_string()
                ));
            }
        };
        let mut simplify = Vec::new();
        for (z, tol) in &f.simplify {
            let zoom: u8 =
                z.parse().ok().filter(|z| *z <= MAX_ZOOM).ok_or_else(|| {
                    bad(format!("simplify key {z:?} is not a zoom 0..{MAX_ZOOM}"))
                })?;
            if !(tol.is_finite() && *tol >= 0.0) {
                return Err(bad(format!(
                    "simplify tolerance {tol} at zoom {zoom} must be >= 0"
                )));
            }
            simplify.push((zoom, *tol));
        }
        simplify.sort_by_key(|(z, _)| *z);
        if matches!(source, Source::Sql(_)) && f.changes.is_empty() {
            return Err(bad(
                "a layer with source.sql must list in `changes` the tables whose changes invalidate its tiles"
                    .to_string(),
            ));
        }
        let mut changes = f.changes;
        if let Source::Table(t) = &source
            && !changes.contains(t)
        {
            changes.push(t.clone());
        }
        for t in &changes {
            if !is_identifier(t) {
                return Err(bad(format!("changes: {t:?} is not a table name")));
            }
        }
        if f.buffer > 4096 {
            return Err(bad(format!("buffer {} is above the extent 4096", f.buffer)));
        }
        Ok(LayerDef {
            name: f.name,
            title: f.title,
            description: f.description,
            role: (f.access != "public").then_some(f.access),
            minzoom: f.minzoom,
            maxzoom: f.maxzoom,
            geometry: f.geometry,
            id: f.id,
            properties: f.properties,
            changes,
            source,
            filter: f.source.filter.filter(|s| !s.trim().is_empty()),
            simplify,
            buffer: f.buffer,
            render: f.render,
            file: file.to_path_buf(),
        })
    }

    /// The simplification tolerance (metres) at zoom `z`, if any.
    pub fn tolerance_at(&self, z: u8) -> Option<f64> {
        self.simplify
            .iter()
            .find(|(zoom, _)| z <= *zoom)
            .map(|(_, t)| *t)
            .filter(|t| *t > 0.0)
    }

    pub fn is_public(&self) -> bool {
        self.role.is_none()
    }
}

/// Reads every `*.toml` file of `dir`, sorted by name.
pub fn read_dir(dir: &Path) -> Result<Vec<LayerDef>, LayerError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LayerError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut layers = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| LayerError::Dir {
            path: file.clone(),
            source,
        })?;
        layers.push(LayerDef::parse(&file, &text)?);
    }
    if layers.is_empty() {
        return Err(LayerError::Dir {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no *.toml layer files"),
        });
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "zones"
title = "Zona"
minzoom = 10
maxzoom = 22
geometry = "geom_3857"
id = "id"
properties = ["zone_code"]
[source]
table = "zones"
[simplify]
12 = 8.0
10 = 40.0
"#;

    fn parse(text: &str) -> Result<LayerDef, String> {
        LayerDef::parse(Path::new("tiles/zones.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_good_file_parses_with_sorted_simplification() {
        let l = parse(GOOD).unwrap();
        assert_eq!(l.source, Source::Table("zones".into()));
        assert_eq!(l.changes, vec!["zones".to_string()]);
        assert_eq!(l.tolerance_at(9), Some(40.0));
        assert_eq!(l.tolerance_at(10), Some(40.0));
        assert_eq!(l.tolerance_at(11), Some(8.0));
        assert_eq!(l.tolerance_at(13), None);
        assert!(l.is_public());
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let e = parse(&GOOD.replace("title", "titel")).unwrap_err();
        assert!(
            e.starts_with("tiles/zones.toml: ") && e.contains("titel"),
            "{e}"
        );
        let e = parse(&GOOD.replace("minzoom = 10", "minzoom = 23")).unwrap_err();
        assert!(e.contains("minzoom 23 is above maxzoom 22"), "{e}");
        let e = parse(&GOOD.replace("maxzoom = 22", "maxzoom = 30")).unwrap_err();
        assert!(e.contains("above 24"), "{e}");
        let e = parse(&GOOD.replace("\"zone_code\"", "\"zone code; drop\"")).unwrap_err();
        assert!(e.contains("identifier"), "{e}");
        let e = parse(&GOOD.replace("name = \"zones\"", "name = \"parcels\"")).unwrap_err();
        assert!(e.contains("file name"), "{e}");
        let e = parse(&GOOD.replace("table = \"zones\"", "table = \"zones\"\nsql = \"SELECT 1\""))
            .unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
        let e = parse(&GOOD.replace("12 = 8.0", "99 = 8.0")).unwrap_err();
        assert!(e.contains("simplify"), "{e}");
        let e = parse(&format!("access = \"everyone\"\n{GOOD}")).unwrap_err();
        assert!(e.contains("access"), "{e}");
    }

    #[test]
    fn identifiers_are_checked_and_quoted() {
        assert!(is_identifier("geom_3857"));
        assert!(!is_identifier("Geom"));
        assert!(!is_identifier("a\"b"));
        assert!(!is_identifier("1a"));
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
