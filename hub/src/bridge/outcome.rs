//! What an ABDM answer means for a request, and recording it.
//!
//! The outcome, the ABHA number on the member, the wipe of the sealed Aadhaar and the job row
//! commit in one transaction: a crash leaves either the old state (the job runs again; demo
//! auth returns the same ABHA) or all of it.

use std::time::Duration;

use abha_core::abdm::{AbdmError, Enrolled, RefusalKind};
use abha_core::model::EnrollmentState;
use abha_core::oplog::{EntityKind, Value};
use abha_core::store::{Result, Store};
use rusqlite::params;

use super::jobs::Job;

/// What to do with a job after a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// ABDM answered: the request reaches a final state and the sealed number is discarded.
    Final {
        /// The state.
        state: EnrollmentState,
        /// Reason code of a non-success, or a note on a success.
        reason: Option<String>,
        /// ABHA number and address.
        abha: Option<(String, Option<String>)>,
    },
    /// Try again later.
    Retry {
        /// Why.
        reason: String,
        /// The call may have reached ABDM.
        ambiguous: bool,
        /// The failure is the hub's, not the record's (credentials, configuration, clock): pause
        /// every job this long.
        pause_all: Option<Duration>,
    },
}

/// Reads a call's result. `credential_pause` and `systemic_pause` are the bridge's pauses.
pub fn judge(
    result: &std::result::Result<Enrolled, AbdmError>,
    job: &Job,
    credential_pause: Duration,
    systemic_pause: Duration,
) -> Verdict {
    let retry = |e: &AbdmError, pause: Option<Duration>| Verdict::Retry {
        reason: e.reason_code(),
        ambiguous: e.is_ambiguous(),
        pause_all: pause,
    };
    match result {
        Ok(e) => {
            // `isNew: false` after an earlier try that may have reached ABDM is most likely our
            // own creation coming back, not an ABHA the person already had.
            let created = e.is_new || job.ambiguous;
            Verdict::Final {
                state: if created {
                    EnrollmentState::Created
                } else {
                    EnrollmentState::Linked
                },
                reason: (!created).then(|| "abdm.existing".to_string()),
                abha: Some((e.abha_number.clone(), e.abha_address.clone())),
            }
        }
        Err(AbdmError::Refused { kind, .. }) => match kind {
            RefusalKind::DemographicMismatch => Verdict::Final {
                state: EnrollmentState::NeedsCorrection,
                reason: Some(kind.code().into()),
                abha: None,
            },
            RefusalKind::FeatureRestricted
            | RefusalKind::ClockRejected
            | RefusalKind::RequestId
            | RefusalKind::Unauthorized => Verdict::Retry {
                reason: kind.code().into(),
                ambiguous: false,
                pause_all: Some(systemic_pause),
            },
            _ => Verdict::Final {
                state: EnrollmentState::Rejected,
                reason: Some(kind.code().into()),
                abha: None,
            },
        },
        Err(e @ (AbdmError::Credentials { .. } | AbdmError::CredentialsPaused)) => {
            retry(e, Some(credential_pause))
        }
        Err(e @ (AbdmError::Config(_) | AbdmError::Encryption(_))) => {
            retry(e, Some(systemic_pause))
        }
        Err(e @ AbdmError::BadReply { .. }) => Verdict::Retry {
            reason: e.reason_code(),
            ambiguous: true,
            pause_all: None,
        },
        Err(e) => retry(e, None),
    }
}

/// Reads a link verification. `number` is the ABHA number the worker recorded, if any.
pub fn judge_link(
    result: std::result::Result<Option<abha_core::abdm::FoundAbha>, AbdmError>,
    number: Option<String>,
    job: &Job,
    credential_pause: Duration,
    systemic_pause: Duration,
) -> Verdict {
    match result {
        Ok(Some(found)) => {
            let active = found
                .status
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("active"));
            if !active {
                return Verdict::Final {
                    state: EnrollmentState::Rejected,
                    reason: Some(RefusalKind::Deactivated.code().into()),
                    abha: None,
                };
            }
            match found.abha_number.or(number) {
                Some(n) => Verdict::Final {
                    state: EnrollmentState::Linked,
                    reason: None,
                    abha: Some((n, found.abha_address)),
                },
                // An address without a number (ABHA address only): nothing to link as a number.
                None => Verdict::Final {
                    state: EnrollmentState::Rejected,
                    reason: Some("link.address_only".into()),
                    abha: None,
                },
            }
        }
        Ok(None) => Verdict::Final {
            state: EnrollmentState::NeedsCorrection,
            reason: Some(RefusalKind::NotFound.code().into()),
            abha: None,
        },
        // A failed lookup means what a failed enrolment call means.
        Err(e) => judge(&Err(e), job, credential_pause, systemic_pause),
    }
}

