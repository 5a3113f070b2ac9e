//! The folders imports work in: an upload and what it unpacks to.
//!
//! Each is `<temp>/ruang-import-<job id>` (`<temp>` is `$TMPDIR`, else `/tmp`), created with
//! mode 0700 and holding a `.lock` file that the process locks (`flock`) for as long as the
//! folder is in use. The folder is removed when the job ends, and dropping it is the only way
//! it goes away while the process lives. A process that was killed leaves its folders behind,
//! but not its locks: [`remove_stale`] (run when the server starts) removes every such folder
//! whose lock nobody holds, and leaves alone the folders of jobs still running in another live
//! server on the same machine.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use uuid::Uuid;

/// Folder names start with this.
pub const PREFIX: &str = "ruang-import-";
/// The lock file inside each folder.
pub const LOCK: &str = ".lock";
/// A folder without a lock file (older versions, or one being created this instant) is stale
/// once nothing in it changed for this long.
pub const UNLOCKED_STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// Where the folders are made: the system's temporary folder.
pub fn base() -> PathBuf {
    std::env::temp_dir()
}

/// A locked work folder, removed on drop.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    _lock: File,
}

impl WorkDir {
    /// Creates and locks `<temp>/ruang-import-<id>`.
    pub fn create(id: Uuid) -> std::io::Result<Self> {
        Self::create_in(&base(), id)
    }

    pub fn create_in(base: &Path, id: Uuid) -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let path = base.join(format!("{PREFIX}{id}"));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        let lock = File::create(path.join(LOCK));
        let lock = match lock {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                return Err(e);
            }
        };
        if let Err(e) = lock.try_lock() {
            let _ = std::fs::remove_dir_all(&path);
            return Err(std::io::Error::other(e.to_string()));
        }
        Ok(WorkDir { path, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot remove an import folder");
        }
    }
}

/// The newest modification time of a folder and anything in it.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let mut t = meta.modified().ok()?;
    if meta.is_dir()
        && let Ok(entries) = std::fs::read_dir(path)
    {
        for e in entries.flatten() {
            if let Some(m) = newest(&e.path()) {
                t = t.max(m);
            }
        }
    }
    Some(t)
}

/// Whether a folder name is one of ours: `ruang-import-<uuid>`, or `ruang-import-XXXXXX`
/// (six letters or digits: the folders of versions before the lock).
fn ours(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(PREFIX) else {
        return false;
    };
    Uuid::parse_str(rest).is_ok()
        || (rest.len() == 6 && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Removes the import folders in `base` that no live process holds: those whose lock can be
/// taken, and those without a lock file in which nothing changed for
/// [`UNLOCKED_STALE_AFTER`]. Returns the folders removed.
pub fn remove_stale(base: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(base) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        // Never follow a link someone put there.
        if !ours(&name) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = e.path();
        let stale = match File::open(path.join(LOCK)) {
            Ok(f) => match f.try_lock() {
                // Nobody holds it: the process that made the folder is gone. Removing while
                // holding the lock keeps a process from taking it in between.
                Ok(()) => {
                    let r = std::fs::remove_dir_all(&path);
                    drop(f);
                    match r {
                        Ok(()) => removed.push(path),
                        Err(err) => {
                            tracing::warn!(path = %path.display(), error = %err, "cannot remove a stale import folder")
                        }
                    }
                    continue;
                }
                Err(TryLockError::WouldBlock) => false,
                Err(TryLockError::Error(_)) => false,
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => newest(&path)
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > UNLOCKED_STALE_AFTER),
            Err(_) => false,
        };
        if stale {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => removed.push(path),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "cannot remove a stale import folder")
                }
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_folders_stay_and_abandoned_ones_go() {
        let base = tempfile::tempdir().unwrap();
        let live = WorkDir::create_in(base.path(), Uuid::new_v4()).unwrap();
        std::fs::write(live.path().join("upload.zip"), b"x").unwrap();
        // A folder whose process died: its lock file is there, nobody holds it.
        let dead = base.path().join(format!("{PREFIX}{}", Uuid::new_v4()));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(LOCK), b"").unwrap();
        // A fresh folder without a lock (being created) and somebody else's folder.
        let fresh = base.path().join(format!("{PREFIX}abc123"));
        std::fs::create_dir(&fresh).unwrap();
        let other = base.path().join(format!("{PREFIX}test-1-x"));
        std::fs::create_dir(&other).unwrap();
        let removed = remove_stale(base.path());
        assert_eq!(removed, vec![dead.clone()]);
        assert!(live.path().exists() && fresh.exists() && other.exists());
        let path = live.path().to_path_buf();
        drop(live);
        assert!(!path.exists());
    }
}
