//! `formwork blobs gc` and `formwork blobs migrate --to URL`.
use crate::store::{BlobStore, Store};
use clap::Subcommand;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Subcommand)]
pub enum BlobsCommand {
    /// Remove files that no attachment refers to (left by an upload whose database row was
    /// never written, e.g. a crash between the two).
    Gc {
        /// Keep files younger than this many seconds: an upload in flight writes its file
        /// before its row.
        #[arg(long, default_value_t = 3600)]
        min_age_secs: u64,
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy every file to another store (`s3://…`, or `local` for the data directory); then
    /// start Formwork with `--blob-store` set to it. Files already there are skipped, so it
    /// can be run again after an interruption, and once more after the site is switched over.
    Migrate {
        #[arg(long)]
        to: String,
    },
}

pub async fn run(
    cmd: BlobsCommand,
    store: Store,
    blobs: BlobStore,
    data_dir: &Path,
) -> Result<(), String> {
    match cmd {
        BlobsCommand::Gc {
            min_age_secs,
            dry_run,
        } => gc(&store, &blobs, min_age_secs, dry_run).await,
        BlobsCommand::Migrate { to } => {
            let target = BlobStore::open(Some(&to), data_dir).map_err(|e| e.to_string())?;
            migrate(&store, &blobs, &target, &to).await
        }
    }
}

async fn gc(
    store: &Store,
    blobs: &BlobStore,
    min_age_secs: u64,
    dry_run: bool,
) -> Result<(), String> {
    // The listing first, the references second: a file whose row is written in between is
    // young, and kept by the age limit.
    let listed = blobs.list().await.map_err(|e| e.to_string())?;
    let referenced = store.referenced_blobs().await.map_err(|e| e.to_string())?;
    let cutoff = chrono::Utc::now() - chrono::Duration::seconds(min_age_secs as i64);
    let (mut removed, mut bytes, mut young) = (0u64, 0u64, 0u64);
    for b in &listed {
        if referenced.contains(&b.sha256) {
            continue;
        }
        if b.modified.is_none_or(|m| m > cutoff) {
            young += 1;
            continue;
        }
        if !dry_run {
            blobs.delete(&b.sha256).await.map_err(|e| e.to_string())?;
        }
        removed += 1;
        bytes += b.size;
    }
    println!(
        "{} {removed} unreferenced file(s) ({bytes} bytes) from {}; {} referenced; {young} unreferenced but younger than {min_age_secs} s kept",
        if dry_run { "would remove" } else { "removed" },
        blobs.describe(),
        listed.len() as u64 - removed - young,
    );
    Ok(())
}

async fn migrate(
    store: &Store,
    from: &BlobStore,
    target: &BlobStore,
    to: &str,
) -> Result<(), String> {
    if target.describe() == from.describe() {
        return Err(format!("the files are already in {}", target.describe()));
    }
    target
        .check_ready()
        .await
        .map_err(|e| format!("cannot use {}: {e}", target.describe()))?;
    let there: BTreeSet<String> = target
        .list()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|b| b.sha256)
        .collect();
    let listed = from.list().await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let (mut copied, mut bytes, mut skipped) = (0u64, 0u64, 0u64);
    for b in &listed {
        if there.contains(&b.sha256) {
            skipped += 1;
            continue;
        }
        let Some(data) = from.get(&b.sha256).await.map_err(|e| e.to_string())? else {
            continue; // removed since the listing (gc)
        };
        if hex::encode(Sha256::digest(&data)) != b.sha256 {
            return Err(format!(
                "{} in {} does not hold the bytes its name says; nothing more was copied",
                b.sha256,
                from.describe()
            ));
        }
        target.put(&data).await.map_err(|e| e.to_string())?;
        copied += 1;
        bytes += data.len() as u64;
    }
    // Every file the database points to must now be in the target.
    let now_there: BTreeSet<String> = target
        .list()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|b| b.sha256)
        .collect();
    let referenced = store.referenced_blobs().await.map_err(|e| e.to_string())?;
    let missing = referenced.difference(&now_there).count();
    println!(
        "copied {copied} file(s) ({bytes} bytes) from {} to {} in {:.1} s; {skipped} were there already",
        from.describe(),
        target.describe(),
        started.elapsed().as_secs_f64()
    );
    if missing > 0 {
        return Err(format!(
            "{missing} file(s) that attachments refer to are not in {} (they were missing from {} too)",
            target.describe(),
            from.describe()
        ));
    }
    println!(
        "every referenced file is in {}; start Formwork with --blob-store {to}",
        target.describe()
    );
    Ok(())
}
