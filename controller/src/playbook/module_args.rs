//! A task's module arguments: merged from `args:`, the module's mapping or its `k=v` text,
//! then checked against the module catalogue (`play_protocol::modules`): unknown options with
//! a suggestion, internal `_` options refused, aliases rewritten to canonical names.
//!
//! Precedence is Ansible's: `args:` first, then the module's own arguments override.

use super::error::{ErrorKind, Errors};
use super::free_form::parse_kv;
use super::model::ModuleTask;
use super::suggest::did_you_mean;
use super::values::{describe, is_identifier, is_template};
use crate::yaml::{Location, Node, NodeKind};
use indexmap::IndexMap;
use play_protocol::modules::ModuleSpec;
use serde_json::Value;

/// The actions `meta:` takes in Ansible.
pub const META_ACTIONS: &[&str] = &[
    "flush_handlers",
    "refresh_inventory",
    "noop",
    "clear_facts",
    "clear_host_errors",
    "end_play",
    "end_host",
    "end_batch",
    "end_role",
    "reset_connection",
    "role_complete",
];

struct Arg {
    value: Value,
    key_loc: Location,
    value_loc: Location,
    /// Came from `k=v` text rather than a YAML mapping.
    free_form: bool,
}

/// Builds the module call written as `key: value` (with the task's `args:` if any). Problems
/// go to `errs`; the task is returned anyway so parsing can go on and find more.
pub(crate) fn build_module_task(
    spec: &'static ModuleSpec,
    key_loc: &Location,
    value: &Node,
    args_kw: Option<&Node>,
    locs: &mut IndexMap<String, Location>,
    errs: &mut Errors,
) -> ModuleTask {
    let name = spec.name;
    let mut raw: IndexMap<String, Arg> = IndexMap::new();
    if let Some(args) = args_kw {
        collect_mapping_args(args, "args", &mut raw, errs);
    }
    match &value.kind {
        NodeKind::Null => {}
        NodeKind::Map(_) => collect_mapping_args(value, name, &mut raw, errs),
        NodeKind::String(text) => {
            let check_raw = matches!(name, "command" | "shell");
            match parse_kv(text, check_raw) {
                Ok(options) => {
                    for (k, v) in options {
                        raw.insert(
                            k,
                            Arg {
                                value: Value::String(v),
                                key_loc: value.loc.clone(),
                                value_loc: value.loc.clone(),
                                free_form: true,
                            },
                        );
                    }
                }
                Err(msg) => errs.at(
                    ErrorKind::Option,
                    &value.loc,
                    format!("cannot split the arguments of `{name}`: {msg}"),
                ),
            }
        }
        _ => errs.at(
            ErrorKind::Type,
            &value.loc,
            format!(
                "`{name}` takes its options as a mapping or as `key=value` text, found {}",
                describe(value)
            ),
        ),
    }

    let mut args: IndexMap<String, Value> = IndexMap::new();
    for (option, arg) in raw {
        let Some(canonical) = check_option(spec, &option, &arg, errs) else {
            continue;
        };
        if canonical != option && args.contains_key(&canonical) {
            errs.at(
                ErrorKind::Option,
                &arg.key_loc,
                format!(
                    "`{option}` is another name for `{canonical}` of `{name}`, which is already \
                     given: keep only one of them"
                ),
            );
            continue;
        }
        locs.insert(format!("args.{canonical}"), arg.value_loc.clone());
        args.insert(canonical, arg.value);
    }
    check_required(spec, key_loc, &args, errs);
    ModuleTask {
        module: name,
        args,
        module_loc: key_loc.clone(),
    }
}

fn collect_mapping_args(
    node: &Node,
    what: &str,
    out: &mut IndexMap<String, Arg>,
    errs: &mut Errors,
) {
    match &node.kind {
        NodeKind::Null => {}
        NodeKind::Map(entries) => {
            for (k, (key_loc, v)) in entries {
                out.insert(
                    k.clone(),
                    Arg {
                        value: v.to_value(),
                        key_loc: key_loc.clone(),
                        value_loc: v.loc.clone(),
                        free_form: false,
                    },
                );
            }
        }
        NodeKind::String(s) if what == "args" && is_template(s) => errs.at(
            ErrorKind::Unsupported,
            &node.loc,
            "`args:` as one template is not supported: write the options as a mapping",
        ),
        _ => errs.at(
            ErrorKind::Type,
            &node.loc,
            format!(
                "`{what}` must be a mapping of options, found {}",
                describe(node)
            ),
        ),
    }
}

