//! One play: pick its hosts, split them into serial batches, run facts, tasks and handlers
//! per batch, and stop early when max_fail_percentage or any_errors_fatal says so.

use super::tasks::{flush_handlers, run_facts, run_list, Flow, Inherited};
use super::vars::PlayCtx;
use super::Engine;
use crate::playbook::model::{BatchSize, MaxFail, Play, Playbook, Vars};
use serde_json::Value;
use std::sync::Arc;

/// Runs one play. Returns false when the run must stop (no hosts left, failure threshold).
pub async fn run_play(engine: &Arc<Engine>, pb: &Playbook, play: &Play) -> bool {
    let mut play_vars: Vars = play.vars.clone();
    for vf in &play.vars_files {
        for (k, v) in &vf.vars {
            play_vars.insert(k.clone(), v.clone());
        }
    }
    let pattern = match render_pattern(engine, &play.hosts, &play_vars) {
        Ok(p) => p,
        Err(e) => {
            engine.printer.error(&format!("{}: hosts: {e}", play.loc));
            return false;
        }
    };
    let name = match &play.name {
        // Names are rendered with play and extra vars, as Ansible does; one that needs more
        // (host vars) is shown as written.
        Some(n) if n.contains("{{") => {
            render_pattern(engine, n, &play_vars).unwrap_or_else(|_| n.clone())
        }
        Some(n) => n.clone(),
        None => pattern.clone(),
    };
    let hosts = match select_hosts(engine, &pattern).await {
        Ok(h) => h,
        Err(msg) => {
            engine.printer.warn(&msg);
            engine.printer.play_start(&name);
            engine.printer.note("skipping: no hosts matched");
            return true;
        }
    };
    engine.printer.play_start(&name);
    if !engine.opts.tags.is_empty() || !engine.opts.skip_tags.is_empty() {
        // tag filtering happens per task; nothing to do here.
    }
    let playbook_dir = pb
        .path
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let (serial, max_fail) = match resolve_limits(engine, play, &play_vars) {
        Ok(limits) => limits,
        Err(e) => {
            engine.printer.error(&format!("{}: {e}", play.loc));
            return false;
        }
    };
    let batches = split_batches(&hosts, &serial);
    let inh = Inherited::for_play(play);
    for batch in batches {
        let slots: Vec<_> = batch.iter().map(|h| engine.host(h)).collect();
        let pctx = PlayCtx {
            play,
            playbook_dir: playbook_dir.clone(),
            play_vars: play_vars.clone(),
            play_hosts: hosts.clone(),
            batch: batch.clone(),
        };
        if play.gather_facts {
            run_facts(engine, &pctx, &slots).await;
        }
        let mut ended = false;
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            if ended {
                break;
            }
            if run_list(engine, &pctx, section, &slots, &inh).await == Flow::EndPlay {
                ended = true;
            }
            flush_handlers(engine, &pctx, &slots, &inh).await;
        }
        // Failure thresholds are judged per batch, as Ansible does.
        let mut failed = 0usize;
        for s in &slots {
            let st = s.state.lock().await;
            if st.failed || st.unreachable {
                failed += 1;
            }
        }
        if failed == slots.len() {
            engine.printer.note("\nNO MORE HOSTS LEFT *************************************************************");
            return false;
        }
        if let Some(max) = max_fail {
            let pct = failed as f64 * 100.0 / slots.len() as f64;
            if pct > max {
                engine.printer.note(&format!(
                    "\nNO MORE HOSTS LEFT: {failed} of {} hosts in this batch failed ({pct:.0}% > max_fail_percentage {max}); the remaining batches are not run",
                    slots.len()
                ));
                return false;
            }
        }
        if ended {
            break;
        }
    }
    true
}

/// Play and extra vars: what play-level keywords (hosts, serial) are rendered with.
fn play_level_vars(engine: &Engine, play_vars: &Vars) -> Value {
    let mut ctx = serde_json::Map::new();
    for (k, v) in play_vars.iter().chain(engine.opts.extra_vars.iter()) {
        ctx.insert(k.clone(), v.clone());
    }
    ctx.insert(
        "omit".into(),
        Value::String(crate::template::OMIT.to_string()),
    );
    Value::Object(ctx)
}

