//! Ansible's `key=value` argument strings (`copy: src=a dest=/b mode=0644`), parsed exactly as
//! ansible-core's `parsing/splitter.py` does: split on spaces and newlines but keep quoted
//! text and Jinja blocks (`{{ }}`, `{% %}`, `{# #}`) whole, decode backslash escapes, strip one
//! pair of surrounding quotes from values. For `command`/`shell` only the keys that are
//! command options are taken out; the rest is the command line (`_raw_params`), spacing kept.
//!
//! Porting the quirks matters: users copy these strings from Ansible playbooks, and a
//! different split would run a different command.

use indexmap::IndexMap;

/// The keys `command`/`shell` take out of a free-form line; everything else stays command text.
const RAW_OPTION_KEYS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Parses a `k=v` string. With `check_raw` (command, shell) only command options become keys;
/// otherwise every `k=v` token does. Tokens without `=` are joined into `_raw_params`.
pub fn parse_kv(args: &str, check_raw: bool) -> Result<IndexMap<String, String>, String> {
    let mut options = IndexMap::new();
    let mut raw_params: Vec<String> = Vec::new();
    for orig in split_args(args)? {
        let x = decode_escapes(&orig);
        match find_unescaped_equals(&x) {
            None if x.contains('=') => raw_params.push(x.replace("\\=", "=")),
            None => raw_params.push(orig),
            Some(pos) => {
                let (k, v) = (&x[..pos], &x[pos + 1..]);
                if check_raw && !RAW_OPTION_KEYS.contains(&k) {
                    raw_params.push(orig);
                } else {
                    options.insert(k.trim().to_string(), unquote(v.trim()).to_string());
                }
            }
        }
    }
    if !raw_params.is_empty() {
        options.insert("_raw_params".to_string(), join_args(&raw_params));
    }
    Ok(options)
}

/// The first `=` after the first character that is not preceded by a backslash (Ansible
/// searches from index 1, so a leading `=` never splits).
fn find_unescaped_equals(x: &str) -> Option<usize> {
    let bytes = x.as_bytes();
    (1..bytes.len()).find(|&i| bytes[i] == b'=' && bytes[i - 1] != b'\\')
}

/// Splits on spaces and newlines, re-joining pieces inside quotes or Jinja blocks. Runs of
/// spaces and the newlines are kept on the preceding token so [`join_args`] restores them.
pub fn split_args(args: &str) -> Result<Vec<String>, String> {
    let mut params: Vec<String> = Vec::new();
    if args.is_empty() {
        return Ok(params);
    }
    let items: Vec<&str> = args.split('\n').collect();
    let mut quote_char: Option<char> = None;
    let (mut print_depth, mut block_depth, mut comment_depth) = (0usize, 0usize, 0usize);

    for (item_idx, item) in items.iter().enumerate() {
        let tokens: Vec<&str> = item.split(' ').collect();
        let mut line_continuation = false;
        for (idx, token) in tokens.iter().copied().enumerate() {
            if token.is_empty() && idx != 0 {
                last(&mut params).push(' ');
                continue;
            }
            let inside_before = quote_char.is_some();
            if token == "\\" && !inside_before {
                line_continuation = true;
                continue;
            }
            quote_char = quote_state(token, quote_char);
            let inside = quote_char.is_some();
            let in_jinja = print_depth > 0 || block_depth > 0 || comment_depth > 0;
            let mut appended = false;
            if inside && !inside_before && !in_jinja {
                params.push(token.to_string());
                appended = true;
            } else if in_jinja || inside || inside_before {
                let prev = last(&mut params);
                // A token continuing a quote on a new line follows the newline directly.
                if idx > 0 {
                    prev.push(' ');
                }
                prev.push_str(token);
                appended = true;
            }
            for (depth, open, close) in [
                (&mut print_depth, "{{", "}}"),
                (&mut block_depth, "{%", "%}"),
                (&mut comment_depth, "{#", "#}"),
            ] {
                let before = *depth;
                *depth = jinja_depth(token, before, open, close);
                if *depth != before && !appended {
                    params.push(token.to_string());
                    appended = true;
                }
            }
            let in_jinja = print_depth > 0 || block_depth > 0 || comment_depth > 0;
            if !in_jinja && !inside && !appended && !token.is_empty() {
                params.push(token.to_string());
            }
        }
        if items.len() > 1 && item_idx != items.len() - 1 && !line_continuation {
            last(&mut params).push('\n');
        }
    }
    if print_depth > 0 || block_depth > 0 || comment_depth > 0 || quote_char.is_some() {
        return Err(format!(
            "unbalanced Jinja block or quotes in `{args}`: close every `{{{{`, `{{%`, `{{#` and quote"
        ));
    }
    Ok(params)
}

