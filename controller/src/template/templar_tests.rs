//! End-to-end tests of the templar: rendering, native types, undefined handling and error
//! messages, and every filter and test as a playbook would use it.

use super::*;
use serde_json::json;

fn vars() -> Json {
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

fn t() -> Templar {
    Templar::new()
}

fn render(template: &str) -> String {
    t().render_str(template, &vars())
        .unwrap_or_else(|e| panic!("{template:?} failed: {e}"))
}

fn eval(expr: &str) -> Json {
    t().eval_expr(expr, &vars())
        .unwrap_or_else(|e| panic!("{expr:?} failed: {e}"))
}

fn truth(expr: &str) -> bool {
    t().eval_bool(expr, &vars())
        .unwrap_or_else(|e| panic!("{expr:?} failed: {e}"))
}

fn err(template: &str) -> TemplateError {
    match t().render_str(template, &vars()) {
        Ok(out) => panic!("{template:?} should fail, rendered {out:?}"),
        Err(e) => e,
    }
}

fn expr_err(expr: &str) -> TemplateError {
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

// ---- filters ----

#[test]
fn bool_int_float_string() {
    assert_eq!(eval("yes_str | bool"), json!(true));
    assert_eq!(eval("'off' | bool"), json!(false));
    assert_eq!(eval("num_str | int"), json!(42));
    assert_eq!(eval("'abc' | int"), json!(0));
    assert_eq!(eval("'abc' | int(7)"), json!(7));
    assert_eq!(eval("'ff' | int(base=16)"), json!(255));
    assert_eq!(eval("'3.9' | int"), json!(3));
    assert_eq!(eval("'1.5' | float"), json!(1.5));
    assert_eq!(eval("'x' | float"), json!(0.0));
    assert_eq!(eval("port | string"), json!("8080"));
    assert_eq!(eval("enabled | string"), json!("True"));
    assert_eq!(eval("port | type_debug"), json!("int"));
    assert_eq!(eval("tags | type_debug"), json!("list"));
}

#[test]
fn json_and_yaml_filters() {
    assert_eq!(
        render("{{ cfg | to_json }}"),
        r#"{"image": "nginx", "tag": "1.25", "nested": {"deep": 1}}"#
    );
    assert_eq!(
        render("{{ {'b': 1, 'a': [1]} | to_nice_json }}"),
        "{\n    \"a\": [\n        1\n    ],\n    \"b\": 1\n}"
    );
    assert_eq!(
        render("{{ {'b': 1, 'a': true} | to_json(sort_keys=true) }}"),
        r#"{"a": true, "b": 1}"#
    );
    assert_eq!(
        eval("'{\"a\": [1, null]}' | from_json"),
        json!({"a": [1, null]})
    );
    assert_eq!(
        render("{{ {'b': 'yes', 'a': [1, 2]} | to_yaml }}"),
        "a: [1, 2]\nb: 'yes'\n"
    );
    assert_eq!(
        render("{{ {'b': 'x', 'a': 1} | to_yaml }}"),
        "{a: 1, b: x}\n"
    );
    assert_eq!(
        render("{{ {'k': [{'x': 1}]} | to_nice_yaml }}"),
        "k:\n-   x: 1\n"
    );
    assert_eq!(
        render("{{ {'k': [{'x': 1}]} | to_nice_yaml(indent=2) }}"),
        "k:\n- x: 1\n"
    );
    assert_eq!(
        eval("'a: yes\\nb: [1, 2]' | from_yaml"),
        json!({"a": true, "b": [1, 2]})
    );
    assert_eq!(
        eval("'a: 1\\n---\\nb: 2\\n' | from_yaml_all"),
        json!([{"a": 1}, {"b": 2}])
    );
    let e = expr_err("'{' | from_json");
    assert!(e.message.contains("from_json"), "{}", e.message);
    // Round trip through YAML.
    let data = json!({"s": "1.0", "t": "on", "l": ["- x", "a: b", "", "multi\nline"], "n": null, "f": 2.5});
    let v = json!({"data": data});
    let yaml = t().render_str("{{ data | to_nice_yaml }}", &v).unwrap();
    let back = t().eval_expr("y | from_yaml", &json!({"y": yaml})).unwrap();
    assert_eq!(back, data);
}

#[test]
fn base64_hash_quote_paths() {
    assert_eq!(render("{{ 'hello' | b64encode }}"), "aGVsbG8=");
    assert_eq!(render("{{ 'aGVsbG8=' | b64decode }}"), "hello");
    assert_eq!(
        render("{{ 'abc' | hash('sha1') }}"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        render("{{ 'abc' | checksum }}"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        render("{{ 'abc' | hash('md5') }}"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(
        render("{{ 'abc' | md5 }}"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(render("{{ \"it's\" | quote }}"), "'it'\"'\"'s'");
    assert_eq!(render("echo {{ name | quote }}"), "echo web");
    assert_eq!(render("{{ '/etc/app/x.conf' | basename }}"), "x.conf");
    assert_eq!(render("{{ '/etc/app/x.conf' | dirname }}"), "/etc/app");
    assert_eq!(eval("'x.tar.gz' | splitext"), json!(["x.tar", ".gz"]));
    assert_eq!(render("{{ ['/opt', name] | path_join }}"), "/opt/web");
}

#[test]
fn regex_filters() {
    assert_eq!(
        render("{{ 'ansible' | regex_replace('^a.*i(.*)$', 'a\\\\1') }}"),
        "able"
    );
    assert_eq!(
        render("{{ 'foo=1 bar=2' | regex_replace('(?P<k>\\\\w+)=(\\\\d)', '\\\\g<k>:\\\\2') }}"),
        "foo:1 bar:2"
    );
    assert_eq!(
        render("{{ 'ABC' | regex_replace('b', 'x', ignorecase=true) }}"),
        "AxC"
    );
    assert_eq!(
        render("{{ 'aaa' | regex_replace('a', 'b', count=2) }}"),
        "bba"
    );
    assert_eq!(
        render("{{ 'cost $5' | regex_replace('\\\\$(\\\\d)', '\\\\1 dollars') }}"),
        "cost 5 dollars"
    );
    assert_eq!(
        eval("'server1.example' | regex_search('server([0-9]+)')"),
        json!("server1")
    );
    assert_eq!(
        eval("'server1.example' | regex_search('server([0-9]+)', '\\\\1')"),
        json!(["1"])
    );
    assert_eq!(
        eval("'ab' | regex_search('(?P<x>b)', '\\\\g<x>')"),
        json!(["b"])
    );
    assert_eq!(eval("'nothing' | regex_search('\\\\d+')"), json!(null));
    assert_eq!(eval("'a1 b2' | regex_findall('\\\\d')"), json!(["1", "2"]));
    assert_eq!(
        eval("'a1 b2' | regex_findall('(\\\\w)(\\\\d)')"),
        json!([["a", "1"], ["b", "2"]])
    );
    assert_eq!(eval("'a.b' | regex_escape"), json!("a\\.b"));
    let e = err("{{ 'x' | regex_search('(') }}");
    assert!(e.message.contains("regex_search"), "{}", e.message);
}

#[test]
fn combine_and_dict_filters() {
    assert_eq!(
        eval("{'a': 1, 'n': {'x': 1}} | combine({'b': 2, 'n': {'y': 2}})"),
        json!({"a": 1, "n": {"y": 2}, "b": 2})
    );
    assert_eq!(
        eval("{'a': 1, 'n': {'x': 1}} | combine({'n': {'y': 2}}, recursive=true)"),
        json!({"a": 1, "n": {"x": 1, "y": 2}})
    );
    assert_eq!(
        eval("{'l': [1]} | combine({'l': [2]}, list_merge='append')"),
        json!({"l": [1, 2]})
    );
    assert_eq!(
        eval("{} | combine([{'a': 1}, {'b': 2}])"),
        json!({"a": 1, "b": 2})
    );
    assert!(expr_err("{} | combine({'a': 1}, list_merge='bogus')")
        .message
        .contains("list_merge"));
    assert_eq!(
        eval("{'a': 1} | dict2items"),
        json!([{"key": "a", "value": 1}])
    );
    assert_eq!(
        eval("{'a': 1} | dict2items(key_name='k', value_name='v')"),
        json!([{"k": "a", "v": 1}])
    );
    assert_eq!(
        eval("[{'key': 'a', 'value': 1}] | items2dict"),
        json!({"a": 1})
    );
    assert_eq!(
        eval("[{'n': 'a', 'v': 1}] | items2dict(key_name='n', value_name='v')"),
        json!({"a": 1})
    );
    assert_eq!(
        eval("['a', 'b'] | zip([1, 2]) | dict"),
        json!({"a": 1, "b": 2})
    );
    assert_eq!(
        eval("dict(['a', 'b'] | zip([1, 2]))"),
        json!({"a": 1, "b": 2})
    );
    assert_eq!(eval("dict(x=1)"), json!({"x": 1}));
}

#[test]
fn list_filters() {
    assert_eq!(
        eval("[1, [2, [3, none]], 'None'] | flatten"),
        json!([1, 2, 3])
    );
    assert_eq!(eval("[1, [2, [3]]] | flatten(1)"), json!([1, 2, [3]]));
    assert_eq!(
        eval("[1, 2] | product(['a', 'b'])"),
        json!([[1, "a"], [1, "b"], [2, "a"], [2, "b"]])
    );
    assert_eq!(
        eval("[1, 2] | zip(['a', 'b']) | list"),
        json!([[1, "a"], [2, "b"]])
    );
    assert_eq!(
        eval("[1, 2, 3] | zip_longest(['a'], fillvalue='-')"),
        json!([[1, "a"], [2, "-"], [3, "-"]])
    );
    assert_eq!(eval("[1, 2, 2, 3] | unique"), json!([1, 2, 3]));
    assert_eq!(eval("[3, 1, 2] | min"), json!(1));
    assert_eq!(eval("[3, 1, 2] | max"), json!(3));
    assert_eq!(eval("[3, 1, 2] | sum"), json!(6));
    assert_eq!(eval("[3, 1, 2] | sort"), json!([1, 2, 3]));
    assert_eq!(eval("tags | length"), json!(2));
    assert_eq!(eval("tags | count"), json!(2));
    assert_eq!(eval("tags | first"), json!("a"));
    assert_eq!(eval("tags | last"), json!("b"));
    assert_eq!(render("{{ tags | join(',') }}"), "a,b");
    assert_eq!(render("{{ [1, true, none] | join(' ') }}"), "1 True None");
    assert_eq!(
        eval("users | selectattr('admin') | map(attribute='name') | list"),
        json!(["ann"])
    );
    assert_eq!(
        eval("users | rejectattr('admin') | map(attribute='uid') | list"),
        json!([1002])
    );
    assert_eq!(eval("[1, 2, 3, 4] | select('even') | list"), json!([2, 4]));
    assert_eq!(eval("[1, 2, 3, 4] | reject('even') | list"), json!([1, 3]));
    assert_eq!(eval("['1', '2'] | map('int') | list"), json!([1, 2]));
    assert_eq!(eval("[1, 2, 3] | difference([2])"), json!([1, 3]));
    assert_eq!(eval("[1, 2, 3] | intersect([2, 3, 4])"), json!([2, 3]));
    assert_eq!(eval("[1, 2] | union([2, 3])"), json!([1, 2, 3]));
    assert_eq!(eval("[1, 2] | symmetric_difference([2, 3])"), json!([1, 3]));
    assert_eq!(
        eval("['image', 'tag'] | map('extract', cfg) | list"),
        json!(["nginx", "1.25"])
    );
    assert_eq!(eval("'a b' | list"), json!(["a", " ", "b"]));
}

#[test]
fn string_filters() {
    assert_eq!(render("{{ 'Abc' | lower }}{{ 'Abc' | upper }}"), "abcABC");
    assert_eq!(render("{{ '  x  ' | trim }}"), "x");
    assert_eq!(render("{{ 'aXa' | replace('a', 'b') }}"), "bXb");
    assert_eq!(eval("csv | split(',')"), json!(["a", "b", "", "c"]));
    assert_eq!(eval("' a  b ' | split"), json!(["a", "b"]));
    assert_eq!(render("{{ 'a b&c' | urlencode }}"), "a%20b%26c");
    assert_eq!(render("{{ enabled | ternary('on', 'off') }}"), "on");
    assert_eq!(
        render("{{ nothing | ternary('on', 'off', 'unset') }}"),
        "unset"
    );
    assert_eq!(render("{{ 'ansible.builtin.to_json' | length }}"), "23");
    assert_eq!(
        render("{{ cfg | ansible.builtin.to_json }}"),
        render("{{ cfg | to_json }}")
    );
}

// ---- Python methods ----

#[test]
fn python_string_methods() {
    assert_eq!(eval("csv.split(',')"), json!(["a", "b", "", "c"]));
    assert_eq!(eval("'a b  c'.split()"), json!(["a", "b", "c"]));
    assert_eq!(eval("'a,b,c'.split(',', 1)"), json!(["a", "b,c"]));
    assert_eq!(eval("'a,b,c'.rsplit(',', 1)"), json!(["a,b", "c"]));
    assert!(truth("name.startswith('we')"));
    assert!(truth("name.startswith(('x', 'w'))"));
    assert!(truth("name.endswith('eb')"));
    assert_eq!(eval("'  x '.strip()"), json!("x"));
    assert_eq!(eval("'xxhixx'.strip('x')"), json!("hi"));
    assert_eq!(eval("'  x '.lstrip()"), json!("x "));
    assert_eq!(eval("'  x '.rstrip()"), json!("  x"));
    assert_eq!(eval("'Ab'.lower() ~ 'Ab'.upper()"), json!("abAB"));
    assert_eq!(eval("'aaa'.replace('a', 'b', 2)"), json!("bba"));
    assert_eq!(eval("'-'.join(tags)"), json!("a-b"));
    assert_eq!(eval("'abc'.find('c')"), json!(2));
    assert_eq!(eval("'42'.isdigit()"), json!(true));
    assert_eq!(eval("'{}-{}'.format(name, port)"), json!("web-8080"));
    assert_eq!(eval("'7'.zfill(3)"), json!("007"));
    let e = expr_err("name.nonexistent()");
    assert_eq!(e.kind, TemplateErrorKind::Filter);
}

#[test]
fn python_dict_and_list_methods() {
    assert_eq!(eval("cfg.keys() | list"), json!(["image", "tag", "nested"]));
    assert_eq!(eval("cfg.nested.values() | list"), json!([1]));
    assert_eq!(eval("cfg.nested.items() | list"), json!([["deep", 1]]));
    assert_eq!(eval("cfg.get('image')"), json!("nginx"));
    assert_eq!(eval("cfg.get('nope', 'dflt')"), json!("dflt"));
    assert_eq!(eval("cfg.get('nope')"), json!(null));
    assert_eq!(
        render("{% for k, v in cfg.nested.items() %}{{ k }}={{ v }}{% endfor %}"),
        "deep=1"
    );
    assert_eq!(eval("tags.index('b')"), json!(1));
    assert_eq!(eval("tags.count('a')"), json!(1));
}

// ---- tests ----

#[test]
fn type_tests() {
    assert!(truth("name is string"));
    assert!(truth("port is number"));
    assert!(truth("cfg is mapping"));
    assert!(truth("tags is sequence"));
    assert!(truth("tags is iterable"));
    assert!(truth("enabled is boolean"));
    assert!(!truth("port is string"));
    assert!(truth("'a' is in tags"));
}

#[test]
fn regex_tests() {
    assert!(truth("'foobar' is match('foo')"));
    assert!(!truth("'foobar' is match('bar')"));
    assert!(truth("'foobar' is search('bar')"));
    assert!(truth("'FOO' is search('foo', ignorecase=true)"));
    assert!(truth("'a\\nb' is search('^b', multiline=true)"));
    assert!(truth("'foobar' is regex('o+b')"));
    assert!(truth("'foobar' is regex('foo', match_type='match')"));
    assert!(!truth("'foobar' is regex('foo', match_type='fullmatch')"));
}

#[test]
fn result_tests() {
    assert!(truth("result is changed"));
    assert!(truth("result is change"));
    assert!(truth("result is succeeded"));
    assert!(truth("result is success"));
    assert!(!truth("result is failed"));
    assert!(!truth("result is failure"));
    assert!(truth("skipped_result is skipped"));
    assert!(truth("skipped_result is skip"));
    assert!(!truth("result is skipped"));
    assert!(truth("loop_result is changed"));
    assert!(truth("{'failed': true} is failed"));
    assert!(truth("{} is succeeded"));
    assert!(truth("result is reachable"));
    let e = t().eval_bool("name is failed", &vars()).unwrap_err();
    assert!(e.message.contains("expects a dictionary"), "{}", e.message);
    let e = t().eval_bool("nope is failed", &vars()).unwrap_err();
    assert_eq!(
        e.kind,
        TemplateErrorKind::Undefined {
            name: "nope".into()
        }
    );
}

#[test]
fn set_and_truth_tests() {
    assert!(truth("['a'] is subset(tags)"));
    assert!(!truth("['z'] is subset(tags)"));
    assert!(truth("tags is superset(['b'])"));
    assert!(truth("tags is contains('a')"));
    assert!(truth("[0, 1] is any"));
    assert!(!truth("[0, 1] is all"));
    assert!(truth("'x' is truthy"));
    assert!(truth("'' is falsy"));
    assert!(truth("'no' is truthy"));
    assert!(truth("'no' is falsy(convert_bool=true)"));
}

#[test]
fn version_tests() {
    assert!(truth("'1.10' is version('1.9', '>')"));
    assert!(truth("cfg.tag is version('1.2', '>=')"));
    assert!(truth("'2.0' is version('2.0')"));
    assert!(truth("'2.0' is version('2.1', 'lt')"));
    assert!(truth(
        "'1.0.0-rc1' is version('1.0.0', '<', version_type='semver')"
    ));
    assert!(truth("'1.0' is version_compare('1.0', '==')"));
    assert!(truth("'1.0' is ansible.builtin.version('0.9', 'gt')"));
    let e = t()
        .eval_bool("'1' is version('2', '~')", &vars())
        .unwrap_err();
    assert!(e.message.contains("invalid operator"), "{}", e.message);
}

#[test]
fn path_tests() {
    assert!(truth("'/' is directory"));
    assert!(truth("'/' is exists"));
    assert!(!truth("'/definitely/not/here' is exists"));
    assert!(truth("'/etc' is abs"));
    assert!(!truth("'etc' is abs"));
}

// ---- globals ----

#[test]
fn lookup_env_and_query() {
    let path = std::env::var("PATH").unwrap_or_default();
    assert_eq!(render("{{ lookup('env', 'PATH') }}"), path);
    assert_eq!(render("{{ lookup('env', 'PLAY_SURELY_UNSET_VAR') }}"), "");
    assert_eq!(
        render("{{ lookup('env', 'PLAY_SURELY_UNSET_VAR', default='d') }}"),
        "d"
    );
    assert_eq!(eval("query('env', 'PATH')"), json!([path]));
    assert_eq!(eval("q('env', 'PATH') | length"), json!(1));
    assert_eq!(eval("lookup('vars', 'name')"), json!("web"));
    let e = err("{{ lookup('pipe', 'date') }}");
    assert!(
        e.message.contains("'pipe' is not supported"),
        "{}",
        e.message
    );
}

#[test]
fn lookup_file_searches_playbook_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    std::fs::write(dir.path().join("files/key.pub"), "ssh-ed25519 AAA\n\n").unwrap();
    let v = json!({"playbook_dir": dir.path().to_str().unwrap()});
    let tt = t();
    assert_eq!(
        tt.render_str("{{ lookup('file', 'key.pub') }}", &v)
            .unwrap(),
        "ssh-ed25519 AAA"
    );
    let abs = dir.path().join("files/key.pub");
    let abs = abs.to_str().unwrap();
    assert_eq!(
        tt.eval_expr(&format!("lookup('file', '{abs}')"), &v)
            .unwrap(),
        json!("ssh-ed25519 AAA")
    );
    let e = tt
        .render_str("{{ lookup('file', 'missing.txt') }}", &v)
        .unwrap_err();
    assert!(
        e.message.contains("could not find 'missing.txt'"),
        "{}",
        e.message
    );
    assert_eq!(
        tt.render_str("{{ lookup('file', 'missing.txt', errors='ignore') }}", &v)
            .unwrap(),
        ""
    );
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
