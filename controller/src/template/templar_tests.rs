//! End-to-end tests of the templar: rendering, native types, undefined handling and error
//! messages, and every filter and test as a playbook would use it.

use super::*;
use serde_json::json;

pub(super) fn vars() -> Json {
    json!({
        "name": "web",
        "port": 8080,
        "enabled": true,
        "nothing": null,
        "tags": ["a", "b"],
        "users": [{"name": "ann", "uid": 1001, "admin": true}, {"name": "bob", "uid": 1002, "admin": false}],
        "cfg": {"image": "nginx", "tag": "1.25", "nested": {"deep": 1}},
        "result": {"rc": 1, "changed": true, "failed": false, "stdout": "ok\n", "stdout_lines": ["ok"]},
        "skipped_result": {"skipped": true, "changed": false},
        "loop_result": {"results": [{"changed": false}, {"changed": true}]},
        "csv": "a,b,,c",
        "empty": "",
        "yes_str": "yes",
        "num_str": " 42 ",
    })
}

pub(super) fn t() -> Templar {
    Templar::new()
}

pub(super) fn render(template: &str) -> String {
    t().render_str(template, &vars())
        .unwrap_or_else(|e| panic!("{template:?} failed: {e}"))
}

pub(super) fn eval(expr: &str) -> Json {
    t().eval_expr(expr, &vars())
        .unwrap_or_else(|e| panic!("{expr:?} failed: {e}"))
}

pub(super) fn truth(expr: &str) -> bool {
    t().eval_bool(expr, &vars())
        .unwrap_or_else(|e| panic!("{expr:?} failed: {e}"))
}

pub(super) fn err(template: &str) -> TemplateError {
    match t().render_str(template, &vars()) {
        Ok(out) => panic!("{template:?} should fail, rendered {out:?}"),
        Err(e) => e,
    }
}

pub(super) fn expr_err(expr: &str) -> TemplateError {
    match t().eval_expr(expr, &vars()) {
        Ok(out) => panic!("{expr:?} should fail, gave {out}"),
        Err(e) => e,
    }
}

#[test]
fn templar_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Templar>();
}

// ---- rendering and native types ----

#[test]
fn renders_strings_with_python_reprs() {
    assert_eq!(render("{{ name }}:{{ port }}"), "web:8080");
    assert_eq!(
        render("{{ enabled }} {{ nothing }} {{ not enabled }}"),
        "True None False"
    );
    assert_eq!(render("{{ tags }}"), "['a', 'b']");
    assert_eq!(render("x={{ cfg.nested }}"), "x={'deep': 1}");
    assert_eq!(render("no markup"), "no markup");
}

#[test]
fn keeps_trailing_newline_and_trims_blocks() {
    assert_eq!(render("line\n"), "line\n");
    assert_eq!(render("{% if enabled %}\nyes\n{% endif %}\n"), "yes\n");
    assert_eq!(render("{% for t in tags %}{{ t }}\n{% endfor %}"), "a\nb\n");
}

#[test]
fn no_autoescape() {
    assert_eq!(render("{{ '<a href=\"x\">&' }}"), "<a href=\"x\">&");
}

#[test]
fn single_expression_keeps_native_type() {
    let v = vars();
    let tt = t();
    let r = |s: &str| tt.render_value(&json!(s), &v).unwrap();
    assert_eq!(r("{{ tags }}"), json!(["a", "b"]));
    assert_eq!(r("{{ port }}"), json!(8080));
    assert_eq!(r("{{ enabled }}"), json!(true));
    assert_eq!(r("{{ nothing }}"), json!(null));
    assert_eq!(r("{{ cfg.nested }}"), json!({"deep": 1}));
    assert_eq!(r("{{ port + 1 }}"), json!(8081));
    assert_eq!(r("{{- port -}}"), json!(8080));
    assert_eq!(r("{{ '{{' }}"), json!("{{"));
    // Anything beyond the single expression is a string.
    assert_eq!(r("{{ port }} "), json!("8080 "));
    assert_eq!(r("{{ port }}{{ port }}"), json!("80808080"));
    assert_eq!(r("{{ name }} and {{ name }}"), json!("web and web"));
    assert_eq!(r("plain"), json!("plain"));
}

