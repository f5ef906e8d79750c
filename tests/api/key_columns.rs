//! A view page's total, counted on PostgreSQL from the key columns (`store::keys`): the totals of
//! status and supplier filters equal a count over the records' data however the records were
//! written (operations, or an UPDATE of `data` from outside Formwork), when the database's key
//! columns name other fields than the server expects (a process serving an older definition),
//! while a column is not filled yet, and after the columns were emptied and the server started
//! again (a restored backup), which fills them while it serves. The count reads the key column's
//! index alone. On SQLite, where the count reads the expression indexes, the same totals hold.
use crate::helpers::*;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::json;

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) {
    let backend = db.get_database_backend();
    db.execute(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    db.query_one(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// Alice's claims with the status (and a supplier containing `inn`), counted over the data.
async fn counted(db: &DatabaseConnection, status: &str, inn: bool) -> i64 {
    let (status_expr, supplier_expr) = match db.get_database_backend() {
        DatabaseBackend::Postgres => ("data->>'status'", "data->>'supplier' ILIKE '%inn%'"),
        _ => (
            "json_extract(data, '$.status')",
            "json_extract(data, '$.supplier') LIKE '%inn%'",
        ),
    };
    let supplier = if inn {
        format!(" AND {supplier_expr}")
    } else {
        String::new()
    };
    number(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM records WHERE owner_id = (SELECT id FROM users WHERE username = 'alice') AND {status_expr} = '{status}'{supplier}"
        ),
    )
    .await
}

/// The totals My claims gives Alice over MCP for each status, alone and with `supplier` contains
/// "inn", against the counts over the data.
async fn totals_match(app: &TestApp, token: &str) {
    let db = Database::connect(&app.db_url).await.unwrap();
    for status in ["Draft", "Submitted", "Approved", "Rejected"] {
        for inn in [false, true] {
            let mut args = json!({"status": status});
            if inn {
                args["supplier"] = json!("inn");
            }
            let r = call_tool(app, token, "expense_claims_my_claims", args).await;
            let total = r["structuredContent"]["total"].as_u64();
            let want = counted(&db, status, inn).await as u64;
            assert_eq!(total, Some(want), "status {status}, inn {inn}: {r}");
        }
    }
    db.close().await.ok();
}

/// Waits until every key column the map names is filled (a fill runs after a publication and at
/// start, while the server serves).
async fn until_ready(db: &DatabaseConnection) {
    for _ in 0..100 {
        let pending = number(
            db,
            "SELECT COUNT(*) AS n FROM record_key_fields WHERE NOT ready",
        )
        .await;
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("key columns still not filled after 10 s");
}

/// Records of the app whose key columns do not hold what the database's map says they do.
async fn keys_astray(db: &DatabaseConnection) -> i64 {
    number(
        db,
        "SELECT COUNT(*) AS n FROM records r JOIN record_key_fields k ON k.app_id = r.app_id WHERE \
         (k.slot = 1 AND r.key1 IS DISTINCT FROM r.data->>k.field) OR \
         (k.slot = 2 AND r.key2 IS DISTINCT FROM r.data->>k.field) OR \
         (k.slot = 3 AND r.key3 IS DISTINCT FROM r.data->>k.field) OR \
         (k.slot = 4 AND r.key4 IS DISTINCT FROM r.data->>k.field)",
    )
    .await
}

#[tokio::test]
async fn page_totals_from_key_columns_match_the_data_through_writes_and_restores() {
    let mut app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let suppliers = ["Premier Inn", "Coop", "Innsbruck Hotel", "Café Einstein"];
    let mut ids = Vec::new();
    for i in 0..12 {
        let supplier = suppliers[i % suppliers.len()];
        ids.push(claim_with_supplier(&alice, &format!("claim {i}"), supplier, "supplier").await);
    }
    let bobs = claim_with_supplier(&bob, "bob's claim", "Premier Inn", "supplier").await;
    let token = app.token("alice");
    let pg = app.db_url.starts_with("postgres");
    let db = Database::connect(&app.db_url).await.unwrap();

    // Statuses set by an UPDATE of the data from outside Formwork: the trigger keeps the key
    // columns as any write does.
    let set_status = if pg {
        "UPDATE records SET data = jsonb_set(data, '{status}', to_jsonb(CAST($1 AS TEXT))) WHERE id = $2"
    } else {
        "UPDATE records SET data = json_set(data, '$.status', ?) WHERE id = ?"
    };
    for (id, status) in ids[..5]
        .iter()
        .map(|id| (*id, "Approved"))
        .chain(ids[5..7].iter().map(|id| (*id, "Rejected")))
        .chain([(bobs, "Approved")])
    {
        exec(&db, set_status, vec![status.into(), id.into()]).await;
    }
    totals_match(&app, &token).await;
    if !pg {
        db.close().await.ok();
        return;
    }

    // The map of the key columns: the status (every view filters on it) and the supplier.
    let mapped = |field: &'static str| {
        format!("SELECT CAST(slot AS BIGINT) AS n FROM record_key_fields WHERE field = '{field}'")
    };
    until_ready(&db).await;
    let status_slot = number(&db, &mapped("status")).await;
    assert!((1..=4).contains(&status_slot));
    assert!(number(&db, &mapped("supplier")).await >= 1);
    assert_eq!(keys_astray(&db).await, 0);

    // The database's columns name another field than the server expects: the count checks the
    // map in its own statement and counts from the data instead, still exactly.
    exec(
        &db,
        "UPDATE record_key_fields SET field = 'purpose' WHERE field = 'status'",
        vec![],
    )
    .await;
    totals_match(&app, &token).await;
    exec(
        &db,
        "UPDATE record_key_fields SET field = 'status' WHERE field = 'purpose'",
        vec![],
    )
    .await;

    // The count reads the key column's index alone. With a few thousand records (other people's)
    // and the table's visibility map made, PostgreSQL plans an index-only scan.
    exec(
        &db,
        "INSERT INTO records (app_id, owner_id, version, data, created_at, updated_at) \
         SELECT r.app_id, r.owner_id, r.version, r.data, r.created_at, r.updated_at \
         FROM records r, generate_series(1, 3000) g WHERE r.id = $1",
        vec![bobs.into()],
    )
    .await;
    exec(&db, "VACUUM ANALYZE records", vec![]).await;
    let store = formwork::store::Store::connect(&app.db_url).await.unwrap();
    let ids_row = db
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT (SELECT id FROM apps WHERE slug = 'expense_claims') AS app, (SELECT id FROM users WHERE username = 'alice') AS alice",
        ))
        .await
        .unwrap()
        .unwrap();
    let q = formwork::store::RecordQuery {
        app_id: ids_row.try_get("", "app").unwrap(),
        owners: Some(vec![ids_row.try_get("", "alice").unwrap()]),
        predicates: vec![formwork::store::Predicate {
            field: "status".into(),
            kind: formwork::store::ValueKind::Text,
            op: formwork::store::PredicateOp::Eq,
            value: "Approved".into(),
            via: None,
            indexed: false,
            key: Some(status_slot as u8),
        }],
        limit: 25,
        ..Default::default()
    };
    let plan = store.explain_records(&q).await.unwrap().join("\n");
    store.close().await.ok();
    assert!(
        plan.contains(&format!("Index Only Scan using records_key{status_slot}")),
        "{plan}"
    );
    totals_match(&app, &token).await;

    // Columns registered but not filled yet (a publication's fill still running): counted from
    // the data.
    let empty = "UPDATE records SET key1 = NULL, key2 = NULL, key3 = NULL, key4 = NULL";
    exec(&db, "UPDATE record_key_fields SET ready = FALSE", vec![]).await;
    exec(&db, empty, vec![]).await;
    totals_match(&app, &token).await;

    // A restored backup has no key columns (they are left out, being derived): the server
    // registers them again when it starts and fills them while it serves.
    drop(alice);
    drop(bob);
    app.kill();
    exec(&db, "DELETE FROM record_key_fields", vec![]).await;
    app.start(&[]);
    totals_match(&app, &token).await;
    until_ready(&db).await;
    assert_eq!(number(&db, &mapped("status")).await, status_slot);
    assert_eq!(keys_astray(&db).await, 0);
    totals_match(&app, &token).await;
    db.close().await.ok();
}
