//! The Formwork schema, versioned with sea-orm-migration. Runs on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_auth_throttle;
mod m0003_app_editor;
mod m0004_accounts;
mod m0005_notifications;
mod m0006_workflow;
mod m0007_rates;
mod m0008_people;
mod m0009_summary_rollups;
mod m0010_departments;
mod m0011_upload_links;
mod m0012_substring_index;
mod m0013_line_index;
mod m0014_record_keys;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_auth_throttle::Migration),
            Box::new(m0003_app_editor::Migration),
            Box::new(m0004_accounts::Migration),
            Box::new(m0005_notifications::Migration),
            Box::new(m0006_workflow::Migration),
            Box::new(m0007_rates::Migration),
            Box::new(m0008_people::Migration),
            Box::new(m0009_summary_rollups::Migration),
            Box::new(m0010_departments::Migration),
            Box::new(m0011_upload_links::Migration),
            Box::new(m0012_substring_index::Migration),
            Box::new(m0013_line_index::Migration),
            Box::new(m0014_record_keys::Migration),
        ]
    }
}
