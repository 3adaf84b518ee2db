//! `outbound witness init|run`: a witness that follows companies' audit logs,
//! cosigns each consistent checkpoint (C2SP `tlog-cosignature`) and raises
//! alarms (see `outbound-witness`); and the witnesses a company trusts
//! (`--witness`, `--witness-quorum`) for `outbound serve` and
//! `outbound audit checkpoint --witnessed`.

use std::path::PathBuf;
use std::time::Duration;

use outbound_store::cosign::WitnessPolicy;
use outbound_witness::{Config, Event};

use crate::output::{Format, outln};

/// The witnesses a company trusts and the quorum of their cosignatures a
/// checkpoint needs to count as published.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct WitnessOpts {
    /// A witness's verifier key, `<name>+<id>+<base64>`, as `outbound witness
    /// init` prints it (repeat the flag, or separate keys with commas).
    #[arg(long = "witness", env = "OUTBOUND_WITNESSES", value_delimiter = ',')]
    pub(crate) witnesses: Vec<String>,
    /// How many of those witnesses must cosign a checkpoint before
    /// `/log/checkpoint.witnessed` serves it.
    #[arg(long, env = "OUTBOUND_WITNESS_QUORUM", default_value_t = 0)]
    pub(crate) witness_quorum: usize,
}

impl WitnessOpts {
    pub(crate) fn policy(&self) -> anyhow::Result<WitnessPolicy> {
        let keys: Vec<String> = self
            .witnesses
            .iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        WitnessPolicy::parse(&keys, self.witness_quorum)
            .map_err(|e| anyhow::anyhow!("--witness: {e}"))
    }
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum WitnessCmd {
    /// Create the witness's name and Ed25519 key in its state directory
    /// (owner-only) and print its verifier key, for the companies' `--witness`.
    Init {
        /// The state directory (created 0700).
        #[arg(long)]
        state: PathBuf,
        /// The witness's name, a schema-less URL (`witness.example.org/w1`).
        #[arg(long)]
        name: String,
    },
    /// Follow the logs of a configuration: check each new checkpoint, cosign
    /// it, deliver the cosignature; alarms on a fork, rollback or bad signature.
    Run {
        /// The logs (TOML: `[[log]]` tables with `origin`, `url` and `key`).
        #[arg(long)]
        config: PathBuf,
        /// The state directory made by `outbound witness init`.
        #[arg(long)]
        state: PathBuf,
        /// Poll each log once and exit: 2 if an alarm was raised, 1 if a log
        /// could not be checked, else 0.
        #[arg(long)]
        once: bool,
        /// Seconds between polls.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
        interval: u64,
        /// `json`: one JSON object per event, on standard output.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub(crate) fn run(cmd: &WitnessCmd) -> anyhow::Result<u8> {
    match cmd {
        WitnessCmd::Init { state, name } => {
            let id = outbound_witness::init(state, name)?;
            outln!("{}", id.verifier_key())?;
            Ok(0)
        }
        WitnessCmd::Run {
            config,
            state,
            once,
            interval,
            format,
        } => {
            let config = Config::load(config)?;
            let mut errors = false;
            let mut failed: Option<std::io::Error> = None;
            let alarmed = outbound_witness::run(
                state,
                &config,
                *once,
                Duration::from_secs(*interval),
                |e| {
                    errors |= matches!(e, Event::Error { .. });
                    if let Err(err) = print(e, *format)
                        && failed.is_none()
                    {
                        failed = Some(err);
                    }
                },
            )?;
            if let Some(e) = failed {
                return Err(e.into());
            }
            Ok(if alarmed {
                2
            } else if errors {
                1
            } else {
                0
            })
        }
    }
}

/// One event: JSON with `--format json`; otherwise a line of text, except
/// an alarm, which is always its JSON line (as in `alarms.jsonl`). A log
/// that could not be checked goes to standard error.
fn print(e: &Event, format: Format) -> std::io::Result<()> {
    if format == Format::Json {
        return outln!("{}", serde_json::to_string(e).expect("an event serialises"));
    }
    match e {
        Event::Cosigned {
            origin,
            size,
            previous,
            delivered,
            delivery_error,
        } => {
            let from = previous.map_or_else(|| "first seen".to_string(), |p| format!("from {p}"));
            outln!("{origin}: cosigned size {size} ({from}, consistent)")?;
            if !delivered {
                eprintln!(
                    "{origin}: the cosignature was not delivered: {}",
                    delivery_error.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        Event::Unchanged { origin, size } => outln!("{origin}: unchanged at size {size}"),
        Event::Alarm(a) => outln!("{}", serde_json::to_string(a).expect("an alarm serialises")),
        Event::Error { origin, message } => {
            eprintln!("{origin}: not checked this time: {message}");
            Ok(())
        }
    }
}
