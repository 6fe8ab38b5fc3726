//! Shared test client for the simulator's integration tests: real HTTP on 127.0.0.1, headers
//! and encryption done here independently of the simulator's own code.

#![allow(dead_code)]

use std::sync::Once;
use std::time::Duration;

use abha_abdm_sim::{Resident, Sim, SimConfig, SimHandle};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Padding;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// Paths under the ABHA base.
pub const REQUEST_OTP: &str = "/v3/enrollment/request/otp";
pub const BY_AADHAAR: &str = "/v3/enrollment/enrol/byAadhaar";
pub const BY_ABDM: &str = "/v3/enrollment/auth/byAbdm";
pub const SUGGESTION: &str = "/v3/enrollment/enrol/suggestion";
pub const ABHA_ADDRESS: &str = "/v3/enrollment/enrol/abha-address";
pub const SEARCH: &str = "/v3/phr/web/login/abha/search";
pub const LGD: &str = "/v3/lgd/states";
pub const CERTIFICATE: &str = "/v3/profile/public/certificate";

/// Resident fixtures: (aadhaar, name, gender, dob, mobile).
pub const ASHA: (&str, &str, &str, &str, &str) =
    ("234123412346", "Asha Devi", "F", "1990-01-31", "9876543210");
pub const RAVI: (&str, &str, &str, &str, &str) = (
    "500011112222",
    "Ravi Kumar Singh",
    "M",
    "1985",
    "9123456780",
);

pub fn resident(r: (&str, &str, &str, &str, &str)) -> Resident {
    Resident::new(r.0, r.1, r.2, r.3, Some(r.4))
}

/// Small keys keep the tests fast; the wire format does not depend on the size.
pub fn config() -> SimConfig {
    SimConfig {
        key_bits: 1024,
        ..SimConfig::default()
    }
}

pub fn http() -> reqwest::Client {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, now (plus `offset_secs`).
pub fn timestamp(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
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

/// Encryption schemes a client might (wrongly) use.
#[derive(Clone, Copy, Debug)]
pub enum Scheme {
    OaepSha1,
    OaepSha256,
    OaepSha256Mgf1Sha1,
    Pkcs1v15,
}

pub fn encrypt(der: &[u8], plain: &str, scheme: Scheme) -> String {
    let key = PKey::public_key_from_der(der).expect("public key");
    let mut enc = Encrypter::new(&key).expect("encrypter");
    let (pad, md, mgf) = match scheme {
        Scheme::OaepSha1 => (
            Padding::PKCS1_OAEP,
            Some(MessageDigest::sha1()),
            Some(MessageDigest::sha1()),
        ),
        Scheme::OaepSha256 => (
            Padding::PKCS1_OAEP,
            Some(MessageDigest::sha256()),
            Some(MessageDigest::sha256()),
        ),
        Scheme::OaepSha256Mgf1Sha1 => (
            Padding::PKCS1_OAEP,
            Some(MessageDigest::sha256()),
            Some(MessageDigest::sha1()),
        ),
        Scheme::Pkcs1v15 => (Padding::PKCS1, None, None),
    };
    enc.set_rsa_padding(pad).expect("padding");
    if let (Some(md), Some(mgf)) = (md, mgf) {
        enc.set_rsa_oaep_md(md).expect("oaep md");
        enc.set_rsa_mgf1_md(mgf).expect("mgf1 md");
    }
    let mut buf = vec![0; enc.encrypt_len(plain.as_bytes()).expect("len")];
    let n = enc.encrypt(plain.as_bytes(), &mut buf).expect("encrypt");
    buf.truncate(n);
    STANDARD.encode(buf)
}

/// Luhn (mod 10) over all digits.
pub fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).expect("digit");
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Appends the Verhoeff check digit to 11 digits (for well-formed unknown Aadhaar numbers): the
/// one digit the simulator's own check accepts.
pub fn with_verhoeff(first11: &str) -> String {
    (0..10)
        .map(|d| format!("{first11}{d}"))
        .find(|s| abha_abdm_sim::is_well_formed_aadhaar(s))
        .expect("exactly one check digit fits")
}

/// `dd-mm-yyyy HH:mm:ss`.
pub fn is_field_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            2 | 5 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Asserts a field-keyed 400: exactly `{key: message, "timestamp": "dd-mm-yyyy HH:mm:ss"}`.
pub fn assert_field(status: u16, body: &Value, key: &str, message: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body[key], message, "{body}");
    assert!(
        body["timestamp"].as_str().is_some_and(is_field_timestamp),
        "{body}"
    );
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{body}");
}

/// Asserts `{"code": code, ...}` with the given status.
pub fn assert_code(status: u16, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
}

/// A reply: status, parsed body (`Null` if empty or not JSON) and raw text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

pub async fn send(req: RequestBuilder) -> Reply {
    let resp = req.send().await.expect("response");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text }
}

/// Adds a fresh `REQUEST-ID` and a current `TIMESTAMP`.
pub fn id_and_time(req: RequestBuilder) -> RequestBuilder {
    req.header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
        .header("TIMESTAMP", timestamp(0))
}

