//! Faults: a full disk under the SQLite database. SQLite's `max_page_count` (the server's
//! `--sqlite-max-pages`) makes the database "full" on demand, with no special mount: the test
//! fills the file up to the cap from a connection of its own, lets the server hit SQLITE_FULL
//! under concurrent writes, then frees the space and checks that the server recovers without a
//! restart and that every write it acknowledged is there after one.
use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::collections::BTreeSet;

/// Pages the server may use; the ballast fills the rest.
const MAX_PAGES: u64 = 3000;

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<u64, sea_orm::DbErr> {
    Ok(db
        .execute(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .rows_affected())
}

/// Fills the database up to `MAX_PAGES` with ballast rows; returns how many were written.
async fn fill(db: &DatabaseConnection) -> u64 {
    exec(db, &format!("PRAGMA max_page_count = {MAX_PAGES}"))
        .await
        .unwrap();
    exec(db, "CREATE TABLE IF NOT EXISTS ballast (b BLOB)")
        .await
        .unwrap();
    let mut rows = 0;
    // Big rows first, then small ones, so the last free pages are used too.
    for size in [64_000, 4_000, 500] {
        loop {
            match exec(
                db,
                &format!("INSERT INTO ballast (b) VALUES (randomblob({size}))"),
            )
            .await
            {
                Ok(_) => rows += 1,
                Err(e) => {
                    assert!(e.to_string().contains("full"), "unexpected error: {e}");
                    break;
                }
            }
        }
    }
    rows
}

/// Creates a claim over the web; `Ok(id)` only when the server acknowledged it.
async fn try_new_claim(s: &Session, purpose: &str) -> Result<i64, (StatusCode, String)> {
    let r = s
        .run_op(
            "new_claim",
            None,
            &[("purpose", purpose), ("category", "Travel")],
            None,
        )
        .await;
    if r.status() == StatusCode::SEE_OTHER {
        Ok(record_id_of(&r))
    } else {
        Err((r.status(), r.text().await.unwrap_or_default()))
    }
}

/// A burst of concurrent creates from two people; returns (acknowledged id → purpose, refusals).
async fn burst(
    sessions: &[&Session],
    tag: &str,
    n: usize,
) -> (Vec<(i64, String)>, Vec<(StatusCode, String)>) {
    let mut tasks = Vec::new();
    for i in 0..n {
        let s = sessions[i % sessions.len()];
        let purpose = format!("{tag} {i}");
        tasks.push(async move { (purpose.clone(), try_new_claim(s, &purpose).await) });
    }
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    for (purpose, r) in futures_util::future::join_all(tasks).await {
        match r {
            Ok(id) => ok.push((id, purpose)),
            Err(e) => refused.push(e),
        }
    }
    (ok, refused)
}

#[tokio::test]
async fn a_full_database_disk_loses_no_acknowledged_write_and_the_server_recovers() {
    if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        // SQLite's page cap has no PostgreSQL equivalent; the tmpfs fault test in CI covers the
        // disk itself (tests/faults/disk_full.sh).
        return;
    }
    let app = spawn_app_with(&["--sqlite-max-pages", &MAX_PAGES.to_string()]).await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let mut acknowledged: Vec<(i64, String)> = Vec::new();

    let (ok, refused) = burst(&[&alice, &bob], "before", 6).await;
    assert!(refused.is_empty(), "writes failed with room: {refused:?}");
    acknowledged.extend(ok);

    // Fill the disk from outside, leaving the server no room.
    let side = Database::connect(&app.db_url).await.unwrap();
    let ballast = fill(&side).await;
    assert!(ballast > 10, "ballast rows: {ballast}");

    // While full: writes fail with a clear error (503, saying nothing was saved), never 500;
    // several rounds, so failed connections would be reused if they went back to the pool.
    for round in 0..4 {
        let (ok, refused) = burst(&[&alice, &bob], &format!("full {round}"), 8).await;
        for (status, body) in &refused {
            assert_eq!(
                *status,
                StatusCode::SERVICE_UNAVAILABLE,
                "a write on a full disk must say so: {body}"
            );
            assert!(body.contains("storage is full"), "{body}");
        }
        acknowledged.extend(ok);
    }
    // Reads keep working: the record list and an MCP view call (the token's check writes only
    // when it can).
    let (status, _) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert_eq!(status, StatusCode::OK);
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        serde_json::json!({}),
    )
    .await;
    assert!(r.get("error").is_none(), "MCP read while full: {r}");

    // Space comes back: the server works again at once, without a restart.
    exec(&side, "DROP TABLE ballast").await.unwrap();
    side.close().await.unwrap();
    let started = std::time::Instant::now();
    let (ok, refused) = burst(&[&alice, &bob], "after", 12).await;
    assert!(
        refused.is_empty(),
        "writes still fail after space was freed: {refused:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "writes waited on a lock for {:?}",
        started.elapsed()
    );
    acknowledged.extend(ok);
    let carol = app.sign_in("maria").await; // sign-in writes a session
    let (status, _) = carol.get_text("/profile").await;
    assert_eq!(status, StatusCode::OK);
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        serde_json::json!({}),
    )
    .await;
    assert!(r.get("error").is_none(), "MCP after recovery: {r}");

    // Ids are never handed out twice.
    let ids: BTreeSet<i64> = acknowledged.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids.len(),
        acknowledged.len(),
        "an id was acknowledged twice"
    );

    // After `kill -9`, every acknowledged write is there, as written.
    drop((alice, bob, carol));
    let mut app = app;
    app.kill();
    let found = count_acknowledged(&app, &acknowledged).await;
    println!(
        "full disk (SQLite page cap): {} writes acknowledged, {found} found after kill -9",
        acknowledged.len()
    );
}

