//! Zip archives (a zipped Shapefile, a KMZ, `.shz`, `.shp.zip`), unpacked by us rather than
//! read through GDAL's `/vsizip/`, so that nothing unpacks without limits. The zip format (end
//! records, zip64, central directory, local headers) is read by the `zip` crate; the limits are
//! ours.
//!
//! 1. The central directory is read: more members than `import_max_archive_members`, or
//!    declared sizes adding up to more than `import_max_uncompressed_bytes`, are refused;
//!    so are encrypted members, compression methods other than stored and deflate, links,
//!    absolute paths, `..`, names with NUL and the same path twice. `__MACOSX/` is skipped.
//!    The crate holds the whole directory in memory, so it reads it through a budget of bytes
//!    (about 1 KiB per member allowed): a directory claiming more entries than that is refused
//!    before it is read.
//! 2. The headers of the Shapefile members (their first 100 bytes) are unpacked in memory and
//!    checked against the sizes the archive declares ([`super::shapefile`]): a `.shx` claiming
//!    134 million records is refused here, before anything is written to disk.
//! 3. The members are unpacked into the job's folder, counting the bytes that actually come
//!    out: a member that unpacks to more than it declared is refused at the first byte too
//!    many (a zip can lie about sizes), one that unpacks to less or fails its CRC is damaged.
//!    The crate gives each member's raw bytes (bounded by its declared compressed size) and
//!    they are inflated here with `flate2`: the crate's own decoder also stops at the declared
//!    size, but with an error that cannot be told apart from damage, and the refusal should
//!    say that the archive lies.
//! 4. An archive inside the archive is refused.
//!
//! Everything is streamed (64 KiB at a time), so memory does not grow with the archive.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use zip::read::{ArchiveOffset, Config};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use super::shapefile::{self, HEADER_BYTES, Part};
use super::{ImportError, ImportLimits};

/// True when the file starts like a zip archive (whatever its name).
pub fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06")
}

/// One member of the archive, as its central directory describes it.
#[derive(Debug, Clone)]
struct Member {
    /// Its index in the crate's archive.
    index: usize,
    /// The safe relative path (`/`-separated).
    path: String,
    is_dir: bool,
    deflate: bool,
    crc: u32,
    size: u64,
}

/// What was unpacked.
#[derive(Debug)]
pub struct Unpacked {
    /// The file or folder GDAL should open.
    pub dataset: PathBuf,
    pub files: usize,
    pub bytes: u64,
}

fn bad(id: String, en: String) -> ImportError {
    ImportError::BadFile { id, en }
}

fn damaged(name: &str, why_id: &str, why_en: &str) -> ImportError {
    bad(
        format!("{name}: arsip zip rusak ({why_id})"),
        format!("{name}: the zip archive is damaged ({why_en})"),
    )
}

/// An error of the zip crate: a split archive is not supported, anything else is damage.
fn zip_error(name: &str, e: &ZipError) -> ImportError {
    match e {
        ZipError::UnsupportedArchive(why) if why.contains("multi-disk") => bad(
            format!("{name}: arsip zip yang terbagi ke beberapa berkas tidak didukung"),
            format!("{name}: zip archives split over several files are not supported"),
        ),
        e => damaged(name, &e.to_string(), &e.to_string()),
    }
}

/// The parts of a member's `/`-separated name, without empty ones and `.`.
fn relative(name: &str) -> Vec<&str> {
    name.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect()
}

fn twice(name: &str, path: &str) -> ImportError {
    bad(
        format!("{name}: '{path}' ada dua kali dalam arsip; ditolak"),
        format!("{name}: '{path}' is in the archive twice; refused"),
    )
}

/// Bytes the central directory may take per member allowed (`import_max_archive_members`),
/// on average, and bytes for the end records around it.
const DIRECTORY_BYTES_PER_MEMBER: u64 = 1024;
const END_RECORD_BYTES: u64 = 128 * 1024;

/// The archive file, read through a budget while the crate reads the central directory: the
/// crate holds every entry in memory, and the budget stops it after the bytes that
/// `import_max_archive_members` members can fill, however many entries the archive claims.
struct Budgeted {
    inner: BufReader<File>,
    /// Bytes left to read; `u64::MAX` once the directory is read.
    left: Rc<Cell<u64>>,
}

