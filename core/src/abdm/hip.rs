//! The hub's calls as a HIP (Scan and Share, abdm.md §4): fetching the gateway's JWT signing
//! keys, and replying to a profile share through the gateway's on-share path ([`OnShare`], the
//! reply's wire shape).
//!
//! They go through the same [`AbdmClient`] as enrolment so they get its session token, its
//! `REQUEST-ID`/`TIMESTAMP`/`X-CM-ID` headers, its rate limit and its error parsing. Whether the
//! certificates call needs the session token is not documented, so it is configuration
//! ([`super::ShareConfig::certs_with_session`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::client::{Call, Host, Repeat};
use super::{AbdmClient, AbdmError};

/// The token part of a successful on-share reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenProfile {
    /// The counter id (`metaData.context` of the share).
    pub context: String,
    /// The token number.
    pub token_number: String,
    /// Remaining validity, in the configured unit (UNCONFIRMED; seconds by default).
    pub expiry: String,
}

/// `acknowledgement` of an on-share reply.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    /// The ABHA address that shared.
    pub abha_address: String,
    /// `SUCCESS`.
    pub status: String,
    /// The token.
    pub profile: TokenProfile,
}

impl fmt::Debug for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acknowledgement")
            .field("status", &self.status)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// `error` of a failed on-share reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnShareError {
    /// Machine code.
    pub code: String,
    /// A fixed message (never a value from the share).
    pub message: String,
}

/// `response` of an on-share reply: which share it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseRef {
    /// The `REQUEST-ID` of the share.
    pub request_id: String,
}

/// The reply a HIP posts to the gateway's on-share path (abdm.md §4).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnShare {
    /// On success.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub acknowledgement: Option<Acknowledgement>,
    /// On failure.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<OnShareError>,
    /// The share answered.
    pub response: ResponseRef,
}

impl fmt::Debug for OnShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnShare")
            .field("token", &self.acknowledgement.as_ref().map(|a| &a.profile))
            .field("error", &self.error)
            .field("response", &self.response)
            .finish()
    }
}

impl OnShare {
    /// A token issued (or issued again) for `abha_address` at `counter`.
    pub fn success(request_id: &str, abha_address: &str, token: TokenProfile) -> Self {
        Self {
            acknowledgement: Some(Acknowledgement {
                abha_address: abha_address.to_string(),
                status: "SUCCESS".into(),
                profile: token,
            }),
            error: None,
            response: ResponseRef {
                request_id: request_id.to_string(),
            },
        }
    }

    /// A refusal with `code` and a fixed `message`.
    pub fn failure(request_id: &str, code: &str, message: &str) -> Self {
        Self {
            acknowledgement: None,
            error: Some(OnShareError {
                code: code.to_string(),
                message: message.to_string(),
            }),
            response: ResponseRef {
                request_id: request_id.to_string(),
            },
        }
    }
}

impl AbdmClient {
    /// The gateway's signing keys: the JWKS body as ABDM sent it (parsed by the caller, which
    /// keeps what it can use).
    pub async fn gateway_certs(&self) -> Result<Vec<u8>, AbdmError> {
        let call = Call::<()> {
            host: Host::Gateway,
            method: reqwest::Method::GET,
            path: &self.config().paths.gateway_certs,
            body: None,
            headers: vec![],
            repeat: Repeat::Safe,
        };
        if self.config().share.certs_with_session {
            self.send(call).await
        } else {
            self.send_once(&call, None, false).await
        }
    }

    /// Posts the reply to a profile share, as HIP `hip_id`. Safe to repeat: the reply names the
    /// share it answers, and a rescan gets the same token anyway.
    pub async fn on_share(&self, hip_id: &str, reply: &OnShare) -> Result<(), AbdmError> {
        self.send(Call {
            host: Host::Gateway,
            method: reqwest::Method::POST,
            path: &self.config().paths.on_share,
            body: Some(reply),
            headers: vec![("X-HIP-ID", hip_id.to_string())],
            repeat: Repeat::Safe,
        })
        .await
        .map(|_| ())
    }
}
