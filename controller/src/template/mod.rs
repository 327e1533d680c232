//! Jinja2 templating as Ansible playbooks use it, on minijinja.
//!
//! [`Templar`] renders task arguments, `when`/`until`/`assert` conditions and template files
//! against a host's vars (a JSON object). It follows Ansible where playbooks can tell:
//! - a string that is exactly `"{{ expr }}"` keeps the expression's native type (list, dict,
//!   int, bool); any other string renders to a string;
//! - undefined variables are errors naming the variable, except under `default`, `is defined`
//!   and friends, and attribute access on an undefined value chains (`a.b.c | default(1)`);
//! - Ansible's filters, tests, `lookup`/`query`, `omit` and the Python string/dict methods
//!   playbooks call (`x.split(',')`, `d.items()`);
//! - no autoescape, `trim_blocks` on, trailing newlines kept (the template module's defaults).
//!
//! The environments live in `env.rs`; filters, tests, globals and Python methods each have
//! their own file.

mod env;
mod error;
mod filters;
mod globals;
mod jinja_tests;
mod native;
mod pycompat;
mod undefined;
mod vars;
mod version;
mod yaml_dump;

pub use error::{TemplateError, TemplateErrorKind};
pub use globals::{is_omit, remove_omitted, OMIT};
pub use vars::Vars;

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};
use serde_json::Value as Json;
use std::borrow::Cow;

/// The templating engine. Build once and share (`&Templar` is `Send + Sync`).
pub struct Templar {
    /// Ansible's strict undefined: printing, testing or iterating an undefined value fails.
    strict: Environment<'static>,
    /// Used only to re-run an evaluation whose sole failure was attribute access on an
    /// undefined value, which Ansible allows (see `undefined.rs`).
    chained: Environment<'static>,
}

impl Default for Templar {
    fn default() -> Self {
        Templar::new()
    }
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templar").finish_non_exhaustive()
    }
}

/// What a piece of source text is, for compiling it again when naming an undefined variable.
#[derive(Clone, Copy)]
enum Source<'a> {
    Template(&'a str),
    Expr(&'a str),
}

impl Source<'_> {
    fn text(&self) -> &str {
        match self {
            Source::Template(s) | Source::Expr(s) => s,
        }
    }
}

impl Templar {
    pub fn new() -> Self {
        Templar {
            strict: env::build(UndefinedBehavior::Strict),
            chained: env::build(UndefinedBehavior::Chainable),
        }
    }

    /// Renders every string in `v` (recursively through lists and maps, keys included) that
    /// contains Jinja markup. A string that is exactly `"{{ expr }}"` becomes the expression's
    /// native value; other strings stay strings.
    pub fn render_value(&self, v: &Json, vars: &Json) -> Result<Json, TemplateError> {
        self.render_value_with(v, &Vars::from_json(vars))
    }

    /// Renders a template to a string (Jinja2's output: `True`, `None`, Python reprs of lists).
    pub fn render_str(&self, template: &str, vars: &Json) -> Result<String, TemplateError> {
        self.render_str_with(template, &Vars::from_json(vars))
    }

    /// Evaluates a bare condition (`x is defined`, `result.rc != 0`; `"{{ expr }}"` is accepted
    /// too) with Jinja2/Python truthiness.
    pub fn eval_bool(&self, expr: &str, vars: &Json) -> Result<bool, TemplateError> {
        self.eval_bool_with(expr, &Vars::from_json(vars))
    }

    /// Evaluates a bare expression to its native value.
    pub fn eval_expr(&self, expr: &str, vars: &Json) -> Result<Json, TemplateError> {
        self.eval_expr_with(expr, &Vars::from_json(vars))
    }

    /// [`render_value`](Self::render_value) with prepared [`Vars`] (for large, shared vars).
    pub fn render_value_with(&self, v: &Json, vars: &Vars) -> Result<Json, TemplateError> {
        self.render_value_in(v, &vars.0)
    }

    /// [`render_str`](Self::render_str) with prepared [`Vars`].
    pub fn render_str_with(&self, template: &str, vars: &Vars) -> Result<String, TemplateError> {
        self.render_in(template, &vars.0)
    }

    /// [`eval_bool`](Self::eval_bool) with prepared [`Vars`].
    pub fn eval_bool_with(&self, expr: &str, vars: &Vars) -> Result<bool, TemplateError> {
        let expr = self.normalize_expr(expr, &vars.0)?;
        Ok(self.eval_in(&expr, &vars.0)?.is_true())
    }

