//! The embedded PostgreSQL + PostGIS cluster.
//!
//! With no `DATABASE_URL`, ruang keeps its own private cluster in a data folder (`./data/pg` by
//! default). The contract:
//!
//! - The cluster listens only on a Unix socket inside the data folder, unless a TCP port is
//!   configured; connection URLs look like `postgresql://postgres@localhost/ruang?host=<dir>`,
//!   which both sqlx and `psql` accept.
//! - When ruang runs as root, `initdb`, `pg_ctl` and so `postgres` run as the `postgres` system
//!   user (PostgreSQL refuses root); the data folder is owned by that user and must be reachable
//!   by it.
//! - `start` is idempotent: a running cluster is reused. A `postmaster.pid` left by a crash (its
//!   process gone, or the pid now belongs to something that is not postgres) is removed before
//!   starting, together with the socket lock file.
//! - `stop` shuts the cluster down with `pg_ctl stop -m fast` and waits until the postmaster
//!   process is gone.
//!
//! All operations are blocking (they run short external programs); async callers use
//! `tokio::task::spawn_blocking`.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Name of the database ruang creates inside its cluster.
pub const DATABASE: &str = "ruang";
/// Superuser created by `initdb`.
pub const SUPERUSER: &str = "postgres";
/// Port number used for the socket file name (`.s.PGSQL.<port>`) when no TCP port is set.
pub const DEFAULT_PORT: u16 = 5432;
/// Longest path a Unix socket may have on Linux (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Errors of the embedded cluster. Each message says what went wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found in {searched}. \
         Install them (Debian: `make deps`, or `apt-get install postgresql-15 postgresql-15-postgis-3`), \
         point RUANG_PG_BINDIR at their folder, or set DATABASE_URL to use an existing PostGIS database"
    )]
    BinariesNotFound { searched: String },
    #[error(
        "ruang runs as root, so the database must run as the `postgres` system user, but there is \
         no such user. Install PostgreSQL (Debian: `apt-get install postgresql-15`) or run ruang \
         as an ordinary user"
    )]
    NoPostgresUser,
    #[error(
        "cannot create the data folder {path}: {source}. Choose a writable folder with --data-dir"
    )]
    CreateDir { path: PathBuf, source: io::Error },
    #[error(
        "the data folder {path} cannot be written by the `{user}` system user, which runs the \
         database. Choose a folder that user can reach with --data-dir (for example \
         /var/lib/ruang/pg or /tmp/ruang/pg), or let it in (`chmod o+x` on each parent folder)"
    )]
    NotReachable { path: PathBuf, user: String },
    #[error(
        "the data folder {path} exists but is not a PostgreSQL data folder and is not empty; choose another --data-dir"
    )]
    NotAClusterDir { path: PathBuf },
    #[error(
        "the data folder path {path} is too long for a Unix socket ({len} bytes, at most {max}); \
         choose a shorter --data-dir"
    )]
    PathTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },
    #[error(
        "the data folder path {path} contains a quote or a newline; choose a plainer --data-dir"
    )]
    BadPath { path: PathBuf },
    #[error("{program} failed ({status}): {output}")]
    Command {
        program: String,
        status: String,
        output: String,
    },
    #[error("cannot run {program}: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("the database did not stop within {0:?}; see {1}")]
    StopTimeout(Duration, PathBuf),
    #[error("backup: {0}")]
    Backup(String),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// Where the cluster is, as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No cluster has been created in the data folder yet.
    NotInitialised,
    /// A cluster exists and no postmaster runs for it.
    Stopped,
    /// The postmaster runs with this pid.
    Running(i32),
}

/// A private cluster in one data folder.
#[derive(Debug, Clone)]
pub struct Cluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    tcp_port: Option<u16>,
    /// uid/gid of the `postgres` user when ruang runs as root.
    run_as: Option<(u32, u32)>,
}

