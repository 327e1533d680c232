//! The agent as it travels: gzip-compressed, about 42% of its size.
//!
//! A first contact (or a new play version) uploads the agent to every host through the
//! bastion's one link, so its size is what a first release waits on: 6.3 MiB per host is
//! 330 MiB through the bastion for 50 hosts. gzip is on every Linux a VM image ships (it is
//! Essential in Debian), so the host can unpack it with no help from us, and it checks the
//! stream's CRC, so a damaged upload fails instead of installing a broken agent.
//!
//! Compressing takes about a second of CPU at the best level, so it is done once per agent
//! build and kept in the user's cache folder (`~/.cache/play/agents/<name>.gz`); every later
//! run that uploads reads it back, after checking that it unpacks to exactly this agent. A
//! cache that cannot be written costs only the compression next time.

use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The user's cache folder for gzipped agents: `~/.cache/play/agents`.
pub fn cache_dir() -> Option<PathBuf> {
    Some(crate::files::user_cache_dir()?.join("agents"))
}

/// The gzip form of `agent`, from `<cache>/<name>.gz` when that holds the right one, else
/// made (and cached there, best effort). `name` is the agent's versioned file name.
pub fn load_or_make(agent: &[u8], name: &str, cache: Option<&Path>) -> Vec<u8> {
    let cached = cache.map(|dir| dir.join(format!("{name}.gz")));
    if let Some(path) = &cached {
        if let Ok(bytes) = std::fs::read(path) {
            if unpacks_to(&bytes, agent) {
                return bytes;
            }
            tracing::debug!(path = %path.display(), "cached gzip of the agent does not match it; making it again");
        }
    }
    let bytes = compress(agent);
    if let Some(path) = &cached {
        match crate::files::write_private(path, &bytes) {
            Ok(()) => remove_others(path),
            Err(err) => {
                tracing::debug!(path = %path.display(), %err, "cannot cache the gzipped agent")
            }
        }
    }
    bytes
}

/// Removes the gzips of other agent builds beside `kept`, as the upload does with older agents
/// on a host: the cache holds one build, not one per play version ever run.
fn remove_others(kept: &Path) {
    let Some(dir) = kept.parent() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path != kept && name.starts_with("play-agent-") && name.ends_with(".gz") {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn compress(agent: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(agent.len() / 2), Compression::best());
    // Writing into a Vec cannot fail.
    encoder
        .write_all(agent)
        .and_then(|_| encoder.finish())
        .unwrap_or_default()
}

/// True when `gz` is one whole gzip stream of exactly `agent`, with nothing after it (gzip on
/// the host would call trailing bytes an error). Compared a chunk at a time: the controller's
/// peak memory is a promise, and a second copy of the agent would be 6 MiB of it.
pub fn unpacks_to(gz: &[u8], agent: &[u8]) -> bool {
    let mut decoder = GzDecoder::new(gz);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut rest = agent;
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) if n <= rest.len() && chunk[..n] == rest[..n] => rest = &rest[n..],
            _ => return false,
        }
    }
    rest.is_empty() && decoder.into_inner().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some_agent() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn the_gzip_unpacks_to_the_agent_and_is_smaller() {
        let agent = some_agent();
        let gz = compress(&agent);
        assert!(
            gz.len() < agent.len() / 2,
            "{} of {}",
            gz.len(),
            agent.len()
        );
        assert!(unpacks_to(&gz, &agent));
        // What gzip on a host would do with it.
        let mut out = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, agent);
    }

    #[test]
    fn a_gzip_of_something_else_or_damaged_or_with_a_tail_does_not_pass() {
        let agent = some_agent();
        let gz = compress(&agent);
        let mut other = agent.clone();
        other[1000] ^= 1;
        assert!(!unpacks_to(&gz, &other), "another agent");
        assert!(!unpacks_to(&gz[..gz.len() - 10], &agent), "cut short");
        let mut flipped = gz.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        assert!(!unpacks_to(&flipped, &agent), "damaged");
        let mut tail = gz.clone();
        tail.extend_from_slice(b"junk");
        assert!(!unpacks_to(&tail, &agent), "bytes after the stream");
        assert!(!unpacks_to(b"", &agent), "empty");
        assert!(
            !unpacks_to(&compress(&agent[..1000]), &agent),
            "a prefix of it"
        );
        let longer = [agent.clone(), vec![1]].concat();
        assert!(!unpacks_to(&compress(&longer), &agent), "more than it");
    }

    #[test]
    fn the_cache_is_written_reused_and_replaced_when_wrong() {
        let home = tempfile::tempdir().unwrap();
        let cache = home.path().join("play/agents");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join("play-agent-older.gz"), b"an older build").unwrap();
        std::fs::write(cache.join("notes.txt"), b"not ours").unwrap();
        let agent = some_agent();
        let first = load_or_make(&agent, "play-agent-test", Some(&cache));
        let path = cache.join("play-agent-test.gz");
        assert_eq!(std::fs::read(&path).unwrap(), first);
        let mut left: Vec<String> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["notes.txt", "play-agent-test.gz"],
            "older builds are removed"
        );
        // Read back, not made again: a changed entry that still unpacks right is what returns.
        let other_level = {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(&agent).unwrap();
            e.finish().unwrap()
        };
        assert_ne!(other_level, first);
        std::fs::write(&path, &other_level).unwrap();
        assert_eq!(
            load_or_make(&agent, "play-agent-test", Some(&cache)),
            other_level
        );

        // A damaged cache entry is not trusted: it is made again and rewritten.
        std::fs::write(&path, b"\x1f\x8bnot really").unwrap();
        let again = load_or_make(&agent, "play-agent-test", Some(&cache));
        assert!(unpacks_to(&again, &agent));
        assert!(unpacks_to(&std::fs::read(&path).unwrap(), &agent));

        // No cache folder at all (no HOME): still made.
        assert!(unpacks_to(&load_or_make(&agent, "x", None), &agent));
    }
}
