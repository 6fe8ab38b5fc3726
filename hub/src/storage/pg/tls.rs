//! How the state hub reaches PostgreSQL: TLS, verified, whenever the database is on another
//! machine.
//!
//! The records a state hub holds carry names, birth dates and mobile numbers, so they never
//! cross a network in clear unless the operator says so (`sslmode=disable`, logged as a
//! warning). libpq's defaults are weaker than that: `prefer` falls back to plain text and
//! `require` accepts any certificate. Here:
//!
//! | `sslmode` in the URL          | database on this machine | on another machine      |
//! |-------------------------------|--------------------------|-------------------------|
//! | absent, `prefer`, `allow`     | plain (loopback/socket)  | TLS, verified           |
//! | `require`, `verify-ca`, `verify-full` | TLS, verified    | TLS, verified           |
//! | `disable`                     | plain                    | plain, with a warning   |
//!
//! "Verified" is always libpq's `verify-full`: the chain up to a trusted root and the host name.
//! The roots are the PEM file named by `sslrootcert=FILE` (libpq's own parameter, so the same
//! URL works with `psql`), or Mozilla's roots (`webpki-roots`) when it is absent or `system`.
//! Client certificates (`sslcert`, `sslkey`) are refused with a clear error rather than
//! ignored. TLS is rustls on ring, the stack the hub already links (no OpenSSL).

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use abha_core::store::StoreError;
use postgres::config::{Host, SslMode};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use tokio_postgres_rustls::MakeRustlsConnect;

/// What [`prepare`] makes of a database URL.
pub(crate) struct Connection {
    /// The URL's settings, with the TLS mode decided: `Require` or `Disable`.
    pub config: postgres::Config,
    /// The TLS connector (unused under `Disable`).
    pub tls: MakeRustlsConnect,
}

/// Parses `url` and decides how to secure it (see the module docs). Errors never repeat the URL,
/// which may hold a password.
pub(crate) fn prepare(url: &str) -> Result<Connection, StoreError> {
    // Neither parser's message repeats the input: they name the part or option at fault.
    let invalid = |e: &dyn std::fmt::Display| {
        StoreError::Database(format!("the database URL is not valid: {e}"))
    };
    let mut parsed = url::Url::parse(url).map_err(|e| invalid(&e))?;
    let mut mode: Option<String> = None;
    let mut root: Option<String> = None;
    // The other parameters are kept byte for byte, as the client decodes them.
    let mut rest: Vec<&str> = Vec::new();
    for segment in parsed.query().unwrap_or("").split('&') {
        let Some((key, value)) = url::form_urlencoded::parse(segment.as_bytes()).next() else {
            continue;
        };
        match key.as_ref() {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => root = Some(value.into_owned()),
            "sslcert" | "sslkey" | "sslpassword" => {
                return Err(StoreError::Database(format!(
                    "`{key}` in the database URL: client certificates are not supported; \
                     authenticate with a password (over TLS)"
                )));
            }
            _ => rest.push(segment),
        }
    }
    let rest = rest.join("&");
    parsed.set_query((!rest.is_empty()).then_some(rest.as_str()));
    let mut config: postgres::Config = parsed.as_str().parse().map_err(|e| invalid(&e))?;
    let local = is_local(&config);
    let encrypted = match mode.as_deref() {
        None | Some("prefer" | "allow") => !local,
        Some("require" | "verify-ca" | "verify-full") => true,
        Some("disable") => {
            if !local {
                tracing::warn!(
                    "sslmode=disable: records travel to the database server unencrypted"
                );
            }
            false
        }
        Some(_) => {
            return Err(StoreError::Database(
                "sslmode in the database URL must be disable, prefer, require, verify-ca or \
                 verify-full"
                    .into(),
            ));
        }
    };
    config.ssl_mode(if encrypted {
        SslMode::Require
    } else {
        SslMode::Disable
    });
    let tls = MakeRustlsConnect::new(client_config(root.as_deref())?);
    Ok(Connection { config, tls })
}

