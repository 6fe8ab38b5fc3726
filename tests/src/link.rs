//! A 2G link between two network namespaces, one for a tablet and one for its hub.
//!
//! The namespaces are made with `ip netns` (root only) and deleted when the [`Link`] is dropped,
//! also on a panic. Between them the link is shaped one of two ways ([`Mode`]):
//!
//! - **netem**: a veth pair with the kernel's `netem` qdisc on both ends (delay, loss, rate);
//! - **userspace**, where the kernel has no netem: a TUN device in each namespace and threads of
//!   this process that carry IP packets between them, per direction through a drop-tail queue
//!   served at the link rate (serialisation delay), then the one-way delay, with seeded random
//!   loss. Each device is created by a thread that first joined the device's namespace (`setns`
//!   is per thread); the file descriptor keeps working from any thread.
//!
//! A link can be cut ([`Link::set_cut`]): every packet, queued or new, is dropped until it is
//! restored. The userspace link also counts packets, bytes, losses and TCP connection attempts
//! (SYNs) per direction.
//!
//! The addresses are from 198.18.0.0/15, the range set aside for benchmarking interconnects
//! (RFC 2544); they exist only inside the two namespaces, which have no other route.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tun_rs::{DeviceBuilder, InterruptEvent, SyncDevice};

use crate::Lcg;

/// The tablet's address.
pub const TABLET_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// The hub's address.
pub const HUB_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

/// Runs `ip ARGS` (or another program); the error is its standard error.
fn sh(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace made with `ip netns add`, deleted on drop.
#[derive(Debug)]
pub struct Namespace {
    name: String,
}

impl Namespace {
    /// Creates namespace `name` with its loopback up.
    pub fn create(name: &str) -> Result<Self, String> {
        sh("ip", &["netns", "add", name])?;
        let ns = Self {
            name: name.to_owned(),
        };
        sh("ip", &["-n", name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Its name (for `ip netns exec`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Moves the calling thread into this namespace (sockets and devices it opens from then on
    /// are the namespace's).
    pub fn enter(&self) -> std::io::Result<()> {
        let file = File::open(format!("/run/netns/{}", self.name))?;
        nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
    }

    /// Runs `f` on a new thread inside this namespace and returns its result.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
        std::thread::scope(|s| {
            s.spawn(|| {
                self.enter()?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = sh("ip", &["netns", "del", &self.name]);
    }
}

/// What the link does to packets, per direction.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Bits per second.
    pub rate_bps: u64,
    /// One-way delay (half the round trip time).
    pub delay: Duration,
    /// Probability that a packet is lost.
    pub loss: f64,
    /// Longest a packet may wait in the queue before the link drops new ones (the buffer).
    pub queue: Duration,
    /// Seed of the loss generator.
    pub seed: u64,
}

impl Shape {
    /// GPRS-like 2G: 50 kbit/s, 500 ms round trip, 5% loss, a 4-second buffer.
    pub fn g2(seed: u64) -> Self {
        Self {
            rate_bps: 50_000,
            delay: Duration::from_millis(250),
            loss: 0.05,
            queue: Duration::from_secs(4),
            seed,
        }
    }

    fn netem_args(&self, loss_percent: f64) -> Vec<String> {
        // netem's `limit` is in packets: the buffer at full-sized packets, at least 10.
        let limit = (self.queue.as_secs_f64() * self.rate_bps as f64 / 8.0 / 1500.0).max(10.0);
        vec![
            "netem".into(),
            "delay".into(),
            format!("{}ms", self.delay.as_millis()),
            "loss".into(),
            format!("{loss_percent:.2}%"),
            "rate".into(),
            format!("{}bit", self.rate_bps),
            "limit".into(),
            format!("{}", limit as u64),
        ]
    }
}

/// How the link is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// veth with the kernel's netem qdisc.
    Netem,
    /// TUN devices and a packet shaper in this process.
    Userspace,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Netem => "netem (kernel qdisc on a veth pair)",
            Self::Userspace => "userspace (TUN devices, shaper threads in the test process)",
        })
    }
}

#[derive(Debug, Default)]
struct Counters {
    packets: AtomicU64,
    bytes: AtomicU64,
    lost: AtomicU64,
    cut: AtomicU64,
    overflow: AtomicU64,
    syns: AtomicU64,
}

impl Counters {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> DirStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DirStats {
            packets: get(&self.packets),
            bytes: get(&self.bytes),
            lost: get(&self.lost),
            cut: get(&self.cut),
            overflow: get(&self.overflow),
            syns: get(&self.syns),
        }
    }
}

/// What crossed the link in one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirStats {
    /// Packets delivered.
    pub packets: u64,
    /// Bytes delivered (whole IP packets).
    pub bytes: u64,
    /// Packets lost at random.
    pub lost: u64,
    /// Packets dropped while the link was cut.
    pub cut: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// TCP connection attempts (SYN without ACK) delivered.
    pub syns: u64,
}

impl DirStats {
    fn minus(self, o: Self) -> Self {
        Self {
            packets: self.packets - o.packets,
            bytes: self.bytes - o.bytes,
            lost: self.lost - o.lost,
            cut: self.cut - o.cut,
            overflow: self.overflow - o.overflow,
            syns: self.syns - o.syns,
        }
    }
}

/// Both directions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Tablet to hub.
    pub up: DirStats,
    /// Hub to tablet.
    pub down: DirStats,
}

impl LinkStats {
    /// What crossed since `earlier`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            up: self.up.minus(earlier.up),
            down: self.down.minus(earlier.down),
        }
    }
}

