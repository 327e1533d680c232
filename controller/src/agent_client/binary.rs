//! Locating the agent binary this controller pushes, and its identity.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The agent binary, loaded once per run.
#[derive(Clone)]
pub struct AgentBinary {
    pub bytes: Arc<Vec<u8>>,
    pub sha256: String,
    pub path: PathBuf,
    /// Its gzip form, made the first time a host needs an upload (`gzipped`).
    gzipped: Arc<tokio::sync::OnceCell<Arc<Vec<u8>>>>,
}

impl AgentBinary {
    /// `$PLAY_AGENT`, else `play-agent` beside the `play` executable, else the static build
    /// under the cargo target folder (`x86_64-unknown-linux-gnu/release/play-agent`).
    pub fn locate() -> Result<Self, String> {
        let candidates = candidates();
        for path in &candidates {
            if path.is_file() {
                return Self::load(path);
            }
        }
        Err(format!(
            "cannot find the agent binary (looked in: {}). Build it with `tests/build.sh` or set PLAY_AGENT=/path/to/play-agent",
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ))
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the agent binary {}: {e}", path.display()))?;
        check_static(path, &bytes)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(Self::new(bytes, sha256, path.to_path_buf()))
    }

    pub(crate) fn new(bytes: Vec<u8>, sha256: String, path: PathBuf) -> Self {
        Self {
            bytes: Arc::new(bytes),
            sha256,
            path,
            gzipped: Arc::default(),
        }
    }

    /// The agent gzipped for upload (see `gzipped.rs`): made, or read from the user's cache,
    /// once per run, off the async threads, the first time a host needs it; hosts asking at
    /// the same time wait for that one.
    pub async fn gzipped(&self) -> Arc<Vec<u8>> {
        let made = self.gzipped.get_or_init(|| async {
            let bytes = self.bytes.clone();
            let name = self.remote_name();
            let work = move || {
                let cache = super::gzipped::cache_dir();
                Arc::new(super::gzipped::load_or_make(
                    &bytes,
                    &name,
                    cache.as_deref(),
                ))
            };
            match tokio::task::spawn_blocking(work).await {
                Ok(gz) => gz,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        });
        made.await.clone()
    }

    /// The file name on hosts: versioned by content, so two controllers never fight over it.
    pub fn remote_name(&self) -> String {
        format!("play-agent-{}", &self.sha256[..16])
    }
}

fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("PLAY_AGENT") {
        out.push(PathBuf::from(p));
        return out;
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            // A cargo build: target/{debug,release}/play next to the static agent build
            // target/x86_64-unknown-linux-gnu/release/play-agent (tests/build.sh).
            if let Some(target) = dir.parent() {
                out.push(target.join("x86_64-unknown-linux-gnu/release/play-agent"));
            }
            // An installed layout: play and play-agent side by side.
            out.push(dir.join("play-agent"));
        }
    }
    out
}

/// Hosts have nothing for the agent to link against: refuse a dynamically linked build
/// before uploading it everywhere.
fn check_static(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(format!("{} is not an ELF executable", path.display()));
    }
    let interp = b"/lib64/ld-linux-x86-64.so.2";
    if bytes
        .windows(interp.len())
        .take(64 * 1024)
        .any(|w| w == interp)
    {
        return Err(format!(
            "{} is dynamically linked, so it would not run on every host: build the static agent with tests/build.sh (or point PLAY_AGENT at one)",
            path.display()
        ));
    }
    Ok(())
}
