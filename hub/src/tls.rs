//! The hub's TLS: a certificate it generates for itself on first run (kept in `DATA/tls/`), or a
//! configured one. Tablets pin the certificate's SHA-256 fingerprint, printed in the enrolment QR
//! code, so a camp needs neither a CA nor internet.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use abha_core::sync::client::Pin;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use crate::HubError;

/// A server certificate ready to serve.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The rustls configuration.
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 fingerprint of the leaf certificate.
    pub pin: Pin,
}

fn build(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Tls, HubError> {
    let leaf = chain
        .first()
        .ok_or_else(|| HubError::Config("certificate file holds no certificate".into()))?;
    let pin = Pin::of_der(leaf.as_ref());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HubError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| HubError::Config(format!("certificate and key do not match: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        pin,
    })
}

fn load(cert: &Path, key: &Path) -> Result<Tls, HubError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|_| HubError::Config("cannot read the certificate file".into()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| HubError::Config("certificate file is not PEM".into()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|_| HubError::Config("cannot read the key file".into()))?;
    build(chain, key)
}

/// Loads a configured certificate.
pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, HubError> {
    load(cert, key)
}

/// Loads the hub's own certificate from `data_dir/tls`, generating it on first run.
pub fn self_signed(data_dir: &Path) -> Result<Tls, HubError> {
    let dir = data_dir.join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if !cert.exists() {
        fs::create_dir_all(&dir)?;
        let names = vec!["abha-hub".to_owned(), "localhost".to_owned()];
        let generated = rcgen::generate_simple_self_signed(names)
            .map_err(|e| HubError::Config(format!("certificate generation failed: {e}")))?;
        fs::write(&cert, generated.cert.pem())?;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        use std::io::Write as _;
        opts.open(&key)?
            .write_all(generated.signing_key.serialize_pem().as_bytes())?;
        tracing::info!("generated a self-signed certificate");
    }
    load(&cert, &key)
}
