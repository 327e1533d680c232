//! One agent module on many hosts, outside any playbook: how `play releases` and `play
//! rollback` read each host's release history. Uses the run's own connections, so a rollback
//! that reads history first and then runs the playbook starts each agent once.

use super::Engine;
use play_protocol::ModuleCall;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Runs `module` with `args` on every host (through sudo, `forks` at a time). Each host's
/// answer is its module result's data, or why it could not be had.
pub async fn run_module_on_hosts(
    engine: &Arc<Engine>,
    hosts: &[String],
    module: &str,
    args: Map<String, Value>,
) -> Vec<(String, Result<Value, String>)> {
    let forks = Arc::new(tokio::sync::Semaphore::new(engine.opts.forks.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (index, host) in hosts.iter().enumerate() {
        let (engine, forks, host, args, module) = (
            engine.clone(),
            forks.clone(),
            host.clone(),
            args.clone(),
            module.to_string(),
        );
        set.spawn(async move {
            let _permit = forks.acquire().await.ok();
            let result = on_host(&engine, &host, &module, args).await;
            (index, host, result)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(item) = joined {
            out.push(item);
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    out.into_iter().map(|(_, h, r)| (h, r)).collect()
}

async fn on_host(
    engine: &Engine,
    host: &str,
    module: &str,
    args: Map<String, Value>,
) -> Result<Value, String> {
    let slot = engine.host(host);
    let mut state = slot.state.lock().await;
    if state.agent.as_ref().is_some_and(|a| a.gone().is_some()) {
        // Its connection closed since the last call: reconnect rather than fail.
        state.agent = None;
    }
    if state.agent.is_none() {
        let vars = engine.inventory.host_vars(host);
        let agent = engine
            .connector
            .connect(host, &vars, true)
            .await
            .map_err(|f| match f {
                super::connect::ConnectFailure::Unreachable(m) => format!("unreachable: {m}"),
                super::connect::ConnectFailure::Failed(m) => m,
            })?;
        state.agent = Some(agent);
        engine
            .sudo_agent
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let call = ModuleCall {
        module: module.to_string(),
        args,
        check: false,
        diff: false,
        no_log: false,
        environment: Default::default(),
        become_user: None,
        timeout_secs: None,
    };
    let agent = state.agent.as_mut().expect("connected above");
    match agent.conn.run(call, Some(Duration::from_secs(60))).await {
        Ok(r) if r.failed => Err(r.msg.unwrap_or_else(|| "failed".into())),
        Ok(r) => Ok(Value::Object(r.data)),
        Err(e) => {
            state.agent = None;
            Err(e.to_string())
        }
    }
}
