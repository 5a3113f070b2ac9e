//! Zip archives (a zipped Shapefile, a KMZ, `.shz`, `.shp.zip`), unpacked by us rather than
//! read through GDAL's `/vsizip/`, so that nothing unpacks without limits.
//!
//! 1. The central directory is read: more members than `import_max_archive_members`, or
//!    declared sizes adding up to more than `import_max_uncompressed_bytes`, are refused;
//!    so are encrypted members, compression methods other than stored and deflate, links,
//!    absolute paths, `..` and the same path twice. `__MACOSX/` is skipped.
//! 2. The headers of the Shapefile members (their first 100 bytes) are unpacked in memory and
//!    checked against the sizes the archive declares ([`super::shapefile`]): a `.shx` claiming
//!    134 million records is refused here, before anything is written to disk.
//! 3. The members are unpacked into the job's folder, counting the bytes that actually come
//!    out: a member that unpacks to more than it declared is refused at the first byte too
//!    many (a zip can lie about sizes), one that unpacks to less or fails its CRC is damaged.
//!
//! Everything is streamed (64 KiB at a time), so memory does not grow with the archive.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::shapefile::{self, HEADER_BYTES, Part};
use super::{ImportError, ImportLimits};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;

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
    /// The safe relative path (`/`-separated).
    path: String,
    is_dir: bool,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    /// Offset of the local header.
    offset: u64,
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

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// A zip archive opened for reading.
struct Archive {
    file: File,
    len: u64,
    name: String,
}