/// Two namespaces joined by a shaped link; torn down on drop.
pub struct Link {
    /// How it is shaped.
    pub mode: Mode,
    shape: Shape,
    cut: Arc<AtomicBool>,
    up: Arc<Counters>,
    down: Arc<Counters>,
    stop: Arc<InterruptEvent>,
    stopping: Arc<AtomicBool>,
    /// netem: the qdiscs' drop counters (tablet, hub) when the cut began.
    drops_at_cut: std::sync::Mutex<(u64, u64)>,
    threads: Vec<JoinHandle<()>>,
    /// The tablet's namespace.
    pub tablet: Namespace,
    /// The hub's namespace.
    pub hub: Namespace,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("mode", &self.mode)
            .field("tablet", &self.tablet)
            .field("hub", &self.hub)
            .finish_non_exhaustive()
    }
}

/// Why no link could be made.
#[derive(Debug)]
pub enum LinkError {
    /// Network namespaces cannot be created here (not root, no `ip`, no permission).
    NoNamespaces(String),
    /// Namespaces work but neither netem nor TUN does.
    Setup(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoNamespaces(e) => write!(f, "network namespaces unavailable: {e}"),
            Self::Setup(e) => write!(f, "link setup failed: {e}"),
        }
    }
}

impl Link {
    /// Makes namespaces `abha-TAG-tab-PID` and `abha-TAG-hub-PID` and a link of `shape` between
    /// them: netem if the kernel has it, otherwise the userspace shaper.
    pub fn new(tag: &str, shape: Shape) -> Result<Self, LinkError> {
        let pid = std::process::id();
        let tablet =
            Namespace::create(&format!("abha-{tag}-tab-{pid}")).map_err(LinkError::NoNamespaces)?;
        let hub =
            Namespace::create(&format!("abha-{tag}-hub-{pid}")).map_err(LinkError::NoNamespaces)?;
        let mut link = Self {
            mode: Mode::Netem,
            shape,
            cut: Arc::new(AtomicBool::new(false)),
            up: Arc::default(),
            down: Arc::default(),
            stop: Arc::new(InterruptEvent::new().map_err(|e| LinkError::Setup(e.to_string()))?),
            stopping: Arc::new(AtomicBool::new(false)),
            drops_at_cut: std::sync::Mutex::new((0, 0)),
            threads: Vec::new(),
            tablet,
            hub,
        };
        if let Err(netem) = link.netem() {
            let _ = sh("ip", &["-n", link.tablet.name(), "link", "del", "v0"]);
            link.mode = Mode::Userspace;
            link.userspace()
                .map_err(|e| LinkError::Setup(format!("{e} (and netem: {netem})")))?;
        }
        Ok(link)
    }

    fn netem(&self) -> Result<(), String> {
        let (t, h) = (self.tablet.name(), self.hub.name());
        sh(
            "ip",
            &[
                "-n", t, "link", "add", "v0", "type", "veth", "peer", "name", "v0", "netns", h,
            ],
        )?;
        for (ns, me, peer) in [(t, TABLET_IP, HUB_IP), (h, HUB_IP, TABLET_IP)] {
            let (me, peer) = (me.to_string(), format!("{peer}/32"));
            sh(
                "ip",
                &["-n", ns, "addr", "add", &me, "peer", &peer, "dev", "v0"],
            )?;
            sh("ip", &["-n", ns, "link", "set", "v0", "up"])?;
            self.netem_qdisc(ns, "add", self.shape.loss * 100.0)?;
        }
        Ok(())
    }

