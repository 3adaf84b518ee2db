//! Reading one YAML source into the map: parsing it with positions, then
//! walking each section with a `Reader` that records every problem it meets.

use std::sync::Arc;

use marked_yaml::Node;
use marked_yaml::loader::{LoadError as YamlError, LoaderOptions, parse_yaml_with_options};

use super::keys::{
    DATASET, EXPORTER, FIELD, GATE, MECHANISM, ONWARD, OWNER, PIPIA, RECIPIENT, STATED, STORAGE,
    SYSTEM, TOP, TRANSFER,
};
use super::yaml::{Obj, Reader};
use crate::choice::*;
use crate::diag::{Code, Diagnostic, Loc};
use crate::map::*;

/// Parses one source (`index` among the sources, for positions) and adds what
/// it defines to `map`; sets `version_seen` when the file states its version.
pub(super) fn read_source(
    index: usize,
    name: &str,
    text: &str,
    map: &mut DataMap,
    version_seen: &mut bool,
    diags: &mut Vec<Diagnostic>,
) {
    let file: Arc<str> = name.into();
    // Editors on Windows write a byte order mark; it is not content, nor a column.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Without coercion a quoted scalar keeps its quotes' meaning: `"null"`
    // is the name null (a table may be called that), not an absent value.
    let opts = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true)
        .toplevel_mapping();
    let node = match parse_yaml_with_options(index, text, opts) {
        Ok(n) => n,
        Err(e) => {
            diags.push(within_text(syntax_diag(&file, &e), text));
            return;
        }
    };
    if let Some(d) = beyond_first_document(&file, text) {
        diags.push(d);
        return;
    }
    let mut r = Reader { file, diags };
    read_file(&mut r, &node, map, version_seen);
}

/// An error when the text holds more than one YAML document: the loader reads
/// only the first, so what follows a second `---` would vanish without a word.
fn beyond_first_document(file: &Arc<str>, text: &str) -> Option<Diagnostic> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0;
    loop {
        let (line, column, message) = match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return None,
            Ok((Event::DocumentStart, m)) => {
                documents += 1;
                if documents < 2 {
                    continue;
                }
                (
                    m.line(),
                    m.col() + 1,
                    "a second YAML document starts here; a map file holds one".to_string(),
                )
            }
            Ok(_) => continue,
            Err(e) => (
                e.marker().line(),
                e.marker().col() + 1,
                format!("YAML syntax error: {}", e.info()),
            ),
        };
        return Some(Diagnostic {
            loc: Loc {
                file: file.clone(),
                line,
                column,
            },
            field: "(file)".into(),
            code: Code::Syntax,
            message,
            help:
                "remove the `---` line (and any `...`), or move what follows into a file of its own"
                    .into(),
        });
    }
}

/// The spellings of a closed set of values, for "allowed: …" in diagnostics.
fn names<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

/// The diagnostic with its position inside `text`: the parser can report an
/// error past a truncated file's end (found by the fuzz test: line 37 of a
/// 35-line file), which an editor cannot go to; the end of the file stands
/// for it (the line after the last, where end-of-file errors point).
fn within_text(mut d: Diagnostic, text: &str) -> Diagnostic {
    let end = text.split('\n').count() + 1;
    if d.loc.line > end {
        d.loc.line = end;
        d.loc.column = 1;
    }
    d
}

/// A diagnostic for a file the YAML parser rejects, at the parser's position.
fn syntax_diag(file: &Arc<str>, e: &YamlError) -> Diagnostic {
    let (marker, message) = match e {
        YamlError::TopLevelMustBeMapping(m) => (
            Some(*m),
            "the file must be a mapping of sections (exporters:, transfers: …)".to_string(),
        ),
        YamlError::TopLevelMustBeSequence(m) => (Some(*m), "unexpected top-level list".to_string()),
        YamlError::UnexpectedAnchor(m) => {
            (Some(*m), "anchors (&name) are not supported".to_string())
        }
        YamlError::MappingKeyMustBeScalar(m) => {
            (Some(*m), "a key must be a plain word".to_string())
        }
        YamlError::UnexpectedTag(m) => (Some(*m), "tags (!tag) are not supported".to_string()),
        YamlError::ScanError(m, s) => (Some(*m), format!("YAML syntax error: {}", s.info())),
        YamlError::DuplicateKey(d) => (
            d.key.span().start().copied(),
            format!("key `{}` appears twice in the same mapping", d.key.as_str()),
        ),
        #[allow(unreachable_patterns)]
        _ => (None, e.to_string()),
    };
    Diagnostic {
        loc: Loc {
            file: file.clone(),
            line: marker.map_or(0, |m| m.line()),
            column: marker.map_or(0, |m| m.column()),
        },
        field: "(file)".into(),
        code: Code::Syntax,
        message,
        help:
            "fix the YAML syntax at this position (indentation, a missing colon, an unclosed quote)"
                .into(),
    }
}

