//! The forms engine: app definitions, views → queries, operations, permissions and history.
//! It knows nothing about HTTP or JSON-RPC; the web UI and MCP call the same functions with an
//! [`Actor`] so that rules, permissions and history come out the same from either surface.
mod admin;
mod attachments;
pub mod bulk;
pub mod catalog;
pub(crate) mod checks;
pub mod conditions;
pub mod converted;
pub mod converted_lines;
pub mod default_values;
pub mod definition;
pub mod describe;
mod error;
pub mod evolution;
pub mod field_rules;
pub mod field_types;
pub mod line_converted;
pub mod line_evolution;
pub mod line_filters;
pub mod line_totals;
pub mod lines;
mod lookup_deletes;
pub mod lookup_paths;
pub mod lookups;
pub mod notify;
pub mod operations;
pub mod rates;
mod rates_csv;
pub mod records;
pub mod routing;
pub mod summaries;
pub mod upload_links;
pub mod value;
pub mod view_columns;
pub mod views;

pub use admin::{slug_from, Draft};
pub use attachments::{NewFile, StoredFile};
pub use catalog::{Catalog, PublishedApp};
pub use error::{EngineError, FieldError};
pub use operations::{Change, OperationOutcome, OperationRequest};
pub use records::RecordAccess;
pub use summaries::{SummaryGroup, SummaryPage};
pub use upload_links::UploadTarget;
pub use value::Raw;
pub use views::{ViewPage, ViewRequest};

use crate::store::{BlobStore, Store};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Web,
    Mcp,
    Cli,
}

impl Surface {
    pub fn as_str(self) -> &'static str {
        match self {
            Surface::Web => "web",
            Surface::Mcp => "mcp",
            Surface::Cli => "cli",
        }
    }
}

/// Who is acting, and through which surface.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub surface: Surface,
    /// The MCP client's name, for history.
    pub client_name: Option<String>,
}

impl Actor {
    /// Whether the actor holds any of the roles.
    pub fn has_any(&self, roles: &[String]) -> bool {
        roles.iter().any(|r| self.roles.contains(r))
    }

    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }
}

/// The engine: cheap to clone, shared by every surface.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    blobs: BlobStore,
    catalog: Arc<Catalog>,
    teams: Arc<routing::TeamCache>,
}

impl Engine {
    pub fn new(store: Store, blobs: BlobStore) -> Engine {
        Engine {
            teams: Arc::default(),
            catalog: Arc::new(Catalog::new(store.clone())),
            store,
            blobs,
        }
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> chrono::NaiveDate {
        self.now().date_naive()
    }
}