fn last(params: &mut Vec<String>) -> &mut String {
    if params.is_empty() {
        params.push(String::new());
    }
    params.last_mut().expect("just ensured non-empty")
}

/// The quote still open after `token`, given the one open before it. A quote preceded by a
/// backslash does not count; inside `"`, a `'` does not count (and vice versa).
fn quote_state(token: &str, mut quote: Option<char>) -> Option<char> {
    let mut prev: Option<char> = None;
    for c in token.chars() {
        if (c == '"' || c == '\'') && prev != Some('\\') {
            match quote {
                Some(q) if q == c => quote = None,
                Some(_) => {}
                None => quote = Some(c),
            }
        }
        prev = Some(c);
    }
    quote
}

fn jinja_depth(token: &str, depth: usize, open: &str, close: &str) -> usize {
    let opens = token.matches(open).count() as isize;
    let closes = token.matches(close).count() as isize;
    (depth as isize + opens - closes).max(0) as usize
}

/// Re-joins split pieces: a space between pieces, none after a newline.
pub fn join_args(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// Python's `unicode-escape` for the escapes Ansible decodes: `\\ \' \" \a \b \f \n \r \t \v`,
/// `\xHH`, `\uHHHH`, `\UHHHHHHHH`. Anything else (including `\N{...}`) is kept as written.
fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            if let Some((decoded, used)) = decode_one(&chars[i + 1..]) {
                out.push(decoded);
                i += 1 + used;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn decode_one(rest: &[char]) -> Option<(char, usize)> {
    let simple = match rest[0] {
        '\\' => Some('\\'),
        '\'' => Some('\''),
        '"' => Some('"'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, 1));
    }
    let digits = match rest[0] {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => return None,
    };
    let hex: String = rest.get(1..=digits)?.iter().collect();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?;
    Some((c, 1 + digits))
}

/// Strips one pair of matching surrounding quotes, unless the closing one is escaped.
fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    let quoted = b.len() > 1
        && (b[0] == b'"' || b[0] == b'\'')
        && b[0] == b[b.len() - 1]
        && b[b.len() - 2] != b'\\';
    if quoted {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Writes options as a `k=v` string that [`parse_kv`] reads back unchanged (values with
/// spaces, quotes, backslashes or control characters are double-quoted and escaped). Values
/// holding `{`/`}` or ending in a backslash cannot be written so that Ansible reads them back.
pub fn format_kv<'a>(options: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut parts = Vec::new();
    for (k, v) in options {
        let plain = !v.is_empty()
            && v.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"\"'\\".contains(c));
        if plain {
            parts.push(format!("{k}={v}"));
            continue;
        }
        let mut q = String::from("\"");
        for c in v.chars() {
            match c {
                '\\' => q.push_str("\\\\"),
                '"' => q.push_str("\\\""),
                '\n' => q.push_str("\\n"),
                '\t' => q.push_str("\\t"),
                '\r' => q.push_str("\\r"),
                c if (c as u32) < 0x20 || c == '\x7f' => {
                    q.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => q.push(c),
            }
        }
        q.push('"');
        parts.push(format!("{k}={q}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kv(s: &str) -> Vec<(String, String)> {
        parse_kv(s, false).unwrap().into_iter().collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn simple_pairs_and_quotes() {
        assert_eq!(
            kv("src=a dest=/b mode=0644"),
            pairs(&[("src", "a"), ("dest", "/b"), ("mode", "0644")])
        );
        assert_eq!(
            kv(r#"msg="hello world" other='x y'"#),
            pairs(&[("msg", "hello world"), ("other", "x y")])
        );
        assert_eq!(kv("a=x=y"), pairs(&[("a", "x=y")]));
        assert_eq!(kv(r"a=1\nb"), pairs(&[("a", "1\nb")]));
    }

    #[test]
    fn jinja_blocks_stay_whole() {
        assert_eq!(
            kv("msg={{ a | default('x y') }} b=2"),
            pairs(&[("msg", "{{ a | default('x y') }}"), ("b", "2")])
        );
        assert_eq!(
            kv(r#"msg="{{ a }} and {% if b %}c{% endif %}""#),
            pairs(&[("msg", "{{ a }} and {% if b %}c{% endif %}")])
        );
    }

    #[test]
    fn unbalanced_is_an_error() {
        assert!(parse_kv("msg={{ a", false).is_err());
        assert!(parse_kv("msg=\"open", false).is_err());
    }

    #[test]
    fn command_keeps_its_line_and_takes_out_options() {
        let o = parse_kv("ls -l  /tmp chdir=/var creates=/x FOO=bar", true).unwrap();
        assert_eq!(o["chdir"], "/var");
        assert_eq!(o["creates"], "/x");
        assert_eq!(o["_raw_params"], "ls -l  /tmp FOO=bar");
        assert_eq!(o.len(), 3);
        let o = parse_kv("echo \"a  b\" 'c'", true).unwrap();
        assert_eq!(o["_raw_params"], "echo \"a  b\" 'c'");
    }

    #[test]
    fn multi_line_commands_keep_newlines() {
        let o = parse_kv("set -e\necho one\necho two\n", true).unwrap();
        assert_eq!(o["_raw_params"], "set -e\necho one\necho two\n");
        let o = parse_kv("echo a \\\n  b", true).unwrap();
        assert_eq!(o["_raw_params"], "echo a  b");
    }

    #[test]
    fn free_text_without_equals_is_raw_params_for_any_module() {
        let o = parse_kv("flush_handlers", false).unwrap();
        assert_eq!(o["_raw_params"], "flush_handlers");
        let o = parse_kv(r"a\=b", false).unwrap();
        assert_eq!(o["_raw_params"], "a=b");
    }

    #[test]
    fn escaped_closing_quote_is_not_stripped() {
        assert_eq!(unquote(r#""a\""#), r#""a\""#);
        assert_eq!(unquote("'a'"), "a");
        assert_eq!(unquote("'a\""), "'a\"");
    }

    #[test]
    fn format_then_parse_example() {
        let text = format_kv([("msg", "say \"hi\"\n"), ("path", "/a b"), ("n", "1")]);
        assert_eq!(text, r#"msg="say \"hi\"\n" path="/a b" n=1"#);
        assert_eq!(
            kv(&text),
            pairs(&[("msg", "say \"hi\"\n"), ("path", "/a b"), ("n", "1")])
        );
    }

    /// Every line of `testdata/kv_ansible.jsonl` is what ansible-core 2.19's own `parse_kv`
    /// returned for a string (`null` where it raised); see `gen_kv_corpus.py`.
    #[test]
    fn matches_ansible_corpus() {
        let corpus = include_str!("testdata/kv_ansible.jsonl");
        let mut checked = 0;
        for line in corpus.lines() {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = case["text"].as_str().unwrap();
            for (field, check_raw) in [("kv", false), ("raw", true)] {
                let want = &case[field];
                match parse_kv(text, check_raw) {
                    Ok(got) => {
                        let got = serde_json::to_value(&got).unwrap();
                        assert_eq!(&got, want, "{field} of {text:?}");
                    }
                    Err(_) => assert!(want.is_null(), "{field} of {text:?}: Ansible gave {want}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 800);
    }

    proptest! {
        #[test]
        fn kv_round_trips(
            map in proptest::collection::btree_map(
                "[a-z_][a-z0-9_]{0,8}",
                // Anything but braces (Jinja) and a trailing backslash (unrepresentable).
                "[^{}]{0,12}".prop_filter("no trailing backslash", |v| !v.ends_with('\\')),
                0..6,
            )
        ) {
            let text = format_kv(map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let parsed = parse_kv(&text, false).unwrap();
            let expected: Vec<(String, String)> = map.into_iter().collect();
            let got: Vec<(String, String)> = parsed.into_iter().collect();
            prop_assert_eq!(got, expected, "text: {}", text);
        }

        #[test]
        fn split_never_panics(s in "[ -~\n\t{}%#\\\\'\"=]{0,60}") {
            let _ = parse_kv(&s, true);
            let _ = parse_kv(&s, false);
        }
    }
}