#[test]
fn render_value_walks_lists_maps_and_keys() {
    let input = json!({"name": "{{ name }}", "ports": ["{{ port }}", 22], "n": 1,
                       "{{ name }}_key": {"deep": "{{ tags | length }}"}});
    let out = t().render_value(&input, &vars()).unwrap();
    assert_eq!(
        out,
        json!({"name": "web", "ports": [8080, 22], "n": 1, "web_key": {"deep": 2}})
    );
}

#[test]
fn omit_drops_arguments() {
    let input = json!({"mode": "{{ cfg.mode | default(omit) }}", "owner": "root"});
    let mut out = t().render_value(&input, &vars()).unwrap();
    assert!(is_omit(&out["mode"]));
    remove_omitted(&mut out);
    assert_eq!(out, json!({"owner": "root"}));
}

// ---- conditions ----

#[test]
fn eval_bool_conditions() {
    assert!(truth("result.rc != 0"));
    assert!(truth("'a' in tags"));
    assert!(truth("name is defined"));
    assert!(truth("missing is undefined"));
    assert!(!truth("missing is defined"));
    assert!(truth("{{ enabled }}"));
    assert!(truth("  port > 80 and enabled  "));
    assert!(!truth("empty"));
    assert!(!truth("nothing"));
    assert!(truth("tags"));
    assert!(!truth("[]"));
    assert!(truth("result is changed and result is not failed"));
    // Embedded markup is rendered first, then evaluated, as older Ansible did.
    assert!(truth("{{ port }} == 8080"));
}

#[test]
fn eval_expr_returns_native() {
    assert_eq!(
        eval("users | map(attribute='name') | list"),
        json!(["ann", "bob"])
    );
    assert_eq!(eval("{{ cfg.tag }}"), json!("1.25"));
    assert_eq!(eval("range(3) | list"), json!([0, 1, 2]));
}

// ---- undefined handling ----

#[test]
fn undefined_variable_is_named() {
    let e = err("image: {{ image_tag }}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "image_tag".into()
        }
    );
    assert_eq!(e.message, "'image_tag' is undefined");
    let e = expr_err("image_tag");
    assert_eq!(e.message, "'image_tag' is undefined");
    let e = t().eval_bool("image_tag == 'x'", &vars()).unwrap_err();
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "image_tag".into()
        }
    );
    let e = t().eval_bool("image_tag", &vars()).unwrap_err();
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "image_tag".into()
        }
    );
}

#[test]
fn undefined_attribute_is_named_as_ansible_does() {
    let e = err("{{ result.foo }}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "result.foo".into()
        }
    );
    assert_eq!(
        e.message,
        "'result.foo' is undefined: 'dict object' has no attribute 'foo'"
    );
    let e = err("{{ tags[5] }}");
    assert_eq!(
        e.message,
        "'tags[5]' is undefined: list object has no element 5"
    );
    let e = err("{{ result['nope'] | upper }}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "result['nope']".into()
        }
    );
    let e = err("line one\n{% if enabled %}\n{{ image_tag }}\n{% endif %}\n");
    assert_eq!(e.message, "'image_tag' is undefined (template line 3)");
    let e = err("{{ cfg[name] }}");
    assert_eq!(
        e.message,
        "'cfg[name]' is undefined: 'dict object' has no attribute 'web'"
    );
    let e = err("{{ cfg.nested.missing.deeper }}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "cfg.nested.missing".into()
        }
    );
}