impl Read for Budgeted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        if left == 0 && !buf.is_empty() {
            return Err(std::io::Error::other("over the central directory's budget"));
        }
        let max = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left.set(left - n as u64);
        Ok(n)
    }
}

impl Seek for Budgeted {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

/// A zip archive opened for reading.
struct Archive {
    zip: ZipArchive<Budgeted>,
    name: String,
}

impl Archive {
    /// Reads the archive's central directory, under the budget.
    fn open_file(file: File, shown: &str, limits: &ImportLimits) -> Result<Self, ImportError> {
        let budget = END_RECORD_BYTES
            .saturating_add(u64::from(limits.max_archive_members) * DIRECTORY_BYTES_PER_MEMBER);
        let left = Rc::new(Cell::new(budget));
        let reader = Budgeted {
            inner: BufReader::with_capacity(64 * 1024, file),
            left: left.clone(),
        };
        // At the offsets the archive states, as unzip reads it: no search through the file for
        // an archive that starts later (a self-extracting one).
        let config = Config {
            archive_offset: ArchiveOffset::Known(0),
        };
        let zip = ZipArchive::with_config(config, reader).map_err(|e| {
            if left.get() == 0 {
                ImportError::Limit {
                    id: format!(
                        "{shown}: daftar isi arsip melebihi {budget} byte, lebih dari yang diperlukan {} berkas (import_max_archive_members)",
                        limits.max_archive_members
                    ),
                    en: format!(
                        "{shown}: the archive's directory is over {budget} bytes, more than {} files need (import_max_archive_members)",
                        limits.max_archive_members
                    ),
                }
            } else {
                zip_error(shown, &e)
            }
        })?;
        left.set(u64::MAX);
        Ok(Archive {
            zip,
            name: shown.to_string(),
        })
    }

    /// The name the crate's directory keeps once for a name the archive holds twice (the crate
    /// keeps the first position and the last entry): the first entry not where the directory
    /// starts, or one that sits after the entry following it. `None` if neither shows it.
    fn duplicated(&self) -> Option<String> {
        let starts: Vec<u64> = (0..self.zip.len())
            .map(|i| self.zip.by_index_data(i).map(|e| e.central_header_start()))
            .collect::<Result<_, _>>()
            .ok()?;
        let at = if self.zip.offset() == 0
            && starts.first() != Some(&self.zip.central_directory_start())
        {
            Some(0)
        } else {
            starts.windows(2).position(|w| w[0] > w[1])
        }?;
        let e = self.zip.by_index_data(at).ok()?;
        Some(relative(&e.name().ok()?.replace('\\', "/")).join("/"))
    }

