//! The ABDM calls the hub makes, typed: what goes in, and the few things kept from what comes out.
//!
//! Replies are read leniently (abdm.md: field placement differs between sources, e.g. the user
//! token at `tokens.token` or `tokens.id_token`). Of a profile only the ABHA number, the ABHA
//! address and whether the mobile was linked are kept: the hub already holds the demographics.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::client::{Call, Host, Repeat};
use super::{AbdmClient, AbdmError};

/// An OTP was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpSent {
    /// ABDM transaction id.
    pub txn_id: String,
    /// The masked destination ABDM names (`******0161`), if it did.
    pub sent_to: Option<String>,
}

/// An ABHA was created or found.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    /// Transaction id.
    pub txn_id: Option<String>,
    /// `NN-NNNN-NNNN-NNNN`.
    pub abha_number: String,
    /// Preferred or first ABHA address, if given.
    pub abha_address: Option<String>,
    /// `false` when ABDM returned an ABHA that already existed for this Aadhaar.
    pub is_new: bool,
    /// Whether the mobile given matched the Aadhaar-linked one (`mobile` not null). When it did
    /// not, it must be verified by OTP (`auth/byAbdm`).
    pub mobile_linked: bool,
    /// The user token (`X-token`), for card and profile calls within its lifetime.
    #[serde(skip)]
    pub user_token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolled")
            .field("is_new", &self.is_new)
            .field("mobile_linked", &self.mobile_linked)
            .finish_non_exhaustive()
    }
}

/// The demographic details of a queued demo-auth request, exactly as on the Aadhaar card.
pub struct DemoAuth<'a> {
    /// The Aadhaar number (opened from its seal just for this call).
    pub aadhaar: &'a Zeroizing<String>,
    /// Name as on the card.
    pub name: &'a str,
    /// `M`, `F` or `O`.
    pub gender: &'a str,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth: &'a str,
    /// LGD state code.
    pub state_code: i64,
    /// LGD district code.
    pub district_code: i64,
    /// Mobile, assumed verified by the programme (abdm.md §2.6).
    pub mobile: Option<&'a str>,
    /// PIN code.
    pub pin_code: Option<&'a str>,
    /// Address line.
    pub address: Option<&'a str>,
}

impl std::fmt::Debug for DemoAuth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoAuth(..)")
    }
}

/// An existing ABHA found by address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundAbha {
    /// ABHA number, if the address has one.
    pub abha_number: Option<String>,
    /// The address.
    pub abha_address: Option<String>,
    /// `ACTIVE`, `DEACTIVATED`...
    pub status: Option<String>,
}

/// A sub-district of the LGD master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LgdSubdistrict {
    /// LGD code.
    pub code: i64,
    /// Name.
    pub name: String,
}

/// A district of the LGD master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LgdDistrict {
    /// LGD code.
    pub code: i64,
    /// Name.
    pub name: String,
    /// Sub-districts.
    #[serde(default)]
    pub subdistricts: Vec<LgdSubdistrict>,
}

/// A state of the LGD master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LgdState {
    /// LGD code.
    pub code: i64,
    /// Name.
    pub name: String,
    /// Districts.
    #[serde(default)]
    pub districts: Vec<LgdDistrict>,
}

fn s<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str().filter(|x| !x.is_empty())
}