/// Adds a fresh `REQUEST-ID`, a current `TIMESTAMP` and `X-CM-ID: sbx`.
pub fn abdm_headers(req: RequestBuilder) -> RequestBuilder {
    id_and_time(req).header("X-CM-ID", "sbx")
}

/// A simulator plus a client holding a live session token.
pub struct Api {
    pub sim: SimHandle,
    pub http: reqwest::Client,
    pub token: String,
}

impl Api {
    pub async fn start(config: SimConfig) -> Api {
        let sim = Sim::start(config).await.expect("sim starts");
        sim.add_residents(&[resident(ASHA), resident(RAVI)])
            .expect("residents");
        let http = http();
        let mut api = Api {
            sim,
            http,
            token: String::new(),
        };
        api.token = api.session().await;
        api
    }

    pub fn session_url(&self) -> String {
        format!("{}/gateway/v3/sessions", self.sim.gateway_base())
    }

    pub fn session_request(&self, id: &str, secret: &str) -> RequestBuilder {
        abdm_headers(self.http.post(self.session_url())).json(
            &json!({"clientId": id, "clientSecret": secret, "grantType": "client_credentials"}),
        )
    }

    pub async fn session(&self) -> String {
        let cfg = self.sim.config();
        let r = send(self.session_request(&cfg.client_id, &cfg.client_secret)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["accessToken"].as_str().expect("token").to_string()
    }

    /// A request to the ABHA base with no headers at all.
    pub fn abha_bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sim.abha_base()))
    }

    /// A request to the ABHA base with all headers and the bearer token.
    pub fn abha(&self, method: Method, path: &str) -> RequestBuilder {
        abdm_headers(self.abha_bare(method, path)).bearer_auth(&self.token)
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        send(self.abha(Method::POST, path).json(&body)).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.abha(Method::GET, path)).await
    }

    pub fn enc(&self, plain: &str) -> String {
        encrypt(&self.sim.public_key_der(), plain, Scheme::OaepSha1)
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Reply {
        let url = format!("{}/_sim{path}", self.sim.base_url());
        send(self.http.post(url).json(&body)).await
    }

    pub async fn admin_get(&self, path: &str) -> Reply {
        let url = format!("{}/_sim{path}", self.sim.base_url());
        send(self.http.get(url)).await
    }

    /// The last OTP of a transaction, over the admin HTTP endpoint.
    pub async fn otp(&self, txn: &str) -> String {
        let r = self.admin_get(&format!("/otp/{txn}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["otp"].as_str().expect("otp").to_string()
    }

    pub async fn state(&self) -> Value {
        let r = self.admin_get("/state").await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    }

    /// Starts an Aadhaar-OTP transaction; returns its id.
    pub async fn request_aadhaar_otp(&self, aadhaar: &str) -> String {
        let r = self
            .post(REQUEST_OTP, self.aadhaar_otp_body(aadhaar, ""))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["txnId"].as_str().expect("txnId").to_string()
    }

    pub fn aadhaar_otp_body(&self, aadhaar: &str, txn: &str) -> Value {
        json!({"txnId": txn, "scope": ["abha-enrol"], "loginHint": "aadhaar",
            "loginId": self.enc(aadhaar), "otpSystem": "aadhaar"})
    }

    pub fn otp_enrol_body(&self, txn: &str, otp: &str, mobile: Option<&str>) -> Value {
        json!({"authData": {"authMethods": ["otp"], "otp": {"timeStamp": "2026-01-01 10:00:00",
            "txnId": txn, "otpValue": self.enc(otp), "mobile": mobile}},
            "consent": {"code": "abha-enrollment", "version": "1.4"}})
    }

    /// Demo-auth body for a resident tuple.
    pub fn demo_body(
        &self,
        aadhaar: &str,
        name: &str,
        gender: &str,
        dob: &str,
        mobile: Option<&str>,
    ) -> Value {
        json!({"authData": {"authMethods": ["demo_auth"], "demo_auth": {"txnId": "",
            "aadhaarNumber": self.enc(aadhaar), "name": name, "gender": gender, "dateOfBirth": dob,
            "stateCode": "10", "districtCode": "215", "address": null, "pinCode": null,
            "mobile": mobile, "profilePhoto": null}},
            "consent": {"code": "abha-enrollment", "version": "1.4"}})
    }

    pub async fn demo(&self, body: Value) -> Reply {
        send(
            self.abha(Method::POST, BY_AADHAAR)
                .header("BENEFIT-NAME", "ABHA_FIELD")
                .json(&body),
        )
        .await
    }

    /// Enrols ASHA by OTP with her own mobile; returns (txnId, reply body).
    pub async fn enrol_asha_by_otp(&self) -> (String, Value) {
        let txn = self.request_aadhaar_otp(ASHA.0).await;
        let otp = self.otp(&txn).await;
        let r = self
            .post(BY_AADHAAR, self.otp_enrol_body(&txn, &otp, Some(ASHA.4)))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        (txn, r.body)
    }
}
