//! `enroll-device` and `sync`: the device side of the hub, as the tablet's sync worker runs it.

use std::path::Path;
use std::time::Duration;

use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::protocol::{EnrolReply, EnrolRequest};
use abha_core::sync::{CancelToken, Phase, SyncOptions, SyncProgress, sync};
use serde_json::json;

use crate::home::{Home, HubLink};
use crate::output::{CliError, emit};

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::io)
}

/// A code as typed, or the JSON of an enrolment QR code (`{"hub","pin","code"}`).
fn parse_code(input: &str) -> (String, Option<String>, Option<String>) {
    match serde_json::from_str::<serde_json::Value>(input) {
        Ok(v) => {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            (s("code").unwrap_or_default(), s("hub"), s("pin"))
        }
        Err(_) => (input.trim().to_owned(), None, None),
    }
}

fn parse_pin(pin: Option<&str>) -> Result<Option<Pin>, CliError> {
    match pin {
        None => Ok(None),
        Some(p) => Pin::parse(p).map(Some).ok_or_else(|| {
            CliError::new(
                "sync.bad_pin",
                "the certificate fingerprint must be 64 hex digits",
            )
            .exit(2)
        }),
    }
}

/// `enroll-device CODE [--hub URL] [--pin HEX]`.
pub fn enroll(
    dir: &Path,
    code: &str,
    hub: Option<&str>,
    pin: Option<&str>,
    json_out: bool,
) -> Result<(), CliError> {
    let mut home = Home::load(dir)?;
    let (code, qr_hub, qr_pin) = parse_code(code);
    let url = hub.map(str::to_owned).or(qr_hub).ok_or_else(|| {
        CliError::new(
            "sync.no_hub",
            "give --hub URL (or scan the QR code payload)",
        )
        .exit(2)
    })?;
    let pin_text = pin.map(str::to_owned).or(qr_pin);
    let parsed_pin = parse_pin(pin_text.as_deref())?;
    let store = home.open_store()?;
    let replica = store.replica_id();
    store.close()?;
    let transport = HttpTransport::new(&url, None, parsed_pin, Duration::from_secs(30))
        .map_err(|e| CliError::new(e.code().unwrap_or("sync.network"), &e.to_string()))?;
    let reply: EnrolReply = runtime()?
        .block_on(transport.json(
            "/v1/devices/enrol",
            &EnrolRequest {
                code,
                replica,
                app_version: abha_core::VERSION.to_owned(),
                label: None,
            },
        ))
        .map_err(|e| CliError::new(e.code().unwrap_or("sync.network"), &e.to_string()).exit(4))?;
    let link = HubLink {
        url: url.clone(),
        pin: pin_text,
        device_id: reply.device_id.clone(),
        token: reply.token.clone(),
        role: reply.role.clone(),
    };
    home.save_enrolment(&link, &reply.sealing_key_pem, &reply.token_key)?;
    let slips = crate::slip_cmd::trust_hub_key(&home, reply.slip_key.as_deref())?;
    emit(
        json_out,
        &json!({"ok": true, "device_id": reply.device_id, "hub": url, "role": reply.role, "villages": reply.villages, "slip_key_id": slips}),
        || format!("enrolled as device {} at {url}", reply.device_id),
    );
    Ok(())
}

/// `sync [--hub URL]`: one session with a progress bar; Ctrl-C cancels cleanly.
pub fn run_sync(
    dir: &Path,
    hub: Option<&str>,
    max_ops: u32,
    json_out: bool,
) -> Result<(), CliError> {
    let home = Home::load(dir)?;
    let link = home.hub()?.ok_or_else(|| {
        CliError::new(
            "sync.not_enrolled",
            "enrol this device first: abha-field enroll-device CODE --hub URL",
        )
    })?;
    let url = hub.unwrap_or(&link.url).to_owned();
    let store = home.open_store()?;
    let transport = HttpTransport::new(
        &url,
        Some(link.token.clone()),
        parse_pin(link.pin.as_deref())?,
        Duration::from_secs(60),
    )
    .map_err(|e| CliError::new(e.code().unwrap_or("sync.network"), &e.to_string()))?;
    let bar = if json_out {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let progress = |p: &SyncProgress| {
        let phase = match p.phase {
            Phase::Hello => "connecting",
            Phase::Push => "sending",
            Phase::Pull => "receiving",
            Phase::Done => "done",
        };
        let of = p
            .batches_total
            .map(|t| format!(" of {t}"))
            .unwrap_or_default();
        bar.set_message(format!(
            "{phase}: batch {}{of}, {} ops sent, {} ops received, {} KiB up, {} KiB down",
            p.batch,
            p.ops_sent,
            p.ops_received,
            p.bytes_sent / 1024,
            p.bytes_received / 1024
        ));
    };
    let cancel = CancelToken::new();
    let opts = SyncOptions {
        max_ops,
        ..SyncOptions::default()
    };
    let rt = runtime()?;
    let result = rt.block_on(async {
        let c = cancel.clone();
        let ctrl_c = async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                c.cancel();
            }
        };
        tokio::select! {
            r = sync(&store, &url, &transport, &opts, &progress, &cancel) => r,
            () = async { ctrl_c.await; std::future::pending::<()>().await } => unreachable!(),
        }
    });
    bar.finish_and_clear();
    let report = result.map_err(|e| CliError::new(&e.code(), &e.to_string()))?;
    let pending = store.pending()?;
    emit(
        json_out,
        &json!({"ok": true, "report": report, "pending": pending}),
        || {
            format!(
                "synced with {url}: sent {} ops, received {} ops ({} requests); {} changes still pending",
                report.pushed_ops, report.pulled_ops, report.requests, pending.changes
            )
        },
    );
    Ok(())
}
