//! INI inventory values read the way Ansible reads them: `ast.literal_eval`, falling back to
//! the plain text.
//!
//! Ansible's INI plugin passes every value through Python's `ast.literal_eval`, so `2222` is an
//! integer, `True` a boolean, `[1, 'x']` a list, `'a b'` the string `a b`, while `true`,
//! `10.0.0.5`, `007` or `-o ProxyJump=x` stay strings because they are not Python literals.
//! Operators copy INI files between Ansible and play, so the same text must give the same
//! value here. Tuples and sets become lists and bytes become text, as Ansible converts them.
//!
//! Known differences: integers outside 64 bits, floats that overflow to infinity, complex
//! numbers and `\N{...}` escapes stay as the original text instead of Python's value; bytes
//! literals (`b'x'`) become plain text where Ansible also marks them unsafe (never templated).

use serde_json::{Map, Number, Value};

/// Ansible's `_parse_value`: the literal's value, or the text itself when it is not one.
pub fn parse_value(text: &str) -> Value {
    literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// The value of a Python literal expression, or None when Python would raise
/// `ValueError`/`SyntaxError` (not a literal, or not valid Python).
pub fn literal_eval(text: &str) -> Option<Value> {
    let mut parser = Parser {
        src: text.trim_start_matches([' ', '\t']),
        pos: 0,
        depth: 0,
    };
    let lit = parser.expr()?;
    parser.skip_blank();
    parser.at_end().then_some(lit.value)
}

/// Python refuses deeper nesting than this ("too many nested parentheses").
const MAX_DEPTH: usize = 200;

struct Lit {
    value: Value,
    /// A bare numeric constant: the only thing unary `+`/`-` may apply to in literal_eval.
    number: bool,
}

impl Lit {
    fn plain(value: Value) -> Lit {
        Lit {
            value,
            number: false,
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// Spaces between tokens; a `#` comment runs to the end of the (single) line.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\x0c' => self.pos += 1,
                '#' => self.pos = self.src.len(),
                _ => break,
            }
        }
    }

    fn eat(&mut self, want: char) -> bool {
        self.skip_blank();
        if self.peek() == Some(want) {
            self.pos += want.len_utf8();
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Lit> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let out = self.unary();
        self.depth -= 1;
        out
    }

    fn unary(&mut self) -> Option<Lit> {
        self.skip_blank();
        match self.peek() {
            Some(sign @ ('+' | '-')) => {
                self.pos += 1;
                self.skip_blank();
                let operand = self.primary()?;
                if !operand.number {
                    return None;
                }
                let value = if sign == '-' {
                    negate(&operand.value)?
                } else {
                    operand.value
                };
                Some(Lit::plain(value))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Option<Lit> {
        self.skip_blank();
        let c = self.peek()?;
        match c {
            '[' => {
                self.pos += 1;
                let items = self.items(']')?;
                Some(Lit::plain(Value::Array(items)))
            }
            '(' => self.paren(),
            '{' => self.brace(),
            '0'..='9' => self.number(),
            '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(),
            '\'' | '"' => self.strings(),
            c if is_ident_start(c) => {
                if self.string_prefix_len().is_some() {
                    return self.strings();
                }
                self.name()
            }
            _ => None,
        }
    }

    /// Comma-separated expressions up to `close`; a trailing comma is allowed.
    fn items(&mut self, close: char) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expr()?.value);
            if self.eat(close) {
                return Some(items);
            }
            if !self.eat(',') {
                return None;
            }
        }
    }

    fn paren(&mut self) -> Option<Lit> {
        self.pos += 1;
        if self.eat(')') {
            return Some(Lit::plain(Value::Array(Vec::new())));
        }
        let first = self.expr()?;
        if self.eat(')') {
            // A parenthesised expression, not a tuple: `-(5)` is still `-5`.
            return Some(first);
        }
        if !self.eat(',') {
            return None;
        }
        let mut items = vec![first.value];
        items.extend(self.items(')')?);
        Some(Lit::plain(Value::Array(items)))
    }

    fn brace(&mut self) -> Option<Lit> {
        self.pos += 1;
        if self.eat('}') {
            return Some(Lit::plain(Value::Object(Map::new())));
        }
        let first = self.expr()?;
        if self.eat(':') {
            let mut map = Map::new();
            let value = self.expr()?.value;
            map.insert(dict_key(&first.value)?, value);
            loop {
                if self.eat('}') {
                    return Some(Lit::plain(Value::Object(map)));
                }
                if !self.eat(',') {
                    return None;
                }
                if self.eat('}') {
                    return Some(Lit::plain(Value::Object(map)));
                }
                let key = self.expr()?.value;
                if !self.eat(':') {
                    return None;
                }
                let value = self.expr()?.value;
                map.insert(dict_key(&key)?, value);
            }
        }
        // A set: Ansible turns it into a list; duplicates go, first occurrence kept.
        let mut items = vec![first.value];
        if !self.eat('}') {
            if !self.eat(',') {
                return None;
            }
            items.extend(self.items('}')?);
        }
        if items.iter().any(|v| v.is_array() || v.is_object()) {
            return None; // unhashable in Python
        }
        let mut unique: Vec<Value> = Vec::new();
        for item in items {
            if !unique.contains(&item) {
                unique.push(item);
            }
        }
        Some(Lit::plain(Value::Array(unique)))
    }

    fn name(&mut self) -> Option<Lit> {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.bump();
        }
        let value = match &self.src[start..self.pos] {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::Null,
            // `set()` is the one call literal_eval accepts.
            "set" if self.eat('(') && self.eat(')') => Value::Array(Vec::new()),
            _ => return None,
        };
        Some(Lit::plain(value))
    }

    fn number(&mut self) -> Option<Lit> {
        let rest = &self.src[self.pos..];
        let (len, value) = scan_number(rest)?;
        self.pos += len;
        // `1abc` or `1j` is not a number followed by something else: Python rejects it.
        if self.peek().is_some_and(is_ident_char) {
            return None;
        }
        Some(Lit {
            value,
            number: true,
        })
    }

    /// The length of a string prefix (`r`, `b`, `rb`, `u`, `f`, ...) when a quote follows it.
    fn string_prefix_len(&self) -> Option<usize> {
        let rest = &self.src[self.pos..];
        let letters: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .take(3)
            .collect::<String>()
            .to_ascii_lowercase();
        for len in (1..=2).rev() {
            if letters.len() < len {
                continue;
            }
            let prefix = &letters[..len];
            let valid = matches!(prefix, "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf");
            if valid && matches!(rest[len..].chars().next(), Some('\'' | '"')) {
                return Some(len);
            }
        }
        None
    }

    /// One or more adjacent string literals, concatenated as Python does.
    fn strings(&mut self) -> Option<Lit> {
        let mut text = String::new();
        let mut bytes: Option<bool> = None;
        loop {
            self.skip_blank();
            let prefix_len = match self.peek() {
                Some('\'' | '"') => 0,
                Some(c) if is_ident_start(c) => match self.string_prefix_len() {
                    Some(n) => n,
                    None => break,
                },
                _ => break,
            };
            let prefix = self.src[self.pos..self.pos + prefix_len].to_ascii_lowercase();
            self.pos += prefix_len;
            if prefix.contains('f') {
                return None; // an f-string is an expression, not a literal
            }
            let is_bytes = prefix.contains('b');
            if bytes.is_some_and(|b| b != is_bytes) {
                return None; // Python cannot mix bytes and str literals
            }
            bytes = Some(is_bytes);
            text.push_str(&self.string_body(prefix.contains('r'), is_bytes)?);
        }
        bytes.map(|_| Lit::plain(Value::String(text)))
    }

    fn string_body(&mut self, raw: bool, is_bytes: bool) -> Option<String> {
        let quote = self.bump()?;
        let triple = self.peek() == Some(quote) && self.peek_at(1) == Some(quote);
        if triple {
            self.pos += 2;
        }
        let mut out: Vec<u8> = Vec::new();
        let mut buf = [0u8; 4];
        loop {
            let c = self.bump()?;
            if c == quote {
                if !triple {
                    break;
                }
                if self.peek() == Some(quote) && self.peek_at(1) == Some(quote) {
                    self.pos += 2;
                    break;
                }
                out.push(quote as u8);
                continue;
            }
            if is_bytes && !c.is_ascii() {
                return None;
            }
            if c != '\\' {
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            let next = self.bump()?;
            if raw {
                out.push(b'\\');
                out.extend_from_slice(next.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            self.escape(next, is_bytes, &mut out)?;
        }
        String::from_utf8(out).ok()
    }

    fn escape(&mut self, c: char, is_bytes: bool, out: &mut Vec<u8>) -> Option<()> {
        let mut buf = [0u8; 4];
        let simple = match c {
            '\\' => Some(b'\\'),
            '\'' => Some(b'\''),
            '"' => Some(b'"'),
            'a' => Some(7),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Some(());
        }
        match c {
            '0'..='7' => {
                let mut value = c.to_digit(8)?;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                if is_bytes {
                    out.push(u8::try_from(value).ok()?);
                } else {
                    let ch = char::from_u32(value)?;
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            'x' => {
                let value = self.hex_digits(2)?;
                if is_bytes {
                    out.push(u8::try_from(value).ok()?);
                } else {
                    let ch = char::from_u32(value)?;
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            'u' | 'U' if !is_bytes => {
                let value = self.hex_digits(if c == 'u' { 4 } else { 8 })?;
                // Lone surrogates cannot be text here; Ansible would reject them too.
                let ch = char::from_u32(value)?;
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            'N' if !is_bytes => return None,
            other => {
                // Unknown escapes keep their backslash, as in Python.
                out.push(b'\\');
                out.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
        Some(())
    }

    fn hex_digits(&mut self, count: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..count {
            let d = self.bump()?.to_digit(16)?;
            value = value * 16 + d;
        }
        Some(value)
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn negate(value: &Value) -> Option<Value> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(Value::from(i.checked_neg()?));
    }
    if let Some(u) = n.as_u64() {
        // Only -(2^63) fits once negated.
        return (u == 1u64 << 63).then(|| Value::from(i64::MIN));
    }
    Number::from_f64(-n.as_f64()?).map(Value::Number)
}

/// Python dict keys may be any hashable literal; JSON keys are text, written as Python
/// would print the key.
fn dict_key(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Null => Some("None".into()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Scans a Python number token at the start of `s`: its length and value.
fn scan_number(s: &str) -> Option<(usize, Value)> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            let (len, digits) = digit_run(&s[2..], |c| c.is_digit(radix), true)?;
            let value = u64::from_str_radix(&digits, radix).ok()?;
            return Some((2 + len, int_value(value)?));
        }
    }
    let (int_len, int_digits) =
        digit_run(s, |c| c.is_ascii_digit(), false).unwrap_or((0, String::new()));
    let mut pos = int_len;
    let mut is_float = false;
    let mut text = int_digits.clone();
    if b.get(pos) == Some(&b'.') {
        is_float = true;
        pos += 1;
        text.push('.');
        if let Some((len, frac)) = digit_run(&s[pos..], |c| c.is_ascii_digit(), false) {
            pos += len;
            text.push_str(&frac);
        }
    }
    if int_len == 0 && text.len() <= 1 {
        return None;
    }
    if matches!(b.get(pos), Some(b'e' | b'E')) {
        let mut epos = pos + 1;
        let mut exp = String::from("e");
        if let Some(sign @ (b'+' | b'-')) = b.get(epos) {
            exp.push(*sign as char);
            epos += 1;
        }
        if let Some((len, digits)) = digit_run(&s[epos..], |c| c.is_ascii_digit(), false) {
            is_float = true;
            pos = epos + len;
            text.push_str(&exp);
            text.push_str(&digits);
        } else {
            return None;
        }
    }
    if is_float {
        let f: f64 = text.parse().ok()?;
        return Number::from_f64(f)
            .filter(|_| f.is_finite())
            .map(|n| (pos, Value::Number(n)));
    }
    // Python 3 forbids leading zeros on non-zero decimal integers (`007`).
    if int_digits.len() > 1 && int_digits.starts_with('0') && int_digits.bytes().any(|d| d != b'0')
    {
        return None;
    }
    let value: u64 = int_digits.parse().ok()?;
    Some((pos, int_value(value)?))
}

fn int_value(value: u64) -> Option<Value> {
    Some(match i64::try_from(value) {
        Ok(i) => Value::from(i),
        Err(_) => Value::from(value),
    })
}

/// A run of digits where single underscores may separate digits. With `after_prefix`, an
/// underscore may also come first (`0x_ff`). Returns the length read and the digits alone.
fn digit_run(
    s: &str,
    is_digit: impl Fn(char) -> bool,
    after_prefix: bool,
) -> Option<(usize, String)> {
    let mut digits = String::new();
    let mut len = 0;
    let mut last_underscore = false;
    for c in s.chars() {
        if is_digit(c) {
            digits.push(c);
            last_underscore = false;
        } else if c == '_' && !last_underscore && (!digits.is_empty() || (after_prefix && len == 0))
        {
            last_underscore = true;
        } else {
            break;
        }
        len += c.len_utf8();
    }
    if digits.is_empty() {
        return None;
    }
    if last_underscore {
        return None; // `1_` or `1__0` is a syntax error in Python
    }
    Some((len, digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each pair was checked against Python 3.11's `ast.literal_eval` (None = it raised).
    #[test]
    fn matches_python_literal_eval() {
        let cases: &[(&str, Option<Value>)] = &[
            ("1", Some(json!(1))),
            ("-5", Some(json!(-5))),
            (" 7", Some(json!(7))),
            ("1_000", Some(json!(1000))),
            ("0x1F", Some(json!(31))),
            ("0o17", Some(json!(15))),
            ("0b101", Some(json!(5))),
            ("007", None),
            ("00", Some(json!(0))),
            ("0_0", Some(json!(0))),
            ("1__0", None),
            ("1.5", Some(json!(1.5))),
            ("1e3", Some(json!(1000.0))),
            (".5", Some(json!(0.5))),
            ("5.", Some(json!(5.0))),
            ("1.5e-3", Some(json!(0.0015))),
            ("'a' \"b\"", Some(json!("ab"))),
            (
                "[1, (2,3), {'a': None}]",
                Some(json!([1, [2, 3], {"a": null}])),
            ),
            ("{1,2}", Some(json!([1, 2]))),
            ("True", Some(json!(true))),
            ("true", None),
            ("-(5)", Some(json!(-5))),
            ("--5", None),
            ("-True", None),
            ("- 5", Some(json!(-5))),
            ("+5", Some(json!(5))),
            ("b'x'", Some(json!("x"))),
            (r"r'\n'", Some(json!("\\n"))),
            (r"'\x41\u00e9\101'", Some(json!("AéA"))),
            ("1 # c", Some(json!(1))),
            ("hello # c", None),
            ("u'x'", Some(json!("x"))),
            ("set()", Some(json!([]))),
            ("()", Some(json!([]))),
            ("(1)", Some(json!(1))),
            ("(1,)", Some(json!([1]))),
            (r"'\q'", Some(json!("\\q"))),
            ("{1: 2}", Some(json!({"1": 2}))),
            ("{'a': 1,}", Some(json!({"a": 1}))),
            ("{'a': 1 'b': 2}", None),
            ("10.0.0.1", None),
            ("1e400", None),
            ("", None),
            ("f'x'", None),
            ("1+2", None),
            ("'''tri'ple'''", Some(json!("tri'ple"))),
            ("[1, 2", None),
            ("None", Some(json!(null))),
        ];
        for (text, want) in cases {
            assert_eq!(&literal_eval(text), want, "literal_eval({text:?})");
        }
    }

    #[test]
    fn non_literals_stay_text() {
        assert_eq!(
            parse_value("-o ProxyJump=deploy@bastion"),
            json!("-o ProxyJump=deploy@bastion")
        );
        assert_eq!(
            parse_value("production # trailing"),
            json!("production # trailing")
        );
        assert_eq!(parse_value("'hello world'"), json!("hello world"));
        assert_eq!(parse_value("2222"), json!(2222));
    }

    #[test]
    fn deep_nesting_is_text_not_a_crash() {
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        assert_eq!(parse_value(&deep), Value::String(deep.clone()));
    }

    #[test]
    fn big_ints_fit_or_stay_text() {
        assert_eq!(literal_eval("18446744073709551615"), Some(json!(u64::MAX)));
        assert_eq!(literal_eval("-9223372036854775808"), Some(json!(i64::MIN)));
        assert_eq!(literal_eval("99999999999999999999999"), None);
    }
}
