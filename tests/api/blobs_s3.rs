//! Files in S3-compatible object storage, against a real S3 server process: moto's standalone
//! server from the test venv (`.venv/bin/python -m moto.server`, installed by `tests/run` from
//! tests/python/requirements.txt). A missing moto fails these tests; it never skips them.
//! Between Formwork and moto sits a TCP relay the test can switch off: the store "down".
use crate::helpers::{bin, png_receipt, repo_root, spawn_app_with, Session, TestApp};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// moto's S3 server with one bucket, `formwork`.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Moto {
    pub async fn start() -> Moto {
        let python = repo_root().join(".venv/bin/python");
        let has_moto = Command::new(&python)
            .args(["-c", "import moto.server"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has_moto,
            "moto's S3 server is not installed in {}: run ./tests/run (it installs tests/python/requirements.txt into .venv), or .venv/bin/pip install -r tests/python/requirements.txt",
            python.display()
        );
        // Credentials for the clients (moto accepts any); every child process inherits them.
        std::env::set_var("AWS_ACCESS_KEY_ID", "formwork-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "formwork-test-secret");
        let port = free_port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto.server");
        let moto = Moto { child, port };
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(moto.url("/")).send().await.is_ok() {
                let r = http.put(moto.url("/formwork")).send().await.unwrap();
                assert!(r.status().is_success(), "create bucket: {}", r.status());
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("moto.server did not answer on port {port} within 20 s");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The `--blob-store` URL of the bucket reached through `port`.
    pub fn store_url(port: u16) -> String {
        format!("s3://formwork?endpoint=http://127.0.0.1:{port}&region=us-east-1")
    }

    /// The keys in the bucket, read from moto directly.
    pub async fn keys(&self) -> Vec<String> {
        let xml = reqwest::get(self.url("/formwork?list-type=2&max-keys=1000"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|k| k.split("</Key>").next().map(String::from))
            .collect()
    }
}

/// A TCP relay to moto that can be switched off: refused while off, and connections open at
/// that moment are cut.
struct Relay {
    port: u16,
    up: watch::Sender<bool>,
}

impl Relay {
    async fn start(target: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, rx) = watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut rx = rx.clone();
                tokio::spawn(async move {
                    if !*rx.borrow() {
                        return; // dropped: the client sees the connection closed
                    }
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = rx.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Relay { port, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

/// One number from the app's database.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get_by_index::<i64>(0).unwrap();
    db.close().await.ok();
    n
}

/// The attachment id a record's page links to.
async fn attachment_of(s: &Session, id: i64) -> i64 {
    let (_, html) = s
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    let at = html.find("href=\"/files/").expect("a file link") + "href=\"/files/".len();
    html[at..].split('"').next().unwrap().parse().unwrap()
}

async fn upload(s: &Session, id: i64, bytes: Vec<u8>) -> reqwest::Response {
    s.run_op(
        "upload_receipt",
        Some((id, 1)),
        &[],
        Some(("receipt", "r.png", bytes)),
    )
    .await
}

fn local_blob_dirs(app: &TestApp) -> usize {
    std::fs::read_dir(app.dir.path().join("blobs"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().len() == 2 && e.path().is_dir())
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_live_in_the_object_store_and_an_outage_leaves_nothing_half_written() {
    let moto = Moto::start().await;
    let relay = Relay::start(moto.port).await;
    let store = Moto::store_url(relay.port);
    let app = spawn_app_with(&["--blob-store", &store]).await;
    let alice = app.sign_in("alice").await;
    let http = reqwest::Client::new();
    let ready = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    // An upload goes to the bucket (original and derivatives), none to the data directory.
    let receipt = png_receipt(11);
    let id = alice.new_claim("Taxi").await;
    let r = upload(&alice, id, receipt.clone()).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let sha = hex::encode(Sha256::digest(&receipt));
    let keys = moto.keys().await;
    assert!(keys.contains(&format!("{}/{sha}", &sha[..2])), "{keys:?}");
    assert!(keys.len() >= 2, "original and thumbnail: {keys:?}");
    assert_eq!(local_blob_dirs(&app), 0, "nothing stored locally");
    let att = attachment_of(&alice, id).await;
    let got = alice.get(&format!("/files/{att}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().to_vec(), receipt);

    // The store goes down: /readyz says so, an upload fails with a clear message and nothing
    // is written — no object, no attachment row, the record unchanged.
    relay.set(false);
    let ready = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert!(
        body["files"].as_str().unwrap().starts_with("unreachable"),
        "{body}"
    );
    let objects_before = moto.keys().await.len();
    let rows_before = count(&app, "SELECT COUNT(*) FROM attachments").await;
    let second = alice.new_claim("Hotel").await;
    let other = png_receipt(12);
    let r = upload(&alice, second, other.clone()).await;
    // The form comes back with the reason; nothing was saved.
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let error = page.split("class=\"error").nth(1).unwrap_or(&page);
    assert!(error.contains("could not be stored"), "{error}");
    assert!(
        page.contains("s3://formwork"),
        "the message names the store: {page}"
    );
    assert_eq!(moto.keys().await.len(), objects_before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM attachments").await,
        rows_before
    );
    assert_eq!(crate::helpers::version_of(&alice, second).await, 1);

    // Back up: the same upload works, and /readyz is ready again.
    relay.set(true);
    let r = upload(&alice, second, other.clone()).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let ready = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    // A crash between object and row leaves an unreferenced object: gc removes it (and only
    // it, and only once it is older than the limit).
    let orphan = b"left by a crash".to_vec();
    let orphan_sha = hex::encode(Sha256::digest(&orphan));
    let r = http
        .put(moto.url(&format!("/formwork/{}/{orphan_sha}", &orphan_sha[..2])))
        .body(orphan)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let direct = Moto::store_url(moto.port);
    let out = app.cli(&["--blob-store", &direct, "blobs", "gc"], None);
    assert!(out.contains("removed 0 unreferenced"), "{out}");
    assert!(out.contains("1 unreferenced but younger"), "{out}");
    let out = app.cli(
        &[
            "--blob-store",
            &direct,
            "blobs",
            "gc",
            "--min-age-secs",
            "0",
        ],
        None,
    );
    assert!(out.contains("removed 1 unreferenced"), "{out}");
    let keys = moto.keys().await;
    assert!(!keys.iter().any(|k| k.ends_with(&orphan_sha)), "{keys:?}");
    let got = alice.get(&format!("/files/{att}/thumb")).await;
    assert_eq!(got.status(), StatusCode::OK, "derivatives are referenced");
    let got = alice.get(&format!("/files/{att}")).await;
    assert_eq!(got.bytes().await.unwrap().to_vec(), receipt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_moves_its_files_from_the_data_directory_to_object_storage_and_back() {
    let moto = Moto::start().await;
    let mut app = spawn_app_with(&[]).await;
    let alice = app.sign_in("alice").await;
    let mut files = Vec::new();
    for seed in [21u8, 22, 23] {
        let id = alice.new_claim("Train").await;
        let receipt = png_receipt(seed);
        let r = upload(&alice, id, receipt.clone()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        files.push((attachment_of(&alice, id).await, receipt));
    }
    let store = Moto::store_url(moto.port);
    let out = app.cli(&["blobs", "migrate", "--to", &store], None);
    assert!(
        out.contains("every referenced file is in s3://formwork"),
        "{out}"
    );
    // Again: nothing left to copy.
    let out = app.cli(&["blobs", "migrate", "--to", &store], None);
    assert!(out.contains("copied 0 file(s)"), "{out}");

    // The site switches over; its local files are gone and everything is still there.
    app.kill();
    std::fs::remove_dir_all(app.dir.path().join("blobs")).unwrap();
    app.start(&["--blob-store", &store]);
    let alice = app.sign_in("alice").await;
    for (att, bytes) in &files {
        let got = alice.get(&format!("/files/{att}")).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(&got.bytes().await.unwrap().to_vec(), bytes);
    }

    // And back to the data directory.
    let out = app.cli(
        &["--blob-store", &store, "blobs", "migrate", "--to", "local"],
        None,
    );
    assert!(out.contains("every referenced file is in"), "{out}");
    app.kill();
    app.start(&[]);
    let alice = app.sign_in("alice").await;
    for (att, bytes) in &files {
        let got = alice.get(&format!("/files/{att}")).await;
        assert_eq!(&got.bytes().await.unwrap().to_vec(), bytes);
    }
    // A store URL that cannot work is refused with its reason, naming no secret.
    let out = std::process::Command::new(bin())
        .args(["blobs", "gc", "--blob-store", "s3://?region=x"])
        .env("FORMWORK_DATA_DIR", app.dir.path())
        .env("DATABASE_URL", &app.db_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no bucket"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_site_in_object_storage_lists_its_files_and_restores_against_the_bucket() {
    let moto = Moto::start().await;
    let store = Moto::store_url(moto.port);
    let app = spawn_app_with(&["--blob-store", &store]).await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Flight").await;
    let receipt = png_receipt(31);
    let r = upload(&alice, id, receipt.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let att = attachment_of(&alice, id).await;

    // By default the files stay in the bucket and the backup lists them.
    let file = app.dir.path().join("site.backup");
    let out = app.cli(
        &[
            "--blob-store",
            &store,
            "backup",
            "--to",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.contains("listed, left in s3://formwork"), "{out}");
    let names: Vec<String> = tar::Archive::new(std::fs::File::open(&file).unwrap())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("files/")), "{names:?}");
    assert!(names.contains(&"files.jsonl".to_string()));

    // Restored against the data directory, which lacks the files: refused, nothing written.
    let target = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/formwork.db?mode=rwc", target.path().display());
    let restore = |store: Option<&str>| {
        let mut cmd = Command::new(bin());
        cmd.args(["restore", file.to_str().unwrap()])
            .env("DATABASE_URL", &url)
            .env("FORMWORK_DATA_DIR", target.path());
        if let Some(s) = store {
            cmd.args(["--blob-store", s]);
        }
        cmd.output().unwrap()
    };
    let out = restore(None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("are not in"), "{err}");
    // Against the bucket: restored (a restore only checks the listed files are there).
    let out = restore(Some(&store));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.contains("found in s3://formwork"), "{out}");
    let (ok, stdout) = {
        let o = Command::new(bin())
            .args(["app", "list"])
            .env("DATABASE_URL", &url)
            .env("FORMWORK_DATA_DIR", target.path())
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    assert!(ok && stdout.contains("expense_claims"), "{stdout}");
    // The backup took nothing from the bucket.
    let got = alice.get(&format!("/files/{att}")).await;
    assert_eq!(got.bytes().await.unwrap().to_vec(), receipt);
}