    /// [`eval_expr`](Self::eval_expr) with prepared [`Vars`].
    pub fn eval_expr_with(&self, expr: &str, vars: &Vars) -> Result<Json, TemplateError> {
        let expr = self.normalize_expr(expr, &vars.0)?;
        let value = self.eval_in(&expr, &vars.0)?;
        self.to_json(&value, Source::Expr(&expr), &vars.0)
    }

    /// Syntax check of a template, for load-time validation.
    pub fn check_syntax(&self, template: &str) -> Result<(), String> {
        self.env()
            .template_from_str(template)
            .map(|_| ())
            .map_err(|e| error::describe(&e, template))
    }

    /// Syntax check of a bare expression (a `when:` and the like).
    pub fn check_expr_syntax(&self, expr: &str) -> Result<(), String> {
        let trimmed = expr.trim();
        let inner = single_expression(self.env(), trimmed).unwrap_or(trimmed);
        if inner != trimmed || !has_markup(inner) {
            return self
                .env()
                .compile_expression(inner)
                .map(|_| ())
                .map_err(|e| error::describe(&e, inner));
        }
        // A condition with embedded `{{ }}` is templated first, then evaluated; only the
        // template part can be checked before the vars are known.
        self.check_syntax(inner)
    }

    /// The strict environment with a lifetime short enough to compile borrowed sources
    /// (`Environment` is covariant in its source lifetime).
    fn env(&self) -> &Environment<'_> {
        &self.strict
    }

    fn render_value_in(&self, v: &Json, ctx: &Value) -> Result<Json, TemplateError> {
        Ok(match v {
            Json::String(s) if has_markup(s) => self.render_native(s, ctx)?,
            Json::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|item| self.render_value_in(item, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) => {
                let mut out = serde_json::Map::with_capacity(map.len());
                for (key, item) in map {
                    let key = if has_markup(key) {
                        self.render_in(key, ctx)?
                    } else {
                        key.clone()
                    };
                    out.insert(key, self.render_value_in(item, ctx)?);
                }
                Json::Object(out)
            }
            other => other.clone(),
        })
    }

    fn render_native(&self, template: &str, ctx: &Value) -> Result<Json, TemplateError> {
        match single_expression(self.env(), template) {
            Some(expr) => {
                let value = self.eval_in(expr, ctx)?;
                self.to_json(&value, Source::Expr(expr), ctx)
            }
            None => self.render_in(template, ctx).map(Json::String),
        }
    }

    fn render_in(&self, template: &str, ctx: &Value) -> Result<String, TemplateError> {
        let source = Source::Template(template);
        let tmpl = self
            .env()
            .template_from_str(template)
            .map_err(|e| self.convert(&e, source, ctx))?;
        match tmpl.render(ctx.clone()) {
            Ok(out) => Ok(out),
            Err(err) if undefined::is_chained_access(&err, template) => {
                let chained: &Environment<'_> = &self.chained;
                match undefined::with_consumption(|| chained.render_str(template, ctx.clone())) {
                    (Ok(out), true) => Ok(out),
                    (Ok(_), false) => Err(self.convert(&err, source, ctx)),
                    (Err(again), _) => Err(self.pick_error(&err, &again, source, ctx)),
                }
            }
            Err(err) => Err(self.convert(&err, source, ctx)),
        }
    }

    /// Evaluates an expression; an undefined result is an error (Ansible's strict undefined).
    fn eval_in(&self, expr: &str, ctx: &Value) -> Result<Value, TemplateError> {
        let source = Source::Expr(expr);
        let compiled = self
            .env()
            .compile_expression(expr)
            .map_err(|e| self.convert(&e, source, ctx))?;
        let value = match compiled.eval(ctx.clone()) {
            Ok(value) => value,
            Err(err) if undefined::is_chained_access(&err, expr) => {
                let chained: &Environment<'_> = &self.chained;
                let eval = || {
                    chained
                        .compile_expression(expr)
                        .and_then(|c| c.eval(ctx.clone()))
                };
                match undefined::with_consumption(eval) {
                    (Ok(value), true) => value,
                    (Ok(_), false) => return Err(self.convert(&err, source, ctx)),
                    (Err(again), _) => return Err(self.pick_error(&err, &again, source, ctx)),
                }
            }
            Err(err) => return Err(self.convert(&err, source, ctx)),
        };
        if value.is_undefined() {
            return Err(self.undefined_result(expr, ctx));
        }
        Ok(value)
    }

    /// After a chained retry failed: an undefined error is better told by the strict pass
    /// (it names the first missing link); any other error is the real one.
    fn pick_error(
        &self,
        strict: &minijinja::Error,
        chained: &minijinja::Error,
        source: Source<'_>,
        ctx: &Value,
    ) -> TemplateError {
        if chained.kind() == ErrorKind::UndefinedError {
            self.convert(strict, source, ctx)
        } else {
            self.convert(chained, source, ctx)
        }
    }

    /// An expression evaluated to undefined: printing it in the strict environment makes
    /// minijinja name it.
    fn undefined_result(&self, expr: &str, ctx: &Value) -> TemplateError {
        let template = format!("{{{{ {expr} }}}}");
        match self.env().render_str(&template, ctx.clone()) {
            Err(err) => self.convert(&err, Source::Template(&template), ctx),
            Ok(_) => self.unnamed_undefined(Source::Expr(expr), ctx, None),
        }
    }

    fn to_json(
        &self,
        value: &Value,
        source: Source<'_>,
        ctx: &Value,
    ) -> Result<Json, TemplateError> {
        native::to_json(value).map_err(|e| self.convert(&e, source, ctx))
    }

    /// Turns `"{{ expr }}"` into `expr`; a condition with other embedded markup is rendered
    /// first (as older Ansible did) and its output evaluated.
    fn normalize_expr<'a>(
        &self,
        expr: &'a str,
        ctx: &Value,
    ) -> Result<Cow<'a, str>, TemplateError> {
        let trimmed = expr.trim();
        if let Some(inner) = single_expression(self.env(), trimmed) {
            return Ok(Cow::Borrowed(inner));
        }
        if has_markup(trimmed) {
            return Ok(Cow::Owned(self.render_in(trimmed, ctx)?));
        }
        Ok(Cow::Borrowed(trimmed))
    }

    fn convert(&self, err: &minijinja::Error, source: Source<'_>, ctx: &Value) -> TemplateError {
        if let Some(name) = undefined::display_name(err, source.text()) {
            let why = undefined::explain_missing(&name, &self.strict, ctx);
            let mut e = TemplateError::undefined(&name, why);
            if let (Source::Template(t), Some(line)) = (source, err.line()) {
                if t.contains('\n') {
                    e.message.push_str(&format!(" (template line {line})"));
                }
            }
            return e;
        }
        if err.kind() == ErrorKind::UndefinedError {
            return self.unnamed_undefined(source, ctx, Some(err));
        }
        TemplateError::new(error::kind_of(err), error::describe(err, source.text()))
    }

    /// An undefined error without minijinja's description: name the first referenced
    /// variable that the vars lack.
    fn unnamed_undefined(
        &self,
        source: Source<'_>,
        ctx: &Value,
        err: Option<&minijinja::Error>,
    ) -> TemplateError {
        let referenced = match source {
            Source::Template(t) => self
                .env()
                .template_from_str(t)
                .map(|t| t.undeclared_variables(true))
                .unwrap_or_default(),
            Source::Expr(e) => self
                .env()
                .compile_expression(e)
                .map(|e| e.undeclared_variables(true))
                .unwrap_or_default(),
        };
        let detail = err.and_then(|e| e.detail()).map(str::to_string);
        match undefined::find_missing(referenced, ctx, &self.strict) {
            Some(name) => {
                let why = detail.or_else(|| undefined::explain_missing(&name, &self.strict, ctx));
                TemplateError::undefined(&name, why)
            }
            None => TemplateError::new(
                TemplateErrorKind::Undefined {
                    name: String::new(),
                },
                match err {
                    Some(err) => error::describe(err, source.text()),
                    None => format!("`{}` is undefined", source.text()),
                },
            ),
        }
    }
}

/// Whether a string needs templating at all.
fn has_markup(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// The expression of a template that is exactly one `{{ expr }}` (whitespace control
/// allowed), or None. Compiling the inside rejects `{{ a }} and {{ b }}`.
fn single_expression<'a>(env: &Environment<'_>, template: &'a str) -> Option<&'a str> {
    let inner = template.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    if inner.trim().is_empty() {
        return None;
    }
    env.compile_expression(inner).ok().map(|_| inner)
}

#[cfg(test)]
mod filter_tests;
#[cfg(test)]
mod templar_tests;