fn read_file(r: &mut Reader<'_>, node: &Node, map: &mut DataMap, version_seen: &mut bool) {
    let Some(top) = r.obj(node, "(top)".into(), TOP) else {
        return;
    };
    let top = Obj {
        path: String::new(),
        ..top
    };
    if let Some(v) = r.count(&top, "version", None) {
        if v != 1 {
            r.report(
                top.map.get_node("version").unwrap().span(),
                "version",
                Code::InvalidValue,
                format!("format version {v} is not supported"),
                "this Outbound reads `version: 1`".into(),
            );
        }
        *version_seen = true;
    }
    if let Some(o) = r.string(&top, "organisation", None) {
        map.organisation = Some(o);
    }
    if let Some(p) = r.choice(
        &top,
        "sensitivity_profile",
        None,
        SensitivityProfile::parse,
        &names(SensitivityProfile::ALL, SensitivityProfile::as_str),
    ) {
        map.sensitivity_profile = p;
    }
    for (path, n) in r.list(&top, "exporters") {
        let path = path.trim_start_matches('.').to_string();
        if let Some(e) = read_exporter(r, n, path) {
            map.exporters.push(e);
        }
    }
    for (path, n) in r.list(&top, "systems") {
        if let Some(e) = read_system(r, n, path.trim_start_matches('.').to_string()) {
            map.systems.push(e);
        }
    }
    for (path, n) in r.list(&top, "datasets") {
        if let Some(e) = read_dataset(r, n, path.trim_start_matches('.').to_string()) {
            map.datasets.push(e);
        }
    }
    for (path, n) in r.list(&top, "recipients") {
        if let Some(e) = read_recipient(r, n, path.trim_start_matches('.').to_string()) {
            map.recipients.push(e);
        }
    }
    for (path, n) in r.list(&top, "transfers") {
        if let Some(e) = read_transfer(r, n, path.trim_start_matches('.').to_string()) {
            map.transfers.push(e);
        }
    }
}

fn read_stated(r: &mut Reader<'_>, o: &Obj<'_>, key: &str) -> Option<StatedCounts> {
    let node = r.get(o, key, None)?;
    let s = r.obj(node, format!("{}.{key}", o.path), STATED)?;
    let individuals = r.individuals(&s, "individuals", Some("distinct individuals exported"));
    let sensitive = r
        .individuals(&s, "sensitive_individuals", None)
        .unwrap_or(0);
    let as_of = r.date(&s, "as_of", None);
    if let Some(i) = individuals
        && sensitive > i
    {
        r.report(
            node.span(),
            &format!("{}.sensitive_individuals", s.path),
            Code::InvalidValue,
            format!("{sensitive} sensitive individuals exceed the {i} individuals in total"),
            "sensitive individuals are counted among all individuals".into(),
        );
    }
    Some(StatedCounts {
        as_of,
        individuals: individuals?,
        sensitive_individuals: sensitive,
    })
}

fn read_exporter(r: &mut Reader<'_>, node: &Node, path: String) -> Option<Exporter> {
    let o = r.obj(node, path, EXPORTER)?;
    let id = r.id(&o, "id", Some("a unique id such as `acme-cn`"));
    let name = r.string(&o, "name", Some("the registered name"));
    let country = r.country(
        &o,
        "country",
        Some("ISO 3166-1 alpha-2 code of establishment"),
    );
    let ciio = r.boolean(&o, "ciio", false);
    let processed = r.individuals(
        &o,
        "individuals_processed",
        Some("individuals whose PI the entity processes"),
    );
    let group = r.id(&o, "group", None);
    let free_trade_zone = r.string(&o, "free_trade_zone", None);
    let exported_this_year = read_stated(r, &o, "exported_this_year");
    let exported_last_year = read_stated(r, &o, "exported_last_year");
    let us_person = o
        .map
        .get_node("us_person")
        .map(|_| r.boolean(&o, "us_person", false));
    let gdpr_applies = r.boolean(&o, "gdpr_applies", false);
    let sectors = r
        .strings(&o, "sectors")
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    Some(Exporter {
        id: id?,
        name: name?,
        country: country?,
        ciio,
        individuals_processed: processed?,
        group,
        free_trade_zone,
        exported_this_year,
        exported_last_year,
        us_person,
        gdpr_applies,
        sectors,
        loc: o.start(&r.file),
        key_locs: o.key_locs(&r.file),
    })
}

