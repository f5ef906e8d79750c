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
        /// Read the tool arguments from this file instead (for arguments too large for a
        /// command line, such as a photo in base64).
        #[arg(long)]
        args_file: Option<std::path::PathBuf>,
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
        /// Unrecorded calls before each concurrency level (default: 2 per client, at least 20).
        #[arg(long)]
        warmup: Option<usize>,
        #[command(flatten)]
        out: Output,
    },
    /// Writes a receipt photo scaled up to a phone camera's size (JPEG, quality 85), and the
    /// arguments of a create operation carrying it in base64, for upload benchmarks.
    Photo {
        /// A receipt picture (JPEG, PNG or WebP).
        #[arg(long)]
        from: std::path::PathBuf,
        #[arg(long, default_value_t = 12.0)]
        megapixels: f64,
        /// The arguments file: `{"<other args>", "<field>": {"filename", "content_base64"}}`.
        #[arg(long)]
        out: std::path::PathBuf,
        /// The file field's name.
        #[arg(long, default_value = "receipt")]
        field: String,
        /// Other arguments as JSON (an object).
        #[arg(long, default_value = "{}")]
        with: String,
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
        #[command(flatten)]
        out: Output,
    },
    /// The same view in-process: engine call, then the bare SQL query.
    Engine {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        #[command(flatten)]
        out: Output,
    },
}

/// Machine-readable output: one JSON object per measured level, appended to a file.
#[derive(clap::Args, Clone, Default)]
struct Output {
    /// Append results as JSON lines to this file.
    #[arg(long)]
    json_out: Option<std::path::PathBuf>,
    /// Extra `key=value` pairs (comma-separated) copied into every JSON line, e.g.
    /// `target=formwork,db=sqlite,scenario=my_claims_status`.
    #[arg(long, default_value = "")]
    tags: String,
    /// Server processes to measure (comma-separated pids; their child processes are included):
    /// CPU time used during each level and resident memory after it.
    #[arg(long, default_value = "")]
    server_pids: String,
    /// A shell command printing more pids to measure, run at each sample (e.g. the database
    /// server's backends for this database, which come and go with the connection pool).
    #[arg(long)]
    pid_cmd: Option<String>,
}

/// CPU time (user + system) and resident memory of some processes, read from /proc.
#[derive(Clone, Copy, Default)]
struct ProcSample {
    cpu_ticks: u64,
    rss_kb: u64,
    hwm_kb: u64,
    /// Proportional set size: shared pages divided among their mappings. SQLite maps the
    /// database file once per pooled connection, and RSS counts those file pages once per
    /// mapping; PSS counts them once.
    pss_kb: u64,
    /// Memory the process itself allocated (heap, stacks), without file-backed pages.
    anon_kb: u64,
}

/// The given pids and all their descendants.
fn process_tree(roots: &[u32]) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut all: Vec<u32> = roots.to_vec();
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        for (c, pp) in &parent_of {
            if *pp == p && !all.contains(c) {
                all.push(*c);
            }
        }
        i += 1;
    }
    all
}

