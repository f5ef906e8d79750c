//! The demo's story: `serve --demo` seeds claims whose receipts match their values.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn demo_claims_carry_their_own_receipt_with_its_printed_values_in_every_state() {
    let app = spawn_app_with(&["--demo"]).await;
    let admin = app.sign_in("admin").await;
    let (status, csv) = admin
        .get_text("/apps/expense_claims/views/all_claims/export.csv")
        .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let states: Vec<&str> = rows.iter().map(|r| r[col("Status")].as_str()).collect();
    for state in [
        "Draft",
        "Submitted",
        "Approved",
        "Manager approved",
        "Rejected",
    ] {
        assert!(states.contains(&state), "no {state} claim: {states:?}");
    }
    // Every receipt in the manifest belongs to one claim that has its supplier and total.
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("seed-data/receipts/manifest.json")).unwrap(),
    )
    .unwrap();
    let receipts = manifest["receipts"].as_array().unwrap();
    for r in receipts {
        let (supplier, date) = (
            r["supplier"].as_str().unwrap(),
            r["expense_date"].as_str().unwrap(),
        );
        let found = rows
            .iter()
            .filter(|row| row[col("Supplier name")] == supplier && row[col("Expense date")] == date)
            .count();
        assert_eq!(found, 1, "{supplier} {date}: {csv}");
    }
    // No claim shares its file with another: no "possible duplicate" on any record page.
    let mut with_receipt = 0;
    // Record ids are shared by every app: the other sample apps' records come first.
    for id in 1..=rows.len() as i64 + 40 {
        let (status, page) = admin
            .get_text(&format!("/apps/expense_claims/records/{id}"))
            .await;
        if status != StatusCode::OK {
            continue;
        }
        assert!(!page.contains("possible duplicate"), "claim {id}");
        if page.contains("/files/") {
            with_receipt += 1;
        }
    }
    assert_eq!(with_receipt, receipts.len());
}
