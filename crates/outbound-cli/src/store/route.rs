//! `outbound route suspend|resume|list`: stop and restart a route.

use super::StoreOpts;
use crate::output::{outln, table};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum RouteCmd {
    /// Stop a route: every batch of the transfer is refused until it is resumed.
    Suspend {
        /// Transfer id.
        transfer: String,
        /// Why (a regulator's order, a recipient in breach …).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// Restart a suspended route.
    Resume {
        /// Transfer id.
        transfer: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreOpts,
    },
    /// List routes with a recorded state.
    List {
        #[command(flatten)]
        store: StoreOpts,
    },
}

pub(crate) fn run(cmd: &RouteCmd) -> anyhow::Result<u8> {
    match cmd {
        RouteCmd::Suspend {
            transfer,
            reason,
            store,
        }
        | RouteCmd::Resume {
            transfer,
            reason,
            store,
        } => {
            let suspend = matches!(cmd, RouteCmd::Suspend { .. });
            let (s, k) = store.open()?;
            let idx = s.set_route(&k, &crate::common::cli_actor(), transfer, suspend, reason)?;
            outln!(
                "{} {transfer} (audit entry {idx})",
                if suspend { "suspended" } else { "resumed" }
            )?;
            Ok(0)
        }
        RouteCmd::List { store } => {
            let (s, _) = store.open()?;
            let mut t = table(&["transfer", "state", "since", "reason"]);
            for r in s.routes()? {
                t.add_row(vec![
                    r.transfer,
                    if r.suspended {
                        "SUSPENDED".into()
                    } else {
                        "open".into()
                    },
                    r.at,
                    r.reason,
                ]);
            }
            outln!("{t}")?;
            Ok(0)
        }
    }
}