    fn netem_qdisc(&self, ns: &str, verb: &str, loss_percent: f64) -> Result<(), String> {
        let mut args: Vec<String> = ["-n", ns, "qdisc", verb, "dev", "v0", "root"]
            .map(String::from)
            .into();
        args.extend(self.shape.netem_args(loss_percent));
        sh("tc", &args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn userspace(&mut self) -> Result<(), String> {
        let dev =
            |ns: &Namespace, me: Ipv4Addr, peer: Ipv4Addr| -> Result<Arc<SyncDevice>, String> {
                let built = ns
                    .run(|| {
                        DeviceBuilder::new()
                            .name("t0")
                            .ipv4(me, 32, Some(peer))
                            .mtu(1500)
                            .enable(true)
                            .build_sync()
                    })
                    .and_then(|r| r)
                    .map_err(|e| format!("TUN device in {}: {e}", ns.name()))?;
                built
                    .set_nonblocking(true)
                    .map_err(|e| format!("TUN device: {e}"))?;
                Ok(Arc::new(built))
            };
        let tablet = dev(&self.tablet, TABLET_IP, HUB_IP)?;
        let hub = dev(&self.hub, HUB_IP, TABLET_IP)?;
        for (from, to, counters, seed) in [
            (
                tablet.clone(),
                hub.clone(),
                self.up.clone(),
                self.shape.seed,
            ),
            (
                hub,
                tablet,
                self.down.clone(),
                self.shape.seed ^ 0x9e37_79b9,
            ),
        ] {
            let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
            let (shape, cut, stop, stopping) = (
                self.shape,
                self.cut.clone(),
                self.stop.clone(),
                self.stopping.clone(),
            );
            let c = counters.clone();
            self.threads.push(std::thread::spawn(move || {
                shape_packets(&from, &tx, shape, &cut, &c, &stop, &stopping, seed);
            }));
            let cut = self.cut.clone();
            self.threads.push(std::thread::spawn(move || {
                deliver_packets(&to, &rx, &cut, &counters);
            }));
        }
        Ok(())
    }

    /// Cuts the link (every packet dropped) or restores it.
    pub fn set_cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::SeqCst);
        if self.mode == Mode::Netem {
            let loss = if cut { 100.0 } else { self.shape.loss * 100.0 };
            let drops = (
                qdisc_drops(self.tablet.name()),
                qdisc_drops(self.hub.name()),
            );
            let mut at_cut = self.drops_at_cut.lock().unwrap_or_else(|p| p.into_inner());
            if cut {
                *at_cut = drops;
            } else {
                Counters::add(&self.up.cut, drops.0 - at_cut.0);
                Counters::add(&self.down.cut, drops.1 - at_cut.1);
            }
            for ns in [self.tablet.name(), self.hub.name()] {
                if let Err(e) = self.netem_qdisc(ns, "change", loss) {
                    panic!("cannot change the netem qdisc: {e}");
                }
            }
        }
    }

    /// What crossed the link so far. With netem, packets and bytes come from the devices'
    /// counters, drops from the qdiscs' (those while cut counted as cut once it is restored),
    /// and connection attempts are not counted.
    pub fn stats(&self) -> LinkStats {
        match self.mode {
            Mode::Userspace => LinkStats {
                up: self.up.snapshot(),
                down: self.down.snapshot(),
            },
            Mode::Netem => {
                let dir = |from: &Namespace, to: &Namespace, c: &Counters| {
                    let cut = c.cut.load(Ordering::Relaxed);
                    DirStats {
                        cut,
                        lost: qdisc_drops(from.name()).saturating_sub(cut),
                        ..veth_rx(to.name())
                    }
                };
                LinkStats {
                    up: dir(&self.tablet, &self.hub, &self.up),
                    down: dir(&self.hub, &self.tablet, &self.down),
                }
            }
        }
    }

