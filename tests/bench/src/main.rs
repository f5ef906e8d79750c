//! Formwork load generator: drives a running server over real HTTP (MCP tool calls with bearer
//! tokens, or web pages with a session) from N concurrent clients for a fixed number of requests,
//! and measures the same view in-process (engine call, bare SQL) to show where time goes.
//! Prints figures; asserts nothing about time.
use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// `tools/call` against /mcp.
    Mcp {
        #[arg(long)]
        url: String,
        /// Bearer tokens, comma-separated; clients take them round-robin.
        #[arg(long)]
        tokens: String,
        #[arg(long)]
        tool: String,
        /// Tool arguments as JSON; `{record}` in it is replaced by a record id from --records.
        #[arg(long, default_value = "{}")]
        args: String,
        /// Record ids for write scenarios (comma-separated, one per token, same order).
        #[arg(long)]
        records: Option<String>,
        #[arg(long, default_value = "1")]
        concurrency: String,
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Label printed with the results.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// GET a web page with a signed-in session.
    Web {
        #[arg(long)]
        base: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        path: String,
        #[arg(long, default_value = "1")]
        concurrency: String,
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// The same view in-process: engine call, then the bare SQL query.
    Engine {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
}

struct Stats {
    label: String,
    concurrency: usize,
    ok: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i].as_secs_f64() * 1000.0
    }

    fn print(&mut self) {
        self.latencies.sort();
        println!(
            "{:<40} c={:<4} n={:<6} ok={:<6} err={:<4} {:>9.0} req/s  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms",
            self.label,
            self.concurrency,
            self.ok + self.errors,
            self.ok,
            self.errors,
            (self.ok + self.errors) as f64 / self.elapsed.as_secs_f64(),
            self.pct(0.50),
            self.pct(0.90),
            self.pct(0.99),
        );
    }
}

/// Runs `requests` calls of `one` from `concurrency` workers.
async fn drive<F, Fut>(label: &str, concurrency: usize, requests: usize, one: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let one = Arc::new(one);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..concurrency {
        let one = one.clone();
        let next = next.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                let ok = one(w, i).await;
                lat.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = 0;
    for h in handles {
        if let Ok((l, e)) = h.await {
            latencies.extend(l);
            errors += e;
        }
    }
    Stats { label: label.to_string(), concurrency, ok: latencies.len() - errors, errors, elapsed: started.elapsed(), latencies }
}

fn levels(s: &str) -> Vec<usize> {
    s.split(',').filter_map(|c| c.trim().parse().ok()).filter(|c| *c > 0).collect()
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder().tcp_nodelay(true).pool_max_idle_per_host(256).build().unwrap_or_default()
}

async fn mcp_scenario(url: String, tokens: String, tool: String, args: String, records: Option<String>, conc: &str, requests: usize, label: String) {
    let tokens: Arc<Vec<String>> = Arc::new(tokens.split(',').map(str::to_string).collect());
    let records: Arc<Vec<String>> = Arc::new(records.map(|r| r.split(',').map(str::to_string).collect()).unwrap_or_default());
    let label = if label.is_empty() { tool.clone() } else { label };
    let mut sizes = Vec::new();
    for c in levels(conc) {
        let client = http_client();
        let (url, tokens, records, tool, args) = (url.clone(), tokens.clone(), records.clone(), tool.clone(), args.clone());
        let bytes = Arc::new(AtomicUsize::new(0));
        let b2 = bytes.clone();
        let mut stats = drive(&label, c, requests, move |w, i| {
            let client = client.clone();
            let token = tokens[w % tokens.len()].clone();
            let mut a = args.clone();
            if let Some(r) = records.get(w % records.len().max(1)) {
                a = a.replace("{record}", r);
            }
            a = a.replace("{i}", &i.to_string());
            let url = url.clone();
            let tool = tool.clone();
            let bytes = b2.clone();
            async move {
                let arguments: Value = serde_json::from_str(&a).unwrap_or(json!({}));
                let body = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Accept", "application/json, text/event-stream")
                    .header("Mcp-Protocol-Version", "2025-06-18")
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) => {
                            bytes.fetch_add(b.len(), Ordering::Relaxed);
                            let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
                            v["result"]["isError"] == json!(false)
                        }
                        Err(_) => false,
                    },
                    _ => false,
                }
            }
        })
        .await;
        stats.print();
        sizes.push(bytes.load(Ordering::Relaxed) / requests.max(1));
    }
    if let Some(s) = sizes.first() {
        println!("{label:<40} mean response {s} bytes");
    }
}