fn read_system(r: &mut Reader<'_>, node: &Node, path: String) -> Option<System> {
    let o = r.obj(node, path, SYSTEM)?;
    let id = r.id(&o, "id", Some("a unique id"));
    let name = r.string(&o, "name", Some("display name"));
    let exporter = r.id(&o, "exporter", Some("the id of the exporter operating it"));
    let location = r.string(&o, "location", None);
    let owner = match r.get(&o, "owner", Some("the accountable person or department")) {
        Some(n) => {
            let ow = r.obj(n, format!("{}.owner", o.path), OWNER);
            ow.and_then(|ow| {
                let kind = r.choice(
                    &ow,
                    "type",
                    Some("person or department"),
                    OwnerKind::parse,
                    &names(OwnerKind::ALL, OwnerKind::as_str),
                );
                let name = r.string(&ow, "name", Some("the owner's name"));
                let contact = r.string(&ow, "contact", None);
                Some(Owner {
                    kind: kind?,
                    name: name?,
                    contact,
                })
            })
        }
        None => None,
    };
    Some(System {
        id: id?,
        name: name?,
        exporter: exporter?,
        owner: owner?,
        location,
        loc: o.start(&r.file),
        key_locs: o.key_locs(&r.file),
    })
}

fn read_dataset(r: &mut Reader<'_>, node: &Node, path: String) -> Option<Dataset> {
    let o = r.obj(node, path, DATASET)?;
    let id = r.id(&o, "id", Some("a unique id"));
    let name = r.string(&o, "name", Some("display name"));
    let system = r.id(&o, "system", Some("the id of the system holding it"));
    let (grade, grade_source) = read_grade(r, &o);
    let table = r.string(&o, "table", None);
    r.get(&o, "fields", Some("the list of its fields"))?;
    let mut fields = Vec::new();
    for (fpath, fnode) in r.list(&o, "fields") {
        let Some(f) = r.obj(fnode, fpath, FIELD) else {
            continue;
        };
        let name = r.string(&f, "name", Some("column name or dotted key path"));
        let category = r.string(
            &f,
            "category",
            Some("a taxonomy category such as `contact.phone`"),
        );
        let subject = r.choice(
            &f,
            "subject",
            Some("who the value is about"),
            SubjectKind::parse,
            &names(SubjectKind::ALL, SubjectKind::as_str),
        );
        let subject_key = r.boolean(&f, "subject_key", false);
        let description = r.string(&f, "description", None);
        let not_kinds = r
            .strings(&f, "not_kinds")
            .into_iter()
            .map(|(.., k)| k)
            .collect();
        let (grade, grade_source) = read_grade(r, &f);
        if let (Some(name), Some(category), Some(subject)) = (name, category, subject) {
            fields.push(Field {
                name,
                category,
                subject,
                subject_key,
                description,
                not_kinds,
                grade,
                grade_source,
                loc: f.start(&r.file),
            });
        }
    }
    Some(Dataset {
        id: id?,
        name: name?,
        system: system?,
        fields,
        grade,
        grade_source,
        table,
        loc: o.start(&r.file),
        key_locs: o.key_locs(&r.file),
    })
}

/// `grade:` and `grade_source:` of a dataset or field; the source is required for core
/// and important data, which only a catalogue, notice or decision makes so (DSL Art. 21).
fn read_grade(r: &mut Reader<'_>, o: &Obj<'_>) -> (Option<DataGrade>, Option<String>) {
    let grade = r.choice(
        o,
        "grade",
        None,
        DataGrade::parse,
        &names(DataGrade::ALL, DataGrade::as_str),
    );
    let source = r.string(o, "grade_source", None);
    if matches!(grade, Some(DataGrade::Core | DataGrade::Important)) && source.is_none() {
        r.get(
            o,
            "grade_source",
            Some(
                "the catalogue, notice or decision that graded it core or important (DSL Art. 21)",
            ),
        );
    }
    (grade, source)
}

