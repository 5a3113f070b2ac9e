//! Checks of a Shapefile's headers against the sizes of its files, before GDAL sees them.
//!
//! GDAL (shapelib) trusts the headers: a `.shx` whose header claims 134 million records makes it
//! allocate and read about 2 GB before the first feature, and a `.dbf` that declares more
//! records than it holds keeps the reader busy for minutes. Here every count a header declares
//! is checked against the file's size (a `.shx` of N records is exactly 100 + 8N bytes; a
//! `.dbf` is its header length + records × record length bytes, plus an optional end-of-file
//! byte; a `.shp` is as long as its header says and every `.shx` entry points inside it), the
//! `.shx` and `.dbf` counts must agree, and neither may exceed `import_max_features`.
//!
//! The same header checks run twice for a zipped Shapefile: on the sizes the archive declares
//! (the first bytes of each member are unpacked to read the headers, nothing is written), and
//! again on the files once unpacked, because an archive can lie about sizes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::{ImportError, ImportLimits};

/// Bytes of the `.shp`/`.shx` header; the `.dbf` header's fixed part is 32 bytes.
pub const HEADER_BYTES: usize = 100;

/// One file of a Shapefile: its name as the user knows it, its first bytes, its size.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub head: Vec<u8>,
    pub size: u64,
}

/// The `.shp`, `.shx` and `.dbf` of one Shapefile (any may be missing).
#[derive(Debug, Clone, Default)]
pub struct Set {
    pub shp: Option<Part>,
    pub shx: Option<Part>,
    pub dbf: Option<Part>,
}

/// Which part of a Shapefile a file name is, by its extension (any case).
pub fn part_of(name: &str) -> Option<(&str, &'static str)> {
    let (stem, ext) = name.rsplit_once('.')?;
    let ext = match ext.to_ascii_lowercase().as_str() {
        "shp" => "shp",
        "shx" => "shx",
        "dbf" => "dbf",
        _ => return None,
    };
    Some((stem, ext))
}

