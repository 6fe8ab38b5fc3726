//! Aadhaar OTP enrolment at a camp, relayed through the hub (the tablet never talks to ABDM).
//!
//! The beneficiary is present and the tablet is on the camp LAN. The tablet sends the sealed
//! Aadhaar number it captured (only the hub can open it); the hub asks ABDM for the OTP; the
//! worker types the OTP the beneficiary received; the hub verifies it, verifies a communication
//! mobile that differs from Aadhaar's, offers ABHA address suggestions and creates the chosen one.
//! Every answer is a [`CampReply`] whose [`CampState`] the app shows as a clear state (expired,
//! attempts used up, resend limit...), never an error text.
//!
//! The outcome is recorded on the tablet as ops of the request ([`Store::record_enrollment_outcome`]),
//! so it syncs like any edit; the sealed number is discarded once ABDM has answered.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::client::HttpTransport;
use super::session::TransportError;
use crate::ids::{EnrollmentId, MemberId};
use crate::model::EnrollmentState;
use crate::store::{Store, StoreError};

/// Starts an OTP session (`POST /v1/abdm/otp/start`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpStart {
    /// The request being fulfilled.
    pub enrollment: EnrollmentId,
    /// Its member.
    pub member: MemberId,
    /// Fingerprint of the hub key the number is sealed to.
    pub key_id: String,
    /// The sealed Aadhaar number (base64 RSA-OAEP-SHA1 ciphertext).
    pub sealed_aadhaar: String,
}

/// A step within a session (`resend`, `verify`, `mobile/verify`, `suggestions`, `address`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OtpStep {
    /// Session id from the start reply.
    pub session: String,
    /// The OTP the beneficiary received (verify steps).
    #[serde(default)]
    pub otp: Option<String>,
    /// Communication mobile (verify).
    #[serde(default)]
    pub mobile: Option<String>,
    /// Chosen ABHA address (address step).
    #[serde(default)]
    pub address: Option<String>,
}

/// Where an OTP session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampState {
    /// The Aadhaar OTP was sent (to `sent_to`).
    OtpSent,
    /// The OTP was wrong; `attempts_left` may say how many remain.
    OtpInvalid,
    /// The OTP or transaction expired: start again.
    OtpExpired,
    /// Too many wrong OTPs in this transaction (`ABDM-1100`): start again.
    AttemptsExceeded,
    /// No more resends in this transaction: start again.
    ResendLimit,
    /// The ABHA exists; the communication mobile differs from Aadhaar's and an OTP was sent to it.
    MobileOtpSent,
    /// The communication mobile was verified.
    MobileVerified,
    /// The ABHA was created.
    Created,
    /// An ABHA already existed for this Aadhaar and was returned.
    Linked,
    /// Address suggestions (`suggestions`).
    Suggestions,
    /// The chosen address was created.
    AddressCreated,
    /// The chosen address is taken: pick another.
    AddressTaken,
    /// ABDM refused (`reason_code`).
    Rejected,
    /// ABDM is unavailable: try again shortly.
    Unavailable,
    /// The call failed after the OTP may have been accepted: do not repeat it; start again (ABDM
    /// returns the same ABHA for the same Aadhaar).
    OutcomeUnknown,
}

/// The hub's answer to every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampReply {
    /// State.
    pub state: CampState,
    /// Session id.
    pub session: String,
    /// Masked destination of an OTP.
    #[serde(default)]
    pub sent_to: Option<String>,
    /// ABHA number, once known.
    #[serde(default)]
    pub abha_number: Option<String>,
    /// ABHA address, once known.
    #[serde(default)]
    pub abha_address: Option<String>,
    /// Address suggestions.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// Reason code of a refusal.
    #[serde(default)]
    pub reason_code: Option<String>,
}

/// Errors of the camp client.
#[derive(Debug, thiserror::Error)]
pub enum CampError {
    /// The hub could not be reached or refused the request.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The member has no sealed Aadhaar number (capture it again).
    #[error("no sealed Aadhaar number is held for this member")]
    NoAadhaar,
}

