//! Tests for `lineinfile` (unit tests in temp dirs; see the module under test for what it owns).
use super::*;

fn edit(line: &str) -> Edit {
    Edit {
        line: line.as_bytes().to_vec(),
        regexp: None,
        search: None,
        insertafter: None,
        insertbefore: None,
        backrefs: false,
        firstmatch: false,
    }
}

fn apply(text: &str, e: &Edit) -> (String, Option<&'static str>) {
    let mut lines = split_lines(text.as_bytes());
    let msg = present(&mut lines, e);
    (String::from_utf8(lines.concat()).unwrap(), msg)
}

#[test]
fn regexp_replaces_last_match_or_first_with_firstmatch() {
    let mut e = edit("port=2");
    e.regexp = Some(Regex::new("^port=").unwrap());
    assert_eq!(apply("port=1\nx\nport=9\n", &e).0, "port=1\nx\nport=2\n");
    e.firstmatch = true;
    assert_eq!(apply("port=1\nx\nport=9\n", &e).0, "port=2\nx\nport=9\n");
    // Python's `$` matches before the newline; so does ours.
    let mut e = edit("a=2");
    e.regexp = Some(Regex::new("^a=.*$").unwrap());
    assert_eq!(apply("a=1\n", &e), ("a=2\n".into(), Some("line replaced")));
    assert_eq!(apply("a=2\n", &e), ("a=2\n".into(), None));
}

#[test]
fn adds_at_end_fixing_missing_newline_and_is_idempotent() {
    let e = edit("new");
    assert_eq!(
        apply("a\nb", &e),
        ("a\nb\nnew\n".into(), Some("line added"))
    );
    assert_eq!(apply("a\nnew\nb\n", &e).1, None);
    assert_eq!(apply("", &e).0, "new\n");
}

#[test]
fn insertafter_and_insertbefore() {
    let mut e = edit("inserted");
    e.insertafter = Some(Anchor::Re(Regex::new("^\\[main\\]").unwrap()));
    assert_eq!(apply("[main]\nx=1\n", &e).0, "[main]\ninserted\nx=1\n");
    assert_eq!(apply("[main]\ninserted\nx=1\n", &e).1, None);
    // No anchor match: end of file.
    assert_eq!(apply("y\n", &e).0, "y\ninserted\n");
    let mut e = edit("first");
    e.insertbefore = Some(Anchor::Bof);
    assert_eq!(apply("a\n", &e).0, "first\na\n");
    let mut e = edit("before-b");
    e.insertbefore = Some(Anchor::Re(Regex::new("^b").unwrap()));
    assert_eq!(apply("a\nb\nb\n", &e).0, "a\nb\nbefore-b\nb\n");
    e.firstmatch = true;
    assert_eq!(apply("a\nb\nb\n", &e).0, "a\nbefore-b\nb\nb\n");
    let mut e = edit("x");
    e.insertafter = Some(Anchor::Eof);
    assert_eq!(apply("a\n", &e).0, "a\nx\n");
}

#[test]
fn backrefs_expand_python_groups_and_skip_without_match() {
    assert_eq!(python_template(r"\1=\g<val> $x"), "${1}=${val} $$x");
    let mut e = edit(&python_template(r"\1=yes"));
    e.regexp = Some(Regex::new(r"^(PermitRootLogin)\s").unwrap());
    e.backrefs = true;
    assert_eq!(apply("PermitRootLogin no\n", &e).0, "PermitRootLogin=yes\n");
    assert_eq!(apply("Other\n", &e), ("Other\n".into(), None));
}

#[test]
fn search_string_and_absent() {
    let mut e = edit("listen 8080;");
    e.search = Some(b"listen ".to_vec());
    assert_eq!(apply("a\n  listen 80;\n", &e).0, "a\nlisten 8080;\n");
    let mut lines = split_lines(b"keep\ndrop\ndrop\n");
    assert_eq!(absent(&mut lines, &edit("drop")), 2);
    assert_eq!(lines.concat(), b"keep\n");
    let mut e = edit("");
    e.regexp = Some(Regex::new("^#").unwrap());
    let mut lines = split_lines(b"#c\nv\n");
    assert_eq!(absent(&mut lines, &e), 1);
}

#[test]
fn run_on_a_file_with_diff_check_and_create() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf");
    let args = |line: &str| Args {
        path: Some(path.to_string_lossy().into()),
        line: Some(line.into()),
        regexp: Some("^key=".into()),
        ..Args::default()
    };
    let err = run(args("key=1"), &Context::detached(false)).unwrap_err();
    assert!(err.0.contains("does not exist"), "{}", err.0);
    let mut a = args("key=1");
    a.create = Some(true);
    a.mode = Some(ModeSpec::Bits(0o600));
    assert!(run(a, &Context::detached(false)).unwrap().changed);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "key=1\n");
    let mut ctx = Context::detached(true);
    ctx.diff = true;
    let r = run(args("key=2"), &ctx).unwrap();
    assert!(r.changed);
    assert_eq!(r.diff[0].after, "key=2\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "key=1\n");
    let mut a = args("key=2");
    a.backup = Some(true);
    let r = run(a, &Context::detached(false)).unwrap();
    assert_eq!(r.msg.as_deref(), Some("line replaced"));
    assert!(r.data["backup"].as_str().unwrap().contains('~'));
    assert!(
        !run(args("key=2"), &Context::detached(false))
            .unwrap()
            .changed
    );
    let a = Args {
        path: Some(path.to_string_lossy().into()),
        regexp: Some("^key=".into()),
        state: Some("absent".into()),
        ..Args::default()
    };
    let r = run(a, &Context::detached(false)).unwrap();
    assert_eq!(r.data["found"], 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
}
