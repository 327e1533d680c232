//! Tests of every filter, Jinja test, global and Python method as a playbook uses them
//! (through the templar, so argument passing and naming are covered too).

use super::templar_tests::{err, eval, expr_err, render, t, truth, vars};
use super::*;
use serde_json::json;

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
    assert_eq!(render("[{{ 'ab' | center(6) }}]"), "[  ab  ]");
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