fn sample(pids: &[u32]) -> ProcSample {
    let mut s = ProcSample::default();
    for pid in process_tree(pids) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
        for k in [11, 12] {
            s.cpu_ticks += f.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        for line in status.lines() {
            let kb = |l: &str| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            if line.starts_with("VmRSS:") {
                s.rss_kb += kb(line);
            } else if line.starts_with("VmHWM:") {
                s.hwm_kb += kb(line);
            } else if line.starts_with("RssAnon:") {
                s.anon_kb += kb(line);
            }
        }
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        for line in rollup.lines() {
            if line.starts_with("Pss:") {
                s.pss_kb += line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    s
}

impl Output {
    fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .server_pids
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        if let Some(cmd) = &self.pid_cmd {
            if let Ok(out) = std::process::Command::new("sh").arg("-c").arg(cmd).output() {
                pids.extend(
                    String::from_utf8_lossy(&out.stdout)
                        .split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
        pids
    }

    fn sample(&self) -> Option<ProcSample> {
        let pids = self.pids();
        (!pids.is_empty()).then(|| sample(&pids))
    }

    /// Prints the server's figures for a level and appends the level's JSON line.
    fn record(&self, stats: &Stats, before: Option<ProcSample>, extra: Value) {
        let mut line = stats.json();
        if let Some(m) = line.as_object_mut() {
            for kv in self.tags.split(',').filter(|t| !t.is_empty()) {
                if let Some((k, v)) = kv.split_once('=') {
                    m.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
                }
            }
            if let Value::Object(e) = extra {
                m.extend(e);
            }
            if let (Some(b), Some(a)) = (before, self.sample()) {
                let ticks = a.cpu_ticks.saturating_sub(b.cpu_ticks) as f64;
                let cpu_s = ticks / clock_ticks_per_second();
                let calls = (stats.ok + stats.errors).max(1) as f64;
                println!(
                    "{:<40} server: {:.2} CPU s ({:.2} ms/call, {:.0}% of one core), RSS {} MB (peak {} MB), PSS {} MB, anonymous {} MB",
                    "",
                    cpu_s,
                    cpu_s * 1000.0 / calls,
                    cpu_s * 100.0 / stats.elapsed.as_secs_f64(),
                    a.rss_kb / 1024,
                    a.hwm_kb / 1024,
                    a.pss_kb / 1024,
                    a.anon_kb / 1024
                );
                m.insert("server_cpu_s".into(), json!(cpu_s));
                m.insert(
                    "server_cpu_ms_per_call".into(),
                    json!(cpu_s * 1000.0 / calls),
                );
                m.insert("server_rss_kb".into(), json!(a.rss_kb));
                m.insert("server_hwm_kb".into(), json!(a.hwm_kb));
                m.insert("server_pss_kb".into(), json!(a.pss_kb));
                m.insert("server_anon_kb".into(), json!(a.anon_kb));
            }
        }
        if let Some(path) = &self.json_out {
            use std::io::Write;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path);
            match file {
                Ok(mut f) => {
                    if let Err(e) = writeln!(f, "{line}") {
                        eprintln!("cannot write {}: {e}", path.display());
                    }
                }
                Err(e) => eprintln!("cannot open {}: {e}", path.display()),
            }
        }
    }
}

/// USER_HZ, the unit of utime/stime in /proc: 100 on every Linux architecture that matters here.
fn clock_ticks_per_second() -> f64 {
    100.0
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

    /// The level's figures as JSON (latencies sorted by `print` first).
    fn json(&self) -> Value {
        let calls = self.ok + self.errors;
        let mean = if self.latencies.is_empty() {
            f64::NAN
        } else {
            self.latencies
                .iter()
                .map(Duration::as_secs_f64)
                .sum::<f64>()
                * 1000.0
                / self.latencies.len() as f64
        };
        json!({
            "label": self.label,
            "concurrency": self.concurrency,
            "requests": calls,
            "ok": self.ok,
            "errors": self.errors,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "calls_per_s": calls as f64 / self.elapsed.as_secs_f64(),
            "mean_ms": mean,
            "p50_ms": self.pct(0.50),
            "p90_ms": self.pct(0.90),
            "p95_ms": self.pct(0.95),
            "p99_ms": self.pct(0.99),
            "max_ms": self.pct(1.0),
        })
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
    Stats {
        label: label.to_string(),
        concurrency,
        ok: latencies.len() - errors,
        errors,
        elapsed: started.elapsed(),
        latencies,
    }
}

/// Prints the first failed call's answer (once per process), so errors in a run are explained.
fn first_error(what: &str) {
    static SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SHOWN.swap(true, Ordering::Relaxed) {
        let short: String = what.chars().take(400).collect();
        eprintln!("first error: {short}");
    }
}

fn levels(s: &str) -> Vec<usize> {
    s.split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|c| *c > 0)
        .collect()
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(256)
        .build()
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
async fn mcp_scenario(
    url: String,
    tokens: String,
    tool: String,
    args: String,
    records: Option<String>,
    conc: &str,
    requests: usize,
    label: String,
    warmup: Option<usize>,
    out: Output,
) {
    let tokens: Arc<Vec<String>> = Arc::new(tokens.split(',').map(str::to_string).collect());
    let records: Arc<Vec<String>> = Arc::new(
        records
            .map(|r| r.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
    );
    let label = if label.is_empty() {
        tool.clone()
    } else {
        label
    };
    let mut sizes = Vec::new();
    for c in levels(conc) {
        let client = http_client();
        let (url, tokens, records, tool, args) = (
            url.clone(),
            tokens.clone(),
            records.clone(),
            tool.clone(),
            args.clone(),
        );
        let bytes = Arc::new(AtomicUsize::new(0));
        let b2 = bytes.clone();
        let one = move |w: usize, i: usize| {
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
                            let ok = v["result"]["isError"] == json!(false);
                            if !ok {
                                first_error(&String::from_utf8_lossy(&b));
                            }
                            ok
                        }
                        Err(e) => {
                            first_error(&e.to_string());
                            false
                        }
                    },
                    Ok(r) => {
                        first_error(&format!("HTTP {}", r.status()));
                        false
                    }
                    Err(e) => {
                        first_error(&e.to_string());
                        false
                    }
                }
            }
        };
        let one = Arc::new(one);
        let warm = warmup.unwrap_or((2 * c).max(20));
        if warm > 0 {
            let o = one.clone();
            drive("warm-up", c, warm, move |w, i| o(w, i)).await;
        }
        bytes.store(0, Ordering::Relaxed);
        let before = out.sample();
        let o = one.clone();
        let mut stats = drive(&label, c, requests, move |w, i| o(w, i)).await;
        stats.print();
        let mean_bytes = bytes.load(Ordering::Relaxed) / requests.max(1);
        sizes.push(mean_bytes);
        out.record(&stats, before, json!({"mean_response_bytes": mean_bytes}));
    }
    if let Some(s) = sizes.first() {
        println!("{label:<40} mean response {s} bytes");
    }
}

#[allow(clippy::too_many_arguments)]
async fn web_scenario(
    base: String,
    user: String,
    password: String,
    path: String,
    conc: &str,
    requests: usize,
    label: String,
    out: Output,
) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let page = client.get(format!("{base}/login")).send().await.ok();
    let html = match page {
        Some(p) => p.text().await.unwrap_or_default(),
        None => String::new(),
    };
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string();
    let _ = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", user.as_str()),
            ("password", password.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await;
    let label = if label.is_empty() {
        path.clone()
    } else {
        label
    };
    for c in levels(conc) {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        let before = out.sample();
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
        out.record(&stats, before, json!({}));
    }
}

async fn engine_scenario(
    database_url: String,
    user: String,
    requests: usize,
    out: Output,
) -> Result<(), String> {
    use formwork::engine::{Actor, Engine, Raw, Surface, ViewRequest};
    let store = formwork::store::Store::connect(&database_url)
        .await
        .map_err(|e| e.to_string())?;
    let u = store
        .user_by_name(&user)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no such user")?;
    let engine = Engine::new(
        store.clone(),
        formwork::store::BlobStore::new(std::path::Path::new("/tmp")),
    );
    let actor = Actor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name,
        roles: u.roles,
        surface: Surface::Cli,
        client_name: None,
    };
    let req = ViewRequest {
        params: [("status".to_string(), Raw::Text("Approved".into()))].into(),
        limit: Some(25),
        ..Default::default()
    };
    let mut lat = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        engine
            .run_view(&actor, "expense_claims", "my_claims", &req)
            .await
            .map_err(|e| e.to_string())?;
        lat.push(t.elapsed());
    }
    let mut stats = Stats {
        label: "engine.run_view my_claims status=Approved".into(),
        concurrency: 1,
        ok: requests,
        errors: 0,
        elapsed: started.elapsed(),
        latencies: lat,
    };
    stats.print();
    out.record(&stats, None, json!({"layer": "engine"}));
    let app = engine
        .app("expense_claims")
        .await
        .map_err(|e| e.to_string())?;
    let q = formwork::store::RecordQuery {
        app_id: app.id,
        owners: Some(vec![u.id]),
        predicates: vec![formwork::store::Predicate {
            field: "status".into(),
            kind: formwork::store::ValueKind::Text,
            op: formwork::store::PredicateOp::Eq,
            value: "Approved".into(),
            via: None,
            indexed: false,
            key: None,
        }],
        sort: vec![formwork::store::SortKey {
            field: "expense_date".into(),
            kind: formwork::store::ValueKind::Text,
            desc: true,
        }],
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
    let mut stats = Stats {
        label: "store.query_records (page + count)".into(),
        concurrency: 1,
        ok: requests,
        errors: 0,
        elapsed: started.elapsed(),
        latencies: lat,
    };
    stats.print();
    out.record(&stats, None, json!({"layer": "sql"}));
    // The substring filter both ways on the same data: the scan (`LIKE`/`ILIKE` over the
    // user's rows) and the substring index (the field's values found by trigram).
    for indexed in [false, true] {
        let how = if indexed { "trigram" } else { "scan" };
        let q = formwork::store::RecordQuery {
            predicates: vec![formwork::store::Predicate {
                field: "supplier".into(),
                kind: formwork::store::ValueKind::Text,
                op: formwork::store::PredicateOp::Contains,
                value: "inn".into(),
                via: None,
                indexed,
                key: None,
            }],
            ..q.clone()
        };
        let plan = store.explain_records(&q).await.map_err(|e| e.to_string())?;
        println!("plan (supplier contains inn, {how}): {}", plan.join(" / "));
        let mut lat = Vec::with_capacity(requests);
        let started = Instant::now();
        let mut total = 0;
        for _ in 0..requests {
            let t = Instant::now();
            let (_, n) = store.query_records(&q).await.map_err(|e| e.to_string())?;
            total = n.n;
            lat.push(t.elapsed());
        }
        let mut stats = Stats {
            label: format!("store.query_records supplier contains inn, {how} (total {total})"),
            concurrency: 1,
            ok: requests,
            errors: 0,
            elapsed: started.elapsed(),
            latencies: lat,
        };
        stats.print();
        out.record(&stats, None, json!({"layer": "sql", "filter": how}));
    }
    bare_sql(&database_url, app.id, u.id, requests, &out).await
}

/// The view's two statements (page, then count) on a connection of their own, for each filter
/// of the benchmark: how the database time of one call splits.
async fn bare_sql(
    url: &str,
    app_id: i64,
    owner_id: i64,
    requests: usize,
    out: &Output,
) -> Result<(), String> {
    use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
    let db = Database::connect(url).await.map_err(|e| e.to_string())?;
    let pg = url.starts_with("postgres");
    let backend = if pg {
        DatabaseBackend::Postgres
    } else {
        DatabaseBackend::Sqlite
    };
    let field = |f: &str| {
        if pg {
            format!("(data->>'{f}')")
        } else {
            format!("json_extract(data, '$.{f}')")
        }
    };
    let (p1, p2, p3) = if pg {
        ("$1", "$2", "$3")
    } else {
        ("?", "?", "?")
    };
    let like = if pg { "ILIKE" } else { "LIKE" };
    let filters = [
        (
            "status = Approved",
            format!("{} = {p3}", field("status")),
            "Approved".to_string(),
        ),
        (
            "supplier contains inn",
            format!("{} {like} {p3} ESCAPE '\\'", field("supplier")),
            "%inn%".to_string(),
        ),
    ];
    for (name, cond, value) in filters {
        let wh = format!("app_id = {p1} AND owner_id = {p2} AND {cond}");
        let page = format!(
            "SELECT id, app_id, owner_id, version, data, created_at, updated_at FROM records WHERE {wh} ORDER BY {} DESC, id DESC LIMIT 25",
            field("expense_date")
        );
        let count = format!("SELECT COUNT(*) AS n FROM records WHERE {wh}");
        for (what, sql) in [("page", page), ("count", count)] {
            let explain = if pg {
                format!("EXPLAIN {sql}")
            } else {
                format!("EXPLAIN QUERY PLAN {sql}")
            };
            let st = Statement::from_sql_and_values(
                backend,
                &explain,
                [app_id.into(), owner_id.into(), value.clone().into()],
            );
            let plan: Vec<String> = db
                .query_all(st)
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .filter_map(|r| {
                    let col = if pg { "QUERY PLAN" } else { "detail" };
                    r.try_get::<String>("", col).ok()
                })
                .collect();
            println!("plan of the {what} ({name}): {}", plan.join(" / "));
            let mut lat = Vec::with_capacity(requests);
            let started = Instant::now();
            for _ in 0..requests {
                let st = Statement::from_sql_and_values(
                    backend,
                    &sql,
                    [app_id.into(), owner_id.into(), value.clone().into()],
                );
                let t = Instant::now();
                db.query_all(st).await.map_err(|e| e.to_string())?;
                lat.push(t.elapsed());
            }
            let mut stats = Stats {
                label: format!("bare SQL {what}: {name}"),
                concurrency: 1,
                ok: requests,
                errors: 0,
                elapsed: started.elapsed(),
                latencies: lat,
            };
            stats.print();
            out.record(
                &stats,
                None,
                json!({"layer": format!("bare_{what}"), "filter": name, "plan": plan.join(" / ")}),
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Photo {
            from,
            megapixels,
            out,
            field,
            with,
        } => photo_args(&from, megapixels, &out, &field, &with),
        Cmd::Mcp {
            url,
            tokens,
            tool,
            args,
            args_file,
            records,
            concurrency,
            requests,
            label,
            warmup,
            out,
        } => {
            let args = match args_file {
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) => {
                        eprintln!("{}: {e}", path.display());
                        std::process::exit(2);
                    }
                },
                None => args,
            };
            mcp_scenario(
                url,
                tokens,
                tool,
                args,
                records,
                &concurrency,
                requests,
                label,
                warmup,
                out,
            )
            .await
        }
        Cmd::Web {
            base,
            user,
            password,
            path,
            concurrency,
            requests,
            label,
            out,
        } => {
            web_scenario(
                base,
                user,
                password,
                path,
                &concurrency,
                requests,
                label,
                out,
            )
            .await
        }
        Cmd::Engine {
            database_url,
            user,
            requests,
            out,
        } => {
            if let Err(e) = engine_scenario(database_url, user, requests, out).await {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// `formwork-bench photo`: the picture scaled (Lanczos) to about `megapixels`, as JPEG in base64
/// inside a tool's arguments.
fn photo_args(
    from: &std::path::Path,
    megapixels: f64,
    out: &std::path::Path,
    field: &str,
    with: &str,
) {
    use base64::Engine as _;
    let fail = |what: String| -> ! {
        eprintln!("photo: {what}");
        std::process::exit(2);
    };
    let img = image::open(from).unwrap_or_else(|e| fail(format!("{}: {e}", from.display())));
    let scale = (megapixels * 1e6 / (f64::from(img.width()) * f64::from(img.height()))).sqrt();
    let (w, h) = (
        (f64::from(img.width()) * scale).round() as u32,
        (f64::from(img.height()) * scale).round() as u32,
    );
    let big = img.resize_exact(w, h, image::imageops::FilterType::Lanczos3);
    let mut jpeg = std::io::Cursor::new(Vec::new());
    if let Err(e) = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&big.to_rgb8())
    {
        fail(format!("encoding: {e}"));
    }
    let jpeg = jpeg.into_inner();
    let mut args: serde_json::Value =
        serde_json::from_str(with).unwrap_or_else(|e| fail(format!("--with: {e}")));
    let Some(obj) = args.as_object_mut() else {
        fail("--with must be a JSON object".into())
    };
    obj.insert(
        field.to_string(),
        serde_json::json!({
            "filename": "photo.jpg",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(&jpeg),
        }),
    );
    if let Err(e) = std::fs::write(out, args.to_string()) {
        fail(format!("{}: {e}", out.display()));
    }
    println!(
        "{}: {w} × {h} ({:.1} MP), {:.2} MB JPEG",
        out.display(),
        f64::from(w) * f64::from(h) / 1e6,
        jpeg.len() as f64 / 1e6
    );
}
