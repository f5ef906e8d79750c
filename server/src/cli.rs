//! Command line: `serve`, `migrate`, `user`, `app`, `token`, `mcp`, `mcp-client`, `demo`.
use crate::auth::Auth;
use crate::config::Config;
use crate::engine::Engine;
use crate::store::{BlobStore, Store};
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

mod backup;
mod blobs;
mod mcp_client;
mod rates;
mod user_email;
mod user_manager;

/// Formwork: forms, views and operations, with an MCP surface for AI assistants.
#[derive(Parser)]
#[command(name = "formwork", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    /// Default: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Data directory (SQLite file, uploaded files).
    #[arg(long, env = "FORMWORK_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Where uploaded files are kept: `s3://bucket[/prefix]?endpoint=…&region=…` (credentials
    /// from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Default: the data directory.
    #[arg(long, env = "FORMWORK_BLOB_STORE", global = true)]
    pub blob_store: Option<String>,
}

impl DbArgs {
    fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Config::default_sqlite_url(&self.data_dir))
    }

    async fn store(&self) -> Result<Store, String> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                self.data_dir.display()
            )
        })?;
        Store::connect(&self.url())
            .await
            .map_err(|e| format!("cannot open the database: {e}"))
    }

    async fn engine(&self) -> Result<Engine, String> {
        Ok(Engine::new(self.store().await?, self.blobs()?))
    }

    fn blobs(&self) -> Result<BlobStore, String> {
        BlobStore::open(self.blob_store.as_deref(), &self.data_dir).map_err(|e| e.to_string())
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (web UI, MCP at /mcp, OAuth).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "FORMWORK_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Public base URL (e.g. https://forms.example.com behind a TLS proxy).
        #[arg(long, env = "FORMWORK_PUBLIC_URL")]
        public_url: Option<String>,
        /// Seed demo users, the Expense Claims app and sample claims.
        #[arg(long, env = "FORMWORK_DEMO")]
        demo: bool,
        /// Byte budget of one MCP tool result.
        #[arg(long, env = "FORMWORK_MCP_MAX_RESULT_BYTES", default_value_t = 100_000)]
        mcp_max_result_bytes: usize,
        /// Largest accepted upload in bytes.
        #[arg(long, env = "FORMWORK_MAX_UPLOAD_BYTES", default_value_t = 20_000_000)]
        max_upload_bytes: usize,
        /// Seconds an upload link (a receipt sent from a phone for an MCP conversation) works.
        #[arg(long, env = "FORMWORK_UPLOAD_LINK_SECONDS", default_value_t = 900)]
        upload_link_seconds: i64,
        /// Seconds the upload link tool waits for the file once the person has opened a link
        /// their MCP client showed them (URL-mode elicitation), before it answers "waiting".
        #[arg(long, env = "FORMWORK_UPLOAD_LINK_WAIT_SECONDS", default_value_t = 30)]
        upload_link_wait_seconds: u64,
        /// Megapixels of images decoded at once in this process (their memory is about 4 bytes
        /// a pixel); an upload waits for its share, then is refused as busy.
        #[arg(long, env = "FORMWORK_PIXEL_BUDGET_MP", default_value_t = crate::receipts::budget::DEFAULT_BUDGET_MP)]
        pixel_budget_mp: u32,
        /// Milliseconds an image upload waits for its share of the pixel budget.
        #[arg(long, env = "FORMWORK_PIXEL_WAIT_MS", default_value_t = 20_000)]
        pixel_wait_ms: u64,
        /// OCR through worker processes that keep Tesseract's language models loaded (`false`:
        /// run the `tesseract` program for every reading, loading them each time).
        #[arg(long, env = "FORMWORK_OCR_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
        ocr_worker: bool,
        /// SQLite only: a size cap in pages (SQLite's max_page_count); writes past it fail as on
        /// a full disk.
        #[arg(long, env = "FORMWORK_SQLITE_MAX_PAGES")]
        sqlite_max_pages: Option<u64>,
        /// SQLite only: MiB of the database file each read connection memory-maps (0: none,
        /// every page is copied into the connection's own cache instead).
        #[arg(long, env = "FORMWORK_SQLITE_MMAP_MIB")]
        sqlite_mmap_mib: Option<u64>,
        /// Database connections this process opens at most (PostgreSQL default 16; SQLite 8, and
        /// as many again for reading view pages). Several processes on one PostgreSQL server
        /// share its max_connections.
        #[arg(long, env = "FORMWORK_DB_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
        db_max_connections: Option<u32>,
        /// SMTP server for notification emails, e.g. smtp://mail.example.com:587?tls=required
        /// (off when not set; in-app notifications work without it).
        #[arg(long, env = "FORMWORK_SMTP_URL")]
        smtp_url: Option<String>,
        /// Sender of notification emails, e.g. "Formwork <forms@example.com>".
        #[arg(long, env = "FORMWORK_MAIL_FROM")]
        mail_from: Option<String>,
        /// Token a Prometheus scraper sends as `Authorization: Bearer …` to read /metrics;
        /// without it /metrics answers only requests from this machine (not through a proxy).
        #[arg(long, env = "FORMWORK_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
    },
    /// Create or upgrade the database schema.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage app definitions.
    #[command(subcommand)]
    App(AppCommand),
    /// Personal access tokens for MCP clients and scripts.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// The site-wide MCP switch ("Allow external MCP clients to access your apps").
    #[command(subcommand)]
    Mcp(McpCommand),
    /// Exchange rates and the home currency.
    #[command(subcommand)]
    Rates(rates::RatesCommand),
    /// The file store: remove unreferenced files, move the files to another store.
    #[command(subcommand)]
    Blobs(blobs::BlobsCommand),
    /// Write a consistent backup of the whole site (database and files) while it serves.
    Backup {
        /// The backup file to write (a tar; see docs/backup.md).
        #[arg(long)]
        to: PathBuf,
        /// Put the files in the backup even when they stay in object storage (by default only
        /// their list goes in then).
        #[arg(long)]
        with_files: bool,
    },
    /// Restore a backup into an empty database (and the configured file store).
    Restore {
        /// A file written by `formwork backup`.
        file: PathBuf,
    },
    /// Registered MCP (OAuth) clients such as Claude.
    #[command(subcommand, name = "mcp-client")]
    McpClient(mcp_client::McpClientCommand),
    /// Internal helpers run by the server itself.
    #[command(subcommand, hide = true)]
    Internal(InternalCommand),
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (or prompted for on a terminal).
    Add {
        #[arg(long)]
        username: String,
        /// Role (repeatable): employee, manager, admin, …
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Address for notification emails.
        #[arg(long)]
        email: Option<String>,
    },
    /// Set (or with "", clear) a user's address for notification emails.
    SetEmail { user: String, email: String },
    /// Set (or with "", clear) whom a user reports to; team views and approvals follow it.
    SetManager { user: String, manager: String },
    /// Set (or with "", clear) a user's department; a field's default may copy it
    /// (`$me.department`).
    SetDepartment { user: String, department: String },
    /// Set a user's password, read from standard input (or prompted for on a terminal). Their
    /// web sessions end; tokens stay valid.
    SetPassword {
        user: String,
        /// The user must choose a new password at next sign-in.
        #[arg(long)]
        temporary: bool,
    },
    /// List users.
    List,
}

