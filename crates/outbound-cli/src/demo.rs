//! `outbound demo`: the main job end to end on the bundled example (Lumen Group),
//! with nothing to install or configure.

use std::fmt::Write as _;

use jiff::civil::Date;
use outbound_model::example::lumen_sources;
use outbound_model::{Taxonomy, load_sources};
use outbound_rules::assess::assess;

use crate::assess::{in_place, render, upcoming};
use crate::common::{assess_with_ledger, parse_date, print_diagnostics, today};
use crate::output::{Format, out, table};

#[derive(clap::Args, Debug)]
pub(crate) struct DemoArgs {
    /// Judge as of this date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<Date>,
    /// `table` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Where the demo keeps its store, keys and outputs (default: a new directory under the system's temp dir).
    #[arg(long)]
    pub(crate) dir: Option<std::path::PathBuf>,
}

pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<u8> {
    // The example is embedded, so the demo runs from any directory.
    let loaded = load_sources(&lumen_sources(), Taxonomy::builtin());
    if !loaded.diagnostics.is_empty() {
        print_diagnostics(&loaded.diagnostics);
        anyhow::bail!("the bundled example does not validate");
    }
    let as_of = args.as_of.unwrap_or_else(today);
    let a = assess(&loaded.map, as_of, None);
    if args.format == Format::Json {
        out!("{}", render(&a, Format::Json)?)?;
        return Ok(0);
    }
    out!("{}", demo_text(&loaded.map, &a))?;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "outbound-demo-{}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_second()
        )),
    };
    out!("{}", gate_demo(&loaded.map, as_of, &dir)?)?;
    Ok(0)
}

