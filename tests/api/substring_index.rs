//! `contains` view parameters answered by the substring index (trigrams: SQLite FTS5,
//! PostgreSQL `pg_trgm`): the records listed are exactly those a plain `LIKE`/`ILIKE` scan finds,
//! for short needles (scanned), wildcards, quotes and umlauts, before and after a rename of the
//! field in the App Editor; the plan reads the trigram index; a server started on a database
//! without the index (a restored backup) fills it again.
use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use serde_json::json;

const SUPPLIERS: &[&str] = &[
    "Premier Inn",
    "Innsbruck Hotel",
    "INN garage",
    "Xinnx",
    "50% Off Store",
    "5000 Store",
    "A_B Trading",
    "AxB Trading",
    "O'Reilly Media",
    "Say \"Hi\" Ltd",
    "Müller Bäckerei",
    "MÜLLER Bau",
    "Café Einstein",
    "Coop",
];

const NEEDLES: &[&str] = &[
    "inn",
    "INN",
    "Inn",
    "in",
    "n",
    "%",
    "50%",
    "0% O",
    "_",
    "a_b",
    "A_B",
    "'re",
    "O'R",
    "\"hi\"",
    "ü",
    "müller",
    "MÜLLER",
    "äck",
    "BÄCK",
    "é E",
    "afé",
    "zzz",
    "Premier Inn",
    "\\",
];

/// The `LIKE` pattern of a needle, escaped as Formwork escapes it.
fn pattern(needle: &str) -> String {
    let mut p = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Purposes of Alice's claims whose `key` contains the needle, by a plain scan in the database.
async fn scanned(app: &TestApp, key: &str, needle: &str) -> Vec<String> {
    let db = Database::connect(&app.db_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "SELECT data->>'purpose' AS p FROM records WHERE owner_id = (SELECT id FROM users WHERE username = 'alice') AND (data->>'{key}') ILIKE $1 ESCAPE '\\'"
        ),
        _ => format!(
            "SELECT json_extract(data, '$.purpose') AS p FROM records WHERE owner_id = (SELECT id FROM users WHERE username = 'alice') AND json_extract(data, '$.{key}') LIKE ? ESCAPE '\\'"
        ),
    };
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            &sql,
            vec![pattern(needle).into()],
        ))
        .await
        .unwrap();
    db.close().await.ok();
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "p").unwrap())
        .collect();
    out.sort();
    out
}

