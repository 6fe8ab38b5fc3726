//! `enrol_qr`: what a tablet reads when it enrols with a hub.
//!
//! Why: enrolment starts from a QR code scanned at the camp (`{"v":1,"hub","pin","code"}`, made
//! by the hub's `qr_payload`) or from a code, a URL and a fingerprint typed by hand, and ends with
//! the hub's JSON reply, whose keys the tablet keeps for every later capture. All of it is
//! untrusted text. The harness feeds one input to
//! - [`Pin::parse`] (the certificate fingerprint: 64 hex digits, colons allowed), as typed and
//!   as the QR's `pin`: a parsed pin prints back as itself;
//! - [`HttpTransport::new`] with the QR's `hub` (or the whole input as the URL): plain `http`
//!   only on loopback, a refusal is `sync.insecure` exactly for plain `http` elsewhere;
//! - the enrolment JSON types ([`EnrolReply`], [`EnrolRequest`], the hub's [`ErrorBody`]), which
//!   must survive a JSON round trip, and the keys an [`EnrolReply`] hands over
//!   ([`TokenKey::from_hex`], [`SealingKey::parse`]).
//!
//! The QR payload itself is read by a small private `parse_code` in the bindings
//! (`bindings/src/sync.rs`) and, in a second copy, in the field CLI (`field/src/sync_cmd.rs`); it
//! is outside abha-core, so this harness reads the payload's three keys the same way and feeds
//! them to the core functions above. The ABHA card's own QR code (abdm.md §3) and household
//! slips are [`crate::qr`]'s.

use std::time::Duration;

use abha_core::seal::{SealingKey, TokenKey};
use abha_core::sync::TransportError;
use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::protocol::{EnrolReply, EnrolRequest, ErrorBody};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Used when the input carries no valid pin: with a pin, building a transport skips loading
/// the Web PKI roots, which would dominate the run time and does not depend on the input.
const SOME_PIN: Pin = Pin([7; 32]);

/// The harness: see the module docs.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let typed_pin = pin(&text);
    hub_url(&text, typed_pin);
    let json = serde_json::from_str::<Value>(&text).ok();
    if let Some(v) = json.as_ref().filter(|v| v.is_object()) {
        // The QR payload's keys, as the apps read them.
        let s = |k: &str| v.get(k).and_then(Value::as_str);
        let qr_pin = s("pin").and_then(pin);
        if let Some(hub) = s("hub") {
            hub_url(hub, qr_pin);
        }
        let _ = s("code").map(str::trim);
    }
    if json.is_some() {
        if let Some(r) = round_trip::<EnrolReply>(&text) {
            enrol_reply(&r);
        }
        round_trip::<EnrolRequest>(&text);
        round_trip::<ErrorBody>(&text);
    }
}

/// [`Pin::parse`] and its round trip.
fn pin(s: &str) -> Option<Pin> {
    let p = Pin::parse(s)?;
    let hex = p.to_hex();
    assert_eq!(hex.len(), 64);
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(Pin::parse(&hex), Some(p), "a pin parses back from its hex");
    let bare: String = s.chars().filter(|c| *c != ':').collect();
    assert!(
        bare.eq_ignore_ascii_case(&hex),
        "a pin is its 64 hex digits and colons"
    );
    Some(p)
}

/// The hub address: plain http is refused unless it is loopback.
fn hub_url(url: &str, pin: Option<Pin>) {
    // Building a transport costs a TLS config and an HTTP client: skip what cannot be a URL.
    if url.len() > 2048 || !url.contains(':') {
        return;
    }
    let parsed = url::Url::parse(url).ok();
    let result = HttpTransport::new(
        url,
        None,
        Some(pin.unwrap_or(SOME_PIN)),
        Duration::from_secs(30),
    );
    let plain_remote = parsed
        .as_ref()
        .is_some_and(|u| u.scheme() == "http" && !loopback(u));
    match result {
        Ok(_) => {
            let u = parsed.expect("an accepted hub address is a URL");
            assert!(
                !plain_remote,
                "plain http to {:?} was accepted",
                u.host_str()
            );
        }
        Err(e @ TransportError::Refused { .. }) => {
            assert_eq!(e.code(), Some("sync.insecure"));
            assert!(
                plain_remote,
                "a refusal for an address that is not plain remote http"
            );
        }
        Err(_) => assert!(parsed.is_none() || !plain_remote, "{url:?}"),
    }
}

fn loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A JSON message that parses serialises back to an equal one.
fn round_trip<T>(text: &str) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let v: T = serde_json::from_str(text).ok()?;
    let again = serde_json::to_string(&v).expect("serialises");
    let back: T = serde_json::from_str(&again).expect("a parsed message parses again");
    assert_eq!(back, v, "JSON round trip changed the message");
    Some(v)
}

/// The keys an enrolment hands the tablet, read as the tablet reads them at capture.
fn enrol_reply(r: &EnrolReply) {
    if let Ok(k) = TokenKey::from_hex(&r.token_key) {
        let hex = k.to_hex();
        assert!(r.token_key.trim().eq_ignore_ascii_case(&hex));
        assert_eq!(format!("{k:?}"), "TokenKey(..)", "a token key never prints");
    }
    if let Ok(k) = SealingKey::parse(&r.sealing_key_pem) {
        assert_eq!(k.id().len(), 16);
    }
}
