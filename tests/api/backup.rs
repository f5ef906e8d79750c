//! `formwork backup` while the site takes writes, and `formwork restore` into a fresh database:
//! the drill. On a PostgreSQL run (`DATABASE_URL=postgres://…`) the backup also goes through
//! SQLite and back.
use crate::helpers::{bin, png_receipt, spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What a backup holds: its manifest, each table's rows, and each file's SHA-256 of its bytes.
struct Contents {
    manifest: Value,
    tables: BTreeMap<String, Vec<Value>>,
    files: BTreeMap<String, String>,
}

fn read_backup(path: &Path) -> Contents {
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut manifest = Value::Null;
    let mut tables = BTreeMap::new();
    let mut files = BTreeMap::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        if name == "manifest.json" {
            manifest = serde_json::from_slice(&bytes).unwrap();
        } else if let Some(t) = name.strip_prefix("tables/") {
            let rows = String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            tables.insert(t.trim_end_matches(".jsonl").to_string(), rows);
        } else if let Some(f) = name.strip_prefix("files/") {
            let sha = f.rsplit('/').next().unwrap().to_string();
            files.insert(sha, hex::encode(Sha256::digest(&bytes)));
        }
    }
    Contents {
        manifest,
        tables,
        files,
    }
}

/// Runs the binary on a database and data directory; returns (success, stdout, stderr).
fn formwork(db_url: &str, data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(bin())
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("FORMWORK_DATA_DIR", data_dir)
        .env_remove("FORMWORK_BLOB_STORE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

static FRESH: AtomicU64 = AtomicU64::new(0);

/// An empty database of the kind `kind` (`sqlite` in `dir`, or a new PostgreSQL database next
/// to `DATABASE_URL`).
async fn empty_database(kind: &str, dir: &Path) -> String {
    if kind == "sqlite" {
        return format!("sqlite://{}/formwork.db?mode=rwc", dir.display());
    }
    let url = std::env::var("DATABASE_URL").unwrap();
    let name = format!(
        "fw_restore_{}_{}",
        std::process::id(),
        FRESH.fetch_add(1, Ordering::SeqCst)
    );
    use sea_orm::ConnectionTrait;
    let admin = sea_orm::Database::connect(&url).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.ok();
    let (prefix, _) = url.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

/// Drops a PostgreSQL database [`empty_database`] made, when the test ends.
struct Scratch(String);

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some((_, name)) = self.0.rsplit_once('/') else {
            return;
        };
        if !self.0.starts_with("postgres") {
            return;
        }
        let (name, admin) = (
            name.to_string(),
            std::env::var("DATABASE_URL").unwrap_or_default(),
        );
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                if let Ok(db) = sea_orm::Database::connect(&admin).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

fn on_postgres() -> bool {
    std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

/// A backup's snapshot is consistent: every history entry's record is in it, and each
/// record's latest history entry is its current version.
fn assert_consistent(c: &Contents) {
    let records: BTreeMap<i64, i64> = c.tables["records"]
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["version"].as_i64().unwrap()))
        .collect();
    let mut latest: BTreeMap<i64, i64> = BTreeMap::new();
    for h in &c.tables["history"] {
        let (id, v) = (
            h["record_id"].as_i64().unwrap(),
            h["record_version"].as_i64().unwrap(),
        );
        assert!(
            records.contains_key(&id),
            "history of record {id}, which is not in the backup"
        );
        let e = latest.entry(id).or_insert(v);
        *e = (*e).max(v);
    }
    for (id, version) in &records {
        assert_eq!(
            latest.get(id),
            Some(version),
            "record {id} at version {version}"
        );
    }
    let attached: BTreeSet<String> = c.tables["attachments"]
        .iter()
        .map(|a| a["sha256"].as_str().unwrap().to_string())
        .collect();
    for sha in &attached {
        assert_eq!(
            c.files.get(sha),
            Some(sha),
            "file {sha} in the backup, bytes intact"
        );
    }
}

/// Times as PostgreSQL keeps them (microseconds), so a SQLite dump compares with a PostgreSQL one.
fn to_micros(v: &Value) -> Value {
    match v {
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Value::String(
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            Err(_) => v.clone(),
        },
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), to_micros(v))).collect())
        }
        _ => v.clone(),
    }
}

