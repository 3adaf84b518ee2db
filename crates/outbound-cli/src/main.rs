//! `outbound`: govern personal data that crosses borders.
//!
//! A thin command line over the library crates: every command parses its
//! arguments, calls one library function and renders the result. Exit codes:
//! 0 success, 1 findings (an invalid map, an unsatisfied route with
//! `--strict`), 2 unreadable input or a usage error.

mod assess;
mod common;
mod complaint;
mod demo;
mod demo_association;
mod evaluate;
mod gate;
mod incident;
mod init;
mod output;
mod recipient;
mod report;
mod request;
mod review;
mod rules;
mod scan;
mod serve;
mod snapshot;
mod status;
mod store;
mod validate;
mod witness;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use output::Format;

/// Govern personal data that crosses borders: data map, transfer rules with citations, scanner.
#[derive(Parser, Debug)]
#[command(name = "outbound", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a commented starter data map into DIR.
    Init {
        /// Directory to create (must be empty or absent).
        dir: PathBuf,
    },
    /// Check a data map (a YAML file or a directory of them) and report every problem.
    Validate {
        /// The map.
        map: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Decide, per transfer and regime, the route required and what remains to do.
    Assess(assess::AssessArgs),
    /// Run the rules on one facts document (JSON; `-` for stdin).
    Evaluate {
        /// Facts file, or `-` for standard input.
        #[arg(long)]
        facts: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List the regimes, instruments, thresholds and taxonomy the engine knows.
    Rules {
        /// List the taxonomy of categories instead.
        #[arg(long)]
        taxonomy: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Print the JSON Schema of the data-map format.
    Schema,
    /// Find, validate and count personal information in files and database tables.
    Scan(scan::ScanArgs),
    /// Pass one outbound batch through the gate: scan, policy, consent, transforms, counting, rules, ledger.
    Gate(gate::GateArgs),
    /// Counts from the ledger against each threshold, with the trend and projected crossing dates.
    Status(status::StatusArgs),
    /// Create the store and its keys.
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// Suspend or resume a route (a regulator's order, a recipient in breach).
    #[command(subcommand)]
    Route(store::route::RouteCmd),
    /// Overseas recipients: the obligations they signed, their attestations, where each stands.
    #[command(subcommand)]
    Recipient(recipient::RecipientCmd),
    /// Import or withdraw separate consents.
    #[command(subcommand)]
    Consent(store::consent::ConsentCmd),
    /// Verify the audit log, and give and check proofs a third party can verify.
    #[command(subcommand)]
    Audit(store::audit::AuditCmd),
    /// Write the PIPIA report, contract annexes, filing package, GDPR records and compliance summary.
    Report(report::ReportArgs),
    /// Run the main job end to end on the bundled example.
    Demo(demo_association::DemoCmd),
    /// Serve the API and the web dashboard over the store (loopback by default).
    Serve(serve::ServeArgs),
    /// Accounts that sign in to the server.
    #[command(subcommand)]
    User(serve::UserCmd),
    /// API tokens.
    #[command(subcommand)]
    Token(serve::TokenCmd),
    /// The incident register and its notification clocks.
    #[command(subcommand)]
    Incident(incident::IncidentCmd),
    /// Complaints from the public channel: triage, deadline, answer.
    #[command(subcommand)]
    Complaint(complaint::ComplaintCmd),
    /// Rights requests of individuals: due dates, forwarding to recipients, answers.
    #[command(subcommand)]
    Request(request::RequestCmd),
    /// Compliance snapshots: publish one per period (signed, no personal data, its hash in the log).
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCmd),
    /// An industry association: members, their checked snapshots, ratings.
    #[command(subcommand)]
    Association(snapshot::AssociationCmd),
    /// A witness: follow companies' audit logs, cosign consistent checkpoints, raise alarms.
    #[command(subcommand)]
    Witness(witness::WitnessCmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init { dir } => init::run(&dir),
        Command::Validate { map, format } => validate::run(&map, format),
        Command::Assess(args) => assess::run(&args),
        Command::Evaluate { facts, format } => evaluate::run(&facts, format),
        Command::Rules { taxonomy, format } => rules::run(taxonomy, format),
        Command::Schema => output::print_json(&outbound_model::json_schema()).map(|()| 0),
        Command::Scan(args) => scan::run(&args),
        Command::Gate(args) => gate::run_gate(&args),
        Command::Status(args) => status::run(&args),
        Command::Store(cmd) => store::run(&cmd),
        Command::Route(cmd) => store::route::run(&cmd),
        Command::Recipient(cmd) => recipient::run(&cmd),
        Command::Consent(cmd) => store::consent::run(&cmd),
        Command::Audit(cmd) => store::audit::run(&cmd),
        Command::Report(args) => report::run(&args),
        Command::Demo(cmd) => demo_association::dispatch(&cmd),
        Command::Serve(args) => serve::run_serve(&args),
        Command::User(cmd) => serve::run_user(&cmd),
        Command::Token(cmd) => serve::run_token(&cmd),
        Command::Incident(cmd) => incident::run(&cmd),
        Command::Complaint(cmd) => complaint::run(&cmd),
        Command::Request(cmd) => request::run(&cmd),
        Command::Snapshot(cmd) => snapshot::run(&cmd),
        Command::Association(cmd) => snapshot::run_association(&cmd),
        Command::Witness(cmd) => witness::run(&cmd),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
