//! The network address a request came from, for rate limits. Behind a reverse proxy on the same
//! machine (a public URL is set and the peer is loopback) it is the address the proxy appended
//! last to `X-Forwarded-For`; a client cannot forge that entry, only ones before it.
use super::AppState;
use actix_web::HttpRequest;
use std::net::IpAddr;

/// The client's address as text (`unknown` when there is none).
pub fn client_address(req: &HttpRequest, state: &AppState) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let behind_proxy = state.config.public_url.is_some() && peer.is_some_and(|p| p.is_loopback());
    if behind_proxy {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .last();
        if let Some(ip) = forwarded {
            return ip.to_string();
        }
    }
    peer.map(|p| p.to_string())
        .unwrap_or_else(|| "unknown".into())
}
