//! The controller's side of the agent: find the agent binary, make sure each host has the
//! right one cached, start it once per host, and talk to it in frames.
//!
//! The common case costs one SSH exec: the start command runs the cached binary if it is
//! there and says `PLAY` (a marker no frame can start with) if not; only then is the binary
//! uploaded, gzipped where the host has gzip (`gzipped.rs`). The agent reports its own sha256
//! in the handshake, so a cached file that does not match this controller's agent is replaced
//! rather than trusted.

mod binary;
mod conn;
mod gzipped;
mod remote;

pub use binary::AgentBinary;
pub use conn::{AgentConn, AgentError};
pub use remote::{start_agent, AgentEnd, HostAgent, StartOptions, UPLOADED_BYTES};
