//! Ansible's "constructed" features on a cloud listing: `compose`, `groups`, `keyed_groups`.
//!
//! Each instance arrives as facts (the API's description of it, shaped as Ansible's plugin
//! shapes it); those facts are its host vars. Then, in Ansible's order, `compose` adds
//! variables from Jinja expressions (each one sees the earlier ones), `groups` adds the host
//! to groups whose condition holds, and `keyed_groups` makes groups from values
//! (`prefix` + `separator` + value, with Ansible's quirks: no prefix still gives a leading
//! separator unless `leading_separator: false`; a mapping value makes `key_value` groups).
//! Without `strict: true`, an expression that fails (a label some instances lack) is skipped
//! for that host, as in Ansible. Group names are not rewritten: Ansible's default
//! (TRANSFORM_INVALID_GROUP_CHARS=never) keeps `-` and `.` too.

use super::config::{Constructed, KeyedGroup, Located};
use crate::inventory::{Host, Inventory, InventoryError, Vars};
use crate::template::Templar;
use serde_json::{Map, Value};
use std::path::Path;

/// One instance after construction, before it joins the inventory.
#[derive(Debug, Clone)]
pub(crate) struct BuiltHost {
    pub name: String,
    /// What the API said (labels, addresses), kept apart from composed vars.
    pub facts: Map<String, Value>,
    pub vars: Vars,
    pub groups: Vec<String>,
}

/// Constructed hosts and the `parent_group` links keyed groups asked for.
#[derive(Debug, Default)]
pub(crate) struct Built {
    pub hosts: Vec<BuiltHost>,
    /// (parent, child) group pairs.
    pub links: Vec<(String, String)>,
}

/// Runs compose, groups and keyed_groups for every `(host name, facts)` pair.
pub(crate) fn construct(
    listed: Vec<(String, Map<String, Value>)>,
    options: &Constructed,
    templar: &Templar,
) -> Result<Built, InventoryError> {
    let mut built = Built::default();
    for (name, facts) in listed {
        let mut vars = Value::Object(facts.clone());
        compose(&name, &mut vars, options, templar)?;
        let mut groups = Vec::new();
        conditional_groups(&name, &vars, options, templar, &mut groups)?;
        for keyed in &options.keyed_groups {
            keyed_groups(
                &name,
                &vars,
                keyed,
                options,
                templar,
                &mut groups,
                &mut built.links,
            )?;
        }
        let Value::Object(vars) = vars else {
            unreachable!("vars start as an object and stay one")
        };
        built.hosts.push(BuiltHost {
            name,
            facts,
            vars: vars.into_iter().collect(),
            groups,
        });
    }
    Ok(built)
}

/// Adds the constructed hosts to the inventory; `source` is the config they came from.
pub(crate) fn add_to(
    inv: &mut Inventory,
    built: Built,
    source: &Path,
) -> Result<(), InventoryError> {
    for host in built.hosts {
        if inv.host(&host.name).is_some() {
            tracing::warn!(
                host = %host.name,
                source = %source.display(),
                "two listed instances have the same inventory name; the later one's vars win \
                 (pick other `hostnames:` to tell them apart)"
            );
        }
        let mut entry = Host::with_vars(host.name, host.vars);
        entry.source = Some(source.to_path_buf());
        inv.add_host(entry, &host.groups);
    }
    for (parent, child) in built.links {
        inv.add_child(&parent, &child)?;
    }
    Ok(())
}

fn failed(at: &Located<String>, what: String, err: impl std::fmt::Display) -> InventoryError {
    InventoryError::invalid(
        &at.loc,
        format!("{what}: {err} (set `strict: false` to skip such hosts)"),
    )
}

fn compose(
    host: &str,
    vars: &mut Value,
    options: &Constructed,
    templar: &Templar,
) -> Result<(), InventoryError> {
    for (name, expr) in &options.compose {
        match templar.eval_expr(&expr.value, vars) {
            Ok(value) => {
                if let Value::Object(map) = vars {
                    map.insert(name.clone(), value);
                }
            }
            Err(err) if options.strict => {
                return Err(failed(
                    expr,
                    format!("cannot set `{name}` for host {host}"),
                    err,
                ))
            }
            Err(err) => tracing::debug!(host, var = %name, %err, "compose skipped"),
        }
    }
    Ok(())
}

fn conditional_groups(
    host: &str,
    vars: &Value,
    options: &Constructed,
    templar: &Templar,
    groups: &mut Vec<String>,
) -> Result<(), InventoryError> {
    for (group, condition) in &options.groups {
        match templar.eval_bool(&condition.value, vars) {
            Ok(true) => push_unique(groups, group),
            Ok(false) => {}
            Err(err) if options.strict => {
                return Err(failed(
                    condition,
                    format!("cannot decide whether host {host} is in group `{group}`"),
                    err,
                ))
            }
            Err(err) => tracing::debug!(host, group = %group, %err, "group condition skipped"),
        }
    }
    Ok(())
}

