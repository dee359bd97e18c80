//! The set of children and what they share: the current configuration, the upstream clients'
//! peers (one on stdio, one per session over HTTP), and the
//! `notifications/tools/list_changed` sent to each when the aggregated tool list changes.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rmcp::model::Tool;
use rmcp::{Peer, RoleServer};
use tokio::sync::{Notify, watch};

use super::child::{ChildHandle, State, Status};
use super::child_client::HubLink;
use super::config::SupervisorConfig;
use super::tool_index;

/// The supervisor's shared state.
pub struct Hub {
    config: watch::Sender<Arc<SupervisorConfig>>,
    children: RwLock<Vec<ChildHandle>>,
    changed: Arc<Notify>,
    upstream: Mutex<Vec<Peer<RoleServer>>>,
    /// The children's `rate_limit` buckets.
    rate_limits: crate::limits::Registry,
    /// Each child's health and circuit breaker.
    board: super::board::Board,
    /// What the config's budgets have spent.
    budgets: super::budget::Budgets,
    /// `--usage-log`, when given.
    usage_log: Option<super::usage_log::UsageLog>,
    /// This hub, for the children's sampling requests.
    link: HubLink,
}

/// What a hub keeps besides its children: the budgets' spend and the usage log.
#[derive(Default)]
pub struct Accounting {
    /// The budgets' spend (on disk, or in memory only).
    pub budgets: Option<super::budget::Budgets>,
    /// The open `--usage-log`.
    pub usage_log: Option<super::usage_log::UsageLog>,
    /// `--redis`: where the children's `rate_limit` buckets are shared with other replicas.
    pub redis: Option<crate::limits::SharedLimits>,
}

