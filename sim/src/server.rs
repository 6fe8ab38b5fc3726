//! Starting and stopping the simulator: the router, a hand-written accept loop over hyper, and
//! the [`SimHandle`] tests hold.
//!
//! The accept loop is hand-written (rather than `axum::serve`) for one reason: the `timeout`
//! fault must close a connection without answering, and only the code that owns hyper's
//! connection future can drop it. Each connection gets a [`ConnKill`] switch in its requests'
//! extensions for that.
//!
//! [`Sim::start`] serves on the caller's tokio runtime; [`Sim::start_blocking`] brings its own
//! runtime on a background thread, for synchronous tests. Either way the server stops when the
//! handle is dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

use crate::config::{Fault, Resident, ResidentError, SimConfig};
use crate::crypto::{CryptoError, KeyPair};
use crate::guard::{self, ConnKill};
use crate::share::jwt::Keys;
use crate::share::scan::{ScanOutcome, ScanRequest};
use crate::share::{self, OnShareRecord};
use crate::world::{SimState, World};
use crate::{address, admin, enrol, gateway};

/// Why the simulator did not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The RSA key pair could not be generated (for example a silly `key_bits`).
    #[error("cannot make the simulator key pair: {0}")]
    Key(#[from] CryptoError),
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The background runtime or thread could not be created.
    #[error("cannot start the simulator runtime: {0}")]
    Runtime(std::io::Error),
    /// Key generation was cancelled or the background thread died before it was ready.
    #[error("the simulator stopped while starting")]
    Stopped,
}

fn router(world: Arc<World>) -> Router {
    Router::new()
        .route(guard::SESSIONS, post(gateway::sessions))
        .route(guard::CERTIFICATE, get(gateway::certificate))
        .route(
            "/abha/api/v3/enrollment/request/otp",
            post(enrol::request_otp),
        )
        .route(
            "/abha/api/v3/enrollment/enrol/byAadhaar",
            post(enrol::by_aadhaar),
        )
        .route("/abha/api/v3/enrollment/auth/byAbdm", post(enrol::by_abdm))
        .route(
            "/abha/api/v3/enrollment/enrol/suggestion",
            get(address::suggestion),
        )
        .route(
            "/abha/api/v3/enrollment/enrol/abha-address",
            post(address::create),
        )
        .route(
            "/abha/api/v3/phr/web/login/abha/search",
            post(address::search),
        )
        .route("/abha/api/v3/lgd/states", get(address::lgd_states))
        .route("/api/hiecm/gateway/v3/certs", get(share::certs))
        .route(
            "/api/hiecm/gateway/v3/bridge/url",
            axum::routing::patch(share::bridge_url),
        )
        .route(
            "/api/hiecm/patient-share/v3/on-share",
            post(share::on_share),
        )
        .route("/_sim/share/scan", post(share::scan::scan))
        .route("/_sim/share/on-share", get(share::on_shares))
        .route("/_sim/share/rotate-key", post(share::rotate_key))
        .route("/_sim/residents", post(admin::residents))
        .route("/_sim/otp/{txn}", get(admin::otp))
        .route("/_sim/faults", post(admin::faults))
        .route("/_sim/expire-tokens", post(admin::expire_tokens))
        .route("/_sim/state", get(admin::state))
        .fallback(admin::not_found)
        .method_not_allowed_fallback(admin::method_not_allowed)
        .layer(from_fn_with_state(world.clone(), guard::guard))
        // Room for a demo-auth body carrying a profile photo.
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .with_state(world)
}

async fn connection(stream: TcpStream, router: Router, mut stop: watch::Receiver<()>) {
    let kill = Arc::new(Notify::new());
    let switch = ConnKill(kill.clone());
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(switch.clone());
        router.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
        _ = stop.changed() => {}
    }
}

async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<()>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, router.clone(), stop.clone()));
                }
                // Out of file descriptors or similar: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = stop.changed() => break,
        }
    }
}

/// Everything `serve` needs, prepared on the runtime that will run it.
struct Prepared {
    world: Arc<World>,
    addr: SocketAddr,
    listener: TcpListener,
}

async fn prepare(addr: SocketAddr, config: SimConfig) -> Result<Prepared, SimError> {
    let bits = config.key_bits;
    let (key, gateway_keys) = tokio::task::spawn_blocking(move || {
        Ok::<_, CryptoError>((KeyPair::generate(bits)?, Keys::generate()?))
    })
    .await
    .map_err(|_| SimError::Stopped)??;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    Ok(Prepared {
        world: Arc::new(World::new(config, key, gateway_keys)),
        addr,
        listener,
    })
}

