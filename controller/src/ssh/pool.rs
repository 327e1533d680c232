//! [`SshPool`]: opens sessions, sharing ONE connection per bastion (keyed by its chain of
//! `user@host:port`) among all the hosts behind it. Opening a bastion is single-flight:
//! concurrent callers wait for the one attempt in progress and share its outcome, so fifty
//! hosts behind a dead bastion cost one timeout, not fifty. A bastion connection found closed
//! is dropped and the next caller opens a new one.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::options::ConnectOptions;
use super::session::{connect_hop, Session};
use super::SshError;

#[derive(Default)]
struct Slot {
    /// How many attempts have failed; a waiter that sees it move knows its wait ended in failure.
    failures: AtomicU64,
    state: tokio::sync::Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    session: Option<Session>,
    last_error: Option<Arc<SshError>>,
}

/// Opens SSH sessions; share one pool for a whole run.
#[derive(Default)]
pub struct SshPool {
    bastions: Mutex<HashMap<String, Arc<Slot>>>,
    opened: AtomicUsize,
    bastions_opened: AtomicUsize,
}

type BastionFuture<'a> = Pin<Box<dyn Future<Output = Result<Session, Arc<SshError>>> + Send + 'a>>;

impl SshPool {
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens a new session to `opts.host`, through its bastion chain (shared) if it has one.
    pub async fn connect(&self, opts: &ConnectOptions) -> Result<Session, SshError> {
        let via = match &opts.jump {
            Some(jump) => Some(self.bastion(jump).await.map_err(|source| SshError::Jump {
                bastion: jump.label(),
                source,
            })?),
            None => None,
        };
        let result = connect_hop(opts, via.as_ref()).await;
        if result.is_ok() {
            self.opened.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// SSH connections this pool has opened, bastions included.
    pub fn connections_opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed) + self.bastions_opened.load(Ordering::Relaxed)
    }

    /// Bastion connections this pool has opened (one per bastion, unless one died).
    pub fn bastion_connections_opened(&self) -> usize {
        self.bastions_opened.load(Ordering::Relaxed)
    }

    /// The shared session of a bastion hop, opening it (and the hops before it) if needed.
    fn bastion<'a>(&'a self, opts: &'a ConnectOptions) -> BastionFuture<'a> {
        Box::pin(async move {
            let slot = {
                let mut bastions = self.bastions.lock().unwrap_or_else(|p| p.into_inner());
                bastions.entry(opts.chain_key()).or_default().clone()
            };
            let failures_before = slot.failures.load(Ordering::Acquire);
            let mut state = slot.state.lock().await;
            if let Some(session) = &state.session {
                if !session.is_closed() {
                    return Ok(session.clone());
                }
                tracing::debug!(
                    "bastion {} connection is closed; reconnecting",
                    opts.label()
                );
                state.session = None;
            }
            if slot.failures.load(Ordering::Acquire) != failures_before {
                // The attempt we waited for failed: share its error rather than retry at once.
                if let Some(error) = &state.last_error {
                    return Err(error.clone());
                }
            }
            let via = match &opts.jump {
                Some(jump) => match self.bastion(jump).await {
                    Ok(session) => Some(session),
                    Err(source) => {
                        let error = Arc::new(SshError::Jump {
                            bastion: jump.label(),
                            source,
                        });
                        state.last_error = Some(error.clone());
                        slot.failures.fetch_add(1, Ordering::Release);
                        return Err(error);
                    }
                },
                None => None,
            };
            match connect_hop(opts, via.as_ref()).await {
                Ok(session) => {
                    self.bastions_opened.fetch_add(1, Ordering::Relaxed);
                    state.session = Some(session.clone());
                    state.last_error = None;
                    Ok(session)
                }
                Err(error) => {
                    let error = Arc::new(error);
                    state.last_error = Some(error.clone());
                    slot.failures.fetch_add(1, Ordering::Release);
                    Err(error)
                }
            }
        })
    }
}