async fn web_scenario(base: String, user: String, password: String, path: String, conc: &str, requests: usize, label: String) {
    let client = reqwest::Client::builder().cookie_store(true).tcp_nodelay(true).redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default();
    let page = client.get(format!("{base}/login")).send().await.ok();
    let html = match page {
        Some(p) => p.text().await.unwrap_or_default(),
        None => String::new(),
    };
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_string();
    let _ = client
        .post(format!("{base}/login"))
        .form(&[("username", user.as_str()), ("password", password.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await;
    let label = if label.is_empty() { path.clone() } else { label };
    for c in levels(conc) {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        let mut stats = drive(&label, c, requests, move |_, _| {
            let client = client.clone();
            let url = url.clone();
            async move {
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        })
        .await;
        stats.print();
    }
}

async fn engine_scenario(database_url: String, user: String, requests: usize) -> Result<(), String> {
    use formwork::engine::{Actor, Engine, Raw, Surface, ViewRequest};
    let store = formwork::store::Store::connect(&database_url).await.map_err(|e| e.to_string())?;
    let u = store.user_by_name(&user).await.map_err(|e| e.to_string())?.ok_or("no such user")?;
    let engine = Engine::new(store.clone(), formwork::store::BlobStore::new(std::path::Path::new("/tmp")));
    let actor = Actor { user_id: u.id, username: u.username.clone(), display_name: u.display_name, roles: u.roles, surface: Surface::Cli, client_name: None };
    let req = ViewRequest { params: [("status".to_string(), Raw::Text("Approved".into()))].into(), limit: Some(25), ..Default::default() };
    let mut lat = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        engine.run_view(&actor, "expense_claims", "my_claims", &req).await.map_err(|e| e.to_string())?;
        lat.push(t.elapsed());
    }
    Stats { label: "engine.run_view my_claims status=Approved".into(), concurrency: 1, ok: requests, errors: 0, elapsed: started.elapsed(), latencies: lat }.print();
    let app = engine.app("expense_claims").await.map_err(|e| e.to_string())?;
    let q = formwork::store::RecordQuery {
        app_id: app.id,
        owner_id: Some(u.id),
        predicates: vec![formwork::store::Predicate { field: "status".into(), kind: formwork::store::ValueKind::Text, op: formwork::store::PredicateOp::Eq, value: "Approved".into() }],
        sort: vec![formwork::store::SortKey { field: "expense_date".into(), kind: formwork::store::ValueKind::Text, desc: true }],
        limit: 25,
        ..Default::default()
    };
    let mut lat = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        store.query_records(&q).await.map_err(|e| e.to_string())?;
        lat.push(t.elapsed());
    }
    Stats { label: "store.query_records (page + count)".into(), concurrency: 1, ok: requests, errors: 0, elapsed: started.elapsed(), latencies: lat }.print();
    Ok(())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Mcp { url, tokens, tool, args, records, concurrency, requests, label } => {
            mcp_scenario(url, tokens, tool, args, records, &concurrency, requests, label).await
        }
        Cmd::Web { base, user, password, path, concurrency, requests, label } => {
            web_scenario(base, user, password, path, &concurrency, requests, label).await
        }
        Cmd::Engine { database_url, user, requests } => {
            if let Err(e) = engine_scenario(database_url, user, requests).await {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
}
