//! The `rathaus` command: serve, worker, migrate, user, token, demo.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use rathaus::config::Config;
use rathaus::server::{self, Roles};
use rathaus_store::{now_ms, AuditEvent, Role};

#[derive(Parser)]
#[command(
    name = "rathaus",
    version,
    about = "Rathaus — Bürgerdialog-Hub für Kommunen / citizen-dialogue hub for municipalities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct ConfigArg {
    /// TOML configuration file; every key can be overridden by RATHAUS_* variables.
    #[arg(long, short, env = "RATHAUS_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and the worker in one process.
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Do not run the job worker here (run `rathaus worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the job worker (scale-out on PostgreSQL).
    Worker {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Start a demo instance: Musterstadt, demo staff and simulated conversations.
    Demo(rathaus::demo::DemoArgs),
    /// Write an encrypted backup of the SQLite database (never contains the master key).
    Backup {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup (server stopped), then replay every erasure recorded after the backup was taken.
    Restore {
        #[command(flatten)]
        config: ConfigArg,
        file: PathBuf,
        /// Key file the backup was written with, if the master key was rotated since
        /// (e.g. master.key.old-<time>); the restored database is switched to the current key.
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Erasure records (keyed hashes only) for replay after a PostgreSQL restore.
    Erasures {
        #[command(subcommand)]
        action: ErasureAction,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// The master key.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Replace the master key (all rathaus processes stopped): every key it wraps is re-wrapped in one
    /// transaction; the old key file is kept as master.key.old-<time>. With RATHAUS_MASTER_KEY the new
    /// key is printed once instead of written.
    Rotate {
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Subcommand)]
enum ErasureAction {
    /// Write all erasure records since a time (unix ms, default: all) as JSON.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        since: i64,
    },
    /// Apply erasure records from a JSON file written by `export` (after restoring an older database).
    Replay {
        #[command(flatten)]
        config: ConfigArg,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Check the HMAC chain; names the first broken entry and exits non-zero if there is one.
    Verify {
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a staff account (or update its password and role).
    Add {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        municipality: String,
        #[arg(long)]
        email: String,
        /// admin, editor, agent, host, dpo or viewer
        #[arg(long, default_value = "agent")]
        role: String,
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a bearer token for /api/v1; the token is printed as the last line.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        email: String,
        /// Municipality slug (default: the account's first municipality).
        #[arg(long)]
        municipality: Option<String>,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RATHAUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logging();
    if let Err(e) = run(cli).await {
        eprintln!("Fehler / error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, no_worker } => {
            let cfg = Config::load(config.config.as_deref())?;
            let running = server::start(
                &cfg,
                Roles {
                    web: true,
                    worker: !no_worker,
                },
                cfg.worker_options(),
            )
            .await?;
            let public = cfg.public_url.clone().unwrap_or_else(|| running.url());
            println!("Rathaus läuft / is running: {public}");
            if let Some(link) = server::first_admin_link(&running, &public).await? {
                println!("Ersteinrichtung / first admin (link valid 24 h, usable once): {link}");
            }
            server::shutdown_signal().await;
            running.stop().await;
        }
        Command::Worker { config } => {
            let cfg = Config::load(config.config.as_deref())?;
            let running = server::start(
                &cfg,
                Roles {
                    web: false,
                    worker: true,
                },
                cfg.worker_options(),
            )
            .await?;
            server::shutdown_signal().await;
            running.stop().await;
        }
        Command::Migrate { config } => {
            let cfg = Config::load(config.config.as_deref())?;
            let store = server::open_store(&cfg).await?;
            server::build_registry(&store, &cfg, &cfg.public_url()).await?;
            store.close().await;
            println!("Datenbank ist aktuell / database is up to date");
        }
        Command::User {
            action:
                UserAction::Add {
                    config,
                    municipality,
                    email,
                    role,
                    name,
                    password_stdin,
                },
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role '{role}' (admin, editor, agent, host, dpo, viewer)")
            })?;
            if !password_stdin {
                bail!("give the password on standard input with --password-stdin");
            }
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.chars().count() < rathaus_web::passwords::MIN_PASSWORD_CHARS {
                bail!("{}", rathaus_web::passwords::PasswordProblem::TooShort);
            }
            let store = server::open_store(&cfg).await?;
            server::build_registry(&store, &cfg, &cfg.public_url()).await?;
            let m = store
                .municipality_by_slug(&municipality)
                .await?
                .with_context(|| {
                    format!("no municipality '{municipality}' in the configuration")
                })?;
            let names: Vec<String> = store
                .municipalities()
                .await?
                .into_iter()
                .flat_map(|m| [m.name, m.slug])
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if let Err(problem) =
                rathaus_web::passwords::check_new_password(password, &email, &names)
            {
                store.close().await;
                bail!("{problem}");
            }
            let hash = rathaus_web::passwords::hash_password(password);
            let display =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let id = store
                .upsert_staff(m.id, &email, &display, Some(&hash), role, now_ms())
                .await?;
            store.close().await;
            println!(
                "Konto {email} ({}) in {} angelegt / account created (id {id})",
                role.as_str(),
                m.slug
            );
        }
        Command::Token {
            action:
                TokenAction::Create {
                    config,
                    email,
                    municipality,
                    label,
                },
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let store = server::open_store(&cfg).await?;
            let (staff_id, _) = store
                .staff_credentials(&email)
                .await?
                .with_context(|| format!("no staff account {email}"))?;
            let memberships = store.staff_municipalities(staff_id).await?;
            let municipality_id = match municipality {
                Some(slug) => {
                    let m = store
                        .municipality_by_slug(&slug)
                        .await?
                        .with_context(|| format!("no municipality '{slug}'"))?;
                    if !memberships.iter().any(|(id, _)| *id == m.id) {
                        bail!("{email} is not a member of '{slug}'");
                    }
                    m.id
                }
                None => memberships
                    .first()
                    .map(|(id, _)| *id)
                    .context("the account belongs to no municipality")?,
            };
            let token = store
                .create_api_token(staff_id, municipality_id, &label, now_ms())
                .await?;
            store.close().await;
            println!("API-Token für / token for {email} (nur jetzt sichtbar / shown only now):");
            println!("{token}");
        }
        Command::Demo(args) => rathaus::demo::run(args).await?,
        Command::Backup { config, out } => {
            let cfg = Config::load(config.config.as_deref())?;
            let store = server::open_store(&cfg).await?;
            let master = server::master_key(&cfg)?;
            let header =
                rathaus::backup::backup(&store, &master, &cfg.database_url(), &out).await?;
            store
                .audit(
                    AuditEvent::new(None, "cli", "backup.written")
                        .details(format!("taken_at={}", header.taken_at)),
                    now_ms(),
                )
                .await?;
            store.close().await;
            println!("Sicherung geschrieben / backup written: {} (verschlüsselt, ohne Hauptschlüssel / encrypted, without the master key)", out.display());
        }
        Command::Restore {
            config,
            file,
            key_file,
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let master = server::master_key(&cfg)?;
            let written_with = match &key_file {
                Some(p) => Some(
                    rathaus_crypto::Key::decode(
                        &std::fs::read_to_string(p)
                            .with_context(|| format!("reading {}", p.display()))?,
                    )
                    .with_context(|| format!("key file {}", p.display()))?,
                ),
                None => None,
            };
            let report = rathaus::backup::restore(
                &master,
                written_with.as_ref(),
                &cfg.database_url(),
                &file,
            )
            .await?;
            let store = server::open_store(&cfg).await?;
            store
                .audit(
                    AuditEvent::new(None, "cli", "backup.restored").details(format!(
                        "taken_at={} erasures_replayed={} citizens_erased_again={}",
                        report.header.taken_at,
                        report.erasures_replayed,
                        report.citizens_erased_again
                    )),
                    now_ms(),
                )
                .await?;
            store.close().await;
            println!(
                "Wiederhergestellt / restored; {} Löschungen nachgeholt / erasures replayed ({} Personen erneut gelöscht / citizens erased again)",
                report.erasures_replayed, report.citizens_erased_again
            );
        }
        Command::Erasures {
            action: ErasureAction::Export { config, out, since },
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let store = server::open_store(&cfg).await?;
            let records = store.erasures_since(since).await?;
            std::fs::write(&out, serde_json::to_vec_pretty(&records)?)?;
            store.close().await;
            println!(
                "{} Löschvermerke geschrieben / erasure records written: {}",
                records.len(),
                out.display()
            );
        }
        Command::Erasures {
            action: ErasureAction::Replay { config, file },
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let records: Vec<rathaus_store::ErasureRecord> =
                serde_json::from_slice(&std::fs::read(&file)?)
                    .with_context(|| format!("reading {}", file.display()))?;
            let store = server::open_store(&cfg).await?;
            let mut erased = 0;
            for r in &records {
                if store
                    .replay_erasure(r, rathaus_hub::gate::job_mentions)
                    .await?
                {
                    erased += 1;
                }
            }
            store.close().await;
            println!("{} Löschungen nachgeholt, {erased} Personen gelöscht / erasures replayed, citizens erased", records.len());
        }
        Command::Keys {
            action: KeysAction::Rotate { config },
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let env_key = std::env::var("RATHAUS_MASTER_KEY").ok();
            let r =
                rathaus::rotation::rotate(&cfg, env_key.as_deref(), &mut std::io::stdout()).await?;
            eprintln!(
                "Hauptschlüssel gewechselt / master key rotated: {} → {} ({} Gemeindeschlüssel neu verpackt / municipality keys re-wrapped)",
                r.old_key_id, r.new_key_id, r.municipality_keys
            );
            match r.old_key_file {
                Some(old) => eprintln!(
                    "Der alte Schlüssel liegt in / the old key is kept in {} — er öffnet nur noch Sicherungen von vor dem Wechsel \
                     (rathaus restore --key-file); bewahren Sie ihn so lange wie diese Sicherungen auf und löschen Sie ihn dann / \
                     it now opens only backups taken before the rotation; keep it as long as those backups, then delete it.",
                    old.display()
                ),
                None => eprintln!(
                    "RATHAUS_MASTER_KEY jetzt auf den oben ausgegebenen Schlüssel setzen, sonst startet Rathaus nicht / \
                     set RATHAUS_MASTER_KEY to the key printed above now, or Rathaus will not start."
                ),
            }
        }
        Command::Audit {
            action: AuditAction::Verify { config },
        } => {
            let cfg = Config::load(config.config.as_deref())?;
            let store = server::open_store(&cfg).await?;
            let verdict = store.verify_audit().await?;
            store.close().await;
            match verdict {
                rathaus_store::AuditVerdict::Intact { entries, from_checkpoint } => {
                    match from_checkpoint {
                        Some(cp) => println!("Protokoll unversehrt / audit log intact: {entries} Einträge nach Prüfpunkt / entries after checkpoint {cp}"),
                        None => println!("Protokoll unversehrt / audit log intact: {entries} Einträge / entries"),
                    }
                }
                rathaus_store::AuditVerdict::Broken { entry_id, reason } => {
                    bail!("Protokoll verändert ab Eintrag / audit log broken at entry {entry_id}: {reason}");
                }
            }
        }
    }
    Ok(())
}
