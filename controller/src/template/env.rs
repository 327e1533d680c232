//! Builds the minijinja environments the templar uses: Ansible's syntax settings, the
//! strict-printing formatter, and every filter, test, global and Python method.

use super::{filters, globals, jinja_tests, native, pycompat, undefined};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior};

pub fn build(behavior: UndefinedBehavior) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(behavior);
    // Debug mode makes undefined values remember the expression that produced them, which is
    // how errors name the missing variable. Its cost is paid only when an error is built.
    env.set_debug(true);
    // No autoescape, whatever a template's name.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // Ansible's Templar uses trim_blocks and keeps trailing newlines (the template module's
    // defaults; lstrip_blocks is off).
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    // minijinja prints `[1, undefined]` for a list holding an undefined value; Ansible fails.
    env.set_formatter(|out, state, value| {
        if let Some(missing) = native::first_undefined(value) {
            return Err(native::undefined_error(&missing));
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.set_unknown_method_callback(pycompat::call_method);
    filters::register(&mut env);
    jinja_tests::register(&mut env);
    globals::register(&mut env);
    if behavior == UndefinedBehavior::Chainable {
        undefined::register_chain_consumers(&mut env);
    }
    env
}
