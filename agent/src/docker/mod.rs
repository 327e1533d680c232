//! Docker support for the agent: a small sync client for the Docker Engine API over the
//! host's unix socket, and the pieces the docker modules and the release transaction share.
//!
//! Everything here works on the API's structured JSON and digests, never on `docker` CLI text;
//! no async runtime and no HTTP crate, so the agent stays a small static binary.

pub mod atomic;
pub mod auth;
pub mod client;
pub mod container_spec;
pub mod duration;
pub mod health;
pub mod http;
pub mod images;
pub mod logs;
pub mod reference;
pub mod spec;

pub use client::Docker;

/// Connects to the daemon named by community.docker's `docker_host` option (unix sockets only).
pub fn connect(docker_host: Option<&str>) -> Result<Docker, String> {
    let socket = client::socket_path(docker_host)?;
    Docker::connect(socket).map_err(|e| e.to_string())
}

/// Test helpers shared by the docker and release tests.
#[cfg(test)]
pub mod testing {
    use serde::de::DeserializeOwned;

    /// The field names a `deny_unknown_fields` struct accepts, read from serde's own
    /// "unknown field, expected one of" message, so the catalogue test needs no list by hand.
    pub fn accepted_fields<T: DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let err = serde_json::from_str::<T>(r#"{"__no_such_option__": 1}"#).unwrap_err();
        let msg = err.to_string();
        let list = msg
            .split_once("expected one of ")
            .or_else(|| msg.split_once("expected "))
            .map(|(_, l)| l)
            .unwrap_or_else(|| panic!("not an unknown-field error: {msg}"));
        let list = list.split(" at line").next().unwrap_or(list);
        // serde writes `a`, `b`, or `a` or `b` (two fields).
        list.replace(" or ", ", ")
            .split(", ")
            .map(|f| f.trim().trim_matches('`').to_string())
            .filter(|f| !f.is_empty())
            .collect()
    }

    /// Asserts that the protocol catalogue and the typed arguments list the same options.
    pub fn assert_catalogue_matches<T: DeserializeOwned + std::fmt::Debug>(module: &str) {
        let spec = play_protocol::modules::lookup(module)
            .unwrap_or_else(|| panic!("{module} missing from the catalogue"));
        let mut fields = accepted_fields::<T>();
        fields.sort();
        let mut catalogue: Vec<String> = spec
            .options
            .iter()
            .filter(|o| !spec.aliases.iter().any(|(a, _)| a == *o))
            .map(|o| o.to_string())
            .collect();
        catalogue.sort();
        assert_eq!(
            fields, catalogue,
            "{module}: catalogue and argument struct differ"
        );
    }
}
