//! Building and running the server: one port serves the web UI, `/mcp` and OAuth.
use crate::auth::Auth;
use crate::config::Config;
use crate::engine::Engine;
use crate::mcp::{McpContext, SiteSwitch};
use crate::store::{BlobStore, Store};
use crate::uploads::Uploads;
use crate::web::AppState;
use actix_web::{middleware, web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod body_deadline;
mod compression;
mod head_as_get;
mod outbox_worker;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
}

impl Application {
    /// Opens the database (migrating it), seeds the demo if asked, and binds the listener.
    pub async fn build(config: Config) -> Result<Application, String> {
        let started = Instant::now();
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        let options = crate::store::StoreOptions {
            sqlite_max_pages: config.sqlite_max_pages,
            sqlite_mmap_bytes: config.sqlite_mmap_bytes,
            max_connections: config.db_max_connections,
        };
        let store = Store::connect_with(&config.database_url, &options)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let blobs = BlobStore::open(config.blob_store.as_deref(), &config.data_dir)
            .map_err(|e| e.to_string())?;
        let cleaned = blobs.clean_temporary();
        if cleaned > 0 {
            tracing::info!("removed {cleaned} temporary file(s) left by interrupted uploads");
        }
        let engine = Engine::new(store.clone(), blobs);
        engine
            .sync_summary_rollups()
            .await
            .map_err(|e| format!("cannot build the summary rollups: {e}"))?;
        let auth = Auth::new(store.clone());
        let uploads = Uploads::new(config.max_upload_bytes);
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let base_url = config.base_url(&addr.to_string());
        // `formwork mcp-client add` prints the MCP server URL from it.
        crate::mcp::remember_base_url(&store, &base_url).await;
        if config.demo {
            crate::demo::seed(&engine, &auth, &uploads).await?;
            if store
                .setting(crate::mcp::MCP_ENABLED_KEY)
                .await
                .map_err(|e| e.to_string())?
                .is_none()
            {
                store
                    .set_setting(crate::mcp::MCP_ENABLED_KEY, "true")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            println!("Formwork demo is ready at {base_url}/");
            println!(
                "Sign in as alice or bob (employees), maria (their manager), tom (hers), fiona (finance), ivan (IT) or admin — password: {}",
                crate::demo::DEMO_PASSWORD
            );
            println!("MCP server URL: {base_url}/mcp");
        }
        // Notification emails: off without an SMTP URL (the outbox still records notices).
        if let Some(mailer) = outbox_worker::Mailer::from_config(
            config.smtp_url.as_deref(),
            config.mail_from.as_deref(),
            &base_url,
        )? {
            tokio::spawn(mailer.run(store.clone()));
        }
        let state = web::Data::new(AppState {
            engine: engine.clone(),
            auth: auth.clone(),
            uploads: uploads.clone(),
            base_url: base_url.clone(),
            config: config.clone(),
        });
        let mcp = Arc::new(McpContext {
            engine,
            auth,
            uploads,
            max_result_bytes: config.mcp_max_result_bytes,
            upload_link_seconds: config.upload_link_seconds,
            upload_link_wait: std::time::Duration::from_secs(config.upload_link_wait_seconds),
            base_url,
            local_port: addr.port(),
            switch: SiteSwitch::default(),
            view_rows: Default::default(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(256 * 1024))
                .wrap(middleware::from_fn(body_deadline::body_deadline))
                .wrap(middleware::from_fn(crate::web::security_headers))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(compression::compression_scope))
                // Request ids, request counts and times for everything below.
                .wrap(middleware::from_fn(crate::operate::request_id::request_id))
                // Outermost: routing and every other layer see a HEAD as the GET it stands for.
                .wrap(middleware::from_fn(head_as_get::head_as_get))
                .configure(crate::mcp::configure(mcp.clone()))
                .configure(crate::oauth_metadata::configure)
                .configure(crate::operate::configure)
                .configure(crate::web::configure)
        })
        // Responses leave in one write without waiting for the client's delayed ACK (a large
        // page written in pieces otherwise stalls ~40 ms under Nagle's algorithm).
        .tcp_nodelay(true)
        // The request head must arrive within this; bodies have their own deadline
        // (`body_deadline`). After answering a request whose body was not read, the connection
        // is drained this long, then closed.
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(2))
        .listen(listener)
        .map_err(|e| e.to_string())?
        .shutdown_timeout(5)
        .run();
        tracing::info!(%addr, elapsed_ms = started.elapsed().as_millis() as u64, "formwork is serving");
        // Tests and scripts read this line to learn the port when binding port 0.
        println!("formwork listening on http://{addr}");
        Ok(Application {
            port: addr.port(),
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (Ctrl-C / SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
