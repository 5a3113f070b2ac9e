//! Typed configuration.
//!
//! Sources, strongest first: command-line flags, environment variables, the config file
//! (`--config FILE` or `RUANG_CONFIG`, TOML), built-in defaults. Unknown keys in the file are
//! errors, so a typo never silently falls back to a default. The database URL is a secret: it
//! is redacted whenever the configuration is printed or logged.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Errors while reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config: {0}")]
    Invalid(String),
}

/// The config file. Every key is optional; unknown keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<String>,
    /// Hot standbys of `database_url` that reads may go to (tiles, items pages, monitoring
    /// reads, the rule-set load).
    pub database_read_urls: Option<Vec<String>>,
    /// A replica lagging more than this is skipped (its reads go to the primary).
    pub replica_max_lag_ms: Option<u64>,
    /// Serve `GET /metrics` (Prometheus) on this address, apart from the public one.
    pub metrics_bind: Option<SocketAddr>,
    /// Serve `GET /metrics` on the public address too, to requests with this bearer token.
    pub metrics_token: Option<String>,
    /// Reverse proxies (addresses or blocks, `10.0.0.0/24`) besides loopback whose
    /// `X-Forwarded-For` names the client.
    pub trusted_proxies: Option<Vec<String>>,
    pub data_dir: Option<PathBuf>,
    pub pg_port: Option<u16>,
    pub pg_bindir: Option<PathBuf>,
    pub db_max_connections: Option<u32>,
    /// Connections of the tile path's own pool (default: twice the CPU cores, at least 4).
    pub tile_db_connections: Option<u32>,
    pub request_timeout_secs: Option<u64>,
    pub body_limit_bytes: Option<usize>,
    pub tiles_dir: Option<PathBuf>,
    pub styles_dir: Option<PathBuf>,
    /// Folders searched (recursively) for TrueType/OpenType fonts served as map glyphs.
    pub fonts_dirs: Option<Vec<PathBuf>>,
    /// The browser pages and their npm packages (`web/`).
    pub web_dir: Option<PathBuf>,
    /// Tile cache size in bytes; 0 turns the cache off.
    pub tile_cache_bytes: Option<u64>,
    /// Bytes the snapshots of in-process tile layers (`render = "memory"`) may hold together;
    /// 0 leaves every layer to PostGIS.
    pub tile_memory_bytes: Option<u64>,
    pub tile_max_age_secs: Option<u64>,
    /// `POST /api/check` requests per second per client IP (bursts up to 2 s worth); 0 = no limit.
    pub check_rate_per_sec: Option<f64>,
    /// Imports: most bytes an archive (zip) may unpack to, all members together.
    pub import_max_uncompressed_bytes: Option<u64>,
    /// Imports: most members an archive may hold.
    pub import_max_archive_members: Option<u32>,
    /// Imports: most features one import may read (a Shapefile declaring more is refused
    /// before GDAL opens it).
    pub import_max_features: Option<u64>,
    /// Imports: reading stops after this many rejected features.
    pub import_max_rejected: Option<u64>,
    pub demo: Option<DemoFileConfig>,
    pub log: Option<LogFileConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoFileConfig {
    /// Load the demo city when the database is empty at start-up.
    pub on_first_start: Option<bool>,
    pub seed: Option<u64>,
    pub scale: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogFileConfig {
    /// `text` or `json`.
    pub format: Option<LogFormat>,
    /// tracing filter, e.g. `info,sqlx=warn`.
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("unknown log format {other:?} (use text or json)")),
        }
    }
}

/// A secret string: shown as `***` in Debug and Display.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::db::redact_url(&self.0))
    }
}

