//! Drift: the check `apply` runs just before acting, compared host by host and task by task
//! with what the plan saw. Any difference refuses the whole apply, naming the host, the task
//! and what kind of difference it is.

use super::model::{HostPlan, TaskRecord};
use std::collections::BTreeMap;

fn where_(t: &TaskRecord) -> String {
    match &t.location {
        Some(l) => format!("'{}' ({l})", t.task),
        None => format!("'{}'", t.task),
    }
}

/// One line per drifted host (the first difference on it); empty when nothing drifted.
pub fn drift(
    planned: &BTreeMap<String, HostPlan>,
    now: &BTreeMap<String, Vec<TaskRecord>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (host, plan) in planned {
        let Some(tasks) = now.get(host) else {
            problems.push(format!(
                "{host}: the check before applying did not reach this host (is it still in the inventory and --limit?)"
            ));
            continue;
        };
        if let Some(p) = first_difference(&plan.tasks, tasks) {
            problems.push(format!("{host}: {p}"));
        }
    }
    for host in now.keys().filter(|h| !planned.contains_key(*h)) {
        problems.push(format!(
            "{host}: the host is new since the plan was made (the inventory now has it)"
        ));
    }
    problems
}

fn first_difference(plan: &[TaskRecord], now: &[TaskRecord]) -> Option<String> {
    for (p, n) in plan.iter().zip(now) {
        if p.task != n.task || p.location != n.location {
            return Some(format!(
                "the check ran task {} where the plan had {}: the tasks that run changed",
                where_(n),
                where_(p)
            ));
        }
        if p.inputs != n.inputs {
            return Some(format!(
                "task {}: its arguments rendered differently than at plan time (a variable, fact, template or copied file changed)",
                where_(p)
            ));
        }
        if p.status != n.status {
            let hint = if p.status == "changed" && n.status == "ok" {
                " (was this plan applied already?)"
            } else {
                ""
            };
            return Some(format!(
                "task {}: the plan saw '{}', the check now sees '{}': the host's state changed{hint}",
                where_(p),
                p.status,
                n.status
            ));
        }
        if p.state != n.state {
            return Some(format!(
                "task {}: the host's state is not what the plan saw (it was changed since)",
                where_(p)
            ));
        }
    }
    match plan.len().cmp(&now.len()) {
        std::cmp::Ordering::Greater => Some(format!(
            "the check stopped after {} task(s); the plan had {} (next: {})",
            now.len(),
            plan.len(),
            where_(&plan[now.len()])
        )),
        std::cmp::Ordering::Less => Some(format!(
            "the check ran more tasks than the plan (next: {})",
            where_(&now[plan.len()])
        )),
        std::cmp::Ordering::Equal => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, status: &str, state: &str) -> TaskRecord {
        TaskRecord {
            task: name.into(),
            location: Some(format!("docker.yml:{}:7", name.len())),
            status: status.into(),
            state: state.into(),
            inputs: Some("in".into()),
        }
    }

    fn plan(tasks: Vec<TaskRecord>) -> HostPlan {
        HostPlan {
            tasks,
            ..HostPlan::default()
        }
    }

    #[test]
    fn names_the_host_and_task_that_drifted() {
        let planned = BTreeMap::from([
            (
                "vm1".to_string(),
                plan(vec![t("env", "changed", "a"), t("release", "changed", "b")]),
            ),
            (
                "vm2".to_string(),
                plan(vec![t("env", "changed", "a"), t("release", "changed", "b")]),
            ),
        ]);
        let mut now = BTreeMap::from([
            (
                "vm1".to_string(),
                vec![t("env", "changed", "a"), t("release", "changed", "b")],
            ),
            (
                "vm2".to_string(),
                vec![t("env", "changed", "a"), t("release", "changed", "b")],
            ),
        ]);
        assert!(drift(&planned, &now).is_empty());

        now.get_mut("vm2").unwrap()[0].state = "edited".into();
        let p = drift(&planned, &now);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("vm2: task 'env' (docker.yml:3:7)"),
            "{p:?}"
        );

        now.get_mut("vm2").unwrap()[0] = t("env", "ok", "a");
        assert!(
            drift(&planned, &now)[0].contains("the plan saw 'changed', the check now sees 'ok'")
        );

        now.get_mut("vm2").unwrap()[0] = t("env", "changed", "a");
        now.get_mut("vm2").unwrap()[1].inputs = Some("other".into());
        assert!(drift(&planned, &now)[0].contains("rendered differently"));

        now.get_mut("vm2").unwrap().pop();
        assert!(drift(&planned, &now)[0].contains("stopped after 1 task(s)"));

        now.remove("vm2");
        now.insert("vm9".into(), vec![]);
        let p = drift(&planned, &now);
        assert!(p[0].starts_with("vm2: the check before applying did not reach"));
        assert!(p[1].starts_with("vm9: the host is new"));
    }
}
