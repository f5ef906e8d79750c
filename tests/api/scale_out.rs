//! Several processes (issue 17): two `formwork serve` processes on one database (the same SQLite
//! file, or one PostgreSQL database) and one object store (moto's S3 server), as behind a load
//! balancer. A bounded load spread over both loses and doubles no write; a publish on one is seen
//! by the other; sign-in lockouts and address limits count across both; a file uploaded through
//! one is served by the other.
use crate::blobs_s3::Moto;
use crate::hardening_web::attempt;
use crate::helpers::*;
use crate::scale_out_load::{
    event_stream, fill, listed_version, publish_and_watch, session_on, Ack, Tally, Worker,
};
use base64::Engine as _;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

const WORKERS: usize = 8;
const USERS: [&str; 3] = ["alice", "bob", "maria"];

/// Every row of `sql` from the app's database, each as its columns' texts and numbers.
async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let rows = db
        .query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows
}

/// Every record as (version, data), by id.
async fn records(app: &TestApp) -> BTreeMap<i64, (i64, Value)> {
    rows(app, "SELECT id, version, CAST(data AS TEXT) FROM records")
        .await
        .iter()
        .map(|r| {
            let data: String = r.try_get_by_index(2).unwrap();
            (
                r.try_get_by_index::<i64>(0).unwrap(),
                (
                    r.try_get_by_index(1).unwrap(),
                    serde_json::from_str(&data).unwrap(),
                ),
            )
        })
        .collect()
}

/// Every history entry's changes, by (record id, record version); a doubled entry fails here.
async fn history(app: &TestApp) -> HashMap<(i64, i64), String> {
    let mut entries = HashMap::new();
    for r in rows(
        app,
        "SELECT record_id, record_version, changes FROM history",
    )
    .await
    {
        let key = (
            r.try_get_by_index::<i64>(0).unwrap(),
            r.try_get_by_index::<i64>(1).unwrap(),
        );
        let changes: String = r.try_get_by_index(2).unwrap();
        assert!(
            entries.insert(key, changes).is_none(),
            "two history entries for record {} version {}",
            key.0,
            key.1
        );
    }
    entries
}

