//! `HEAD` answered like `GET` on every route, without a second route for each: monitors and load
//! balancers probe with `HEAD`. The request is routed as a `GET`; the HTTP/1 codec remembers the
//! method it decoded and leaves the body out while keeping the GET's headers (`Content-Length`
//! included). A streamed body (the MCP event stream) would never end, so it is dropped here.
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;

/// Routes `HEAD` as `GET`.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if head {
        if let BodySize::Stream = res.response().body().size() {
            return Ok(res.map_body(|_, _| BoxBody::new(())));
        }
    }
    Ok(res)
}
