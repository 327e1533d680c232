//! One play: pick its hosts, split them into serial batches, run facts, tasks and handlers
//! per batch, and stop early when max_fail_percentage or any_errors_fatal says so.

use super::tasks::{flush_handlers, run_facts, run_list, Flow, Inherited};
use super::vars::PlayCtx;
use super::Engine;
use crate::playbook::model::{BatchSize, Play, Playbook, Vars};
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
    let name = play.name.clone().unwrap_or_else(|| pattern.clone());
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
    let batches = split_batches(&hosts, &play.serial);
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
        if let Some(max) = play.max_fail_percentage {
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

fn render_pattern(engine: &Engine, raw: &str, play_vars: &Vars) -> Result<String, String> {
    if !raw.contains("{{") {
        return Ok(raw.to_string());
    }
    let mut ctx = serde_json::Map::new();
    for (k, v) in play_vars.iter().chain(engine.opts.extra_vars.iter()) {
        ctx.insert(k.clone(), v.clone());
    }
    engine
        .templar
        .render_str(raw, &Value::Object(ctx))
        .map_err(|e| e.to_string())
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
        let size = match serial[step.min(serial.len() - 1)] {
            BatchSize::Count(n) => n.max(1),
            BatchSize::Percent(p) => ((total as f64 * p / 100.0) as usize).max(1),
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