    /// Reads and checks the central directory.
    fn members(&mut self, limits: &ImportLimits) -> Result<Vec<Member>, ImportError> {
        let entries = self.zip.len() as u64;
        if entries > u64::from(limits.max_archive_members) {
            return Err(ImportError::Limit {
                id: format!(
                    "{} berisi {entries} berkas; paling banyak {} (import_max_archive_members)",
                    self.name, limits.max_archive_members
                ),
                en: format!(
                    "{} holds {entries} files; at most {} are accepted (import_max_archive_members)",
                    self.name, limits.max_archive_members
                ),
            });
        }
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut total: u64 = 0;
        for index in 0..self.zip.len() {
            let e = self
                .zip
                .by_index_data(index)
                .map_err(|e| zip_error(&self.name, &e))?;
            let name = e
                .name()
                .map_err(|e| zip_error(&self.name, &e))?
                .replace('\\', "/");
            let is_dir = name.ends_with('/');
            let parts = relative(&name);
            if name.starts_with('/')
                || name.contains('\0')
                || parts.contains(&"..")
                || parts.iter().any(|p| p.contains(':'))
            {
                return Err(bad(
                    format!(
                        "{}: berkas '{name}' menunjuk ke luar arsip; ditolak",
                        self.name
                    ),
                    format!(
                        "{}: the member '{name}' points outside the archive; refused",
                        self.name
                    ),
                ));
            }
            if parts.is_empty() || parts[0] == "__MACOSX" {
                continue;
            }
            let path = parts.join("/");
            if e.is_symlink() {
                return Err(bad(
                    format!("{}: '{path}' adalah tautan simbolik; ditolak", self.name),
                    format!("{}: '{path}' is a symbolic link; refused", self.name),
                ));
            }
            if e.encrypted() {
                return Err(bad(
                    format!(
                        "{}: '{path}' terenkripsi; kirim arsip tanpa kata sandi",
                        self.name
                    ),
                    format!(
                        "{}: '{path}' is encrypted; send the archive without a password",
                        self.name
                    ),
                ));
            }
            let method = e.compression();
            let deflate = method == CompressionMethod::Deflated;
            if !is_dir && !deflate && method != CompressionMethod::Stored {
                #[allow(deprecated)]
                let method = match method {
                    CompressionMethod::Unsupported(n) => n.to_string(),
                    other => other.to_string(),
                };
                return Err(bad(
                    format!(
                        "{}: '{path}' dimampatkan dengan metode {method}; hanya stored dan deflate yang didukung (zip ulang dengan alat zip biasa)",
                        self.name
                    ),
                    format!(
                        "{}: '{path}' uses compression method {method}; only stored and deflate are supported (zip it again with a common zip tool)",
                        self.name
                    ),
                ));
            }
            if !seen.insert(path.clone()) {
                return Err(twice(&self.name, &path));
            }
            let size = e.size();
            total = total.saturating_add(size);
            if total > limits.max_uncompressed_bytes {
                return Err(ImportError::Limit {
                    id: format!(
                        "{}: isi arsip ('{path}' {size} byte, sejauh ini {total} byte) melebihi batas {} byte setelah dibuka (import_max_uncompressed_bytes)",
                        self.name, limits.max_uncompressed_bytes
                    ),
                    en: format!(
                        "{}: the archive's content ('{path}' {size} bytes, {total} bytes so far) is over the limit of {} bytes unpacked (import_max_uncompressed_bytes)",
                        self.name, limits.max_uncompressed_bytes
                    ),
                });
            }
            members.push(Member {
                index,
                path,
                is_dir,
                deflate,
                crc: e.crc32(),
                size,
            });
        }
        // The crate keeps one entry per name: a name held twice shows only in the count.
        if self.zip.has_duplicate_names() {
            return Err(match self.duplicated() {
                Some(path) => twice(&self.name, &path),
                None => bad(
                    format!(
                        "{}: ada berkas yang dua kali dalam arsip; ditolak",
                        self.name
                    ),
                    format!("{}: a member is in the archive twice; refused", self.name),
                ),
            });
        }
        Ok(members)
    }

    /// A reader of a member's unpacked bytes: the crate finds its raw bytes (through its local
    /// header, bounded by its declared compressed size), and they are inflated here.
    fn open(&mut self, m: &Member) -> Result<Box<dyn Read + '_>, ImportError> {
        let raw = self
            .zip
            .by_index_raw(m.index)
            .map_err(|e| zip_error(&self.name, &e))?;
        let raw = BufReader::with_capacity(64 * 1024, raw);
        Ok(if m.deflate {
            Box::new(flate2::bufread::DeflateDecoder::new(raw))
        } else {
            Box::new(raw)
        })
    }

    /// The first `n` unpacked bytes of a member.
    fn head(&mut self, m: &Member, n: usize) -> Result<Vec<u8>, ImportError> {
        let name = self.name.clone();
        let mut out = Vec::with_capacity(n);
        self.open(m)?
            .take(n as u64)
            .read_to_end(&mut out)
            .map_err(|e| damaged(&name, &e.to_string(), &e.to_string()))?;
        Ok(out)
    }

    /// Unpacks one member into `to`, refusing more bytes than it declared.
    fn unpack(&mut self, m: &Member, to: &Path) -> Result<(), ImportError> {
        let name = self.name.clone();
        let io_out = |e: std::io::Error| write_error(&name, &m.path, e);
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(to)
            .map_err(io_out)?;
        let mut reader = self.open(m)?;
        let mut crc = flate2::Crc::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut written: u64 = 0;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| damaged(&name, &e.to_string(), &e.to_string()))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            if written > m.size {
                return Err(bad(
                    format!(
                        "{name}: '{}' mengaku {} byte tetapi isinya lebih besar; arsip ini berbohong tentang ukurannya dan ditolak",
                        m.path, m.size
                    ),
                    format!(
                        "{name}: '{}' claims {} bytes but unpacks to more; the archive lies about its sizes and was refused",
                        m.path, m.size
                    ),
                ));
            }
            crc.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io_out)?;
        }
        if written != m.size || crc.sum() != m.crc {
            return Err(damaged(
                &name,
                &format!("'{}' tidak utuh", m.path),
                &format!("'{}' does not unpack whole", m.path),
            ));
        }
        Ok(())
    }
}

