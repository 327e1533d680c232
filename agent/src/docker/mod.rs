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
