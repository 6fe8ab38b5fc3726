//! `abha-hub`: command-line entry point. Parses arguments, sets up logging, runs the command.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use abha_core::ids::{EnrollmentId, MemberId, VillageId};
use abha_core::sync::client::{HttpTransport, Pin};
use abha_core::sync::protocol::{EnrolReply, EnrolRequest};
use abha_hub::registry::{self, Role};
use abha_hub::review::{Area, Reach, dayend};
use abha_hub::storage::Database;
use abha_hub::users;
use abha_hub::{Hub, HubConfig, HubError, TlsMode, UpstreamConfig, card, demo, server};
use clap::{Args, Parser, Subcommand};
use qrcode::QrCode;
use qrcode::render::unicode;

/// The ABHA Field hub: syncs tablets at camps and forwards to the state hub.
#[derive(Debug, Parser)]
#[command(name = "abha-hub", version, about)]
struct Cli {
    /// Data directory for the hub's encrypted store, keys and certificate.
    #[arg(
        long,
        global = true,
        env = "ABHA_HUB_DATA",
        default_value = "abha-hub-data"
    )]
    data: PathBuf,
    /// Use the public demo sealing key (demo camps only).
    #[arg(long, global = true)]
    demo_keys: bool,
    /// Where records and the device registry live: `sqlite` (the encrypted file in the data
    /// directory) or a `postgres://user[:password]@host[:port]/db` URL (a state hub).
    #[arg(long, global = true, env = "ABHA_HUB_DATABASE", default_value = "sqlite",
          value_parser = Database::parse, hide_env_values = true)]
    database: Database,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve tablets (HTTPS with a self-generated certificate unless configured).
    Serve(ServeArgs),
    /// Create a one-time enrolment code (printed with its QR code).
    Code {
        /// worker, organiser, supervisor, admin or hub.
        #[arg(long, default_value = "worker")]
        role: String,
        /// LGD village code the device may see (repeat for several).
        #[arg(long = "village")]
        villages: Vec<u32>,
        /// Label for supervisors (asset tag); no personal data.
        #[arg(long)]
        label: Option<String>,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 24)]
        ttl_hours: u32,
        /// The URL tablets reach this hub at (put in the QR code).
        #[arg(long)]
        public_url: Option<String>,
        /// Also write the QR code as SVG here.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Camp the device works at (groups the day-end report).
        #[arg(long)]
        camp: Option<String>,
    },
    /// Dashboard users (organisers and supervisors sign in at /dash).
    #[command(subcommand)]
    User(UserCommand),
    /// Reports in the terminal.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Import target populations per village from CSV (columns village_code,target).
    Targets {
        /// The CSV file.
        file: PathBuf,
    },
    /// Export for HMIS and state portals: a FHIR R4 bundle or CSV per village.
    Export {
        /// fhir or csv.
        #[arg(value_parser = ["fhir", "csv"])]
        format: String,
        /// LGD village code (required for csv; fhir exports all villages without it).
        #[arg(long)]
        village: Option<u32>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Draw a member's printed ABHA card (once ABDM created or linked the ABHA).
    Card {
        /// Member id: the card of its latest request with an ABHA.
        #[arg(
            long,
            required_unless_present = "enrollment",
            conflicts_with = "enrollment"
        )]
        member: Option<String>,
        /// Request (enrollment) id instead of a member id.
        #[arg(long)]
        enrollment: Option<String>,
        /// png (300 dpi, the bundled fonts) or svg.
        #[arg(long, value_parser = ["png", "svg"], default_value = "png")]
        format: String,
        /// The file to write (owner-only: it holds personal data).
        #[arg(long)]
        out: PathBuf,
    },
    /// Create a token directly (bootstrap an administrator, organiser or supervisor).
    Token {
        /// Role.
        #[arg(long)]
        role: String,
        /// Label.
        #[arg(long)]
        label: Option<String>,
    },
    /// List registered devices.
    Devices,
    /// Revoke a device's token.
    Revoke {
        /// Device id.
        id: String,
    },
    /// Enrol this hub at an upstream hub with a code the upstream's organiser created (role hub).
    EnrolUpstream {
        /// The upstream's URL.
        #[arg(long)]
        url: String,
        /// The one-time code.
        #[arg(long)]
        code: String,
        /// The upstream certificate fingerprint (hex), if self-signed.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Seed the demo camp without serving.
    Demo {
        /// About how many households.
        #[arg(long, default_value_t = 300)]
        households: usize,
    },
    /// Print what the store holds.
    Status,
    /// Draw a Scan & Share counter QR code (`share-profile?hip-id=..&counter-id=..`) as SVG.
    CounterQr {
        /// Counter id: 1 to 20 letters or digits (one of share.counters, if listed).
        #[arg(long)]
        counter: String,
        /// Write the SVG here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The ABDM file with its `share` section (default DATA/abdm.json).
        #[arg(long)]
        abdm: Option<PathBuf>,
    },
    /// Print a household's slip: its signed QR code and printed code (JSON with the payload).
    Slip {
        /// Household id or printed code (e.g. K3M9-QXD7).
        #[arg(long)]
        household: String,
        /// Also write the printable slip (QR code, code in large type, village) as SVG here.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        /// Sign-in name (a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// organiser, supervisor or admin.
        #[arg(long)]
        role: String,
        /// LGD district code the user may see (repeat; none: every district).
        #[arg(long = "district")]
        districts: Vec<u32>,
        /// Name shown in the audit log.
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Set a user's password (read from standard input); ends the user's sessions.
    Password {
        /// Sign-in name.
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The camp day-end table: per device and worker, captured, synced, ABHAs, duplicates.
    DayEnd {
        /// YYYY-MM-DD (India Standard Time); default today.
        #[arg(long)]
        date: Option<String>,
        /// Only the devices of this camp.
        #[arg(long)]
        camp: Option<String>,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed and serve the demo camp.
    #[arg(long)]
    demo: bool,
    /// Plain HTTP (loopback only, for development).
    #[arg(long, conflicts_with_all = ["cert", "key"])]
    plain_http: bool,
    /// Certificate chain (PEM) instead of the self-generated one.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// The URL tablets reach this hub at (for enrolment QR codes).
    #[arg(long)]
    public_url: Option<String>,
    /// Seconds between upstream syncs (if DATA/upstream.json exists).
    #[arg(long, default_value_t = 300)]
    upstream_every: u64,
    /// ABDM connection (JSON, see docs/abdm.md); default DATA/abdm.json if present. With --demo
    /// and none given, a loopback ABDM simulator is started in this process.
    #[arg(long)]
    abdm: Option<PathBuf>,
}

fn out(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn json<T: serde::Serialize>(v: &T) {
    out(&serde_json::to_string_pretty(v).unwrap_or_default());
}

fn upstream_file(data: &std::path::Path) -> PathBuf {
    data.join("upstream.json")
}

fn load_fhir(data: &std::path::Path) -> Result<abha_hub::export::fhir::FhirConfig, HubError> {
    abha_hub::export::fhir::FhirConfig::load(data).map_err(|e| HubError::Config(e.to_string()))
}

fn load_upstream(data: &std::path::Path) -> Result<Option<UpstreamConfig>, HubError> {
    match std::fs::read_to_string(upstream_file(data)) {
        Ok(text) => {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| HubError::Config("upstream.json is invalid".into()))?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            Ok(Some(UpstreamConfig {
                url: field("url")
                    .ok_or_else(|| HubError::Config("upstream.json lacks url".into()))?,
                token: field("token")
                    .ok_or_else(|| HubError::Config("upstream.json lacks token".into()))?,
                pin: field("pin"),
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn load_abdm(
    data: &std::path::Path,
    path: Option<&std::path::Path>,
) -> Result<Option<abha_core::abdm::AbdmConfig>, HubError> {
    let default = data.join("abdm.json");
    let path = path.unwrap_or(&default);
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| HubError::Config(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && path == default => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The demo's ABDM: the simulator on loopback, accepting any well-formed Aadhaar number as a
/// resident with the details sent, with sandbox-like latency.
async fn demo_abdm() -> Result<(abha_abdm_sim::SimHandle, abha_core::abdm::AbdmConfig), HubError> {
    let sim_config = abha_abdm_sim::SimConfig {
        accept_unknown: true,
        latency_ms: 250,
        ..abha_abdm_sim::SimConfig::default()
    };
    let sim = abha_abdm_sim::Sim::start(sim_config.clone())
        .await
        .map_err(|e| HubError::Config(format!("ABDM simulator: {e}")))?;
    let config = abha_core::abdm::AbdmConfig {
        gateway_base: sim.gateway_base(),
        abha_base: sim.abha_base(),
        client_id: sim_config.client_id,
        client_secret: sim_config.client_secret,
        benefit_name: sim_config.benefit_names.first().cloned(),
        // Scan and Share as a demo facility: the simulator plays ABDM's gateway and calls back.
        share: abha_core::abdm::ShareConfig {
            hip_id: Some(DEMO_HIP_ID.into()),
            counters: vec!["OPD1".into(), "OPD2".into()],
            jwt_issuer: Some(abha_abdm_sim::GATEWAY_ISSUER.into()),
            ..abha_core::abdm::ShareConfig::default()
        },
        ..abha_core::abdm::AbdmConfig::default()
    };
    Ok((sim, config))
}

/// The demo camp's facility id (HFR-shaped, not a real facility).
const DEMO_HIP_ID: &str = "IN0110000001";

/// Points the demo's simulated gateway at this hub: its callback URL (by the name its own
/// certificate carries, `localhost`) and that certificate as a trusted root. Prints how to play
/// a person scanning a counter code.
fn wire_demo_share(
    sim: &abha_abdm_sim::SimHandle,
    hub: &Hub,
    tls: &TlsMode,
    bound: std::net::SocketAddr,
    public_url: &str,
) -> Result<(), HubError> {
    let bridge = match tls {
        TlsMode::Off => format!("http://{bound}"),
        TlsMode::SelfSigned => {
            let pem = std::fs::read_to_string(cli_tls_cert(&hub.config.data_dir))?;
            sim.trust_hip_certificate(&pem).map_err(HubError::Config)?;
            format!("https://localhost:{}", bound.port())
        }
        TlsMode::Files { .. } => public_url.to_owned(),
    };
    sim.set_bridge_url(&bridge);
    let Some(share) = hub.config.abdm.as_ref().map(|a| &a.share) else {
        return Ok(());
    };
    let counter = abha_core::abdm::share::counter_url(&share.share_base, DEMO_HIP_ID, "OPD1")
        .map_err(|e| HubError::Config(e.to_string()))?;
    out(&format!(
        "\nScan and Share (demo): counter codes {public_url}/dash/counters, token board {public_url}/dash/tokens.\n\
         Play a person scanning counter OPD1: curl -s -X POST {}/_sim/share/scan \\\n  \
         -H 'content-type: application/json' -d '{{\"url\":\"{counter}\",\"abha_address\":\"demo.person@sbx\"}}'",
        sim.base_url()
    ));
    Ok(())
}

/// Where `serve` keeps its self-signed certificate (`tls::self_signed`).
fn cli_tls_cert(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("tls").join("cert.pem")
}

fn print_qr(payload: &str, svg: Option<&std::path::Path>) -> Result<(), HubError> {
    let code = QrCode::new(payload.as_bytes()).map_err(|e| HubError::Config(e.to_string()))?;
    out(&code.render::<unicode::Dense1x2>().quiet_zone(true).build());
    if let Some(path) = svg {
        let image = code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .build();
        std::fs::write(path, image)?;
    }
    Ok(())
}

fn print_slip(hub: &Hub, household: &str, svg: Option<&std::path::Path>) -> Result<(), HubError> {
    let store = hub.sqlite()?;
    let fail = |e: abha_hub::slip::SlipPrintError| HubError::Config(e.to_string());
    let h = abha_hub::slip::find(store, household).map_err(fail)?;
    let slip = abha_hub::slip::slip_of(&hub.keys.slip, &h).map_err(fail)?;
    print_qr(&slip.payload, None)?;
    if let Some(path) = svg {
        let villages = store.villages()?;
        let village = villages.iter().find(|v| Some(v.id) == h.village_id);
        std::fs::write(path, slip.svg_document(village.map(|v| v.name.as_str())))?;
    }
    json(&slip);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Result<(), HubError> {
    let tls = match (&args.cert, &args.key, args.plain_http) {
        (Some(cert), Some(key), _) => TlsMode::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        (_, _, true) => TlsMode::Off,
        _ => TlsMode::SelfSigned,
    };
    let scheme = if tls == TlsMode::Off { "http" } else { "https" };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let bound = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{bound}"));
    let mut abdm = load_abdm(&cli.data, args.abdm.as_deref())?;
    let mut _sim = None;
    if abdm.is_none() && args.demo {
        let (sim, config) = demo_abdm().await?;
        out(&format!("ABDM simulator (demo only) at {}", sim.base_url()));
        _sim = Some(sim);
        abdm = Some(config);
    }
    let config = HubConfig {
        data_dir: cli.data.clone(),
        tls,
        abdm,
        upstream: load_upstream(&cli.data)?,
        upstream_every: Duration::from_secs(args.upstream_every.max(10)),
        demo_keys: cli.demo_keys || args.demo,
        public_url: Some(public_url.clone()),
        fhir: load_fhir(&cli.data)?,
        database: cli.database.clone(),
        ..HubConfig::default()
    };
    let hub = Hub::open(config)?;
    if let Some(sim) = &_sim {
        wire_demo_share(sim, &hub, &hub.config.tls, bound, &public_url)?;
    }
    if args.demo {
        let summary = demo::seed(hub.sqlite()?, &hub.keys, &cli.data, 300).await?;
        json(&summary);
        let villages: Vec<VillageId> = hub
            .sqlite()?
            .villages()?
            .into_iter()
            .map(|v| v.id)
            .collect();
        let (code, _) = registry::create_code(
            hub.sqlite()?,
            Role::Worker,
            &villages,
            Some("demo"),
            24 * 3_600_000,
        )?;
        if !users::any(hub.sqlite()?).map_err(|e| HubError::Config(e.to_string()))? {
            for (name, role, password) in DEMO_USERS {
                users::create(hub.sqlite()?, name, Some(name), role, &[], password)
                    .map_err(|e| HubError::Config(e.to_string()))?;
            }
        }
        out(&format!(
            "\nDashboard: {public_url}/dash  (demo sign-ins: {})",
            DEMO_USERS
                .iter()
                .map(|(n, _, p)| format!("{n} / {p}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let pin = hub.pin().map(|p| p.to_hex());
        out(&format!(
            "\nEnrol a tablet (valid 24 h): abha-field --home DIR enroll-device {code} --hub {public_url}{}",
            pin.as_deref()
                .map(|p| format!(" --pin {p}"))
                .unwrap_or_default()
        ));
        print_qr(
            &server::qr_payload(&hub.config, pin.as_deref(), &code),
            None,
        )?;
    }
    if let Some(pin) = hub.pin() {
        out(&format!(
            "certificate fingerprint (SHA-256): {}",
            pin.to_hex()
        ));
    }
    out(&format!("serving {scheme}://{bound} (Ctrl-C to stop)"));
    hub.serve(listener, shutdown_signal()).await
}

async fn run(cli: Cli) -> Result<(), HubError> {
    let open = |cli: &Cli| {
        Hub::open(HubConfig {
            data_dir: cli.data.clone(),
            tls: TlsMode::SelfSigned,
            demo_keys: cli.demo_keys,
            fhir: load_fhir(&cli.data)?,
            database: cli.database.clone(),
            ..HubConfig::default()
        })
    };
    match &cli.command {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Code {
            role,
            villages,
            label,
            ttl_hours,
            public_url,
            svg,
            camp,
        } => {
            let hub = open(&cli)?;
            let role = Role::parse(role).ok_or_else(|| HubError::Config("unknown role".into()))?;
            let villages: Vec<VillageId> =
                villages.iter().map(|v| VillageId::from_lgd(*v)).collect();
            let ttl = i64::from((*ttl_hours).clamp(1, 168)) * 3_600_000;
            let (code, expires_at) = hub.storage.create_code_for(
                role,
                &villages,
                label.as_deref(),
                ttl,
                camp.as_deref(),
            )?;
            let config = HubConfig {
                public_url: public_url.clone(),
                ..hub.config.clone()
            };
            let pin = hub.pin().map(|p| p.to_hex());
            let payload = server::qr_payload(&config, pin.as_deref(), &code);
            print_qr(&payload, svg.as_deref())?;
            json(
                &serde_json::json!({"code": code, "expires_at": expires_at, "qr_payload": payload}),
            );
            Ok(())
        }
        Command::Token { role, label } => {
            let hub = open(&cli)?;
            let role = Role::parse(role).ok_or_else(|| HubError::Config("unknown role".into()))?;
            let (id, token) = hub
                .storage
                .create_device(role, &[], label.as_deref(), None)?;
            json(&serde_json::json!({"device_id": id, "role": role.code(), "token": token}));
            Ok(())
        }
        Command::Devices => {
            json(&open(&cli)?.storage.list_devices()?);
            Ok(())
        }
        Command::Revoke { id } => {
            open(&cli)?.storage.revoke(id)?;
            json(&serde_json::json!({"ok": true}));
            Ok(())
        }
        Command::EnrolUpstream { url, code, pin } => {
            let hub = open(&cli)?;
            let parsed = match pin {
                Some(p) => Some(Pin::parse(p).ok_or_else(|| HubError::Config("bad --pin".into()))?),
                None => None,
            };
            let t = HttpTransport::new(url, None, parsed, Duration::from_secs(30))
                .map_err(|e| HubError::Config(e.to_string()))?;
            let reply: EnrolReply = t
                .json(
                    "/v1/devices/enrol",
                    &EnrolRequest {
                        code: code.clone(),
                        replica: hub.sqlite()?.replica_id(),
                        app_version: abha_core::VERSION.to_owned(),
                        label: Some("hub".into()),
                    },
                )
                .await
                .map_err(|e| HubError::Config(format!("enrolment refused: {e}")))?;
            let body = serde_json::json!({"url": url, "token": reply.token, "pin": pin});
            std::fs::write(
                upstream_file(&cli.data),
                serde_json::to_vec_pretty(&body).unwrap_or_default(),
            )?;
            json(
                &serde_json::json!({"ok": true, "device_id": reply.device_id, "role": reply.role}),
            );
            Ok(())
        }
        Command::Demo { households } => {
            let hub = Hub::open(HubConfig {
                data_dir: cli.data.clone(),
                tls: TlsMode::Off,
                demo_keys: true,
                ..HubConfig::default()
            })?;
            json(&demo::seed(hub.sqlite()?, &hub.keys, &cli.data, *households).await?);
            Ok(())
        }
        Command::User(cmd) => user(&open(&cli)?, cmd),
        Command::Report(ReportCommand::DayEnd { date, camp, csv }) => {
            let hub = open(&cli)?;
            let date = parse_date(date.as_deref())?;
            let area = Area::resolve(hub.sqlite()?, &Reach::All).map_err(review_error)?;
            let d = dayend::day_end(hub.sqlite()?, &area, date, camp.as_deref())
                .map_err(review_error)?;
            if *csv {
                let _ = write!(std::io::stdout(), "{}", dayend::to_csv(&d));
            } else {
                let _ = write!(std::io::stdout(), "{}", dayend::to_table(&d));
            }
            Ok(())
        }
        Command::Targets { file } => {
            let hub = open(&cli)?;
            let text = std::fs::read_to_string(file)?;
            let area = Area::resolve(hub.sqlite()?, &Reach::All).map_err(review_error)?;
            let r = abha_hub::review::coverage::import_targets(hub.sqlite()?, &area, &text, "cli")
                .map_err(review_error)?;
            json(&r);
            if r.errors.is_empty() {
                Ok(())
            } else {
                Err(HubError::Config(
                    "targets not imported: fix the lines listed".into(),
                ))
            }
        }
        Command::Export {
            format,
            village,
            out: path,
        } => {
            let hub = open(&cli)?;
            let villages: Option<Vec<VillageId>> = village.map(|v| vec![VillageId::from_lgd(v)]);
            let rows = abha_hub::export::members(hub.sqlite()?, villages.as_deref())
                .map_err(|e| HubError::Config(e.to_string()))?;
            let text = if format == "csv" {
                if village.is_none() {
                    return Err(HubError::Config("--village is required for csv".into()));
                }
                abha_hub::export::csv::village_csv(&rows)
                    .map_err(|e| HubError::Config(e.to_string()))?
            } else {
                serde_json::to_string_pretty(&abha_hub::export::fhir::bundle(
                    &rows,
                    &hub.config.fhir,
                    time::OffsetDateTime::now_utc(),
                ))
                .unwrap_or_default()
            };
            match path {
                Some(p) => std::fs::write(p, text)?,
                None => {
                    let _ = write!(std::io::stdout(), "{text}");
                }
            }
            Ok(())
        }
        Command::Card {
            member,
            enrollment,
            format,
            out: path,
        } => {
            let hub = open(&cli)?;
            let id = |s: &str| {
                uuid::Uuid::parse_str(s.trim()).map_err(|_| HubError::Config("malformed id".into()))
            };
            let subject = match (member, enrollment) {
                (Some(m), _) => card::Subject::Member(MemberId::from_uuid(id(m)?)),
                (None, Some(e)) => card::Subject::Enrollment(EnrollmentId::from_uuid(id(e)?)),
                (None, None) => return Err(HubError::Config("--member or --enrollment".into())),
            };
            let format = card::Format::parse(format).unwrap_or(card::Format::Png);
            let e = card::write_file(hub.sqlite()?, &cli.data, subject, format, path)
                .map_err(|e| HubError::Config(format!("{} ({})", e, e.code())))?;
            json(
                &serde_json::json!({"ok": true, "enrollment_id": e.to_string(), "format": format.code()}),
            );
            Ok(())
        }
        Command::CounterQr {
            counter,
            out: path,
            abdm,
        } => {
            let config = load_abdm(&cli.data, abdm.as_deref())?
                .ok_or_else(|| HubError::Config("no ABDM configuration (DATA/abdm.json)".into()))?;
            let (url, svg) = abha_hub::share::counter_svg(&config.share, counter)
                .map_err(|e| HubError::Config(e.to_string()))?;
            match path {
                Some(p) => {
                    std::fs::write(p, svg)?;
                    json(&serde_json::json!({"counter": counter.trim(), "url": url}));
                }
                None => {
                    let _ = write!(std::io::stdout(), "{svg}");
                }
            }
            Ok(())
        }
        Command::Status => {
            let hub = open(&cli)?;
            json(&demo::summarize(hub.sqlite()?)?);
            Ok(())
        }
        Command::Slip { household, svg } => print_slip(&open(&cli)?, household, svg.as_deref()),
    }
}

fn review_error(e: abha_hub::review::ReviewError) -> HubError {
    HubError::Config(e.to_string())
}

fn parse_date(s: Option<&str>) -> Result<time::Date, HubError> {
    match s {
        None => Ok(abha_core::capture::today_ist()),
        Some(s) => time::Date::parse(
            s,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| HubError::Config("--date must be YYYY-MM-DD".into())),
    }
}

fn read_password() -> Result<zeroize::Zeroizing<String>, HubError> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line)?;
    let trimmed = zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(trimmed)
}

fn user(hub: &Hub, cmd: &UserCommand) -> Result<(), HubError> {
    let fail = |e: users::UserError| HubError::Config(e.to_string());
    match cmd {
        UserCommand::Add {
            username,
            role,
            districts,
            display_name,
        } => {
            let role = Role::parse(role).ok_or_else(|| HubError::Config("unknown role".into()))?;
            let password = read_password()?;
            let id = users::create(
                hub.sqlite()?,
                username,
                display_name.as_deref(),
                role,
                districts,
                &password,
            )
            .map_err(fail)?;
            json(&serde_json::json!({"user_id": id, "username": username, "role": role.code()}));
        }
        UserCommand::Password { username } => {
            let password = read_password()?;
            if !users::set_password(hub.sqlite()?, username, &password).map_err(fail)? {
                return Err(HubError::Config("no such user".into()));
            }
            json(&serde_json::json!({"ok": true}));
        }
    }
    Ok(())
}

/// Demo sign-ins, created when the demo hub has no dashboard user yet.
const DEMO_USERS: [(&str, Role, &str); 2] = [
    ("organiser", Role::Organiser, "organiser-demo"),
    ("supervisor", Role::Supervisor, "supervisor-demo"),
];

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ABHA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "hub command failed");
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(1)
        }
    }
}