/// Paths that collide (a file where a folder should be) are the archive's fault; anything else
/// (a full disk) is the server's.
fn write_error(shown: &str, path: &str, e: std::io::Error) -> ImportError {
    use std::io::ErrorKind::{AlreadyExists, IsADirectory, NotADirectory};
    if matches!(e.kind(), AlreadyExists | NotADirectory | IsADirectory) {
        bad(
            format!("{shown}: '{path}' bertabrakan dengan berkas atau folder lain dalam arsip"),
            format!("{shown}: '{path}' collides with another file or folder in the archive"),
        )
    } else {
        ImportError::Io(format!("cannot unpack '{path}' of {shown}: {e}"))
    }
}

/// Unpacks the zip archive `zip` (shown to users as `shown`) into the empty folder `dest`,
/// under `limits`, and returns what GDAL should open.
pub fn unpack(
    zip: &Path,
    shown: &str,
    dest: &Path,
    limits: &ImportLimits,
) -> Result<Unpacked, ImportError> {
    let file = File::open(zip).map_err(|_| ImportError::NoFile(shown.to_string()))?;
    let mut a = Archive::open_file(file, shown, limits)?;
    let members = a.members(limits)?;

    // The Shapefiles' headers against the sizes the archive declares, before writing anything.
    let files: Vec<(String, &Member)> = members
        .iter()
        .filter(|m| !m.is_dir)
        .map(|m| (m.path.clone(), m))
        .collect();
    for (_, parts) in shapefile::group(files) {
        let mut set = shapefile::Set::default();
        for (ext, m) in parts {
            let part = Part {
                name: format!("{} ({shown})", m.path),
                head: a.head(m, HEADER_BYTES)?,
                size: m.size,
            };
            match ext {
                "shp" => set.shp = Some(part),
                "shx" => set.shx = Some(part),
                _ => set.dbf = Some(part),
            }
        }
        shapefile::check_set(&set, limits)?;
    }

    std::fs::create_dir_all(dest).map_err(|e| write_error(shown, "", e))?;
    let mut bytes = 0;
    let mut count = 0;
    for m in &members {
        let to = dest.join(&m.path);
        if m.is_dir {
            std::fs::create_dir_all(&to).map_err(|e| write_error(shown, &m.path, e))?;
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| write_error(shown, &m.path, e))?;
        }
        a.unpack(m, &to)?;
        bytes += m.size;
        count += 1;
    }
    let dataset = dataset_in(dest);
    if dataset.is_file() && is_zip(&dataset) {
        let inner = dataset
            .strip_prefix(dest)
            .unwrap_or(&dataset)
            .display()
            .to_string();
        return Err(bad(
            format!("{shown} berisi arsip lain ({inner}); buka dahulu dan kirim isinya"),
            format!("{shown} holds another archive ({inner}); unpack it and send what it holds"),
        ));
    }
    Ok(Unpacked {
        dataset,
        files: count,
        bytes,
    })
}

/// Extensions of single-file GIS formats GDAL opens.
const SINGLE_FILE: &[&str] = &[
    "gpkg", "geojson", "json", "fgb", "kml", "gml", "csv", "sqlite", "gpx", "tab", "mif",
];

