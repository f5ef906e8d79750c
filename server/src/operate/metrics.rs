//! The process's Prometheus metrics (the `prometheus` crate), registered once. Labels are kept to
//! bounded sets: a route's pattern (never its path), a tool name the catalog knows, an error code.
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::sync::LazyLock;

/// Every metric Formwork exports.
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub request_seconds: HistogramVec,
    pub tool_calls: IntCounterVec,
    pub tool_seconds: HistogramVec,
    pub mcp_errors: IntCounterVec,
    pub sign_in_failures: IntCounter,
    pub uploads: IntCounterVec,
    pub pool: IntGaugeVec,
    pub outbox: IntGaugeVec,
}

const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("formwork".into()), None)?;
    let requests = IntCounterVec::new(
        Opts::new(
            "http_requests_total",
            "HTTP requests answered, by surface, route pattern and status class",
        ),
        &["surface", "route", "status"],
    )?;
    let request_seconds = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by surface and route pattern",
        )
        .buckets(BUCKETS.to_vec()),
        &["surface", "route"],
    )?;
    let tool_calls = IntCounterVec::new(
        Opts::new(
            "mcp_tool_calls_total",
            "MCP tool calls, by tool and outcome (ok or the error code)",
        ),
        &["tool", "outcome"],
    )?;
    let tool_seconds = HistogramVec::new(
        HistogramOpts::new(
            "mcp_tool_call_duration_seconds",
            "Time to answer an MCP tool call, by tool",
        )
        .buckets(BUCKETS.to_vec()),
        &["tool"],
    )?;
    let mcp_errors = IntCounterVec::new(
        Opts::new("mcp_errors_total", "MCP tool errors, by code"),
        &["code"],
    )?;
    let sign_in_failures = IntCounter::new("sign_in_failures_total", "Failed web sign-ins")?;
    let uploads = IntCounterVec::new(
        Opts::new(
            "uploads_total",
            "File uploads, by outcome (stored or the reason refused)",
        ),
        &["outcome"],
    )?;
    let pool = IntGaugeVec::new(
        Opts::new(
            "db_pool_connections",
            "Database pool connections, by state (open, idle)",
        ),
        &["state"],
    )?;
    let outbox = IntGaugeVec::new(
        Opts::new(
            "outbox_emails",
            "Notification emails in the outbox, by status",
        ),
        &["status"],
    )?;
    registry.register(Box::new(requests.clone()))?;
    registry.register(Box::new(request_seconds.clone()))?;
    registry.register(Box::new(tool_calls.clone()))?;
    registry.register(Box::new(tool_seconds.clone()))?;
    registry.register(Box::new(mcp_errors.clone()))?;
    registry.register(Box::new(sign_in_failures.clone()))?;
    registry.register(Box::new(uploads.clone()))?;
    registry.register(Box::new(pool.clone()))?;
    registry.register(Box::new(outbox.clone()))?;
    Ok(Metrics {
        registry,
        requests,
        request_seconds,
        tool_calls,
        tool_seconds,
        mcp_errors,
        sign_in_failures,
        uploads,
        pool,
        outbox,
    })
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match build() {
    Ok(m) => Some(m),
    Err(e) => {
        tracing::error!("metrics are off: {e}");
        None
    }
});

/// The metrics, when they could be registered (they always can; a failure only turns them off).
pub fn metrics() -> Option<&'static Metrics> {
    METRICS.as_ref()
}

/// Counts a tool call and its time; `outcome` is "ok" or the error code.
pub fn tool_call(tool: &str, outcome: &str, seconds: f64) {
    if let Some(m) = metrics() {
        m.tool_calls.with_label_values(&[tool, outcome]).inc();
        m.tool_seconds.with_label_values(&[tool]).observe(seconds);
        if outcome != "ok" {
            m.mcp_errors.with_label_values(&[outcome]).inc();
        }
    }
}

/// Counts an upload by outcome ("stored", "too_large", "unsupported", …).
pub fn upload(outcome: &str) {
    if let Some(m) = metrics() {
        m.uploads.with_label_values(&[outcome]).inc();
    }
}

/// Counts a failed sign-in.
pub fn sign_in_failed() {
    if let Some(m) = metrics() {
        m.sign_in_failures.inc();
    }
}

/// The text exposition format (version 0.0.4) of every metric.
pub fn render() -> String {
    let Some(m) = metrics() else {
        return String::new();
    };
    let mut out = Vec::new();
    match TextEncoder::new().encode(&m.registry.gather(), &mut out) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => format!("# metrics could not be encoded: {e}\n"),
    }
}
