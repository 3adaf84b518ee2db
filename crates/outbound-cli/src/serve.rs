//! `outbound serve`: the API and the dashboard over the store (see
//! `outbound-server`), and `outbound user` / `outbound token`, the accounts
//! they sign in with.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use jiff::civil::Date;
use outbound_store::Role;

use crate::common::{cli_actor, load_valid, parse_date};
use crate::output::{outln, table};
use crate::store::StoreOpts;

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// The data map (a YAML file or a directory).
    #[arg(long, env = "OUTBOUND_MAP")]
    pub(crate) map: PathBuf,
    #[command(flatten)]
    pub(crate) store: StoreOpts,
    /// Address to listen on; loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) addr: SocketAddr,
    /// Judge as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<Date>,
    /// Mark cookies `Secure` (browsers then send them over HTTPS only). On by
    /// default unless the address is loopback; set it behind a TLS proxy.
    #[arg(long)]
    pub(crate) secure_cookies: bool,
    #[command(flatten)]
    pub(crate) witnesses: crate::witness::WitnessOpts,
    /// The databases the dashboard's /scans may scan: a TOML file of
    /// `[[source]]` tables, each an `id` and a `url` or `url_env` (the page
    /// shows the id only; never a URL typed into a page).
    #[arg(long, env = "OUTBOUND_SCAN_SOURCES", value_name = "FILE")]
    pub(crate) scan_sources: Option<PathBuf>,
}

pub(crate) fn run_serve(args: &ServeArgs) -> anyhow::Result<u8> {
    let loaded = match load_valid(&args.map) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let policy = args.witnesses.policy()?;
    let sources = match &args.scan_sources {
        Some(p) => outbound_server::scan_sources::load(p).map_err(|e| anyhow::anyhow!(e))?,
        None => Vec::new(),
    };
    let (store, keys) = args.store.open()?;
    let location = store.location.clone();
    let state = outbound_server::AppState::new(outbound_server::Config {
        map: loaded.map,
        store,
        keys,
        as_of: args.as_of,
        secure_cookies: args.secure_cookies || !args.addr.ip().is_loopback(),
    });
    state.set_witnesses(policy);
    if !sources.is_empty() {
        let ids: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
        eprintln!(
            "outbound serve: databases /scans may scan: {}",
            ids.join(", ")
        );
    }
    state.set_scan_sources(sources);
    outbound_server::run(state, args.addr, |bound| {
        eprintln!("outbound serve: store {location}");
        eprintln!("outbound serve: listening on http://{bound}/ (Ctrl-C stops)");
    })
    .map_err(|e| anyhow::anyhow!("cannot serve on {}: {e}", args.addr))?;
    Ok(0)
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum UserCmd {
    /// Create an account.
    Add {
        /// The account's name (letters, digits, `.`, `_`, `-`, `@`).
        name: String,
        /// admin, compliance, engineer, auditor, recipient, regulator or association.
        #[arg(long)]
        role: Role,
        /// For a recipient account: the recipient id in the data map it speaks for.
        #[arg(long)]
        recipient: Option<String>,
        /// Read a password for browser sign-in from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Set an account's password, read from standard input (first line).
    Password {
        /// The account.
        name: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: StoreOpts,
    },
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum TokenCmd {
    /// Create an API token for an account; prints it once, on standard output, and nothing else.
    Create {
        /// The account.
        name: String,
        #[command(flatten)]
        store: StoreOpts,
    },
}

fn valid_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        anyhow::bail!(
            "`{name}` is not an account name: 1 to 64 of letters, digits, `.`, `_`, `-`, `@`"
        );
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut s)
        .map_err(|e| anyhow::anyhow!("cannot read the password from standard input: {e}"))?;
    let pw = s.lines().next().unwrap_or_default().to_string();
    if pw.chars().count() < 8 {
        anyhow::bail!("the password must be at least 8 characters");
    }
    Ok(pw)
}

pub(crate) fn run_user(cmd: &UserCmd) -> anyhow::Result<u8> {
    match cmd {
        UserCmd::Add {
            name,
            role,
            recipient,
            password_stdin,
            store,
        } => {
            valid_name(name)?;
            if (*role == Role::Recipient) != recipient.is_some() {
                anyhow::bail!("--recipient ID is needed for, and only for, --role recipient");
            }
            let hash = if *password_stdin {
                Some(
                    outbound_server::auth::hash_password(&read_password()?)
                        .map_err(anyhow::Error::msg)?,
                )
            } else {
                None
            };
            let (s, k) = store.open()?;
            let idx = s.add_account(
                &k,
                &cli_actor(),
                name,
                *role,
                recipient.as_deref(),
                hash.as_deref(),
            )?;
            outln!("added account {name} ({role}) (audit entry {idx})")?;
            Ok(0)
        }
        UserCmd::Password { name, store } => {
            let hash = outbound_server::auth::hash_password(&read_password()?)
                .map_err(anyhow::Error::msg)?;
            let (s, k) = store.open()?;
            let idx = s.set_password(&k, &cli_actor(), name, &hash)?;
            outln!("password set for {name} (audit entry {idx})")?;
            Ok(0)
        }
        UserCmd::List { store } => {
            let (s, _) = store.open()?;
            let mut t = table(&["account", "role", "recipient", "password", "created"]);
            for a in s.accounts()? {
                t.add_row(vec![
                    a.name,
                    a.role.to_string(),
                    a.recipient.unwrap_or_default(),
                    if a.password_hash.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                    a.created_at,
                ]);
            }
            outln!("{t}")?;
            Ok(0)
        }
    }
}

pub(crate) fn run_token(cmd: &TokenCmd) -> anyhow::Result<u8> {
    match cmd {
        TokenCmd::Create { name, store } => {
            let (s, k) = store.open()?;
            let token = outbound_server::auth::new_token();
            s.add_token(
                &k,
                &cli_actor(),
                name,
                &outbound_server::auth::sha256_hex(&token),
            )?;
            outln!("{token}")?;
            Ok(0)
        }
    }
}
