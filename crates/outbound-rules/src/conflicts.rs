//! Conflicts of laws: pairs of regimes whose demands on one transfer cannot
//! both be met as declared (one requires what the other forbids).
//!
//! Each conflict is a rule with a stable id; its sentence and citations live
//! in `data/text/conflict.toml`, its condition here. A conflict may name the
//! law of the recipient's country as the second party (a Chinese parent's
//! duties under Chinese law) even when that regime does not itself judge the
//! transfer: the recipient is bound by it all the same.

use serde::Serialize;

use crate::determination::Determination;
use crate::facts::Facts;
use crate::text::{Msg, citation_zh};

/// Two regimes' demands that cannot both be met as declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Stable id of the conflict rule.
    pub id: &'static str,
    /// The two regimes, in the contract's order (CN, EU, US, RU).
    pub regimes: [&'static str; 2],
    /// What collides, in a sentence.
    pub text: String,
    /// The same in Chinese.
    pub text_zh: String,
    /// The provisions on each side.
    pub citations: Vec<String>,
    /// The provisions in Chinese.
    pub citations_zh: Vec<String>,
}

fn find<'a>(ds: &'a [Determination], regime: &str) -> Option<&'a Determination> {
    ds.iter().find(|d| d.regime == regime)
}

/// Countries of concern whose law can oblige a recipient to hand data to the
/// state (28 CFR §202.601 lists them; China's reach is what the texts name).
const CHINA_AND_SARS: &[&str] = &["CN", "HK", "MO"];

fn conflict(
    id: &'static str,
    regimes: [&'static str; 2],
    msg: Msg,
    citations: &[&str],
) -> Conflict {
    let t = msg.render();
    Conflict {
        id,
        regimes,
        text: t.en,
        text_zh: t.zh,
        citations: citations.iter().map(|c| c.to_string()).collect(),
        citations_zh: citations.iter().map(|c| citation_zh(c)).collect(),
    }
}

/// Every conflict among the determinations of one transfer.
pub fn conflicts(f: &Facts, ds: &[Determination]) -> Vec<Conflict> {
    let mut out = Vec::new();
    let recipient = f.transfer.recipient_country.as_str();
    let cn = find(ds, "CN");
    let eu = find(ds, "EU");
    let us = find(ds, "US");
    let ru = find(ds, "RU");
    let eea = crate::data::eu();

    // A foreign authority's demand for data held in China, without the approval.
    if let Some(cn) = cn
        && cn.mechanism == "authority_approval"
        && !cn.satisfied
    {
        if recipient == "US" {
            out.push(conflict(
                "cn_approval_vs_us_compulsion",
                ["CN", "US"],
                Msg::new("conflict.cn_approval_vs_us_compulsion"),
                &[
                    "PIPL Art. 41",
                    "DSL Art. 36",
                    "DSL Art. 48",
                    "18 U.S.C. 2713",
                ],
            ));
        }
        if eea.in_eea(recipient) && (f.exporter.gdpr_applies || eu.is_some()) {
            out.push(conflict(
                "cn_approval_vs_eu_authority",
                ["CN", "EU"],
                Msg::new("conflict.cn_approval_vs_eu_authority"),
                &[
                    "PIPL Art. 41",
                    "DSL Art. 36",
                    "GDPR Art. 31",
                    "GDPR Art. 58(1)(a)",
                ],
            ));
        }
    }

    // A U.S. person giving a recipient under Chinese jurisdiction access to bulk data.
    if let Some(us) = us
        && (us.mechanism == "prohibited" || (us.mechanism == "restricted" && !us.satisfied))
        && CHINA_AND_SARS.contains(&recipient)
    {
        let us_cite = if us.mechanism == "prohibited" {
            "28 CFR §202.301"
        } else {
            "28 CFR §202.401"
        };
        out.push(conflict(
            "us_bulk_access_vs_cn_state_access",
            ["CN", "US"],
            Msg::new("conflict.us_bulk_access_vs_cn_state_access").arg2(
                "route",
                if us.mechanism == "prohibited" {
                    "prohibits"
                } else {
                    "restricts"
                },
                if us.mechanism == "prohibited" {
                    "禁止"
                } else {
                    "限制"
                },
            ),
            &[
                us_cite,
                "28 CFR §202.506",
                "National Intelligence Law Art. 7",
                "DSL Art. 35",
            ],
        ));
    }

    // Russian localisation of EU-targeted data that has no Chapter V route.
    if let (Some(eu), Some(ru)) = (eu, ru)
        && !eu.satisfied
        && f.transfer
            .ru
            .as_ref()
            .is_some_and(|r| r.localisation_exception.is_none())
    {
        let _ = ru;
        out.push(conflict(
            "ru_localisation_vs_eu_chapter_v",
            ["EU", "RU"],
            Msg::new("conflict.ru_localisation_vs_eu_chapter_v"),
            &["152-FZ Art. 18(5)", "GDPR Art. 44", "GDPR Art. 46(1)"],
        ));
    }
    out
}