/// Checks, straight in the database, that every acknowledged record is there with the purpose it
/// was created with, and that no id was acknowledged twice; returns how many were found.
async fn count_acknowledged(app: &TestApp, acknowledged: &[(i64, String)]) -> usize {
    let ids: BTreeSet<i64> = acknowledged.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids.len(),
        acknowledged.len(),
        "an id was acknowledged twice"
    );
    let db = Database::connect(&app.db_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT data->>'purpose' AS p FROM records WHERE id = $1"
        }
        _ => "SELECT json_extract(data, '$.purpose') AS p FROM records WHERE id = ?",
    };
    let mut found = 0;
    for (id, purpose) in acknowledged {
        let row = db
            .query_one(Statement::from_sql_and_values(
                backend,
                sql,
                vec![(*id).into()],
            ))
            .await
            .unwrap();
        let stored: Option<String> = row.and_then(|r| r.try_get("", "p").ok());
        assert_eq!(
            stored.as_deref(),
            Some(purpose.as_str()),
            "acknowledged record {id} is missing"
        );
        found += 1;
    }
    if backend == sea_orm::DatabaseBackend::Sqlite {
        let check = db
            .query_one(Statement::from_string(backend, "PRAGMA integrity_check"))
            .await
            .unwrap()
            .unwrap();
        let verdict: String = check.try_get_by_index(0).unwrap();
        assert_eq!(verdict, "ok");
    }
    db.close().await.ok();
    found
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `mib` MiB; needs root (CI and the development machine run as root).
    fn mount(mib: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a ballast file until the disk is full; returns its size in bytes.
    fn fill(&self) -> u64 {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join("ballast")).unwrap();
        let mut written = 0u64;
        for chunk in [1 << 20, 4096, 512] {
            let buf = vec![7u8; chunk];
            while f.write_all(&buf).is_ok() {
                written += chunk as u64;
            }
        }
        let _ = f.sync_all();
        written
    }

    fn free(&self) {
        std::fs::remove_file(self.path().join("ballast")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Uploads a receipt to a new claim over the web; the status code.
async fn upload_status(s: &Session, seed: u8) -> StatusCode {
    let r = s
        .run_op(
            "new_claim",
            None,
            &[("purpose", "with receipt"), ("category", "Travel")],
            Some(("receipt", "r.png", png_receipt(seed))),
        )
        .await;
    let status = r.status();
    if status != StatusCode::SEE_OTHER {
        let body = r.text().await.unwrap_or_default();
        let msg: String = body
            .split("class=\"error")
            .skip(1)
            .map(|p| p.chars().take(300).collect::<String>())
            .collect();
        println!("upload answered {status}: {msg}");
    }
    status
}

#[tokio::test]
async fn a_full_disk_under_the_data_directory_loses_no_acknowledged_write() {
    let Some(disk) = SmallDisk::mount(24) else {
        if std::env::var("FORMWORK_NO_TMPFS").is_ok() {
            println!("SKIPPED: FORMWORK_NO_TMPFS is set and no tmpfs could be mounted");
            return;
        }
        panic!("mounting a tmpfs failed: this test needs root (FORMWORK_NO_TMPFS=1 skips it)");
    };
    let app = spawn_app_in(Some(disk.path()), &[]).await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let mut acknowledged: Vec<(i64, String)> = Vec::new();
    let (ok, refused) = burst(&[&alice, &bob], "before", 6).await;
    assert!(refused.is_empty(), "writes failed with room: {refused:?}");
    acknowledged.extend(ok);
    assert_eq!(upload_status(&alice, 1).await, StatusCode::SEE_OTHER);

    let ballast = disk.fill();
    let mut refusals = 0;
    for round in 0..4 {
        let (ok, refused) = burst(&[&alice, &bob], &format!("full {round}"), 8).await;
        for (status, body) in &refused {
            assert_eq!(
                *status,
                StatusCode::SERVICE_UNAVAILABLE,
                "a write on a full disk must say so: {body}"
            );
        }
        refusals += refused.len();
        acknowledged.extend(ok);
        // Files: refused with the same clear error, no temporary file left behind.
        let status = upload_status(&bob, 10 + round).await;
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::SEE_OTHER,
            "upload on a full disk: {status}"
        );
    }
    let (status, _) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert_eq!(status, StatusCode::OK, "reads work while the disk is full");

    disk.free();
    let (ok, refused) = burst(&[&alice, &bob], "after", 12).await;
    assert!(
        refused.is_empty(),
        "writes still fail after space came back: {refused:?}"
    );
    acknowledged.extend(ok);
    assert_eq!(upload_status(&alice, 99).await, StatusCode::SEE_OTHER);
    let maria = app.sign_in("maria").await;
    let (status, _) = maria.get_text("/profile").await;
    assert_eq!(status, StatusCode::OK);

    let leftovers: Vec<_> = walk(&app.dir.path().join("blobs"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".tmp"))
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    drop((alice, bob, maria));
    let mut app = app;
    app.kill();
    let found = count_acknowledged(&app, &acknowledged).await;
    println!(
        "full disk (tmpfs, {} KiB ballast): {} writes acknowledged, {refusals} refused, {found} found after kill -9",
        ballast / 1024,
        acknowledged.len()
    );
    drop(app);
    drop(disk);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Writers that create claims as fast as they can until told to stop; returns what was
/// acknowledged (id, purpose) and how many attempts failed.
async fn write_load(
    sessions: Vec<Session>,
    tag: &'static str,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<(i64, String)>, usize) {
    let mut tasks = Vec::new();
    for (w, s) in sessions.into_iter().enumerate() {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            let mut failed = 0;
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let purpose = format!("{tag} w{w} #{i}");
                i += 1;
                let sent = s
                    .http
                    .post(s.url("/apps/expense_claims/ops/new_claim"))
                    .multipart(
                        reqwest::multipart::Form::new()
                            .text("csrf", s.csrf.clone())
                            .text("purpose", purpose.clone())
                            .text("category", "Travel"),
                    )
                    .timeout(std::time::Duration::from_secs(10))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == StatusCode::SEE_OTHER => {
                        ok.push((record_id_of(&r), purpose))
                    }
                    _ => {
                        failed += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
            (ok, failed)
        }));
    }
    let mut ok = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (o, f) = t.await.unwrap();
        ok.extend(o);
        failed += f;
    }
    (ok, failed)
}

