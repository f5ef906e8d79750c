//! `/healthz` (the process answers), `/readyz` (the database and the file store answer) and
//! `/metrics` (Prometheus text; with a token when one is configured, else from this machine only).
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.engine.store().ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("unreachable: {e}"),
    };
    let files = match state.engine.blobs().check_ready().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("unreachable: {e}"),
    };
    let ready = database == "ok" && files == "ok";
    let body = json!({"ready": ready, "database": database, "files": files});
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Whether the request comes straight from this machine (no proxy in between).
fn from_this_machine(req: &HttpRequest) -> bool {
    let proxied =
        req.headers().contains_key("x-forwarded-for") || req.headers().contains_key("forwarded");
    !proxied && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
}

async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let allowed = match state.config.metrics_token.as_deref() {
        Some(token) => req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| crate::auth::same(sent.trim(), token)),
        None => from_this_machine(&req),
    };
    if !allowed {
        return HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(if state.config.metrics_token.is_some() {
                "metrics need the metrics token (Authorization: Bearer …)\n"
            } else {
                "metrics are served to this machine only; set --metrics-token to scrape from elsewhere\n"
            });
    }
    if let Some(m) = super::metrics::metrics() {
        let store = state.engine.store();
        if let Some((open, idle)) = store.pool_status() {
            m.pool.with_label_values(&["open"]).set(open as i64);
            m.pool.with_label_values(&["idle"]).set(idle as i64);
        }
        if let Ok(counts) = store.email_counts().await {
            for (status, n) in counts {
                m.outbox.with_label_values(&[&status]).set(n);
            }
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(super::metrics::render())
}
