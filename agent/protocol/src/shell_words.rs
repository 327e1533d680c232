//! Splitting a command line into words the way a POSIX shell tokenises it: quotes and
//! backslashes, no expansion, no globbing, no operators.
//!
//! It lives here because both binaries need the same rules and the function is pure: the
//! controller splits `ansible_ssh_common_args` and ssh_config values, the agent splits the
//! `command` module's string, `validate` templates and docker's `command`/`entrypoint`.
//! Written once, the three cannot drift apart again.
//!
//! The rules are those of `shlex.split`, which Ansible's command module and ssh plugin and
//! community.docker use, except where a shell and shlex disagree; there the shell wins,
//! because these strings are written as one would type them at a shell prompt:
//! - a backslash before a newline joins the lines (outside quotes and inside double quotes),
//!   as a shell does, where shlex would keep the newline inside the word;
//! - inside double quotes a backslash escapes `"`, `\`, `$` and `` ` ``, as in a shell;
//!   before any other character it stays (shlex escapes only `"` and `\`).
//!
//! A lone backslash at the very end escapes nothing: that is an error, as in shlex (shells
//! disagree among themselves: dash keeps it, bash drops it), rather than a guess.

use std::fmt;

/// Why a line could not be split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellWordsError {
    /// A `'` was opened and never closed.
    UnclosedSingleQuote,
    /// A `"` was opened and never closed.
    UnclosedDoubleQuote,
    /// The line ends with a backslash that has nothing to escape.
    TrailingBackslash,
}

impl fmt::Display for ShellWordsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ShellWordsError::UnclosedSingleQuote => "unclosed single quote",
            ShellWordsError::UnclosedDoubleQuote => "unclosed double quote",
            ShellWordsError::TrailingBackslash => "trailing backslash with nothing to escape",
        })
    }
}

impl std::error::Error for ShellWordsError {}

/// Splits `line` into words. Quoting makes a word even when it is empty (`''`); runs of
/// whitespace separate words and are otherwise dropped.
pub fn split(line: &str) -> Result<Vec<String>, ShellWordsError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Set by any character or quote that belongs to a word, so `''` still counts as one.
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(ShellWordsError::UnclosedSingleQuote),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(ShellWordsError::UnclosedDoubleQuote),
                        },
                        Some(c) => word.push(c),
                        None => return Err(ShellWordsError::UnclosedDoubleQuote),
                    }
                }
            }
            '\\' => match chars.next() {
                // A line continuation: neither character is part of anything.
                Some('\n') => {}
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
                None => return Err(ShellWordsError::TrailingBackslash),
            },
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    #[test]
    fn whitespace_runs_separate_words() {
        assert_eq!(words("  ls   -l\t/tmp \n"), ["ls", "-l", "/tmp"]);
        assert_eq!(words("  ls   -l "), ["ls", "-l"]);
        assert_eq!(words("  "), Vec::<String>::new());
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words(" \t\n "), Vec::<String>::new());
    }

    #[test]
    fn single_quotes_take_everything_literally() {
        assert_eq!(
            words(r#"echo 'a  b' 'c\d' '"e"'"#),
            ["echo", "a  b", r"c\d", "\"e\""]
        );
        assert_eq!(words(r"'a\'"), [r"a\"]);
    }

    #[test]
    fn empty_quotes_are_a_word() {
        assert_eq!(words("a ''"), ["a", ""]);
        assert_eq!(words("x ''"), ["x", ""]);
        assert_eq!(words(r#"'' "" x"#), ["", "", "x"]);
        assert_eq!(words(r#"a\ b "c\"d" '' x"#), ["a b", "c\"d", "", "x"]);
    }

    #[test]
    fn quotes_join_with_what_touches_them() {
        assert_eq!(words(r#"a"b c"d'e f'"#), ["ab cde f"]);
        assert_eq!(
            words(r#"-o ProxyCommand="ssh -W %h:%p -q bastion" -i 'a b'"#),
            ["-o", "ProxyCommand=ssh -W %h:%p -q bastion", "-i", "a b"]
        );
    }

    #[test]
    fn backslash_outside_quotes_escapes_any_character() {
        assert_eq!(words(r"a\ b \'c \x"), ["a b", "'c", "x"]);
        assert_eq!(words(r#"\"q\" \\"#), ["\"q\"", r"\"]);
    }

    #[test]
    fn backslash_in_double_quotes_escapes_only_what_a_shell_escapes() {
        assert_eq!(
            words(r#""c\"d" "e\\f" "\$HOME" "\`x\`""#),
            ["c\"d", r"e\f", "$HOME", "`x`"]
        );
        assert_eq!(words(r#""a\b" "\n""#), [r"a\b", r"\n"]);
        assert_eq!(
            words(r#"echo 'a b' "c \"d\"" e\ f"#),
            ["echo", "a b", "c \"d\"", "e f"]
        );
        assert_eq!(
            words(r#"sh -c "echo 'hi there' \"x\"" a\ b"#),
            ["sh", "-c", "echo 'hi there' \"x\"", "a b"]
        );
    }

    #[test]
    fn backslash_newline_continues_the_line() {
        assert_eq!(words("ls \\\n  -l"), ["ls", "-l"]);
        assert_eq!(words("a\\\nb"), ["ab"]);
        assert_eq!(words("\"a\\\nb\""), ["ab"]);
        // Alone between words it makes no empty word.
        assert_eq!(words("a \\\n b"), ["a", "b"]);
        // Quoted singly, it is two literal characters.
        assert_eq!(words("'a\\\nb'"), ["a\\\nb"]);
    }

    #[test]
    fn unfinished_lines_are_errors_that_say_why() {
        let cases = [
            ("echo 'open", ShellWordsError::UnclosedSingleQuote),
            (r#"echo 'it\'s'"#, ShellWordsError::UnclosedSingleQuote),
            (r#"echo "open"#, ShellWordsError::UnclosedDoubleQuote),
            (r#"echo "ends\"#, ShellWordsError::UnclosedDoubleQuote),
            (r"echo a\", ShellWordsError::TrailingBackslash),
            (r"\", ShellWordsError::TrailingBackslash),
        ];
        for (line, want) in cases {
            assert_eq!(split(line), Err(want), "{line:?}");
        }
        assert_eq!(
            ShellWordsError::UnclosedSingleQuote.to_string(),
            "unclosed single quote"
        );
        assert_eq!(
            ShellWordsError::UnclosedDoubleQuote.to_string(),
            "unclosed double quote"
        );
        assert!(ShellWordsError::TrailingBackslash
            .to_string()
            .contains("trailing backslash"));
    }

    #[test]
    fn unicode_is_kept_whole() {
        assert_eq!(words("echo 'héllo wörld' ñ"), ["echo", "héllo wörld", "ñ"]);
    }
}