impl Cluster {
    /// Describes the cluster in `data_dir` (made absolute) without touching it. Finds the server
    /// programs (`bin_dir` if given, else `RUANG_PG_BINDIR`, the newest
    /// `/usr/lib/postgresql/*/bin`, then `PATH`).
    pub fn new(
        data_dir: &Path,
        bin_dir: Option<&Path>,
        tcp_port: Option<u16>,
    ) -> Result<Self, ClusterError> {
        let data_dir = absolute(data_dir)?;
        let s = data_dir.to_string_lossy();
        if s.contains('\'') || s.contains('\n') || s.contains('\\') {
            return Err(ClusterError::BadPath { path: data_dir });
        }
        let socket_len = s.len() + format!("/.s.PGSQL.{}", tcp_port.unwrap_or(DEFAULT_PORT)).len();
        if socket_len > MAX_SOCKET_PATH {
            return Err(ClusterError::PathTooLong {
                path: data_dir,
                len: socket_len,
                max: MAX_SOCKET_PATH,
            });
        }
        let bin_dir = find_bin_dir(bin_dir)?;
        let run_as = if nix::unistd::Uid::effective().is_root() {
            let user = nix::unistd::User::from_name(SUPERUSER)
                .ok()
                .flatten()
                .ok_or(ClusterError::NoPostgresUser)?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };
        Ok(Cluster {
            data_dir,
            bin_dir,
            tcp_port,
            run_as,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    fn port(&self) -> u16 {
        self.tcp_port.unwrap_or(DEFAULT_PORT)
    }

    fn log_file(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }

    /// A URL for `database` in this cluster, usable by sqlx and `psql`.
    pub fn url_for(&self, database: &str) -> String {
        let mut url = format!("postgresql://{SUPERUSER}@localhost");
        if self.tcp_port.is_some() {
            let _ = write!(url, ":{}", self.port());
        }
        let _ = write!(url, "/{database}?host={}", self.data_dir.display());
        url
    }

    /// The URL of ruang's own database.
    pub fn url(&self) -> String {
        self.url_for(DATABASE)
    }

    /// Reads the state of the cluster from its data folder and the process table.
    pub fn status(&self) -> Status {
        if !self.data_dir.join("PG_VERSION").is_file() {
            return Status::NotInitialised;
        }
        match self.postmaster_pid() {
            Some(pid) if is_postgres_process(pid) => Status::Running(pid),
            _ => Status::Stopped,
        }
    }

    fn postmaster_pid(&self) -> Option<i32> {
        read_pid(&self.data_dir.join("postmaster.pid"))
    }

    /// Creates the data folder and runs `initdb` when no cluster exists yet. Returns true when a
    /// new cluster was created.
    pub fn init(&self) -> Result<bool, ClusterError> {
        if self.data_dir.join("PG_VERSION").is_file() {
            self.check_reachable()?;
            return Ok(false);
        }
        if self.data_dir.exists() {
            let empty = fs::read_dir(&self.data_dir)
                .map_err(|source| ClusterError::Io {
                    what: "cannot read the data folder",
                    path: self.data_dir.clone(),
                    source,
                })?
                .next()
                .is_none();
            if !empty {
                return Err(ClusterError::NotAClusterDir {
                    path: self.data_dir.clone(),
                });
            }
        }
        fs::create_dir_all(&self.data_dir).map_err(|source| ClusterError::CreateDir {
            path: self.data_dir.clone(),
            source,
        })?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700)).map_err(
            |source| ClusterError::Io {
                what: "cannot set permissions of",
                path: self.data_dir.clone(),
                source,
            },
        )?;
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(
                &self.data_dir,
                Some(nix::unistd::Uid::from_raw(uid)),
                Some(nix::unistd::Gid::from_raw(gid)),
            )
            .map_err(|e| ClusterError::Io {
                what: "cannot hand over to the postgres user the data folder",
                path: self.data_dir.clone(),
                source: io::Error::from(e),
            })?;
        }
        self.check_reachable()?;
        let pgdata = self.data_dir.as_os_str();
        self.run(
            "initdb",
            [
                OsStr::new("-D"),
                pgdata,
                OsStr::new("-U"),
                OsStr::new(SUPERUSER),
                OsStr::new("--auth=trust"),
                OsStr::new("--encoding=UTF8"),
                OsStr::new("--locale=C.UTF-8"),
                OsStr::new("--no-instructions"),
            ],
        )?;
        // Our settings live in a file of their own, rewritten at every start.
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).map_err(|source| ClusterError::Io {
            what: "cannot read",
            path: conf.clone(),
            source,
        })?;
        text.push_str("\n# ruang: settings managed by ruang\ninclude_if_exists = 'ruang.conf'\n");
        fs::write(&conf, text).map_err(|source| ClusterError::Io {
            what: "cannot write",
            path: conf.clone(),
            source,
        })?;
        Ok(true)
    }

    /// Fails with a clear message when the user that runs the database cannot write the folder.
    fn check_reachable(&self) -> Result<(), ClusterError> {
        if self.run_as.is_none() {
            return Ok(());
        }
        let ok = self
            .command("test")
            .arg("-w")
            .arg(&self.data_dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            Ok(())
        } else {
            Err(ClusterError::NotReachable {
                path: self.data_dir.clone(),
                user: SUPERUSER.to_string(),
            })
        }
    }

    fn write_settings(&self) -> Result<(), ClusterError> {
        let listen = if self.tcp_port.is_some() {
            "127.0.0.1"
        } else {
            ""
        };
        let text = format!(
            "# Written by ruang at every start; edit postgresql.conf for your own settings.\n\
             listen_addresses = '{listen}'\n\
             port = {port}\n\
             unix_socket_directories = '{dir}'\n\
             unix_socket_permissions = 0700\n\
             max_connections = 100\n\
             shared_buffers = 256MB\n\
             work_mem = 16MB\n\
             maintenance_work_mem = 256MB\n\
             max_wal_size = 2GB\n\
             logging_collector = off\n",
            port = self.port(),
            dir = self.data_dir.display(),
        );
        let path = self.data_dir.join("ruang.conf");
        fs::write(&path, text).map_err(|source| ClusterError::Io {
            what: "cannot write",
            path: path.clone(),
            source,
        })?;
        if let Some((uid, gid)) = self.run_as {
            let _ = nix::unistd::chown(
                &path,
                Some(nix::unistd::Uid::from_raw(uid)),
                Some(nix::unistd::Gid::from_raw(gid)),
            );
        }
        Ok(())
    }

    /// Removes a `postmaster.pid` and socket lock file whose process is gone. The socket lock
    /// is also stale when it names a live postmaster other than this folder's: a copy of
    /// another cluster's folder (a base backup, a standby) carries that cluster's lock.
    fn clear_stale_lock(&self) -> Result<bool, ClusterError> {
        let mut removed = false;
        let pidfile = self.data_dir.join("postmaster.pid");
        let lock = self.data_dir.join(format!(".s.PGSQL.{}.lock", self.port()));
        let own = self.postmaster_pid().filter(|p| is_postgres_process(*p));
        for (file, is_lock) in [(pidfile, false), (lock, true)] {
            if let Some(pid) = read_pid(&file)
                && is_postgres_process(pid)
                && (!is_lock || own == Some(pid))
            {
                continue;
            }
            if file.exists() {
                fs::remove_file(&file).map_err(|source| ClusterError::Io {
                    what: "cannot remove the stale lock file",
                    path: file.clone(),
                    source,
                })?;
                tracing::warn!(file = %file.display(), "removed a stale lock file (left by a crash, or copied with the folder)");
                removed = true;
            }
        }
        Ok(removed)
    }

    /// Initialises (if needed) and starts the cluster. Returns true when this call started it,
    /// false when it was already running.
    pub fn start(&self) -> Result<bool, ClusterError> {
        self.init()?;
        if let Status::Running(_) = self.status() {
            return Ok(false);
        }
        self.clear_stale_lock()?;
        self.write_settings()?;
        let log = self.log_file();
        let result = self.run(
            "pg_ctl",
            [
                OsStr::new("start"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
                OsStr::new("-l"),
                log.as_os_str(),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("120"),
                OsStr::new("-s"),
            ],
        );
        if let Err(ClusterError::Command {
            program,
            status,
            output,
        }) = result
        {
            let tail = tail_of(&log, 5);
            return Err(ClusterError::Command {
                program,
                status,
                output: format!("{output} {tail}").trim().to_string(),
            });
        }
        result?;
        Ok(true)
    }

    /// Stops the cluster (fast shutdown: open sessions are ended) and waits until the postmaster
    /// has exited. Returns false when it was not running.
    pub fn stop(&self) -> Result<bool, ClusterError> {
        let Status::Running(pid) = self.status() else {
            self.clear_stale_lock()?;
            return Ok(false);
        };
        self.run(
            "pg_ctl",
            [
                OsStr::new("stop"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
                OsStr::new("-m"),
                OsStr::new("fast"),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("60"),
                OsStr::new("-s"),
            ],
        )?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while is_postgres_process(pid) {
            if Instant::now() > deadline {
                return Err(ClusterError::StopTimeout(
                    Duration::from_secs(30),
                    self.log_file(),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(true)
    }

    /// Takes a base backup of the running cluster into `dir` (which must not exist or be
    /// empty): `pg_basebackup` in plain format with the WAL needed to make it consistent
    /// streamed alongside (`-X stream`) and a SHA-256 manifest, checked with `pg_verifybackup`
    /// before this returns. The backup is a complete data folder of the whole cluster
    /// (every database, roles, settings), restorable with [`Cluster::restore`].
    pub fn backup(&self, dir: &Path) -> Result<BackupReport, ClusterError> {
        let started = Instant::now();
        let dir = absolute(dir)?;
        if dir.exists() {
            let empty = fs::read_dir(&dir)
                .map_err(|source| ClusterError::Io {
                    what: "cannot read the backup folder",
                    path: dir.clone(),
                    source,
                })?
                .next()
                .is_none();
            if !empty {
                return Err(ClusterError::Backup(format!(
                    "the backup folder {} is not empty; give a new or empty folder",
                    dir.display()
                )));
            }
        }
        let mut cmd = self.client("pg_basebackup");
        cmd.arg("-D")
            .arg(&dir)
            .args(["-X", "stream", "-c", "fast", "--manifest-checksums=SHA256"])
            .arg("-h")
            .arg(&self.data_dir)
            .args(["-p", &self.port().to_string(), "-U", SUPERUSER])
            .args(["-l", "ruang db backup"]);
        self.run_client("pg_basebackup", cmd)?;
        self.verify_backup(&dir)?;
        Ok(BackupReport {
            dir: dir.clone(),
            bytes: folder_size(&dir),
            elapsed: started.elapsed(),
        })
    }

    /// Checks a base backup against its manifest (every file's size and SHA-256, and that the
    /// WAL it needs is there and readable).
    pub fn verify_backup(&self, dir: &Path) -> Result<(), ClusterError> {
        for f in ["PG_VERSION", "backup_label", "backup_manifest"] {
            if !dir.join(f).is_file() {
                return Err(ClusterError::Backup(format!(
                    "{} is not a backup made by `ruang db backup` (it has no {f})",
                    dir.display()
                )));
            }
        }
        let mut cmd = self.client("pg_verifybackup");
        cmd.arg("-q").arg(dir);
        self.run_client("pg_verifybackup", cmd).map(|_| ())
    }

    /// Replaces the cluster's data with the base backup in `dir`: checks the backup first
    /// (nothing is touched when it fails), stops the cluster if it runs, keeps the current data
    /// folder beside it as `<data folder>.before-restore-<UTC time>`, copies the backup in (owned
    /// by the user that runs the database), and starts the cluster, which replays the backup's
    /// WAL to a consistent state. The cluster is left running only if it was running before.
    pub fn restore(&self, dir: &Path) -> Result<RestoreReport, ClusterError> {
        let started = Instant::now();
        let dir = absolute(dir)?;
        self.verify_backup(&dir)?;
        let was_running = matches!(self.status(), Status::Running(_));
        if was_running {
            self.stop()?;
        }
        let mut kept = None;
        if self.data_dir.exists() {
            let name = self
                .data_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "pg".into());
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let aside = self
                .data_dir
                .with_file_name(format!("{name}.before-restore-{stamp}"));
            fs::rename(&self.data_dir, &aside).map_err(|source| ClusterError::Io {
                what: "cannot move the current data folder aside to",
                path: aside.clone(),
                source,
            })?;
            kept = Some(aside);
        }
        if let Some(parent) = self.data_dir.parent() {
            fs::create_dir_all(parent).map_err(|source| ClusterError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        copy_tree(&dir, &self.data_dir, self.run_as)?;
        self.start()?;
        if !was_running {
            self.stop()?;
        }
        Ok(RestoreReport {
            kept,
            running: was_running,
            elapsed: started.elapsed(),
        })
    }

    /// A PostgreSQL client program run as the caller (it connects over the socket like ruang).
    fn client(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir("/");
        cmd.env("LC_ALL", "C.UTF-8");
        cmd.env_remove("PGDATA");
        cmd
    }

    fn run_client(&self, program: &str, mut cmd: Command) -> Result<Output, ClusterError> {
        let output = cmd.output().map_err(|source| ClusterError::Spawn {
            program: self.bin_dir.join(program).display().to_string(),
            source,
        })?;
        if output.status.success() {
            return Ok(output);
        }
        let mut text = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if text.is_empty() {
            text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        }
        Err(ClusterError::Command {
            program: program.to_string(),
            status: output.status.to_string(),
            output: text.replace('\n', " "),
        })
    }

    fn command(&self, program: &str) -> Command {
        let path = if program == "test" {
            PathBuf::from("test")
        } else {
            self.bin_dir.join(program)
        };
        let mut cmd = Command::new(path);
        // The postgres user may not be able to enter our working folder.
        cmd.current_dir("/");
        cmd.env("LC_ALL", "C.UTF-8");
        cmd.env_remove("PGDATA");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
            cmd.env("HOME", "/var/lib/postgresql");
            cmd.env("USER", SUPERUSER);
        }
        cmd
    }

    fn run<I, S>(&self, program: &str, args: I) -> Result<Output, ClusterError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let output = self
            .command(program)
            .args(args)
            .output()
            .map_err(|source| ClusterError::Spawn {
                program: self.bin_dir.join(program).display().to_string(),
                source,
            })?;
        if output.status.success() {
            Ok(output)
        } else {
            let mut text = String::from_utf8_lossy(&output.stderr).trim().to_string();
            if text.is_empty() {
                text = String::from_utf8_lossy(&output.stdout).trim().to_string();
            }
            Err(ClusterError::Command {
                program: program.to_string(),
                status: output.status.to_string(),
                output: text.replace('\n', " "),
            })
        }
    }
}

/// What `backup` made.
#[derive(Debug)]
pub struct BackupReport {
    pub dir: PathBuf,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// What `restore` did.
#[derive(Debug)]
pub struct RestoreReport {
    /// Where the data folder that was replaced now is.
    pub kept: Option<PathBuf>,
    /// Whether the cluster was left running.
    pub running: bool,
    pub elapsed: Duration,
}

fn folder_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => total += folder_size(&e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

/// Copies the backup `from` into a new data folder `to`: folders 0700, files 0600, owned by
/// `owner` when given; the manifest stays behind; anything but plain files and folders is
/// refused (a plain-format backup of the embedded cluster has no tablespace links).
fn copy_tree(from: &Path, to: &Path, owner: Option<(u32, u32)>) -> Result<(), ClusterError> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| ClusterError::Io { what, path, source }
    };
    fs::create_dir(to).map_err(io("cannot create", to))?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o700))
        .map_err(io("cannot set permissions of", to))?;
    let chown = |p: &Path| -> Result<(), ClusterError> {
        if let Some((uid, gid)) = owner {
            nix::unistd::chown(
                p,
                Some(nix::unistd::Uid::from_raw(uid)),
                Some(nix::unistd::Gid::from_raw(gid)),
            )
            .map_err(|e| ClusterError::Io {
                what: "cannot hand over to the postgres user",
                path: p.to_path_buf(),
                source: io::Error::from(e),
            })?;
        }
        Ok(())
    };
    chown(to)?;
    for entry in fs::read_dir(from).map_err(io("cannot read", from))? {
        let entry = entry.map_err(io("cannot read", from))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io("cannot read", &src))?;
        if kind.is_dir() {
            copy_tree(&src, &dst, owner)?;
        } else if kind.is_file() {
            if from.join("backup_label").is_file() && entry.file_name() == "backup_manifest" {
                continue;
            }
            fs::copy(&src, &dst).map_err(io("cannot copy", &src))?;
            fs::set_permissions(&dst, fs::Permissions::from_mode(0o600))
                .map_err(io("cannot set permissions of", &dst))?;
            chown(&dst)?;
        } else {
            return Err(ClusterError::Backup(format!(
                "{} is neither a file nor a folder; restore such a backup by hand",
                src.display()
            )));
        }
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf, ClusterError> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| ClusterError::Io {
                what: "cannot read the current folder for",
                path: path.to_path_buf(),
                source,
            })?
            .join(path)
    };
    // Normalise `.` and `..` without requiring the folder to exist.
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Finds the folder holding `initdb`, `pg_ctl` and `postgres`.
pub fn find_bin_dir(explicit: Option<&Path>) -> Result<PathBuf, ClusterError> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    let mut searched = Vec::new();
    let explicit = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("RUANG_PG_BINDIR").map(PathBuf::from));
    if let Some(dir) = explicit {
        if has_all(&dir) {
            return Ok(dir);
        }
        return Err(ClusterError::BinariesNotFound {
            searched: dir.display().to_string(),
        });
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    for (_, dir) in versions.iter().rev() {
        if has_all(dir) {
            return Ok(dir.clone());
        }
    }
    searched.push("/usr/lib/postgresql/*/bin".to_string());
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_all(&dir) {
                return Ok(dir);
            }
        }
    }
    searched.push("PATH".to_string());
    Err(ClusterError::BinariesNotFound {
        searched: searched.join(" and "),
    })
}

