//! OpenSSH host patterns (`*`, `?`, `!negation`), shared by ssh_config `Host` lines and
//! known_hosts host fields, so both files match names exactly as OpenSSH does.

/// Matches `text` against one glob-like pattern: `*` is any run of characters, `?` one
/// character. Case-insensitive, as OpenSSH lowercases host names before matching.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    // Iterative matcher with one backtrack point: linear in practice, no recursion blowup.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Matches `text` against a list of patterns: true when some positive pattern matches and no
/// negated (`!pattern`) one does. A negated match wins over any positive one.
pub fn pattern_list_match<'a>(patterns: impl IntoIterator<Item = &'a str>, text: &str) -> bool {
    let mut positive = false;
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(negated, text) {
                return false;
            }
        } else if wildcard_match(pattern, text) {
            positive = true;
        }
    }
    positive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("web-*", "web-1"));
        assert!(wildcard_match("web-?", "web-1"));
        assert!(!wildcard_match("web-?", "web-12"));
        assert!(wildcard_match("10.0.*.*", "10.0.1.5"));
        assert!(wildcard_match("*.example.com", "a.b.EXAMPLE.com"));
        assert!(!wildcard_match("*.example.com", "example.com"));
        assert!(wildcard_match("a*b*c", "aXXbYYbZc"));
        assert!(!wildcard_match("a*b*c", "aXXbYYbZ"));
        assert!(wildcard_match("[host]:2222", "[HOST]:2222"));
    }

    #[test]
    fn negation_wins() {
        assert!(pattern_list_match(["web-*", "!web-3"], "web-1"));
        assert!(!pattern_list_match(["web-*", "!web-3"], "web-3"));
        assert!(
            !pattern_list_match(["!web-3"], "web-1"),
            "negation alone matches nothing"
        );
        assert!(!pattern_list_match(["db"], "web"));
    }
}
