//! The HTTP side of the ABDM client: session token, public key, headers, retries, rate limit.
//!
//! One [`AbdmClient`] is shared by every task of the hub. The session token and the public key
//! are each fetched by one task at a time (the others wait for its result), so a queue of a
//! thousand jobs makes one session call, not a thousand.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rand::Rng as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::error::{AbdmError, parse_failure};
use super::limiter::RateLimiter;
use super::{AbdmConfig, RefusalKind};
use crate::seal::{OAEP_SHA1_ALGORITHM, SealingKey};

/// Which host a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    Gateway,
    Abha,
}

/// Whether a call may be sent again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Repeating cannot cause a second effect (reads; demo auth returns the existing ABHA).
    Safe,
    /// The call consumes something (an OTP); the caller decides.
    Never,
}

/// One call.
#[derive(Debug)]
pub(crate) struct Call<'a, B: Serialize> {
    pub host: Host,
    pub method: reqwest::Method,
    pub path: &'a str,
    pub body: Option<&'a B>,
    pub headers: Vec<(&'a str, String)>,
    pub repeat: Repeat,
}

#[derive(Debug)]
struct Session {
    token: Zeroizing<String>,
    renew_at: Instant,
}

#[derive(Debug)]
struct Certificate {
    key: SealingKey,
    fetched: Instant,
}

/// A client of the ABDM gateway and ABHA service.
#[derive(Debug, Clone)]
pub struct AbdmClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: AbdmConfig,
    http: reqwest::Client,
    limiter: RateLimiter,
    session: Mutex<Option<Session>>,
    paused_until: Mutex<Option<Instant>>,
    certificate: Mutex<Option<Certificate>>,
}

fn url_ok(base: &str) -> Result<(), AbdmError> {
    let u = reqwest::Url::parse(base).map_err(|_| AbdmError::Config("base is not a URL".into()))?;
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(AbdmError::Config(
            "ABDM must be reached over https (plain http only on loopback)".into(),
        )),
    }
}

