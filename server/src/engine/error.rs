//! Engine errors: each says what happened and what to do next.
use crate::store::StoreError;

/// One rejected input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub label: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (`{}`): {}", self.label, self.field, self.message)
    }
}

/// Why an engine call was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("no published app `{0}`")]
    AppNotFound(String),
    #[error("app `{app}` has no view `{view}` available to you")]
    ViewNotFound { app: String, view: String },
    #[error("app `{app}` has no operation `{operation}` available to you")]
    OperationNotFound { app: String, operation: String },
    #[error("record {0} does not exist or is not visible to you")]
    RecordNotFound(i64),
    #[error("{0}")]
    Forbidden(String),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Precondition(String),
    #[error("record {id} changed since you read it: you have version {expected}, it is now at version {current}; read it again and retry")]
    Stale {
        id: i64,
        expected: i64,
        current: i64,
    },
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Definition(Vec<crate::engine::definition::DefinitionError>),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EngineError {
    /// Whether the caller can fix it (vs. a server fault).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, EngineError::Store(_))
    }
}
