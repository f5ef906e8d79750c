//! The process-wide pixel budget: big images decode a few at a time, the rest wait for their
//! share, and past the wait an upload is refused as busy (an MCP tool error `busy`).
use crate::helpers::*;
use base64::Engine;
use serde_json::json;

/// A PNG of `width` × `height` with some texture, so it is not trivially small.
fn big_png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([seed, (x % 251) as u8, (y % 241) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Six 3-megapixel uploads at once against a budget of 4 megapixels; (stored, busy) counts.
async fn six_at_once(app: &TestApp) -> (usize, usize) {
    app.enable_mcp().await;
    let token = app.token("alice");
    let files: Vec<String> = (0..6u8)
        .map(|i| base64::engine::general_purpose::STANDARD.encode(big_png(2000, 1500, i)))
        .collect();
    let calls = files.iter().map(|f| {
        call_tool(
            app,
            &token,
            "expense_claims_new_claim",
            json!({"purpose": "Photo", "receipt": {"filename": "p.png", "content_base64": f}}),
        )
    });
    let results = futures_util::future::join_all(calls).await;
    let (mut stored, mut busy) = (0, 0);
    for r in &results {
        if r["isError"] == false {
            stored += 1;
        } else {
            assert_eq!(r["structuredContent"]["error"]["code"], "busy", "{r}");
            assert_eq!(
                r["content"][0]["text"],
                "the server is busy decoding other large images; please retry in a moment"
            );
            busy += 1;
        }
    }
    (stored, busy)
}

#[tokio::test]
async fn big_images_beyond_the_pixel_budget_wait_their_turn() {
    let app = spawn_app_with(&["--pixel-budget-mp", "4", "--pixel-wait-ms", "120000"]).await;
    let (stored, busy) = six_at_once(&app).await;
    println!("budget 4 MP, wait 120 s: {stored} stored, {busy} busy");
    assert_eq!((stored, busy), (6, 0), "each waited for its share");
}

#[tokio::test]
async fn big_images_beyond_the_pixel_budget_are_refused_as_busy_without_a_wait() {
    let app = spawn_app_with(&["--pixel-budget-mp", "4", "--pixel-wait-ms", "0"]).await;
    let (stored, busy) = six_at_once(&app).await;
    println!("budget 4 MP, no wait: {stored} stored, {busy} busy");
    assert!(stored >= 1, "the first image has the budget to itself");
    assert!(
        busy >= 1,
        "six 3 MP images at once do not fit a 4 MP budget"
    );
}

/// The server process of `app`, found by its data directory.
fn server_pid(app: &TestApp) -> Option<u32> {
    let want = format!("FORMWORK_DATA_DIR={}", app.dir.path().display());
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let env = std::fs::read(e.path().join("environ")).ok()?;
        let is_server = env.split(|b| *b == 0).any(|v| v == want.as_bytes())
            && std::fs::read(e.path().join("cmdline"))
                .ok()?
                .windows(5)
                .any(|w| w == b"serve");
        is_server.then_some(pid)
    })
}

/// Peak resident memory (VmHWM) of a process, in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024.0 / 1_000_000.0
}

/// A figure, not a check: the server's peak memory under eight 40-megapixel JPEG uploads at
/// once, with a budget that never binds (as before the budget) and with the default one.
#[tokio::test]
async fn peak_memory_of_eight_40_megapixel_uploads_at_once() {
    let img = image::RgbImage::from_fn(7296, 5480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&img)
        .unwrap();
    drop(img);
    let jpeg = base64::engine::general_purpose::STANDARD.encode(jpeg.into_inner());
    for budget in ["1000", "120"] {
        let app = spawn_app_with(&["--pixel-budget-mp", budget, "--pixel-wait-ms", "600000"]).await;
        app.enable_mcp().await;
        let token = app.token("alice");
        let pid = server_pid(&app).expect("the server process");
        let idle = peak_rss_mb(pid);
        let started = std::time::Instant::now();
        let calls = (0..8).map(|_| {
            call_tool(
                &app,
                &token,
                "expense_claims_new_claim",
                json!({"purpose": "Photo", "receipt": {"filename": "p.jpg", "content_base64": jpeg}}),
            )
        });
        let results = futures_util::future::join_all(calls).await;
        let stored = results.iter().filter(|r| r["isError"] == false).count();
        println!(
            "pixel budget {budget} MP: 8 × 40.0 MP JPEG uploads, {stored} stored in {:.1} s; server peak RSS {:.1} MB (idle {:.1} MB)",
            started.elapsed().as_secs_f64(),
            peak_rss_mb(pid),
            idle
        );
        assert_eq!(stored, 8, "{:?}", results.first());
    }
}