impl Archive {
    fn io(&self, e: std::io::Error) -> ImportError {
        damaged(&self.name, &e.to_string(), &e.to_string())
    }

    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), ImportError> {
        if at + buf.len() as u64 > self.len {
            return Err(damaged(
                &self.name,
                "terpotong",
                "it ends before a header it points to",
            ));
        }
        self.file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.read_exact(buf))
            .map_err(|e| self.io(e))
    }

    /// (number of entries, central directory offset, central directory size).
    fn end_record(&mut self) -> Result<(u64, u64, u64), ImportError> {
        let tail_len = self.len.min(22 + 65_535);
        let mut tail = vec![0u8; tail_len as usize];
        self.read_at(self.len - tail_len, &mut tail)?;
        let pos = (0..tail.len().saturating_sub(21))
            .rev()
            .find(|&i| u32_at(&tail, i) == EOCD_SIG)
            .ok_or_else(|| {
                damaged(
                    &self.name,
                    "akhir arsip tidak ditemukan",
                    "no end of central directory",
                )
            })?;
        let e = &tail[pos..];
        let eocd_at = self.len - tail_len + pos as u64;
        let (disk, cd_disk) = (u16_at(e, 4), u16_at(e, 6));
        let mut entries = u64::from(u16_at(e, 10));
        let mut cd_size = u64::from(u32_at(e, 12));
        let mut cd_offset = u64::from(u32_at(e, 16));
        if disk != 0 || cd_disk != 0 {
            return Err(bad(
                format!(
                    "{}: arsip zip yang terbagi ke beberapa berkas tidak didukung",
                    self.name
                ),
                format!(
                    "{}: zip archives split over several files are not supported",
                    self.name
                ),
            ));
        }
        if entries == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
            // Zip64: the locator sits just before the end record.
            let mut loc = [0u8; 20];
            if eocd_at < 20 {
                return Err(damaged(
                    &self.name,
                    "zip64 tanpa penunjuk",
                    "zip64 without locator",
                ));
            }
            self.read_at(eocd_at - 20, &mut loc)?;
            if u32_at(&loc, 0) != EOCD64_LOCATOR_SIG {
                return Err(damaged(
                    &self.name,
                    "zip64 tanpa penunjuk",
                    "zip64 without locator",
                ));
            }
            let mut rec = [0u8; 56];
            self.read_at(u64_at(&loc, 8), &mut rec)?;
            if u32_at(&rec, 0) != EOCD64_SIG {
                return Err(damaged(
                    &self.name,
                    "catatan akhir zip64 salah",
                    "bad zip64 end record",
                ));
            }
            entries = u64_at(&rec, 32);
            cd_size = u64_at(&rec, 40);
            cd_offset = u64_at(&rec, 48);
        }
        if cd_offset
            .checked_add(cd_size)
            .is_none_or(|end| end > eocd_at)
        {
            return Err(damaged(
                &self.name,
                "direktori pusat di luar arsip",
                "central directory outside the archive",
            ));
        }
        Ok((entries, cd_offset, cd_size))
    }

    /// Reads and checks the central directory.
    fn members(&mut self, limits: &ImportLimits) -> Result<Vec<Member>, ImportError> {
        let (entries, cd_offset, cd_size) = self.end_record()?;
        let too_many = |n: u64| ImportError::Limit {
            id: format!(
                "{} berisi {n} berkas; paling banyak {} (import_max_archive_members)",
                self.name, limits.max_archive_members
            ),
            en: format!(
                "{} holds {n} files; at most {} are accepted (import_max_archive_members)",
                self.name, limits.max_archive_members
            ),
        };
        if entries > u64::from(limits.max_archive_members) {
            return Err(too_many(entries));
        }
        self.file
            .seek(SeekFrom::Start(cd_offset))
            .map_err(|e| self.io(e))?;
        let mut r = BufReader::new((&self.file).take(cd_size));
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut total: u64 = 0;
        for _ in 0..entries {
            let mut h = [0u8; 46];
            r.read_exact(&mut h).map_err(|e| self.io(e))?;
            if u32_at(&h, 0) != CENTRAL_SIG {
                return Err(damaged(
                    &self.name,
                    "direktori pusat salah",
                    "bad central directory entry",
                ));
            }
            let made_by = u16_at(&h, 4);
            let flags = u16_at(&h, 8);
            let method = u16_at(&h, 10);
            let crc = u32_at(&h, 16);
            let mut compressed = u64::from(u32_at(&h, 20));
            let mut size = u64::from(u32_at(&h, 24));
            let (name_len, extra_len, comment_len) = (
                usize::from(u16_at(&h, 28)),
                usize::from(u16_at(&h, 30)),
                u64::from(u16_at(&h, 32)),
            );
            let external = u32_at(&h, 38);
            let mut offset = u64::from(u32_at(&h, 42));
            let mut raw = vec![0u8; name_len];
            r.read_exact(&mut raw).map_err(|e| self.io(e))?;
            let mut extra = vec![0u8; extra_len];
            r.read_exact(&mut extra).map_err(|e| self.io(e))?;
            std::io::copy(&mut (&mut r).take(comment_len), &mut std::io::sink())
                .map_err(|e| self.io(e))?;
            // Zip64 sizes and offset, in this order, for the fields set to 0xFFFFFFFF.
            let mut i = 0;
            while i + 4 <= extra.len() {
                let (id, len) = (u16_at(&extra, i), usize::from(u16_at(&extra, i + 2)));
                let data = &extra[(i + 4).min(extra.len())..(i + 4 + len).min(extra.len())];
                if id == 1 {
                    let mut at = 0;
                    for field in [&mut size, &mut compressed, &mut offset] {
                        if *field == 0xFFFF_FFFF && at + 8 <= data.len() {
                            *field = u64_at(data, at);
                            at += 8;
                        }
                    }
                }
                i += 4 + len;
            }
            let name = String::from_utf8_lossy(&raw).replace('\\', "/");
            let is_dir = name.ends_with('/');
            let parts: Vec<&str> = name
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .collect();
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
            // A symbolic link (Unix mode in the high half of the external attributes).
            if made_by >> 8 == 3 && (external >> 16) & 0o170_000 == 0o120_000 {
                return Err(bad(
                    format!("{}: '{path}' adalah tautan simbolik; ditolak", self.name),
                    format!("{}: '{path}' is a symbolic link; refused", self.name),
                ));
            }
            if flags & 1 != 0 {
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
            if !is_dir && method != 0 && method != 8 {
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
                return Err(bad(
                    format!("{}: '{path}' ada dua kali dalam arsip; ditolak", self.name),
                    format!("{}: '{path}' is in the archive twice; refused", self.name),
                ));
            }
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
                path,
                is_dir,
                method,
                crc,
                compressed,
                size,
                offset,
            });
        }
        Ok(members)
    }

    /// A reader of a member's unpacked bytes.
    fn open(&mut self, m: &Member) -> Result<Box<dyn Read + '_>, ImportError> {
        let mut h = [0u8; 30];
        self.read_at(m.offset, &mut h)?;
        if u32_at(&h, 0) != LOCAL_SIG {
            return Err(damaged(
                &self.name,
                &format!("kepala lokal '{}' salah", m.path),
                &format!("bad local header of '{}'", m.path),
            ));
        }
        let start = m.offset + 30 + u64::from(u16_at(&h, 26)) + u64::from(u16_at(&h, 28));
        if start
            .checked_add(m.compressed)
            .is_none_or(|end| end > self.len)
        {
            return Err(damaged(
                &self.name,
                &format!("'{}' melewati akhir arsip", m.path),
                &format!("'{}' runs past the end of the archive", m.path),
            ));
        }
        self.file
            .seek(SeekFrom::Start(start))
            .map_err(|e| self.io(e))?;
        let raw = BufReader::with_capacity(64 * 1024, (&self.file).take(m.compressed));
        Ok(if m.method == 8 {
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
    let len = file
        .metadata()
        .map_err(|e| ImportError::Io(e.to_string()))?
        .len();
    let mut a = Archive {
        file,
        len,
        name: shown.to_string(),
    };
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

    /// A minimal zip writer for the tests: (name, bytes, deflate?, declared size override).
    fn zip(members: &[(&str, &[u8], bool, Option<u32>)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, deflate, declared) in members {
            let packed = if *deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            let mut crc = flate2::Crc::new();
            crc.update(data);
            let size = declared.unwrap_or(data.len() as u32);
            let method: u16 = if *deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            let mut fixed = Vec::new();
            fixed.extend_from_slice(&20u16.to_le_bytes());
            fixed.extend_from_slice(&0u16.to_le_bytes());
            fixed.extend_from_slice(&method.to_le_bytes());
            fixed.extend_from_slice(&[0, 0, 0x21, 0]);
            fixed.extend_from_slice(&crc.sum().to_le_bytes());
            fixed.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            fixed.extend_from_slice(&size.to_le_bytes());
            fixed.extend_from_slice(&(name.len() as u16).to_le_bytes());
            fixed.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&fixed);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&packed);
            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            central.extend_from_slice(&fixed);
            central.extend_from_slice(&[0u8; 10]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
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
}