#[tokio::test]
async fn kill_9_under_write_load_loses_no_acknowledged_write() {
    let mut app = spawn_app().await;
    let mut sessions = Vec::new();
    for u in ["alice", "bob", "maria", "alice"] {
        sessions.push(app.sign_in(u).await);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::spawn(write_load(sessions, "load", stop.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.kill(); // mid-load: some requests are in flight
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (acknowledged, failed) = load.await.unwrap();
    assert!(
        acknowledged.len() > 10,
        "the load wrote: {}",
        acknowledged.len()
    );
    let found = count_acknowledged(&app, &acknowledged).await;
    // And the server starts again on the same database and takes writes.
    app.start(&[]);
    let alice = app.sign_in("alice").await;
    let after = alice.new_claim("after the crash").await;
    assert!(
        !acknowledged.iter().any(|(id, _)| *id == after),
        "an acknowledged id was handed out again"
    );
    println!(
        "kill -9 under load: {} writes acknowledged, {found} found after restart, {failed} failed in flight",
        acknowledged.len()
    );
}

/// PostgreSQL restarting under write load: writes in flight fail, the server recovers without a
/// restart of its own, and every acknowledged write is there. It restarts the shared server, so
/// it runs alone: `.ci/run` calls it with `--ignored --test-threads=1` on PostgreSQL.
#[tokio::test]
#[ignore = "restarts the PostgreSQL server; run alone (see .ci/run)"]
async fn a_postgresql_restart_under_write_load_loses_no_acknowledged_write() {
    if !std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        panic!("set DATABASE_URL to a PostgreSQL database for this test");
    }
    let app = spawn_app().await;
    let mut sessions = Vec::new();
    for u in ["alice", "bob", "maria"] {
        sessions.push(app.sign_in(u).await);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::spawn(write_load(sessions, "pg", stop.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let cluster = std::fs::read_dir("/etc/postgresql")
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .file_name();
    let restarted = std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect"])
        .arg(&cluster)
        .args(["main", "restart", "--mode", "fast"])
        .status()
        .unwrap();
    assert!(restarted.success());
    // Let the load run on after the restart: the server must recover by itself.
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (acknowledged, failed) = load.await.unwrap();
    let alice = app.sign_in("alice").await;
    alice.new_claim("after the database restart").await;
    let found = count_acknowledged(&app, &acknowledged).await;
    println!(
        "PostgreSQL restart under load: {} writes acknowledged, {found} found, {failed} failed during the restart",
        acknowledged.len()
    );
}