    /// The shortest of `tries` TCP connection set-ups from the tablet to the hub at `port` (one
    /// round trip each, plus any retransmitted SYN).
    pub fn connect_time(&self, port: u16, tries: u32) -> std::io::Result<Duration> {
        let to = SocketAddr::from((HUB_IP, port));
        self.tablet.run(|| {
            let mut best = Duration::MAX;
            for _ in 0..tries {
                let started = Instant::now();
                let s = TcpStream::connect_timeout(&to, Duration::from_secs(20))?;
                best = best.min(started.elapsed());
                drop(s);
            }
            Ok(best)
        })?
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.stop.trigger();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // The TUN devices close with their last reference; the namespaces are deleted next (as
        // fields), taking the veth pair with them.
    }
}

/// The JSON a `-j` command of iproute2 prints about `v0` in `ns` (null if it fails).
fn v0_json(program: &str, ns: &str, object: &str) -> serde_json::Value {
    Command::new(program)
        .args(["-n", ns, "-s", "-j", object, "show", "dev", "v0"])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .unwrap_or_default()
}

fn veth_rx(ns: &str) -> DirStats {
    let v = v0_json("ip", ns, "link");
    let rx = &v[0]["stats64"]["rx"];
    DirStats {
        packets: rx["packets"].as_u64().unwrap_or(0),
        bytes: rx["bytes"].as_u64().unwrap_or(0),
        ..DirStats::default()
    }
}

fn qdisc_drops(ns: &str) -> u64 {
    v0_json("tc", ns, "qdisc")[0]["drops"].as_u64().unwrap_or(0)
}

/// An IPv4 TCP segment with SYN set and ACK clear: a connection attempt.
fn is_syn(p: &[u8]) -> bool {
    if p.len() < 20 || p[0] >> 4 != 4 || p[9] != 6 {
        return false;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    p.get(ihl + 13).is_some_and(|flags| flags & 0x12 == 0x02)
}

/// Reads packets leaving one namespace: drops at random, drops when cut or when the buffer is
/// full, otherwise schedules each for delivery after its turn on the wire and the delay.
#[allow(clippy::too_many_arguments)]
fn shape_packets(
    from: &SyncDevice,
    to: &mpsc::Sender<(Instant, Vec<u8>)>,
    shape: Shape,
    cut: &AtomicBool,
    c: &Counters,
    stop: &InterruptEvent,
    stopping: &AtomicBool,
    seed: u64,
) {
    let mut rng = Lcg(seed);
    let mut buf = vec![0u8; 65_536];
    let mut wire_free = Instant::now();
    while !stopping.load(Ordering::SeqCst) {
        let n = match from.recv_intr(&mut buf, stop) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(_) => return,
        };
        let now = Instant::now();
        if cut.load(Ordering::SeqCst) {
            Counters::add(&c.cut, 1);
            continue;
        }
        if rng.chance(shape.loss) {
            Counters::add(&c.lost, 1);
            continue;
        }
        let start = wire_free.max(now);
        if start - now > shape.queue {
            Counters::add(&c.overflow, 1);
            continue;
        }
        wire_free = start + Duration::from_secs_f64(n as f64 * 8.0 / shape.rate_bps as f64);
        if to
            .send((wire_free + shape.delay, buf[..n].to_vec()))
            .is_err()
        {
            return;
        }
    }
}

/// Writes scheduled packets into the other namespace at their time (unless the link is cut).
fn deliver_packets(
    to: &SyncDevice,
    from: &mpsc::Receiver<(Instant, Vec<u8>)>,
    cut: &AtomicBool,
    c: &Counters,
) {
    while let Ok((at, packet)) = from.recv() {
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        if cut.load(Ordering::SeqCst) {
            Counters::add(&c.cut, 1);
            continue;
        }
        if is_syn(&packet) {
            Counters::add(&c.syns, 1);
        }
        if to.send(&packet).is_ok() {
            Counters::add(&c.packets, 1);
            Counters::add(&c.bytes, packet.len() as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_syn_detection_reads_the_tcp_flags_after_the_ip_header() {
        let mut p = vec![0u8; 40];
        p[0] = 0x45;
        p[9] = 6;
        p[33] = 0x02;
        assert!(is_syn(&p));
        p[33] = 0x12;
        assert!(!is_syn(&p), "SYN-ACK is not an attempt");
        p[9] = 17;
        p[33] = 0x02;
        assert!(!is_syn(&p), "not TCP");
    }

    #[test]
    fn test_loss_generator_is_near_its_probability() {
        let mut rng = Lcg(7);
        let lost = (0..100_000).filter(|_| rng.chance(0.05)).count();
        assert!((4_500..5_500).contains(&lost), "{lost}");
    }
}