/// The simulator's entry points.
#[derive(Debug)]
pub struct Sim;

impl Sim {
    /// Starts a simulator on `127.0.0.1` with a free port, serving on the current tokio runtime.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts a simulator on `addr`, serving on the current tokio runtime.
    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> Result<SimHandle, SimError> {
        let p = prepare(addr, config).await?;
        let (stop, stopped) = watch::channel(());
        tokio::spawn(serve(p.listener, router(p.world.clone()), stopped));
        Ok(SimHandle {
            addr: p.addr,
            world: p.world,
            stop: Some(stop),
            thread: None,
        })
    }

    /// Starts a simulator on `127.0.0.1` with its own multi-thread runtime on a background
    /// thread. Usable from synchronous code and from inside another runtime.
    pub fn start_blocking(config: SimConfig) -> Result<SimHandle, SimError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("abdm-sim".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("abdm-sim-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(SimError::Runtime(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match prepare(addr, config).await {
                        Ok(p) => {
                            let (stop, stopped) = watch::channel(());
                            let router = router(p.world.clone());
                            if ready_tx.send(Ok((p.addr, p.world, stop))).is_ok() {
                                serve(p.listener, router, stopped).await;
                            }
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(SimError::Runtime)?;
        let (addr, world, stop) = ready_rx.recv().map_err(|_| SimError::Stopped)??;
        Ok(SimHandle {
            addr,
            world,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running simulator. Dropping it (or [`SimHandle::shutdown`]) stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    world: Arc<World>,
    stop: Option<watch::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gateway base a client is configured with: `base_url() + "/api/hiecm"`.
    pub fn gateway_base(&self) -> String {
        format!("{}{}", self.base_url(), guard::GATEWAY)
    }

    /// The ABHA base a client is configured with: `base_url() + "/abha/api"`.
    pub fn abha_base(&self) -> String {
        format!("{}{}", self.base_url(), guard::ABHA)
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.world.config
    }

    /// The encryption public key, DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.world.key.public_der().to_vec()
    }

    /// The private key (PKCS#1 PEM), for tests that encrypt or decrypt in other ways.
    pub fn private_key_pem(&self) -> String {
        self.world.key.private_pem().to_string()
    }

    /// Registers residents, as `POST /_sim/residents`. None are added if one is invalid.
    pub fn add_residents(&self, residents: &[Resident]) -> Result<usize, ResidentError> {
        self.world.add_residents(residents)
    }

    /// Injects a fault, as `POST /_sim/faults`.
    pub fn set_fault(&self, fault: Fault) {
        self.world.set_fault(fault);
    }

    /// Revokes every issued access token, as `POST /_sim/expire-tokens`. Returns how many.
    pub fn expire_tokens(&self) -> usize {
        self.world.expire_tokens()
    }

    /// The last OTP sent in a transaction, as `GET /_sim/otp/{txnId}`.
    pub fn otp_for(&self, txn: &str) -> Option<String> {
        self.world.otp_for(txn)
    }

    /// The most recently sent OTP still awaiting verification, in any transaction.
    pub fn latest_otp(&self) -> Option<String> {
        self.world.latest_otp()
    }

    /// Counters and ABHA numbers, as `GET /_sim/state`.
    pub fn state(&self) -> SimState {
        self.world.state()
    }

    /// Registers where Scan and Share callbacks go (as `PATCH .../bridge/url`).
    pub fn set_bridge_url(&self, url: &str) {
        let url = url.trim().trim_end_matches('/').to_string();
        self.world.share.set_bridge_url(Some(url));
    }

    /// Also trusts `pem` (one or more certificates) when calling the HIP: a camp hub serving
    /// with its own self-signed certificate, as `serve --demo` does. Errors name the PEM problem.
    pub fn trust_hip_certificate(&self, pem: &str) -> Result<(), String> {
        let client = crate::share::scan::client_trusting(Some(pem))?;
        self.world.share.set_hip_client(client);
        Ok(())
    }

    /// Every on-share reply received, oldest first (as `GET /_sim/share/on-share`).
    pub fn on_shares(&self) -> Vec<OnShareRecord> {
        self.world.share.on_shares()
    }

    /// Simulates a scan of a counter QR code (as `POST /_sim/share/scan`).
    pub async fn scan(&self, req: &ScanRequest) -> Result<ScanOutcome, String> {
        share::scan::run(&self.world, req)
            .await
            .map_err(|e| e.to_string())
    }

    /// Stops the server (the same as dropping the handle).
    pub fn shutdown(self) {}
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
