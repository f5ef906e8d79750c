//! Demo data: users, the Expense Claims app, sample claims with receipts, and bulk generation.
use crate::auth::Auth;
use crate::engine::{Actor, Engine, OperationRequest, Raw, Surface};
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::BTreeMap;

/// The sample app's definition, built into the binary.
pub const EXPENSE_CLAIMS: &str = include_str!("../../seed-data/apps/expense_claims.toml");
/// The second sample app (a request workflow with an IT queue).
pub const EQUIPMENT_REQUESTS: &str = include_str!("../../seed-data/apps/equipment_requests.toml");
/// The sample apps, offered as templates when an administrator creates an app.
pub const SAMPLE_APPS: &[&str] = &[EXPENSE_CLAIMS, EQUIPMENT_REQUESTS];

/// Password of every demo user (printed at start; change it on a public demo).
pub const DEMO_PASSWORD: &str = "formwork-demo";

/// Demo users: (username, display name, roles).
pub const DEMO_USERS: &[(&str, &str, &[&str])] = &[
    ("alice", "Alice Martin", &["employee"]),
    ("bob", "Bob Schmidt", &["employee"]),
    ("maria", "Maria Rossi", &["manager", "employee"]),
    ("ivan", "Ivan Petrov", &["it", "employee"]),
    ("admin", "Site Administrator", &["admin"]),
];

const SUPPLIERS: &[(&str, &str, &str)] = &[
    ("Deutsche Bahn", "EUR", "Travel"),
    ("Lufthansa", "EUR", "Travel"),
    ("Hotel Adlon Kempinski", "EUR", "Lodging"),
    ("Café Einstein", "EUR", "Meals"),
    ("Pret A Manger", "GBP", "Meals"),
    ("Premier Inn", "GBP", "Lodging"),
    ("Uber", "USD", "Travel"),
    ("Staples", "USD", "Office supplies"),
    ("Delta Air Lines", "USD", "Travel"),
    ("Marriott", "USD", "Lodging"),
    ("JetBrains", "EUR", "Software"),
    ("Coop", "CHF", "Meals"),
    ("SBB CFF FFS", "CHF", "Travel"),
    ("Tim Hortons", "CAD", "Meals"),
    ("O'Reilly Media", "USD", "Training"),
];

const PURPOSES: &[&str] = &[
    "Client visit",
    "Team offsite",
    "Conference travel",
    "Customer dinner",
    "Training course",
    "Office equipment",
    "Trade fair",
    "Project kick-off",
];

const TAX_RATES: &[(&str, u32)] = &[
    ("EUR", 19),
    ("GBP", 20),
    ("USD", 8),
    ("CHF", 8),
    ("CAD", 13),
];

fn claim_data(rng: &mut StdRng, username: &str, today: chrono::NaiveDate) -> serde_json::Value {
    let (supplier, currency, category) = SUPPLIERS[rng.gen_range(0..SUPPLIERS.len())];
    let rate = TAX_RATES
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, r)| *r)
        .unwrap_or(10);
    let net_cents: i64 = rng.gen_range(500..150_000);
    let tax_cents = net_cents * rate as i64 / 100;
    let date = today - Duration::days(rng.gen_range(0..720));
    let status = ["Draft", "Submitted", "Approved", "Approved", "Rejected"][rng.gen_range(0..5)];
    let money = |c: i64| format!("{}.{:02}", c / 100, c % 100);
    json!({
        "employee": username,
        "purpose": format!("{} — {}", PURPOSES[rng.gen_range(0..PURPOSES.len())], supplier),
        "supplier": supplier,
        "expense_date": date.format("%Y-%m-%d").to_string(),
        "net": money(net_cents),
        "tax": money(tax_cents),
        "total": money(net_cents + tax_cents),
        "currency": currency,
        "category": category,
        "status": status,
    })
}