#[test]
fn undefined_is_strict_for_truth_iteration_and_nesting() {
    assert!(matches!(
        err("{% if missing %}x{% endif %}").kind,
        TemplateErrorKind::Undefined { .. }
    ));
    assert!(matches!(
        err("{% for x in missing %}{% endfor %}").kind,
        TemplateErrorKind::Undefined { .. }
    ));
    let e = err("{{ [1, missing] }}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "missing".into()
        }
    );
    let e = expr_err("[1, missing]");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "missing".into()
        }
    );
    assert!(matches!(
        err("{{ missing | upper }}").kind,
        TemplateErrorKind::Undefined { .. }
    ));
    assert!(matches!(
        err("{{ missing | to_json }}").kind,
        TemplateErrorKind::Undefined { .. }
    ));
}

#[test]
fn undefined_is_tolerated_where_ansible_tolerates_it() {
    assert_eq!(render("{{ missing | default('d') }}"), "d");
    assert_eq!(render("{{ missing | d('d') }}"), "d");
    assert_eq!(render("{{ result.nope | default('d') }}"), "d");
    // Chained access on an undefined value, as Ansible's undefined allows.
    assert_eq!(render("{{ missing.a.b | default('d') }}"), "d");
    assert_eq!(render("{{ cfg.nope.deeper | default('d') }}"), "d");
    assert_eq!(render("{{ cfg['nope'].x | default('d') }}"), "d");
    assert_eq!(render("{{ users[5].name | default('d') }}"), "d");
    assert_eq!(render("{{ cfg[name].x.y | default('d') }}"), "d");
    assert!(!truth("missing.attr is defined"));
    assert!(truth("cfg.nope.x is undefined"));
    assert!(!truth("missing is none"));
    assert!(truth("nothing is none"));
    // Chaining is only forgiven when the undefined value reaches default/defined.
    let e = err("{% if missing.attr %}x{% endif %}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "missing".into()
        }
    );
    let e = t().eval_bool("not cfg.nope.x", &vars()).unwrap_err();
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "cfg.nope".into()
        }
    );
    // But the rest of such a template stays strict.
    assert!(matches!(
        err("{{ missing.a | default(1) }}{{ other }}").kind,
        TemplateErrorKind::Undefined { .. }
    ));
}

#[test]
fn default_with_boolean_covers_falsy() {
    assert_eq!(render("{{ empty | default('x') }}"), "");
    assert_eq!(render("{{ empty | default('x', true) }}"), "x");
    assert_eq!(render("{{ nothing | default('x', true) }}"), "x");
}

#[test]
fn mandatory_filter() {
    assert_eq!(render("{{ name | mandatory }}"), "web");
    let e = err("{{ release_id | mandatory }}");
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "release_id".into()
        }
    );
    let e = err("{{ release_id | mandatory('set release_id with -e') }}");
    assert!(
        e.message.contains("set release_id with -e"),
        "{}",
        e.message
    );
}

// ---- syntax ----

#[test]
fn syntax_errors() {
    let tt = t();
    assert!(tt.check_syntax("{{ ok }} {% if x %}{% endif %}").is_ok());
    let msg = tt.check_syntax("{{ x }").unwrap_err();
    assert!(msg.starts_with("syntax error"), "{msg}");
    assert!(tt.check_syntax("{% if x %}").is_err());
    assert!(tt.check_expr_syntax("x is defined and y").is_ok());
    assert!(tt.check_expr_syntax("{{ x }}").is_ok());
    assert!(tt.check_expr_syntax("x ==").is_err());
    assert!(tt.check_expr_syntax("{{ x }} == {{").is_err());
    assert_eq!(err("{{ x }").kind, TemplateErrorKind::Syntax);
    let e = t().render_str("a\n{{ x + }}\n", &vars()).unwrap_err();
    assert!(e.message.contains("line 2"), "{}", e.message);
}

