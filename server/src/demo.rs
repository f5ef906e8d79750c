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
/// The projects equipment requests are charged to (the target of a `lookup`).
pub const PROJECTS: &str = include_str!("../../seed-data/apps/projects.toml");
/// A third sample app: one report per trip, with a line (and a receipt) per cost.
pub const TRAVEL_REPORTS: &str = include_str!("../../seed-data/apps/travel_reports.toml");
/// The sample apps, offered as templates when an administrator creates an app; an app comes
/// after the apps its lookups refer to, which are published before it.
pub const SAMPLE_APPS: &[&str] = &[EXPENSE_CLAIMS, PROJECTS, EQUIPMENT_REQUESTS, TRAVEL_REPORTS];

/// The demo's trips: who travelled, the trip, the sample receipts of its lines (by file name in
/// `seed-data/receipts`, each with its category), its car journeys (date, route, km) and how far
/// the report goes. A line whose category is empty is left for an AI assistant (or the
/// traveller) to fill from its receipt.
struct DemoTrip {
    traveller: &'static str,
    purpose: &'static str,
    destination: &'static str,
    starts: &'static str,
    ends: &'static str,
    cost_centre: &'static str,
    receipts: &'static [(&'static str, &'static str)],
    journeys: &'static [(&'static str, &'static str, &'static str)],
    /// The demo project (by name) its filled receipt lines are charged to, if any.
    project: Option<&'static str>,
    plan: TripPlan,
}

#[derive(Clone, Copy, PartialEq)]
enum TripPlan {
    Draft,
    Submitted,
    Approved,
}

const DEMO_TRIPS: &[DemoTrip] = &[
    DemoTrip {
        traveller: "alice",
        purpose: "Customer workshops, Berlin and Munich",
        destination: "Berlin, Munich",
        starts: "2024-03-04",
        ends: "2024-03-06",
        cost_centre: "CC-4100",
        receipts: &[
            ("01_cafe_berlin.jpg", "Meals"),
            ("09_hotel_munich.pdf", "Lodging"),
        ],
        journeys: &[(
            "2024-03-06",
            "Munich office – Munich airport – Munich office",
            "76",
        )],
        project: Some("Website relaunch"),
        plan: TripPlan::Submitted,
    },
    DemoTrip {
        traveller: "bob",
        purpose: "Supplier visits, Lyon and London",
        destination: "Lyon, London",
        starts: "2024-02-08",
        ends: "2024-02-12",
        cost_centre: "CC-2200",
        receipts: &[
            ("10_taxi_lyon_scan.pdf", "Transport"),
            ("03_taxi_london.jpg", "Transport"),
        ],
        journeys: &[],
        project: Some("Berlin office move"),
        plan: TripPlan::Approved,
    },
    DemoTrip {
        traveller: "alice",
        purpose: "Partner meeting, Zurich",
        destination: "Zurich",
        starts: "2024-04-22",
        ends: "2024-04-22",
        cost_centre: "CC-4300",
        receipts: &[("05_restaurant_zurich.webp", "")],
        journeys: &[("2024-04-22", "Home – Zurich HB – Home", "212")],
        project: None,
        plan: TripPlan::Draft,
    },
    DemoTrip {
        traveller: "ivan",
        purpose: "Trade fair, Kyoto (via Madrid)",
        destination: "Kyoto, Madrid",
        starts: "2024-09-11",
        ends: "2024-09-15",
        cost_centre: "CC-4300",
        receipts: &[
            ("16_hotel_kyoto.pdf", "Lodging"),
            ("17_restaurante_madrid.jpg", "Meals"),
        ],
        journeys: &[],
        project: Some("Customer portal"),
        plan: TripPlan::Draft,
    },
];

/// The demo's projects: (name, cost centre, status).
const DEMO_PROJECTS: &[(&str, &str, &str)] = &[
    ("Website relaunch", "CC-4100", "Active"),
    ("Berlin office move", "CC-2200", "Active"),
    ("Customer portal", "CC-4300", "Active"),
    ("Legacy CRM migration", "CC-4100", "Closed"),
];