fn read_recipient(r: &mut Reader<'_>, node: &Node, path: String) -> Option<Recipient> {
    let o = r.obj(node, path, RECIPIENT)?;
    let id = r.id(&o, "id", Some("a unique id"));
    let name = r.string(&o, "name", Some("registered name"));
    let country = r.country(&o, "country", Some("ISO 3166-1 alpha-2 code"));
    let role = r.choice(
        &o,
        "role",
        Some("controller, processor or joint_controller"),
        RecipientRole::parse,
        &names(RecipientRole::ALL, RecipientRole::as_str),
    );
    let contact = r.string(
        &o,
        "contact",
        Some("how individuals reach the recipient (PIPL Art. 39)"),
    );
    let security_measures = r
        .strings(&o, "security_measures")
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let dpf_certified = r.boolean(&o, "dpf_certified", false);
    let mut onward = Vec::new();
    for (p, n) in r.list(&o, "onward_recipients") {
        let Some(w) = r.obj(n, p, ONWARD) else {
            continue;
        };
        let name = r.string(&w, "name", Some("name"));
        let country = r.country(&w, "country", Some("ISO 3166-1 alpha-2 code"));
        let purpose = r.string(&w, "purpose", Some("what it does with the data"));
        if let (Some(name), Some(country), Some(purpose)) = (name, country, purpose) {
            onward.push(OnwardRecipient {
                name,
                country,
                purpose,
            });
        }
    }
    Some(Recipient {
        id: id?,
        name: name?,
        country: country?,
        role: role?,
        contact: contact?,
        security_measures,
        onward_recipients: onward,
        dpf_certified,
        loc: o.start(&r.file),
        key_locs: o.key_locs(&r.file),
    })
}

/// Parses `3 years`, `18 months`, `90 days`, `2y`, `6m`, `30d` into days (a month is 30 days, a year 365).
pub fn parse_retention(s: &str) -> Option<u32> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let n: u32 = s[..split].parse().ok()?;
    let unit = s[split..].trim();
    let per = match unit {
        "d" | "day" | "days" => 1,
        "w" | "week" | "weeks" => 7,
        "m" | "month" | "months" => 30,
        "y" | "year" | "years" => 365,
        _ => return None,
    };
    n.checked_mul(per)
}