/// A bearer token: shown as `***` in Debug.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Self {
        Token(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// `None`: use the embedded cluster in `data_dir`.
    pub database_url: Option<Secret>,
    /// Hot standbys reads may go to (see `db::reads`); empty: every read goes to the primary.
    pub database_read_urls: Vec<Secret>,
    /// Replicas lagging more than this are skipped.
    pub replica_max_lag: Duration,
    /// Address of the separate metrics listener (`None`: none).
    pub metrics_bind: Option<SocketAddr>,
    /// Bearer token for `/metrics` on the public address (`None`: not served there).
    pub metrics_token: Option<Token>,
    /// Proxies besides loopback whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<crate::http::limit::Cidr>,
    pub data_dir: PathBuf,
    /// TCP port for the embedded cluster; `None` means Unix socket only.
    pub pg_port: Option<u16>,
    pub pg_bindir: Option<PathBuf>,
    pub db_max_connections: u32,
    /// Size of the tile rendering pool. Tile queries are CPU-bound in PostgreSQL, so more
    /// connections than about twice the cores only add context switches.
    pub tile_db_connections: u32,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    pub tiles_dir: PathBuf,
    pub styles_dir: PathBuf,
    pub fonts_dirs: Vec<PathBuf>,
    pub web_dir: PathBuf,
    pub tile_cache_bytes: u64,
    /// Bytes the in-process tile layers' snapshots may hold together; 0 turns them off.
    pub tile_memory_bytes: u64,
    pub tile_max_age_secs: u64,
    /// `POST /api/check` requests per second per client IP; 0 turns the limit off.
    pub check_rate_per_sec: f64,
    /// Most bytes an uploaded or imported archive may unpack to (declared sizes checked first,
    /// actual bytes counted while unpacking).
    pub import_max_uncompressed_bytes: u64,
    /// Most members an archive may hold.
    pub import_max_archive_members: u32,
    /// Most features one import may read.
    pub import_max_features: u64,
    /// Reading stops after this many rejected features (the report says so).
    pub import_max_rejected: u64,
    pub demo_on_first_start: bool,
    pub demo_seed: u64,
    pub demo_scale: f64,
    pub log_format: LogFormat,
    pub log_filter: String,
}

fn default_tile_db_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (2 * cores).clamp(4, 32)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            database_read_urls: Vec::new(),
            replica_max_lag: Duration::from_secs(5),
            metrics_bind: None,
            metrics_token: None,
            trusted_proxies: Vec::new(),
            data_dir: PathBuf::from("data/pg"),
            pg_port: None,
            pg_bindir: None,
            db_max_connections: 20,
            tile_db_connections: default_tile_db_connections(),
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 25 * 1024 * 1024,
            tiles_dir: PathBuf::from("tiles"),
            styles_dir: PathBuf::from("styles"),
            fonts_dirs: vec![PathBuf::from("fonts"), PathBuf::from("/usr/share/fonts")],
            web_dir: PathBuf::from("web"),
            tile_cache_bytes: 128 * 1024 * 1024,
            tile_memory_bytes: 512 * 1024 * 1024,
            tile_max_age_secs: 60,
            check_rate_per_sec: 1000.0,
            import_max_uncompressed_bytes: 1024 * 1024 * 1024,
            import_max_archive_members: 1000,
            import_max_features: 2_000_000,
            import_max_rejected: 1000,
            demo_on_first_start: true,
            demo_seed: 1,
            demo_scale: 1.0,
            log_format: LogFormat::Text,
            log_filter: "info,sqlx=warn".to_string(),
        }
    }
}

/// Values given on the command line or through the environment (clap fills both).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<SocketAddr>,
    pub database_url: Option<String>,
    /// Comma-separated URLs (`--database-read-urls`, `RUANG_DATABASE_READ_URLS`).
    pub database_read_urls: Option<String>,
    pub metrics_bind: Option<SocketAddr>,
    pub metrics_token: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub pg_port: Option<u16>,
    pub pg_bindir: Option<PathBuf>,
    pub tile_cache_bytes: Option<u64>,
    pub tile_memory_bytes: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub log_filter: Option<String>,
}

impl FileConfig {
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }
}