/// The ECB's euro reference rates from 2023 (see `seed-data/rates/README.md`).
pub const DEMO_RATES: &str = include_str!("../../seed-data/rates/eurofxref-hist.csv");

/// Password of every demo user (printed at start; change it on a public demo).
pub const DEMO_PASSWORD: &str = "formwork-demo";

/// Demo users: (username, display name, roles).
pub const DEMO_USERS: &[(&str, &str, &[&str])] = &[
    ("alice", "Alice Martin", &["employee"]),
    ("bob", "Bob Schmidt", &["employee"]),
    ("maria", "Maria Rossi", &["manager", "employee"]),
    ("ivan", "Ivan Petrov", &["it", "employee"]),
    ("admin", "Site Administrator", &["admin"]),
    ("fiona", "Fiona Walsh", &["finance", "employee"]),
    ("tom", "Tom Becker", &["manager", "employee"]),
];

/// Demo departments: a field whose default is `$me.department` starts with these.
pub const DEMO_DEPARTMENTS: &[(&str, &str)] = &[
    ("alice", "Marketing"),
    ("bob", "Operations"),
    ("maria", "Marketing"),
    ("ivan", "IT"),
    ("fiona", "Finance"),
    ("tom", "Management"),
];

/// Demo reporting lines: (user, manager). Maria manages Alice, Bob and Ivan; Tom manages Maria
/// and Fiona.
pub const DEMO_MANAGERS: &[(&str, &str)] = &[
    ("alice", "maria"),
    ("bob", "maria"),
    ("ivan", "maria"),
    ("maria", "tom"),
    ("fiona", "tom"),
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

/// Bulk-generates `reports` travel expense reports over `users` employees (emp001, …), each with
/// 5 to 10 receipt lines (mostly in euros, some in Swiss francs, pounds or dollars, in six
/// categories) and up to three car journeys, with the computed totals a report stores (for
/// measuring views of records with line items, and filters on their lines). The home-currency
/// totals are left empty: no rates are loaded here.
pub async fn generate_travel_reports(
    engine: &Engine,
    reports: u64,
    users: u32,
) -> Result<(), String> {
    let store = engine.store();
    let auth = Auth::new(store.clone());
    ensure_app(engine).await?;
    let e = |e: crate::store::StoreError| e.to_string();
    let app = engine
        .app("travel_reports")
        .await
        .map_err(|e| e.to_string())?;
    let owners = ensure_employees(&auth, users).await?;
    let mut rng = StdRng::seed_from_u64(reports ^ 0x7a1);
    let today = Utc::now().date_naive();
    let started = std::time::Instant::now();
    let suppliers = [
        ("Transport", "Rail Express"),
        ("Transport", "City Cabs"),
        ("Lodging", "Hotel Central"),
        ("Lodging", "Harbour Inn"),
        ("Meals", "Trattoria Roma"),
        ("Meals", "Station Café"),
        ("Fuel", "Autohof Süd"),
        ("Parking", "Airport Parking P3"),
        ("Other", "Print & Copy"),
    ];
    let places = [
        "Berlin", "Milan", "Zurich", "London", "Lyon", "Vienna", "Madrid", "Boston",
    ];
    let mut done = 0u64;
    while done < reports {
        let n = 2_000u64.min(reports - done);
        let rows: Vec<(i64, serde_json::Value)> = (0..n)
            .map(|k| {
                let (id, name) = &owners[((done + k) % owners.len() as u64) as usize];
                let starts = today - Duration::days(rng.gen_range(5..720));
                let days = rng.gen_range(0..5);
                let place = places[rng.gen_range(0..places.len())];
                let currency = match rng.gen_range(0..10) {
                    0 => "CHF",
                    1 => "GBP",
                    2 => "USD",
                    _ => "EUR",
                };
                let lines = rng.gen_range(5..=10);
                let mut costs = Vec::with_capacity(lines);
                let (mut net_total, mut tax_total) = (0i64, 0i64);
                for l in 0..lines {
                    let (category, supplier) = suppliers[rng.gen_range(0..suppliers.len())];
                    let net = rng.gen_range(500..40_000i64);
                    let tax = net * [0, 7, 10, 19][rng.gen_range(0..4)] / 100;
                    net_total += net;
                    tax_total += tax;
                    let day = starts + Duration::days(rng.gen_range(0..=days));
                    costs.push(json!({
                        "id": format!("l{}", l + 1),
                        "date": day.format("%Y-%m-%d").to_string(),
                        "supplier": supplier,
                        "category": category,
                        "net": format!("{}.{:02}", net / 100, net % 100),
                        "tax": format!("{}.{:02}", tax / 100, tax % 100),
                        "currency": currency,
                    }));
                }
                let journeys = rng.gen_range(0..=3);
                let mut distance = 0i64;
                let mileage: Vec<serde_json::Value> = (0..journeys)
                    .map(|j| {
                        let km = rng.gen_range(10..600i64);
                        distance += km;
                        json!({
                            "id": format!("l{}", j + 1),
                            "date": (starts + Duration::days(j)).format("%Y-%m-%d").to_string(),
                            "route": format!("Office – {place} – Office"),
                            "distance_km": km.to_string(),
                            "rate": "0.30",
                            "currency": "EUR",
                        })
                    })
                    .collect();
                let first = costs
                    .iter()
                    .filter_map(|c| c["date"].as_str())
                    .min()
                    .unwrap_or_default()
                    .to_string();
                let status = [
                    "Draft",
                    "Submitted",
                    "Submitted",
                    "Approved",
                    "Approved",
                    "Rejected",
                ][rng.gen_range(0..6)];
                let mut data = json!({
                    "traveller": name,
                    "purpose": format!("Customer visits, {place}"),
                    "destination": place,
                    "starts": starts.format("%Y-%m-%d").to_string(),
                    "ends": (starts + Duration::days(days)).format("%Y-%m-%d").to_string(),
                    "cost_centre": format!("CC-{}", 1000 + rng.gen_range(0..10) * 100),
                    "status": status,
                    "costs": costs,
                    "costs:next": lines + 1,
                    "receipt_count": lines.to_string(),
                    "net_totals": {currency: format!("{}.{:02}", net_total / 100, net_total % 100)},
                    "tax_totals": {currency: format!("{}.{:02}", tax_total / 100, tax_total % 100)},
                    "first_receipt": first,
                    "distance_total": distance.to_string(),
                });
                if journeys > 0 {
                    data["mileage"] = json!(mileage);
                    data["mileage:next"] = json!(journeys + 1);
                }
                (*id, data)
            })
            .collect();
        store
            .bulk_insert_records(app.id, &rows, Utc::now())
            .await
            .map_err(e)?;
        done += n;
        eprint!("\rgenerated {done}/{reports} travel reports");
    }
    store.analyze().await.map_err(e)?;
    eprintln!(
        "\rgenerated {reports} travel reports for {} users in {:.1}s",
        owners.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Bulk-generates `requests` equipment requests over `users` employees, charged to 50
/// generated projects spread over ten cost centres (for measuring views that show and filter on
/// a looked-up field).
pub async fn generate_requests(engine: &Engine, requests: u64, users: u32) -> Result<(), String> {
    let store = engine.store();
    let auth = Auth::new(store.clone());
    ensure_app(engine).await?;
    let e = |e: crate::store::StoreError| e.to_string();
    let projects = engine.app("projects").await.map_err(|e| e.to_string())?;
    let app = engine
        .app("equipment_requests")
        .await
        .map_err(|e| e.to_string())?;
    let lead = ensure_user(&auth, "pm001", "Project manager 1", &["manager"]).await?;
    let owners = ensure_employees(&auth, users).await?;
    let rows: Vec<(i64, serde_json::Value)> = (0..50)
        .map(|i| {
            (
                lead,
                json!({
                    "name": format!("Generated project {i:02}"),
                    "cost_centre": format!("CC-{}", 1000 + (i % 10) * 100),
                    "lead": "pm001",
                    "status": "Active",
                }),
            )
        })
        .collect();
    store
        .bulk_insert_records(projects.id, &rows, Utc::now())
        .await
        .map_err(e)?;
    let (stored, _) = store
        .query_records(&crate::store::RecordQuery {
            app_id: projects.id,
            limit: 500,
            ..Default::default()
        })
        .await
        .map_err(e)?;
    let ids: Vec<i64> = stored.iter().map(|r| r.id).collect();
    let mut rng = StdRng::seed_from_u64(requests ^ 0xe9e);
    let today = Utc::now().date_naive();
    let started = std::time::Instant::now();
    let items = [
        ("27-inch 4K monitor", "Monitor"),
        ("14-inch laptop", "Laptop"),
        ("Ergonomic office chair", "Furniture"),
        ("Standing desk", "Furniture"),
        ("Headset", "Other"),
        ("Smartphone", "Phone"),
    ];
    let mut done = 0u64;
    while done < requests {
        let n = 5_000u64.min(requests - done);
        let rows: Vec<(i64, serde_json::Value)> = (0..n)
            .map(|k| {
                let (id, name) = &owners[((done + k) % owners.len() as u64) as usize];
                let (item, category) = items[rng.gen_range(0..items.len())];
                let status = ["Requested", "Requested", "Approved", "Ordered", "Declined"]
                    [rng.gen_range(0..5)];
                let needed = today + Duration::days(rng.gen_range(1..180));
                (
                    *id,
                    json!({
                        "requester": name,
                        "item": item,
                        "category": category,
                        "project": ids[rng.gen_range(0..ids.len())],
                        "quantity": rng.gen_range(1..5).to_string(),
                        "unit_cost": format!("{}.00", rng.gen_range(50..2000)),
                        "currency": "EUR",
                        "needed_by": needed.format("%Y-%m-%d").to_string(),
                        "status": status,
                    }),
                )
            })
            .collect();
        store
            .bulk_insert_records(app.id, &rows, Utc::now())
            .await
            .map_err(e)?;
        done += n;
        eprint!("\rgenerated {done}/{requests} requests");
    }
    store.analyze().await.map_err(e)?;
    eprintln!(
        "\rgenerated {requests} requests for {} users in {:.1}s",
        owners.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
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

/// The generated employees emp001, emp002, … (at least one), created when missing: (id, name).
async fn ensure_employees(auth: &Auth, users: u32) -> Result<Vec<(i64, String)>, String> {
    let mut owners = Vec::new();
    for i in 1..=users.max(1) {
        let name = format!("emp{i:03}");
        let id = ensure_user(auth, &name, &format!("Employee {i}"), &["employee"]).await?;
        owners.push((id, name));
    }
    Ok(owners)
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
    if let Some((_, department)) = DEMO_DEPARTMENTS.iter().find(|(u, _)| *u == name) {
        store
            .set_user_department(id, Some(department))
            .await
            .map_err(|e| e.to_string())?;
    }
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
    seed_rates(engine).await?;
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
    for (user, manager) in DEMO_MANAGERS {
        let id = |name: &str| {
            actors
                .iter()
                .find(|a| a.username == name)
                .map(|a| a.user_id)
        };
        if let (Some(u), Some(m)) = (id(user), id(manager)) {
            let current = engine
                .store()
                .user_by_id(u)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|r| r.manager_id);
            if current.is_none() {
                engine
                    .set_manager(u, Some(m))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    if let Some(maria) = actors.iter().find(|a| a.username == "maria") {
        seed_projects(engine, maria).await?;
    }
    seed_requests(engine, &actors).await?;
    seed_trips(engine, uploads, &actors).await?;
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
    let by_name = |name: &str| actors.iter().find(|a| a.username == name).cloned();
    let (Some(alice), Some(maria)) = (by_name("alice"), by_name("maria")) else {
        return Err("the demo users are missing".into());
    };
    let owners: Vec<Actor> = ["alice", "bob", "ivan", "maria"]
        .iter()
        .filter_map(|n| by_name(n))
        .collect();
    let receipts: serde_json::Value =
        serde_json::from_str(RECEIPTS_MANIFEST).map_err(|e| e.to_string())?;
    let receipts = receipts["receipts"].as_array().cloned().unwrap_or_default();
    for (k, receipt) in receipts.iter().enumerate() {
        let owner = &owners[k % owners.len()];
        let plan = CLAIM_PLANS[k % CLAIM_PLANS.len()];
        let approver = by_name(manager_of(&owner.username)).unwrap_or_else(|| maria.clone());
        seed_claim(engine, uploads, owner, &approver, &actors, k, receipt, plan).await?;
    }
    // A few drafts still waiting for their receipt.
    for (owner, purpose, category) in [
        (&alice, "Team offsite — train tickets", "Travel"),
        (
            &owners[1 % owners.len()],
            "Conference travel — hotel",
            "Lodging",
        ),
        (&maria, "Customer dinner", "Meals"),
    ] {
        new_claim(engine, owner, purpose, category).await?;
    }
    Ok(())
}

/// The demo projects' ids by name.
async fn project_ids(engine: &Engine) -> Result<std::collections::HashMap<String, i64>, String> {
    let app = engine.app("projects").await.map_err(|e| e.to_string())?;
    let q = crate::store::RecordQuery {
        app_id: app.id,
        limit: 100,
        ..Default::default()
    };
    let (rows, _) = engine
        .store()
        .query_records(&q)
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.data.get("name")?.as_str()?.to_string(), r.id)))
        .collect())
}

/// The demo's projects, created by a manager once (when the app has none).
async fn seed_projects(engine: &Engine, manager: &Actor) -> Result<(), String> {
    let app = engine.app("projects").await.map_err(|e| e.to_string())?;
    let stored = engine
        .store()
        .count_records(app.id)
        .await
        .map_err(|e| e.to_string())?;
    if stored > 0 {
        return Ok(());
    }
    for (name, cost_centre, status) in DEMO_PROJECTS {
        let inputs: BTreeMap<String, Raw> = [
            ("name", *name),
            ("cost_centre", *cost_centre),
            ("status", *status),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
        .collect();
        let req = OperationRequest {
            inputs,
            ..Default::default()
        };
        engine
            .run_operation(manager, "projects", "new_project", &req, true)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One demo equipment request, as `DEMO_REQUESTS` lists them.
type DemoRequest = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    i64,
);

/// The demo's equipment requests waiting for Maria: (requester, item, category, project,
/// quantity, unit cost, days until needed).
const DEMO_REQUESTS: &[DemoRequest] = &[
    (
        "alice",
        "27-inch 4K monitor",
        "Monitor",
        Some("Website relaunch"),
        "2",
        "349.00",
        10,
    ),
    (
        "bob",
        "Ergonomic office chair",
        "Furniture",
        Some("Berlin office move"),
        "1",
        "420.00",
        21,
    ),
    (
        "alice",
        "Usability test phone",
        "Phone",
        Some("Customer portal"),
        "1",
        "599.00",
        14,
    ),
    (
        "bob",
        "Noise-cancelling headset",
        "Other",
        None,
        "1",
        "189.00",
        30,
    ),
];

/// A few equipment requests, made through the engine (with history) once, charged to the demo's
/// projects, so the managers' view shows each project's cost centre.
async fn seed_requests(engine: &Engine, actors: &[Actor]) -> Result<(), String> {
    let e = |e: crate::engine::EngineError| e.to_string();
    let app = engine.app("equipment_requests").await.map_err(e)?;
    let stored = engine
        .store()
        .count_records(app.id)
        .await
        .map_err(|e| e.to_string())?;
    if stored > 0 {
        return Ok(());
    }
    let projects = engine.app("projects").await.map_err(e)?;
    let (rows, _) = engine
        .store()
        .query_records(&crate::store::RecordQuery {
            app_id: projects.id,
            limit: 100,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let today = Utc::now().date_naive();
    for (who, item, category, project, quantity, cost, days) in DEMO_REQUESTS {
        let Some(actor) = actors.iter().find(|a| a.username == *who) else {
            continue;
        };
        let mut inputs: BTreeMap<String, Raw> = [
            ("item", item.to_string()),
            ("category", category.to_string()),
            ("quantity", quantity.to_string()),
            ("unit_cost", cost.to_string()),
            ("currency", "EUR".to_string()),
            (
                "needed_by",
                (today + Duration::days(*days))
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            (
                "justification",
                "Needed for the project's next milestone.".to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Raw::Text(v)))
        .collect();
        let chosen = project.and_then(|name| {
            rows.iter()
                .find(|r| r.data.get("name").and_then(|v| v.as_str()) == Some(name))
        });
        if let Some(p) = chosen {
            inputs.insert("project".into(), Raw::Text(p.id.to_string()));
        }
        let req = OperationRequest {
            inputs,
            ..Default::default()
        };
        engine
            .run_operation(actor, "equipment_requests", "new_request", &req, true)
            .await
            .map_err(e)?;
    }
    Ok(())
}

/// The demo's travel reports (`DEMO_TRIPS`), once (when the app has none): each receipt
/// uploaded for its line and, unless the line is left to fill, its printed values entered; then
/// submitted and approved by the traveller's manager as the trip's plan says. Without the sample
/// receipts next to the binary, the lines are entered without their files.
async fn seed_trips(
    engine: &Engine,
    uploads: &crate::uploads::Uploads,
    actors: &[Actor],
) -> Result<(), String> {
    let app = engine
        .app("travel_reports")
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
    let manifest: serde_json::Value =
        serde_json::from_str(RECEIPTS_MANIFEST).map_err(|e| e.to_string())?;
    let printed = |file: &str| {
        manifest["receipts"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["file"] == file))
            .cloned()
            .unwrap_or_default()
    };
    let by_name = |name: &str| actors.iter().find(|a| a.username == name);
    let projects = project_ids(engine).await?;
    for trip in DEMO_TRIPS {
        let Some(traveller) = by_name(trip.traveller) else {
            continue;
        };
        let mut costs = Vec::new();
        for (file, category) in trip.receipts {
            let mut line = serde_json::Map::new();
            if let Some(id) = crate::uploads::upload_sample(
                engine,
                uploads,
                traveller,
                "travel_reports",
                "costs.receipt",
                file,
            )
            .await?
            {
                line.insert("receipt".into(), id.into());
            }
            if !category.is_empty() {
                let p = printed(file);
                line.insert("category".into(), json!(category));
                if let Some(id) = trip.project.and_then(|p| projects.get(p)) {
                    line.insert("project".into(), json!(id));
                }
                for (col, key) in [
                    ("date", "expense_date"),
                    ("supplier", "supplier"),
                    ("net", "net"),
                    ("tax", "tax"),
                    ("currency", "currency"),
                ] {
                    line.insert(col.into(), p[key].clone());
                }
            }
            costs.push(serde_json::Value::Object(line));
        }
        let mileage: Vec<serde_json::Value> = trip
            .journeys
            .iter()
            .map(|(date, route, km)| json!({"date": date, "route": route, "distance_km": km}))
            .collect();
        let mut inputs = BTreeMap::from([
            ("purpose".to_string(), Raw::Text(trip.purpose.into())),
            (
                "destination".to_string(),
                Raw::Text(trip.destination.into()),
            ),
            ("starts".to_string(), Raw::Text(trip.starts.into())),
            ("ends".to_string(), Raw::Text(trip.ends.into())),
            (
                "cost_centre".to_string(),
                Raw::Text(trip.cost_centre.into()),
            ),
            (
                "costs".to_string(),
                Raw::Json(serde_json::Value::Array(costs)),
            ),
        ]);
        if !mileage.is_empty() {
            inputs.insert(
                "mileage".into(),
                Raw::Json(serde_json::Value::Array(mileage)),
            );
        }
        let created = engine
            .run_operation(
                traveller,
                "travel_reports",
                "new_report",
                &OperationRequest {
                    inputs,
                    ..Default::default()
                },
                true,
            )
            .await
            .map_err(|e| format!("demo trip `{}`: {e}", trip.purpose))?;
        if trip.plan == TripPlan::Draft {
            continue;
        }
        let run = |actor: &Actor, op: &str| {
            let req = OperationRequest {
                record_id: created.record_id,
                ..Default::default()
            };
            let actor = actor.clone();
            let op = op.to_string();
            async move {
                engine
                    .run_operation(&actor, "travel_reports", &op, &req, true)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("demo trip `{}`, {op}: {e}", trip.purpose))
            }
        };
        run(traveller, "submit").await?;
        if trip.plan == TripPlan::Approved {
            if let Some(manager) = by_name(manager_of(trip.traveller)) {
                run(manager, "approve").await?;
            }
        }
    }
    Ok(())
}

/// The sample receipts and what is printed on each (`seed-data/receipts/manifest.json`).
const RECEIPTS_MANIFEST: &str = include_str!("../../seed-data/receipts/manifest.json");

/// Where a seeded claim ends up; the claims cycle through these so that every state shows.
#[derive(Clone, Copy, PartialEq)]
enum ClaimPlan {
    /// Filled in, not submitted yet.
    Draft,
    /// Filled in with a typing mistake in the net amount: the receipt check points at it.
    DraftWithTypo,
    Submitted,
    /// Approved by the manager (and by finance when over the limit).
    Approved,
    /// Approved by the manager, over the limit: waiting for finance.
    ManagerApproved,
    Rejected,
}

const CLAIM_PLANS: &[ClaimPlan] = &[
    ClaimPlan::Approved,
    ClaimPlan::Submitted,
    ClaimPlan::Approved,
    ClaimPlan::Submitted,
    ClaimPlan::Rejected,
    ClaimPlan::Approved,
    ClaimPlan::Submitted,
    ClaimPlan::DraftWithTypo,
    ClaimPlan::ManagerApproved,
    ClaimPlan::Approved,
    ClaimPlan::Rejected,
    ClaimPlan::Approved,
    ClaimPlan::Approved,
    ClaimPlan::Draft,
    ClaimPlan::Submitted,
    ClaimPlan::Draft,
    ClaimPlan::Submitted,
];

/// The demo manager of a user (`DEMO_MANAGERS`).
fn manager_of(user: &str) -> &'static str {
    DEMO_MANAGERS
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, m)| *m)
        .unwrap_or("maria")
}

/// The expense category a sample receipt belongs to, from its file name.
fn category_of(file: &str) -> &'static str {
    const BY_WORD: &[(&str, &str)] = &[
        ("hotel", "Lodging"),
        ("taxi", "Travel"),
        ("cafe", "Meals"),
        ("restaurant", "Meals"),
        ("diner", "Meals"),
        ("boulangerie", "Meals"),
        ("software", "Software"),
        ("consulting", "Other"),
    ];
    BY_WORD
        .iter()
        .find(|(w, _)| file.contains(w))
        .map(|(_, c)| *c)
        .unwrap_or("Office supplies")
}

async fn new_claim(
    engine: &Engine,
    owner: &Actor,
    purpose: &str,
    category: &str,
) -> Result<Option<i64>, String> {
    let created = engine
        .run_operation(
            owner,
            "expense_claims",
            "new_claim",
            &OperationRequest {
                inputs: BTreeMap::from([
                    ("purpose".into(), Raw::Text(purpose.into())),
                    ("category".into(), Raw::Text(category.into())),
                ]),
                ..Default::default()
            },
            true,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(created.record_id)
}

/// One claim for one sample receipt: created, the receipt attached, its printed values entered
/// (so the receipt check compares like with like), then taken as far as `plan` says.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the arguments
async fn seed_claim(
    engine: &Engine,
    uploads: &crate::uploads::Uploads,
    owner: &Actor,
    approver: &Actor,
    actors: &[Actor],
    k: usize,
    receipt: &serde_json::Value,
    plan: ClaimPlan,
) -> Result<(), String> {
    let text = |key: &str| receipt[key].as_str().unwrap_or_default().to_string();
    let file = text("file");
    let supplier = text("supplier");
    let purpose = format!("{} — {supplier}", PURPOSES[k % PURPOSES.len()]);
    let id = new_claim(engine, owner, &purpose, category_of(&file)).await?;
    if crate::uploads::attach_sample(engine, uploads, owner, id, k)
        .await?
        .is_none()
    {
        return Ok(()); // no sample receipts next to the binary: the claim stays a draft
    }
    let mut net = text("net");
    if plan == ClaimPlan::DraftWithTypo {
        // Two digits swapped, as people do when they copy an amount.
        let mut d: Vec<char> = net.chars().collect();
        if d.len() >= 2 {
            d.swap(0, 1);
        }
        net = d.into_iter().collect();
    }
    let fill = OperationRequest {
        record_id: id,
        inputs: [
            ("supplier", supplier),
            ("expense_date", text("expense_date")),
            ("net", net),
            ("tax", text("tax")),
            ("currency", text("currency")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Raw::Text(v)))
        .collect(),
        ..Default::default()
    };
    engine
        .run_operation(owner, "expense_claims", "fill_receipt_fields", &fill, true)
        .await
        .map_err(|e| e.to_string())?;
    if matches!(plan, ClaimPlan::Draft | ClaimPlan::DraftWithTypo) {
        return Ok(());
    }
    let run = |actor: &Actor, op: &'static str, comment: Option<&str>| {
        let req = OperationRequest {
            record_id: id,
            inputs: comment
                .map(|c| BTreeMap::from([("manager_comment".into(), Raw::Text(c.into()))]))
                .unwrap_or_default(),
            ..Default::default()
        };
        let actor = actor.clone();
        async move {
            engine
                .run_operation(&actor, "expense_claims", op, &req, true)
                .await
                .map(|_| ())
                .map_err(|e| format!("demo claim {k}, {op}: {e}"))
        }
    };
    run(owner, "submit", None).await?;
    let open = |actor: &Actor| {
        let actor = actor.clone();
        async move {
            let Some(id) = id else { return Ok(Vec::new()) };
            engine
                .record(&actor, "expense_claims", id)
                .await
                .map(|r| r.operations)
                .map_err(|e| e.to_string())
        }
    };
    match plan {
        ClaimPlan::Rejected => {
            run(
                approver,
                "reject",
                Some("Please split the private part of this bill and submit again."),
            )
            .await?
        }
        ClaimPlan::Approved | ClaimPlan::ManagerApproved => {
            let ops = open(approver).await?;
            if ops.iter().any(|o| o == "approve") {
                run(approver, "approve", Some("OK, thanks.")).await?;
            } else if ops.iter().any(|o| o == "approve_over_limit") {
                run(
                    approver,
                    "approve_over_limit",
                    Some("OK for me; over the limit, so finance too."),
                )
                .await?;
                let finance = actors
                    .iter()
                    .find(|a| a.roles.iter().any(|r| r == "finance"));
                if let (ClaimPlan::Approved, Some(finance)) = (plan, finance) {
                    if open(finance).await?.iter().any(|o| o == "finance_approve") {
                        run(finance, "finance_approve", Some("Booked.")).await?;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Imports the demo's exchange rates when none are stored, and makes EUR the home currency when
/// none is set, so the sample claims get their home-currency totals.
async fn seed_rates(engine: &Engine) -> Result<(), String> {
    let e = |e: crate::engine::EngineError| e.to_string();
    if engine.home_currency().await.map_err(e)?.is_none() {
        let eur = crate::engine::value::CurrencyCode::parse("EUR")?;
        engine.set_home_currency(eur).await.map_err(e)?;
    }
    let (_, extent) = engine.rates_page(0, 1).await.map_err(e)?;
    if extent.rows == 0 {
        engine.import_rates(DEMO_RATES, None).await.map_err(e)?;
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
    let owners = ensure_employees(&auth, users).await?;
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
