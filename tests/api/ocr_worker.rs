//! The OCR worker (`formwork internal ocr-worker`) reads as the `tesseract` program does: the same
//! picture gives the same words, boxes and confidences, in every language set it keeps loaded;
//! a bad request gets an error reply and the worker goes on; the server reads uploads through it.
use crate::helpers::{bin, repo_root, spawn_app};
use crate::receipts::draft_with_receipt;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// A corpus receipt as the binary PGM OCR gets (grey, 8 bits).
fn pgm_of(file: &str) -> Vec<u8> {
    let path = repo_root().join("seed-data/receipts").join(file);
    let grey = image::open(&path).expect("corpus receipt").to_luma8();
    let mut out = format!("P5\n{} {}\n255\n", grey.width(), grey.height()).into_bytes();
    out.extend_from_slice(grey.as_raw());
    out
}

fn frame(to: &mut impl Write, bytes: &[u8]) {
    to.write_all(&(bytes.len() as u32).to_le_bytes()).unwrap();
    to.write_all(bytes).unwrap();
}

fn reply(from: &mut impl Read) -> Value {
    let mut len = [0u8; 4];
    from.read_exact(&mut len).unwrap();
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    from.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

/// The word rows (level 5) of a TSV: what the suggester reads.
fn words(tsv: &str) -> Vec<String> {
    tsv.lines()
        .filter(|l| l.starts_with("5\t"))
        .map(String::from)
        .collect()
}

fn program_reading(langs: &str, pgm: &[u8]) -> String {
    let mut child = Command::new("tesseract")
        .args(["stdin", "stdout", "-l", langs, "--psm", "6", "tsv"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tesseract is installed (tests/run installs it)");
    child.stdin.take().unwrap().write_all(pgm).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_worker_reads_word_for_word_as_the_program_does() {
    let mut worker = Command::new(bin())
        .args(["internal", "ocr-worker"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to = worker.stdin.take().unwrap();
    let mut from = worker.stdout.take().unwrap();
    let mut ask = |langs: &str, picture: &[u8]| {
        frame(
            &mut to,
            json!({"langs": langs, "psm": 6}).to_string().as_bytes(),
        );
        frame(&mut to, picture);
        to.flush().unwrap();
        reply(&mut from)
    };
    let english = pgm_of("02_hardware_springfield.png");
    let german = pgm_of("corpus/01_de-de_feinkost_albrecht_sohne.jpg");
    for (langs, pgm) in [
        ("eng", &english),
        ("deu+eng", &german),
        ("eng", &german),
        ("eng", &english),
    ] {
        let got = ask(langs, pgm);
        let tsv = got["tsv"].as_str().unwrap_or_else(|| panic!("{got}"));
        let from_worker = words(tsv);
        let from_program = words(&program_reading(langs, pgm));
        assert!(from_program.len() > 10, "{langs}: the program read words");
        assert_eq!(
            from_worker, from_program,
            "{langs}: the same words, boxes, confidences"
        );
    }
    // A picture that is not a PGM, and unknown languages: an error reply, and the worker goes on.
    let bad = ask("eng", b"GIF89a not a picture");
    assert!(bad["error"].as_str().unwrap().contains("PGM"), "{bad}");
    let unknown = ask("xx_no_such_language", &english);
    assert!(unknown["error"].as_str().is_some(), "{unknown}");
    assert_eq!(unknown["unavailable"], false);
    let again = ask("eng", &english);
    assert!(again["tsv"].as_str().is_some(), "{again}");
    drop(to);
    assert!(
        worker.wait().unwrap().success(),
        "stdin closed: the worker ends"
    );
}

#[tokio::test]
async fn the_server_reads_uploads_through_its_ocr_worker() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let (_, read) = draft_with_receipt(&app, &token, "02_hardware_springfield.png").await;
    // The receipt was read: the supplier printed on it is suggested.
    let supplier = &read["structuredContent"]["server_suggestions"]["supplier"]["value"];
    assert_eq!(supplier, "Maple Street Hardware", "{read}");
    // By a worker of this server: a child process running `internal ocr-worker`.
    let server = app.pid();
    let workers = (std::fs::read_dir("/proc").unwrap())
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let parent = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<u32>().ok());
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            parent == Some(server) && cmd.windows(11).any(|w| w == b"ocr-worker\0")
        })
        .count();
    assert!(workers >= 1, "no OCR worker under server {server}");
}