/// Groups file names into Shapefile sets by their name without extension.
pub fn group<T>(
    items: impl IntoIterator<Item = (String, T)>,
) -> BTreeMap<String, Vec<(&'static str, T)>> {
    let mut sets: BTreeMap<String, Vec<(&'static str, T)>> = BTreeMap::new();
    for (name, item) in items {
        if let Some((stem, ext)) = part_of(&name) {
            sets.entry(stem.to_string()).or_default().push((ext, item));
        }
    }
    sets
}

fn bad(id: String, en: String) -> ImportError {
    ImportError::BadFile { id, en }
}

fn be_i32(b: &[u8], at: usize) -> i64 {
    i64::from(i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}

fn le_u32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}

fn le_u16(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

/// The `.shp`/`.shx` main header: file code 9994 and the file length (in 16-bit words).
fn main_header(p: &Part, what_id: &str, what_en: &str) -> Result<u64, ImportError> {
    if p.head.len() < HEADER_BYTES || be_i32(&p.head, 0) != 9994 {
        return Err(bad(
            format!(
                "{} bukan {what_id} yang sah: kepalanya salah atau terpotong",
                p.name
            ),
            format!(
                "{} is not a valid {what_en}: its header is wrong or cut short",
                p.name
            ),
        ));
    }
    let declared = be_i32(&p.head, 24) * 2;
    if declared < HEADER_BYTES as i64 || declared as u64 != p.size {
        return Err(bad(
            format!(
                "{} menyatakan panjangnya {declared} byte tetapi berukuran {} byte: Shapefile rusak atau dipalsukan, tidak dibaca",
                p.name, p.size
            ),
            format!(
                "{} says it is {declared} bytes long but is {} bytes: the Shapefile is damaged or forged and was not read",
                p.name, p.size
            ),
        ));
    }
    Ok(declared as u64)
}

/// The number of records a `.shx` holds, checked against its size.
pub fn shx_records(p: &Part) -> Result<u64, ImportError> {
    let len = main_header(p, "indeks Shapefile (.shx)", "Shapefile index (.shx)")?;
    if !(len - HEADER_BYTES as u64).is_multiple_of(8) {
        return Err(bad(
            format!(
                "{}: {} byte bukan 100 + 8 × jumlah fitur: indeks rusak",
                p.name, p.size
            ),
            format!(
                "{}: {} bytes is not 100 + 8 × the number of features: the index is damaged",
                p.name, p.size
            ),
        ));
    }
    Ok((len - HEADER_BYTES as u64) / 8)
}

/// The number of records a `.dbf` declares, checked against its size.
pub fn dbf_records(p: &Part) -> Result<u64, ImportError> {
    if p.head.len() < 32 {
        return Err(bad(
            format!(
                "{} bukan tabel dBASE (.dbf) yang sah: kepalanya terpotong",
                p.name
            ),
            format!(
                "{} is not a valid dBASE table (.dbf): its header is cut short",
                p.name
            ),
        ));
    }
    let (count, header, record) = (le_u32(&p.head, 4), le_u16(&p.head, 8), le_u16(&p.head, 10));
    if header < 33 || (count > 0 && record == 0) {
        return Err(bad(
            format!(
                "{} bukan tabel dBASE (.dbf) yang sah: panjang kepala {header}, panjang rekaman {record}",
                p.name
            ),
            format!(
                "{} is not a valid dBASE table (.dbf): header length {header}, record length {record}",
                p.name
            ),
        ));
    }
    let expected = header + count * record;
    // Writers end the file with 0x1A or not.
    if p.size != expected && p.size != expected + 1 {
        return Err(bad(
            format!(
                "{} menyatakan {count} rekaman × {record} byte setelah kepala {header} byte, yaitu {expected} byte, tetapi berkasnya {} byte: Shapefile rusak atau dipalsukan, tidak dibaca",
                p.name, p.size
            ),
            format!(
                "{} declares {count} records of {record} bytes after a {header}-byte header, which makes {expected} bytes, but the file is {} bytes: the Shapefile is damaged or forged and was not read",
                p.name, p.size
            ),
        ));
    }
    Ok(count)
}

fn too_many(name: &str, n: u64, limits: &ImportLimits) -> ImportError {
    ImportError::Limit {
        id: format!(
            "{name} menyatakan {n} fitur; paling banyak {} fitur boleh diimpor sekaligus (import_max_features)",
            limits.max_features
        ),
        en: format!(
            "{name} declares {n} features; at most {} may be imported at once (import_max_features)",
            limits.max_features
        ),
    }
}

/// Checks the headers of one Shapefile against its sizes and the feature limit.
pub fn check_set(set: &Set, limits: &ImportLimits) -> Result<(), ImportError> {
    let shx = match &set.shx {
        Some(p) => {
            let n = shx_records(p)?;
            if n > limits.max_features {
                return Err(too_many(&p.name, n, limits));
            }
            Some((p, n))
        }
        None => None,
    };
    let dbf = match &set.dbf {
        Some(p) => {
            let n = dbf_records(p)?;
            if n > limits.max_features {
                return Err(too_many(&p.name, n, limits));
            }
            Some((p, n))
        }
        None => None,
    };
    if let Some(p) = &set.shp {
        main_header(p, "Shapefile (.shp)", "Shapefile (.shp)")?;
    }
    if let (Some((x, n)), Some((d, m))) = (shx, dbf)
        && n != m
    {
        return Err(bad(
            format!(
                "{} memuat {n} bentuk tetapi {} memuat {m} rekaman: berkas-berkas ini bukan satu Shapefile yang utuh",
                x.name, d.name
            ),
            format!(
                "{} lists {n} shapes but {} holds {m} records: these files are not one whole Shapefile",
                x.name, d.name
            ),
        ));
    }
    Ok(())
}

fn part_from_file(path: &Path, name: String) -> Result<Part, ImportError> {
    let io = |e: std::io::Error| {
        bad(
            format!("{name} tidak dapat dibaca: {e}"),
            format!("{name} cannot be read: {e}"),
        )
    };
    let mut f = File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(HEADER_BYTES);
    (&mut f)
        .take(HEADER_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    Ok(Part { name, head, size })
}

/// Every `.shx` entry must point inside the `.shp` (offset and content length in 16-bit
/// words); read in one pass, a few KiB at a time.
fn check_index(shx: &Path, x: &Part, shp: &Part) -> Result<(), ImportError> {
    let io = |e: std::io::Error| {
        bad(
            format!("{} tidak dapat dibaca: {e}", x.name),
            format!("{} cannot be read: {e}", x.name),
        )
    };
    let mut r = BufReader::with_capacity(64 * 1024, File::open(shx).map_err(io)?);
    let mut skip = [0u8; HEADER_BYTES];
    r.read_exact(&mut skip).map_err(io)?;
    let records = (x.size - HEADER_BYTES as u64) / 8;
    let mut e = [0u8; 8];
    for i in 0..records {
        r.read_exact(&mut e).map_err(io)?;
        let offset = be_i32(&e, 0) * 2;
        let length = be_i32(&e, 4) * 2;
        if offset < HEADER_BYTES as i64 || length < 0 || (offset + 8 + length) as u64 > shp.size {
            return Err(bad(
                format!(
                    "{} rekaman {} menunjuk ke luar {} (posisi {offset}, panjang {length}, berkas {} byte): Shapefile rusak atau dipalsukan, tidak dibaca",
                    x.name,
                    i + 1,
                    shp.name,
                    shp.size
                ),
                format!(
                    "{} record {} points outside {} (offset {offset}, length {length}, file {} bytes): the Shapefile is damaged or forged and was not read",
                    x.name,
                    i + 1,
                    shp.name,
                    shp.size
                ),
            ));
        }
    }
    Ok(())
}

/// The Shapefile parts GDAL would read when it opens `path`: every Shapefile in a folder, the
/// sidecars of a `.shp`, `.shx` or `.dbf`; nothing for other files.
fn sets_at(path: &Path) -> Vec<BTreeMap<&'static str, PathBuf>> {
    let (dir, only) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().to_string()) else {
            return Vec::new();
        };
        let Some((stem, _)) = part_of(&name) else {
            return Vec::new();
        };
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        (dir, Some(stem.to_string()))
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let files = entries.flatten().filter_map(|e| {
        let name = e.file_name().to_string_lossy().to_string();
        e.file_type()
            .ok()
            .filter(|t| t.is_file())
            .map(|_| (name, e.path()))
    });
    group(files)
        .into_iter()
        .filter(|(stem, _)| only.as_ref().is_none_or(|o| o == stem))
        .map(|(_, parts)| parts.into_iter().collect())
        .collect()
}

/// Checks every Shapefile GDAL would read at `path` (a file or a folder). `shown` turns a path
/// into the name the user knows it by.
pub fn check_files(
    path: &Path,
    limits: &ImportLimits,
    shown: &dyn Fn(&Path) -> String,
) -> Result<(), ImportError> {
    for parts in sets_at(path) {
        let load = |ext: &str| -> Result<Option<Part>, ImportError> {
            parts
                .get(ext)
                .map(|p| part_from_file(p, shown(p)))
                .transpose()
        };
        let set = Set {
            shp: load("shp")?,
            shx: load("shx")?,
            dbf: load("dbf")?,
        };
        check_set(&set, limits)?;
        if let (Some(x), Some(s), Some(xp)) = (&set.shx, &set.shp, parts.get("shx")) {
            check_index(xp, x, s)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main_head(words: i32) -> Vec<u8> {
        let mut h = vec![0u8; 100];
        h[0..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&words.to_be_bytes());
        h
    }

    fn dbf_head(count: u32, header: u16, record: u16) -> Vec<u8> {
        let mut h = vec![0u8; 32];
        h[0] = 3;
        h[4..8].copy_from_slice(&count.to_le_bytes());
        h[8..10].copy_from_slice(&header.to_le_bytes());
        h[10..12].copy_from_slice(&record.to_le_bytes());
        h
    }

    fn part(name: &str, head: Vec<u8>, size: u64) -> Option<Part> {
        Some(Part {
            name: name.into(),
            head,
            size,
        })
    }

    fn limits(max_features: u64) -> ImportLimits {
        ImportLimits {
            max_features,
            ..ImportLimits::default()
        }
    }

    #[test]
    fn consistent_headers_pass() {
        let set = Set {
            shp: part("a.shp", main_head(500), 1000),
            shx: part("a.shx", main_head(50 + 4 * 3), 124),
            dbf: part("a.dbf", dbf_head(3, 65, 11), 65 + 33 + 1),
        };
        check_set(&set, &limits(3)).unwrap();
    }

    #[test]
    fn a_shx_claiming_more_than_it_holds_is_refused() {
        // The bomb: the header says 134 million records, the file is 1,000 bytes.
        let words = ((100u64 + 8 * 134_000_000) / 2) as i32;
        let set = Set {
            shx: part("bomb.shx", main_head(words), 1000),
            ..Set::default()
        };
        let e = check_set(&set, &limits(2_000_000)).unwrap_err();
        assert!(
            e.to_string().contains("1072000100 bytes long but is 1000"),
            "{e}"
        );
        assert!(e.detail_id().contains("dipalsukan"), "{}", e.detail_id());
    }

    #[test]
    fn a_consistent_but_huge_shx_is_over_the_feature_limit() {
        let words = ((100u64 + 8 * 134_000_000) / 2) as i32;
        let set = Set {
            shx: part("bomb.shx", main_head(words), 100 + 8 * 134_000_000),
            ..Set::default()
        };
        let e = check_set(&set, &limits(2_000_000)).unwrap_err();
        assert!(matches!(e, ImportError::Limit { .. }), "{e}");
        assert!(e.to_string().contains("134000000 features"), "{e}");
        assert!(e.to_string().contains("import_max_features"), "{e}");
    }

    #[test]
    fn a_dbf_declaring_more_records_than_it_holds_is_refused() {
        let set = Set {
            dbf: part("a.dbf", dbf_head(134_000_000, 65, 11), 66),
            ..Set::default()
        };
        let e = check_set(&set, &limits(u64::MAX)).unwrap_err();
        assert!(e.to_string().contains("134000000 records"), "{e}");
        // The end-of-file byte is optional.
        for size in [65 + 22, 65 + 22 + 1] {
            let set = Set {
                dbf: part("a.dbf", dbf_head(2, 65, 11), size),
                ..Set::default()
            };
            check_set(&set, &limits(2)).unwrap();
        }
    }

    #[test]
    fn shx_and_dbf_counts_must_agree() {
        let set = Set {
            shx: part("a.shx", main_head(50 + 4 * 3), 124),
            dbf: part("a.dbf", dbf_head(2, 65, 11), 65 + 22),
            ..Set::default()
        };
        let e = check_set(&set, &limits(10)).unwrap_err();
        assert!(e.to_string().contains("lists 3 shapes"), "{e}");
    }

    #[test]
    fn wrong_magic_and_odd_sizes_are_refused() {
        let mut h = main_head(62);
        h[3] = 0;
        let set = Set {
            shx: part("a.shx", h, 124),
            ..Set::default()
        };
        assert!(check_set(&set, &limits(10)).is_err());
        let set = Set {
            shx: part("a.shx", main_head(61), 122),
            ..Set::default()
        };
        assert!(check_set(&set, &limits(10)).is_err());
    }
}
