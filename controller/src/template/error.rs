//! The error type templating hands back, and its translation from minijinja's errors.
//!
//! Users know Ansible's wording (`'image_tag' is undefined`, `'dict object' has no attribute
//! 'foo'`), so undefined-variable errors are reworded that way and carry the variable's name
//! in [`TemplateErrorKind::Undefined`], where the run engine can pick it up for its own message.

use minijinja::ErrorKind;

/// What went wrong while templating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// A variable (or attribute / item, named as a path like `result.foo`) was used but is not
    /// defined.
    Undefined { name: String },
    /// The template or expression is not valid Jinja.
    Syntax,
    /// An unknown filter, test, function or method, or bad arguments to one.
    Filter,
    /// Anything else that failed while evaluating (type errors, a filter refusing its input,
    /// a failed lookup...).
    Runtime,
}

/// A templating error; `message` is what a user should read (without file/task context,
/// which the caller adds).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
}

impl TemplateError {
    pub fn new(kind: TemplateErrorKind, message: impl Into<String>) -> Self {
        TemplateError {
            kind,
            message: message.into(),
        }
    }

    pub fn undefined(name: &str, explanation: Option<String>) -> Self {
        let message = match explanation {
            Some(why) => format!("'{name}' is undefined: {why}"),
            None => format!("'{name}' is undefined"),
        };
        TemplateError::new(
            TemplateErrorKind::Undefined {
                name: name.to_string(),
            },
            message,
        )
    }
}

/// The kind for a minijinja error that is not about an undefined value.
pub fn kind_of(err: &minijinja::Error) -> TemplateErrorKind {
    match err.kind() {
        ErrorKind::SyntaxError | ErrorKind::BadEscape => TemplateErrorKind::Syntax,
        ErrorKind::UnknownFilter
        | ErrorKind::UnknownTest
        | ErrorKind::UnknownFunction
        | ErrorKind::UnknownMethod
        | ErrorKind::MissingArgument
        | ErrorKind::TooManyArguments => TemplateErrorKind::Filter,
        _ => TemplateErrorKind::Runtime,
    }
}

/// minijinja's own text for an error, without its "(in <string>:1)" suffix; a line number is
/// added only when the template has several lines (one-liners are located by the caller).
pub fn describe(err: &minijinja::Error, source: &str) -> String {
    let mut text = match err.detail() {
        Some(detail) => format!("{}: {detail}", kind_label(err.kind())),
        None => kind_label(err.kind()).to_string(),
    };
    if let Some(line) = err.line() {
        if source.contains('\n') {
            text.push_str(&format!(" (template line {line})"));
        }
    }
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

fn kind_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::SyntaxError => "syntax error",
        ErrorKind::BadEscape => "bad string escape",
        ErrorKind::UnknownFilter => "unknown filter",
        ErrorKind::UnknownTest => "unknown test",
        ErrorKind::UnknownFunction => "unknown function",
        ErrorKind::UnknownMethod => "unknown method",
        ErrorKind::MissingArgument => "missing argument",
        ErrorKind::TooManyArguments => "too many arguments",
        ErrorKind::UndefinedError => "undefined value",
        ErrorKind::InvalidOperation => "invalid operation",
        ErrorKind::NonKey => "not a key type",
        ErrorKind::NonPrimitive => "not a primitive",
        ErrorKind::BadSerialization => "could not serialize",
        _ => "template error",
    }
}
