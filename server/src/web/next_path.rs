//! `next`, where the sign-in page sends someone once they are signed in: only ever a path on
//! this site, however a browser might read it.

/// Why a `next` value is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeNext {
    /// It holds characters no HTTP header may carry (CR, LF, NUL, …): no link of ours makes
    /// such a value, and echoing it into `Location` would be a header injection.
    Malformed,
    /// It leaves the site, or some browser could read it that way.
    OffSite,
}

/// Reads `next` as a path on this site: one `/` then neither `/` nor `\`, no backslash, no
/// control character (raw, or percent-encoded), the same once decoded, and a browser resolving it
/// against this site stays here. Browsers drop tabs and newlines from URLs and read `\` as `/`,
/// so `/\t/evil.example` or `/\\evil.example` would otherwise lead to another origin.
pub fn parse_next(next: &str) -> Result<&str, UnsafeNext> {
    if next.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(UnsafeNext::Malformed);
    }
    let same_site = |s: &str| {
        let mut chars = s.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !s.chars().any(char::is_control)
    };
    if !same_site(next) || next.contains('\\') {
        return Err(UnsafeNext::OffSite);
    }
    // A proxy or a second redirect may decode again: each decoded form must pass too (and
    // nothing we link to is encoded more than a few times over).
    let mut decoded = next.to_string();
    let mut depth = 0;
    while let Some(d) = percent_decoded(&decoded) {
        depth += 1;
        if depth > 4 || !same_site(&d) {
            return Err(UnsafeNext::OffSite);
        }
        decoded = d;
    }
    // Last, resolve it as a browser would (the WHATWG URL parser) and compare origins.
    let base = url::Url::parse("http://formwork.invalid/").map_err(|_| UnsafeNext::OffSite)?;
    match base.join(next) {
        Ok(u) if u.origin() == base.origin() && !u.path().starts_with("//") => Ok(next),
        _ => Err(UnsafeNext::OffSite),
    }
}

/// `s` with its `%XX` escapes decoded (invalid UTF-8 replaced), or `None` when it has none.
fn percent_decoded(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                changed = true;
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Where to go after signing in: `next` when it stays on this site, else the home page.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(|n| parse_next(n).ok())
        .unwrap_or("/")
        .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{parse_next, safe_next, UnsafeNext};

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next(Some("/apps/x?y=1")), "/apps/x?y=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        for off_site in [
            "/\t/evil.example/x",
            "/%09/evil.example/x",
            "/%2509/evil.example/x",
            "/%2f/evil.example",
            "/%2F%2Fevil.example",
            "/%5cevil.example",
            "/%5C%5Cevil.example",
            "/.//evil.example",
            "/a\\b",
            "/\u{85}/evil.example",
            "\\/evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(
                parse_next(off_site),
                Err(UnsafeNext::OffSite),
                "{off_site:?}"
            );
        }
        for malformed in [
            "/\r\nSet-Cookie: x=1",
            "/\n//evil",
            "/\x0b/evil",
            "/\0",
            "/\x7f",
        ] {
            assert_eq!(
                parse_next(malformed),
                Err(UnsafeNext::Malformed),
                "{malformed:?}"
            );
        }
        // What this site itself sends to the sign-in page stays intact.
        let authorize = "/oauth/authorize?response_type=code&client_id=fwc_1&redirect_uri=https%3A%2F%2Fclaude.ai%2Fapi%2Fmcp%2Fauth_callback&state=a%252Fb+c";
        assert_eq!(parse_next(authorize), Ok(authorize));
        assert_eq!(
            parse_next("/apps/expense_claims/views/all?q=caf%C3%A9"),
            Ok("/apps/expense_claims/views/all?q=caf%C3%A9")
        );
    }

    /// A small xorshift generator: reproducible inputs without a new dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Pieces attackers combine to smuggle another origin past a path check.
    const PIECES: &[&str] = &[
        "/",
        "\\",
        "//",
        "/\\",
        "\\/",
        "\t",
        "\n",
        "\r",
        "\x0b",
        "\x0c",
        "\0",
        "\x7f",
        "\u{85}",
        " ",
        "%09",
        "%0a",
        "%0d",
        "%00",
        "%2f",
        "%2F",
        "%5c",
        "%5C",
        "%25",
        "%252f",
        "%2509",
        "@",
        ":",
        "//evil.example",
        "evil.example",
        "https:",
        "http://",
        "javascript:",
        "data:",
        ".",
        "..",
        "./",
        "../",
        "?",
        "#",
        "&",
        "=",
        "%",
        "%e2%80%ae",
        "\u{2028}",
        "\u{ff0f}",
        "\u{3002}",
        "a",
        "apps",
        "\u{e9}",
    ];

    #[test]
    fn fuzzed_next_values_always_give_a_path_on_this_site() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let base = url::Url::parse("https://forms.example/").unwrap();
        let mut followed = 0;
        for round in 0..200_000 {
            let candidate = if round % 4 == 0 {
                // Random bytes, as lossy UTF-8.
                let len = rng.below(24);
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                let mut s = String::new();
                if round % 3 != 0 {
                    s.push('/');
                }
                for _ in 0..rng.below(7) {
                    s.push_str(PIECES[rng.below(PIECES.len())]);
                }
                s
            };
            let next = safe_next(Some(&candidate));
            if next == candidate && next != "/" {
                followed += 1;
            }
            let mut chars = next.chars();
            assert_eq!(chars.next(), Some('/'), "{candidate:?} gave {next:?}");
            assert!(
                !matches!(chars.next(), Some('/' | '\\')),
                "{candidate:?} gave {next:?}"
            );
            assert!(
                !next.chars().any(char::is_control),
                "{candidate:?} gave {next:?}"
            );
            // And a browser resolving it stays on this site.
            let resolved = base.join(&next).unwrap();
            assert_eq!(
                resolved.origin(),
                base.origin(),
                "{candidate:?} gave {next:?}"
            );
        }
        // The generator reaches both sides of the check, not only the fallback.
        assert!(followed > 10_000, "only {followed} values were followed");
    }
}
