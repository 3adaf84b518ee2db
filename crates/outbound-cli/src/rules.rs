//! `outbound rules`: what the engine knows, with dates and articles.

use outbound_model::{SensitivityProfile, Taxonomy};
use outbound_rules::regime;

use crate::output::{Format, markdown_table, out, outln, print_json, table};

pub(crate) fn run(taxonomy: bool, format: Format) -> anyhow::Result<u8> {
    if taxonomy {
        return taxonomy_table(format);
    }
    let infos: Vec<_> = regime::all().iter().map(|r| r.info()).collect();
    match format {
        Format::Json => print_json(&infos)?,
        Format::Table | Format::Markdown => {
            for i in &infos {
                outln!("{} — {}", i.id, i.name)?;
                outln!("  applies when {}", i.applies_when)?;
                outln!("  routes: {}", i.mechanisms.join(", "))?;
                let rows: Vec<Vec<String>> = i
                    .instruments
                    .iter()
                    .map(|x| vec![x.in_force.clone(), x.name.clone(), x.note.clone()])
                    .collect();
                let rows2: Vec<Vec<String>> = i
                    .thresholds
                    .iter()
                    .map(|x| vec![x.value.clone(), x.text.clone(), x.citation.clone()])
                    .collect();
                if format == Format::Markdown {
                    outln!(
                        "\n{}",
                        markdown_table(&["in force", "instrument", "what it decides"], &rows)
                    )?;
                    outln!("{}", markdown_table(&["value", "rule", "source"], &rows2))?;
                } else {
                    let mut t = table(&["in force", "instrument", "what it decides"]);
                    rows.into_iter().for_each(|r| {
                        t.add_row(r);
                    });
                    outln!("{t}")?;
                    let mut t = table(&["value", "rule", "source"]);
                    rows2.into_iter().for_each(|r| {
                        t.add_row(r);
                    });
                    outln!("{t}\n")?;
                }
            }
        }
    }
    Ok(0)
}

fn taxonomy_table(format: Format) -> anyhow::Result<u8> {
    let tax = Taxonomy::builtin();
    if format == Format::Json {
        print_json(&tax.categories())?;
        return Ok(0);
    }
    let header = [
        "category",
        "name",
        "名称",
        "sensitive (standard)",
        "sensitive (conservative)",
        "standards",
        "scan kinds",
    ];
    let rows: Vec<Vec<String>> = tax
        .categories()
        .iter()
        .map(|c| {
            let sens = |p| {
                c.sensitivity(p).map_or(
                    if c.personal {
                        "-".to_string()
                    } else {
                        "not PI".into()
                    },
                    |s| s.to_string(),
                )
            };
            vec![
                c.id.clone(),
                c.en.clone(),
                c.zh.clone(),
                sens(SensitivityProfile::Standard),
                sens(SensitivityProfile::Conservative),
                c.sensitive_in
                    .iter()
                    .map(|s| s.citation())
                    .collect::<Vec<_>>()
                    .join("; "),
                c.scan_kinds.join(", "),
            ]
        })
        .collect();
    if format == Format::Markdown {
        out!("{}", markdown_table(&header, &rows))?;
    } else {
        let mut t = table(&header);
        rows.into_iter().for_each(|r| {
            t.add_row(r);
        });
        outln!("{t}\nsource: {}", tax.source)?;
    }
    Ok(0)
}