fn keyed_groups(
    host: &str,
    vars: &Value,
    keyed: &KeyedGroup,
    options: &Constructed,
    templar: &Templar,
    groups: &mut Vec<String>,
    links: &mut Vec<(String, String)>,
) -> Result<(), InventoryError> {
    let key = match templar.eval_expr(&keyed.key.value, vars) {
        Ok(key) => key,
        Err(err) if options.strict => {
            return Err(failed(
                &keyed.key,
                format!(
                    "cannot make a group for host {host} from `{}`",
                    keyed.key.value
                ),
                err,
            ))
        }
        Err(err) => {
            tracing::debug!(host, key = %keyed.key.value, %err, "keyed group skipped");
            return Ok(());
        }
    };
    let empty = |v: &Value| v.is_null() || v.as_str() == Some("");
    let use_default = empty(&key) && keyed.default_value.is_some();
    if !truthy(&key) && !use_default {
        let valid_empty = matches!(&key, Value::Array(a) if a.is_empty())
            || matches!(&key, Value::Object(o) if o.is_empty());
        if options.strict && !valid_empty {
            return Err(InventoryError::invalid(
                &keyed.key.loc,
                format!(
                    "`{}` is empty for host {host}, so no group can be named from it (set \
                     `default_value:`, or `strict: false` to skip such hosts)",
                    keyed.key.value
                ),
            ));
        }
        return Ok(());
    }
    let sep = keyed.separator.as_str();
    let mut bare = Vec::new();
    match &key {
        _ if use_default => bare.extend(keyed.default_value.clone()),
        Value::Array(items) => {
            for item in items {
                match &keyed.default_value {
                    Some(default) if empty(item) => bare.push(default.clone()),
                    _ => bare.push(python_str(item)),
                }
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                bare.push(match (&keyed.default_value, keyed.trailing_separator) {
                    (Some(default), _) if empty(v) => format!("{k}{sep}{default}"),
                    (None, Some(false)) if empty(v) => k.clone(),
                    _ => format!("{k}{sep}{}", python_str(v)),
                });
            }
        }
        other => bare.push(python_str(other)),
    }
    let lead = if keyed.prefix.is_empty() && !options.leading_separator {
        ""
    } else {
        sep
    };
    for name in bare {
        let group = format!("{}{lead}{name}", keyed.prefix);
        push_unique(groups, &group);
        if let Some(parent) = keyed.parent_group.as_deref().filter(|p| !p.is_empty()) {
            let link = (parent.to_string(), group);
            if !links.contains(&link) {
                links.push(link);
            }
        }
    }
    Ok(())
}

fn push_unique(groups: &mut Vec<String>, group: &str) {
    if !group.is_empty() && !groups.iter().any(|g| g == group) {
        groups.push(group.to_string());
    }
}

/// Python's truthiness, which Ansible's `if key:` uses.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// How Python's `'%s' % value` prints a value in a group name.
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Location;
    use serde_json::json;
    use std::sync::Arc;

    fn at(expr: &str) -> Located<String> {
        Located {
            value: expr.into(),
            loc: Location {
                file: Arc::from(Path::new("c.yml")),
                line: 4,
                column: 10,
            },
        }
    }

    fn keyed(key: &str, prefix: &str) -> KeyedGroup {
        KeyedGroup {
            key: at(key),
            prefix: prefix.into(),
            separator: "_".into(),
            parent_group: None,
            default_value: None,
            trailing_separator: None,
        }
    }

    fn options() -> Constructed {
        Constructed {
            leading_separator: true,
            ..Constructed::default()
        }
    }

    fn facts(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn keyed_groups_follow_ansible_naming() {
        let mut o = options();
        o.keyed_groups = vec![
            keyed("labels.role", "role"),
            keyed("labels.role", ""),
            keyed("labels", "gcp"),
            keyed("tags_list", "t"),
            keyed("labels.missing", "x"),
        ];
        o.keyed_groups[2].separator = "-".into();
        let built = construct(
            vec![(
                "vm1".into(),
                facts(json!({"labels": {"role": "web", "env": "prod"}, "tags_list": ["a", "b"]})),
            )],
            &o,
            &Templar::new(),
        )
        .unwrap();
        assert_eq!(
            built.hosts[0].groups,
            [
                "role_web",
                "_web",
                "gcp-role-web",
                "gcp-env-prod",
                "t_a",
                "t_b"
            ]
        );
    }

    #[test]
    fn leading_separator_off_and_defaults_for_empty_values() {
        let mut o = options();
        o.leading_separator = false;
        let mut k = keyed("labels.team", "");
        k.default_value = Some("none".into());
        let mut p = keyed("labels", "l");
        p.trailing_separator = Some(false);
        p.parent_group = Some("labelled".into());
        o.keyed_groups = vec![keyed("labels.role", ""), k, p];
        let built = construct(
            vec![(
                "vm1".into(),
                facts(json!({"labels": {"role": "db", "team": ""}})),
            )],
            &o,
            &Templar::new(),
        )
        .unwrap();
        assert_eq!(built.hosts[0].groups, ["db", "none", "l_role_db", "l_team"]);
        assert_eq!(
            built.links[0],
            ("labelled".to_string(), "l_role_db".to_string())
        );
    }

    #[test]
    fn compose_sees_earlier_results_and_groups_see_composed_vars() {
        let mut o = options();
        o.compose = vec![
            ("ansible_host".into(), at("nics[0].ip")),
            ("ip_copy".into(), at("ansible_host")),
        ];
        o.groups = vec![("internal".into(), at("ip_copy.startswith('10.')"))];
        let built = construct(
            vec![("vm1".into(), facts(json!({"nics": [{"ip": "10.0.0.3"}]})))],
            &o,
            &Templar::new(),
        )
        .unwrap();
        assert_eq!(built.hosts[0].vars["ip_copy"], json!("10.0.0.3"));
        assert_eq!(built.hosts[0].groups, ["internal"]);
        assert!(!built.hosts[0].facts.contains_key("ansible_host"));
    }

    #[test]
    fn strict_turns_skipped_expressions_into_located_errors() {
        let mut o = options();
        o.compose = vec![("x".into(), at("labels.nope"))];
        let listed = || vec![("vm1".to_string(), facts(json!({"labels": {}})))];
        let built = construct(listed(), &o, &Templar::new()).unwrap();
        assert!(!built.hosts[0].vars.contains_key("x"));
        o.strict = true;
        let err = construct(listed(), &o, &Templar::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.yml:4:10: cannot set `x` for host vm1"),
            "{err}"
        );
    }
}
