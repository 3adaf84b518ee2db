//! Drafts of the notices of a personal-information incident: to the
//! authorities and to the individuals concerned, in Chinese or English.
//!
//! The drafts are templates as files like the documents
//! (`templates/<lang>/incident-authority.md.j2`,
//! `templates/<lang>/incident-individuals.md.j2`), filled from the incident
//! as registered, its clocks (`outbound_rules::incident`: who, which article,
//! by when) and, from the data map, each transfer's recipient, destination
//! and data categories. What only a person can know (the cause, the harm,
//! what individuals can do, a contact) stays a marked placeholder: `【请填写：…】`
//! in Chinese, `[TO FILL IN: …]` in English. The incident holds no personal
//! data, and neither does a draft.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::tz::Offset;
use outbound_model::{DataMap, Taxonomy};
use outbound_rules::incident::{Audience, ClockState, Due, IncidentFacts, clock_views, data};
use serde_json::{Value, json};

use crate::destinations::Destinations;
use crate::{DocError, Lang};

/// The incident as the register holds it (the fields a draft uses).
#[derive(Clone, Debug)]
pub struct IncidentRecord<'a> {
    /// Its id (`inc-0001`).
    pub id: &'a str,
    /// A short description, without personal data.
    pub title: &'a str,
    /// When it was discovered (RFC 3339): the clocks start here.
    pub discovered_at: &'a str,
    /// Its CAC grade id.
    pub severity: &'a str,
    /// Whether critical information infrastructure is involved.
    pub ciio: bool,
    /// The transfers it touches.
    pub transfers: &'a [String],
    /// The regimes involved when it was opened.
    pub regimes: &'a [String],
    /// How many individuals are affected, if known.
    pub individuals_affected: Option<i64>,
    /// The measures taken, if noted (no personal data).
    pub measures: Option<&'a str>,
    /// The notices sent: clock id → when (RFC 3339).
    pub notices: &'a BTreeMap<String, String>,
}

/// One rendered draft.
#[derive(Clone, Debug)]
pub struct Draft {
    /// To whom.
    pub audience: Audience,
    /// Language.
    pub lang: Lang,
    /// File stem, e.g. `inc-0001-authority.zh`.
    pub stem: String,
    /// Title (first heading).
    pub title: String,
    /// The Markdown.
    pub markdown: String,
}

impl Draft {
    /// A standalone HTML page.
    pub fn html(&self) -> String {
        crate::html::page_of(&self.markdown, &self.title, self.lang, &[])
    }
}

