//! Map glyphs: signed-distance-field glyph ranges (`/fonts/{fontstack}/{start}-{end}.pbf`), the
//! format MapLibre asks for to draw labels, rendered from the TrueType/OpenType fonts found in
//! the configured folders (by default `fonts/` and `/usr/share/fonts`).
//!
//! Fonts are named "Family Style" as FreeType reports them (e.g. `DejaVu Sans Book`). A
//! fontstack is a comma-separated list; each glyph comes from the first font in the list that
//! has it, as MapLibre expects. Ranges are rendered on first request (in a blocking thread) and
//! kept in a small byte-bounded cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use pbf_font_tools::prost::Message;
use pbf_font_tools::{Fontstack, Glyphs, freetype};

/// Glyph size, SDF radius and cutoff: the values MapLibre's own glyph tools use.
const SIZE: usize = 24;
const RADIUS: usize = 8;
const CUTOFF: f64 = 0.25;
/// A fontstack naming more fonts than this is refused (every font costs a render).
const MAX_STACK: usize = 8;

/// Why a glyph request cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "bad glyph range {0:?}: expected START-END.pbf with START a multiple of 256 and END = START + 255, up to 65535"
    )]
    BadRange(String),
    #[error("no font of the stack {stack:?} is available")]
    UnknownFonts { stack: String },
    #[error("the fontstack names more than {MAX_STACK} fonts")]
    StackTooLong,
    #[error("rendering glyphs failed: {0}")]
    Render(String),
}

/// Where one font face lives.
#[derive(Debug, Clone)]
struct Face {
    path: PathBuf,
    index: isize,
}

/// The fonts found at start-up and the cache of rendered ranges.
pub struct Fonts {
    faces: BTreeMap<String, Face>,
    cache: moka::sync::Cache<(String, u32), Bytes>,
}

impl Fonts {
    /// Scans `dirs` recursively for `.ttf`, `.otf` and `.ttc` files. Folders that do not exist
    /// are skipped; unreadable font files are logged and skipped.
    pub fn scan(dirs: &[PathBuf]) -> Fonts {
        let mut files = Vec::new();
        for dir in dirs {
            let mut found = Vec::new();
            collect_font_files(dir, &mut found, 0);
            found.sort();
            files.extend(found);
        }
        let mut faces = BTreeMap::new();
        match freetype::Library::init() {
            Ok(lib) => {
                for path in files {
                    add_faces(&lib, &path, &mut faces);
                }
            }
            Err(e) => tracing::warn!(error = %e, "FreeType could not start; no map glyphs"),
        }
        tracing::info!(fonts = faces.len(), "map fonts found");
        Fonts {
            faces,
            cache: moka::sync::Cache::builder()
                .weigher(|_k, v: &Bytes| u32::try_from(v.len()).unwrap_or(u32::MAX))
                .max_capacity(32 * 1024 * 1024)
                .build(),
        }
    }

    /// The names of the available fonts, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.faces.keys().map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.faces.contains_key(name)
    }

    /// The encoded glyph PBF of `range` (e.g. `0-255` or `0-255.pbf`) for `stack`. Blocking:
    /// call it from a blocking thread.
    pub fn glyphs(&self, stack: &str, range: &str) -> Result<Bytes, FontError> {
        let start = parse_range(range)?;
        let names: Vec<&str> = stack
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if names.len() > MAX_STACK {
            return Err(FontError::StackTooLong);
        }
        let known: Vec<&str> = names.iter().copied().filter(|n| self.has(n)).collect();
        if known.is_empty() {
            return Err(FontError::UnknownFonts {
                stack: stack.to_owned(),
            });
        }
        let key = (known.join(","), start);
        self.cache
            .try_get_with(key, || self.render(&known, start))
            .map_err(|e| FontError::Render(e.to_string()))
    }

    fn render(&self, names: &[&str], start: u32) -> Result<Bytes, FontError> {
        let end = start + 255;
        let lib = freetype::Library::init().map_err(|e| FontError::Render(e.to_string()))?;
        let mut parts = Vec::with_capacity(names.len());
        for name in names {
            let face = &self.faces[*name];
            let ft = lib
                .new_face(&face.path, face.index)
                .map_err(|e| FontError::Render(format!("{}: {e}", face.path.display())))?;
            let mut fs =
                pbf_font_tools::glyph_range_for_face(&ft, start, end, SIZE, RADIUS, CUTOFF)
                    .map_err(|e| FontError::Render(format!("{name}: {e}")))?;
            // Name the stack as it was asked for, not as FreeType spells it.
            fs.name = (*name).to_owned();
            parts.push(Glyphs { stacks: vec![fs] });
        }
        let glyphs = pbf_font_tools::combine_glyphs(parts).unwrap_or_else(|| Glyphs {
            stacks: vec![Fontstack {
                name: names.join(", "),
                range: format!("{start}-{end}"),
                glyphs: Vec::new(),
            }],
        });
        Ok(Bytes::from(glyphs.encode_to_vec()))
    }
}

/// `START-END` (with or without `.pbf`) → START, checking it is one of MapLibre's 256-glyph
/// ranges.
fn parse_range(range: &str) -> Result<u32, FontError> {
    let bad = || FontError::BadRange(range.to_owned());
    let r = range.strip_suffix(".pbf").unwrap_or(range);
    let (a, b) = r.split_once('-').ok_or_else(bad)?;
    let start: u32 = a.parse().map_err(|_| bad())?;
    let end: u32 = b.parse().map_err(|_| bad())?;
    if !start.is_multiple_of(256) || end != start + 255 || end > 65535 {
        return Err(bad());
    }
    Ok(start)
}

fn collect_font_files(dir: &Path, out: &mut Vec<PathBuf>, depth: u32) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_font_files(&path, out, depth + 1);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc"))
        {
            out.push(path);
        }
    }
}

fn add_faces(lib: &freetype::Library, path: &Path, faces: &mut BTreeMap<String, Face>) {
    let mut index = 0;
    loop {
        let face = match lib.new_face(path, index) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(font = %path.display(), error = %e, "font skipped");
                return;
            }
        };
        if let Some(family) = face.family_name() {
            let name = match face.style_name() {
                Some(style) => format!("{family} {style}"),
                None => family,
            };
            // The first folder wins, so fonts in `fonts/` override the system's.
            faces.entry(name).or_insert_with(|| Face {
                path: path.to_owned(),
                index,
            });
        }
        index += 1;
        if index >= face.num_faces() as isize {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0-255.pbf").unwrap(), 0);
        assert_eq!(parse_range("256-511").unwrap(), 256);
        assert_eq!(parse_range("65280-65535.pbf").unwrap(), 65280);
        for bad in [
            "0-256",
            "1-256",
            "65536-65791",
            "a-b",
            "0",
            "-255",
            "0-255.png",
        ] {
            assert!(parse_range(bad).is_err(), "{bad} should be refused");
        }
    }
}