fn assert_same_rows(a: &Contents, b: &Contents) {
    assert_eq!(
        a.tables.keys().collect::<Vec<_>>(),
        b.tables.keys().collect::<Vec<_>>()
    );
    for (t, rows) in &a.tables {
        let norm = |rows: &Vec<Value>| rows.iter().map(to_micros).collect::<Vec<_>>();
        assert_eq!(norm(rows), norm(&b.tables[t]), "table {t}");
    }
    assert_eq!(a.files, b.files);
    assert_eq!(a.manifest["migrations"], b.manifest["migrations"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_into_a_fresh_database_with_everything() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    for seed in 0..4u8 {
        let id = alice.new_claim("With a receipt").await;
        let r = alice
            .run_op(
                "upload_receipt",
                Some((id, 1)),
                &[],
                Some(("receipt", "r.png", png_receipt(40 + seed))),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    // Write load: two people creating and updating claims until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for user in ["alice", "bob"] {
        let s = app.sign_in(user).await;
        let stop = stop.clone();
        load.push(tokio::spawn(async move {
            let mut writes = 0u32;
            while !stop.load(Ordering::Relaxed) && writes < 400 {
                let id = s.new_claim("Under load").await;
                let r = s
                    .run_op(
                        "upload_receipt",
                        Some((id, 1)),
                        &[],
                        Some(("receipt", "l.png", png_receipt((writes % 200) as u8))),
                    )
                    .await;
                assert_eq!(r.status(), StatusCode::SEE_OTHER);
                writes += 2;
            }
            writes
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let file = app.dir.path().join("site.backup");
    let out = {
        let (url, dir, file) = (
            app.db_url.clone(),
            app.dir.path().to_path_buf(),
            file.clone(),
        );
        tokio::task::spawn_blocking(move || {
            formwork(&url, &dir, &["backup", "--to", file.to_str().unwrap()])
        })
        .await
        .unwrap()
    };
    assert!(out.0, "backup failed: {}", out.2);
    println!("{}", out.1.trim());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut writes = 0;
    for l in load {
        writes += l.await.unwrap();
    }
    let backup = read_backup(&file);
    assert_consistent(&backup);
    // The substring index is derived: left out, and filled again by the restored site's server.
    assert!(
        !backup
            .tables
            .keys()
            .any(|t| t.starts_with("record_texts") || t == "text_index_fields"),
        "{:?}",
        backup.tables.keys()
    );
    let records = backup.tables["records"].len();
    let total = crate::blobs_s3::count(&app, "SELECT COUNT(*) FROM records").await as usize;
    assert!(records >= 4 && records <= total, "{records} of {total}");
    assert!(writes > 0);
    println!("backup under load: {records} of {total} records in the snapshot, {writes} writes");

    // Restore into a fresh database of the same kind and a fresh data directory.
    let kind = if on_postgres() { "postgres" } else { "sqlite" };
    let target = tempfile::tempdir().unwrap();
    let url = empty_database(kind, target.path()).await;
    let _scratch = Scratch(url.clone());
    let (ok, stdout, stderr) = formwork(&url, target.path(), &["restore", file.to_str().unwrap()]);
    assert!(ok, "restore failed: {stderr}");
    assert!(stdout.contains("restored"), "{stdout}");
    let again = target.path().join("again.backup");
    let (ok, _, stderr) = formwork(
        &url,
        target.path(),
        &["backup", "--to", again.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    let restored = read_backup(&again);
    assert_same_rows(&backup, &restored);
    // The versions of the app, as the CLI lists them, are the same.
    let versions =
        |url: &str, dir: &Path| formwork(url, dir, &["app", "versions", "expense_claims"]).1;
    assert_eq!(
        versions(&url, target.path()),
        versions(&app.db_url, app.dir.path())
    );
    // A restored site takes new records with fresh ids (sequences moved past the restored ones).
    let (ok, _, stderr) = formwork(
        &url,
        target.path(),
        &["demo", "generate", "--claims", "3", "--users", "2"],
    );
    assert!(ok, "writes after a restore: {stderr}");

    // Restoring into a database that holds anything is refused, and changes nothing.
    let (ok, _, stderr) = formwork(&url, target.path(), &["restore", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("not empty"), "{stderr}");
    let (_, out, _) = formwork(&url, target.path(), &["app", "list"]);
    assert!(out.contains("expense_claims"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_the_other_database_and_back() {
    let app: TestApp = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Across databases").await;
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "x.png", png_receipt(90))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = app.dir.path().join("first.backup");
    let (ok, _, stderr) = formwork(
        &app.db_url,
        app.dir.path(),
        &["backup", "--to", first.to_str().unwrap()],
    );
    assert!(ok, "{stderr}");
    let original = read_backup(&first);
    // PostgreSQL → SQLite → PostgreSQL on a PostgreSQL run; SQLite → SQLite otherwise.
    let (there, back) = if on_postgres() {
        ("sqlite", "postgres")
    } else {
        ("sqlite", "sqlite")
    };
    let mut previous: PathBuf = first;
    let mut dirs = Vec::new();
    let mut scratch = Vec::new();
    for kind in [there, back] {
        let dir = tempfile::tempdir().unwrap();
        let url = empty_database(kind, dir.path()).await;
        scratch.push(Scratch(url.clone()));
        let (ok, _, stderr) = formwork(&url, dir.path(), &["restore", previous.to_str().unwrap()]);
        assert!(ok, "restore into {kind}: {stderr}");
        let next = dir.path().join("next.backup");
        let (ok, _, stderr) = formwork(
            &url,
            dir.path(),
            &["backup", "--to", next.to_str().unwrap()],
        );
        assert!(ok, "{stderr}");
        let copy = read_backup(&next);
        assert_eq!(copy.manifest["database"], kind);
        assert_same_rows(&original, &copy);
        // The directory (and the backup in it) stays for the next round.
        previous = next;
        dirs.push(dir);
    }
}
