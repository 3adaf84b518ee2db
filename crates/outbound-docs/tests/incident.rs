//! The drafts of an incident's notices: to the authorities and to the
//! individuals, in Chinese and English, filled from the incident, its clocks
//! and the data map, with placeholders for what a person must write.

use std::collections::BTreeMap;

use jiff::Timestamp;
use outbound_docs::incident::{Draft, IncidentRecord, default_lang, incident_draft};
use outbound_docs::{Lang, Templates};
use outbound_rules::incident::Audience;

use crate::common::lumen;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn draft(
    notices: &BTreeMap<String, String>,
    with_map: bool,
    to: Audience,
    lang: Lang,
    now: &str,
) -> Draft {
    let map = lumen();
    let transfers = strings(&["analytics-eu", "ride-tracks"]);
    let regimes = strings(&["CN", "EU"]);
    let i = IncidentRecord {
        id: "inc-0001",
        title: "Analytics export sent to the wrong bucket",
        discovered_at: "2026-11-23T08:00:00Z",
        severity: "relatively_major",
        ciio: true,
        transfers: &transfers,
        regimes: &regimes,
        individuals_affected: Some(1200),
        measures: None,
        notices,
    };
    let now: Timestamp = now.parse().unwrap();
    incident_draft(
        &Templates::builtin(),
        &i,
        with_map.then_some(&map),
        to,
        lang,
        now,
    )
    .unwrap()
}

fn early(to: Audience, lang: Lang) -> Draft {
    draft(&BTreeMap::new(), true, to, lang, "2026-11-23T08:30:00Z")
}

fn assert_clean(d: &Draft) {
    let md = &d.markdown;
    assert!(!md.contains('⟨'), "no missing word: {md}");
    assert!(!md.contains("{{") && !md.contains("{%"), "{md}");
    assert!(!md.contains("\n\n\n\n"), "no runs of blank lines: {md}");
}

#[test]
fn the_chinese_report_to_the_authorities_cites_each_clock_with_its_due_time() {
    let d = early(Audience::Authority, Lang::Zh);
    let md = &d.markdown;
    assert_clean(&d);
    assert_eq!(d.title, "个人信息安全事件报告（草稿）");
    assert_eq!(d.stem, "inc-0001-authority.zh");
    // CIIO: 1 hour under the CAC Measures Art. 4, in Beijing time.
    assert!(
        md.contains("《国家网络安全事件报告管理办法》第四条"),
        "{md}"
    );
    assert!(md.contains("保护工作部门、公安机关"), "{md}");
    assert!(md.contains("**2026-11-23 17:00（北京时间）**"), "{md}");
    assert!(md.contains("发现后1小时内"), "{md}");
    // GDPR: the 72nd hour exactly.
    assert!(
        md.contains("欧盟《通用数据保护条例》（GDPR）第33条第1款"),
        "{md}"
    );
    assert!(md.contains("**2026-11-26 16:00（北京时间）**"), "{md}");
    assert!(md.contains("《个人信息保护法》第五十七条"), "{md}");
    assert!(md.contains("| **立即** |"), "{md}");
    // Not the individuals' clocks.
    assert!(!md.contains("| 数据主体 |"), "{md}");
    // The report contents of the CAC Measures and PIPL Art. 57.
    for heading in [
        "## 一、事件单位基本情况",
        "## 二、事件发生时间、地点、类型和级别",
        "## 三、影响范围",
        "## 四、事件原因（初步分析意见）",
        "## 五、已采取的补救措施及效果",
        "## 六、个人可以采取的减轻危害的措施",
        "## 七、拟进一步采取的应对措施及请求支援事项",
        "## 联系方式",
    ] {
        assert!(md.contains(heading), "{heading}: {md}");
    }
    // From the incident and the map.
    assert!(md.contains("较大网络安全事件"), "{md}");
    assert!(md.contains("约1200人"), "{md}");
    assert!(
        md.contains("Analytics export sent to the wrong bucket"),
        "{md}"
    );
    assert!(md.contains("| analytics-eu |"), "{md}");
    assert!(md.contains("本事件涉及关键信息基础设施"), "{md}");
    // What a person must write is marked.
    assert!(md.contains("【请填写：事件原因的初步分析"), "{md}");
    assert!(!md.contains("迟延报告的原因"), "nothing is late yet: {md}");
}

#[test]
fn the_english_notice_to_the_authorities_gives_due_times_in_utc() {
    let d = early(Audience::Authority, Lang::En);
    let md = &d.markdown;
    assert_clean(&d);
    assert_eq!(d.title, "Personal data incident notification (draft)");
    assert!(
        md.contains("CAC Incident Reporting Measures Art. 4"),
        "{md}"
    );
    assert!(md.contains("**2026-11-23 09:00 UTC**"), "{md}");
    assert!(md.contains("GDPR Art. 33(1)"), "{md}");
    assert!(md.contains("**2026-11-26 08:00 UTC**"), "{md}");
    assert!(md.contains("within 72 hours of discovery"), "{md}");
    assert!(md.contains("[TO FILL IN: a preliminary analysis"), "{md}");
    assert!(md.contains("GDPR Art. 33(3)"), "{md}");
    assert!(md.contains("or data protection officer"), "{md}");
}