#[derive(Subcommand)]
pub enum AppCommand {
    /// Import a definition file (TOML or JSON) as the app's new draft.
    Import {
        file: PathBuf,
        /// Publish the draft right away.
        #[arg(long)]
        publish: bool,
    },
    /// Publish an app's draft as its next version.
    Publish {
        slug: String,
        /// A note for the version list (what changed and why).
        #[arg(long)]
        note: Option<String>,
    },
    /// List apps with their published version.
    List,
    /// Print an app's definition as TOML: the draft, or a published version.
    Export {
        slug: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// List an app's published versions: number, when, by whom, note.
    Versions { slug: String },
    /// Make an earlier version the draft (then publish it).
    Rollback {
        slug: String,
        #[arg(long)]
        to: i64,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a personal access token for a user and print it.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Generate N realistic claims (and equipment requests, travel reports) spread over demo employees.
    Generate {
        #[arg(long, default_value_t = 0)]
        claims: u64,
        /// Equipment requests charged to 50 generated projects.
        #[arg(long, default_value_t = 0)]
        requests: u64,
        /// Travel expense reports with 5 to 10 receipt lines each.
        #[arg(long, default_value_t = 0)]
        travel_reports: u64,
        /// How many employees to spread them over (created as needed: emp001, …).
        #[arg(long, default_value_t = 50)]
        users: u32,
    },
}

#[derive(Subcommand)]
pub enum McpCommand {
    /// Allow external MCP clients to access the published apps.
    Enable,
    /// Refuse every MCP request.
    Disable,
    /// Print whether the MCP surface is on.
    Status,
}

#[derive(Subcommand)]
pub enum InternalCommand {
    /// Parse a PDF from standard input in an isolated process.
    PdfWorker,
    /// Read pictures with Tesseract's models kept loaded (requests on standard input).
    OcrWorker,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Internal(InternalCommand::PdfWorker) => {
            return crate::receipts::run_pdf_worker_stdio()
        }
        Command::Internal(InternalCommand::OcrWorker) => {
            return crate::receipts::run_ocr_worker_stdio()
        }
        _ => {}
    }
    // The server logs at info; one-shot commands only warn, so their output stays readable.
    let default_filter = match cli.command {
        Command::Serve { .. } => "info,sqlx=warn,rmcp=warn,sea_orm_migration=warn",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FORMWORK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // One JSON object per line (with the request's span: its request id) for log collectors.
    if std::env::var("FORMWORK_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let now = Utc::now();
    match cli.command {
        Command::Serve {
            bind,
            public_url,
            demo,
            mcp_max_result_bytes,
            max_upload_bytes,
            upload_link_seconds,
            upload_link_wait_seconds,
            pixel_budget_mp,
            pixel_wait_ms,
            ocr_worker,
            sqlite_max_pages,
            sqlite_mmap_mib,
            db_max_connections,
            smtp_url,
            mail_from,
            metrics_token,
        } => {
            crate::receipts::budget::configure(
                pixel_budget_mp,
                std::time::Duration::from_millis(pixel_wait_ms),
            );
            if ocr_worker {
                // This binary again, as `internal ocr-worker`.
                if let Ok(exe) = std::env::current_exe() {
                    let args = vec!["internal".to_string(), "ocr-worker".to_string()];
                    crate::receipts::use_ocr_workers(exe, args);
                }
            }
            let config = Config {
                bind,
                database_url: cli.db.url(),
                data_dir: cli.db.data_dir.clone(),
                blob_store: cli.db.blob_store.clone(),
                public_url,
                demo,
                mcp_max_result_bytes,
                max_upload_bytes,
                upload_link_seconds,
                upload_link_wait_seconds,
                sqlite_max_pages,
                sqlite_mmap_bytes: sqlite_mmap_mib.map(|m| m.saturating_mul(1 << 20)),
                db_max_connections,
                smtp_url,
                mail_from,
                metrics_token: metrics_token.filter(|t| !t.trim().is_empty()),
            };
            let app = crate::startup::Application::build(config).await?;
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            cli.db.store().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(UserCommand::Add {
            username,
            roles,
            display_name,
            email,
        }) => {
            let email = email.as_deref().map(user_email::parse_email).transpose()?;
            let store = cli.db.store().await?;
            let password = read_password()?;
            if password.chars().count() < 8 {
                return Err("the password must have at least 8 characters".into());
            }
            let id = Auth::new(store.clone())
                .create_user(
                    &username,
                    display_name.as_deref().unwrap_or(&username),
                    &password,
                    &roles,
                    now,
                )
                .await
                .map_err(|e| match e {
                    crate::auth::AuthError::Store(crate::store::StoreError::Conflict) => {
                        format!("a user named `{username}` already exists")
                    }
                    e => e.to_string(),
                })?;
            println!(
                "created user {username} (id {id}) with roles {}",
                roles.join(", ")
            );
            if let Some(e) = email {
                println!("{}", user_email::set_email(&store, &username, &e).await?);
            }
            Ok(())
        }
        Command::User(UserCommand::SetEmail { user, email }) => {
            let store = cli.db.store().await?;
            println!("{}", user_email::set_email(&store, &user, &email).await?);
            Ok(())
        }
        Command::User(UserCommand::SetManager { user, manager }) => {
            let store = cli.db.store().await?;
            println!(
                "{}",
                user_manager::set_manager(&store, &user, &manager).await?
            );
            Ok(())
        }
        Command::User(UserCommand::SetDepartment { user, department }) => {
            let store = cli.db.store().await?;
            let row = store
                .user_by_name(&user)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user named `{user}`"))?;
            let department = department.trim();
            if department.chars().count() > 120 || department.chars().any(char::is_control) {
                return Err("a department is one line of at most 120 characters".into());
            }
            store
                .set_user_department(row.id, Some(department).filter(|d| !d.is_empty()))
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{user}'s department is {}",
                if department.is_empty() {
                    "cleared"
                } else {
                    department
                }
            );
            Ok(())
        }
        Command::User(UserCommand::SetPassword { user, temporary }) => {
            let store = cli.db.store().await?;
            let row = store
                .user_by_name(&user)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user `{user}`"))?;
            let password = read_password()?;
            Auth::new(store)
                .set_password(row.id, &password, temporary)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "set the password of {user}{}",
                if temporary {
                    "; they must change it at next sign-in"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Command::User(UserCommand::List) => {
            let store = cli.db.store().await?;
            for u in store.list_users().await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}{}",
                    u.username,
                    u.display_name,
                    u.roles.join(","),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
            Ok(())
        }
        Command::App(AppCommand::Import { file, publish }) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let engine = cli.db.engine().await?;
            let def = engine
                .import_draft(&text, now)
                .await
                .map_err(|e| format!("{}:\n{e}", file.display()))?;
            println!("imported {} as a new draft", def.slug);
            let unchanged = !engine
                .editor_draft(&def.slug)
                .await
                .map_err(|e| e.to_string())?
                .has_changes();
            if publish && unchanged {
                println!("nothing to publish: the draft is the same as the published version");
            } else if publish {
                let v = engine
                    .publish(&def.slug, None, None, now)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("published {} version {v}", def.slug);
            }
            Ok(())
        }
        Command::App(AppCommand::Publish { slug, note }) => {
            let engine = cli.db.engine().await?;
            let v = engine
                .publish(&slug, None, note.as_deref(), now)
                .await
                .map_err(|e| e.to_string())?;
            println!("published {slug} version {v}");
            Ok(())
        }
        Command::App(AppCommand::Export { slug, version }) => {
            let engine = cli.db.engine().await?;
            let text = engine
                .export_toml(&slug, version)
                .await
                .map_err(|e| e.to_string())?;
            print!("{text}");
            Ok(())
        }
        Command::App(AppCommand::Versions { slug }) => {
            let engine = cli.db.engine().await?;
            for v in engine.versions(&slug).await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}",
                    v.version,
                    v.published_at.format("%Y-%m-%d %H:%M"),
                    v.published_by.as_deref().unwrap_or("-"),
                    v.note.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        Command::App(AppCommand::Rollback { slug, to }) => {
            let engine = cli.db.engine().await?;
            engine
                .rollback(&slug, to, now)
                .await
                .map_err(|e| e.to_string())?;
            println!("version {to} of {slug} is now the draft; publish it with `formwork app publish {slug}`");
            Ok(())
        }
        Command::App(AppCommand::List) => {
            let store = cli.db.store().await?;
            for a in store.list_apps().await.map_err(|e| e.to_string())? {
                let v = a
                    .published_version
                    .map(|v| format!("v{v}"))
                    .unwrap_or_else(|| "unpublished".into());
                println!("{}\t{}\t{v}", a.slug, a.name);
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create { user, name }) => {
            let store = cli.db.store().await?;
            let u = store
                .user_by_name(&user)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user `{user}`"))?;
            let (_, token) = Auth::new(store)
                .create_pat(u.id, &name, None, now)
                .await
                .map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
        Command::Demo(DemoCommand::Generate {
            claims,
            requests,
            travel_reports,
            users,
        }) => {
            let engine = cli.db.engine().await?;
            if claims > 0 || (requests == 0 && travel_reports == 0) {
                crate::demo::generate(&engine, claims, users).await?;
            }
            if requests > 0 {
                crate::demo::generate_requests(&engine, requests, users).await?;
            }
            if travel_reports > 0 {
                crate::demo::generate_travel_reports(&engine, travel_reports, users).await?;
            }
            Ok(())
        }
        Command::Mcp(cmd) => {
            let store = cli.db.store().await?;
            let key = crate::mcp::MCP_ENABLED_KEY;
            match cmd {
                McpCommand::Enable => store
                    .set_setting(key, "true")
                    .await
                    .map_err(|e| e.to_string())?,
                McpCommand::Disable => store
                    .set_setting(key, "false")
                    .await
                    .map_err(|e| e.to_string())?,
                McpCommand::Status => {}
            }
            let on = store
                .setting(key)
                .await
                .map_err(|e| e.to_string())?
                .as_deref()
                == Some("true");
            println!("MCP surface: {}", if on { "on" } else { "off" });
            Ok(())
        }
        Command::McpClient(cmd) => mcp_client::run(cmd, cli.db.store().await?, now).await,
        Command::Rates(cmd) => rates::run(cmd, cli.db.engine().await?).await,
        Command::Blobs(cmd) => {
            blobs::run(
                cmd,
                cli.db.store().await?,
                cli.db.blobs()?,
                &cli.db.data_dir,
            )
            .await
        }
        Command::Backup { to, with_files } => {
            backup::backup(cli.db.store().await?, cli.db.blobs()?, &to, with_files, now).await
        }
        Command::Restore { file } => backup::restore(&cli.db, cli.db.blobs()?, &file).await,
        Command::Internal(_) => Ok(()),
    }
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|e| e.to_string())
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
