//! `setup` (and `gather_facts`): the same facts as the `facts` request, under
//! `ansible_facts`, optionally narrowed by `filter` globs (`ansible_distribution*`).

use super::{Context, ModuleOutcome};
use crate::facts;
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Accepted for compatibility; every fact is cheap, so all are always gathered.
    #[allow(dead_code)]
    #[serde(default, deserialize_with = "super::args::opt_list")]
    pub gather_subset: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::args::opt_list")]
    pub filter: Option<Vec<String>>,
}

pub fn run(args: Args, _ctx: &Context<'_>) -> ModuleOutcome {
    let all = facts::gather();
    let patterns = args.filter.unwrap_or_default();
    let kept: Map<String, Value> = if patterns.is_empty() {
        all
    } else {
        all.into_iter()
            .filter(|(k, _)| patterns.iter().any(|p| glob_match(p, k)))
            .collect()
    };
    Ok(ModuleResult::ok().with("ansible_facts", Value::Object(kept)))
}

/// fnmatch-style `*` and `?` matching.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_narrows_facts() {
        let args = Args {
            gather_subset: None,
            filter: Some(vec!["ansible_distribution*".into()]),
        };
        let r = run(args, &Context::detached(false)).unwrap();
        let facts = r.data["ansible_facts"].as_object().unwrap();
        assert!(facts.contains_key("ansible_distribution"));
        assert!(facts.keys().all(|k| k.starts_with("ansible_distribution")));
        assert!(glob_match("a*c?", "abbbcd"));
        assert!(!glob_match("a*c", "abd"));
    }
}