/// Reads an enrolment reply (v3 spec, NHA catalogue and CARE shapes).
pub fn read_enrolled(v: &Value) -> Result<Enrolled, AbdmError> {
    let profile = v.get("ABHAProfile").unwrap_or(v);
    let abha_number = s(profile, &["ABHANumber"])
        .or_else(|| s(v, &["healthIdNumber"]))
        .ok_or(AbdmError::BadReply { status: 200 })?
        .to_string();
    let abha_address = s(v, &["preferredAbhaAddress"])
        .or_else(|| s(profile, &["preferredAbhaAddress"]))
        .or_else(|| {
            profile
                .get("phrAddress")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
        })
        .or_else(|| s(v, &["healthId"]))
        .map(str::to_string);
    let is_new = v
        .get("isNew")
        .or_else(|| v.get("new"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mobile_linked = profile.get("mobile").is_some_and(|m| !m.is_null());
    let user_token = s(v, &["tokens", "token"])
        .or_else(|| s(v, &["tokens", "id_token"]))
        .or_else(|| s(v, &["token"]))
        .map(|t| Zeroizing::new(t.to_string()));
    Ok(Enrolled {
        txn_id: s(v, &["txnId"]).map(str::to_string),
        abha_number,
        abha_address,
        is_new,
        mobile_linked,
        user_token,
    })
}

fn sent_to(message: Option<&str>) -> Option<String> {
    let m = message?;
    let start = m.find('*')?;
    let tail: String = m[start..]
        .chars()
        .take_while(|c| *c == '*' || c.is_ascii_digit())
        .collect();
    (tail.len() >= 4).then_some(tail)
}

/// Formats a `YYYY-MM-DD` or `YYYY` birth for demo auth in `format`.
pub fn demo_birth(birth: &str, format: &str) -> String {
    let parts: Vec<&str> = birth.split('-').collect();
    match (parts.as_slice(), format) {
        ([y, m, d], "dd/mm/yyyy") => format!("{d}/{m}/{y}"),
        ([y, m, d], "yyyy-mm-dd") => format!("{y}-{m}-{d}"),
        ([y, m, d], _) => format!("{d}-{m}-{y}"),
        _ => birth.to_string(),
    }
}

fn otp_body(txn: &str, otp_enc: String, mobile: Option<&str>, now: &str) -> Value {
    let mut otp = json!({"timeStamp": now, "txnId": txn, "otpValue": otp_enc});
    if let Some(m) = mobile {
        otp["mobile"] = json!(m);
    }
    otp
}

fn otp_time() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl AbdmClient {
    fn post<'a>(&'a self, path: &'a str, body: &'a Value, repeat: Repeat) -> Call<'a, Value> {
        Call {
            host: Host::Abha,
            method: reqwest::Method::POST,
            path,
            body: Some(body),
            headers: vec![],
            repeat,
        }
    }

    /// Sends an Aadhaar OTP (`txn` empty) or resends it (`txn` of the live transaction).
    pub async fn request_aadhaar_otp(
        &self,
        aadhaar: &Zeroizing<String>,
        txn: Option<&str>,
    ) -> Result<OtpSent, AbdmError> {
        let body = json!({
            "txnId": txn.unwrap_or(""), "scope": ["abha-enrol"], "loginHint": "aadhaar",
            "loginId": self.encrypt(aadhaar.as_bytes()).await?, "otpSystem": "aadhaar",
        });
        let v: Value = self
            .json(self.post(&self.config().paths.request_otp, &body, Repeat::Never))
            .await?;
        Ok(OtpSent {
            txn_id: s(&v, &["txnId"])
                .ok_or(AbdmError::BadReply { status: 200 })?
                .to_string(),
            sent_to: sent_to(s(&v, &["message"])),
        })
    }

    /// Verifies the Aadhaar OTP and creates (or returns) the ABHA. Never repeated automatically:
    /// a call that failed after the OTP was accepted must start a new transaction.
    pub async fn enrol_with_otp(
        &self,
        txn: &str,
        otp: &Zeroizing<String>,
        mobile: Option<&str>,
    ) -> Result<Enrolled, AbdmError> {
        let otp_enc = self.encrypt(otp.as_bytes()).await?;
        let body = json!({
            "authData": {"authMethods": ["otp"], "otp": otp_body(txn, otp_enc, mobile, &otp_time())},
            "consent": {"code": "abha-enrollment", "version": self.config().consent_version},
        });
        let v: Value = self
            .json(self.post(&self.config().paths.enrol_by_aadhaar, &body, Repeat::Never))
            .await?;
        read_enrolled(&v)
    }

    /// Demographic authentication (queued offline route). Safe to repeat: ABDM returns the
    /// existing ABHA for an Aadhaar number instead of a second one.
    pub async fn enrol_with_demo_auth(&self, d: &DemoAuth<'_>) -> Result<Enrolled, AbdmError> {
        let cfg = self.config();
        let benefit = cfg
            .benefit_name
            .clone()
            .ok_or_else(|| AbdmError::Config("no benefit name configured for demo auth".into()))?;
        let body = json!({
            "authData": {"authMethods": ["demo_auth"], "demo_auth": {
                "txnId": "", "aadhaarNumber": self.encrypt(d.aadhaar.as_bytes()).await?,
                "name": d.name, "gender": d.gender,
                "dateOfBirth": demo_birth(d.birth, &cfg.demo_dob_format),
                "stateCode": d.state_code.to_string(), "districtCode": d.district_code.to_string(),
                "address": d.address, "pinCode": d.pin_code, "mobile": d.mobile, "profilePhoto": null,
            }},
            "consent": {"code": "abha-enrollment", "version": cfg.consent_version},
        });
        let mut call = self.post(&cfg.paths.enrol_by_aadhaar, &body, Repeat::Safe);
        call.headers.push((&cfg.benefit_header, benefit));
        let v: Value = self.json(call).await?;
        read_enrolled(&v)
    }

    /// Sends an OTP to a communication mobile that did not match Aadhaar's.
    pub async fn request_mobile_otp(&self, txn: &str, mobile: &str) -> Result<OtpSent, AbdmError> {
        let body = json!({
            "txnId": txn, "scope": ["abha-enrol", "mobile-verify"], "loginHint": "mobile",
            "loginId": self.encrypt(mobile.as_bytes()).await?, "otpSystem": "abdm",
        });
        let v: Value = self
            .json(self.post(&self.config().paths.request_otp, &body, Repeat::Never))
            .await?;
        Ok(OtpSent {
            txn_id: s(&v, &["txnId"]).unwrap_or(txn).to_string(),
            sent_to: sent_to(s(&v, &["message"])),
        })
    }

    /// Verifies the communication mobile's OTP.
    pub async fn verify_mobile_otp(
        &self,
        txn: &str,
        otp: &Zeroizing<String>,
    ) -> Result<bool, AbdmError> {
        let otp_enc = self.encrypt(otp.as_bytes()).await?;
        let body = json!({
            "scope": ["abha-enrol", "mobile-verify"],
            "authData": {"authMethods": ["otp"], "otp": otp_body(txn, otp_enc, None, &otp_time())},
        });
        let v: Value = self
            .json(self.post(&self.config().paths.auth_by_abdm, &body, Repeat::Never))
            .await?;
        Ok(s(&v, &["authResult"]).is_some_and(|r| r.eq_ignore_ascii_case("success")))
    }

    /// ABHA address suggestions for the transaction.
    pub async fn address_suggestions(&self, txn: &str) -> Result<Vec<String>, AbdmError> {
        let v: Value = self
            .json(Call::<()> {
                host: Host::Abha,
                method: reqwest::Method::GET,
                path: &self.config().paths.suggestion,
                body: None,
                headers: vec![("TRANSACTION_ID", txn.to_string())],
                repeat: Repeat::Safe,
            })
            .await?;
        Ok(v.get("abhaAddressList")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Creates the chosen ABHA address (sent without the suffix) as preferred.
    pub async fn create_address(&self, txn: &str, address: &str) -> Result<String, AbdmError> {
        let handle = address.split('@').next().unwrap_or(address);
        let body = json!({"txnId": txn, "abhaAddress": handle, "preferred": 1});
        let v: Value = self
            .json(self.post(&self.config().paths.abha_address, &body, Repeat::Never))
            .await?;
        Ok(s(&v, &["preferredAbhaAddress"])
            .unwrap_or(handle)
            .to_string())
    }

    /// Looks an ABHA address up (an ABHA number's 14 digits are its default address).
    /// `Ok(None)` when ABDM does not know it.
    pub async fn find_address(&self, address: &str) -> Result<Option<FoundAbha>, AbdmError> {
        let body = json!({"abhaAddress": address});
        match self
            .json::<_, Value>(self.post(&self.config().paths.search_address, &body, Repeat::Safe))
            .await
        {
            Ok(v) => Ok(Some(FoundAbha {
                abha_number: s(&v, &["healthIdNumber"]).map(str::to_string),
                abha_address: s(&v, &["abhaAddress"]).map(str::to_string),
                status: s(&v, &["status"]).map(str::to_string),
            })),
            Err(AbdmError::Refused {
                kind: super::RefusalKind::NotFound,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The LGD state, district and sub-district masters.
    pub async fn lgd_states(&self) -> Result<Vec<LgdState>, AbdmError> {
        let v: Value = self
            .json(Call::<()> {
                host: Host::Abha,
                method: reqwest::Method::GET,
                path: &self.config().paths.lgd_states,
                body: None,
                headers: vec![],
                repeat: Repeat::Safe,
            })
            .await?;
        read_lgd(&v).ok_or(AbdmError::BadReply { status: 200 })
    }
}

fn code(v: &Value) -> Option<i64> {
    ["code", "stateCode", "districtCode", "subdistrictCode"]
        .iter()
        .find_map(|k| v.get(*k))
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.trim().parse().ok()))
}

fn name(v: &Value) -> Option<String> {
    ["name", "stateName", "districtName", "subdistrictName"]
        .iter()
        .find_map(|k| v.get(*k)?.as_str())
        .map(str::to_string)
}

/// Reads the LGD master leniently: codes as numbers or strings, `name` or `stateName` keys.
pub fn read_lgd(v: &Value) -> Option<Vec<LgdState>> {
    let list = |v: &Value, key: &str| -> Vec<Value> {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    v.as_array()?
        .iter()
        .map(|st| {
            Some(LgdState {
                code: code(st)?,
                name: name(st)?,
                districts: list(st, "districts")
                    .iter()
                    .filter_map(|d| {
                        Some(LgdDistrict {
                            code: code(d)?,
                            name: name(d)?,
                            subdistricts: list(d, "subdistricts")
                                .iter()
                                .filter_map(|x| {
                                    Some(LgdSubdistrict {
                                        code: code(x)?,
                                        name: name(x)?,
                                    })
                                })
                                .collect(),
                        })
                    })
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_reads_both_token_placements_and_is_new() {
        let v = json!({"txnId":"t","isNew":false,"tokens":{"id_token":"x"},
            "ABHAProfile":{"ABHANumber":"91-6285-4575-5116","phrAddress":["91628545755116@sbx"],"mobile":null}});
        let e = read_enrolled(&v).expect("reads");
        assert_eq!(e.abha_number, "91-6285-4575-5116");
        assert_eq!(e.abha_address.as_deref(), Some("91628545755116@sbx"));
        assert!(!e.is_new && !e.mobile_linked);
        assert!(e.user_token.is_some());
        let v =
            json!({"healthIdNumber":"91-1","healthId":"a@sbx","new":true,"token":"t","mobile":"9"});
        let e = read_enrolled(&v).expect("reads CARE shape");
        assert!(e.is_new && e.mobile_linked);
        assert!(read_enrolled(&json!({"txnId":"t"})).is_err());
    }

    #[test]
    fn test_demo_birth_formats() {
        assert_eq!(demo_birth("1991-10-22", "dd-mm-yyyy"), "22-10-1991");
        assert_eq!(demo_birth("1991-10-22", "dd/mm/yyyy"), "22/10/1991");
        assert_eq!(demo_birth("1991-10-22", "yyyy-mm-dd"), "1991-10-22");
        assert_eq!(demo_birth("1991", "dd-mm-yyyy"), "1991");
    }

    #[test]
    fn test_sent_to_extracts_only_the_masked_tail() {
        assert_eq!(
            sent_to(Some(
                "OTP sent to Aadhaar registered mobile number ending with ******0161"
            )),
            Some("******0161".into())
        );
        assert_eq!(sent_to(Some("OTP sent")), None);
    }

    #[test]
    fn test_lgd_is_read_leniently() {
        let v = json!([{"stateCode":"1","stateName":"JAMMU AND KASHMIR",
            "districts":[{"code":5,"name":"JAMMU","subdistricts":[{"code":"27","name":"Akhnoor"}]}]}]);
        let s = read_lgd(&v).expect("reads");
        assert_eq!(s[0].code, 1);
        assert_eq!(s[0].districts[0].subdistricts[0].code, 27);
        assert!(read_lgd(&json!({"x":1})).is_none());
    }
}
