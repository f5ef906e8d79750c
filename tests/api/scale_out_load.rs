//! What the scale-out test does to its two processes: a bounded load of workers that spread MCP
//! reads, MCP writes and web uploads over both, with a tally of what each process acknowledged,
//! and publishes made through one process and watched for on the other.
use crate::helpers::{call_tool, mcp, png_receipt, record_id_of, rows_of, Session, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// Operations per worker; every eighth is a web upload, the rest MCP reads and writes.
pub const OPS_PER_WORKER: usize = 32;

/// One acknowledged update of a contended record.
pub struct Ack {
    pub record: i64,
    pub version: i64,
    pub supplier: String,
}

/// One acknowledged web upload: the new record, the process that took it, the bytes sent.
pub struct Upload {
    pub record: i64,
    pub process: usize,
    pub bytes: Vec<u8>,
}

/// What one worker was told.
#[derive(Default)]
pub struct Tally {
    pub updates: Vec<Ack>,
    pub stale: usize,
    /// Acknowledged creations: (purpose, record id).
    pub created: Vec<(String, i64)>,
    pub uploads: Vec<Upload>,
    pub reads: usize,
    pub per_process: [usize; 2],
    /// Time spent waiting for answers, by kind: reads, updates, MCP creations, web uploads.
    pub busy: [Duration; 4],
}

/// A worker's identity: its number, user, bearer token and signed-in web session.
pub struct Worker<'a> {
    pub n: usize,
    pub token: String,
    pub session: &'a Session,
    /// The record every worker of the same user updates.
    pub contended: i64,
}

/// The same signed-in browser, pointed at another process (as behind one proxy origin).
pub fn session_on(s: &Session, app: &TestApp) -> Session {
    Session {
        http: s.http.clone(),
        base: app.base.clone(),
        csrf: s.csrf.clone(),
    }
}

/// The contended record's version as a view tool on `app` lists it.
pub async fn listed_version(app: &TestApp, token: &str, record: i64) -> i64 {
    let r = call_tool(
        app,
        token,
        "expense_claims_my_claims",
        json!({"limit": 200}),
    )
    .await;
    assert_eq!(r["isError"], false, "{r}");
    rows_of(&r["structuredContent"])
        .iter()
        .find(|row| row["id"] == record)
        .and_then(|row| row["version"].as_i64())
        .expect("the contended record is listed")
}

/// Fills the receipt fields of `record` at `expected` through `app`: Ok(new version), or
/// Err(error code).
pub async fn fill(
    app: &TestApp,
    token: &str,
    record: i64,
    expected: i64,
    supplier: &str,
) -> Result<i64, String> {
    let r = call_tool(
        app,
        token,
        "expense_claims_fill_receipt_fields",
        json!({"record_id": record, "expected_version": expected, "supplier": supplier,
               "expense_date": "2026-03-05", "net": "10", "tax": "1.90", "currency": "EUR"}),
    )
    .await;
    if r["isError"] == false {
        Ok(r["structuredContent"]["version"]
            .as_i64()
            .expect("a version"))
    } else {
        Err(r["structuredContent"]["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }
}

impl Worker<'_> {
    /// Runs the worker's operations, alternating processes: a version read on one process is
    /// used for a write on the other, so workers of one user race across processes.
    pub async fn run(&self, apps: [&TestApp; 2]) -> Tally {
        let mut t = Tally::default();
        let mut known = 1;
        for i in 0..OPS_PER_WORKER {
            let p = (self.n + i) % 2;
            let app = apps[p];
            let tag = format!("w{}-{i}", self.n);
            let started = Instant::now();
            let kind = match i % 8 {
                0 | 3 | 6 => {
                    known = listed_version(app, &self.token, self.contended).await;
                    t.reads += 1;
                    0
                }
                1 | 4 | 7 => {
                    match fill(app, &self.token, self.contended, known, &tag).await {
                        Ok(version) => {
                            known = version;
                            t.updates.push(Ack {
                                record: self.contended,
                                version,
                                supplier: tag,
                            });
                        }
                        Err(code) => {
                            assert_eq!(code, "stale_version", "worker {}: {tag}", self.n);
                            t.stale += 1;
                        }
                    }
                    1
                }
                2 => {
                    let purpose = format!("mcp {tag}");
                    let r = call_tool(
                        app,
                        &self.token,
                        "expense_claims_new_claim",
                        json!({"purpose": purpose, "category": "Travel"}),
                    )
                    .await;
                    assert_eq!(r["isError"], false, "{r}");
                    let id = r["structuredContent"]["record_id"].as_i64().expect("an id");
                    t.created.push((purpose, id));
                    2
                }
                _ => {
                    let purpose = format!("web {tag}");
                    let bytes = png_receipt((self.n * OPS_PER_WORKER + i) as u8);
                    let r = session_on(self.session, app)
                        .run_op(
                            "new_claim",
                            None,
                            &[("purpose", purpose.as_str()), ("category", "Meals")],
                            Some(("receipt", "receipt.png", bytes.clone())),
                        )
                        .await;
                    assert_eq!(r.status(), StatusCode::SEE_OTHER, "upload {tag}");
                    let record = record_id_of(&r);
                    t.created.push((purpose, record));
                    t.uploads.push(Upload {
                        record,
                        process: p,
                        bytes,
                    });
                    3
                }
            };
            t.busy[kind] += started.elapsed();
            t.per_process[p] += 1;
        }
        t
    }
}

/// The description of `tool` in `app`'s tool list for `token`.
async fn tool_description(app: &TestApp, token: &str, tool: &str) -> String {
    let (status, body) = mcp(app, token, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["name"] == tool)
        .and_then(|t| t["description"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// An open `GET /mcp` event stream of `app` for `token`.
pub async fn event_stream(app: &TestApp, token: &str) -> reqwest::Response {
    let stream = reqwest::Client::new()
        .get(app.url("/mcp"))
        .bearer_auth(token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .expect("GET /mcp");
    assert_eq!(stream.status(), StatusCode::OK);
    stream
}

/// Saves `marker` as the "My claims" view's description through `admin`'s process (its App
/// Editor) and publishes it; returns how long after the publish `b` listed it in `tools/list`
/// (waited for up to `limit`) and announced a change on `stream`, its event stream.
pub async fn publish_and_watch(
    admin: &Session,
    b: &TestApp,
    token: &str,
    stream: &mut reqwest::Response,
    marker: &str,
    limit: Duration,
) -> (Duration, Duration) {
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/views/my_claims",
            &[
                ("enabled", "on"),
                ("format", "columns"),
                ("description", marker),
                ("instructions", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let r = admin
        .post_form("/admin/apps/expense_claims/publish", &[("note", marker)])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let published = Instant::now();
    // Both watched at once, so each delay is when that surface showed the change.
    let listed = async {
        loop {
            if tool_description(b, token, "expense_claims_my_claims")
                .await
                .contains(marker)
            {
                break published.elapsed();
            }
            assert!(
                published.elapsed() < limit,
                "B still lists the old description {limit:?} after A published"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let announced = async {
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
                .await
                .expect("B's event stream announced the change")
                .expect("B's event stream reads")
                .expect("B's event stream is open");
            if String::from_utf8_lossy(&chunk).contains("notifications/tools/list_changed") {
                break published.elapsed();
            }
        }
    };
    let (listed, announced) = tokio::join!(listed, announced);
    (listed, announced)
}