/// Purposes and total of My claims with `supplier` contains the needle, over MCP.
async fn listed(app: &TestApp, token: &str, needle: &str) -> (Vec<String>, u64) {
    let r = call_tool(
        app,
        token,
        "expense_claims_my_claims",
        json!({"supplier": needle, "limit": 100}),
    )
    .await;
    let sc = &r["structuredContent"];
    assert!(sc.is_object(), "{needle:?}: {r}");
    let mut out: Vec<String> = rows_of(sc)
        .iter()
        .map(|row| row["purpose"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    (out, sc["total"].as_u64().unwrap())
}

async fn same_as_the_scan(app: &TestApp, token: &str, key: &str) {
    for needle in NEEDLES {
        let want = scanned(app, key, needle).await;
        let (got, total) = listed(app, token, needle).await;
        assert_eq!(got, want, "supplier contains {needle:?}");
        assert_eq!(total, want.len() as u64, "total for {needle:?}");
    }
}

/// The plan of My claims with `key` contains the needle, as the view runs it for Alice.
async fn plan(app: &TestApp, key: &str, needle: &str) -> String {
    let store = formwork::store::Store::connect(&app.db_url).await.unwrap();
    let db = Database::connect(&app.db_url).await.unwrap();
    let backend = db.get_database_backend();
    let ids = db
        .query_one(Statement::from_string(
            backend,
            "SELECT (SELECT id FROM apps WHERE slug = 'expense_claims') AS app, (SELECT id FROM users WHERE username = 'alice') AS alice",
        ))
        .await
        .unwrap()
        .unwrap();
    db.close().await.ok();
    let q = formwork::store::RecordQuery {
        app_id: ids.try_get("", "app").unwrap(),
        owners: Some(vec![ids.try_get("", "alice").unwrap()]),
        predicates: vec![formwork::store::Predicate {
            field: key.into(),
            kind: formwork::store::ValueKind::Text,
            op: formwork::store::PredicateOp::Contains,
            value: needle.into(),
            via: None,
            indexed: true,
            key: None,
        }],
        sort: vec![formwork::store::SortKey {
            field: "expense_date".into(),
            kind: formwork::store::ValueKind::Text,
            desc: true,
        }],
        limit: 25,
        ..Default::default()
    };
    let lines = store.explain_records(&q).await.unwrap();
    store.close().await.ok();
    lines.join("\n")
}

#[tokio::test]
async fn contains_parameters_list_what_a_scan_finds_before_and_after_a_rename() {
    let mut app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    for (i, s) in SUPPLIERS.iter().enumerate() {
        claim_with_supplier(&alice, &format!("claim {i:02}"), s, "supplier").await;
    }
    // Bob's claims share the index's values but are never Alice's.
    claim_with_supplier(&bob, "bob's inn", "Premier Inn", "supplier").await;
    let token = app.token("alice");
    same_as_the_scan(&app, &token, "supplier").await;

    // Values no record holds (left behind by edits) only make the index larger; with more than
    // the page names one by one, the values are read in a subquery: the same records either way.
    let pg = app.db_url.starts_with("postgres");
    let db = Database::connect(&app.db_url).await.unwrap();
    let fill = if pg {
        "INSERT INTO record_texts (app_id, field, value) SELECT a.id, 'supplier', 'filler ' || g FROM apps a, generate_series(1, 20000) g WHERE a.slug = 'expense_claims'"
    } else {
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000) INSERT INTO record_texts (app_id, field, value) SELECT a.id, 'supplier', 'filler ' || g.n FROM apps a, g WHERE a.slug = 'expense_claims'"
    };
    db.execute_unprepared(fill).await.unwrap();
    // With a handful of values PostgreSQL rightly reads them all; with many it asks the trigram
    // index, as it would on a large site.
    db.execute_unprepared("ANALYZE").await.unwrap();
    db.close().await.ok();
    for needle in ["ler", "fill", "ller 7"] {
        let want = scanned(&app, "supplier", needle).await;
        let (got, total) = listed(&app, &token, needle).await;
        assert_eq!(got, want, "supplier contains {needle:?}");
        assert_eq!(total, want.len() as u64);
    }

    // The plan reads the trigram index for a needle of three characters or more, then the
    // records' expression index like an equality.
    let p = plan(&app, "supplier", "inn").await;
    if pg {
        assert!(p.contains("record_texts_trgm"), "{p}");
    } else {
        assert!(p.contains("record_texts_fts VIRTUAL TABLE"), "{p}");
        assert!(p.contains("<expr>=?"), "{p}");
    }
    let p = plan(&app, "supplier", "in").await;
    assert!(
        !p.contains("record_texts"),
        "a short needle is scanned: {p}"
    );
    same_as_the_scan(&app, &token, "supplier").await;

    // Renamed in the App Editor: the records keep their values under the new name, the
    // parameter follows, and new writes go to the index under the new name.
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/supplier",
            &[
                ("label", "Vendor"),
                ("name", "vendor"),
                ("type", "text"),
                ("help", ""),
                ("default", ""),
                ("max_len", "200"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/publish",
            &[("note", "supplier is now vendor")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    // The catalog is read again within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    claim_with_supplier(&alice, "claim after rename", "Innkeeper's Ale", "vendor").await;
    claim_with_supplier(&alice, "claim umlaut", "Grüne Inn", "vendor").await;
    same_as_the_scan(&app, &token, "vendor").await;
    let (got, _) = listed(&app, &token, "keeper").await;
    assert_eq!(got, vec!["claim after rename".to_string()]);
    if !pg {
        let p = plan(&app, "vendor", "inn").await;
        assert!(p.contains("record_texts_fts VIRTUAL TABLE"), "{p}");
    }

    // A restored backup has no substring index (it is left out, being derived): the server
    // fills it again when it starts.
    drop(alice);
    app.kill();
    let db = Database::connect(&app.db_url).await.unwrap();
    for t in ["text_index_fields", "record_texts"] {
        db.execute_unprepared(&format!("DELETE FROM {t}"))
            .await
            .unwrap();
    }
    db.close().await.ok();
    app.start(&[]);
    same_as_the_scan(&app, &token, "vendor").await;
}