fn read_pid(file: &Path) -> Option<i32> {
    let text = fs::read_to_string(file).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// True when `pid` is a live process running the postgres server binary.
fn is_postgres_process(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "<pid> (<comm>) <state> ..." — a zombie is as good as gone.
        Ok(stat) => {
            let comm_ok = stat.contains("(postgres)") || stat.contains("(postmaster)");
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            comm_ok && state != Some('Z')
        }
        Err(_) => false,
    }
}

fn tail_of(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let tail = all[start..].join(" | ");
    if tail.is_empty() {
        String::new()
    } else {
        format!("(log {}: {tail})", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_uses_the_socket_folder() {
        let c = Cluster {
            data_dir: PathBuf::from("/tmp/x/pg"),
            bin_dir: PathBuf::from("/usr/bin"),
            tcp_port: None,
            run_as: None,
        };
        assert_eq!(
            c.url(),
            "postgresql://postgres@localhost/ruang?host=/tmp/x/pg"
        );
        let c = Cluster {
            tcp_port: Some(5499),
            ..c
        };
        assert_eq!(
            c.url(),
            "postgresql://postgres@localhost:5499/ruang?host=/tmp/x/pg"
        );
    }

    #[test]
    fn relative_paths_are_made_absolute_and_normalised() {
        let p = absolute(Path::new("/a/b/../c/./d")).unwrap();
        assert_eq!(p, PathBuf::from("/a/c/d"));
    }

    #[test]
    fn long_paths_are_refused_before_anything_runs() {
        let long = format!("/tmp/{}", "x".repeat(120));
        match Cluster::new(Path::new(&long), None, None) {
            Err(ClusterError::PathTooLong { .. }) => {}
            other => panic!("expected PathTooLong, got {other:?}"),
        }
    }

    #[test]
    fn a_pid_that_is_not_postgres_is_not_running() {
        assert!(!is_postgres_process(std::process::id() as i32));
        assert!(!is_postgres_process(0));
        assert!(!is_postgres_process(-5));
    }
}