/// Checks one option; returns its canonical name when it is acceptable.
fn check_option(
    spec: &'static ModuleSpec,
    option: &str,
    arg: &Arg,
    errs: &mut Errors,
) -> Option<String> {
    let name = spec.name;
    let loc = &arg.key_loc;
    if option == "_raw_params" && arg.free_form {
        let text = arg.value.as_str().unwrap_or_default();
        if name == "set_fact" || !spec.free_form {
            errs.at(
                ErrorKind::Option,
                loc,
                format!(
                    "`{name}` does not take free-form text (`{text}`): write its options as \
                     `key=value` pairs or as a mapping"
                ),
            );
            return None;
        }
        return Some("_raw_params".into());
    }
    if option.starts_with('_') {
        errs.at(
            ErrorKind::Option,
            loc,
            format!("`{option}` is internal to play and cannot be set in a playbook: remove it"),
        );
        return None;
    }
    match name {
        "set_fact" => {
            if option == "cacheable" {
                return Some(option.into());
            }
            if !is_identifier(option) {
                errs.at(
                    ErrorKind::Option,
                    loc,
                    format!(
                        "`{option}` is not a valid variable name for set_fact: use letters, \
                         digits and `_`, not starting with a digit"
                    ),
                );
                return None;
            }
            Some(option.into())
        }
        "meta" => {
            errs.at(
                ErrorKind::Option,
                loc,
                "`meta` takes one action as text, e.g. `meta: flush_handlers`",
            );
            None
        }
        _ => {
            if let Some(opt) = spec
                .options
                .iter()
                .find(|o| **o == option && spec.accepts(o))
            {
                return Some(spec.canonical_option(opt).into());
            }
            let message = match did_you_mean(option, spec.options.iter().copied()) {
                Some(s) => format!("module `{name}` has no option `{option}`; did you mean `{s}`?"),
                None => {
                    let valid: Vec<&str> = spec
                        .options
                        .iter()
                        .copied()
                        .filter(|o| spec.accepts(o))
                        .collect();
                    format!(
                        "module `{name}` has no option `{option}`; its options are: {}",
                        valid.join(", ")
                    )
                }
            };
            errs.at(ErrorKind::Option, loc, message);
            None
        }
    }
}

