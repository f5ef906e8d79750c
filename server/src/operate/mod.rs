//! What operators see: Prometheus metrics (`/metrics`), liveness and readiness (`/healthz`,
//! `/readyz`), and a request id on every request — in the response header, the log lines, error
//! pages and MCP error results.
pub mod metrics;
pub mod request_id;
mod routes;

pub use routes::configure;
