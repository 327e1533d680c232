//! Splitting an INI host line into words, exactly as Python's `shlex.split(line, comments=True)`
//! does (POSIX mode), because that is what Ansible's INI plugin uses.
//!
//! So `web1 foo="a b" # note` gives `web1`, `foo=a b`; single quotes take everything
//! literally; inside double quotes a backslash escapes only `"` and `\`; outside quotes it
//! escapes any character; and a `#` that starts or interrupts a word starts a comment.

/// Why a line could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShlexError {
    NoClosingQuotation,
    NoEscapedCharacter,
}

impl std::fmt::Display for ShlexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShlexError::NoClosingQuotation => f.write_str("a quote is opened but never closed"),
            ShlexError::NoEscapedCharacter => f.write_str("the line ends with a lone backslash"),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Blank,
    Word,
    Quote(char),
    /// After a backslash; remembers where it was found (a word or a double-quoted string).
    Escape(Escaped),
}

#[derive(Clone, Copy, PartialEq)]
enum Escaped {
    Word,
    DoubleQuote,
}

pub fn split(line: &str) -> Result<Vec<String>, ShlexError> {
    let mut words = Vec::new();
    let mut token = String::new();
    // A quoted empty string (`''`) is still a word.
    let mut quoted = false;
    let mut state = State::Blank;
    let mut chars = line.chars();
    loop {
        let next = chars.next();
        match state {
            State::Blank | State::Word => match next {
                None => break,
                Some(c) if is_space(c) || c == '#' => {
                    if state == State::Word || quoted {
                        words.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = State::Blank;
                    if c == '#' {
                        break; // the comment runs to the end of the line
                    }
                }
                Some(q @ ('\'' | '"')) => state = State::Quote(q),
                Some('\\') => state = State::Escape(Escaped::Word),
                Some(c) => {
                    token.push(c);
                    state = State::Word;
                }
            },
            State::Quote(q) => {
                quoted = true;
                match next {
                    None => return Err(ShlexError::NoClosingQuotation),
                    Some(c) if c == q => state = State::Word,
                    Some('\\') if q == '"' => state = State::Escape(Escaped::DoubleQuote),
                    Some(c) => token.push(c),
                }
            }
            State::Escape(from) => {
                let Some(c) = next else {
                    return Err(ShlexError::NoEscapedCharacter);
                };
                if from == Escaped::DoubleQuote && c != '"' && c != '\\' {
                    token.push('\\');
                }
                token.push(c);
                state = match from {
                    Escaped::Word => State::Word,
                    Escaped::DoubleQuote => State::Quote('"'),
                };
            }
        }
    }
    if !token.is_empty() || quoted {
        words.push(token);
    }
    Ok(words)
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values come from Python 3.11's `shlex.split(s, comments=True)`.
    #[test]
    fn matches_python_shlex() {
        let cases: &[(&str, &[&str])] = &[
            ("a=b#c d", &["a=b"]),
            (
                r#"x='a b' y="c \" d" z=\q"#,
                &["x=a b", r#"y=c " d"#, "z=q"],
            ),
            ("'' b", &["", "b"]),
            (r#"a"b c"d"#, &["ab cd"]),
            (r#"k="it's""#, &["k=it's"]),
            (r"a\ b", &["a b"]),
            (r#""a\b""#, &[r"a\b"]),
            ("x=1 # c", &["x=1"]),
            ("a 'b#c' d#e", &["a", "b#c", "d"]),
            ("  spaced\tout  ", &["spaced", "out"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            let got = split(line).unwrap();
            assert_eq!(
                got,
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{line:?}"
            );
        }
    }

    #[test]
    fn unbalanced_input_is_an_error() {
        assert_eq!(split(r"k='it\'s'"), Err(ShlexError::NoClosingQuotation));
        assert_eq!(split("a\\"), Err(ShlexError::NoEscapedCharacter));
    }
}
