//! The folders imports work in: an upload and what it unpacks to.
//!
//! Each is `<temp>/ruang-import-<job id>` (`<temp>` is `$TMPDIR`, else `/tmp`), created with
//! mode 0700 and holding a `.lock` file that the process locks (`flock`) for as long as the
//! folder is in use. The folder is removed when the job ends, and dropping it is the only way
//! it goes away while the process lives. A process that was killed leaves its folders behind,
//! but not its locks, so whether a folder is still in use can be told from outside.

use std::fs::File;
use std::path::{Path, PathBuf};

use uuid::Uuid;

/// Folder names start with this.
pub const PREFIX: &str = "ruang-import-";
/// The lock file inside each folder.
pub const LOCK: &str = ".lock";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_work_folder_is_locked_while_it_lives_and_removed_on_drop() {
        let base = tempfile::tempdir().unwrap();
        let w = WorkDir::create_in(base.path(), Uuid::new_v4()).unwrap();
        let other = File::open(w.path().join(LOCK)).unwrap();
        assert!(other.try_lock().is_err(), "held");
        let path = w.path().to_path_buf();
        drop(w);
        assert!(!path.exists());
    }
}