fn render_pattern(engine: &Engine, raw: &str, play_vars: &Vars) -> Result<String, String> {
    if !raw.contains("{{") {
        return Ok(raw.to_string());
    }
    let vars = play_level_vars(engine, play_vars);
    engine
        .templar
        .render_str(raw, &vars)
        .map_err(|e| e.to_string())
}

/// `serial` and `max_fail_percentage`, with templated values rendered now. An empty or
/// omitted serial means all hosts at once; an omitted max_fail_percentage means none.
fn resolve_limits(
    engine: &Engine,
    play: &Play,
    play_vars: &Vars,
) -> Result<(Vec<BatchSize>, Option<f64>), String> {
    let vars = play_level_vars(engine, play_vars);
    let render = |t: &str, what: &str| -> Result<Option<String>, String> {
        let v = engine
            .templar
            .render_value(&Value::String(t.to_string()), &vars)
            .map_err(|e| format!("{what}: {}", e.message))?;
        Ok(match v {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() || s == crate::template::OMIT => None,
            Value::String(s) => Some(s.trim().to_string()),
            other => Some(other.to_string()),
        })
    };
    let mut serial = Vec::new();
    for b in &play.serial {
        let BatchSize::Template(t) = b else {
            serial.push(b.clone());
            continue;
        };
        let Some(text) = render(t, "serial")? else {
            continue;
        };
        let size = match text.strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(BatchSize::Percent),
            None => text.parse::<usize>().ok().map(BatchSize::Count),
        };
        serial.push(size.ok_or_else(|| {
            format!(
                "serial rendered to '{text}': expected a number of hosts or a percentage like 30%"
            )
        })?);
    }
    if serial.iter().all(|b| *b == BatchSize::Count(0)) {
        serial.clear();
    }
    let max_fail = match &play.max_fail_percentage {
        None => None,
        Some(MaxFail::Percent(p)) => Some(*p),
        Some(MaxFail::Template(t)) => match render(t, "max_fail_percentage")? {
            None => None,
            Some(text) => Some(
                text.trim_end_matches('%')
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| {
                        format!("max_fail_percentage rendered to '{text}': expected 0 to 100")
                    })?,
            ),
        },
    };
    Ok((serial, max_fail))
}

async fn select_hosts(engine: &Engine, pattern: &str) -> Result<Vec<String>, String> {
    let mut hosts = engine
        .inventory
        .select(pattern)
        .map_err(|e| e.to_string())?;
    if let Some(limit) = &engine.opts.limit {
        hosts = engine
            .inventory
            .limit(hosts, limit)
            .map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    for h in hosts {
        let slot = engine.host(&h);
        let st = slot.state.lock().await;
        if !(st.failed || st.unreachable) {
            out.push(h);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "Could not match supplied host pattern, ignoring: {pattern} (no hosts left to run on)"
        ));
    }
    Ok(out)
}

/// Splits hosts into batches: `serial: [1, 5, "50%"]`, the last size repeating.
pub fn split_batches(hosts: &[String], serial: &[BatchSize]) -> Vec<Vec<String>> {
    if serial.is_empty() {
        return vec![hosts.to_vec()];
    }
    let total = hosts.len();
    let mut out = Vec::new();
    let mut i = 0;
    let mut step = 0;
    while i < total {
        let size = match &serial[step.min(serial.len() - 1)] {
            BatchSize::Count(0) => total,
            BatchSize::Count(n) => *n,
            BatchSize::Percent(p) => ((total as f64 * p / 100.0) as usize).max(1),
            // Rendered by `resolve_limits` before batches are split.
            BatchSize::Template(_) => total,
        };
        let end = (i + size).min(total);
        out.push(hosts[i..end].to_vec());
        i = end;
        step += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn batches_follow_serial_lists() {
        let sizes = |b: Vec<Vec<String>>| b.iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(split_batches(&hosts(5), &[])), vec![5]);
        assert_eq!(
            sizes(split_batches(&hosts(5), &[BatchSize::Count(2)])),
            vec![2, 2, 1]
        );
        assert_eq!(
            sizes(split_batches(&hosts(10), &[BatchSize::Percent(30.0)])),
            vec![3, 3, 3, 1]
        );
        assert_eq!(
            sizes(split_batches(
                &hosts(8),
                &[BatchSize::Count(1), BatchSize::Percent(50.0)]
            )),
            vec![1, 4, 3]
        );
    }
}