impl Hub {
    /// Starts every child of `config` and the list_changed notifier.
    pub fn start(config: SupervisorConfig, accounting: Accounting) -> Arc<Self> {
        let (config, _) = watch::channel(Arc::new(config));
        let changed = Arc::new(Notify::new());
        let link = HubLink::default();
        let children = config
            .borrow()
            .servers
            .iter()
            .map(|spec| {
                let (config, changed) = (config.subscribe(), changed.clone());
                ChildHandle::start(spec.clone(), config, changed, link.clone())
            })
            .collect();
        let hub = Arc::new(Self {
            config,
            children: RwLock::new(children),
            changed,
            upstream: Mutex::new(Vec::new()),
            rate_limits: crate::limits::Registry::new(accounting.redis),
            board: super::board::Board::default(),
            budgets: (accounting.budgets).unwrap_or_else(|| super::budget::Budgets::open(None)),
            usage_log: accounting.usage_log,
            link,
        });
        let weak = Arc::downgrade(&hub);
        let answerer: std::sync::Weak<dyn super::child_client::SamplingAnswerer> = weak;
        let _ = hub.link.set(answerer);
        tokio::spawn(notify_changes(Arc::downgrade(&hub)));
        hub
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<SupervisorConfig> {
        self.config.borrow().clone()
    }

    /// What the budgets have spent.
    pub fn budgets(&self) -> &super::budget::Budgets {
        &self.budgets
    }

    /// The usage log, when `--usage-log` was given.
    pub fn usage_log(&self) -> Option<&super::usage_log::UsageLog> {
        self.usage_log.as_ref()
    }

    /// The rate limiter of the child `name`, when its entry sets a `rate_limit`.
    pub fn rate_limiter(&self, name: &str) -> Option<Arc<crate::limits::RateLimiter>> {
        let spec = self.config().rate_limits.get(name).copied();
        let setting = format!("rate_limit of mcpServers.{name}");
        self.rate_limits.get(name, spec, &setting)
    }

    /// Each child's health and circuit breaker.
    pub fn board(&self) -> &super::board::Board {
        &self.board
    }

    /// A client list_changed (and nothing else) goes to, once it has initialized; it is
    /// forgotten when its connection closes.
    pub fn add_upstream(&self, peer: Peer<RoleServer>) {
        let mut upstream = self.upstream.lock().unwrap_or_else(|p| p.into_inner());
        upstream.retain(|peer| !peer.is_transport_closed());
        upstream.push(peer);
    }

    /// A connected client that declared sampling, for `sampling: forward`.
    pub fn sampling_peer(&self) -> Option<Peer<RoleServer>> {
        self.upstream().into_iter().find(|peer| {
            peer.peer_info()
                .is_some_and(|info| info.capabilities.sampling.is_some())
        })
    }

    /// The clients connected now.
    fn upstream(&self) -> Vec<Peer<RoleServer>> {
        let mut upstream = self.upstream.lock().unwrap_or_else(|p| p.into_inner());
        upstream.retain(|peer| !peer.is_transport_closed());
        upstream.clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<ChildHandle>> {
        self.children.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<ChildHandle>> {
        self.children.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Every child's name and state, in configuration order.
    pub fn statuses(&self) -> Vec<(String, Status)> {
        self.read()
            .iter()
            .map(|c| (c.spec.name.clone(), c.snapshot()))
            .collect()
    }

    /// One child's state.
    pub fn status(&self, name: &str) -> Option<Status> {
        self.read()
            .iter()
            .find(|c| c.spec.name == name)
            .map(ChildHandle::snapshot)
    }

    /// Restarts `name` now and waits (at most `limit`) until it has settled; `None` when no
    /// such child exists.
    pub async fn restart(&self, name: &str, limit: Duration) -> Option<Status> {
        let mut status = {
            let children = self.read();
            let child = children.iter().find(|c| c.spec.name == name)?;
            child.restart();
            child.status.clone()
        };
        let before = status.borrow().restarts;
        // The old run ends (or the crash-loop wait does), then the new one settles.
        let settled = status.wait_for(|s| s.restarts > before && s.state != State::Starting);
        let _ = tokio::time::timeout(limit, settled).await;
        let snapshot = status.borrow().clone();
        Some(snapshot)
    }

    /// Waits until every child is ready or has failed once, at most `limit`.
    pub async fn settle(&self, limit: Duration) {
        let waits: Vec<_> = self
            .read()
            .iter()
            .map(|c| {
                let mut status = c.status.clone();
                async move {
                    let _ = status.wait_for(|s| s.state != State::Starting).await;
                }
            })
            .collect();
        let _ = tokio::time::timeout(limit, futures::future::join_all(waits)).await;
    }

    /// Applies a new configuration: children whose entry is unchanged keep running, changed
    /// ones restart, removed ones stop, added ones start.
    pub async fn apply(&self, new: SupervisorConfig) {
        let keep = |spec: &super::config::ServerSpec| new.servers.contains(spec);
        let stopping: Vec<ChildHandle> = {
            let mut children = self.write();
            let (kept, stopping) = std::mem::take(&mut *children)
                .into_iter()
                .partition(|c| keep(&c.spec));
            *children = kept;
            stopping
        };
        self.config.send_replace(Arc::new(new.clone()));
        let names: Vec<&str> = new.servers.iter().map(|s| s.name.as_str()).collect();
        self.board.retain(&names);
        futures::future::join_all(stopping.into_iter().map(ChildHandle::stop)).await;
        let mut children = self.write();
        let mut ordered = Vec::with_capacity(new.servers.len());
        for spec in &new.servers {
            let existing = children.iter().position(|c| &c.spec == spec);
            ordered.push(match existing {
                Some(i) => children.swap_remove(i),
                None => ChildHandle::start(
                    spec.clone(),
                    self.config.subscribe(),
                    self.changed.clone(),
                    self.link.clone(),
                ),
            });
        }
        *children = ordered;
        self.changed.notify_one();
    }

    /// Stops every child (closing each, then ending its process group), all at once.
    pub async fn shutdown(&self) {
        let children = std::mem::take(&mut *self.write());
        futures::future::join_all(children.into_iter().map(ChildHandle::stop)).await;
    }

    /// The aggregated tool list: the supervisor's own tools, then the exposed child tools.
    pub fn tools(&self) -> Vec<Tool> {
        tool_index::aggregate(&self.statuses(), &self.config()).tools
    }
}

/// Sends list_changed upstream whenever the aggregated list differs from the last one seen.
async fn notify_changes(hub: std::sync::Weak<Hub>) {
    let Some(changed) = hub.upgrade().map(|h| h.changed.clone()) else {
        return;
    };
    let mut last: Option<Vec<Tool>> = None;
    let mut reported = std::collections::HashSet::new();
    loop {
        changed.notified().await;
        let Some(hub) = hub.upgrade() else { return };
        let index = tool_index::aggregate(&hub.statuses(), &hub.config());
        // Once per refused name, not on every change of the list.
        for refused in index.refused {
            if !reported.contains(&refused) {
                tracing::error!("{refused}");
                reported.insert(refused);
            }
        }
        if last.as_ref() == Some(&index.tools) {
            continue;
        }
        last = Some(index.tools);
        for peer in hub.upstream() {
            if let Err(err) = peer.notify_tool_list_changed().await {
                tracing::debug!(%err, "sending tools/list_changed failed");
            }
        }
    }
}
