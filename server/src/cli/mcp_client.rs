//! `formwork mcp-client …`: register and manage MCP clients from scripts. `add` and
//! `rotate-secret` print the activation information as JSON (the secret is shown only then).
use crate::auth::oauth::redirect::parse_list;
use crate::auth::oauth::{ClientType, OAuthError};
use crate::auth::Auth;
use crate::store::{ClientRow, Store};
use chrono::{DateTime, Utc};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum McpClientCommand {
    /// Register a client; prints server_url, client_id, client_secret and redirect_uris as JSON.
    Add {
        #[arg(long)]
        name: String,
        /// claude (Claude's callbacks are registered) or generic (give --redirect-uri).
        #[arg(long = "type", default_value = "claude")]
        kind: String,
        /// Redirect URI (repeatable); loopback http URIs match on any port.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Public base URL of the site, for the MCP server URL (default: the URL the server last
        /// started with on this database).
        #[arg(long, env = "FORMWORK_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// List clients: client id, name, type, status, last use.
    List,
    /// Deactivate a client and revoke every token it holds.
    Disable { client_id: String },
    /// Activate a client again.
    Enable { client_id: String },
    /// Replace a client's secret; prints the activation information with the new secret.
    RotateSecret {
        client_id: String,
        #[arg(long, env = "FORMWORK_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Delete a client with its tokens.
    Delete { client_id: String },
}

/// The MCP server URL for the activation information: from `--public-url` (or
/// `FORMWORK_PUBLIC_URL`) when given, else from the base URL the server last started with on
/// this database. `None` when neither is known: the caller says so rather than guess.
async fn server_url(store: &Store, public_url: Option<&str>) -> Result<Option<String>, String> {
    let base = match public_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(u.to_string()),
        None => store
            .setting(crate::mcp::BASE_URL_KEY)
            .await
            .map_err(|e| e.to_string())?,
    };
    Ok(base.map(|b| format!("{}/mcp", b.trim_end_matches('/'))))
}

/// Says on standard error what the activation information cannot: that the server URL is
/// unknown, or that it only works on this machine.
fn explain(server_url: Option<&str>) {
    match server_url {
        None => eprintln!(
            "note: the MCP server URL is unknown (server_url is null): the server has not run on this database yet. \
             Start it with its public URL (FORMWORK_PUBLIC_URL=https://forms.example.com formwork serve, or --public-url), \
             or pass --public-url (or set FORMWORK_PUBLIC_URL) here."
        ),
        Some(u) if is_loopback(u) => eprintln!(
            "note: the server runs without a public URL, so {u} only works on the server's machine; \
             set FORMWORK_PUBLIC_URL (or --public-url) to the site's public https URL when starting it."
        ),
        Some(_) => {}
    }
}

fn is_loopback(u: &str) -> bool {
    url::Url::parse(u).ok().is_some_and(|u| match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    })
}

fn activation(client: &ClientRow, secret: Option<&str>, server_url: Option<&str>) -> String {
    let info = serde_json::json!({
        "name": client.name,
        "type": client.client_type,
        "server_url": server_url,
        "client_id": client.client_id,
        "client_secret": secret,
        "redirect_uris": client.redirect_uris,
    });
    serde_json::to_string_pretty(&info).unwrap_or_default()
}

fn message(e: OAuthError) -> String {
    e.description().to_string()
}

async fn find(store: &Store, client_id: &str) -> Result<ClientRow, String> {
    store
        .client_by_client_id(client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no MCP client with client id `{client_id}`"))
}

/// Runs one `mcp-client` command.
pub async fn run(cmd: McpClientCommand, store: Store, now: DateTime<Utc>) -> Result<(), String> {
    let auth = Auth::new(store.clone());
    match cmd {
        McpClientCommand::Add {
            name,
            kind,
            redirect_uris,
            public_url,
        } => {
            let kind = ClientType::parse(&kind)?;
            let uris = if redirect_uris.is_empty() {
                if kind != ClientType::Claude {
                    return Err("a generic client needs at least one --redirect-uri".into());
                }
                kind.default_redirect_uris()
            } else {
                parse_list(redirect_uris.iter().map(String::as_str))?
            };
            let url = server_url(&store, public_url.as_deref()).await?;
            let (client, secret) = auth
                .register_client(&name, kind, &uris, false, now)
                .await
                .map_err(message)?;
            println!("{}", activation(&client, secret.as_deref(), url.as_deref()));
            explain(url.as_deref());
        }
        McpClientCommand::List => {
            for c in store.list_clients().await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    c.client_id,
                    c.name,
                    c.client_type,
                    if c.active { "activated" } else { "deactivated" },
                    c.last_used_at
                        .map(|d| d.to_rfc3339())
                        .unwrap_or_else(|| "never used".into()),
                    if c.dynamic { "\tdynamic" } else { "" }
                );
            }
        }
        McpClientCommand::Disable { client_id } => {
            let c = find(&store, &client_id).await?;
            auth.set_client_status(c.id, false, now)
                .await
                .map_err(message)?;
            println!(
                "deactivated {} ({client_id}); its tokens are revoked",
                c.name
            );
        }
        McpClientCommand::Enable { client_id } => {
            let c = find(&store, &client_id).await?;
            auth.set_client_status(c.id, true, now)
                .await
                .map_err(message)?;
            println!("activated {} ({client_id})", c.name);
        }
        McpClientCommand::RotateSecret {
            client_id,
            public_url,
        } => {
            let c = find(&store, &client_id).await?;
            let url = server_url(&store, public_url.as_deref()).await?;
            let secret = auth.rotate_client_secret(c.id).await.map_err(message)?;
            println!("{}", activation(&c, Some(&secret), url.as_deref()));
            explain(url.as_deref());
        }
        McpClientCommand::Delete { client_id } => {
            let c = find(&store, &client_id).await?;
            auth.delete_client(c.id).await.map_err(message)?;
            println!("deleted {} ({client_id})", c.name);
        }
    }
    Ok(())
}