/// Imports and publishes each sample app unless some version of it is already published.
pub async fn ensure_app(engine: &Engine) -> Result<(), String> {
    let now = Utc::now();
    for text in SAMPLE_APPS {
        let def = crate::engine::definition::AppDef::parse(text)
            .map_err(|e| format!("a sample app does not parse: {e:?}"))?;
        let existing = engine
            .store()
            .app_by_slug(&def.slug)
            .await
            .map_err(|e| e.to_string())?;
        if existing
            .as_ref()
            .is_some_and(|a| a.published_version.is_some())
        {
            continue;
        }
        engine
            .import_draft(text, now)
            .await
            .map_err(|e| e.to_string())?;
        engine
            .publish(&def.slug, None, Some("sample app"), now)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn ensure_user(
    auth: &Auth,
    name: &str,
    display: &str,
    roles: &[&str],
) -> Result<i64, String> {
    let store = auth.store();
    if let Some(u) = store.user_by_name(name).await.map_err(|e| e.to_string())? {
        return Ok(u.id);
    }
    let roles: Vec<String> = roles.iter().map(|s| s.to_string()).collect();
    let id = auth
        .create_user(name, display, DEMO_PASSWORD, &roles, Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    // Example addresses, so the demo's notification emails have somewhere to go.
    store
        .set_user_email(id, Some(&format!("{name}@example.com")))
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// Seeds the demo: users, the app, and a few dozen claims made through the engine (with history).
/// Idempotent: does nothing more when the demo users already have claims.
pub async fn seed(
    engine: &Engine,
    auth: &Auth,
    uploads: &crate::uploads::Uploads,
) -> Result<(), String> {
    ensure_app(engine).await?;
    let mut actors = Vec::new();
    for (name, display, roles) in DEMO_USERS {
        let id = ensure_user(auth, name, display, roles).await?;
        actors.push(Actor {
            user_id: id,
            username: name.to_string(),
            display_name: display.to_string(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            surface: Surface::Cli,
            client_name: None,
        });
    }
    let app = engine
        .app("expense_claims")
        .await
        .map_err(|e| e.to_string())?;
    if engine
        .store()
        .count_records(app.id)
        .await
        .map_err(|e| e.to_string())?
        > 0
    {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(7);
    let today = Utc::now().date_naive();
    let manager = actors[2].clone();
    for i in 0..36 {
        let actor = &actors[i % 3];
        let d = claim_data(&mut rng, &actor.username, today);
        let text = |k: &str| Raw::Text(d[k].as_str().unwrap_or_default().to_string());
        let created = engine
            .run_operation(
                actor,
                "expense_claims",
                "new_claim",
                &OperationRequest {
                    inputs: BTreeMap::from([
                        ("purpose".into(), text("purpose")),
                        ("category".into(), text("category")),
                    ]),
                    ..Default::default()
                },
                true,
            )
            .await
            .map_err(|e| e.to_string())?;
        let id = created.record_id;
        if i % 6 == 5 {
            continue; // leave some drafts empty, waiting for a receipt
        }
        let fill = OperationRequest {
            record_id: id,
            inputs: ["supplier", "expense_date", "net", "tax", "currency"]
                .iter()
                .map(|k| (k.to_string(), text(k)))
                .collect(),
            ..Default::default()
        };
        engine
            .run_operation(actor, "expense_claims", "fill_receipt_fields", &fill, true)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(receipt) = crate::uploads::attach_sample(engine, uploads, actor, id, i).await? {
            tracing::debug!(claim = ?id, receipt, "sample receipt attached");
        } else {
            continue;
        }
        if i % 3 == 2 {
            continue;
        }
        let submit = OperationRequest {
            record_id: id,
            ..Default::default()
        };
        engine
            .run_operation(actor, "expense_claims", "submit", &submit, true)
            .await
            .map_err(|e| e.to_string())?;
        if i % 4 == 0 && actor.username != manager.username {
            let approve = OperationRequest {
                record_id: id,
                inputs: BTreeMap::from([(
                    "manager_comment".into(),
                    Raw::Text("OK, thanks.".into()),
                )]),
                ..Default::default()
            };
            engine
                .run_operation(&manager, "expense_claims", "approve", &approve, true)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Bulk-generates `claims` claims over `users` employees (`emp001`…), for load and benchmarks.
pub async fn generate(engine: &Engine, claims: u64, users: u32) -> Result<(), String> {
    let store = engine.store();
    let auth = Auth::new(store.clone());
    ensure_app(engine).await?;
    let app = engine
        .app("expense_claims")
        .await
        .map_err(|e| e.to_string())?;
    let mut owners = Vec::new();
    for i in 1..=users.max(1) {
        let name = format!("emp{i:03}");
        let id = ensure_user(&auth, &name, &format!("Employee {i}"), &["employee"]).await?;
        owners.push((id, name));
    }
    let mut rng = StdRng::seed_from_u64(claims ^ 0x5eed);
    let today = Utc::now().date_naive();
    let started = std::time::Instant::now();
    let batch = 5_000u64;
    let mut done = 0u64;
    while done < claims {
        let n = batch.min(claims - done);
        let rows: Vec<(i64, serde_json::Value)> = (0..n)
            .map(|k| {
                let (id, name) = &owners[((done + k) % owners.len() as u64) as usize];
                (*id, claim_data(&mut rng, name, today))
            })
            .collect();
        store
            .bulk_insert_records(app.id, &rows, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        done += n;
        eprint!("\rgenerated {done}/{claims} claims");
    }
    store.analyze().await.map_err(|e| e.to_string())?;
    eprintln!(
        "\rgenerated {claims} claims for {} users in {:.1}s",
        owners.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
