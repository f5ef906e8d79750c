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
