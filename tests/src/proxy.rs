//! A loopback TCP fault proxy: sits between a client and a server and, per HTTP/1 request,
//! forwards faithfully or injects a fault (cut the reply after N bytes, cut the request after N
//! bytes, reset the connection, delay). Requests are recognised by their method at the start of
//! a read, which holds for HTTP/1.1 without pipelining (what the sync client speaks over plain
//! HTTP on loopback). Tests use it to prove a sync survives dropped connections with
//! exactly-once effect.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways.
    None,
    /// Forward the request; cut the connection after this many bytes of the reply.
    CutReplyAfter(usize),
    /// Cut the connection after this many bytes of the request.
    CutRequestAfter(usize),
    /// Close the connection without forwarding the request.
    Reset,
    /// Wait this long before forwarding.
    Delay(Duration),
}

/// A running proxy.
#[derive(Debug, Clone)]
pub struct FaultProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    plan: Arc<Mutex<VecDeque<Fault>>>,
    /// Connections accepted.
    pub connections: Arc<AtomicU64>,
    /// Requests that got a fault.
    pub faults: Arc<AtomicU64>,
}

impl FaultProxy {
    /// Starts a proxy to `target` on 127.0.0.1, port 0.
    pub async fn start(target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = Self {
            addr: listener.local_addr()?,
            plan: Arc::new(Mutex::new(VecDeque::new())),
            connections: Arc::new(AtomicU64::new(0)),
            faults: Arc::new(AtomicU64::new(0)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                p.connections.fetch_add(1, Ordering::SeqCst);
                let p = p.clone();
                tokio::spawn(async move {
                    let _ = relay(client, target, p).await;
                });
            }
        });
        Ok(proxy)
    }

    /// Queues faults for the next requests (then requests are forwarded faithfully).
    pub fn plan(&self, faults: impl IntoIterator<Item = Fault>) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(faults);
    }

    fn next_fault(&self) -> Fault {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or(Fault::None)
    }

    /// The proxy's URL with `scheme`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }
}

fn starts_request(b: &[u8]) -> bool {
    [&b"POST "[..], b"GET ", b"PUT ", b"DELETE ", b"HEAD "]
        .iter()
        .any(|m| b.starts_with(m))
}

/// Cut decisions shared by the two directions of one connection.
#[derive(Debug, Default)]
struct Cuts {
    /// Bytes of the current request still allowed through.
    request_left: Option<usize>,
    /// Bytes of the next reply allowed through.
    reply_left: Option<usize>,
}

async fn upstream(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    proxy: FaultProxy,
    cuts: Arc<Mutex<Cuts>>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        let mut take = n;
        {
            let mut c = cuts.lock().unwrap_or_else(|p| p.into_inner());
            if starts_request(&buf[..n]) {
                match proxy.next_fault() {
                    Fault::None => {}
                    Fault::Reset => {
                        proxy.faults.fetch_add(1, Ordering::SeqCst);
                        return Err(std::io::Error::other("reset by the fault proxy"));
                    }
                    Fault::Delay(d) => {
                        proxy.faults.fetch_add(1, Ordering::SeqCst);
                        drop(c);
                        tokio::time::sleep(d).await;
                        c = cuts.lock().unwrap_or_else(|p| p.into_inner());
                    }
                    Fault::CutRequestAfter(k) => {
                        proxy.faults.fetch_add(1, Ordering::SeqCst);
                        c.request_left = Some(k);
                    }
                    Fault::CutReplyAfter(k) => {
                        proxy.faults.fetch_add(1, Ordering::SeqCst);
                        c.reply_left = Some(k);
                    }
                }
            }
            if let Some(left) = c.request_left {
                take = n.min(left);
                c.request_left = Some(left - take);
            }
        }
        to.write_all(&buf[..take]).await?;
        if take < n || cuts.lock().unwrap_or_else(|p| p.into_inner()).request_left == Some(0) {
            return Err(std::io::Error::other("request cut by the fault proxy"));
        }
    }
}

async fn downstream(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cuts: Arc<Mutex<Cuts>>,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        let left = cuts.lock().unwrap_or_else(|p| p.into_inner()).reply_left;
        let take = left.map_or(n, |l| n.min(l));
        to.write_all(&buf[..take]).await?;
        if let Some(l) = left {
            if take >= l {
                return Err(std::io::Error::other("reply cut by the fault proxy"));
            }
            cuts.lock().unwrap_or_else(|p| p.into_inner()).reply_left = Some(l - take);
        }
    }
}

async fn relay(client: TcpStream, target: SocketAddr, proxy: FaultProxy) -> std::io::Result<()> {
    let server = TcpStream::connect(target).await?;
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let cuts = Arc::new(Mutex::new(Cuts::default()));
    // Whichever direction is cut ends the whole connection (both halves dropped).
    tokio::select! {
        r = upstream(cr, sw, proxy, cuts.clone()) => r,
        r = downstream(sr, cw, cuts) => r,
    }
}
