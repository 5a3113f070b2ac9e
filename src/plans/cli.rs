//! `ruang rules ...`: the rule book from the command line, the same code as `/api/plans`.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use sqlx::PgPool;

use super::PlanError;
use super::book::TableKind;
use super::http::{PlanCache, diff_html, export_plan, impact_run, import_bytes};
use super::store::{self, Actor, ImportOptions};

/// Files larger than this are refused (a whole RDTR workbook is a few MB).
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Subcommand, Debug)]
pub enum RulesAction {
    /// List the plans.
    List,
    /// Load a regulation file (CSV, XLSX, XLS, ODS) into a draft plan, all or nothing. A plan
    /// name that does not exist yet creates a draft, copied from --from or the active plan.
    Import {
        file: PathBuf,
        /// The draft to load into (name or id).
        #[arg(long)]
        plan: String,
        /// Read only this sheet of a workbook.
        #[arg(long)]
        sheet: Option<String>,
        /// The table a file holds when its header is not recognised: itbx, intensity,
        /// conditions or activities.
        #[arg(long)]
        table: Option<String>,
        /// The plan a new draft copies (default: the active plan).
        #[arg(long)]
        from: Option<String>,
        /// Check and report, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a plan's tables to a file (XLSX: every table; CSV: the one --table names).
    Export {
        #[arg(long)]
        plan: String,
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        table: Option<String>,
        /// Output file.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// What plan B changes against plan A (JSON, or --html).
    Diff {
        a: String,
        b: String,
        #[arg(long)]
        html: bool,
    },
    /// Permits and open applications whose outcome would change under a plan.
    Impact {
        #[arg(long)]
        plan: String,
        /// The plan to compare with (default: the active plan).
        #[arg(long)]
        against: Option<String>,
        /// Re-check every permit and application, not only those near a change.
        #[arg(long)]
        full: bool,
        /// Print the whole answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a draft the active plan; the active one is retired.
    Activate {
        #[arg(long)]
        plan: String,
        /// Why (the legal basis: the regulation's number and date).
        #[arg(long)]
        reason: String,
        /// Refuse when the draft is no longer at this version.
        #[arg(long)]
        version: Option<i32>,
    },
}

fn table_kind(t: Option<&str>) -> Result<Option<TableKind>, PlanError> {
    t.map(|t| {
        TableKind::parse(t).ok_or_else(|| {
            PlanError::invalid(
                "table",
                "",
                "--table must be itbx, intensity, conditions or activities",
            )
        })
    })
    .transpose()
}

/// `println!` that stops quietly when the reader went away (`| head`).
macro_rules! out {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Runs one action; returns whether it succeeded (false: the book was refused, listed on stderr).
pub async fn run(pool: &PgPool, action: RulesAction) -> Result<bool, PlanError> {
    match action {
        RulesAction::List => {
            for p in store::list(pool).await? {
                out!(
                    "{:>4}  {:<8} v{:<4} {:>6} zones  {}",
                    p.id,
                    p.status,
                    p.version,
                    p.zones,
                    p.name
                );
            }
        }
        RulesAction::Import {
            file,
            plan,
            sheet,
            table,
            from,
            dry_run,
        } => {
            let size = std::fs::metadata(&file)
                .map_err(|e| PlanError::Internal(format!("cannot read {}: {e}", file.display())))?
                .len();
            if size > MAX_FILE_BYTES {
                return Err(PlanError::Internal(format!(
                    "{} is larger than 50 MB",
                    file.display()
                )));
            }
            let bytes = std::fs::read(&file)
                .map_err(|e| PlanError::Internal(format!("cannot read {}: {e}", file.display())))?;
            let opts = ImportOptions {
                plan,
                base: from,
                dry_run,
                actor: Actor::cli(),
            };
            let name = file
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            match import_bytes(
                pool,
                &name,
                &bytes,
                sheet.as_deref(),
                table_kind(table.as_deref())?,
                &opts,
            )
            .await
            {
                Ok(r) => {
                    out!(
                        "{}{} plan {:?} (id {}, version {}){}",
                        if r.dry_run {
                            "dry run: would load into "
                        } else {
                            "loaded into "
                        },
                        if r.created { "new draft" } else { "draft" },
                        r.plan.name,
                        r.plan.id,
                        r.plan.version,
                        if r.dry_run {
                            "; nothing was written"
                        } else {
                            ""
                        }
                    );
                    for (t, c) in &r.tables {
                        out!(
                            "  {t}: {} rows: {} added, {} changed, {} removed, {} unchanged",
                            c.rows,
                            c.added,
                            c.changed,
                            c.removed,
                            c.unchanged
                        );
                    }
                    for s in &r.ignored_sheets {
                        out!("  sheet {s:?} ignored (no rule table recognised)");
                    }
                }
                Err(PlanError::Book(errors)) => {
                    eprintln!(
                        "{}: {} error(s), nothing was imported",
                        file.display(),
                        errors.len()
                    );
                    for e in &errors {
                        eprintln!("  {}", e.line());
                    }
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
        RulesAction::Export {
            plan,
            format,
            table,
            output,
        } => {
            let (_, bytes, _) =
                export_plan(pool, &plan, &format, table_kind(table.as_deref())?).await?;
            std::fs::write(&output, bytes).map_err(|e| {
                PlanError::Internal(format!("cannot write {}: {e}", output.display()))
            })?;
            out!("wrote {}", output.display());
        }
        RulesAction::Diff { a, b, html } => {
            let mut tx = pool.begin().await?;
            let d = super::diff::diff(&mut tx, &a, &b).await?;
            tx.commit().await?;
            if html {
                out!("{}", diff_html(&d));
            } else {
                out!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
            }
        }
        RulesAction::Impact {
            plan,
            against,
            full,
            json,
        } => {
            let t = std::time::Instant::now();
            let imp = impact_run(
                pool,
                None,
                &PlanCache::default(),
                &plan,
                against.as_deref(),
                full,
            )
            .await?;
            if json {
                out!("{}", serde_json::to_string_pretty(&imp).unwrap_or_default());
                return Ok(true);
            }
            out!(
                "{} → {}: {} permits and {} open applications, {} re-checked in {:.0} ms ({:.1} s in all), {} would change",
                imp.before.name,
                imp.after.name,
                imp.permits,
                imp.applications,
                imp.rechecked,
                imp.check_ms,
                t.elapsed().as_secs_f64(),
                imp.changed.len()
            );
            for (k, n) in &imp.transitions {
                out!("  {k}: {n}");
            }
            for c in &imp.changed {
                out!(
                    "  {} {} {} {}: {} → {}",
                    c.kind,
                    c.reference
                        .as_deref()
                        .or(c.permit_number.as_deref())
                        .unwrap_or("-"),
                    c.kbli,
                    c.kelurahan_name.as_deref().unwrap_or("-"),
                    c.before.outcome,
                    c.after.outcome
                );
            }
        }
        RulesAction::Activate {
            plan,
            reason,
            version,
        } => {
            let p = store::activate(pool, &plan, &reason, version, &Actor::cli()).await?;
            out!(
                "plan {:?} (id {}, version {}) is now active",
                p.name,
                p.id,
                p.version
            );
        }
    }
    Ok(true)
}
