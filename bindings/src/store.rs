//! `FieldStore`: the device's encrypted store as Kotlin sees it.
//!
//! Every method is a short translation: parse ids, call `abha-core` (capture, store, queries),
//! convert the result. Methods block on SQLite and are meant for a background dispatcher
//! (`Dispatchers.IO`); sync and enrolment are `suspend` (see `sync.rs`).

use std::sync::Arc;

use abha_core::capture::{Capture, today_ist};
use abha_core::model::{
    ConsentDraft, ConsentMethod, EnrollmentState, GivenBy, LgdCodes, NewEnrollment, Route,
    VillageDraft, WorkerDraft,
};
use abha_core::seal::{AadhaarSealer, SealingKey, TokenKey};
use abha_core::store::{ATTENTION_STATES, DeviceSettings, Store, StoreKey};
use abha_core::validate::{self, Issues};
use zeroize::Zeroizing;

use crate::error::{FieldError, issues};
use crate::inputs::*;
use crate::records::*;
use crate::status::*;

type Result<T> = std::result::Result<T, FieldError>;

/// The device's store. Open one per database file and share it.
#[derive(Debug, uniffi::Object)]
pub struct FieldStore {
    pub(crate) store: Arc<Store>,
}

pub(crate) fn sealer_of(s: &DeviceSettings) -> Result<Option<AadhaarSealer>> {
    let (Some(pem), Some(token)) = (&s.sealing_key_pem, &s.token_key_hex) else {
        return Ok(None);
    };
    let key = SealingKey::parse(pem).map_err(|_| FieldError::failed("seal.bad_key"))?;
    let token = TokenKey::from_hex(token).map_err(|_| FieldError::failed("seal.bad_token_key"))?;
    Ok(Some(AadhaarSealer::new(key, token)))
}

impl FieldStore {
    fn with_capture<T>(&self, f: impl FnOnce(Capture<'_>) -> Result<T>) -> Result<T> {
        let settings = self.store.device_settings()?;
        let sealer = sealer_of(&settings)?;
        f(Capture {
            store: &self.store,
            sealer: sealer.as_ref(),
            worker: settings.worker_id,
            today: today_ist(),
        })
    }

    fn enrollment(&self, member: abha_core::ids::MemberId, id: &str) -> Result<EnrollmentRecord> {
        self.store
            .enrollments_of(member)?
            .into_iter()
            .find(|e| e.id.to_string() == id)
            .map(EnrollmentRecord::from)
            .ok_or(FieldError::NotFound {
                entity: "enrollment".into(),
            })
    }
}

#[uniffi::export]
impl FieldStore {
    /// Opens (or creates) the store at `path` with a 32-byte key (held by the Android
    /// Keystore). A wrong key is `WrongKey` and touches nothing; a damaged file is moved aside,
    /// never deleted.
    #[uniffi::constructor]
    pub fn open(path: String, key: Vec<u8>) -> Result<Arc<Self>> {
        let key = Zeroizing::new(key);
        let key = StoreKey::from_slice(&key)?;
        let store = Store::open(path, &key)?;
        Ok(Arc::new(Self {
            store: Arc::new(store),
        }))
    }

    /// This database's replica id (hex).
    pub fn replica_id(&self) -> String {
        self.store.replica_id().to_string()
    }

    /// What the device is: enrolled or not, its role, its operator, whether it can seal.
    pub fn device_status(&self) -> Result<DeviceStatus> {
        let s = self.store.device_settings()?;
        Ok(DeviceStatus {
            replica_id: self.replica_id(),
            hub_url: s.hub.as_ref().map(|h| h.url.clone()),
            device_id: s.hub.as_ref().map(|h| h.device_id.clone()),
            role: s.hub.as_ref().map(|h| h.role.clone()),
            worker_id: s.worker_id.map(|w| w.to_string()),
            can_seal_aadhaar: sealer_of(&s)?.is_some(),
        })
    }