/// What a module cannot do without, known at load time.
fn check_required(
    spec: &ModuleSpec,
    key_loc: &Location,
    args: &IndexMap<String, Value>,
    errs: &mut Errors,
) {
    let name = spec.name;
    match name {
        "command" | "shell" => {
            let has = |k: &str| args.get(k).is_some_and(|v| !v.is_null());
            if !has("_raw_params") && !has("cmd") && !has("argv") {
                errs.at(
                    ErrorKind::Module,
                    key_loc,
                    format!("`{name}` needs a command to run: `{name}: ls -l` or `cmd: ls -l`"),
                );
            }
        }
        "meta" => match args.get("_raw_params").and_then(Value::as_str) {
            Some(action) if META_ACTIONS.contains(&action.trim()) => {}
            Some(action) => {
                let hint = match did_you_mean(action.trim(), META_ACTIONS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of: {}", META_ACTIONS.join(", ")),
                };
                errs.at(
                    ErrorKind::Module,
                    key_loc,
                    format!("`meta: {action}` is not a meta action; {hint}"),
                );
            }
            None => errs.at(
                ErrorKind::Module,
                key_loc,
                "`meta` needs an action, e.g. `meta: flush_handlers`",
            ),
        },
        "set_fact" if args.keys().all(|k| k == "cacheable") => errs.at(
            ErrorKind::Module,
            key_loc,
            "`set_fact` needs at least one fact: `set_fact: name=value` or a mapping",
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;
    use play_protocol::modules::lookup;
    use std::path::Path;

    /// Parses `text` as one task mapping whose first key is the module.
    fn build(text: &str) -> (ModuleTask, IndexMap<String, Location>, Option<String>) {
        let node = parse_str(text, Path::new("t.yml")).unwrap();
        let map = node.as_map().unwrap();
        let (key, (key_loc, value)) = map.first().unwrap();
        let spec = lookup(key).unwrap();
        let args = map.get("args").map(|(_, n)| n);
        let mut locs = IndexMap::new();
        let mut errs = Errors::default();
        let task = build_module_task(spec, key_loc, value, args, &mut locs, &mut errs);
        (task, locs, errs.into_error().map(|e| e.to_string()))
    }

    #[test]
    fn mapping_and_free_form_arguments() {
        let (t, locs, err) = build("copy:\n  src: a\n  dest: /b\n");
        assert!(err.is_none(), "{err:?}");
        assert_eq!(t.args["dest"], "/b");
        assert_eq!(locs["args.dest"].line, 3);
        let (t, _, err) = build("copy: src=a dest=/b mode=0644\n");
        assert!(err.is_none());
        assert_eq!(t.args["mode"], "0644");
        assert_eq!(t.module, "copy");
    }

    #[test]
    fn command_free_form_with_args() {
        let (t, _, err) = build("command: ls -l creates=/x\nargs:\n  chdir: /tmp\n");
        assert!(err.is_none(), "{err:?}");
        assert_eq!(t.args["_raw_params"], "ls -l");
        assert_eq!(t.args["creates"], "/x");
        assert_eq!(t.args["chdir"], "/tmp");
        let (_, _, err) = build("shell:\n  chdir: /tmp\n");
        assert!(err.unwrap().contains("`shell` needs a command"));
    }

    #[test]
    fn module_args_override_args_keyword() {
        let (t, _, _) = build("file: path=/a state=touch\nargs:\n  state: directory\n");
        assert_eq!(t.args["state"], "touch");
    }

    #[test]
    fn unknown_option_is_located_with_suggestion() {
        let (_, _, err) = build("copy:\n  src: a\n  dset: /b\n");
        assert_eq!(
            err.unwrap(),
            "t.yml:3:3: module `copy` has no option `dset`; did you mean `dest`?"
        );
        let (_, _, err) = build("ping:\n  zzzzzz: 1\n");
        assert!(err.unwrap().contains("its options are: data"));
    }

    #[test]
    fn aliases_become_canonical_and_clash_with_it() {
        let (t, locs, err) = build("file:\n  dest: /a\n  state: directory\n");
        assert!(err.is_none());
        assert_eq!(t.args.keys().collect::<Vec<_>>(), ["path", "state"]);
        assert!(locs.contains_key("args.path"));
        let (_, _, err) = build("file:\n  path: /a\n  dest: /b\n");
        assert!(err.unwrap().contains("`dest` is another name for `path`"));
    }

    #[test]
    fn internal_options_and_free_text_are_refused() {
        let (_, _, err) = build("copy:\n  _content_b64: eA==\n  dest: /a\n");
        assert!(err.unwrap().contains("internal to play"));
        let (_, _, err) = build("command:\n  _raw_params: ls\n");
        assert!(err.unwrap().contains("internal to play"));
        let (_, _, err) = build("copy: hello\n");
        assert!(err
            .unwrap()
            .contains("does not take free-form text (`hello`)"));
    }

    #[test]
    fn set_fact_and_meta() {
        let (t, _, err) = build("set_fact: a=1 b='x y'\n");
        assert!(err.is_none());
        assert_eq!(t.args["b"], "x y");
        let (_, _, err) = build("set_fact:\n  my-fact: 1\n");
        assert!(err.unwrap().contains("not a valid variable name"));
        let (_, _, err) = build("set_fact: {}\n");
        assert!(err.unwrap().contains("needs at least one fact"));
        let (t, _, err) = build("meta: flush_handlers\n");
        assert!(err.is_none());
        assert_eq!(t.args["_raw_params"], "flush_handlers");
        let (_, _, err) = build("meta: flush_handler\n");
        assert!(err.unwrap().contains("did you mean `flush_handlers`?"));
    }

    #[test]
    fn wrong_shapes() {
        let (_, _, err) = build("copy: [a, b]\n");
        assert!(err.unwrap().contains("found a list"));
        let (_, _, err) = build("debug: msg={{ x\n");
        assert!(err.unwrap().contains("unbalanced"));
        let (_, _, err) = build("debug: msg=hi\nargs: \"{{ a }}\"\n");
        assert!(err.unwrap().contains("as one template"));
    }
}
