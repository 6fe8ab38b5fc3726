//! `abha-field`: a field device on the command line.
//!
//! It drives `abha-core` exactly as the tablet app does (same validation, sealing, store and
//! outbox) so that demos, support sessions and black-box tests exercise the real code without an
//! Android device. Every command takes `--home DIR` (the device's data) and `--json`.

mod commands;
mod home;
mod output;
mod slip_cmd;
mod sync_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::output::{CliError, print_error};

/// A field device on the command line.
#[derive(Debug, Parser)]
#[command(name = "abha-field", version, about)]
struct Cli {
    /// The device's data directory.
    #[arg(
        long,
        global = true,
        env = "ABHA_FIELD_HOME",
        default_value = ".field-home"
    )]
    home: PathBuf,
    /// Print results and errors as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a device home: keys, settings and an empty encrypted store.
    Init {
        /// PEM or base64-DER public key Aadhaar numbers are sealed to (default: the demo key).
        #[arg(long)]
        sealing_key: Option<PathBuf>,
        /// File with the 64-hex-digit deployment token key (default: a new random key).
        #[arg(long)]
        token_key: Option<PathBuf>,
    },
    /// Villages (LGD master data).
    #[command(subcommand)]
    Village(VillageCmd),
    /// Device operators.
    #[command(subcommand)]
    Worker(WorkerCmd),
    /// Households.
    #[command(subcommand)]
    Household(HouseholdCmd),
    /// Household members.
    #[command(subcommand)]
    Member(MemberCmd),
    /// Pending (unsynced) work on this device, last sync and conflicts.
    Status,
    /// Enrol this device with a hub, using a one-time code (or the QR code's JSON).
    EnrollDevice {
        /// The code, e.g. ZKKHD-6X0W8, or the QR payload.
        code: String,
        /// The hub's URL (taken from the QR payload if given there).
        #[arg(long)]
        hub: Option<String>,
        /// The hub certificate's SHA-256 fingerprint (taken from the QR payload if given there).
        #[arg(long)]
        pin: Option<String>,
    },
    /// Capture made-up demo households (for demos and load tests), one durable change each;
    /// prints one JSON line per household as soon as it is stored.
    DemoCapture {
        /// LGD village code (the village must be on the device).
        #[arg(long)]
        village: u32,
        /// How many households.
        #[arg(long, default_value_t = 10)]
        count: u32,
        /// Seed for the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Sync with the hub: send this device's work, receive its villages' updates.
    Sync {
        /// Another address for the enrolled hub.
        #[arg(long)]
        hub: Option<String>,
        /// Ops per batch.
        #[arg(long, default_value_t = 5000)]
        max_ops: u32,
    },
    /// Open the household a scanned slip names (verified offline with the hub's key), or a
    /// household by its printed code; says so when the household is not on this device yet.
    ScanSlip {
        /// The slip's QR payload (ABHF1:...), or the code printed under it.
        payload: String,
    },
    /// Check one identifier: aadhaar, vid, abha-number, abha-address, mobile, pincode, hfr, hpr.
    /// Always exits 0 when the kind is known, valid or not.
    Validate {
        /// What kind of identifier.
        kind: String,
        /// The value.
        value: String,
    },
}

#[derive(Debug, Subcommand)]
enum VillageCmd {
    /// Add or update a village.
    Add {
        /// LGD state code (Jammu & Kashmir is 1).
        #[arg(long)]
        state: u32,
        /// LGD district code.
        #[arg(long)]
        district: u32,
        /// LGD sub-district code.
        #[arg(long)]
        subdistrict: u32,
        /// LGD village code.
        #[arg(long)]
        village: u32,
        /// Village name.
        #[arg(long)]
        name: String,
    },
    /// List villages.
    List,
}