impl Config {
    /// Merges defaults, the config file and the overrides.
    pub fn load(over: Overrides) -> Result<Self, ConfigError> {
        let file = match &over.config_file {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        Self::merge(file, over)
    }

    pub fn merge(file: FileConfig, over: Overrides) -> Result<Self, ConfigError> {
        let d = Config::default();
        let demo = file.demo.unwrap_or_default();
        let log = file.log.unwrap_or_default();
        let database_url = over
            .database_url
            .or(file.database_url)
            .filter(|s| !s.trim().is_empty())
            .map(Secret::new);
        let database_read_urls: Vec<Secret> = match over.database_read_urls {
            Some(list) => list.split(',').map(str::to_string).collect(),
            None => file.database_read_urls.unwrap_or_default(),
        }
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .collect();
        let trusted_proxies = file
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| ConfigError::Invalid(format!("trusted_proxies: {e}")))?;
        let cfg = Config {
            trusted_proxies,
            bind: over.bind.or(file.bind).unwrap_or(d.bind),
            database_url,
            database_read_urls,
            replica_max_lag: file
                .replica_max_lag_ms
                .map(Duration::from_millis)
                .unwrap_or(d.replica_max_lag),
            metrics_bind: over.metrics_bind.or(file.metrics_bind),
            metrics_token: over
                .metrics_token
                .or(file.metrics_token)
                .filter(|t| !t.trim().is_empty())
                .map(Token::new),
            data_dir: over.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            pg_port: over.pg_port.or(file.pg_port),
            pg_bindir: over.pg_bindir.or(file.pg_bindir),
            db_max_connections: file.db_max_connections.unwrap_or(d.db_max_connections),
            tile_db_connections: file
                .tile_db_connections
                .filter(|n| *n > 0)
                .unwrap_or(d.tile_db_connections),
            request_timeout: file
                .request_timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(d.request_timeout),
            body_limit_bytes: file.body_limit_bytes.unwrap_or(d.body_limit_bytes),
            tiles_dir: file.tiles_dir.unwrap_or(d.tiles_dir),
            styles_dir: file.styles_dir.unwrap_or(d.styles_dir),
            fonts_dirs: file.fonts_dirs.unwrap_or(d.fonts_dirs),
            web_dir: file.web_dir.unwrap_or(d.web_dir),
            tile_cache_bytes: over
                .tile_cache_bytes
                .or(file.tile_cache_bytes)
                .unwrap_or(d.tile_cache_bytes),
            tile_memory_bytes: over
                .tile_memory_bytes
                .or(file.tile_memory_bytes)
                .unwrap_or(d.tile_memory_bytes),
            tile_max_age_secs: file.tile_max_age_secs.unwrap_or(d.tile_max_age_secs),
            check_rate_per_sec: file.check_rate_per_sec.unwrap_or(d.check_rate_per_sec),
            import_max_uncompressed_bytes: file
                .import_max_uncompressed_bytes
                .unwrap_or(d.import_max_uncompressed_bytes),
            import_max_archive_members: file
                .import_max_archive_members
                .unwrap_or(d.import_max_archive_members),
            import_max_features: file.import_max_features.unwrap_or(d.import_max_features),
            import_max_rejected: file.import_max_rejected.unwrap_or(d.import_max_rejected),
            demo_on_first_start: demo.on_first_start.unwrap_or(d.demo_on_first_start),
            demo_seed: demo.seed.unwrap_or(d.demo_seed),
            demo_scale: demo.scale.unwrap_or(d.demo_scale),
            log_format: over.log_format.or(log.format).unwrap_or(d.log_format),
            log_filter: over.log_filter.or(log.filter).unwrap_or(d.log_filter),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.db_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "db_max_connections must be at least 1".into(),
            ));
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "request_timeout_secs must be at least 1".into(),
            ));
        }
        if !(self.check_rate_per_sec.is_finite() && self.check_rate_per_sec >= 0.0) {
            return Err(ConfigError::Invalid(
                "check_rate_per_sec must be a number >= 0 (0 turns the limit off)".into(),
            ));
        }
        if self.body_limit_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "body_limit_bytes must be at least 1024".into(),
            ));
        }
        for (key, value) in [
            (
                "import_max_uncompressed_bytes",
                self.import_max_uncompressed_bytes,
            ),
            (
                "import_max_archive_members",
                u64::from(self.import_max_archive_members),
            ),
            ("import_max_features", self.import_max_features),
            ("import_max_rejected", self.import_max_rejected),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{key} must be at least 1")));
            }
        }
        if let Some(url) = &self.database_url {
            let u = url.expose();
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                return Err(ConfigError::Invalid(format!(
                    "DATABASE_URL must start with postgres:// or postgresql:// (got {:?})",
                    url
                )));
            }
        }
        for url in &self.database_read_urls {
            let u = url.expose();
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                return Err(ConfigError::Invalid(format!(
                    "every database_read_urls entry must start with postgres:// or \
                     postgresql:// (got {url:?})"
                )));
            }
        }
        if !self.database_read_urls.is_empty() && self.database_url.is_none() {
            return Err(ConfigError::Invalid(
                "database_read_urls needs database_url: replicas stream from a primary that \
                 ruang reaches by URL, not from the embedded cluster's private socket"
                    .into(),
            ));
        }
        if let Some(t) = &self.metrics_token
            && t.expose().len() < 16
        {
            return Err(ConfigError::Invalid(
                "metrics_token must be at least 16 characters".into(),
            ));
        }
        if !(self.demo_scale.is_finite() && self.demo_scale > 0.0) {
            return Err(ConfigError::Invalid(
                "demo.scale must be a positive number".into(),
            ));
        }
        Ok(())
    }

    /// The limits every import runs under (HTTP jobs and `ruang import`).
    pub fn import_limits(&self) -> crate::import::ImportLimits {
        crate::import::ImportLimits {
            max_uncompressed_bytes: self.import_max_uncompressed_bytes,
            max_archive_members: self.import_max_archive_members,
            max_features: self.import_max_features,
            max_rejected: self.import_max_rejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let err = FileConfig::parse("bind = \"127.0.0.1:9000\"\nbnid = 3\n").unwrap_err();
        assert!(err.contains("bnid"), "{err}");
        let err = FileConfig::parse("[demo]\nsede = 3\n").unwrap_err();
        assert!(err.contains("sede"), "{err}");
    }

    #[test]
    fn flags_beat_file_beat_defaults() {
        let file = FileConfig::parse(
            "bind = \"127.0.0.1:9000\"\ndata_dir = \"/srv/pg\"\n[demo]\nseed = 7\n",
        )
        .unwrap();
        let over = Overrides {
            bind: Some("0.0.0.0:8081".parse().unwrap()),
            ..Default::default()
        };
        let cfg = Config::merge(file, over).unwrap();
        assert_eq!(cfg.bind.to_string(), "0.0.0.0:8081");
        assert_eq!(cfg.data_dir, PathBuf::from("/srv/pg"));
        assert_eq!(cfg.demo_seed, 7);
        assert_eq!(cfg.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn database_url_is_redacted_when_printed() {
        let over = Overrides {
            database_url: Some("postgresql://ruang:s3cret@db.example/ruang".into()),
            ..Default::default()
        };
        let cfg = Config::merge(FileConfig::default(), over).unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn bad_values_are_refused() {
        let over = Overrides {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        assert!(Config::merge(FileConfig::default(), over).is_err());
        let file = FileConfig::parse("db_max_connections = 0").unwrap();
        assert!(Config::merge(file, Overrides::default()).is_err());
    }

    #[test]
    fn read_replicas_and_metrics_are_configured_and_checked() {
        let file = FileConfig::parse(
            "database_url = \"postgresql://ruang:pw@primary/ruang\"\n\
             database_read_urls = [\"postgresql://ruang:pw2@replica1/ruang\"]\n\
             replica_max_lag_ms = 1500\nmetrics_bind = \"127.0.0.1:9187\"\n\
             metrics_token = \"0123456789abcdef0123\"\n",
        )
        .unwrap();
        let cfg = Config::merge(file, Overrides::default()).unwrap();
        assert_eq!(cfg.database_read_urls.len(), 1);
        assert_eq!(cfg.replica_max_lag, Duration::from_millis(1500));
        assert_eq!(cfg.metrics_bind.unwrap().port(), 9187);
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("pw2") && !shown.contains("0123456789abcdef"),
            "{shown}"
        );
        // the environment's comma-separated list beats the file
        let over = Overrides {
            database_url: Some("postgresql://p/ruang".into()),
            database_read_urls: Some("postgresql://r1/ruang, postgresql://r2/ruang".into()),
            ..Default::default()
        };
        let cfg = Config::merge(FileConfig::default(), over).unwrap();
        assert_eq!(cfg.database_read_urls.len(), 2);
        // replicas of the embedded cluster, bad URLs and short tokens are refused
        let over = Overrides {
            database_read_urls: Some("postgresql://r1/ruang".into()),
            ..Default::default()
        };
        assert!(Config::merge(FileConfig::default(), over).is_err());
        let over = Overrides {
            database_url: Some("postgresql://p/ruang".into()),
            database_read_urls: Some("mysql://r1".into()),
            ..Default::default()
        };
        assert!(Config::merge(FileConfig::default(), over).is_err());
        let over = Overrides {
            metrics_token: Some("short".into()),
            ..Default::default()
        };
        assert!(Config::merge(FileConfig::default(), over).is_err());
    }

    #[test]
    fn the_deployment_example_is_a_valid_config() {
        let file = FileConfig::parse(include_str!("../deploy/ruang.toml")).unwrap();
        let over = Overrides {
            database_url: Some("postgresql://ruang:pw@10.0.0.21/ruang".into()),
            database_read_urls: Some("postgresql://ruang:pw@10.0.0.22/ruang".into()),
            ..Default::default()
        };
        let cfg = Config::merge(file, over).unwrap();
        assert_eq!(cfg.trusted_proxies.len(), 2);
        assert!(cfg.metrics_bind.is_some());
        assert!(!cfg.demo_on_first_start);
        let bad = FileConfig::parse("trusted_proxies = [\"10.0.0.0/40\"]").unwrap();
        let err = Config::merge(bad, Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("trusted_proxies"), "{err}");
    }

    #[test]
    fn the_tile_pool_follows_the_cores_unless_configured() {
        let d = Config::default();
        assert!((4..=32).contains(&d.tile_db_connections));
        let file = FileConfig::parse("tile_db_connections = 6").unwrap();
        let c = Config::merge(file, Overrides::default()).unwrap();
        assert_eq!(c.tile_db_connections, 6);
    }

    #[test]
    fn import_limits_come_from_the_file_and_must_be_positive() {
        let d = Config::default().import_limits();
        assert_eq!(d.max_uncompressed_bytes, 1 << 30);
        assert_eq!(d.max_features, 2_000_000);
        let file = FileConfig::parse(
            "import_max_uncompressed_bytes = 1048576\nimport_max_archive_members = 5\n\
             import_max_features = 10\nimport_max_rejected = 3\n",
        )
        .unwrap();
        let l = Config::merge(file, Overrides::default())
            .unwrap()
            .import_limits();
        assert_eq!(
            (
                l.max_uncompressed_bytes,
                l.max_archive_members,
                l.max_features,
                l.max_rejected
            ),
            (1_048_576, 5, 10, 3)
        );
        let file = FileConfig::parse("import_max_features = 0").unwrap();
        let err = Config::merge(file, Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("import_max_features"), "{err}");
    }
}
