//! Per-host counters for the PLAY RECAP and the exit code.

use indexmap::IndexMap;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HostStats {
    pub ok: u32,
    pub changed: u32,
    pub unreachable: u32,
    pub failures: u32,
    pub skipped: u32,
    pub rescued: u32,
    pub ignored: u32,
}

/// Counters for every host seen in the run, in the order hosts first appeared.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    hosts: IndexMap<String, HostStats>,
}

impl Stats {
    pub fn host(&mut self, host: &str) -> &mut HostStats {
        self.hosts.entry(host.to_string()).or_default()
    }

    pub fn hosts(&self) -> impl Iterator<Item = (&String, &HostStats)> {
        self.hosts.iter()
    }

    pub fn get(&self, host: &str) -> Option<&HostStats> {
        self.hosts.get(host)
    }

    pub fn any_unreachable(&self) -> bool {
        self.hosts.values().any(|s| s.unreachable > 0)
    }

    pub fn any_failed(&self) -> bool {
        self.hosts.values().any(|s| s.failures > 0)
    }

    pub fn any_changed(&self) -> bool {
        self.hosts.values().any(|s| s.changed > 0)
    }
}