    /// Sets the key Aadhaar numbers are sealed to before the device is enrolled (a demo build,
    /// or a key distributed with the app). Enrolment replaces it with the hub's.
    pub fn configure_sealing(
        &self,
        sealing_key_pem: String,
        token_key_hex: Option<String>,
    ) -> Result<()> {
        SealingKey::parse(&sealing_key_pem)
            .map_err(|_| FieldError::invalid("sealing_key_pem", "seal.bad_key"))?;
        // A given token key is the deployment's (duplicates match across tablets); without one,
        // a key already kept stays (tokens already stored must keep matching), else a new one.
        let given = match token_key_hex {
            Some(t) => Some(
                TokenKey::from_hex(&t)
                    .map_err(|_| FieldError::invalid("token_key_hex", "seal.bad_token_key"))?
                    .to_hex(),
            ),
            None => None,
        };
        let fresh = TokenKey::random().to_hex();
        self.store.update_device_settings(|s| {
            s.sealing_key_pem = Some(sealing_key_pem);
            match given {
                Some(hex) => s.token_key_hex = Some(hex.to_string()),
                None if s.token_key_hex.is_none() => s.token_key_hex = Some(fresh.to_string()),
                None => {}
            }
        })?;
        Ok(())
    }

    /// Adds or updates a village (LGD master data).
    pub fn put_village(&self, village: VillageInput) -> Result<VillageRecord> {
        let v = VillageDraft {
            lgd: LgdCodes {
                state: village.state_code,
                district: village.district_code,
                subdistrict: village.subdistrict_code,
                village: village.village_code,
            },
            name: village.name,
        }
        .validate()?;
        self.store.put_village(&v)?;
        Ok(v.into())
    }

    /// The device's villages.
    pub fn villages(&self) -> Result<Vec<VillageRecord>> {
        Ok(self.store.villages()?.into_iter().map(Into::into).collect())
    }

    /// Adds an operator (ASHA worker) and makes them the current one.
    pub fn add_worker(&self, worker: WorkerInput) -> Result<String> {
        let w = WorkerDraft {
            asha_id: worker.asha_id,
            hpr_id: worker.hpr_id,
            name: worker.name,
        }
        .validate()?;
        self.store.add_worker(&w)?;
        self.store
            .update_device_settings(|s| s.worker_id = Some(w.id))?;
        Ok(w.id.to_string())
    }

    /// Every error and warning of a household form, without saving (inline validation).
    pub fn check_household(&self, form: HouseholdInput) -> Result<FormCheck> {
        let form = form.into_form();
        let found = self.with_capture(|c| Ok(c.check_household(&form)?))?;
        Ok(FormCheck {
            errors: issues(found.errors),
            warnings: issues(found.warnings),
        })
    }

    /// Saves a household with its members in one transaction (Aadhaar sealed first).
    pub fn create_household(&self, form: HouseholdInput) -> Result<SavedHousehold> {
        let form = form.into_form();
        let saved = self.with_capture(|c| Ok(c.save_household(&form)?))?;
        Ok(SavedHousehold {
            id: saved.id.to_string(),
            code: saved.code,
            member_ids: saved.member_ids.iter().map(ToString::to_string).collect(),
            warnings: issues(saved.warnings),
        })
    }

    /// Every error and warning of a member about to join a household, without saving: the
    /// worker sees a suspected duplicate (`member.possible_duplicate`) before saving.
    pub fn check_member(&self, household_id: String, member: MemberInput) -> Result<FormCheck> {
        let hh = parse_household_id(&household_id)?;
        let draft = member.into_draft();
        let found = self.with_capture(|c| Ok(c.check_member(hh, &draft)?))?;
        Ok(FormCheck {
            errors: issues(found.errors),
            warnings: issues(found.warnings),
        })
    }

    /// Adds a member to a household.
    pub fn add_member(&self, household_id: String, member: MemberInput) -> Result<SavedMember> {
        let hh = parse_household_id(&household_id)?;
        let draft = member.into_draft();
        let saved = self.with_capture(|c| Ok(c.add_member(hh, &draft)?))?;
        Ok(SavedMember {
            id: saved.id.to_string(),
            household_id: hh.to_string(),
            warnings: issues(saved.warnings),
        })
    }

    /// Changes a member's fields (only those given).
    pub fn update_member(
        &self,
        member_id: String,
        patch: MemberPatchInput,
    ) -> Result<MemberRecord> {
        let m = parse_member_id(&member_id)?;
        let fields = patch.into_patch().check(today_ist())?;
        self.store.update_member(m, fields)?;
        Ok(self.store.member(m)?.into())
    }

