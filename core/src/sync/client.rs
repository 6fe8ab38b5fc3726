//! The HTTP transport: reqwest over rustls (ring), with certificate pinning.
//!
//! A camp hub runs on a laptop with a certificate it made for itself; no CA will vouch for it.
//! The tablet learns the certificate's SHA-256 fingerprint from the enrolment QR code and accepts
//! that certificate and no other ([`Pin`]): a rogue access point at the camp cannot read or alter
//! a sync. A hub with a real certificate (a state server) is checked against the Web PKI roots
//! instead. Plain `http://` is allowed only for loopback addresses (development and tests).

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::protocol::{
    self, CONTENT_TYPE, ErrorBody, HandSealed, HandSealedReply, Hello, HelloReply,
    PROTOCOL_VERSION, Pull, PullReply, Push, PushReply, VERSION_HEADER,
};
use super::session::{Exchange, Transport, TransportError};

/// The SHA-256 fingerprint of the hub's certificate (DER).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin(pub [u8; 32]);

impl Pin {
    /// Parses 64 hex digits (colons allowed, as printed by `openssl x509 -fingerprint`).
    pub fn parse(s: &str) -> Option<Self> {
        let hex: String = s.chars().filter(|c| *c != ':').collect();
        let v = hex::decode(hex).ok()?;
        <[u8; 32]>::try_from(v.as_slice()).ok().map(Self)
    }
    /// The fingerprint of a DER certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }
    /// As 64 hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

#[derive(Debug)]
struct PinnedVerifier {
    pin: Pin,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Pin::of_der(end_entity.as_ref()) == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "hub certificate does not match the pinned fingerprint".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The rustls client configuration the transport uses: ring, and either the pin or the Web PKI.
pub fn tls_config(pin: Option<Pin>) -> Result<rustls::ClientConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Network(e.to_string()))?;
    Ok(match pin {
        Some(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier { pin, provider }))
            .with_no_client_auth(),
        None => {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    })
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A hub reached over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    base: reqwest::Url,
    token: Option<String>,
}

impl HttpTransport {
    /// A transport to the hub at `base` (e.g. `https://192.168.1.10:8443`), authenticating with
    /// `token`, pinning `pin` if given. Requests time out after `timeout`.
    pub fn new(
        base: &str,
        token: Option<String>,
        pin: Option<Pin>,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        let base = reqwest::Url::parse(base)
            .map_err(|_| TransportError::Network("hub address is not a URL".into()))?;
        if base.scheme() == "http" && !is_loopback(&base) {
            return Err(TransportError::Refused {
                status: 0,
                code: "sync.insecure".into(),
                message: "plain http is allowed only on loopback; use https".into(),
            });
        }
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(pin)?)
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .user_agent(concat!("abha-field/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        Ok(Self {
            client,
            base,
            token,
        })
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, TransportError> {
        self.base
            .join(path)
            .map_err(|_| TransportError::Network("bad hub path".into()))
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<(Vec<u8>, usize), TransportError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req.send().await.map_err(network)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(network)?;
        let n = body.len();
        if status.is_success() {
            return Ok((body.to_vec(), n));
        }
        if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
            return Err(TransportError::Unavailable {
                status: status.as_u16(),
            });
        }
        let err: ErrorBody = serde_json::from_slice(&body).unwrap_or(ErrorBody {
            code: format!("http.{}", status.as_u16()),
            message: String::new(),
        });
        Err(TransportError::Refused {
            status: status.as_u16(),
            code: err.code,
            message: err.message,
        })
    }

    async fn exchange<Q: Serialize, R: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        msg: &Q,
    ) -> Result<Exchange<R>, TransportError> {
        let body = protocol::encode(msg);
        let sent = body.len() as u64;
        let req = self
            .client
            .post(self.url(path)?)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(VERSION_HEADER, PROTOCOL_VERSION.to_string())
            .body(body);
        let (bytes, received) = self.send(req).await?;
        let reply = protocol::decode(&bytes).map_err(|_| TransportError::BadReply)?;
        Ok(Exchange {
            reply,
            sent,
            received: received as u64,
        })
    }

    /// A JSON request (enrolment and administration).
    pub async fn json<Q: Serialize, R: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        msg: &Q,
    ) -> Result<R, TransportError> {
        let req = self.client.post(self.url(path)?).json(msg);
        let (bytes, _) = self.send(req).await?;
        serde_json::from_slice(&bytes).map_err(|_| TransportError::BadReply)
    }

    /// A JSON read (administration lists).
    pub async fn get_json<R: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
    ) -> Result<R, TransportError> {
        let (bytes, _) = self.send(self.client.get(self.url(path)?)).await?;
        serde_json::from_slice(&bytes).map_err(|_| TransportError::BadReply)
    }
}

fn network(e: reqwest::Error) -> TransportError {
    // reqwest's text names the URL and the failure, never request contents.
    TransportError::Network(e.without_url().to_string())
}

impl Transport for HttpTransport {
    async fn hello(&self, h: &Hello) -> Result<Exchange<HelloReply>, TransportError> {
        self.exchange("/v1/sync/hello", h).await
    }
    async fn push(&self, p: &Push) -> Result<Exchange<PushReply>, TransportError> {
        self.exchange("/v1/sync/push", p).await
    }
    async fn pull(&self, p: &Pull) -> Result<Exchange<PullReply>, TransportError> {
        self.exchange("/v1/sync/pull", p).await
    }
    async fn hand_sealed(
        &self,
        m: &HandSealed,
    ) -> Result<Exchange<HandSealedReply>, TransportError> {
        self.exchange("/v1/sync/sealed", m).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_pin_parsing_and_plain_http_only_on_loopback() {
        let hex = "ab".repeat(32);
        let colons: String = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(Pin::parse(&hex), Pin::parse(&colons));
        assert!(Pin::parse("abcd").is_none());
        let t = Duration::from_secs(5);
        assert!(HttpTransport::new("http://127.0.0.1:8080", None, None, t).is_ok());
        assert!(HttpTransport::new("http://localhost:8080", None, None, t).is_ok());
        let e = HttpTransport::new("http://192.168.1.5:8080", None, None, t).unwrap_err();
        assert_eq!(e.code(), Some("sync.insecure"));
        assert!(HttpTransport::new("https://192.168.1.5:8443", None, Pin::parse(&hex), t).is_ok());
    }
}