#[test]
fn each_transfer_names_its_recipient_destination_and_categories() {
    let map = lumen();
    for lang in [Lang::Zh, Lang::En] {
        let md = early(Audience::Authority, lang).markdown;
        for id in ["analytics-eu", "ride-tracks"] {
            let t = map.transfer(id).unwrap();
            let r = map.recipient(&t.recipient).unwrap();
            let row = md
                .lines()
                .find(|l| l.starts_with(&format!("| {id} |")))
                .unwrap_or_else(|| panic!("{lang:?} {id}: {md}"));
            assert!(row.contains(&r.name), "{lang:?}: {row}");
            let cat = map.transfer_fields(t).next().unwrap().category.clone();
            let c = outbound_model::Taxonomy::builtin().get(&cat).unwrap();
            let word = if lang == Lang::Zh { &c.zh } else { &c.en };
            assert!(row.contains(word.as_str()), "{lang:?} {cat}: {row}");
        }
    }
    // Without the map: the rows say so, for a person to fill in.
    let md = draft(
        &BTreeMap::new(),
        false,
        Audience::Authority,
        Lang::Zh,
        "2026-11-23T08:30:00Z",
    )
    .markdown;
    assert!(
        md.contains("| analytics-eu | 【数据地图中未找到该出境活动，请填写】"),
        "{md}"
    );
}

#[test]
fn the_notice_to_individuals_keeps_to_what_pipl_57_and_gdpr_34_require() {
    let d = early(Audience::Individuals, Lang::Zh);
    let md = &d.markdown;
    assert_clean(&d);
    assert_eq!(d.title, "关于个人信息安全事件的告知（草稿）");
    assert!(
        md.contains("《个人信息保护法》第五十七条：告知个人，时限：**立即**"),
        "{md}"
    );
    assert!(md.contains("时限：**不得无故拖延**"), "{md}");
    assert!(
        md.contains("可以不通知个人"),
        "the exception of Art. 57(2): {md}"
    );
    assert!(!md.contains("第四条"), "no authority clock: {md}");
    for heading in [
        "## 一、涉及的个人信息种类",
        "## 二、事件原因",
        "## 三、可能造成的危害",
        "## 四、我们已采取的补救措施",
        "## 五、您可以采取的措施",
        "## 六、联系我们",
    ] {
        assert!(md.contains(heading), "{heading}: {md}");
    }
    assert!(md.contains("您好：") && md.contains("尚未告知"), "{md}");
    assert!(
        md.contains(
            "依照《中华人民共和国个人信息保护法》第五十七条和欧盟《通用数据保护条例》第34条的规定"
        ),
        "{md}"
    );
    let en = early(Audience::Individuals, Lang::En);
    assert_clean(&en);
    assert!(
        en.markdown
            .contains("GDPR Art. 34(1): tell the data subjects, due **without undue delay**"),
        "{}",
        en.markdown
    );
    assert!(
        en.markdown.contains("## How to reach us"),
        "{}",
        en.markdown
    );
}

#[test]
fn a_late_notice_asks_for_the_reasons_and_a_sent_one_shows_when() {
    // 09:00:01Z: one second past the CAC hour, nothing sent.
    let late = draft(
        &BTreeMap::new(),
        true,
        Audience::Authority,
        Lang::Zh,
        "2026-11-23T09:00:01Z",
    );
    assert!(
        late.markdown.contains("## 八、迟延报告的原因"),
        "{}",
        late.markdown
    );
    assert!(late.markdown.contains("已逾期"), "{}", late.markdown);
    // Sent at the hour exactly: on time, and nothing else is due yet.
    let mut sent = BTreeMap::new();
    sent.insert(
        "cn-cac-1h-ciio".to_string(),
        "2026-11-23T09:00:00Z".to_string(),
    );
    let d = draft(
        &sent,
        true,
        Audience::Authority,
        Lang::En,
        "2026-11-23T09:00:01Z",
    );
    assert!(
        !d.markdown.contains("Reasons for the delay"),
        "{}",
        d.markdown
    );
    assert!(
        d.markdown.contains("sent on time (2026-11-23 09:00 UTC)"),
        "{}",
        d.markdown
    );
}

#[test]
fn drafts_render_as_html_pages_and_default_to_chinese_for_china() {
    let d = early(Audience::Authority, Lang::Zh);
    let html = d.html();
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    assert!(
        html.contains("<title>个人信息安全事件报告（草稿）</title>"),
        "{html}"
    );
    assert!(html.contains("<table>"), "{html}");
    assert_eq!(default_lang(&strings(&["CN", "EU"])), Lang::Zh);
    assert_eq!(default_lang(&strings(&["EU"])), Lang::En);
    assert_eq!(default_lang(&[]), Lang::En);
}
