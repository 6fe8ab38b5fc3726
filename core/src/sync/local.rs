//! A transport that calls a hub's [`serve`](super::serve) functions directly, through the real
//! wire encoding: for simulations, tests and benchmarks of many replicas in one process.

use super::protocol::{
    self, HandSealed, HandSealedReply, Hello, HelloReply, Pull, PullReply, Push, PushReply,
};
use super::serve::{self, Peer, ServeError};
use super::session::{Exchange, Transport, TransportError};
use crate::store::Store;

/// A hub store and the peer record it holds for the caller.
#[derive(Debug)]
pub struct LocalTransport<'h> {
    /// The hub's store.
    pub hub: &'h Store,
    /// What the hub knows of the caller.
    pub peer: Peer,
}

fn refused(e: ServeError) -> TransportError {
    if e.client {
        TransportError::Refused {
            status: 400,
            code: e.code.to_owned(),
            message: e.message,
        }
    } else {
        TransportError::Unavailable { status: 500 }
    }
}

fn exchange<Q, R>(
    req: &Q,
    handle: impl FnOnce(&Q) -> Result<R, ServeError>,
) -> Result<Exchange<R>, TransportError>
where
    Q: serde::Serialize + for<'de> serde::Deserialize<'de>,
    R: serde::Serialize + for<'de> serde::Deserialize<'de>,
{
    let body = protocol::encode(req);
    let decoded: Q = serve::decode_request(&body).map_err(refused)?;
    let reply = handle(&decoded).map_err(refused)?;
    let out = protocol::encode(&reply);
    let reply = protocol::decode(&out).map_err(|_| TransportError::BadReply)?;
    Ok(Exchange {
        reply,
        sent: body.len() as u64,
        received: out.len() as u64,
    })
}

impl Transport for LocalTransport<'_> {
    async fn hello(&self, h: &Hello) -> Result<Exchange<HelloReply>, TransportError> {
        exchange(h, |h| serve::hello(self.hub, &self.peer, h))
    }
    async fn push(&self, p: &Push) -> Result<Exchange<PushReply>, TransportError> {
        exchange(p, |p| serve::push(self.hub, &self.peer, p))
    }
    async fn pull(&self, p: &Pull) -> Result<Exchange<PullReply>, TransportError> {
        exchange(p, |p| serve::pull(self.hub, &self.peer, p))
    }
    async fn hand_sealed(
        &self,
        m: &HandSealed,
    ) -> Result<Exchange<HandSealedReply>, TransportError> {
        exchange(m, |m| serve::hand_sealed(self.hub, &self.peer, m))
    }
}
