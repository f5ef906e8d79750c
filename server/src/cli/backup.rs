//! `formwork backup --to FILE` and `formwork restore FILE`: a plain tar of a manifest, the list
//! of files, one JSON-lines file per table and the files themselves (docs/backup.md).
use super::DbArgs;
use crate::store::{BlobStore, Column, DumpedTable, Store};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const FORMAT: &str = "formwork-backup";
const FORMAT_VERSION: u32 = 1;
/// Rows loaded per batch during a restore.
const BATCH: usize = 1000;

/// `manifest.json`, the archive's first entry.
#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    format_version: u32,
    created_at: DateTime<Utc>,
    formwork_version: String,
    /// `sqlite` or `postgres`: where it came from (any can be restored into either).
    database: String,
    /// Applied schema migrations, oldest first.
    migrations: Vec<String>,
    /// Tables in load order.
    tables: Vec<DumpedTable>,
    files: FilesPart,
}

#[derive(Serialize, Deserialize)]
struct FilesPart {
    /// Whether the files' bytes are in the archive (`files/<ab>/<sha256>`), or only their list
    /// (they stay in the object store named by `store`).
    included: bool,
    count: u64,
    bytes: u64,
    store: String,
}

/// Writes a backup of the site to `to`: the database in one snapshot, then the files it refers
/// to. The archive is written under a temporary name and renamed when complete.
pub async fn backup(
    store: Store,
    blobs: BlobStore,
    to: &Path,
    with_files: bool,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let staging = sibling(to, "parts")?;
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let partial = sibling(to, "partial")?;
    let result = write_backup(&store, &blobs, to, &staging, &partial, with_files, now).await;
    let _ = std::fs::remove_dir_all(&staging);
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let (rows, files, bytes) = result?;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written to {}: {rows} rows, {files} file(s) ({bytes} bytes){}; {size} bytes in {:.1} s",
        to.display(),
        if matches!(blobs, BlobStore::Object(_)) && !with_files {
            format!(" listed, left in {}", blobs.describe())
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `<file>.<what>-<pid>` beside `file`.
fn sibling(file: &Path, what: &str) -> Result<PathBuf, String> {
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", file.display()))?;
    let mut n = name.to_os_string();
    n.push(format!(".{what}-{}", std::process::id()));
    Ok(file.with_file_name(n))
}

async fn write_backup(
    store: &Store,
    blobs: &BlobStore,
    to: &Path,
    staging: &Path,
    partial: &Path,
    with_files: bool,
    now: DateTime<Utc>,
) -> Result<(u64, u64, u64), String> {
    // Rows go to one JSON-lines file per table first: a tar entry states its size up front.
    let mut writers: BTreeMap<String, BufWriter<File>> = BTreeMap::new();
    let dump = store
        .dump(|table, row| {
            let w = match writers.entry(table.to_string()) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => v.insert(BufWriter::new(
                    File::create(staging.join(format!("{table}.jsonl")))?,
                )),
            };
            serde_json::to_writer(&mut *w, row)?;
            w.write_all(b"\n")
        })
        .await
        .map_err(|e| format!("cannot read the database: {e}"))?;
    for (_, mut w) in writers {
        w.flush().map_err(|e| e.to_string())?;
    }
    let included = with_files || matches!(blobs, BlobStore::Local(_));
    let file =
        File::create(partial).map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    let io = |e: std::io::Error| format!("cannot write {}: {e}", partial.display());
    // Files are checked first (every referenced one present, its bytes matching its name) so
    // the manifest can carry their sizes; their bytes are read again when appended at the end,
    // which keeps one file in memory at a time.
    let mut file_list = Vec::new();
    let mut total_bytes = 0u64;
    for sha in &dump.files {
        if !included {
            file_list.push(json!({ "sha256": sha }));
            continue;
        }
        let bytes = read_blob(blobs, sha).await?;
        total_bytes += bytes.len() as u64;
        file_list.push(json!({ "sha256": sha, "size": bytes.len() }));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_at: now,
        formwork_version: env!("CARGO_PKG_VERSION").into(),
        database: match store.dialect() {
            crate::store::Dialect::Sqlite => "sqlite".into(),
            crate::store::Dialect::Postgres => "postgres".into(),
        },
        migrations: dump.migrations.clone(),
        tables: dump.tables.clone(),
        files: FilesPart {
            included,
            count: dump.files.len() as u64,
            bytes: total_bytes,
            store: blobs.describe(),
        },
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    append(&mut tar, "manifest.json", &manifest_json).map_err(io)?;
    let mut list = Vec::new();
    for f in &file_list {
        serde_json::to_writer(&mut list, f).map_err(|e| e.to_string())?;
        list.push(b'\n');
    }
    append(&mut tar, "files.jsonl", &list).map_err(io)?;
    let mut rows = 0;
    for t in &dump.tables {
        rows += t.rows;
        let path = staging.join(format!("{}.jsonl", t.name));
        let name = format!("tables/{}.jsonl", t.name);
        if path.exists() {
            tar.append_path_with_name(&path, &name).map_err(io)?;
        } else {
            append(&mut tar, &name, b"").map_err(io)?;
        }
    }
    if included {
        for sha in &dump.files {
            let bytes = read_blob(blobs, sha).await?;
            let dir = sha.get(..2).unwrap_or("xx");
            append(&mut tar, &format!("files/{dir}/{sha}"), &bytes).map_err(io)?;
        }
    }
    let out = tar.into_inner().map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(partial, to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    Ok((rows, dump.files.len() as u64, total_bytes))
}

async fn read_blob(blobs: &BlobStore, sha: &str) -> Result<Vec<u8>, String> {
    let bytes = blobs
        .get(sha)
        .await
        .map_err(|e| format!("cannot read file {sha}: {e}"))?
        .ok_or_else(|| {
            format!(
                "file {sha}, which an attachment refers to, is missing from {} (is --blob-store the site's?)",
                blobs.describe()
            )
        })?;
    if hex::encode(Sha256::digest(&bytes)) != sha {
        return Err(format!(
            "file {sha} in {} does not hold the bytes its name says",
            blobs.describe()
        ));
    }
    Ok(bytes)
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
}

/// Restores a backup into the (empty) database and the configured file store.
pub async fn restore(db: &DbArgs, blobs: BlobStore, file: &Path) -> Result<(), String> {
    let started = std::time::Instant::now();
    let open = File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(open));
    let mut entries = archive
        .entries()
        .map_err(|e| format!("{} is not a backup: {e}", file.display()))?;
    let not_backup = |what: &str| format!("{} is not a Formwork backup: {what}", file.display());
    let manifest: Manifest = {
        let mut e = entries
            .next()
            .ok_or_else(|| not_backup("it is empty"))?
            .map_err(|e| not_backup(&e.to_string()))?;
        if entry_name(&e) != "manifest.json" {
            return Err(not_backup("its first entry is not manifest.json"));
        }
        let mut text = Vec::new();
        e.read_to_end(&mut text)
            .map_err(|e| not_backup(&e.to_string()))?;
        serde_json::from_slice(&text).map_err(|e| not_backup(&e.to_string()))?
    };
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(not_backup(&format!(
            "format {} {} (this Formwork reads {FORMAT} {FORMAT_VERSION})",
            manifest.format, manifest.format_version
        )));
    }
    let listed: Vec<String> = {
        let e = entries
            .next()
            .ok_or_else(|| not_backup("no files.jsonl"))?
            .map_err(|e| not_backup(&e.to_string()))?;
        if entry_name(&e) != "files.jsonl" {
            return Err(not_backup("its second entry is not files.jsonl"));
        }
        let mut out = Vec::new();
        for line in BufReader::new(e).lines() {
            let line = line.map_err(|e| not_backup(&e.to_string()))?;
            let v: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| not_backup(&e.to_string()))?;
            let sha = v["sha256"]
                .as_str()
                .ok_or_else(|| not_backup("a line of files.jsonl has no sha256"))?;
            out.push(sha.to_string());
        }
        out
    };
    if !manifest.files.included {
        // The files stayed in object storage: they must be in the store this site uses.
        let there: BTreeSet<String> = blobs
            .list()
            .await
            .map_err(|e| format!("cannot list {}: {e}", blobs.describe()))?
            .into_iter()
            .map(|b| b.sha256)
            .collect();
        let missing = listed.iter().filter(|s| !there.contains(*s)).count();
        if missing > 0 {
            return Err(format!(
                "{missing} of the backup's {} file(s) are not in {} (the backup lists them; it was made from {}): point --blob-store at the store that holds them",
                listed.len(),
                blobs.describe(),
                manifest.files.store
            ));
        }
    }
    std::fs::create_dir_all(&db.data_dir).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            db.data_dir.display()
        )
    })?;
    let store = Store::prepare_restore(&db.url(), &manifest.migrations)
        .await
        .map_err(|e| format!("cannot restore: {e}"))?;
    let restore = store.begin_restore().await.map_err(|e| e.to_string())?;
    let tables: BTreeMap<&str, &DumpedTable> = manifest
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut seen_tables = BTreeSet::new();
    let (mut rows, mut files) = (0u64, 0u64);
    for e in entries {
        let e = e.map_err(|e| not_backup(&e.to_string()))?;
        let name = entry_name(&e);
        if let Some(t) = name
            .strip_prefix("tables/")
            .and_then(|n| n.strip_suffix(".jsonl"))
        {
            let table = tables
                .get(t)
                .ok_or_else(|| not_backup(&format!("{name} is not in the manifest")))?;
            let n = load_table(&restore, &table.name, &table.columns, e).await?;
            if n != table.rows {
                return Err(not_backup(&format!(
                    "{name} holds {n} rows; the manifest says {}",
                    table.rows
                )));
            }
            rows += n;
            seen_tables.insert(table.name.clone());
        } else if let Some(sha) = name
            .strip_prefix("files/")
            .and_then(|n| n.rsplit('/').next())
        {
            let mut bytes = Vec::new();
            let mut e = e;
            e.read_to_end(&mut bytes)
                .map_err(|e| not_backup(&e.to_string()))?;
            let put = blobs
                .put(&bytes)
                .await
                .map_err(|e| format!("cannot store a file in {}: {e}", blobs.describe()))?;
            if put != sha {
                return Err(not_backup(&format!(
                    "{name} does not hold the bytes its name says"
                )));
            }
            files += 1;
        }
    }
    if let Some(t) = tables.keys().find(|t| !seen_tables.contains(**t)) {
        return Err(not_backup(&format!("table {t} is missing")));
    }
    if manifest.files.included && files != manifest.files.count {
        return Err(not_backup(&format!(
            "it holds {files} file(s); the manifest says {}",
            manifest.files.count
        )));
    }
    // The files are stored before the rows that point to them are committed.
    restore
        .finish(&manifest.tables)
        .await
        .map_err(|e| format!("cannot restore: {e}"))?;
    println!(
        "restored {} ({} backup of {}): {rows} rows, {} file(s){} in {:.1} s",
        file.display(),
        manifest.database,
        manifest.created_at.to_rfc3339(),
        listed.len(),
        if manifest.files.included {
            format!(" into {}", blobs.describe())
        } else {
            format!(" found in {}", blobs.describe())
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn entry_name<R: Read>(e: &tar::Entry<'_, R>) -> String {
    e.path()
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Loads one table's JSON lines in batches; returns how many rows it held.
async fn load_table<R: Read>(
    restore: &crate::store::Restore,
    table: &str,
    columns: &[Column],
    entry: tar::Entry<'_, R>,
) -> Result<u64, String> {
    let mut batch: Vec<Map<String, serde_json::Value>> = Vec::with_capacity(BATCH);
    let mut n = 0u64;
    let bad = |e: &dyn std::fmt::Display| format!("cannot restore {table}: {e}");
    for line in BufReader::new(entry).lines() {
        let line = line.map_err(|e| bad(&e))?;
        if line.is_empty() {
            continue;
        }
        batch.push(serde_json::from_str(&line).map_err(|e| bad(&e))?);
        n += 1;
        if batch.len() == BATCH {
            restore
                .insert(table, columns, &batch)
                .await
                .map_err(|e| bad(&e))?;
            batch.clear();
        }
    }
    restore
        .insert(table, columns, &batch)
        .await
        .map_err(|e| bad(&e))?;
    Ok(n)
}