fn txt(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Records a final outcome: request state and reason, the ABHA on request and member, the wipe
/// of the sealed number captured at `sealed_at`, and the job row, in one transaction.
pub fn record_final(
    store: &Store,
    job: &Job,
    sealed_at: Option<i64>,
    state: EnrollmentState,
    reason: Option<&str>,
    abha: Option<&(String, Option<String>)>,
) -> Result<()> {
    let now = store.clock().now_ms() as i64;
    store.write("enrollment.outcome", |c| {
        let e = *job.enrollment.as_uuid();
        c.describe(e);
        let mut fields = vec![
            ("state", txt(state.code())),
            ("reason_code", reason.map_or(Value::Null, txt)),
        ];
        if let Some((number, address)) = abha {
            fields.push(("abha_number", txt(number)));
            if let Some(a) = address {
                fields.push(("abha_address", txt(a)));
            }
        }
        c.set_all(EntityKind::Enrollment, e, fields)?;
        if let Some((number, address)) = abha {
            let m = *job.member.as_uuid();
            let mut fields = vec![("abha_number", txt(number))];
            if let Some(a) = address {
                fields.push(("abha_address", txt(a)));
            }
            c.set_all(EntityKind::Member, m, fields)?;
        }
        if let Some(at) = sealed_at {
            c.wipe_aadhaar(job.member, at)?;
        }
        c.tx()
            .prepare_cached(
                "UPDATE abdm_jobs SET status = 'done', outcome = ?2, last_code = COALESCE(?3, last_code),
                        attempts = attempts + 1, updated_at = ?4 WHERE enrollment_id = ?1",
            )?
            .execute(params![
                job.enrollment.as_bytes(),
                state.code(),
                reason,
                now
            ])?;
        Ok(())
    })
}

/// Records a retry: the request shows `retry_later` with the reason; the job waits `wait`.
pub fn record_retry(
    store: &Store,
    job: &Job,
    reason: &str,
    ambiguous: bool,
    wait: Duration,
    counted: bool,
) -> Result<()> {
    let now = store.clock().now_ms() as i64;
    let next = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
    store.write("enrollment.retry", |c| {
        let e = *job.enrollment.as_uuid();
        c.describe(e);
        c.set_all(
            EntityKind::Enrollment,
            e,
            [
                ("state", txt(EnrollmentState::RetryLater.code())),
                ("reason_code", txt(reason)),
            ],
        )?;
        c.tx()
            .prepare_cached(
                "UPDATE abdm_jobs SET status = 'ready', last_code = ?2, next_at = ?3,
                        ambiguous = MAX(ambiguous, ?4), attempts = attempts + ?5, updated_at = ?6
                  WHERE enrollment_id = ?1",
            )?
            .execute(params![
                job.enrollment.as_bytes(),
                reason,
                next,
                i64::from(ambiguous),
                i64::from(counted),
                now
            ])?;
        Ok(())
    })
}

/// Marks a job received: the request shows `received` (one change set for many).
pub fn record_received(store: &Store, ids: &[abha_core::ids::EnrollmentId]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    store.write("enrollment.received", |c| {
        for id in ids {
            c.set(
                EntityKind::Enrollment,
                *id.as_uuid(),
                "state",
                txt(EnrollmentState::Received.code()),
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use abha_core::ids::{EnrollmentId, MemberId};

    fn job(ambiguous: bool) -> Job {
        Job {
            enrollment: EnrollmentId::new(),
            member: MemberId::new(),
            attempts: 1,
            ambiguous,
            link: false,
        }
    }

    fn enrolled(is_new: bool) -> Enrolled {
        Enrolled {
            txn_id: None,
            abha_number: "91-1111-2222-3333".into(),
            abha_address: None,
            is_new,
            mobile_linked: true,
            user_token: None,
        }
    }

    const P: Duration = Duration::from_secs(600);
    const S: Duration = Duration::from_secs(60);

    #[test]
    fn test_existing_abha_is_linked_unless_an_earlier_try_may_have_made_it() {
        let v = judge(&Ok(enrolled(false)), &job(false), P, S);
        assert!(matches!(
            v,
            Verdict::Final {
                state: EnrollmentState::Linked,
                ..
            }
        ));
        let v = judge(&Ok(enrolled(false)), &job(true), P, S);
        assert!(matches!(
            v,
            Verdict::Final {
                state: EnrollmentState::Created,
                ..
            }
        ));
        let v = judge(&Ok(enrolled(true)), &job(false), P, S);
        assert!(matches!(
            v,
            Verdict::Final {
                state: EnrollmentState::Created,
                ..
            }
        ));
    }

    #[test]
    fn test_refusals_map_to_states() {
        let refused = |kind| {
            Err(AbdmError::Refused {
                kind,
                status: 400,
                code: "x".into(),
                fields: vec![],
            })
        };
        let v = judge(
            &refused(RefusalKind::DemographicMismatch),
            &job(false),
            P,
            S,
        );
        assert!(matches!(
            v,
            Verdict::Final {
                state: EnrollmentState::NeedsCorrection,
                ..
            }
        ));
        let v = judge(&refused(RefusalKind::MobileLimit), &job(false), P, S);
        assert_eq!(
            v,
            Verdict::Final {
                state: EnrollmentState::Rejected,
                reason: Some("abdm.mobile_limit".into()),
                abha: None
            }
        );
        let v = judge(&refused(RefusalKind::ClockRejected), &job(false), P, S);
        assert!(matches!(
            v,
            Verdict::Retry {
                pause_all: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn test_transient_and_credential_failures_retry() {
        let v = judge(&Err(AbdmError::Timeout), &job(false), P, S);
        assert!(matches!(
            v,
            Verdict::Retry {
                ambiguous: true,
                pause_all: None,
                ..
            }
        ));
        let v = judge(&Err(AbdmError::RateLimited), &job(false), P, S);
        assert!(matches!(
            v,
            Verdict::Retry {
                ambiguous: false,
                pause_all: None,
                ..
            }
        ));
        let v = judge(
            &Err(AbdmError::Credentials { code: "x".into() }),
            &job(false),
            P,
            S,
        );
        assert_eq!(
            v,
            Verdict::Retry {
                reason: "abdm.credentials".into(),
                ambiguous: false,
                pause_all: Some(P)
            }
        );
    }
}