    /// Deletes a member (a tombstone that syncs; the hub keeps the history).
    pub fn delete_member(&self, member_id: String) -> Result<()> {
        Ok(self.store.delete_member(parse_member_id(&member_id)?)?)
    }

    /// Households, newest first, optionally of one village (LGD code).
    pub fn households(
        &self,
        village_code: Option<u32>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<HouseholdSummaryRecord>> {
        let v = village_code.map(abha_core::ids::VillageId::from_lgd);
        Ok(self
            .store
            .list_households(v, limit, offset)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A household with its members.
    pub fn household(&self, household_id: String) -> Result<HouseholdRecord> {
        let d = self.store.household(parse_household_id(&household_id)?)?;
        Ok(HouseholdRecord::new(d.household, d.members))
    }

    /// Households with this printed code (as typed or scanned; a typo is a validation error).
    pub fn find_household(&self, code: String) -> Result<Vec<HouseholdSummaryRecord>> {
        let mut found = Issues::new();
        let Some(code) = abha_core::model::HouseholdCode::parse(&mut found, "code", &code) else {
            return Err(validate::ValidationError {
                errors: found.errors,
                warnings: found.warnings,
            }
            .into());
        };
        Ok(self
            .store
            .households_by_code(&code.to_string())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Members whose names contain `query` (any script).
    pub fn search_members(&self, query: String, limit: u32) -> Result<Vec<MemberRecord>> {
        Ok(self
            .store
            .search_members(&query, limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Records a member's consent to ABHA enrolment, by the current operator.
    pub fn record_consent(&self, consent: ConsentInput) -> Result<String> {
        let operator = self
            .store
            .device_settings()?
            .worker_id
            .ok_or_else(|| FieldError::invalid("operator_id", "consent.operator_required"))?;
        let k = ConsentDraft {
            member_id: parse_member_id(&consent.member_id)?,
            version: consent.version,
            language: consent.language,
            given_by: match consent.given_by {
                ConsentGiver::Beneficiary => GivenBy::Beneficiary,
                ConsentGiver::Guardian => GivenBy::Guardian,
            },
            guardian_name: consent.guardian_name,
            method: match consent.method {
                ConsentRecordedBy::Checkbox => ConsentMethod::Checkbox,
                ConsentRecordedBy::Thumbprint => ConsentMethod::Thumbprint,
                ConsentRecordedBy::Signature => ConsentMethod::Signature,
                ConsentRecordedBy::Verbal => ConsentMethod::Verbal,
            },
            operator_id: operator,
            text_shown: consent.text_shown,
        }
        .validate()?;
        self.store.member(k.member_id)?;
        Ok(self.store.record_consent(&k)?.to_string())
    }

    /// Queues a request to create (or link) an ABHA for a member, resting on a consent.
    pub fn request_enrollment(
        &self,
        member_id: String,
        route: EnrollmentRoute,
        consent_id: String,
    ) -> Result<EnrollmentRecord> {
        let member = parse_member_id(&member_id)?;
        let consent = consent_id
            .trim()
            .parse()
            .map_err(|_| FieldError::invalid("consent_id", "id.format"))?;
        let r = NewEnrollment {
            id: abha_core::ids::EnrollmentId::new(),
            member_id: member,
            route: route.into(),
            consent_id: consent,
            attempt_of: None,
        };
        let worker = self.store.device_settings()?.worker_id;
        let id = self.store.request_enrollment(&r, worker)?;
        self.enrollment(member, &id.to_string())
    }

    /// A member's ABHA requests, oldest first.
    pub fn enrollments(&self, member_id: String) -> Result<Vec<EnrollmentRecord>> {
        Ok(self
            .store
            .enrollments_of(parse_member_id(&member_id)?)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Retries a request ABDM sent back for correction: the corrected fields, the Aadhaar
    /// number read again from the card (the first seal was discarded once ABDM answered) and a
    /// new request naming the old one, in one transaction.
    pub fn retry_enrollment(
        &self,
        enrollment_id: String,
        patch: MemberPatchInput,
        aadhaar: Option<Arc<AadhaarEntry>>,
    ) -> Result<EnrollmentRecord> {
        let old_id = parse_enrollment_id(&enrollment_id)?;
        let old = self
            .store
            .enrollments_in(&[EnrollmentState::NeedsCorrection], u32::MAX)?
            .into_iter()
            .find(|e| e.id == old_id)
            .ok_or_else(|| FieldError::invalid("enrollment_id", "enrollment.not_correctable"))?;
        let (Some(member), Some(consent)) = (old.member_id, old.consent_id) else {
            return Err(FieldError::invalid(
                "enrollment_id",
                "enrollment.not_correctable",
            ));
        };
        let fields = patch.into_patch().check(today_ist())?;
        let settings = self.store.device_settings()?;
        let sealed = match aadhaar.map(|a| a.0.clone()) {
            None => None,
            Some(a) => {
                let mut found = Issues::new();
                let digits = validate::aadhaar(&mut found, "aadhaar", &a);
                let Some(digits) = digits.filter(|_| !found.has_errors()) else {
                    return Err(validate::ValidationError {
                        errors: found.errors,
                        warnings: found.warnings,
                    }
                    .into());
                };
                let sealer = sealer_of(&settings)?.ok_or_else(|| {
                    FieldError::invalid("aadhaar", validate::codes::AADHAAR_NO_SEALING_KEY)
                })?;
                Some(
                    sealer
                        .seal(&digits)
                        .map_err(|_| FieldError::failed("seal.failed"))?,
                )
            }
        };
        let new = NewEnrollment {
            id: abha_core::ids::EnrollmentId::new(),
            member_id: member,
            route: old
                .route
                .as_deref()
                .and_then(Route::parse)
                .unwrap_or(Route::DemoAuth),
            consent_id: consent,
            attempt_of: Some(old_id),
        };
        let id = self.store.resubmit_enrollment(
            old_id,
            &new,
            fields,
            sealed.as_ref(),
            settings.worker_id,
        )?;
        self.enrollment(member, &id.to_string())
    }

    /// Unsynced work on this device, and open conflicts.
    pub fn pending(&self) -> Result<PendingWork> {
        Ok(PendingWork::new(
            self.store.pending()?,
            self.store.conflict_count()?,
        ))
    }

    /// The last sync with the enrolled hub (or any hub), if there was one.
    pub fn last_sync(&self) -> Result<Option<SyncStatus>> {
        let peers = self.store.peers()?;
        let hub = self.store.device_settings()?.hub.map(|h| h.url);
        let pick = peers
            .iter()
            .find(|p| Some(&p.peer) == hub.as_ref())
            .or_else(|| peers.iter().max_by_key(|p| p.last_attempt_at));
        Ok(pick.map(|p| SyncStatus {
            hub_url: p.peer.clone(),
            last_attempt_at: p.last_attempt_at,
            last_success_at: p.last_success_at,
            last_error: p.last_error.clone(),
        }))
    }

    /// ABHA requests someone must look at (sent back, refused, waiting to retry).
    pub fn needs_attention(&self, limit: u32) -> Result<Vec<EnrollmentRecord>> {
        Ok(self
            .store
            .enrollments_in(&ATTENTION_STATES, limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A supervisor's decisions about a record (an ABHA request or a member), newest first: the
    /// note of a request sent back for correction, a dismissal, a merge.
    pub fn reviews_of(&self, record_id: String) -> Result<Vec<ReviewRecord>> {
        let id = parse_record_id(&record_id)?;
        Ok(self
            .store
            .reviews_of(id.as_uuid())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Members that look like the same person (same Aadhaar token).
    pub fn duplicates(&self, limit: u32) -> Result<Vec<DuplicateGroupRecord>> {
        Ok(self
            .store
            .duplicate_groups(limit)?
            .into_iter()
            .map(|g| DuplicateGroupRecord {
                reason: g.reason.into(),
                members: g.members.into_iter().map(Into::into).collect(),
            })
            .collect())
    }
}

impl From<EnrollmentRoute> for Route {
    fn from(r: EnrollmentRoute) -> Self {
        match r {
            EnrollmentRoute::DemoAuth => Route::DemoAuth,
            EnrollmentRoute::AadhaarOtp => Route::AadhaarOtp,
            EnrollmentRoute::LinkExisting => Route::LinkExisting,
        }
    }
}