#[test]
fn unknown_filter_is_reported() {
    let e = err("{{ name | no_such_filter }}");
    assert_eq!(e.kind, TemplateErrorKind::Filter);
    assert!(e.message.contains("no_such_filter"), "{}", e.message);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn render_str_never_panics(template in "\\PC{0,60}") {
            let _ = t().render_str(&template, &vars());
        }

        #[test]
        fn jinja_like_input_never_panics(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("{{"), Just("}}"), Just("{%"), Just("%}"), Just("{#"), Just("#}"),
                    Just(" if "), Just(" for x in "), Just("endif"), Just("endfor"), Just("|"),
                    Just(" default("), Just(")"), Just("missing"), Just("cfg.nope"), Just("."),
                    Just("["), Just("]"), Just("'"), Just("name"), Just(" is defined"),
                    Just("regex_replace('(', 'x')"), Just("to_nice_yaml"), Just("int"),
                ],
                0..12,
            )
        ) {
            let template: String = parts.concat();
            let tt = t();
            let _ = tt.render_str(&template, &vars());
            let _ = tt.render_value(&json!(template), &vars());
            let _ = tt.eval_bool(&template, &vars());
            let _ = tt.check_syntax(&template);
            let _ = tt.check_expr_syntax(&template);
        }
    }
}

#[test]
fn shared_vars_render_like_plain_vars() {
    let shared = Vars::shared(std::sync::Arc::new(vars()));
    let item = Vars::from_json(&json!({"item": {"name": "ann"}, "port": 9090}));
    let ctx = shared.overlay(&item);
    let tt = t();
    assert_eq!(
        tt.render_str_with("{{ name }}:{{ port }}:{{ item.name }}", &ctx)
            .unwrap(),
        "web:9090:ann"
    );
    assert_eq!(
        tt.eval_expr_with("users | map(attribute='name') | list", &ctx)
            .unwrap(),
        json!(["ann", "bob"])
    );
    assert!(tt
        .eval_bool_with("tags == ['a', 'b'] and result is changed", &ctx)
        .unwrap());
    assert_eq!(
        tt.render_value_with(&json!("{{ cfg }}"), &ctx).unwrap(),
        vars()["cfg"]
    );
    assert_eq!(
        tt.render_str_with("{{ cfg | to_json }}", &ctx).unwrap(),
        render("{{ cfg | to_json }}")
    );
    assert_eq!(
        tt.render_str_with("{{ tags }} {{ cfg.nested }}", &ctx)
            .unwrap(),
        "['a', 'b'] {'deep': 1}"
    );
    let e = tt.render_str_with("{{ result.nope }}", &ctx).unwrap_err();
    assert_eq!(
        e.message,
        "'result.nope' is undefined: 'dict object' has no attribute 'nope'"
    );
    assert_eq!(
        tt.render_str_with("{{ cfg.keys() | list | length }}", &ctx)
            .unwrap(),
        "3"
    );
}

/// Prints how long converting large vars takes, eagerly and lazily (run with --ignored).
#[test]
#[ignore]
fn bench_conversion() {
    let mut hosts = serde_json::Map::new();
    for h in 0..50 {
        let mut facts = serde_json::Map::new();
        for f in 0..500 {
            facts.insert(
                format!("fact_{f}"),
                json!({"a": f, "b": "some text value", "c": [1, 2, 3]}),
            );
        }
        hosts.insert(format!("host{h}"), Json::Object(facts));
    }
    let v = json!({"hostvars": hosts, "name": "x"});
    let size = serde_json::to_string(&v).unwrap().len();
    let tt = t();
    let start = std::time::Instant::now();
    for _ in 0..10 {
        tt.render_str("{{ name }}", &v).unwrap();
    }
    let eager = start.elapsed() / 10;
    let shared = Vars::shared(std::sync::Arc::new(v));
    let start = std::time::Instant::now();
    for _ in 0..10 {
        tt.render_str_with("{{ name }} {{ hostvars.host3.fact_9.b }}", &shared)
            .unwrap();
    }
    let lazy = start.elapsed() / 10;
    panic!("{size} bytes of vars: eager render {eager:?}, shared render {lazy:?}");
}
