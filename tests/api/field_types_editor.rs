//! The new field types in the App Editor: a retype checked against stored values, and a type's
//! own settings (a whole number's bounds and unit, a multi-select's options) with its preview.
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn retyping_text_to_email_is_refused_with_a_count_of_values_that_are_not_addresses() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    alice.new_claim("ann@example.org").await;
    alice.new_claim("Dinner").await;
    alice.new_claim("Lunch with bob@").await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/purpose",
            &[
                ("label", "Purpose"),
                ("name", "purpose"),
                ("type", "email"),
                ("help", ""),
                ("default", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("2 records hold values that do not fit"),
        "{page}"
    );
    let (_, versions) = admin.get_text("/admin/apps/expense_claims/versions").await;
    assert!(versions.contains("nothing to publish"), "nothing was saved");
}

#[tokio::test]
async fn the_app_editor_adds_a_multichoice_and_an_integer_with_their_settings() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields",
            &[("label", "Nights"), ("name", "nights"), ("type", "integer")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin
        .get_text("/admin/apps/expense_claims/fields/nights")
        .await;
    assert!(
        page.contains("name=\"unit\""),
        "the unit is a setting: {page}"
    );
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/nights",
            &[
                ("label", "Nights"),
                ("name", "nights"),
                ("type", "integer"),
                ("help", ""),
                ("default", ""),
                ("min", "1.5"),
                ("max", ""),
                ("unit", "nights"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("is not a whole number"));
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/nights",
            &[
                ("label", "Nights"),
                ("name", "nights"),
                ("type", "integer"),
                ("help", ""),
                ("default", ""),
                ("min", "1"),
                ("max", ""),
                ("unit", "nights"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields",
            &[("label", "Tags"), ("name", "tags"), ("type", "multichoice")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.get_text("/admin/apps/expense_claims/fields").await;
    assert!(
        page.contains(r#"type="checkbox" name="preview_tags" value="Option 1""#),
        "the preview shows the checkboxes: {page}"
    );
    assert!(page.contains("nights</span>"), "and the unit: {page}");
}