fn read_transfer(r: &mut Reader<'_>, node: &Node, path: String) -> Option<Transfer> {
    let o = r.obj(node, path, TRANSFER)?;
    let id = r.id(&o, "id", Some("a unique id"));
    let name = r.string(&o, "name", None);
    let exporter = r.id(&o, "exporter", Some("the id of the exporter"));
    let recipient = r.id(&o, "recipient", Some("the id of the recipient abroad"));
    let purpose = r.string(&o, "purpose", Some("why the data is sent"));
    let necessity = r.choice(
        &o,
        "necessity",
        Some("the necessity ground, or `none`"),
        Necessity::parse,
        &names(Necessity::ALL, Necessity::as_str),
    );
    let legal_basis = r.choice(
        &o,
        "legal_basis",
        Some("the legal basis of the processing"),
        LegalBasis::parse,
        &names(LegalBasis::ALL, LegalBasis::as_str),
    );
    let method = r.choice(
        &o,
        "method",
        Some("how the data leaves"),
        Method::parse,
        &names(Method::ALL, Method::as_str),
    );
    let frequency = r.choice(
        &o,
        "frequency",
        Some("how often"),
        Frequency::parse,
        &names(Frequency::ALL, Frequency::as_str),
    );
    let individuals = r.individuals(
        &o,
        "individuals_per_year",
        Some("estimated distinct individuals per year"),
    );
    let sensitive = r.individuals(&o, "sensitive_individuals_per_year", None);
    if let (Some(i), Some(s)) = (individuals, sensitive)
        && s > i
    {
        r.report(
            o.map.span(),
            &format!("{}.sensitive_individuals_per_year", o.path),
            Code::InvalidValue,
            format!("{s} sensitive individuals exceed the {i} individuals in total"),
            "sensitive individuals are counted among all individuals".into(),
        );
    }
    let important_data = r.boolean(&o, "important_data", false);
    let origin = r
        .choice(
            &o,
            "origin",
            None,
            Origin::parse,
            &names(Origin::ALL, Origin::as_str),
        )
        .unwrap_or(Origin::Domestic);
    let outside_ftz = r.boolean(&o, "outside_ftz_negative_list", false);
    let retention = match r.string(
        &o,
        "retention_abroad",
        Some("how long the data is kept abroad, e.g. `3 years`"),
    ) {
        Some(s) => match parse_retention(&s) {
            Some(d) => Some(d),
            None => {
                let span = o.map.get_node("retention_abroad").unwrap().span();
                r.report(
                    span,
                    &format!("{}.retention_abroad", o.path),
                    Code::InvalidValue,
                    format!("`{s}` is not a duration"),
                    "write a number and a unit: `90 days`, `18 months`, `3 years`".into(),
                );
                None
            }
        },
        None => None,
    };
    let storage = match r.get(&o, "storage", Some("where the data is stored abroad")) {
        Some(n) => r
            .obj(n, format!("{}.storage", o.path), STORAGE)
            .and_then(|s| {
                let country = r.country(&s, "country", Some("ISO 3166-1 alpha-2 code"));
                let location = r.string(&s, "location", None);
                Some(Storage {
                    country: country?,
                    location,
                })
            }),
        None => None,
    };
    let derogation = r.choice(
        &o,
        "derogation",
        None,
        Derogation::parse,
        &names(Derogation::ALL, Derogation::as_str),
    );
    let mut fields = Vec::new();
    if r.get(
        &o,
        "fields",
        Some("the fields that leave, as `dataset.field`"),
    )
    .is_some()
    {
        for (fpath, loc, s) in r.strings(&o, "fields") {
            match s.split_once('.') {
                Some((d, f)) if !d.is_empty() && !f.is_empty() => fields.push(FieldRef {
                    dataset: d.into(),
                    field: f.into(),
                    loc,
                }),
                _ => r.diags.push(Diagnostic {
                    loc,
                    field: fpath,
                    code: Code::InvalidValue,
                    message: format!("`{s}` does not name a field"),
                    help: "write `dataset.field`, or `dataset.*` for every field".into(),
                }),
            }
        }
    }
    if fields.is_empty()
        && let Some(n) = o.map.get_node("fields")
        && n.as_sequence().is_some_and(|s| s.is_empty())
    {
        r.report(n.span(), &format!("{}.fields", o.path), Code::InvalidValue,
            "a transfer must send at least one field".into(),
            "list the fields that leave, e.g. `[customers.name, customers.mobile]`, or `[customers.*]`".into());
    }
    let mut mechanisms = Vec::new();
    for (mpath, mnode) in r.list(&o, "mechanisms") {
        if let Some(m) = read_mechanism(r, mnode, mpath) {
            mechanisms.push(m);
        }
    }
    let pipia = match r.get(&o, "pipia", None) {
        Some(n) => r.obj(n, format!("{}.pipia", o.path), PIPIA).and_then(|p| {
            let completed = r.date(&p, "completed", Some("the day the report was completed"));
            let reference = r.string(&p, "reference", None);
            Some(Pipia {
                completed: completed?,
                reference,
            })
        }),
        None => None,
    };
    let gate = match r.get(&o, "gate", None) {
        Some(n) => read_gate(r, n, format!("{}.gate", o.path), &fields).unwrap_or_default(),
        None => GatePolicy::default(),
    };
    let us = super::us::read_us(r, &o);
    let ru = super::ru::read_ru(r, &o);
    Some(Transfer {
        us,
        ru,
        gate,
        id: id?,
        name,
        exporter: exporter?,
        recipient: recipient?,
        fields,
        purpose: purpose?,
        necessity: necessity?,
        legal_basis: legal_basis?,
        method: method?,
        frequency: frequency?,
        individuals_per_year: individuals?,
        sensitive_individuals_per_year: sensitive,
        important_data,
        origin,
        outside_ftz_negative_list: outside_ftz,
        retention_abroad_days: retention?,
        storage: storage?,
        derogation,
        mechanisms,
        pipia,
        loc: o.start(&r.file),
        key_locs: o.key_locs(&r.file),
    })
}

