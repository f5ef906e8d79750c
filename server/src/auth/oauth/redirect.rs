//! Redirect URIs: what a client may register, and how a request's `redirect_uri` is matched
//! against the registered ones (exact string match, RFC 9700 §4.1.3; any port on loopback,
//! RFC 8252 §7.3).
use url::{Host, Url};

/// A registrable redirect URI: absolute, without fragment or user information, `https`, or
/// `http` on a loopback address (native apps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(Host::Ipv4(a)) => a.is_loopback(),
        Some(Host::Ipv6(a)) => a.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn is_loopback_http(u: &Url) -> bool {
    u.scheme() == "http" && is_loopback(u)
}

impl RedirectUri {
    /// Parses a redirect URI an administrator or a registering client gave.
    pub fn parse(s: &str) -> Result<RedirectUri, String> {
        let s = s.trim();
        if s.is_empty() || s.len() > 2000 {
            return Err("a redirect URI must have between 1 and 2000 characters".into());
        }
        let u = Url::parse(s).map_err(|_| format!("`{s}` is not an absolute URL"))?;
        if u.fragment().is_some() {
            return Err(format!("`{s}` must not contain a fragment (#…)"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(format!("`{s}` must not contain user information"));
        }
        match u.scheme() {
            "https" if u.host().is_some() => Ok(RedirectUri(s.to_string())),
            "http" if is_loopback(&u) => Ok(RedirectUri(s.to_string())),
            "http" => Err(format!(
                "`{s}`: use https; plain http is allowed only on loopback (127.0.0.1, [::1], localhost)"
            )),
            _ => Err(format!(
                "`{s}`: use an https URL, or an http URL on loopback for a local app"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a request's `redirect_uri` is this registered one: the same string, or, for a
    /// loopback http URI, the same URI on any port.
    pub fn matches(&self, requested: &str) -> bool {
        if self.0 == requested {
            return true;
        }
        let (Ok(reg), Ok(req)) = (Url::parse(&self.0), Url::parse(requested)) else {
            return false;
        };
        is_loopback_http(&reg)
            && is_loopback_http(&req)
            && reg.host() == req.host()
            && reg.path() == req.path()
            && reg.query() == req.query()
            && req.fragment().is_none()
            && req.username().is_empty()
            && req.password().is_none()
    }
}

/// Parses a list of redirect URIs (one per line or separated by spaces or commas); at least one.
pub fn parse_list<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<RedirectUri>, String> {
    let uris = items
        .into_iter()
        .flat_map(|s| s.split(|c: char| c.is_whitespace() || c == ','))
        .filter(|s| !s.is_empty())
        .map(RedirectUri::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if uris.is_empty() {
        return Err("give at least one redirect URI".into());
    }
    if uris.len() > 20 {
        return Err("at most 20 redirect URIs".into());
    }
    Ok(uris)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_register_and_others_do_not() {
        assert!(RedirectUri::parse("https://claude.ai/api/mcp/auth_callback").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1/callback").is_ok());
        assert!(RedirectUri::parse("http://localhost:3000/cb").is_ok());
        assert!(RedirectUri::parse("http://[::1]/cb").is_ok());
        assert!(RedirectUri::parse("http://evil.example/cb").is_err());
        assert!(RedirectUri::parse("https://ok.example/cb#frag").is_err());
        assert!(RedirectUri::parse("https://user:pw@ok.example/cb").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
    }

    #[test]
    fn remote_uris_match_exactly_and_loopback_on_any_port() {
        let claude = RedirectUri::parse("https://claude.ai/api/mcp/auth_callback").unwrap();
        assert!(claude.matches("https://claude.ai/api/mcp/auth_callback"));
        assert!(!claude.matches("https://claude.ai/api/mcp/auth_callback/"));
        assert!(!claude.matches("https://claude.ai:8443/api/mcp/auth_callback"));
        assert!(!claude.matches("https://claude.ai/api/mcp/auth_callback?x=1"));
        let local = RedirectUri::parse("http://127.0.0.1/callback").unwrap();
        assert!(local.matches("http://127.0.0.1:53123/callback"));
        assert!(!local.matches("http://127.0.0.1:53123/other"));
        assert!(!local.matches("http://localhost:53123/callback"));
        assert!(!local.matches("https://127.0.0.1:53123/callback"));
        assert!(!local.matches("http://127.0.0.1.evil.example:53123/callback"));
    }

    #[test]
    fn lists_split_on_lines_spaces_and_commas() {
        let l =
            parse_list(["https://a.example/cb\nhttp://localhost/cb, https://b.example/x"]).unwrap();
        assert_eq!(l.len(), 3);
        assert!(parse_list(["  "]).is_err());
    }
}
