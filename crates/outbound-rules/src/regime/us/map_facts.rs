//! `transfer.us` from a data map: the map's `us:` block, and the 12-month
//! volumes per kind of U.S. sensitive personal data (§202.205) from the map's
//! estimates and the ledger.
//!
//! A counterparty is one exporter (the U.S. person) and one recipient: §202.205
//! aggregates "covered data transactions involving the same U.S. person and the
//! same foreign person". Per kind the volume is the sum of the per-year
//! estimates of every transfer of the map from this exporter to this recipient
//! that carries the kind, plus what the ledger says those transfers delivered
//! in the 12 months up to the date judged. Both parts can count one person
//! twice (the estimates overlap the ledger, and transfers overlap each other),
//! which errs high: the safe side for a threshold defined as "more than".

use jiff::ToSpan;
use jiff::civil::Date;
use outbound_model::{DataMap, Taxonomy, Transfer};
use serde::Deserialize;

use super::{KINDS, bulk_count_mut, us_data};
use crate::assess::CountSource;
use crate::facts::{UsBulk, UsFacts};

/// Which kinds of sensitive personal data a taxonomy category carries
/// (`[[category]]` in `data/us.toml`; the longest matching prefix wins).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryKinds {
    /// A taxonomy category id, matching itself and its sub-categories.
    pub prefix: String,
    /// The §202.205 kinds it carries, possibly none.
    pub kinds: Vec<String>,
}

/// The kinds a taxonomy category carries.
pub fn kinds_of_category(category: &str) -> &'static [String] {
    us_data()
        .category
        .iter()
        .filter(|c| {
            category == c.prefix
                || category
                    .strip_prefix(c.prefix.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .max_by_key(|c| c.prefix.len())
        .map_or(&[], |c| c.kinds.as_slice())
}

/// The kinds a transfer carries, from its fields' categories.
fn kinds_of_transfer(map: &DataMap, t: &Transfer, tax: &Taxonomy) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for f in map.transfer_fields(t) {
        if tax.get(&f.category).is_some_and(|c| !c.personal) {
            continue;
        }
        for k in kinds_of_category(&f.category) {
            if let Some(k) = KINDS.iter().find(|x| **x == k.as_str())
                && !out.contains(k)
            {
                out.push(k);
            }
        }
    }
    out
}

/// A transfer's per-year estimate for one kind: the individuals whose sensitive
/// data it carries for the sensitive kinds (all of them when not stated),
/// every individual for covered personal identifiers.
fn estimate(t: &Transfer, kind: &str) -> u64 {
    if kind == "covered_identifiers" {
        t.individuals_per_year
    } else {
        t.sensitive_individuals_per_year
            .unwrap_or(t.individuals_per_year)
    }
}

/// The facts' `transfer.us` for transfer `t` of `map`, or None when the map
/// gives it no `us:` block.
pub fn us_facts_for_transfer(
    map: &DataMap,
    t: &Transfer,
    as_of: Date,
    ledger: Option<&dyn CountSource>,
) -> Option<UsFacts> {
    let us = t.us.as_ref()?;
    let tax = Taxonomy::builtin();
    let counterparty: Vec<(&Transfer, Vec<&'static str>)> = map
        .transfers
        .iter()
        .filter(|u| u.exporter == t.exporter && u.recipient == t.recipient)
        .map(|u| (u, kinds_of_transfer(map, u, tax)))
        .collect();
    let from = as_of.checked_sub(12.months()).unwrap_or(as_of);
    let mut bulk = UsBulk::default();
    let mut at_least = false;
    for kind in KINDS {
        let carrying: Vec<&Transfer> = counterparty
            .iter()
            .filter(|(_, ks)| ks.contains(&kind))
            .map(|(u, _)| *u)
            .collect();
        if carrying.is_empty() {
            continue;
        }
        let estimates = carrying
            .iter()
            .fold(0u64, |acc, u| acc.saturating_add(estimate(u, kind)));
        let ids: Vec<&str> = carrying.iter().map(|u| u.id.as_str()).collect();
        let delivered = ledger
            .and_then(|l| l.delivered_to(&ids, from, as_of))
            .unwrap_or(0);
        at_least |= ledger
            .and_then(|l| l.delivered_counted_to())
            .is_some_and(|cap| delivered >= cap);
        if let Some(n) = bulk_count_mut(&mut bulk, kind) {
            *n = estimates.saturating_add(delivered);
        }
    }
    Some(UsFacts {
        recipient_covered_person: us.recipient_covered_person,
        transaction: us.transaction,
        bulk_12_months: bulk,
        bulk_at_least: at_least,
        government_related: us.government_related,
        exemption: us.exemption,
        onward_transfer_clause: us.onward_transfer_clause,
        data_broker: us.data_broker,
        recipient_foreign_adversary_controlled: us.recipient_foreign_adversary_controlled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_map_onto_kinds_by_longest_prefix() {
        assert_eq!(kinds_of_category("health.diagnosis"), ["health"]);
        assert_eq!(kinds_of_category("biometric.face"), ["biometric"]);
        assert_eq!(
            kinds_of_category("biometric.genetic"),
            ["human_genomic", "human_omic"]
        );
        assert_eq!(
            kinds_of_category("location.precise"),
            ["precise_geolocation_devices"]
        );
        assert_eq!(kinds_of_category("device.imei"), ["covered_identifiers"]);
        assert_eq!(
            kinds_of_category("financial.bank_account"),
            ["financial", "covered_identifiers"]
        );
        assert_eq!(kinds_of_category("financial.credit"), ["financial"]);
        assert!(kinds_of_category("location.city").is_empty());
        assert!(kinds_of_category("religion").is_empty());
        // A prefix matches whole segments only.
        assert!(kinds_of_category("healthcare").is_empty());
    }
}