/// Whether every address the config connects to is this machine (a Unix socket, `localhost`
/// or a loopback address). `hostaddr`, when given, is where TCP goes.
fn is_local(config: &postgres::Config) -> bool {
    let addrs = config.get_hostaddrs();
    if !addrs.is_empty() {
        return addrs.iter().all(IpAddr::is_loopback);
    }
    config.get_hosts().iter().all(|h| match h {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    })
}

/// A rustls client trusting `root` (a PEM file of CA certificates) or Mozilla's roots.
fn client_config(root: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match root {
        None | Some("system") => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let bad = |what: &str| {
                StoreError::Database(format!("sslrootcert {}: {what}", Path::new(path).display()))
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|_| bad("cannot be read"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad("is not a PEM file of certificates"))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(bad("holds no usable CA certificate"));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Database(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The connection error, with what to do when it is the server's certificate.
pub(crate) fn explain(e: &postgres::Error) -> String {
    // The client's own text is only the kind ("error performing TLS handshake"); the causes say
    // what failed (rustls: "invalid peer certificate: UnknownIssuer").
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    if text.contains("certificate") || text.contains("Certificate") {
        format!(
            "{text} (name the CA that signed the database server's certificate with \
             sslrootcert=FILE in the database URL)"
        )
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn mode(url: &str) -> SslMode {
        prepare(url).unwrap().config.get_ssl_mode()
    }

    #[test]
    fn local_databases_default_to_plain_and_remote_ones_to_tls() {
        for url in [
            "postgres://abha@127.0.0.1:5432/abha",
            "postgres://abha@localhost/abha",
            "postgres://abha@[::1]:5432/abha",
            "postgresql://abha@localhost/abha?sslmode=prefer",
            "postgres://abha@db.state.example/abha?sslmode=disable",
            "postgres://abha@db.state.example/abha?hostaddr=127.0.0.1&sslmode=allow",
        ] {
            assert_eq!(mode(url), SslMode::Disable, "{url}");
        }
        for url in [
            "postgres://abha@db.state.example/abha",
            "postgres://abha@10.0.0.5:5432/abha?sslmode=prefer",
            "postgres://abha@localhost/abha?hostaddr=10.0.0.5",
            "postgres://abha@127.0.0.1/abha?sslmode=require",
            "postgres://abha@127.0.0.1/abha?sslmode=verify-full",
            "postgres://abha@db.state.example/abha?sslmode=verify-ca&application_name=hub",
        ] {
            assert_eq!(mode(url), SslMode::Require, "{url}");
        }
    }

    #[test]
    fn our_parameters_are_taken_out_and_the_rest_kept() {
        let c = prepare(
            "postgres://abha:pw@db.example:6432/abha?sslmode=require&sslrootcert=system\
             &application_name=state%20hub+1",
        )
        .unwrap();
        assert_eq!(c.config.get_application_name(), Some("state hub+1"));
        assert_eq!(c.config.get_ports(), &[6432]);
        assert_eq!(c.config.get_password(), Some(&b"pw"[..]));
    }

    #[test]
    fn refusals_are_clear_and_never_repeat_the_password() {
        for (url, says) in [
            (
                "postgres://abha:s3cret@db.example/abha?sslcert=/c.pem",
                "client certificates",
            ),
            (
                "postgres://abha:s3cret@db.example/abha?sslmode=sometimes",
                "sslmode",
            ),
            (
                "postgres://abha:s3cret@db.example/abha?sslrootcert=/nonexistent.pem",
                "cannot be read",
            ),
            (
                "postgres://abha:s3cret@db.example/abha?colour=blue",
                "not valid",
            ),
            ("postgres://abha:s3cret@db example/abha", "not valid"),
        ] {
            let err = prepare(url).err().unwrap().to_string();
            assert!(err.contains(says), "{url}: {err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("abha-pg-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("empty.pem");
        std::fs::write(&file, "not a certificate\n").unwrap();
        let url = format!(
            "postgres://abha@db.example/abha?sslrootcert={}",
            file.display()
        );
        let err = prepare(&url).err().unwrap().to_string();
        assert!(err.contains("no usable CA certificate"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