/// The language a draft is written in unless asked otherwise: Chinese when
/// the incident involves the Chinese regime, English otherwise.
pub fn default_lang(regimes: &[String]) -> Lang {
    if regimes.iter().any(|r| r == "CN") {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// A time as the draft prints it: Beijing time in Chinese, UTC in English
/// (seconds only when not zero).
pub fn time_text(t: Timestamp, lang: Lang) -> String {
    let (offset, zone) = match lang {
        Lang::Zh => (Offset::constant(8), "（北京时间）"),
        Lang::En => (Offset::UTC, " UTC"),
    };
    let dt = offset.to_datetime(t);
    let fmt = if dt.second() == 0 {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    format!("{}{zone}", dt.strftime(fmt))
}

fn country_name(code: &str, lang: Lang) -> String {
    match Destinations::builtin().get(code) {
        Some(d) => match lang {
            Lang::En => d.en.name.clone(),
            Lang::Zh => d.zh.name.clone(),
        },
        None => {
            let en = outbound_model::country::name(code).unwrap_or(code);
            format!("{en} ({code})")
        }
    }
}

/// The transfers as a draft lists them, the exporters behind them and every
/// data category they carry.
struct Touched {
    rows: Vec<Value>,
    exporters: Vec<String>,
    categories: Vec<String>,
}

fn touched(map: Option<&DataMap>, ids: &[String], lang: Lang) -> Touched {
    let tax = Taxonomy::builtin();
    let mut rows = Vec::new();
    let mut all = BTreeSet::new();
    let mut exporters = BTreeSet::new();
    for id in ids {
        let found = map.and_then(|m| Some((m, m.transfer(id)?)));
        let Some((map, t)) = found else {
            rows.push(json!({"id": id, "known": false}));
            continue;
        };
        let mut cats = BTreeSet::new();
        for f in map.transfer_fields(t) {
            cats.insert(match tax.get(&f.category) {
                Some(c) if lang == Lang::Zh => c.zh.clone(),
                Some(c) => c.en.clone(),
                None => f.category.clone(),
            });
        }
        all.extend(cats.iter().cloned());
        if let Some(e) = map.exporter(&t.exporter) {
            let country = country_name(&e.country, lang);
            exporters.insert(match lang {
                Lang::Zh => format!("{}（{country}）", e.name),
                Lang::En => format!("{} ({country})", e.name),
            });
        }
        let r = map.recipient(&t.recipient);
        rows.push(json!({
            "id": id,
            "known": true,
            "recipient": r.map_or(t.recipient.clone(), |r| r.name.clone()),
            "country": r.map_or(String::new(), |r| country_name(&r.country, lang)),
            "categories": cats.into_iter().collect::<Vec<_>>(),
        }));
    }
    Touched {
        rows,
        exporters: exporters.into_iter().collect(),
        categories: all.into_iter().collect(),
    }
}

fn due_text(c: &outbound_rules::incident::Clock, lang: Lang) -> String {
    match (c.due, lang) {
        (Due::At(t), _) => time_text(t, lang),
        (Due::Immediately, Lang::Zh) => "立即".into(),
        (Due::Immediately, Lang::En) => "immediately".into(),
        (Due::WithoutUndueDelay, Lang::Zh) => "不得无故拖延".into(),
        (Due::WithoutUndueDelay, Lang::En) => "without undue delay".into(),
    }
}

fn within_text(c: &outbound_rules::incident::Clock, discovered: Timestamp, lang: Lang) -> String {
    match c.due {
        Due::At(t) => {
            let h = t.duration_since(discovered).as_secs() / 3600;
            match lang {
                Lang::Zh => format!("发现后{h}小时内"),
                Lang::En => format!("within {h} hours of discovery"),
            }
        }
        _ => due_text(c, lang),
    }
}

fn state_text(s: ClockState, lang: Lang, audience: Audience) -> &'static str {
    let individuals = audience == Audience::Individuals;
    match (s, lang) {
        (ClockState::Running, Lang::Zh) if individuals => "尚未告知",
        (ClockState::Met, Lang::Zh) if individuals => "已按时告知",
        (ClockState::Running, Lang::Zh) => "尚未报送",
        (ClockState::Met, Lang::Zh) => "已按时报送",
        (ClockState::Missed, Lang::Zh) => "已逾期",
        (ClockState::Running, Lang::En) => "not yet sent",
        (ClockState::Met, Lang::En) => "sent on time",
        (ClockState::Missed, Lang::En) => "late",
    }
}

/// The draft of the notice of `incident` to `audience` in `lang`, at `now`
/// (where each clock stands). `map` gives each transfer's recipient,
/// destination and data categories; without it, or for a transfer it does
/// not hold, the draft says so and leaves a placeholder.
pub fn incident_draft(
    templates: &crate::Templates,
    incident: &IncidentRecord<'_>,
    map: Option<&DataMap>,
    audience: Audience,
    lang: Lang,
    now: Timestamp,
) -> Result<Draft, DocError> {
    let facts = IncidentFacts::parse(
        incident.discovered_at,
        incident.severity,
        incident.regimes,
        incident.ciio,
    )
    .map_err(|e| DocError::Template(format!("incident {}: {e}", incident.id)))?;
    let notices: BTreeMap<String, Timestamp> = incident
        .notices
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.parse().ok()?)))
        .collect();
    let zh = lang == Lang::Zh;
    let mut late = false;
    let clocks: Vec<Value> = clock_views(&facts, &notices, now)
        .into_iter()
        .filter(|v| v.clock.audience == audience)
        .map(|v| {
            let c = &v.clock;
            late |= v.state == ClockState::Missed;
            let instrument = data().instrument.iter().find(|i| i.id == c.instrument);
            json!({
                "id": c.id,
                "regime": c.regime,
                "to": if zh { &c.to_zh } else { &c.to },
                "instrument": instrument.map_or(c.instrument.clone(), |i| i.name.clone()),
                "citation": if zh { &c.citation_zh } else { &c.citation },
                "confirmed": c.confirmed,
                "within": within_text(c, facts.discovered_at, lang),
                "due": due_text(c, lang),
                "state": state_text(v.state, lang, audience),
                "sent_at": v.met_at.map(|t| time_text(t, lang)),
                "condition": if zh { c.condition_zh.clone() } else { c.condition.clone() },
            })
        })
        .collect();
    let grade = data().grade.iter().find(|g| g.id == facts.grade).map_or(
        incident.severity.to_string(),
        |g| {
            if zh { g.zh.clone() } else { g.en.clone() }
        },
    );
    let t = touched(map, incident.transfers, lang);
    let org = map.and_then(|m| m.organisation.clone()).unwrap_or_default();
    let ctx = json!({
        "lang": lang.code(),
        "org": org,
        "exporters": t.exporters,
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "discovered": time_text(facts.discovered_at, lang),
            "grade": grade,
            "ciio": incident.ciio,
            "individuals": incident.individuals_affected,
            "measures": incident.measures,
        },
        "regimes": incident.regimes,
        "clocks": clocks,
        "late": late,
        "transfers": t.rows,
        "categories": t.categories,
        "generated": time_text(now, lang),
        "tool": format!("Outbound {}", env!("CARGO_PKG_VERSION")),
    });
    let name = format!("incident-{}.md.j2", audience.as_str());
    let markdown = templates.render_named(&name, lang, &ctx)?;
    let title = markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or_default()
        .trim()
        .to_string();
    Ok(Draft {
        audience,
        lang,
        stem: format!("{}-{}.{}", incident.id, audience.as_str(), lang.code()),
        title,
        markdown,
    })
}
