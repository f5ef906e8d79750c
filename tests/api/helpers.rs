//! `spawn_app()` and typed helpers for driving a real server.
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

mod second_process;
pub use second_process::spawn_two_on_a_new_database;

pub const PASSWORD: &str = "correct-horse-42";

/// A running server with its own database.
pub struct TestApp {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub db_url: String,
    child: Child,
    pg_cleanup: Option<(String, String)>,
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_formwork"))
}

pub fn repo_root() -> PathBuf {
    // The directory cargo names when it runs the test, before the one baked in at build time:
    // cargo reuses a test binary built from another checkout into the same target directory when
    // the file times allow it, and that binary must still read this checkout's files (its .venv,
    // seed data), not the other one's.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh database URL: SQLite in `dir`, or a new PostgreSQL database next to `DATABASE_URL`.
async fn fresh_database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!(
                "fw_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                chrono::Utc::now().timestamp_micros() % 1_000_000
            );
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(&url)
                .await
                .expect("connect to DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (prefix, _) = url.rsplit_once('/').expect("database URL has a path");
            (format!("{prefix}/{name}"), Some((url.clone(), name)))
        }
        _ => (
            format!("sqlite://{}/formwork.db?mode=rwc", dir.display()),
            None,
        ),
    }
}

impl TestApp {
    /// Runs a CLI command against this app's database; returns stdout, panics on failure.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli_raw(args, stdin);
        assert!(
            out.status.success(),
            "formwork {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn cli_raw(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut child = Command::new(bin())
            .args(args)
            .env("DATABASE_URL", &self.db_url)
            .env("FORMWORK_DATA_DIR", self.dir.path())
            .current_dir(repo_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run formwork");
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server at once (SIGKILL), keeping its database and data directory.
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts `formwork serve` on this app's database and data directory (on a new port).
    pub fn start(&mut self, extra_args: &[&str]) {
        let mut child = Command::new(bin())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra_args)
            .env("DATABASE_URL", &self.db_url)
            .env("FORMWORK_DATA_DIR", self.dir.path())
            .env("FORMWORK_LOG", "warn")
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start formwork serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(url) = line.strip_prefix("formwork listening on ") {
                break url.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        self.child = child;
        self.base = base;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((url, name)) = self.pg_cleanup.take() {
            // Best effort: a fresh runtime, since Drop may run outside one.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(db) = sea_orm::Database::connect(&url).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Starts a server with the Expense Claims app published and users alice, bob (employees),
/// maria (manager) and admin; the MCP surface is on.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra_args: &[&str]) -> TestApp {
    spawn_app_in(None, extra_args).await
}

/// [`spawn_app_with`], with the data directory (SQLite database, files) made inside `parent`.
pub async fn spawn_app_in(parent: Option<&std::path::Path>, extra_args: &[&str]) -> TestApp {
    let dir = match parent {
        Some(p) => tempfile::tempdir_in(p).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let (db_url, pg_cleanup) = fresh_database(dir.path()).await;
    let mut app = TestApp {
        base: String::new(),
        dir,
        db_url,
        child: Command::new("true").spawn().unwrap(),
        pg_cleanup,
    };
    let def = repo_root().join("seed-data/apps/expense_claims.toml");
    app.cli(&["app", "import", def.to_str().unwrap(), "--publish"], None);
    for (u, roles) in [
        ("alice", &["employee"][..]),
        ("bob", &["employee"]),
        ("maria", &["manager", "employee"]),
        ("admin", &["admin"]),
    ] {
        let mut args = vec!["user", "add", "--username", u];
        for r in roles {
            args.push("--role");
            args.push(r);
        }
        app.cli(&args, Some(&format!("{PASSWORD}\n")));
    }
    // The sample app's routing: Alice and Bob report to Maria; totals in EUR from a few rates.
    for u in ["alice", "bob"] {
        app.cli(&["user", "set-manager", u, "maria"], None);
    }
    app.cli(&["rates", "home-currency", "EUR"], None);
    let rates = repo_root().join("tests/api/fixtures/rates.csv");
    app.cli(&["rates", "import", rates.to_str().unwrap()], None);
    app.start(extra_args);
    // The MCP surface is off on a new site; tests that need it on turn it on as admin.
    app
}

/// A browser-like client (cookies, no redirects followed). Idle connections are let go after
/// 2 s, well before the server's 5 s keep-alive ends them: a request sent on a connection the
/// server is closing at that moment gets no answer at all (seen once under load as an
/// "IncompleteMessage" error in the full-disk test on PostgreSQL).
pub fn client() -> Client {
    Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Pulls the first CSRF token out of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A signed-in web session.
pub struct Session {
    pub http: Client,
    pub base: String,
    pub csrf: String,
}

impl TestApp {
    pub async fn sign_in(&self, user: &str) -> Session {
        let http = client();
        let page = http
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&page);
        let resp = http
            .post(self.url("/login"))
            .form(&[
                ("username", user),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {user} failed"
        );
        let profile = http
            .get(self.url("/profile"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        Session {
            csrf: csrf_of(&profile),
            http,
            base: self.base.clone(),
        }
    }

    /// Turns the MCP surface on (as admin).
    pub async fn enable_mcp(&self) {
        let admin = self.sign_in("admin").await;
        let r = admin
            .post_form("/admin/integration/mcp", &[("enabled", "on")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // The switch is cached for up to a second.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }

    /// A personal access token for a user, made with the CLI.
    pub fn token(&self, user: &str) -> String {
        self.cli(
            &["token", "create", "--user", user, "--name", "tests"],
            None,
        )
        .trim()
        .to_string()
    }
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        (r.status(), r.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut f: Vec<(&str, &str)> = fields.to_vec();
        f.push(("csrf", &self.csrf));
        self.http
            .post(self.url(path))
            .form(&f)
            .send()
            .await
            .unwrap()
    }

    /// Runs an operation form (multipart), with an optional file (field, name, bytes).
    pub async fn run_op(
        &self,
        op: &str,
        record: Option<(i64, i64)>,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> reqwest::Response {
        self.run_op_in("expense_claims", op, record, fields, file)
            .await
    }

    /// [`Session::run_op`] on an operation of another app (multipart; repeated names are
    /// repeated parts).
    pub async fn run_op_in(
        &self,
        app: &str,
        op: &str,
        record: Option<(i64, i64)>,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().text("csrf", self.csrf.clone());
        if let Some((id, version)) = record {
            form = form
                .text("_record", id.to_string())
                .text("_version", version.to_string());
        }
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((field, name, bytes)) = file {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        self.http
            .post(self.url(&format!("/apps/{app}/ops/{op}")))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Creates a claim; returns its id.
    pub async fn new_claim(&self, purpose: &str) -> i64 {
        let r = self
            .run_op(
                "new_claim",
                None,
                &[("purpose", purpose), ("category", "Travel")],
                None,
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "new claim failed: {}",
            r.text().await.unwrap()
        );
        record_id_of(&r)
    }
}

/// The record id in a redirect to a record page.
pub fn record_id_of(r: &reqwest::Response) -> i64 {
    let loc = r
        .headers()
        .get("location")
        .expect("redirect")
        .to_str()
        .unwrap();
    loc.rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .expect("record id in location")
}

/// Creates an expense claim and fills its receipt fields, the supplier's name under `field`
/// (`supplier`, or its name after a rename); returns its id.
pub async fn claim_with_supplier(s: &Session, purpose: &str, supplier: &str, field: &str) -> i64 {
    let id = s.new_claim(purpose).await;
    let r = s
        .run_op(
            "fill_receipt_fields",
            Some((id, version_of(s, id).await)),
            &[
                (field, supplier),
                ("expense_date", "2026-11-01"),
                ("currency", "EUR"),
                ("net", "20"),
                ("tax", "2"),
            ],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    id
}

/// The record's current version, read from its page.
pub async fn version_of(s: &Session, id: i64) -> i64 {
    let (_, html) = s
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    let marker = "Version ";
    let at = html.find(marker).expect("version on record page") + marker.len();
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A small valid PNG receipt (rendered here, not read from disk).
pub fn png_receipt(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 80, |x, y| {
        image::Rgb([seed, (x * 3) as u8, (y * 3) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JSON-RPC call to `/mcp` with a bearer token; returns (status, body JSON or Null).
pub async fn mcp(app: &TestApp, token: &str, method: &str, params: Value) -> (StatusCode, Value) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Protocol-Version", "2025-06-18")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Calls a tool; returns the `result` object (or the JSON-RPC error).
pub async fn call_tool(app: &TestApp, token: &str, name: &str, args: Value) -> Value {
    let (status, body) = mcp(
        app,
        token,
        "tools/call",
        json!({"name": name, "arguments": args}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "tools/call {name}: {body}");
    if body.get("error").is_some() {
        return body;
    }
    body["result"].clone()
}

pub async fn tool_names(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = mcp(app, token, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK, "tools/list: {body}");
    body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// The rows of a view tool's `structuredContent` as objects: View Columns rows are arrays in the
/// order of `columns`; Full rows are objects already.
pub fn rows_of(sc: &Value) -> Vec<Value> {
    let names: Vec<String> = sc["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    sc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| match r.as_array() {
            Some(cells) => {
                Value::Object(names.iter().cloned().zip(cells.iter().cloned()).collect())
            }
            None => r.clone(),
        })
        .collect()
}