#[derive(Debug, Subcommand)]
enum WorkerCmd {
    /// Add an operator and make it this device's current operator.
    Add {
        /// State-issued ASHA id.
        #[arg(long)]
        asha_id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// HPR id, if any.
        #[arg(long)]
        hpr_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum HouseholdCmd {
    /// Add a household: from flags, or a whole form with members as JSON (`--from FILE`, `-` for
    /// stdin; the way to pass Aadhaar numbers, which never go on the command line).
    Add(HouseholdAdd),
    /// List households, newest first.
    List {
        /// Only this LGD village code.
        #[arg(long)]
        village: Option<u32>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show a household and its members, by id or printed code.
    Show {
        /// Household id or code (e.g. K3M9-QXD7).
        household: String,
    },
}

#[derive(Debug, Args)]
struct HouseholdAdd {
    /// JSON form: {"village": CODE, "address", "pincode", "lat", "lon", "members": [...]}.
    #[arg(long, conflicts_with_all = ["village", "address"])]
    from: Option<PathBuf>,
    /// LGD village code.
    #[arg(long, required_unless_present = "from")]
    village: Option<u32>,
    /// Address line.
    #[arg(long, required_unless_present = "from")]
    address: Option<String>,
    /// PIN code.
    #[arg(long)]
    pincode: Option<String>,
    /// GPS latitude.
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<f64>,
    /// GPS longitude.
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<f64>,
}

#[derive(Debug, Subcommand)]
enum MemberCmd {
    /// Add a member to a household.
    Add(Box<MemberAdd>),
    /// Find members by name (any script).
    Search {
        /// Part of a name.
        query: String,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Args)]
struct MemberAdd {
    /// Household id or code.
    #[arg(long)]
    household: String,
    /// Given name.
    #[arg(long)]
    given_name: String,
    /// Middle name.
    #[arg(long)]
    middle_name: Option<String>,
    /// Family name.
    #[arg(long)]
    family_name: Option<String>,
    /// Latin transliteration.
    #[arg(long)]
    name_latin: Option<String>,
    /// M, F or O.
    #[arg(long)]
    gender: String,
    /// YYYY-MM-DD, or YYYY if only the year is known.
    #[arg(long)]
    birth_date: String,
    /// Relation to the head (head, spouse, son, daughter, ...).
    #[arg(long)]
    relation: String,
    /// Mobile number.
    #[arg(long)]
    mobile: Option<String>,
    /// Existing ABHA number.
    #[arg(long)]
    abha_number: Option<String>,
    /// Existing ABHA address.
    #[arg(long)]
    abha_address: Option<String>,
    /// Read the Aadhaar number from the first line of stdin (never from the command line).
    #[arg(long)]
    aadhaar_stdin: bool,
}

fn run(cli: Cli) -> Result<(), CliError> {
    let json = cli.json;
    let home = cli.home.as_path();
    match cli.command {
        Command::Init {
            sealing_key,
            token_key,
        } => commands::init(home, sealing_key.as_deref(), token_key.as_deref(), json),
        Command::Validate { kind, value } => commands::validate(&kind, &value, json),
        Command::Status => commands::status(home, json),
        Command::EnrollDevice { code, hub, pin } => {
            sync_cmd::enroll(home, &code, hub.as_deref(), pin.as_deref(), json)
        }
        Command::DemoCapture {
            village,
            count,
            seed,
        } => commands::demo_capture(home, village, count, seed),
        Command::Sync { hub, max_ops } => sync_cmd::run_sync(home, hub.as_deref(), max_ops, json),
        Command::ScanSlip { payload } => slip_cmd::scan_slip(home, &payload, json),
        Command::Village(VillageCmd::Add {
            state,
            district,
            subdistrict,
            village,
            name,
        }) => commands::village_add(home, [state, district, subdistrict, village], &name, json),
        Command::Village(VillageCmd::List) => commands::village_list(home, json),
        Command::Worker(WorkerCmd::Add {
            asha_id,
            name,
            hpr_id,
        }) => commands::worker_add(home, asha_id, name, hpr_id, json),
        Command::Household(HouseholdCmd::Add(a)) => {
            let form = match a.from {
                Some(path) => commands::read_form(&path)?,
                None => commands::FormInput {
                    village: a.village,
                    address: a.address.unwrap_or_default(),
                    pincode: a.pincode,
                    lat: a.lat,
                    lon: a.lon,
                    members: Vec::new(),
                },
            };
            commands::household_add(home, form, json)
        }
        Command::Household(HouseholdCmd::List { village, limit }) => {
            commands::household_list(home, village, limit, json)
        }
        Command::Household(HouseholdCmd::Show { household }) => {
            commands::household_show(home, &household, json)
        }
        Command::Member(MemberCmd::Add(m)) => {
            let aadhaar = if m.aadhaar_stdin {
                Some(commands::read_secret_line()?)
            } else {
                None
            };
            let draft = abha_core::model::MemberDraft {
                given_name: m.given_name,
                middle_name: m.middle_name,
                family_name: m.family_name,
                name_latin: m.name_latin,
                gender: m.gender,
                birth_date: m.birth_date,
                mobile: m.mobile,
                relation: m.relation,
                aadhaar,
                abha_number: m.abha_number,
                abha_address: m.abha_address,
            };
            commands::member_add(home, &m.household, draft, json)
        }
        Command::Member(MemberCmd::Search { query, limit }) => {
            commands::member_search(home, &query, limit, json)
        }
    }
}

fn main() -> ExitCode {
    // A bug must not print a stack trace (it could show data); report a code instead.
    std::panic::set_hook(Box::new(|_| {
        print_error(&CliError::new("internal", "internal error"), true);
    }));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ABHA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print_error(&e, json);
            ExitCode::from(e.exit)
        }
    }
}