/// The tablet side of an OTP session.
#[derive(Debug)]
pub struct CampClient<'a> {
    /// The hub, with the device token.
    pub hub: &'a HttpTransport,
    /// The tablet's store.
    pub store: &'a Store,
}

impl CampClient<'_> {
    /// Starts a session for a request: the hub sends the Aadhaar OTP.
    pub async fn start(
        &self,
        enrollment: EnrollmentId,
        member: MemberId,
    ) -> Result<CampReply, CampError> {
        let sealed = self
            .store
            .sealed_aadhaar(member)?
            .ok_or(CampError::NoAadhaar)?;
        let body = OtpStart {
            enrollment,
            member,
            key_id: sealed.key_id,
            sealed_aadhaar: base64::engine::general_purpose::STANDARD.encode(&sealed.ciphertext),
        };
        Ok(self.hub.json("/v1/abdm/otp/start", &body).await?)
    }

    /// Asks for the OTP again.
    pub async fn resend(&self, session: &str) -> Result<CampReply, CampError> {
        self.step(
            "/v1/abdm/otp/resend",
            OtpStep {
                session: session.into(),
                ..Default::default()
            },
        )
        .await
    }

    /// Verifies the Aadhaar OTP; on success the outcome is recorded on the request.
    pub async fn verify(
        &self,
        enrollment: EnrollmentId,
        member: MemberId,
        session: &str,
        otp: &str,
        mobile: Option<&str>,
    ) -> Result<CampReply, CampError> {
        let step = OtpStep {
            session: session.into(),
            otp: Some(otp.into()),
            mobile: mobile.map(str::to_string),
            ..Default::default()
        };
        let reply = self.step("/v1/abdm/otp/verify", step).await?;
        self.record(enrollment, member, &reply)?;
        Ok(reply)
    }

    /// Verifies the communication mobile's OTP.
    pub async fn verify_mobile(&self, session: &str, otp: &str) -> Result<CampReply, CampError> {
        let step = OtpStep {
            session: session.into(),
            otp: Some(otp.into()),
            ..Default::default()
        };
        self.step("/v1/abdm/otp/mobile/verify", step).await
    }

    /// ABHA address suggestions.
    pub async fn suggestions(&self, session: &str) -> Result<CampReply, CampError> {
        self.step(
            "/v1/abdm/otp/suggestions",
            OtpStep {
                session: session.into(),
                ..Default::default()
            },
        )
        .await
    }

    /// Creates the chosen ABHA address and records it.
    pub async fn choose_address(
        &self,
        enrollment: EnrollmentId,
        member: MemberId,
        session: &str,
        address: &str,
    ) -> Result<CampReply, CampError> {
        let step = OtpStep {
            session: session.into(),
            address: Some(address.into()),
            ..Default::default()
        };
        let reply = self.step("/v1/abdm/otp/address", step).await?;
        if reply.state == CampState::AddressCreated {
            self.store.record_enrollment_outcome(
                enrollment,
                member,
                EnrollmentState::Created,
                None,
                None,
                reply.abha_address.as_deref(),
            )?;
        }
        Ok(reply)
    }

    async fn step(&self, path: &str, step: OtpStep) -> Result<CampReply, CampError> {
        Ok(self.hub.json(path, &step).await?)
    }

    fn record(
        &self,
        enrollment: EnrollmentId,
        member: MemberId,
        r: &CampReply,
    ) -> Result<(), CampError> {
        let state = match r.state {
            CampState::Created | CampState::MobileOtpSent => EnrollmentState::Created,
            CampState::Linked => EnrollmentState::Linked,
            CampState::Rejected => EnrollmentState::Rejected,
            _ => return Ok(()),
        };
        self.store.record_enrollment_outcome(
            enrollment,
            member,
            state,
            r.reason_code.as_deref(),
            r.abha_number.as_deref(),
            r.abha_address.as_deref(),
        )?;
        // ABDM has answered: the number is discarded (NHA rule).
        self.store.discard_aadhaar(member)?;
        Ok(())
    }
}