/// Checks the database against what the processes acknowledged: each contended record is at
/// exactly one version per acknowledged update, each with its one history entry; each
/// acknowledged creation is one record; nothing else was written.
async fn check_every_acknowledged_write_once(
    app: &TestApp,
    contended: &[i64],
    acks: &[Ack],
    tallies: &[Tally],
) {
    let records = records(app).await;
    let history = history(app).await;
    for &c in contended {
        let mut mine: Vec<&Ack> = acks.iter().filter(|a| a.record == c).collect();
        mine.sort_by_key(|a| a.version);
        let (version, data) = &records[&c];
        let versions: Vec<i64> = mine.iter().map(|a| a.version).collect();
        assert_eq!(
            versions,
            (2..=*version).collect::<Vec<_>>(),
            "record {c}: one acknowledged update per version, none lost or doubled"
        );
        let last = mine.last().expect("updates acknowledged");
        assert_eq!(data["supplier"], last.supplier.as_str(), "record {c}");
        for v in 1..=*version {
            assert!(
                history.contains_key(&(c, v)),
                "record {c}: history of version {v}"
            );
        }
        for a in &mine {
            assert!(
                history[&(c, a.version)].contains(&a.supplier),
                "record {c} version {}: the history entry is the acknowledged write",
                a.version
            );
        }
    }
    let created: Vec<&(String, i64)> = tallies.iter().flat_map(|t| &t.created).collect();
    for (purpose, id) in &created {
        let same: Vec<&i64> = records
            .iter()
            .filter(|(_, (_, d))| d["purpose"] == purpose.as_str())
            .map(|(id, _)| id)
            .collect();
        assert_eq!(same, vec![id], "{purpose}: created once");
        assert_eq!(records[id].0, 1, "{purpose}: version 1");
        assert!(
            history.contains_key(&(*id, 1)),
            "{purpose}: its history entry"
        );
    }
    assert_eq!(
        records.len(),
        contended.len() + created.len(),
        "no unacknowledged record"
    );
    assert_eq!(
        history.len(),
        records.values().map(|(v, _)| *v as usize).sum::<usize>()
    );
    let shas: HashMap<i64, String> = rows(app, "SELECT id, sha256 FROM attachments")
        .await
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    for u in tallies.iter().flat_map(|t| &t.uploads) {
        let att = records[&u.record].1["receipt"].as_i64().expect("a receipt");
        assert_eq!(shas[&att], hex::encode(Sha256::digest(&u.bytes)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_database_and_bucket_lose_no_write_and_share_publishes_and_files() {
    let moto = Moto::start().await;
    let store = Moto::store_url(moto.port);
    let a = spawn_app_with(&["--blob-store", &store]).await;
    let b = a.second_process(&["--blob-store", &store]);
    a.enable_mcp().await;
    let mut sessions = Vec::new();
    let mut tokens = Vec::new();
    let mut contended = Vec::new();
    for u in USERS {
        let s = a.sign_in(u).await;
        contended.push(s.new_claim(&format!("Shared claim of {u}")).await);
        sessions.push(s);
        tokens.push(a.token(u));
    }

    // A write on B at the version read on A, then A's own write at that version: refused.
    let first = contended[0];
    let read = listed_version(&a, &tokens[0], first).await;
    assert_eq!(
        fill(&b, &tokens[0], first, read, "from B").await,
        Ok(read + 1)
    );
    let refused = fill(&a, &tokens[0], first, read, "from A").await;
    assert_eq!(refused, Err("stale_version".to_string()));
    let mut acks = vec![Ack {
        record: first,
        version: read + 1,
        supplier: "from B".into(),
    }];

    let workers: Vec<Worker> = (0..WORKERS)
        .map(|n| Worker {
            n,
            token: tokens[n % USERS.len()].clone(),
            session: &sessions[n % USERS.len()],
            contended: contended[n % USERS.len()],
        })
        .collect();
    // A publish through A while the load runs: B lists it and announces it.
    let admin = a.sign_in("admin").await;
    let mut stream = event_stream(&b, &tokens[0]).await;
    let started = Instant::now();
    let (tallies, during_load) =
        tokio::join!(join_all(workers.iter().map(|w| w.run([&a, &b]))), async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let marker = "Your own claims, as published on A under load.";
            let limit = Duration::from_secs(10);
            publish_and_watch(&admin, &b, &tokens[0], &mut stream, marker, limit).await
        });
    let elapsed = started.elapsed();
    let sum = |f: fn(&Tally) -> usize| tallies.iter().map(f).sum::<usize>();
    let busy = |k: usize| tallies.iter().map(|t| t.busy[k]).sum::<Duration>();
    let (updates, stale) = (sum(|t| t.updates.len()), sum(|t| t.stale));
    let (reads, uploads) = (sum(|t| t.reads), sum(|t| t.uploads.len()));
    let creations = sum(|t| t.created.len()) - uploads;
    let ms = |k: usize, n: usize| busy(k).as_secs_f64() * 1000.0 / n.max(1) as f64;
    println!(
        "scale-out load: {} operations by {WORKERS} workers in {:.2} s ({} on A, {} on B): \
         {reads} MCP reads ({:.0} ms mean), {updates} updates acknowledged and {stale} refused \
         as stale ({:.0} ms), {creations} MCP creations ({:.0} ms), {uploads} web uploads ({:.0} ms)",
        sum(|t| t.per_process.iter().sum()),
        elapsed.as_secs_f64(),
        sum(|t| t.per_process[0]),
        sum(|t| t.per_process[1]),
        ms(0, reads),
        ms(1, updates + stale),
        ms(2, creations),
        ms(3, uploads),
    );
    acks.extend(tallies.iter().flat_map(|t| &t.updates).map(|u| Ack {
        record: u.record,
        version: u.version,
        supplier: u.supplier.clone(),
    }));
    check_every_acknowledged_write_once(&a, &contended, &acks, &tallies).await;

    // A file uploaded through one process is served by the other: the original on the web,
    // and the MCP read tool's image, the rendition the uploading process made.
    let found = records(&a).await;
    for (n, t) in tallies.iter().enumerate().take(2) {
        let u = t.uploads.first().expect("an upload");
        let (here, there) = if u.process == 0 { (&a, &b) } else { (&b, &a) };
        let owner = n % USERS.len();
        let att = found[&u.record].1["receipt"].as_i64().unwrap();
        let got = session_on(&sessions[owner], there)
            .get(&format!("/files/{att}"))
            .await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(
            got.bytes().await.unwrap().to_vec(),
            u.bytes,
            "the same bytes"
        );
        let rendition = session_on(&sessions[owner], here)
            .get(&format!("/files/{att}/mcp"))
            .await;
        let rendition = rendition.bytes().await.unwrap().to_vec();
        let r = call_tool(
            there,
            &tokens[owner],
            "expense_claims_read_receipt",
            json!({"record_id": u.record}),
        )
        .await;
        assert_eq!(r["isError"], false, "{r}");
        assert_eq!(
            r["structuredContent"]["sha256"],
            hex::encode(Sha256::digest(&u.bytes))
        );
        let image = r["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "image")
            .expect("an image");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(image["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            bytes, rendition,
            "the rendition made by the uploading process"
        );
    }

    // Publishes through A on a quiet site: B lists each within 2 s (its catalog revalidates
    // once a second).
    let mut delays = vec![during_load];
    for round in 1..=3 {
        let marker = format!("Your own claims, as published on A (round {round}).");
        let limit = Duration::from_secs(2);
        delays.push(publish_and_watch(&admin, &b, &tokens[0], &mut stream, &marker, limit).await);
    }
    for (round, (listed, announced)) in delays.iter().enumerate() {
        println!(
            "publish on A {}: B's tools/list showed it after {} ms, its event stream after {} ms",
            if round == 0 {
                "under load".to_string()
            } else {
                format!("round {round}")
            },
            listed.as_millis(),
            announced.as_millis()
        );
    }
}

#[tokio::test]
async fn sign_in_lockouts_and_address_limits_count_across_both_processes() {
    // Both behind one proxy on loopback, so each attempt's address is the forwarded one.
    let proxy = ["--public-url", "http://127.0.0.1:1"];
    let a = spawn_app_with(&proxy).await;
    let b = a.second_process(&proxy);
    let apps = [&a, &b];

    // Five wrong passwords for bob, alternating processes, each from an address of its own:
    // the account locks at five, as on one process, and both refuse the right password.
    for i in 0..5 {
        let from = format!("10.3.0.{}", i + 1);
        let (status, message) = attempt(apps[i % 2], Some(&from), "bob", "wrong").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(message.contains("incorrect"), "attempt {i}: {message}");
    }
    for app in apps {
        let (status, message) = attempt(app, Some("10.3.1.1"), "bob", PASSWORD).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(message.contains("locked"), "{message}");
    }

    // One address guessing many names on both processes: 20 failures in all, then both
    // refuse that address, even with a right password; other addresses still sign in.
    let guesser = "198.51.100.7";
    for i in 0..20 {
        let (status, _) = attempt(apps[i % 2], Some(guesser), &format!("guess-{i}"), "x").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {i} is under the limit"
        );
    }
    for app in apps {
        let (status, _) = attempt(app, Some(guesser), "alice", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        // Signed in: the attempt's client follows the redirect to the home page.
        let (status, _) = attempt(app, Some("198.51.100.8"), "alice", PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn two_processes_started_together_on_a_new_database_both_migrate_it_and_serve() {
    // Whether the two migrations overlap depends on timing: a few rounds make it likely.
    for round in 0..3 {
        let (a, b) = spawn_two_on_a_new_database(&[]).await;
        a.cli(
            &["user", "add", "--username", "admin", "--role", "admin"],
            Some(&format!("{PASSWORD}\n")),
        );
        for app in [&a, &b] {
            let ready = reqwest::get(app.url("/readyz")).await.unwrap();
            assert_eq!(ready.status(), StatusCode::OK, "round {round}");
            app.sign_in("admin").await;
        }
    }
}
