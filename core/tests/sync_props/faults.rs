//! The transport of the convergence properties: [`LocalTransport`] with faults (requests lost,
//! replies lost after the hub stored the batch, 503s, requests delivered twice, old pushes
//! delivered again late), and one session run over it with an invariant checked throughout.

use super::*;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// Delivered normally.
    None,
    /// Lost on the way: the hub never sees it.
    Before,
    /// The hub handled it; the reply was lost (a lost ack for a push).
    LostReply,
    /// The hub answered 503 without handling it.
    Unavailable,
    /// Delivered twice; the client gets the second reply.
    Duplicate,
    /// An older push of this link (from this or an earlier session) arrives late, then this
    /// request is delivered normally.
    Stale,
}

pub(super) const FAULTS: [Fault; 5] = [
    Fault::Before,
    Fault::LostReply,
    Fault::Unavailable,
    Fault::Duplicate,
    Fault::Stale,
];

/// Which faults a session meets.
#[derive(Debug)]
pub(super) enum Plan {
    /// Each request is hit with probability `rate` by a fault drawn from [`FAULTS`].
    Random { rng: Box<StdRng>, rate: f64 },
    /// Faults for successive requests, then none.
    Script(VecDeque<Fault>),
    /// Every push carrying a change set of this origin is lost; nothing else is.
    DropOrigin(ReplicaId),
}

/// Wraps [`LocalTransport`] with faults from a [`Plan`].
struct Faulty<'a> {
    inner: LocalTransport<'a>,
    plan: Mutex<Plan>,
    /// Every push sent over this link (client to this hub), in any session: late duplicates.
    sent: &'a Mutex<Vec<Push>>,
    injected: AtomicU32,
}

impl<'a> Faulty<'a> {
    fn new(inner: LocalTransport<'a>, plan: Plan, sent: &'a Mutex<Vec<Push>>) -> Self {
        Self {
            inner,
            plan: Mutex::new(plan),
            sent,
            injected: AtomicU32::new(0),
        }
    }

    fn next(&self) -> (Fault, Option<Push>) {
        let mut plan = self.plan.lock().unwrap();
        let (fault, pick) = match &mut *plan {
            Plan::Random { rng, rate } => {
                let f = if rng.gen_bool(*rate) {
                    FAULTS[rng.gen_range(0..FAULTS.len())]
                } else {
                    Fault::None
                };
                (f, rng.r#gen::<usize>())
            }
            Plan::Script(q) => (q.pop_front().unwrap_or(Fault::None), 0),
            Plan::DropOrigin(_) => (Fault::None, 0),
        };
        if fault != Fault::None {
            self.injected.fetch_add(1, Ordering::Relaxed);
        }
        let stale = (fault == Fault::Stale)
            .then(|| {
                let sent = self.sent.lock().unwrap();
                (!sent.is_empty()).then(|| sent[pick % sent.len()].clone())
            })
            .flatten();
        (fault, stale)
    }

    async fn deliver<R, F, Fut>(&self, call: F) -> Result<Exchange<R>, TransportError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Exchange<R>, TransportError>>,
    {
        let (fault, stale) = self.next();
        if let Some(old) = stale {
            // Whatever the hub makes of it (a duplicate, a gap), nobody hears the answer.
            let _ = self.inner.push(&old).await;
        }
        match fault {
            Fault::Before => Err(TransportError::Network("injected: request lost".into())),
            Fault::Unavailable => Err(TransportError::Unavailable { status: 503 }),
            Fault::LostReply => {
                let _ = call().await;
                Err(TransportError::Network("injected: reply lost".into()))
            }
            Fault::Duplicate => {
                let _ = call().await;
                call().await
            }
            Fault::None | Fault::Stale => call().await,
        }
    }
}

impl Transport for Faulty<'_> {
    async fn hello(&self, h: &Hello) -> Result<Exchange<HelloReply>, TransportError> {
        self.deliver(|| self.inner.hello(h)).await
    }
    async fn push(&self, p: &Push) -> Result<Exchange<PushReply>, TransportError> {
        {
            let mut sent = self.sent.lock().unwrap();
            sent.push(p.clone());
            if sent.len() > 64 {
                sent.remove(0);
            }
        }
        if let Plan::DropOrigin(o) = &*self.plan.lock().unwrap() {
            if p.sets.iter().any(|s| s.origin == *o) {
                self.injected.fetch_add(1, Ordering::Relaxed);
                return Err(TransportError::Network("injected: request lost".into()));
            }
        }
        self.deliver(|| self.inner.push(p)).await
    }
    async fn pull(&self, p: &Pull) -> Result<Exchange<PullReply>, TransportError> {
        self.deliver(|| self.inner.pull(p)).await
    }
}

/// How one session's connection behaves.
#[derive(Debug, Clone)]
pub(super) struct Conn {
    /// Seeds the fault choices.
    pub(super) seed: u64,
    /// Percent of requests hit by a fault.
    pub(super) fault_pct: u8,
    /// Ops per batch.
    pub(super) max_ops: u32,
    /// Cancel the session after this many progress reports.
    pub(super) cancel_after: Option<u8>,
}

impl Conn {
    pub(super) fn clean(max_ops: u32) -> Self {
        Self {
            seed: 0,
            fault_pct: 0,
            max_ops,
            cancel_after: None,
        }
    }
    pub(super) fn plan(&self) -> Plan {
        Plan::Random {
            rng: Box::new(StdRng::seed_from_u64(self.seed)),
            rate: f64::from(self.fault_pct) / 100.0,
        }
    }
}

/// Runs one session of `client` with `hub`, checking `invariant` after every request; returns
/// its outcome, the faults injected and the first invariant violation.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_session(
    rt: &Runtime,
    client: &Store,
    peer_name: &str,
    hub: &Store,
    peer: Peer,
    relay: bool,
    conn: &Conn,
    plan: Plan,
    sent: &Mutex<Vec<Push>>,
    invariant: &(dyn Fn() -> Fail + Sync),
) -> (Result<SyncReport, SyncError>, u32, Option<String>) {
    let t = Faulty::new(LocalTransport { hub, peer }, plan, sent);
    let opts = SyncOptions {
        max_ops: conn.max_ops,
        attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        relay,
        ..SyncOptions::default()
    };
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    let reports = AtomicU32::new(0);
    let limit = conn.cancel_after.map(u32::from);
    let broken = Mutex::new(None);
    let first_break = &broken;
    let progress = move |_: &SyncProgress| {
        let n = reports.fetch_add(1, Ordering::Relaxed) + 1;
        if Some(n) == limit {
            stop.cancel();
        }
        if let Err(e) = invariant() {
            first_break.lock().unwrap().get_or_insert(e);
        }
    };
    let r = rt.block_on(sync(client, peer_name, &t, &opts, &progress, &cancel));
    let broken = broken.into_inner().unwrap();
    (r, t.injected.load(Ordering::Relaxed), broken)
}