/// Part two of the demo: the gate, the ledger and the audit log on a fresh embedded store.
fn gate_demo(
    map: &outbound_model::DataMap,
    as_of: Date,
    dir: &std::path::Path,
) -> anyhow::Result<String> {
    use outbound_gate::{GateRequest, Io, Outcome, sample};
    use outbound_store::{Keys, Store};
    let mut s = String::new();
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        anyhow::bail!("{} is not empty; give the demo a new --dir", dir.display());
    }
    std::fs::create_dir_all(dir)?;
    let keys = Keys::create(&dir.join("store.db.keys"))?;
    let store = Store::open(&dir.join("store.db").display().to_string())?;
    let _ = writeln!(
        s,
        "\n5. The gate, on a fresh embedded store ({}):",
        store.location
    );
    // Synthetic customers; every 20th has not given separate consent.
    let rows = 2_000;
    let consents = sample::consents(&keys, "crm-to-parent", 0, rows, 20);
    store.consent_import(&keys, &consents, "synthetic consents")?;
    let batch = dir.join("crm-batch.csv");
    std::fs::write(&batch, sample::customers_csv(0, rows, 42, false))?;
    let bad = dir.join("crm-batch-with-id-numbers.csv");
    std::fs::write(&bad, sample::customers_csv(rows, 200, 43, true))?;
    let faces = dir.join("driver-faces.csv");
    std::fs::write(&faces, "driver_id,face\nD0001,(image)\nD0002,(image)\n")?;
    let gate = |transfer: &str, input: &std::path::Path, out: &str| {
        let req = GateRequest {
            transfer: transfer.into(),
            input: Io::Path(input.into()),
            output: Io::Path(dir.join(out)),
            format: None,
            as_of,
            dry_run: false,
            count_group: false,
        };
        outbound_gate::run(map, &store, &keys, &req)
    };
    let describe = |r: &outbound_gate::GateReport| match &r.outcome {
        Outcome::Passed { output, .. } => format!("PASSED → {output}"),
        Outcome::Refused { reason } => format!("REFUSED, nothing written or counted: {reason}"),
        Outcome::DryRun => "dry run".into(),
    };
    let r = gate("crm-to-parent", &batch, "crm-out.csv")?;
    let _ = writeln!(
        s,
        "   - crm-to-parent, {} records: {} out, {} dropped without separate consent (PIPL Art. 39), customer ids pseudonymised, mobiles masked; {} individuals new this year, {} since 1 January. {}",
        r.records_in,
        r.records_out,
        r.dropped_no_consent,
        r.counts.new.individuals,
        r.counts.current_year.individuals,
        describe(&r)
    );
    // The first 500 of the same customers' orders go to Metricly: some people now sit in two transfers.
    store.consent_import(
        &keys,
        &sample::consents(&keys, "analytics-eu", 0, 500, 20),
        "synthetic consents",
    )?;
    let orders = dir.join("orders-batch.csv");
    std::fs::write(&orders, sample::orders_csv(0, 500, 44))?;
    let r = gate("analytics-eu", &orders, "analytics-out.csv")?;
    let _ = writeln!(
        s,
        "   - analytics-eu, the orders of 500 of the same customers: {} out; {}",
        r.records_out,
        describe(&r)
    );
    let r = gate("crm-to-parent", &bad, "crm-out-2.csv")?;
    let _ = writeln!(
        s,
        "   - crm-to-parent, a batch with an undeclared column: {}",
        describe(&r)
    );
    let r = gate("driver-faces", &faces, "faces-out.csv")?;
    let _ = writeln!(s, "   - driver-faces: {}", describe(&r));
    // lumen-hainan stands at 99,950 individuals this year: 30 more stay under Art. 8's 100,000, 100 more cross it.
    let few = dir.join("members-30.csv");
    std::fs::write(&few, sample::members_csv(0, 30))?;
    let many = dir.join("members-100.csv");
    std::fs::write(&many, sample::members_csv(30, 100))?;
    let r = gate("hainan-members", &few, "members-out-1.csv")?;
    let _ = writeln!(
        s,
        "   - hainan-members, 30 members (99,950 + 30 < 100,000): {} (route {})",
        describe(&r),
        r.determinations.first().map_or("", |d| d.mechanism)
    );
    let r = gate("hainan-members", &many, "members-out-2.csv")?;
    let _ = writeln!(
        s,
        "   - hainan-members, 100 more members (crosses 100,000): {}",
        describe(&r)
    );
    store.set_route(
        &keys,
        "demo",
        "crm-to-parent",
        true,
        "demo: recipient under investigation",
    )?;
    let r = gate("crm-to-parent", &batch, "crm-out-3.csv")?;
    let _ = writeln!(s, "   - crm-to-parent while suspended: {}", describe(&r));
    store.set_route(&keys, "demo", "crm-to-parent", false, "demo: resumed")?;
    let v = store.audit_verify(&keys)?;
    let bundle = store.audit_prove(0)?;
    let checked = bundle.check(&keys.verifying()).is_ok();
    let _ = writeln!(
        s,
        "   - audit log: {} entries, {} signed heads, {}; an inclusion proof for entry 0 checks with the public key alone: {}",
        v.entries,
        v.heads,
        if v.problems.is_empty() {
            "intact"
        } else {
            "TAMPERED"
        },
        if checked { "yes" } else { "NO" }
    );
    // outbound status: the ledger's exact counts against the thresholds.
    let with_ledger = assess_with_ledger(map, as_of, Some(&store))?;
    let _ = writeln!(
        s,
        "\n   outbound status (the ledger's exact counts added to the map's stated figures):"
    );
    for e in &with_ledger.exporters {
        let exact = store.counts(
            std::slice::from_ref(&e.exporter),
            as_of.year(),
            as_of.year(),
        )?;
        if exact.individuals == 0 {
            continue;
        }
        let first = e
            .thresholds
            .first()
            .map_or(String::new(), |l| l.text.clone());
        let _ = writeln!(
            s,
            "   - {}: {} exported through the gate; {first}",
            e.exporter,
            outbound_rules::format::thousands(exact.individuals)
        );
    }
    // The scanner on the refused batch, against what the transfer declares.
    let report = outbound_scan::scan_paths(
        std::slice::from_ref(&bad),
        &outbound_scan::ScanOptions::default(),
    );
    if let Some(t) = map.transfer("crm-to-parent") {
        let fields: Vec<&outbound_model::Field> = map.transfer_fields(t).collect();
        let c = outbound_scan::compare::compare(&report, map, &fields, "transfer crm-to-parent");
        let records: u64 = report.files.iter().map(|f| f.records).sum();
        let _ = writeln!(
            s,
            "\n6. Scan of the refused batch against the map ({records} records, {} distinct individuals):",
            report.individuals.distinct
        );
        for f in &c.findings {
            let _ = writeln!(
                s,
                "   - {}: {} — {} value(s) of {} ({})",
                f.field.as_deref().unwrap_or("(free text)"),
                f.problem,
                f.count,
                f.kind,
                f.category
            );
        }
    }
    // The documents a regulator accepts, for every transfer they apply to.
    let reports = dir.join("reports");
    std::fs::create_dir_all(&reports)?;
    let assessment = assess(map, as_of, None);
    let input = outbound_docs::Input::new(map, &assessment);
    let mut written = 0;
    let mut pdfs = Vec::new();
    let mut pdf_error = None;
    for &kind in outbound_docs::DocKind::ALL.iter() {
        let Ok(docs) = outbound_docs::documents(&input, kind, None, kind.default_lang()) else {
            continue;
        };
        for d in docs {
            std::fs::write(reports.join(format!("{}.md", d.stem)), &d.markdown)?;
            for a in &d.attachments {
                std::fs::write(reports.join(&a.name), &a.content)?;
            }
            written += 1;
            // The filing package is what goes to the regulator, on paper: print it.
            if kind == outbound_docs::DocKind::Filing && pdf_error.is_none() {
                match d.pdf() {
                    Ok(bytes) => {
                        let name = format!("{}.pdf", d.stem);
                        std::fs::write(reports.join(&name), bytes)?;
                        pdfs.push(name);
                    }
                    Err(e) => pdf_error = Some(e.to_string()),
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "\n7. Documents: {written} written to {} (PIPIA per transfer, standard-contract annexes and filing packages in Chinese; GDPR records, TIAs and the compliance summary in English; `outbound report --help` for HTML and PDF)",
        reports.display()
    );
    match pdf_error {
        None => {
            let _ = writeln!(s, "   PDF filing packages: {}", pdfs.join(", "));
        }
        Some(e) => {
            let _ = writeln!(s, "   PDF filing packages: not written: {e}");
        }
    }
    s.push_str(&supervision_demo(map, as_of, &store, &keys, dir)?);
    let _ = writeln!(
        s,
        "\nThe demo's store, keys, batches and outputs are in {}",
        dir.display()
    );
    let _ = writeln!(
        s,
        "Try: outbound status examples/lumen --store {} --as-of {as_of}",
        dir.join("store.db").display()
    );
    // An account to open the dashboard with; its password goes to an
    // owner-only file, not to the terminal.
    let password = outbound_server::auth::random_hex()[..20].to_string();
    let hash = outbound_server::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
    store.add_account(
        &keys,
        "demo",
        "admin",
        outbound_store::Role::Admin,
        None,
        Some(&hash),
    )?;
    let pw_file = dir.join("admin.password");
    write_owner_only(&pw_file, &format!("{password}\n"))?;
    let _ = writeln!(
        s,
        "\nThe dashboard on this store:\n  outbound serve --map examples/lumen --store {} --as-of {as_of}\n  \
         then open http://127.0.0.1:8080/ and sign in as `admin` with the password in {}",
        dir.join("store.db").display(),
        pw_file.display()
    );
    Ok(s)
}

/// Part three: supervision after the data has left (issue 14's workflows) —
/// a recipient attests, an incident starts its clocks and suspends its
/// route, a deletion request reaches the recipients that received the
/// person, a complaint arrives and is triaged. Times are fixed from `as_of`, so the text is
/// the same on every run.
fn supervision_demo(
    map: &outbound_model::DataMap,
    as_of: Date,
    store: &outbound_store::Store,
    keys: &outbound_store::Keys,
    dir: &std::path::Path,
) -> anyhow::Result<String> {
    use outbound_rules::incident::{IncidentFacts, clock_views, involved};
    use outbound_rules::recipient::{LastAttestation, Standing, checklist, status};
    use outbound_store::incidents::NewIncident;
    use outbound_store::recipients::{NewAttestation, Statement};
    let mut s = String::from("\n8. Supervision after the data has left:\n");

    // A recipient attests one obligation with a (synthetic) evidence file.
    let recipient = "lumen-inc";
    let c = checklist(map, recipient)
        .ok_or_else(|| anyhow::anyhow!("the example has no recipient {recipient}"))?;
    let evidence = dir.join("retention-policy-2026.txt");
    std::fs::write(
        &evidence,
        "Lumen Holdings retention schedule, reviewed 2026 (synthetic).\n",
    )?;
    let hash = outbound_store::recipients::evidence_sha256(std::fs::File::open(&evidence)?)?;
    let attested = store.attest(
        keys,
        "demo",
        &NewAttestation {
            recipient: recipient.into(),
            obligation: "sc-3-5".into(),
            statement: Statement::Attested,
            evidence_sha256: vec![hash.clone()],
            note: None,
        },
    )?;
    let last = vec![LastAttestation {
        obligation: attested.obligation.clone(),
        on: as_of,
        not_met: false,
    }];
    let st = status(&c, &last, as_of);
    let late: Vec<_> = st
        .iter()
        .filter(|o| matches!(o.standing, Standing::Overdue | Standing::NotMet))
        .collect();
    let _ = writeln!(
        s,
        "   - {recipient} attests Standard contract Art. 3(5) (retention and deletion) with one evidence file, SHA-256 {}…;\n     of its {} obligations, {} are overdue or not met as of {as_of}{}",
        &hash[..16],
        st.len(),
        late.len(),
        late.first().map_or(String::new(), |o| format!(
            " (the first: {}, due {})",
            o.reference,
            o.due.map_or("-".into(), |d| d.to_string())
        ))
    );

    // A desk review of Metricly finds one high-risk gap; its risk score shows every input.
    let review_date = as_of.yesterday().map_err(|e| anyhow::anyhow!("{e}"))?;
    store.record_review(
        keys,
        "demo",
        &outbound_store::reviews::NewReview {
            recipient: "metricly".into(),
            date: review_date.to_string(),
            kind: outbound_store::reviews::ReviewKind::Desk,
            summary: "Security questionnaire and SOC 2 report read (synthetic).".into(),
            findings: vec![outbound_store::reviews::NewFinding {
                severity: outbound_store::reviews::Severity::High,
                text: "Backups are not encrypted at rest.".into(),
            }],
        },
    )?;
    let c = checklist(map, "metricly");
    if let Some(inputs) =
        outbound_server::api_reviews::risk_inputs(store, map, c.as_ref(), "metricly", as_of)?
    {
        let score = outbound_rules::risk::score(&inputs);
        let _ = writeln!(
            s,
            "   - a desk review of metricly finds one high-risk gap (open); its risk score, every input shown (docs/RISK.md):\n     {} of {} points, band {}: {}",
            score.total,
            score.max,
            score.band_en,
            score
                .lines
                .iter()
                .map(|l| format!("{} {} ({})", l.en.to_lowercase(), l.points, l.value))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }

    // An incident: discovered the day before, it touches one transfer, whose route stops.
    let discovered = as_of
        .yesterday()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .at(8, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp();
    if discovered > jiff::Timestamp::now() {
        let _ = writeln!(s, "   - (no incident: --as-of is in the future)");
    } else {
        let transfers = vec!["analytics-eu".to_string()];
        let (regimes, ciio) = involved(map, &transfers).map_err(anyhow::Error::msg)?;
        let regimes: Vec<String> = regimes.into_iter().collect();
        let i = store.open_incident(
            keys,
            "demo",
            &NewIncident {
                discovered_at: &discovered.to_string(),
                title: "Analytics export written to a publicly readable bucket",
                severity: "relatively_major",
                ciio,
                transfers: &transfers,
                regimes: &regimes,
                individuals_affected: Some(1200),
            },
        )?;
        store.set_route(
            keys,
            "demo",
            "analytics-eu",
            true,
            &format!("incident {}", i.id),
        )?;
        let at = as_of
            .at(12, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)?
            .timestamp();
        let f = IncidentFacts::parse(&i.discovered_at, &i.severity, &i.regimes, i.ciio)
            .map_err(anyhow::Error::msg)?;
        let _ = writeln!(
            s,
            "   - incident {} (relatively major), discovered {discovered}, touches analytics-eu: its route is suspended;\n     its clocks at {at}:",
            i.id
        );
        for v in clock_views(&f, &Default::default(), at) {
            let _ = writeln!(
                s,
                "       {:<24} {:<22} {:<8} {}",
                v.clock.id,
                v.clock.due.to_string(),
                v.state.as_str(),
                v.clock.citation
            );
        }
    }

    s.push_str(&rights_demo(as_of, store, keys)?);

    // A complaint through the public channel (Standard Contract Measures Art. 9), then triaged.
    let tracking = format!("C-{}", &outbound_server::auth::random_hex()[..16]);
    let received = store.add_complaint(
        keys,
        &tracking,
        "I was told my order history went to a US company; I want to know what was sent.",
        None,
        Some("crm-to-parent"),
    )?;
    let applies = outbound_rules::complaint::triage(
        map,
        &received.at,
        "processing",
        Some("crm-to-parent"),
        None,
    )
    .map_err(anyhow::Error::msg)?;
    store.triage_complaint(
        keys,
        "demo",
        &tracking,
        &outbound_store::complaints::Triage {
            category: "processing".into(),
            transfer: Some("crm-to-parent".into()),
            recipient: None,
            due: applies.deadline.as_ref().map(|d| d.due.to_string()),
            rule: applies.deadline.as_ref().map(|d| d.rule.id.clone()),
        },
    )?;
    let _ = writeln!(
        s,
        "   - a complaint about crm-to-parent arrives through the public channel (no account; the complainant gets a tracking number\n     to follow it at /complain/status); triaged as processing, linked to crm-to-parent, to be answered {}",
        applies.deadline.as_ref().map_or(
            "without a fixed number of days".to_string(),
            |d| format!(
                "within {} {} of receipt ({}{})",
                d.rule.amount.unwrap_or_default(),
                match d.rule.unit {
                    outbound_rules::complaint::Unit::Months => "months",
                    _ => "days",
                },
                d.rule.article,
                if d.rule.confirmed {
                    ""
                } else {
                    ", unconfirmed"
                }
            )
        )
    );
    Ok(s)
}

/// The rights-request step: one customer whose data went to Lumen Holdings
/// (crm-to-parent) and to Metricly (analytics-eu) asks for deletion; the
/// ledger names exactly those two recipients; one answers.
fn rights_demo(
    as_of: Date,
    store: &outbound_store::Store,
    keys: &outbound_store::Keys,
) -> anyhow::Result<String> {
    use outbound_store::rights::{
        Channel, IdentityMethod, NewRequest, PartAnswer, PartOutcome, RequestKind,
    };
    let mut s = String::new();
    let received = as_of
        .yesterday()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp();
    if received > jiff::Timestamp::now() {
        let _ = writeln!(s, "   - (no rights request: --as-of is in the future)");
        return Ok(s);
    }
    // Customer 7 has consented to both transfers and was in both batches (the generator's id, never printed).
    let key = outbound_gate::sample::customer_id(7);
    let subject = keys.subject_hash(outbound_gate::normalize_subject(&key).as_bytes());
    let regimes = vec!["CN".to_string()];
    let r = store.open_request(
        keys,
        "demo",
        &NewRequest {
            received_at: &received.to_string(),
            channel: Channel::Staff,
            kinds: &[RequestKind::Delete],
            regimes: &regimes,
            subject,
            identity: IdentityMethod::AccountLogin,
            identity_at: None,
        },
    )?;
    let r = store.forward_request(keys, "demo", &r.id)?;
    let parts: Vec<String> = r
        .parts
        .iter()
        .map(|p| format!("{} ({})", p.recipient, p.transfers.join(", ")))
        .collect();
    let first = r
        .parts
        .first()
        .ok_or_else(|| anyhow::anyhow!("the demo's customer reached no recipient"))?;
    let evidence = outbound_store::recipients::evidence_sha256(
        &b"Deletion log: 1 customer profile erased (synthetic)."[..],
    )?;
    store.answer_request_part(
        keys,
        &first.recipient,
        &r.id,
        &first.recipient,
        &PartAnswer {
            outcome: PartOutcome::Done,
            reason: None,
            answered_at: None,
            evidence_sha256: Some(&evidence),
        },
    )?;
    let clock =
        outbound_rules::rights::Clock::parse(&r.received_at, r.identity_at.as_deref(), &[], None)
            .ok_or_else(|| anyhow::anyhow!("request {}: a stored time is not RFC 3339", r.id))?;
    let due = outbound_rules::rights::due_all(&r.regimes, &clock)?;
    let _ = writeln!(
        s,
        "   - a deletion request ({}, identity checked by account login) is forwarded by the ledger to exactly the {} recipients\n     that received the person: {}; {} answers done with evidence, the other part is open;\n     due {}",
        r.id,
        r.parts.len(),
        parts.join(" and "),
        first.recipient,
        due.iter()
            .map(|d| format!(
                "{} ({}{}{})",
                d.due.map_or("-".to_string(), |x| x.to_string()),
                d.citation,
                if d.binding {
                    ""
                } else {
                    ", a recommended standard"
                },
                if d.confirmed { "" } else { ", unconfirmed" }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(s)
}

/// Writes a new file readable only by its owner.
fn write_owner_only(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// The demo's text: what a compliance officer wants first.
pub(crate) fn demo_text(
    map: &outbound_model::DataMap,
    a: &outbound_rules::assess::Assessment,
) -> String {
    let mut s = String::new();
    let org = map.organisation.as_deref().unwrap_or("the example");
    let _ = writeln!(
        s,
        "Outbound demo: {org} (bundled example, examples/lumen/), judged as of {}\n",
        a.as_of
    );
    let _ = writeln!(
        s,
        "1. Data map valid: {} exporters, {} systems, {} datasets, {} recipients abroad, {} transfers.\n",
        map.exporters.len(),
        map.systems.len(),
        map.datasets.len(),
        map.recipients.len(),
        map.transfers.len()
    );
    let dets: Vec<_> = a
        .transfers
        .iter()
        .flat_map(|t| t.determinations.iter().map(move |d| (t, d)))
        .collect();
    let missing: Vec<_> = dets.iter().filter(|(_, d)| !d.satisfied).collect();
    let _ = writeln!(
        s,
        "2. Routes required: {} determinations, {} with the route NOT in place:",
        dets.len(),
        missing.len()
    );
    for (t, d) in &missing {
        let why = d
            .reasons
            .first()
            .map(|r| format!("{} [{}]", r.text, r.citation))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "   - {} ({}): needs {} — {}",
            t.transfer, d.regime, d.mechanism, why
        );
    }
    let mut tbl = table(&["transfer", "to", "regime", "route required", "in place"]);
    for (t, d) in &dets {
        tbl.add_row(vec![
            t.transfer.clone(),
            t.recipient_country.clone(),
            d.regime.to_string(),
            d.mechanism.to_string(),
            in_place(d),
        ]);
    }
    let _ = writeln!(s, "\n{tbl}\n");
    // Transfers several regimes judge at once, and the demands that collide.
    for t in a.transfers.iter().filter(|t| t.determinations.len() > 1) {
        let regimes: Vec<&str> = t.determinations.iter().map(|d| d.regime).collect();
        let _ = writeln!(
            s,
            "   {} is judged by {} regimes at once ({}).",
            t.transfer,
            regimes.len(),
            regimes.join(", ")
        );
        for c in &t.conflicts {
            let _ = writeln!(
                s,
                "   - CONFLICT {} × {}: {} [{}]",
                c.regimes[0],
                c.regimes[1],
                c.text,
                c.citations.join("; ")
            );
        }
    }
    if a.transfers.iter().any(|t| t.determinations.len() > 1) {
        s.push('\n');
    }
    let up = upcoming(a);
    let _ = writeln!(
        s,
        "3. Deadlines overdue or within 30 days:{}",
        if up.is_empty() { " none" } else { "" }
    );
    for (t, regime, id, due, cite) in &up {
        let state = if *due < a.as_of { "OVERDUE" } else { "due" };
        let _ = writeln!(s, "   - {state} {due}: {id} for {t} ({regime}) [{cite}]");
    }
    let _ = writeln!(
        s,
        "\n4. Individuals exported since 1 January {} against the thresholds:",
        a.as_of.year()
    );
    let ciio: std::collections::HashSet<&str> = map
        .exporters
        .iter()
        .filter(|e| e.ciio)
        .map(|e| e.id.as_str())
        .collect();
    for e in &a.exporters {
        if ciio.contains(e.exporter.as_str()) {
            let _ = writeln!(
                s,
                "   - {}: {}",
                e.exporter,
                e.note.as_deref().unwrap_or("a CIIO")
            );
            continue;
        }
        for l in &e.thresholds {
            let flag = if l.reached { "  <- reached" } else { "" };
            let _ = writeln!(s, "   - {}: {}{flag}", e.exporter, l.text);
        }
    }
    for g in &a.groups {
        let _ = writeln!(
            s,
            "   - group {} ({}): {} individuals in total{}",
            g.group,
            g.exporters.join(", "),
            outbound_rules::format::thousands(g.current_year.individuals),
            g.warning
                .as_ref()
                .map_or(String::new(), |w| format!(" — WARNING: {w}"))
        );
    }
    let _ = writeln!(
        s,
        "\nNext: `outbound assess examples/lumen --as-of {}` for every reason and obligation with its article,",
        a.as_of
    );
    let _ = writeln!(
        s,
        "      `outbound rules` for the instruments, thresholds and dates the engine applies."
    );
    s
}
