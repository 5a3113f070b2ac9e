//! The `ruang` command line: wires configuration, logging, the database and the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ruang::config::{Config, ConfigError, LogFormat, Overrides};
use ruang::db::embedded::{ClusterError, Status};
use ruang::db::open::{self, Database, OpenError, with_migrated};
use ruang::db::{self, DbError};

// mimalloc: the tile path allocates many small rings per request; glibc's malloc was about a
// sixth of its CPU (perf, make bench-tiles).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ruang",
    version,
    about = "Spatial data server for Kota Kupang: zoning, permits, health and market data on PostGIS"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Config file (TOML); unknown keys are errors.
    #[arg(long, global = true, env = "RUANG_CONFIG")]
    config: Option<PathBuf>,
    /// Use this PostgreSQL + PostGIS database instead of the embedded one.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Hot standbys of DATABASE_URL for tiles, items pages, monitoring reads and the rule set
    /// (comma-separated URLs).
    #[arg(
        long,
        global = true,
        env = "RUANG_DATABASE_READ_URLS",
        hide_env_values = true
    )]
    database_read_urls: Option<String>,
    /// Serve GET /metrics (Prometheus) on this separate address, e.g. 127.0.0.1:9187.
    #[arg(long, global = true, env = "RUANG_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
    /// Also serve GET /metrics on the public address to requests with this bearer token.
    #[arg(
        long,
        global = true,
        env = "RUANG_METRICS_TOKEN",
        hide_env_values = true
    )]
    metrics_token: Option<String>,
    /// Folder of the embedded PostgreSQL cluster [default: ./data/pg].
    #[arg(long, global = true, env = "RUANG_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Also let the embedded cluster listen on 127.0.0.1:PORT (default: Unix socket only).
    #[arg(long, global = true, env = "RUANG_PG_PORT")]
    pg_port: Option<u16>,
    /// Folder holding initdb, pg_ctl and postgres [default: newest /usr/lib/postgresql/*/bin].
    #[arg(long, global = true, env = "RUANG_PG_BINDIR")]
    pg_bindir: Option<PathBuf>,
    /// Tile cache size in bytes (0 turns it off).
    #[arg(long, global = true, env = "RUANG_TILE_CACHE_BYTES")]
    tile_cache_bytes: Option<u64>,
    /// Bytes the in-process tile layers may hold (0: PostGIS cuts every tile).
    #[arg(long, global = true, env = "RUANG_TILE_MEMORY_BYTES")]
    tile_memory_bytes: Option<u64>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "RUANG_LOG_FORMAT")]
    log_format: Option<LogFormat>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the embedded database if needed, migrate, load the demo city on first start, serve.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "RUANG_BIND")]
        bind: Option<SocketAddr>,
        /// Do not load the demo city into an empty database.
        #[arg(long)]
        no_demo: bool,
    },
    /// Manage the embedded PostgreSQL cluster.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Apply pending database migrations.
    Migrate,
    /// The Kupang demo city.
    Demo {
        #[command(subcommand)]
        action: DemoAction,
    },
    /// Print the effective configuration (secrets redacted).
    Config,
    /// Check a parcel (GeoJSON file) against the active zoning plan.
    Check(CheckArgs),
    /// Import a GIS file (Shapefile, zipped Shapefile, GeoPackage, GeoJSON, KML, FlatGeobuf,
    /// CSV with WKT or lon/lat) into a table, all or nothing.
    Import(ImportArgs),
    /// Export a layer to a GIS file.
    Export(ExportArgs),
    /// Import monitoring data from a CSV file (all rows or none; a repeated file adds nothing).
    Ingest {
        #[command(subcommand)]
        what: IngestWhat,
    },
    /// The rule book: load a city's regulation tables into draft plans, compare, activate.
    Rules {
        #[command(subcommand)]
        action: ruang::plans::cli::RulesAction,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum IngestWhat {
    /// Stunting counts: period, unit, measured, severely_stunted, stunted, normal
    /// [, level, target, tall, source].
    Stunting { file: PathBuf },
    /// Retail prices: date, market, commodity, price [, level, source].
    Prices { file: PathBuf },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create an account; the password is read from the first line of stdin.
    Add {
        #[arg(long)]
        email: String,
        /// pemohon, operator, verifikator, forum, pejabat, planner or admin.
        #[arg(long)]
        role: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a bearer token for an account and print it (shown once, stored hashed).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Args)]
struct ImportArgs {
    /// The file (a zip archive is unpacked first, under the configured import limits).
    file: PathBuf,
    /// Table to load: zones, overlays, parcels, admin_areas, health_facilities, markets,
    /// waste_facilities.
    #[arg(long)]
    into: String,
    /// Zoning plan of zones and overlays: an existing plan's name, or a new draft plan.
    #[arg(long)]
    plan: Option<String>,
    /// Layer of a file holding several.
    #[arg(long)]
    layer: Option<String>,
    /// Column from a file attribute, overriding the recognised names (repeatable), e.g.
    /// --map subzone_code=KODE_SZ.
    #[arg(long = "map", value_name = "COLUMN=ATTRIBUTE")]
    map: Vec<String>,
    /// CRS of the coordinates, e.g. EPSG:23840 (needed when the file names none).
    #[arg(long = "s-srs")]
    s_srs: Option<String>,
    /// Read, check and load inside a transaction, then roll back: nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExportArgs {
    /// Layer: zones, overlays, parcels, admin_areas, health_facilities, markets,
    /// waste_facilities.
    #[arg(long = "from")]
    from: String,
    /// GPKG, GeoJSON, "ESRI Shapefile" (written as one zip), FlatGeobuf or KML.
    #[arg(long)]
    format: String,
    /// CQL2 filter over the layer's OGC API queryables, e.g. "zone_code = 'R-2'" or
    /// "S_INTERSECTS(geometry, POINT(123.6 -10.17))".
    #[arg(long)]
    filter: Option<String>,
    /// cql2-text (default) or cql2-json.
    #[arg(long = "filter-lang")]
    filter_lang: Option<String>,
    /// CRS of the filter's geometries, e.g. EPSG:23840 [default: CRS84, lon/lat].
    #[arg(long = "filter-crs")]
    filter_crs: Option<String>,
    /// CRS of the output, e.g. EPSG:23840 [default: EPSG:4326].
    #[arg(long = "t-srs")]
    t_srs: Option<String>,
    /// Output file.
    out: PathBuf,
}

#[derive(Args)]
struct CheckArgs {
    /// GeoJSON file with the parcel: a Polygon or MultiPolygon, a Feature, or a
    /// FeatureCollection of one feature.
    parcel: PathBuf,
    /// KBLI 2020 activity code, e.g. 47111.
    #[arg(long)]
    kbli: String,
    /// Floors above ground.
    #[arg(long)]
    floors: Option<i64>,
    /// Building footprint, m².
    #[arg(long)]
    footprint: Option<f64>,
    /// Total floor area, m².
    #[arg(long)]
    floor_area: Option<f64>,
    /// Building height, m.
    #[arg(long)]
    height: Option<f64>,
    /// Green (unsealed) area, m².
    #[arg(long)]
    green: Option<f64>,
    /// Basement area, m².
    #[arg(long)]
    basement: Option<f64>,
    /// Land area on the title, m².
    #[arg(long)]
    declared_area: Option<f64>,
    /// CRS of the file's coordinates: EPSG:4326/CRS84 (default), EPSG:32751, EPSG:23840.
    #[arg(long)]
    crs: Option<String>,
    /// Print the decision as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum DbAction {
    /// Create the cluster if needed and start it; leaves it running.
    Start,
    /// Stop the cluster.
    Stop,
    /// Say whether the cluster runs (exit code 0 when running, 3 otherwise).
    Status,
    /// Print a connection URL for ruang's database (psql accepts it).
    Url,
    /// Take a base backup of the cluster (pg_basebackup with its WAL, checked against its
    /// manifest) into DIR, a new or empty folder. Starts the cluster for it if needed.
    Backup { dir: PathBuf },
    /// Replace the cluster's data with the backup in DIR (checked first; the current data
    /// folder is kept beside it as <data folder>.before-restore-<time>).
    Restore { dir: PathBuf },
}

#[derive(Subcommand)]
enum DemoAction {
    /// Replace all data with the deterministic demo city.
    Load {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
}

/// Everything the CLI can fail with; printed as one line.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Demo(#[from] ruang::demo::DemoError),
    #[error(transparent)]
    Start(#[from] ruang::StartError),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Other(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let g = &cli.global;
    let bind = match &cli.command {
        Command::Serve { bind, .. } => *bind,
        _ => None,
    };
    let quiet = matches!(
        cli.command,
        Command::Db { .. }
            | Command::Config
            | Command::Check(_)
            | Command::Ingest { .. }
            | Command::User { .. }
            | Command::Token { .. }
            | Command::Import(_)
            | Command::Export(_)
    );
    let overrides = Overrides {
        config_file: g.config.clone(),
        bind,
        database_url: g.database_url.clone(),
        database_read_urls: g.database_read_urls.clone(),
        metrics_bind: g.metrics_bind,
        metrics_token: g.metrics_token.clone(),
        data_dir: g.data_dir.clone(),
        pg_port: g.pg_port,
        pg_bindir: g.pg_bindir.clone(),
        tile_cache_bytes: g.tile_cache_bytes,
        tile_memory_bytes: g.tile_memory_bytes,
        log_format: g.log_format,
        log_filter: std::env::var("RUANG_LOG").ok(),
    };
    let config = match Config::load(overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(&config, quiet);
    // 8 MiB stacks (tokio's default is 2 MiB) for the worker and blocking threads, as defence
    // in depth only: a stack overflow aborts the whole server rather than one request. Client
    // input is bounded where it is read (the CQL2 limits in `ogc::cql2` keep the deepest filter
    // they allow under 1 MiB, and the tests hold them to that on 2 MiB threads); this leaves
    // room for recursion nobody has measured yet, e.g. in a C library. Only the pages a thread
    // touches are committed.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn init_logging(config: &Config, quiet: bool) {
    let filter = if quiet && std::env::var_os("RUANG_LOG").is_none() {
        "warn".to_string()
    } else {
        config.log_filter.clone()
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(command: Command, config: Config) -> Result<ExitCode, CliError> {
    match command {
        Command::Serve { no_demo, .. } => serve(config, !no_demo).await,
        Command::Db { action } => db_command(action, &config).await,
        Command::Migrate => {
            with_migrated(&config, async |_| Ok::<_, CliError>(())).await?;
            println!("migrations are current");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            action: DemoAction::Load { seed, scale },
        } => {
            let report = with_migrated(&config, async |pool| {
                let options = ruang::demo::DemoOptions { seed, scale };
                Ok::<_, CliError>(ruang::demo::load(pool, &options).await?)
            })
            .await?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Config => {
            println!("{config:#?}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check_command(args, &config).await,
        Command::Import(args) => import_command(args, &config).await,
        Command::Export(args) => export_command(args, &config).await,
        Command::Ingest { what } => ingest_command(what, &config).await,
        Command::Rules { action } => rules_command(action, &config).await,
        Command::User {
            action: UserAction::Add { email, role, name },
        } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| {
                CliError::Other(format!("cannot read the password from stdin: {e}"))
            })?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let id = with_migrated(&config, async |pool| {
                ruang::permits::accounts::add_user(pool, &email, &role, name.as_deref(), &password)
                    .await
                    .map_err(|e| CliError::Other(e.to_string()))
            })
            .await?;
            println!(
                "created account {id} ({}, {role})",
                email.trim().to_lowercase()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            action: TokenAction::Create { email, name },
        } => {
            let token = with_migrated(&config, async |pool| {
                ruang::permits::accounts::create_api_token(pool, &email, name.as_deref())
                    .await
                    .map_err(|e| CliError::Other(e.to_string()))
            })
            .await?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `ruang ingest stunting|prices FILE`: prints what was stored, or every row error (exit 1).
async fn ingest_command(what: IngestWhat, config: &Config) -> Result<ExitCode, CliError> {
    let path = match &what {
        IngestWhat::Stunting { file } | IngestWhat::Prices { file } => file.clone(),
    };
    let size = std::fs::metadata(&path)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > ruang::monitor::MAX_IMPORT_BYTES as u64 {
        return Err(CliError::Other(format!(
            "{} is larger than 50 MB; split it into several files",
            path.display()
        )));
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", path.display())))?;
    let result = with_migrated(config, async |pool| {
        Ok::<_, CliError>(match what {
            IngestWhat::Stunting { .. } => ruang::monitor::stunting::import(pool, &bytes).await,
            IngestWhat::Prices { .. } => ruang::monitor::prices::import(pool, &bytes).await,
        })
    })
    .await?;
    match result {
        Ok(report) => {
            println!("{}: {report}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(ruang::monitor::MonitorError::Rows(errors)) => {
            eprintln!(
                "{}: {} error(s), nothing was imported",
                path.display(),
                errors.len()
            );
            for e in &errors {
                eprintln!("  {}", e.line());
            }
            Ok(ExitCode::FAILURE)
        }
        Err(ruang::monitor::MonitorError::Api(e)) => Err(CliError::Other(e.detail_en)),
        Err(ruang::monitor::MonitorError::Sql(e)) => Err(CliError::Db(DbError::from(e))),
    }
}

/// `ruang rules ...`: exit 1 when a rule book was refused (its errors on stderr).
async fn rules_command(
    action: ruang::plans::cli::RulesAction,
    config: &Config,
) -> Result<ExitCode, CliError> {
    let result = with_migrated(config, async |pool| {
        Ok::<_, CliError>(ruang::plans::cli::run(pool, action).await)
    })
    .await?;
    match result {
        Ok(true) => Ok(ExitCode::SUCCESS),
        Ok(false) => Ok(ExitCode::FAILURE),
        Err(ruang::plans::PlanError::Sql(e)) => Err(CliError::Db(DbError::from(e))),
        Err(ruang::plans::PlanError::Internal(m)) => Err(CliError::Other(m)),
        Err(e) => Err(CliError::Other(ruang::error::ApiError::from(e).detail_en)),
    }
}

/// `ruang import`: exit 0 when the file was imported (or would be, with --dry-run), 2 when
/// features were rejected (nothing written), 1 on errors.
async fn import_command(args: ImportArgs, config: &Config) -> Result<ExitCode, CliError> {
    use ruang::import::{ImportOptions, Progress, ReadOptions, Target};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let target = Target::parse(&args.into).ok_or_else(|| {
        CliError::Other(ruang::import::ImportError::UnknownTarget(args.into.clone()).to_string())
    })?;
    let mut map = Vec::new();
    for m in &args.map {
        let (t, s) = m
            .split_once('=')
            .ok_or_else(|| CliError::Other(format!("--map {m}: expected COLUMN=ATTRIBUTE")))?;
        map.push((t.trim().to_string(), s.trim().to_string()));
    }
    let s_srs = match &args.s_srs {
        None => None,
        Some(s) => Some(
            ruang::import::http::parse_epsg(s)
                .ok_or_else(|| CliError::Other(format!("--s-srs {s}: expected EPSG:N")))?,
        ),
    };
    let path = args.file.to_string_lossy().to_string();
    if !args.file.exists() {
        return Err(CliError::Other(format!("{path}: no such file")));
    }
    let opts = ImportOptions {
        read: ReadOptions {
            path,
            layer: args.layer,
            s_srs,
            map,
        },
        target,
        plan: args.plan,
        dry_run: args.dry_run,
        display_name: None,
        limits: config.import_limits(),
        job: None,
    };
    let db = Database::open(config).await?;
    let progress = Arc::new(Progress::default());
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} features read ({per_sec}) {elapsed_precise} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let ticker = {
        let (bar, progress) = (bar.clone(), progress.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let total = progress.total.load(Ordering::Relaxed);
                if total > 0 && bar.length().is_none() {
                    bar.set_length(total);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{bar:30} {pos}/{len} features ({per_sec}, eta {eta}) {msg}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                }
                bar.set_position(progress.read.load(Ordering::Relaxed));
                let rejected = progress.rejected.load(Ordering::Relaxed);
                if rejected > 0 {
                    bar.set_message(format!("{rejected} rejected"));
                }
            }
        })
    };
    let result = async {
        db::migrate(&db.pool).await?;
        ruang::import::import(&db.pool, opts, progress.clone())
            .await
            .map_err(|e| CliError::Other(e.to_string()))
    }
    .await;
    ticker.abort();
    bar.finish_and_clear();
    db.close().await?;
    let report = result?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| CliError::Other(e.to_string()))?
        );
    } else {
        println!("{report}");
    }
    Ok(if report.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `ruang export`.
async fn export_command(args: ExportArgs, config: &Config) -> Result<ExitCode, CliError> {
    use ruang::import::{ExportFormat, ExportOptions, ImportError, Target, WhereClause};
    let target = Target::parse(&args.from).ok_or_else(|| {
        CliError::Other(ImportError::UnknownTarget(args.from.clone()).to_string())
    })?;
    let format = ExportFormat::parse(&args.format).ok_or_else(|| {
        CliError::Other(ImportError::UnknownFormat(args.format.clone()).to_string())
    })?;
    let filter = match &args.filter {
        None => None,
        Some(f) => Some(
            WhereClause::from_params(
                target,
                f,
                args.filter_lang.as_deref(),
                args.filter_crs.as_deref(),
            )
            .map_err(|e| CliError::Other(format!("{e}\n{}", e.detail_id())))?,
        ),
    };
    let t_srs = match &args.t_srs {
        None => 4326,
        Some(s) => ruang::import::http::parse_epsg(s)
            .ok_or_else(|| CliError::Other(format!("--t-srs {s}: expected EPSG:N")))?,
    };
    let options = ExportOptions {
        target,
        format,
        t_srs,
        filter,
    };
    let n = with_migrated(config, async |pool| {
        ruang::import::export(pool, options, &args.out)
            .await
            .map_err(|e| CliError::Other(e.to_string()))
    })
    .await?;
    println!(
        "wrote {n} features of {} to {} ({})",
        target.as_str(),
        args.out.display(),
        format.driver()
    );
    Ok(ExitCode::SUCCESS)
}

/// `ruang check`: one decision, printed as a table or JSON. Any decision exits 0.
async fn check_command(args: CheckArgs, config: &Config) -> Result<ExitCode, CliError> {
    let text = std::fs::read_to_string(&args.parcel)
        .map_err(|e| CliError::Other(format!("cannot read {}: {e}", args.parcel.display())))?;
    let mut parcel: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Other(format!("{} is not valid JSON: {e}", args.parcel.display()))
    })?;
    if parcel["type"] == "FeatureCollection" {
        let features = parcel["features"].as_array().cloned().unwrap_or_default();
        if features.len() != 1 {
            return Err(CliError::Other(format!(
                "{} holds {} features; give a file with exactly one parcel",
                args.parcel.display(),
                features.len()
            )));
        }
        parcel = features[0].clone();
    }
    let body = serde_json::json!({
        "parcel": parcel,
        "crs": args.crs,
        "kbli": args.kbli,
        "building": {
            "footprint_m2": args.footprint,
            "floor_area_m2": args.floor_area,
            "floors": args.floors,
            "height_m": args.height,
            "green_m2": args.green,
            "basement_m2": args.basement,
        },
        "declared_land_area_m2": args.declared_area,
    });
    let decision = with_migrated(config, async |pool| {
        let rs = ruang::check::load(pool)
            .await
            .map_err(|e| CliError::Other(e.to_string()))?;
        let input = ruang::check::request::parse_request(body.to_string().as_bytes(), &rs)
            .map_err(|e| {
                CliError::Other(match &e.field {
                    Some(f) => format!("{f}: {}", e.detail_en),
                    None => e.detail_en.clone(),
                })
            })?;
        ruang::rules::check(&rs, &input)
            .map_err(|e| CliError::Other(format!("{}: {}", e.field, e.message_en)))
    })
    .await?;
    if args.json {
        let v = ruang::check::decision::decision_json(&decision).map_err(CliError::Other)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| CliError::Other(e.to_string()))?
        );
    } else {
        print!("{}", decision.text_table());
    }
    Ok(ExitCode::SUCCESS)
}

async fn db_command(action: DbAction, config: &Config) -> Result<ExitCode, CliError> {
    if config.database_url.is_some() && !matches!(action, DbAction::Url) {
        return Err(CliError::Other(
            "DATABASE_URL is set, so ruang uses that database and manages no cluster of its \
             own; unset it to manage the embedded cluster"
                .into(),
        ));
    }
    if let (DbAction::Url, Some(url)) = (&action, &config.database_url) {
        println!("{}", url.expose());
        return Ok(ExitCode::SUCCESS);
    }
    let cluster = open::cluster_of(config)?;
    match action {
        DbAction::Start => {
            let c = cluster.clone();
            let started = open::blocking(move || c.start()).await?;
            open::create_database(&cluster).await?;
            if started {
                println!("started the cluster in {}", cluster.data_dir().display());
            } else {
                println!(
                    "the cluster in {} was already running",
                    cluster.data_dir().display()
                );
            }
            println!("{}", cluster.url());
        }
        DbAction::Stop => {
            let c = cluster.clone();
            if open::blocking(move || c.stop()).await? {
                println!("stopped the cluster in {}", cluster.data_dir().display());
            } else {
                println!(
                    "the cluster in {} was not running",
                    cluster.data_dir().display()
                );
            }
        }
        DbAction::Status => {
            let dir = cluster.data_dir().display();
            return Ok(match cluster.status() {
                Status::Running(pid) => {
                    println!("running (pid {pid}) in {dir}");
                    ExitCode::SUCCESS
                }
                Status::Stopped => {
                    println!("stopped, data in {dir}");
                    ExitCode::from(3)
                }
                Status::NotInitialised => {
                    println!("no cluster in {dir} yet (`ruang db start` creates one)");
                    ExitCode::from(3)
                }
            });
        }
        DbAction::Url => println!("{}", cluster.url()),
        DbAction::Backup { dir } => {
            if cluster.status() == Status::NotInitialised {
                return Err(CliError::Other(format!(
                    "there is no cluster in {} to back up",
                    cluster.data_dir().display()
                )));
            }
            let c = cluster.clone();
            let started = open::blocking(move || c.start()).await?;
            let c = cluster.clone();
            let result = open::blocking(move || c.backup(&dir)).await;
            if started {
                let c = cluster.clone();
                open::blocking(move || c.stop()).await?;
            }
            let r = result?;
            println!(
                "backed up the cluster in {} to {} ({:.1} MB in {:.1} s, verified)",
                cluster.data_dir().display(),
                r.dir.display(),
                r.bytes as f64 / 1e6,
                r.elapsed.as_secs_f64()
            );
        }
        DbAction::Restore { dir } => {
            let c = cluster.clone();
            let r = open::blocking(move || c.restore(&dir)).await?;
            if let Some(kept) = &r.kept {
                println!("the previous data folder is kept as {}", kept.display());
            }
            println!(
                "restored the cluster in {} in {:.1} s; it is {}",
                cluster.data_dir().display(),
                r.elapsed.as_secs_f64(),
                if r.running { "running" } else { "stopped" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config, demo_allowed: bool) -> Result<ExitCode, CliError> {
    // Bind first: a busy port fails fast, before any database is started.
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| CliError::Bind {
            addr: config.bind,
            reason: match e.kind() {
                std::io::ErrorKind::AddrInUse => "the address is already in use by another \
                    program (another ruang?). Stop it or choose another address with --bind ADDR:PORT"
                    .into(),
                std::io::ErrorKind::PermissionDenied => "permission denied. Ports below 1024 need \
                    root; choose another with --bind ADDR:PORT"
                    .into(),
                _ => format!("{e}. Choose another address with --bind ADDR:PORT"),
            },
        })?;
    let db = Database::open(&config).await?;
    let prepared = async {
        db::migrate(&db.pool).await?;
        if demo_allowed
            && config.demo_on_first_start
            && !ruang::demo::is_loaded(&db.pool)
                .await
                .map_err(DbError::from)?
        {
            tracing::info!("the database is empty: loading the Kupang demo city");
            let report = ruang::demo::load(
                &db.pool,
                &ruang::demo::DemoOptions {
                    seed: config.demo_seed,
                    scale: config.demo_scale,
                },
            )
            .await?;
            tracing::info!("demo city loaded: {}", one_line(&report.to_string()));
        }
        // Import jobs and upload folders a killed process left behind.
        match ruang::import::http::recover(&db.pool).await {
            Ok(r) => {
                if r.jobs_failed > 0 || !r.folders_removed.is_empty() {
                    tracing::info!(
                        jobs_failed = r.jobs_failed,
                        folders_removed = r.folders_removed.len(),
                        "cleaned up after import jobs of a stopped server"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot clean up after stopped import jobs"),
        }
        Ok::<_, CliError>(())
    }
    .await;
    if let Err(e) = prepared {
        db.close().await?;
        return Err(e);
    }
    let addr = listener.local_addr().unwrap_or(config.bind);
    let state = match ruang::AppState::new(db.pool.clone(), config).await {
        Ok(s) => s,
        Err(e) => {
            db.close().await?;
            return Err(e.into());
        }
    };
    // Metrics on their own address, when configured; bound before serving so a busy port
    // stops the start.
    if let Some(maddr) = state.config.metrics_bind {
        let ml = tokio::net::TcpListener::bind(maddr).await;
        let ml = match ml {
            Ok(l) => l,
            Err(e) => {
                db.close().await?;
                return Err(CliError::Bind {
                    addr: maddr,
                    reason: format!("{e} (metrics_bind)"),
                });
            }
        };
        let metrics = ruang::metrics::private_router(state.clone());
        tracing::info!(
            "serving metrics on http://{}/metrics",
            ml.local_addr().unwrap_or(maddr)
        );
        tokio::spawn(async move {
            if let Err(e) = axum::serve(ml, metrics).await {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let app = ruang::app(state);
    tracing::info!("serving on http://{addr}");
    // TCP_NODELAY: a streamed response ends with a small final chunk; without it, Nagle and
    // delayed ACKs hold that chunk back ~40 ms (measured with GDAL paging through items).
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    tracing::info!("shutting down");
    db.close().await?;
    served.map_err(CliError::Serve)?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