fn read_gate(
    r: &mut Reader<'_>,
    node: &Node,
    path: String,
    fields: &[FieldRef],
) -> Option<GatePolicy> {
    let o = r.obj(node, path, GATE)?;
    let undeclared = r
        .choice(
            &o,
            "undeclared",
            None,
            UndeclaredPolicy::parse,
            &names(UndeclaredPolicy::ALL, UndeclaredPolicy::as_str),
        )
        .unwrap_or_default();
    let mut transforms = Vec::new();
    if let Some(t) = r.get(&o, "transforms", None) {
        match t.as_mapping() {
            Some(m) => {
                for (k, v) in m.iter() {
                    let loc = r.loc(k.span());
                    let field = format!("{}.transforms.{}", o.path, k.as_str());
                    let Some((d, f)) = k.as_str().split_once('.') else {
                        r.diags.push(Diagnostic {
                            loc,
                            field,
                            code: Code::InvalidValue,
                            message: format!("`{}` does not name a field", k.as_str()),
                            help: "write `dataset.field: mask`".into(),
                        });
                        continue;
                    };
                    let fr = FieldRef {
                        dataset: d.into(),
                        field: f.into(),
                        loc: loc.clone(),
                    };
                    if !fields
                        .iter()
                        .any(|x| x.dataset == fr.dataset && (x.field == "*" || x.field == fr.field))
                    {
                        r.diags.push(Diagnostic {
                            loc: loc.clone(),
                            field: field.clone(),
                            code: Code::UnknownReference,
                            message: format!("`{}` is not among the transfer's fields", k.as_str()),
                            help: "transform only fields the transfer sends, or add it to `fields`"
                                .into(),
                        });
                    }
                    match v.as_scalar().and_then(|s| Transform::parse(s.as_str())) {
                        Some(t) => transforms.push((fr, t)),
                        None => r.report(
                            v.span(),
                            &field,
                            Code::InvalidValue,
                            "not a transform".into(),
                            format!("allowed: {}", Transform::choices()),
                        ),
                    }
                }
            }
            None => r.report(
                t.span(),
                &format!("{}.transforms", o.path),
                Code::WrongType,
                "expected a mapping of `dataset.field: transform`".into(),
                "write one `dataset.field: mask` per line".into(),
            ),
        }
    }
    Some(GatePolicy {
        undeclared,
        transforms,
    })
}

fn read_mechanism(r: &mut Reader<'_>, node: &Node, path: String) -> Option<Mechanism> {
    let o = r.obj(node, path, MECHANISM)?;
    let kind = r.choice(
        &o,
        "type",
        Some("the mechanism"),
        MechanismKind::parse,
        &names(MechanismKind::ALL, MechanismKind::as_str),
    )?;
    let effective = r.date(&o, "effective", None);
    let filed = r.date(&o, "filed", None);
    let approved = r.date(&o, "approved", None);
    let expires = r.date(&o, "expires", None);
    let tia_completed = r.date(&o, "tia_completed", None);
    let reference = r.string(&o, "reference", None);
    let module = r.count(&o, "module", None);
    let field = |k: &str| format!("{}.{k}", o.path);
    let bad = |r: &mut Reader<'_>, key: &str, msg: String, help: &str| {
        let span = o.map.get_node(key).map_or(o.map.span(), |n| n.span());
        r.report(span, &field(key), Code::InvalidValue, msg, help.into());
    };
    match kind {
        MechanismKind::StandardContract | MechanismKind::Scc if effective.is_none() => {
            r.get(&o, "effective", Some("the day the contract takes effect"));
        }
        MechanismKind::SecurityAssessment | MechanismKind::Certification if approved.is_none() => {
            r.get(&o, "approved", Some("the day it was granted"));
        }
        _ => {}
    }
    if let (Some(e), Some(f)) = (effective, filed)
        && f < e
    {
        bad(
            r,
            "filed",
            format!("filed {f}, before the contract took effect on {e}"),
            "a standard contract is filed after it takes effect (Standard Contract Measures Art. 7)",
        );
    }
    if let (Some(a), Some(x)) = (approved, expires)
        && x <= a
    {
        bad(
            r,
            "expires",
            format!("expires {x}, not after approval on {a}"),
            "check the two dates",
        );
    }
    if let Some(m) = module
        && !(1..=4).contains(&m)
    {
        bad(
            r,
            "module",
            format!("SCC module {m} does not exist"),
            "modules are 1 (C→C), 2 (C→P), 3 (P→P), 4 (P→C)",
        );
    }
    if filed.is_some() && kind != MechanismKind::StandardContract {
        bad(
            r,
            "filed",
            format!("`filed` applies to a standard contract, not to {kind}"),
            "remove it",
        );
    }
    Some(Mechanism {
        kind,
        effective,
        filed,
        approved,
        expires,
        module: module.map(|m| m.min(255) as u8),
        tia_completed,
        reference,
        loc: o.start(&r.file),
    })
}