/// `TIMESTAMP` header text: UTC with milliseconds and `Z` (abdm.md §2.3).
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl AbdmClient {
    /// A client for `config`. Fails only on a configuration error.
    pub fn new(config: AbdmConfig) -> Result<Self, AbdmError> {
        url_ok(&config.gateway_base)?;
        url_ok(&config.abha_base)?;
        if config.client_id.is_empty() || config.client_secret.is_empty() {
            return Err(AbdmError::Config(
                "client id and secret are required".into(),
            ));
        }
        let tls = crate::sync::client::tls_config(None)
            .map_err(|e| AbdmError::Config(format!("tls: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .user_agent(concat!("abha-field-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AbdmError::Config(format!("http client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                limiter: RateLimiter::new(config.rate_limit_per_sec),
                config,
                http,
                session: Mutex::new(None),
                paused_until: Mutex::new(None),
                certificate: Mutex::new(None),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AbdmConfig {
        &self.inner.config
    }

    fn base(&self, host: Host) -> &str {
        match host {
            Host::Gateway => &self.inner.config.gateway_base,
            Host::Abha => &self.inner.config.abha_base,
        }
    }

    pub(crate) async fn send_once<B: Serialize>(
        &self,
        call: &Call<'_, B>,
        bearer: Option<&str>,
        session_call: bool,
    ) -> Result<Vec<u8>, AbdmError> {
        self.inner.limiter.acquire().await;
        let url = format!(
            "{}{}",
            self.base(call.host).trim_end_matches('/'),
            call.path
        );
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), url)
            .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
            .header("TIMESTAMP", timestamp(OffsetDateTime::now_utc()))
            .header("X-CM-ID", &self.inner.config.cm_id);
        if let Some(t) = bearer {
            req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in &call.headers {
            req = req.header(*k, v);
        }
        if let Some(b) = call.body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(classify)?.to_vec();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(parse_failure(status, &body, session_call))
    }

    /// Sends `call` with retries for transient failures (if safe) and one token renewal on 401.
    pub(crate) async fn send<B: Serialize>(&self, call: Call<'_, B>) -> Result<Vec<u8>, AbdmError> {
        let cfg = &self.inner.config;
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.token().await?;
            match self.send_once(&call, Some(&token), false).await {
                Err(AbdmError::Refused {
                    kind: RefusalKind::Unauthorized,
                    ..
                }) if !renewed => {
                    // The token expired or was revoked early: drop it (unless another task
                    // already renewed it) and try once more.
                    renewed = true;
                    let mut session = self.inner.session.lock().await;
                    if session.as_ref().is_some_and(|s| s.token == token) {
                        *session = None;
                    }
                }
                Err(e)
                    if e.is_transient()
                        && call.repeat == Repeat::Safe
                        && attempt < cfg.max_attempts =>
                {
                    let base = cfg.retry_base.as_millis() as u64;
                    let backoff = base.saturating_mul(1 << (attempt - 1).min(6));
                    let jitter = rand::thread_rng().gen_range(0..=backoff / 2 + 1);
                    tokio::time::sleep(Duration::from_millis(backoff + jitter)).await;
                }
                other => return other,
            }
        }
    }

    /// Sends and decodes a JSON reply.
    pub(crate) async fn json<B: Serialize, R: DeserializeOwned>(
        &self,
        call: Call<'_, B>,
    ) -> Result<R, AbdmError> {
        let body = self.send(call).await?;
        serde_json::from_slice(&body).map_err(|_| AbdmError::BadReply { status: 200 })
    }

    /// The current access token, fetching a new one when missing or close to expiry.
    async fn token(&self) -> Result<Zeroizing<String>, AbdmError> {
        let mut session = self.inner.session.lock().await;
        if let Some(s) = session.as_ref()
            && Instant::now() < s.renew_at
        {
            return Ok(s.token.clone());
        }
        if let Some(until) = *self.inner.paused_until.lock().await
            && Instant::now() < until
        {
            return Err(AbdmError::CredentialsPaused);
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Req<'a> {
            client_id: &'a str,
            client_secret: &'a str,
            grant_type: &'a str,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Reply {
            access_token: String,
            expires_in: Option<u64>,
        }
        let cfg = &self.inner.config;
        let req = Req {
            client_id: &cfg.client_id,
            client_secret: &cfg.client_secret,
            grant_type: "client_credentials",
        };
        let call = Call {
            host: Host::Gateway,
            method: reqwest::Method::POST,
            path: &cfg.paths.sessions,
            body: Some(&req),
            headers: vec![],
            repeat: Repeat::Never,
        };
        let body = match self.send_once(&call, None, true).await {
            Ok(b) => b,
            Err(e @ AbdmError::Credentials { .. }) => {
                *self.inner.paused_until.lock().await = Some(Instant::now() + cfg.credential_pause);
                tracing::warn!(
                    code = e.abdm_code(),
                    "ABDM refused the client credentials; pausing"
                );
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let reply: Reply =
            serde_json::from_slice(&body).map_err(|_| AbdmError::BadReply { status: 200 })?;
        let ttl = Duration::from_secs(reply.expires_in.unwrap_or(1200).max(1));
        // Renew at four fifths of the lifetime, and at least a minute early when it allows.
        let margin = (ttl / 5).max(Duration::from_secs(60).min(ttl / 2));
        let token = Zeroizing::new(reply.access_token);
        *session = Some(Session {
            token: token.clone(),
            renew_at: Instant::now() + ttl - margin,
        });
        Ok(token)
    }

    /// ABDM's encryption key, fetched when missing or older than the configured lifetime.
    pub async fn encryption_key(&self) -> Result<SealingKey, AbdmError> {
        let mut cert = self.inner.certificate.lock().await;
        if let Some(c) = cert.as_ref()
            && c.fetched.elapsed() < self.inner.config.certificate_ttl
        {
            return Ok(c.key.clone());
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Reply {
            public_key: String,
            encryption_algorithm: Option<String>,
        }
        let reply: Reply = self
            .json(Call::<()> {
                host: Host::Abha,
                method: reqwest::Method::GET,
                path: &self.inner.config.paths.certificate,
                body: None,
                headers: vec![],
                repeat: Repeat::Safe,
            })
            .await?;
        // Read the padding from the answer rather than assuming it; only OAEP-SHA1 is known.
        match reply.encryption_algorithm.as_deref().map(str::trim) {
            None | Some(OAEP_SHA1_ALGORITHM) => {}
            Some(_) => return Err(AbdmError::Encryption("unsupported encryption algorithm")),
        }
        let key = SealingKey::parse(&reply.public_key)
            .map_err(|_| AbdmError::Encryption("public key unreadable"))?;
        *cert = Some(Certificate {
            key: key.clone(),
            fetched: Instant::now(),
        });
        Ok(key)
    }

    /// Encrypts `plain` for ABDM (RSA-OAEP-SHA1, standard base64).
    pub async fn encrypt(&self, plain: &[u8]) -> Result<String, AbdmError> {
        let key = self.encryption_key().await?;
        let ct = key
            .seal(plain)
            .map_err(|_| AbdmError::Encryption("encryption failed"))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(ct))
    }
}

fn classify(e: reqwest::Error) -> AbdmError {
    if e.is_timeout() {
        AbdmError::Timeout
    } else {
        // reqwest's text names the failure, never request contents.
        AbdmError::Network(e.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_timestamp_format() {
        let t = time::macros::datetime!(2022-10-06 15:10:00.587 UTC);
        assert_eq!(timestamp(t), "2022-10-06T15:10:00.587Z");
        let t = time::macros::datetime!(2022-10-06 20:40:00.5 +05:30);
        assert_eq!(timestamp(t), "2022-10-06T15:10:00.500Z");
    }

    #[test]
    fn test_config_refuses_plain_http_off_loopback() {
        let mut c = AbdmConfig {
            client_id: "a".into(),
            client_secret: "b".into(),
            ..AbdmConfig::default()
        };
        assert!(AbdmClient::new(c.clone()).is_ok());
        c.abha_base = "http://10.0.0.1/abha/api".into();
        assert!(matches!(
            AbdmClient::new(c.clone()),
            Err(AbdmError::Config(_))
        ));
        c.abha_base = "http://127.0.0.1:9/abha/api".into();
        assert!(AbdmClient::new(c.clone()).is_ok());
        c.client_secret.clear();
        assert!(AbdmClient::new(c).is_err());
    }
}
