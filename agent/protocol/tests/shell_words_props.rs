//! Property tests of the shell-word splitter: any list of words, quoted as a shell script
//! would quote them (single quotes, double quotes or backslashes) and joined by whitespace,
//! splits back into exactly those words; and no input makes it panic.

use play_protocol::shell_words::split;
use proptest::prelude::*;

/// `'...'`, with each `'` written as `'\''` (close, escaped quote, reopen).
fn single_quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// `"..."`, with the four characters a shell escapes there escaped.
fn double_quoted(word: &str) -> String {
    let mut out = String::from("\"");
    for c in word.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Every character escaped with a backslash, except a newline, which only quotes keep (a
/// backslash before it joins lines); an empty word needs quotes to exist at all.
fn backslashed(word: &str) -> String {
    if word.is_empty() {
        return "''".into();
    }
    word.chars()
        .map(|c| match c {
            '\n' => "'\n'".to_string(),
            c => format!("\\{c}"),
        })
        .collect()
}

fn separator() -> impl Strategy<Value = String> {
    "[ \t\n]{1,3}"
}

proptest! {
    #[test]
    fn quoted_words_split_back_unchanged(
        words in proptest::collection::vec("\\PC{0,12}|[ '\"\\\\$`\n]{0,6}", 0..6),
        style in 0..3u8,
        seps in proptest::collection::vec(separator(), 6),
    ) {
        let quote = match style {
            0 => single_quoted,
            1 => double_quoted,
            _ => backslashed,
        };
        let mut line = String::new();
        for (word, sep) in words.iter().zip(&seps) {
            line.push_str(&quote(word));
            line.push_str(sep);
        }
        prop_assert_eq!(split(&line), Ok(words));
    }

    #[test]
    fn any_input_splits_or_says_why(line in "\\PC{0,40}|[ a'\"\\\\\n]{0,20}") {
        let _ = split(&line);
    }
}