fn ext_of(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// What GDAL should open in an unpacked archive: its only file; else (going down through
/// folders that are alone in theirs) the only `.shp`, `.gdb` folder or single-file GIS file;
/// else the folder (a folder of Shapefiles opens as one dataset with a layer each).
pub fn dataset_in(root: &Path) -> PathBuf {
    fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                match e.file_type() {
                    Ok(t) if t.is_dir() => files_below(&e.path(), out),
                    Ok(t) if t.is_file() => out.push(e.path()),
                    _ => {}
                }
            }
        }
    }
    let mut all = Vec::new();
    files_below(root, &mut all);
    if all.len() == 1 {
        return all.remove(0);
    }
    let mut dir = root.to_path_buf();
    loop {
        let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let mut by_ext: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for e in &entries {
            by_ext.entry(ext_of(e)).or_default().push(e.clone());
        }
        if let [only] = entries.as_slice()
            && only.is_dir()
            && ext_of(only) != "gdb"
        {
            dir = only.clone();
            continue;
        }
        if let Some(shps) = by_ext.get("shp") {
            return if shps.len() == 1 {
                shps[0].clone()
            } else {
                dir
            };
        }
        if let Some([gdb]) = by_ext.get("gdb").map(Vec::as_slice)
            && gdb.is_dir()
        {
            return gdb.clone();
        }
        let singles: Vec<&PathBuf> = SINGLE_FILE
            .iter()
            .filter_map(|x| by_ext.get(*x))
            .flatten()
            .filter(|p| p.is_file())
            .collect();
        return match singles.as_slice() {
            [one] => (*one).clone(),
            _ => dir,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LOCAL_SIG: u32 = 0x0403_4b50;
    const CENTRAL_SIG: u32 = 0x0201_4b50;
    const EOCD_SIG: u32 = 0x0605_4b50;

    /// One member for [`zip_raw`], with the fields a hostile archive may set.
    #[derive(Clone, Copy)]
    struct Raw<'a> {
        name: &'a str,
        data: &'a [u8],
        deflate: bool,
        /// The uncompressed size claimed instead of the truth.
        declared: Option<u32>,
        /// The CRC claimed instead of the truth.
        crc: Option<u32>,
        flags: u16,
        /// The compression method claimed (the data stays stored or deflated).
        method: Option<u16>,
        /// "Made by" (3 = Unix) and the external attributes.
        made_by: u16,
        external: u32,
    }

    impl<'a> Raw<'a> {
        fn new(name: &'a str, data: &'a [u8]) -> Self {
            Raw {
                name,
                data,
                deflate: false,
                declared: None,
                crc: None,
                flags: 0,
                method: None,
                made_by: 20,
                external: 0,
            }
        }
    }

    /// A minimal zip writer for the tests: the bytes are laid out by hand so that they can lie.
    fn zip_raw(members: &[Raw]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for m in members {
            let packed = if m.deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(m.data).unwrap();
                e.finish().unwrap()
            } else {
                m.data.to_vec()
            };
            let mut crc = flate2::Crc::new();
            crc.update(m.data);
            let size = m.declared.unwrap_or(m.data.len() as u32);
            let method: u16 = m.method.unwrap_or(if m.deflate { 8 } else { 0 });
            let offset = out.len() as u32;
            let mut fixed = Vec::new();
            fixed.extend_from_slice(&20u16.to_le_bytes());
            fixed.extend_from_slice(&m.flags.to_le_bytes());
            fixed.extend_from_slice(&method.to_le_bytes());
            fixed.extend_from_slice(&[0, 0, 0x21, 0]);
            fixed.extend_from_slice(&m.crc.unwrap_or(crc.sum()).to_le_bytes());
            fixed.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            fixed.extend_from_slice(&size.to_le_bytes());
            fixed.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            fixed.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&fixed);
            out.extend_from_slice(m.name.as_bytes());
            out.extend_from_slice(&packed);
            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&m.made_by.to_le_bytes());
            central.extend_from_slice(&fixed);
            central.extend_from_slice(&[0u8; 6]);
            central.extend_from_slice(&m.external.to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(m.name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0u8; 4]);
        let n = members.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// [`zip_raw`] for (name, bytes, deflate?, declared size override).
    fn zip(members: &[(&str, &[u8], bool, Option<u32>)]) -> Vec<u8> {
        let raw: Vec<Raw> = members
            .iter()
            .map(|&(name, data, deflate, declared)| Raw {
                deflate,
                declared,
                ..Raw::new(name, data)
            })
            .collect();
        zip_raw(&raw)
    }

    fn run(
        bytes: &[u8],
        limits: &ImportLimits,
    ) -> (tempfile::TempDir, Result<Unpacked, ImportError>) {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("a.zip");
        std::fs::write(&z, bytes).unwrap();
        let r = unpack(&z, "a.zip", &dir.path().join("out"), limits);
        (dir, r)
    }

    #[test]
    fn a_plain_archive_unpacks_and_names_its_only_file() {
        let z = zip(&[
            ("data/", b"", false, None),
            (
                "data/zona.geojson",
                b"{\"type\":\"FeatureCollection\",\"features\":[]}",
                true,
                None,
            ),
            ("__MACOSX/data/._zona.geojson", b"junk", false, None),
        ]);
        let (dir, r) = run(&z, &ImportLimits::default());
        let u = r.unwrap();
        assert_eq!(u.dataset, dir.path().join("out/data/zona.geojson"));
        assert_eq!(u.files, 1);
        assert!(!dir.path().join("out/__MACOSX").exists());
    }

    #[test]
    fn declared_sizes_and_member_counts_are_capped() {
        let zeros = vec![0u8; 10_000];
        let limits = ImportLimits {
            max_uncompressed_bytes: 5_000,
            ..ImportLimits::default()
        };
        let (_d, r) = run(&zip(&[("big.bin", &zeros, true, None)]), &limits);
        let e = r.unwrap_err();
        assert!(matches!(e, ImportError::Limit { .. }), "{e}");
        assert!(
            e.to_string().contains("import_max_uncompressed_bytes"),
            "{e}"
        );
        let limits = ImportLimits {
            max_archive_members: 2,
            ..ImportLimits::default()
        };
        let z = zip(&[
            ("a", b"1", false, None),
            ("b", b"2", false, None),
            ("c", b"3", false, None),
        ]);
        let e = run(&z, &limits).1.unwrap_err();
        assert!(e.to_string().contains("import_max_archive_members"), "{e}");
    }

    #[test]
    fn a_member_that_unpacks_to_more_than_it_declares_is_refused() {
        let zeros = vec![0u8; 100_000];
        let (_d, r) = run(
            &zip(&[("liar.bin", &zeros, true, Some(1000))]),
            &ImportLimits::default(),
        );
        let e = r.unwrap_err();
        assert!(
            e.to_string()
                .contains("claims 1000 bytes but unpacks to more"),
            "{e}"
        );
        assert!(e.detail_id().contains("berbohong"), "{}", e.detail_id());
    }

    #[test]
    fn paths_out_of_the_folder_and_duplicates_are_refused() {
        for name in ["../evil.txt", "/etc/evil", "a/../../evil"] {
            let e = run(&zip(&[(name, b"x", false, None)]), &ImportLimits::default())
                .1
                .unwrap_err();
            assert!(e.to_string().contains("outside the archive"), "{name}: {e}");
        }
        let e = run(
            &zip(&[("a.txt", b"x", false, None), ("a.txt", b"y", false, None)]),
            &ImportLimits::default(),
        )
        .1
        .unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
    }

    #[test]
    fn a_nested_archive_is_refused() {
        let inner = zip(&[("x.geojson", b"{}", false, None)]);
        let e = run(
            &zip(&[("inner.zip", &inner, false, None)]),
            &ImportLimits::default(),
        )
        .1
        .unwrap_err();
        assert!(e.to_string().contains("holds another archive"), "{e}");
    }

    #[test]
    fn the_dataset_of_a_kmz_is_its_kml() {
        let (dir, r) = run(
            &zip(&[
                ("doc.kml", b"<kml/>", true, None),
                ("files/icon.png", b"png", false, None),
            ]),
            &ImportLimits::default(),
        );
        assert_eq!(r.unwrap().dataset, dir.path().join("out/doc.kml"));
    }

    fn refusal(members: &[Raw]) -> ImportError {
        let (dir, r) = run(&zip_raw(members), &ImportLimits::default());
        let e = r.unwrap_err();
        assert!(
            !dir.path().join("out").exists()
                || std::fs::read_dir(dir.path().join("out"))
                    .unwrap()
                    .next()
                    .is_none()
                || matches!(e, ImportError::BadFile { .. }),
            "{e}"
        );
        e
    }

    #[test]
    fn encrypted_members_other_methods_links_and_nul_are_refused_before_writing() {
        let cases: [(Raw, &str); 5] = [
            (
                Raw {
                    flags: 1,
                    ..Raw::new("secret.txt", b"x")
                },
                "'secret.txt' is encrypted",
            ),
            (
                Raw {
                    method: Some(12),
                    ..Raw::new("b.txt", b"x")
                },
                "'b.txt' uses compression method 12",
            ),
            (
                Raw {
                    made_by: 3 << 8 | 20,
                    external: 0o120_777 << 16,
                    ..Raw::new("link", b"/etc/passwd")
                },
                "'link' is a symbolic link",
            ),
            (Raw::new("a\0b.txt", b"x"), "outside the archive"),
            (Raw::new("c:/x.txt", b"x"), "outside the archive"),
        ];
        for (member, want) in cases {
            let e = run(
                &zip_raw(&[Raw::new("first.txt", b"1"), member]),
                &ImportLimits::default(),
            )
            .1
            .unwrap_err();
            assert!(matches!(e, ImportError::BadFile { .. }), "{e}");
            assert!(e.to_string().contains(want), "{want}: {e}");
        }
        // Nothing was written for any of them: the checks come before the folder exists.
        let (dir, r) = run(
            &zip_raw(&[Raw {
                flags: 1,
                ..Raw::new("secret.txt", b"x")
            }]),
            &ImportLimits::default(),
        );
        assert!(r.is_err());
        assert!(!dir.path().join("out").exists());
    }

    #[test]
    fn the_same_name_twice_is_refused_and_named_where_the_directory_shows_it() {
        for (names, want) in [
            (
                ["a.txt", "a.txt", "z.txt"],
                "'a.txt' is in the archive twice",
            ),
            (
                ["a.txt", "z.txt", "a.txt"],
                "'a.txt' is in the archive twice",
            ),
            (
                ["y.txt", "a.txt", "a.txt"],
                "a member is in the archive twice",
            ),
            (
                ["a.txt", "./a.txt", "z.txt"],
                "'a.txt' is in the archive twice",
            ),
            (
                ["./a.txt", "./a.txt", "z.txt"],
                "'a.txt' is in the archive twice",
            ),
            (
                ["a/b.txt", "a\\b.txt", "z.txt"],
                "'a/b.txt' is in the archive twice",
            ),
        ] {
            let members: Vec<Raw> = names.iter().map(|n| Raw::new(n, b"x")).collect();
            let (dir, r) = run(&zip_raw(&members), &ImportLimits::default());
            let e = r.unwrap_err();
            assert!(matches!(e, ImportError::BadFile { .. }), "{e}");
            assert!(e.to_string().contains(want), "{names:?}: {e}");
            assert!(e.detail_id().contains("dua kali"), "{}", e.detail_id());
            assert!(!dir.path().join("out").exists());
        }
    }

    #[test]
    fn a_member_short_of_its_size_or_failing_its_crc_is_damaged() {
        for deflate in [false, true] {
            let e = refusal(&[Raw {
                deflate,
                declared: Some(100),
                ..Raw::new("short.txt", b"only a few bytes")
            }]);
            assert!(
                e.to_string().contains("'short.txt' does not unpack whole"),
                "{e}"
            );
            assert!(e.detail_id().contains("rusak"), "{}", e.detail_id());
            let e = refusal(&[Raw {
                deflate,
                crc: Some(0xDEAD_BEEF),
                ..Raw::new("crc.txt", b"some bytes")
            }]);
            assert!(
                e.to_string().contains("'crc.txt' does not unpack whole"),
                "{e}"
            );
        }
        // A stored member that claims more than the archive holds.
        let mut z = zip(&[("x.txt", b"0123456789", false, None)]);
        z.truncate(20);
        let e = run(&z, &ImportLimits::default()).1.unwrap_err();
        assert!(e.to_string().contains("damaged"), "{e}");
    }

    #[test]
    fn a_stored_member_that_lies_is_refused_too() {
        let data = vec![7u8; 5000];
        let e = refusal(&[Raw {
            declared: Some(10),
            ..Raw::new("liar.bin", &data)
        }]);
        assert!(
            e.to_string()
                .contains("claims 10 bytes but unpacks to more"),
            "{e}"
        );
    }

    #[test]
    fn a_directory_bigger_than_the_member_limit_needs_is_not_read_into_memory() {
        let names: Vec<String> = (0..1000).map(|i| format!("{i:0>200}")).collect();
        let members: Vec<Raw> = names.iter().map(|n| Raw::new(n, b"")).collect();
        let limits = ImportLimits {
            max_archive_members: 2,
            ..ImportLimits::default()
        };
        let (dir, r) = run(&zip_raw(&members), &limits);
        let e = r.unwrap_err();
        assert!(matches!(e, ImportError::Limit { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("the archive's directory is over 133120 bytes, more than 2 files need (import_max_archive_members)"),
            "{e}"
        );
        assert!(!dir.path().join("out").exists());
    }
}
