//! Person names. A name cannot be told from arbitrary text by its value
//! alone, so this validator is only consulted when a header (`姓名`,
//! `name`, …) or a keyword before the value says it is a name; it then
//! rejects values that cannot be names (numbers, placeholders, long text).
//!
//! Chinese: 2–4 CJK characters starting with a common surname (single or
//! compound, list in `data/cn_surnames.txt`), or ethnic-minority names with
//! a middle dot (`买买提·艾力`). Latin script: 1–5 alphabetic words.

use std::sync::LazyLock;

const SURNAMES_TXT: &str = include_str!("../../data/cn_surnames.txt");

/// First code point of the CJK blocks a surname can come from
/// (Extension A, U+3400, through the URO's end, U+9FFF).
const CJK_FIRST: u32 = 0x3400;
const CJK_LAST: u32 = 0x9FFF;

/// The words of a data list: whitespace-separated, `#` lines are comments.
fn list_words(txt: &'static str) -> impl Iterator<Item = &'static str> {
    txt.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
}

/// The surname list as lookups: one bit per code point for the
/// single-character surnames and the compound ones as sorted pairs. Why not
/// a `HashSet<&str>`: a name column asks for every cell, and hashing the
/// string cost more than the rest of the name check.
struct Surnames {
    single: Vec<u64>,
    double: Vec<(char, char)>,
}

static SURNAMES: LazyLock<Surnames> = LazyLock::new(|| {
    let mut single = vec![0u64; ((CJK_LAST - CJK_FIRST) / 64 + 1) as usize];
    let mut double = Vec::new();
    for w in list_words(SURNAMES_TXT) {
        let mut cs = w.chars();
        match (cs.next(), cs.next(), cs.next()) {
            (Some(a), None, _) if is_cjk(a) => {
                let i = u32::from(a) - CJK_FIRST;
                single[(i / 64) as usize] |= 1 << (i % 64);
            }
            (Some(a), Some(b), None) => double.push((a, b)),
            // The list holds one- and two-character CJK surnames only (a
            // test checks); anything else could never match a name.
            _ => {}
        }
    }
    double.sort_unstable();
    double.dedup();
    Surnames { single, double }
});

impl Surnames {
    fn single(&self, c: char) -> bool {
        let c = u32::from(c);
        (CJK_FIRST..=CJK_LAST).contains(&c) && {
            let i = c - CJK_FIRST;
            self.single[(i / 64) as usize] & (1 << (i % 64)) != 0
        }
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

const PLACEHOLDERS: &[&str] = &[
    "null",
    "none",
    "n/a",
    "na",
    "nil",
    "unknown",
    "test",
    "anonymous",
    "未知",
    "无",
    "匿名",
    "测试",
    "暂无",
];

/// Whether `s` starts with a listed surname.
pub fn has_surname(s: &str) -> bool {
    let mut it = s.chars();
    let Some(c0) = it.next() else {
        return false;
    };
    surname_at(c0, it.next())
}

/// Whether the characters `c0` (and `c1`) start with a listed surname.
fn surname_at(c0: char, c1: Option<char>) -> bool {
    let sn = &*SURNAMES;
    sn.single(c0) || c1.is_some_and(|c1| sn.double.binary_search(&(c0, c1)).is_ok())
}

/// The common name read straight from the bytes: true when `t` is 2–4
/// characters of U+4000–U+9FFF (three UTF-8 bytes each, lead 0xE4–0xE9,
/// well-formed for every pair of continuation bytes), all CJK, not a
/// placeholder, and starts with a surname. Then `t` is valid UTF-8 and
/// [`is_valid`] accepts it by its all-CJK rule (nothing to trim, at most
/// 12 bytes), so a name column's cells skip `str::from_utf8` and the
/// general check. False says nothing: the caller asks [`is_valid`].
pub fn is_plain_cjk_name(t: &[u8]) -> bool {
    if !(6..=12).contains(&t.len()) || !t.len().is_multiple_of(3) {
        return false;
    }
    let mut cs = ['\0'; 4];
    for (k, b) in t.chunks_exact(3).enumerate() {
        if !(0xE4..=0xE9).contains(&b[0]) || b[1] & 0xC0 != 0x80 || b[2] & 0xC0 != 0x80 {
            return false;
        }
        let c =
            (u32::from(b[0] & 0x0F) << 12) | (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
        match char::from_u32(c) {
            Some(c) if is_cjk(c) => cs[k] = c,
            _ => return false,
        }
    }
    !PLACEHOLDERS.iter().any(|p| p.as_bytes() == t) && surname_at(cs[0], Some(cs[1]))
}

const FIELD_WORDS_TXT: &str = include_str!("../../data/cn_field_words.txt");
const COMMON_WORDS_TXT: &str = include_str!("../../data/cn_common_words.txt");

/// Chinese field names that start with a surname: the characters that end
/// them and whole words, both sorted. The endings and the first words are
/// hand-picked (`data/cn_field_words.txt`); the rest are a dictionary's
/// common words (`data/cn_common_words.txt`, from jieba's, without the
/// words it tags as people's names), read only by the lenient rule.
struct FieldWords {
    ends: Vec<char>,
    words: Vec<&'static str>,
}

static FIELD_WORDS: LazyLock<FieldWords> = LazyLock::new(|| {
    let mut ends = Vec::new();
    let mut words = Vec::new();
    for w in list_words(FIELD_WORDS_TXT).chain(list_words(COMMON_WORDS_TXT)) {
        let mut cs = w.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => ends.push(c),
            _ => words.push(w),
        }
    }
    ends.sort_unstable();
    ends.dedup();
    words.sort_unstable();
    words.dedup();
    FieldWords { ends, words }
});

/// Whether a field name (a CSV header cell or a JSON key, trimmed) is
/// itself a person's name: a map keyed by names, or a first row of names
/// that would otherwise be read as a header. A name-shaped word
/// ([`is_plain_cjk_name`], or CJK around a middle dot) counts unless it is
/// an ordinary field name: one ending in a character that ends field names
/// (`金额`, `时间`, `车牌号`) or a listed word (`data/cn_field_words.txt`),
/// or the name of a province or city (`江苏`, `杭州`: columns of a table
/// pivoted by place).
/// A Latin-script name counts when both its words are common names
/// ([`is_latin_name_as_field_name`]).
pub fn is_name_as_field_name(name: &str) -> bool {
    name_as_field_name(name, false)
}

/// [`is_name_as_field_name`]; `strict`: only an ending tells a field word
/// (words listed whole and place names are also plausible people's names).
pub(crate) fn name_as_field_name(name: &str, strict: bool) -> bool {
    if is_plain_cjk_name(name.as_bytes()) {
        let fw = &*FIELD_WORDS;
        let last = name.chars().next_back();
        return last.is_none_or(|c| fw.ends.binary_search(&c).is_err())
            && (strict
                || (fw.words.binary_search(&name).is_err()
                    && !super::address::is_place_name(name)));
    }
    if name.is_ascii() || !name.chars().any(is_cjk) {
        return latin_name_as_field_name(name, strict);
    }
    (name.contains('·') || name.contains('•'))
        && name.chars().all(|c| is_cjk(c) || c == '·' || c == '•')
        && is_valid(name)
}

const EN_GIVEN_TXT: &str = include_str!("../../data/en_given_names.txt");
const EN_SURNAMES_TXT: &str = include_str!("../../data/en_surnames.txt");
const EN_FIELD_WORDS_TXT: &str = include_str!("../../data/en_field_words.txt");

/// Common given names and surnames in Latin script, and the words of both
/// that are also field-name words, each sorted by their lowercase form
/// (`data/en_given_names.txt`, `data/en_surnames.txt`,
/// `data/en_field_words.txt`).
struct LatinNames {
    given: Vec<&'static str>,
    surnames: Vec<&'static str>,
    field_words: Vec<&'static str>,
}

static LATIN_NAMES: LazyLock<LatinNames> = LazyLock::new(|| {
    let sorted = |txt| {
        let mut v: Vec<&'static str> = list_words(txt).collect();
        v.sort_unstable_by(|a, b| cmp_ignore_ascii_case(a, b));
        v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        v
    };
    LatinNames {
        given: sorted(EN_GIVEN_TXT),
        surnames: sorted(EN_SURNAMES_TXT),
        field_words: sorted(EN_FIELD_WORDS_TXT),
    }
});

fn cmp_ignore_ascii_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

fn listed(list: &[&str], word: &str) -> bool {
    list.binary_search_by(|w| cmp_ignore_ascii_case(w, word))
        .is_ok()
}

/// Whether a field name (trimmed) is a Latin-script person's name: two or
/// three words in one case (`Mary Johnson`, `MARY J. JOHNSON`,
/// `mary smith-jones`; or parted by `_`, `mary_johnson`, as user names
/// are), or `Surname, Given` (`Johnson, Mary`), whose
/// given name is listed and whose surname (or a part of it around a
/// hyphen) is too. Title Case field names
/// (`Order Status`, `Grant Date`) have words that are not both, and this is
/// the whole test: a Latin name has no shape of its own. Names outside the
/// lists (`José García`) are not flagged; docs/ACCURACY.md measures how many.
/// A name whose first or last word is also a field-name word (`Max Price`,
/// `Grant Page`) is a field name here; the gate's strict reading takes it
/// for a name.
pub fn is_latin_name_as_field_name(name: &str) -> bool {
    latin_name_as_field_name(name, false)
}

fn latin_name_as_field_name(name: &str, strict: bool) -> bool {
    if name.len() > 64 {
        return false;
    }
    // `Johnson, Mary`: the surname first, then the given name. Without a
    // space, `_` may part the words (`mary_johnson`: a user name as a key).
    let words: Vec<&str> = match name.split_once(", ") {
        Some((sur, given)) if !sur.contains(' ') && !given.contains(' ') => vec![given, sur],
        Some(_) => return false,
        None if !name.contains(' ') => name.split('_').collect(),
        None => name.split(' ').collect(),
    };
    if !(2..=3).contains(&words.len()) {
        return false;
    }
    // Every word in one case: capitalised (`Mary`: an uppercase letter,
    // then letters with one lowercase at least), all capitals (`MARY`) or
    // all lowercase (`mary`); `'` and `-` inside. A middle word may be an
    // initial (`J.`, `j.`). Both ends must be listed names, so `ID` or
    // `order status` are not.
    let case = |w: &str| -> Option<u8> {
        let mut cs = w.chars();
        let head = cs.next()?;
        if w.len() < 2
            || !head.is_alphabetic()
            || !cs.all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        {
            return None;
        }
        let (up, low) = (
            w.chars().any(char::is_uppercase),
            w.chars().any(char::is_lowercase),
        );
        match (head.is_uppercase(), up, low) {
            (true, _, true) => Some(b'T'),
            (true, _, false) => Some(b'U'),
            (false, false, true) => Some(b'L'),
            _ => None,
        }
    };
    let initial = |w: &str, c: u8| {
        let b = w.as_bytes();
        b.len() == 2
            && b[1] == b'.'
            && if c == b'L' {
                b[0].is_ascii_lowercase()
            } else {
                b[0].is_ascii_uppercase()
            }
    };
    let (first, last) = (words[0], words[words.len() - 1]);
    let Some(c) = case(first) else { return false };
    let middle_ok = words.len() == 2 || case(words[1]) == Some(c) || initial(words[1], c);
    if !(middle_ok && case(last) == Some(c)) {
        return false;
    }
    let l = &*LATIN_NAMES;
    listed(&l.given, first)
        && last.split('-').any(|p| listed(&l.surnames, p))
        && (strict || !(listed(&l.field_words, first) || listed(&l.field_words, last)))
}

/// `str::trim`, called only when an end is whitespace: most cells have
/// none, and the general trim (a pattern searcher from both ends) cost as
/// much as the rest of the name check. The same string either way.
/// An end is plainly not whitespace when it is an ASCII non-space or a
/// character whose UTF-8 lead byte is 0xE4–0xE9 (U+4000–U+9FFF, where
/// Unicode has no whitespace); anything else asks `str::trim`.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let ascii_solid = |c: u8| c < 0x80 && !char::from(c).is_whitespace();
    let cjk_lead = |c: u8| (0xE4..=0xE9).contains(&c);
    let first = b.first().is_some_and(|&c| ascii_solid(c) || cjk_lead(c));
    let last = b.last().is_some_and(|&c| {
        ascii_solid(c) || (c >= 0x80 && b.len() >= 3 && cjk_lead(b[b.len() - 3]))
    });
    if first && last { s } else { s.trim() }
}

/// A field name taken for a person's name, as a value of that kind is
/// read: a name parted by `_` (`mary_johnson`, a user name as a key) with
/// spaces between its words, so that it is counted as `Mary Johnson` is.
pub fn name_key_as_value(key: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if key.contains(&b'_') {
        key.iter()
            .map(|&b| if b == b'_' { b' ' } else { b })
            .collect::<Vec<u8>>()
            .into()
    } else {
        key.into()
    }
}

/// Validates a (trimmed) value in a name field.
pub fn is_valid(s: &str) -> bool {
    let s = trim(s);
    if s.is_empty() || s.len() > 64 || PLACEHOLDERS.iter().any(|p| s.eq_ignore_ascii_case(p)) {
        return false;
    }
    // One pass for the count and the all-CJK test (most names).
    let (n, all_cjk) = s
        .chars()
        .fold((0usize, true), |(n, all), c| (n + 1, all && is_cjk(c)));
    if all_cjk {
        return (2..=4).contains(&n) && has_surname(s);
    }
    if s.contains('·') || s.contains('•') {
        return (3..=20).contains(&n) && s.chars().all(|c| is_cjk(c) || c == '·' || c == '•');
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_alphabetic)
                && w.chars()
                    .all(|c| c.is_alphabetic() && !is_cjk(c) || matches!(c, '\'' | '-' | '.'))
        })
        && s.chars().filter(|c| c.is_alphabetic()).count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_plain_cjk_name` against `str::from_utf8` + `is_valid`: true
    /// only where those accept, and true for the generator's names.
    #[test]
    fn plain_cjk_names_are_valid_names() {
        let check = |t: &[u8]| {
            if is_plain_cjk_name(t) {
                let s = std::str::from_utf8(t).expect("valid UTF-8");
                assert!(is_valid(s), "{s:?}");
            }
        };
        let mut rng = crate::corpus::Rng::new(5);
        let mut hits = 0;
        for _ in 0..3_000 {
            let name = crate::corpus::chinese_name(&mut rng);
            hits += usize::from(is_plain_cjk_name(name.as_bytes()));
            check(name.as_bytes());
        }
        assert!(hits > 2_000, "only {hits} generated names on the fast path");
        // Surnames with given characters, placeholders, characters at the
        // edges of the CJK blocks and outside them, 1 to 5 characters.
        let chars: Vec<char> = "张王李欧阳司马诸葛伟娜未知匿名测试暂无无一龥\u{4000}\u{4DBF}\u{4DC0}\u{4DFF}\u{4E00}\u{3400}\u{9FFF}·a "
            .chars()
            .collect();
        let mut buf = String::new();
        for n in 1..=5 {
            for _ in 0..20_000 {
                buf.clear();
                for _ in 0..n {
                    buf.push(*rng.pick(&chars));
                }
                check(buf.as_bytes());
            }
        }
        for p in PLACEHOLDERS {
            assert!(!is_plain_cjk_name(p.as_bytes()), "{p}");
        }
        // Every byte in every position of a valid name.
        let good = "欧阳娜娜".as_bytes();
        assert!(is_plain_cjk_name(good));
        for i in 0..good.len() {
            for b in 0..=255u8 {
                let mut v = good.to_vec();
                v[i] = b;
                check(&v);
            }
        }
    }

    #[test]
    fn trim_is_str_trim() {
        // Every whitespace character and some that are not, at either end.
        let ends: Vec<char> = ('\0'..='\u{3100}')
            .filter(|c| c.is_whitespace() || c.is_ascii() || matches!(c, '·' | '\u{FEFF}'))
            .chain(['张', '龥', '䀀', 'é', '€', '😀', '\u{3000}', '\u{FEFF}'])
            .collect();
        for &a in &ends {
            for &b in &ends {
                for mid in ["", "张三", " ", "a b"] {
                    let s = format!("{a}{mid}{b}");
                    assert_eq!(trim(&s), s.trim(), "{s:?}");
                    assert_eq!(trim(&s[a.len_utf8()..]), s[a.len_utf8()..].trim());
                }
            }
        }
    }

    #[test]
    fn names() {
        assert!(is_valid("张三"));
        assert!(is_valid("欧阳娜娜"));
        assert!(is_valid("王小明"));
        assert!(is_valid("买买提·艾力"));
        assert!(is_valid("John Smith"));
        assert!(is_valid("Zoë O'Neil"));
        assert!(!is_valid("张"));
        assert!(!is_valid("的确是一个好人"));
        assert!(!is_valid("你好"));
        assert!(!is_valid("N/A"));
        assert!(!is_valid("12345"));
        assert!(!is_valid("未知"));
    }

    #[test]
    fn every_listed_surname_is_found() {
        let mut n = 0;
        for w in list_words(SURNAMES_TXT) {
            let k = w.chars().count();
            assert!((1..=2).contains(&k) && w.chars().all(is_cjk), "{w}");
            assert!(has_surname(w), "{w}");
            assert!(has_surname(&format!("{w}明")), "{w}明");
            n += 1;
        }
        assert!(n > 400);
        // Not surnames: CJK characters off the list, Latin, empty text.
        for w in ["的确", "鬼才", "Smith", ""] {
            assert!(!has_surname(w), "{w}");
        }
    }

    #[test]
    fn common_surnames_missed_on_faker_names() {
        // Frequent surnames that Faker's zh_CN names use and the list lacked.
        for n in ["傅强", "洪飞", "赖鑫", "萧小红", "阎玉梅"] {
            assert!(is_valid(n), "{n}");
        }
    }

    /// Ordinary Chinese column names from orders, HR, banking, medical and
    /// logistics schemas (63 of them start with a surname: 金额 余额 时间
    /// 车牌号 公司 国家 来源 …).
    const FIELD_NAMES: &str = "
        姓名 名字 性别 年龄 出生日期 生日 民族 国籍 籍贯
        婚姻状况 学历 学位 专业 职业 职位 职务 职称 岗位
        部门 单位 公司 公司名称 企业名称 行业 身份证号 身份证
        证件号 证件号码 证件类型 护照号 护照 驾驶证 手机
        手机号 手机号码 电话 电话号码 联系电话 固定电话 邮箱
        电子邮箱 邮件 微信 微信号 QQ号 微博 地址 住址
        家庭住址 联系地址 收货地址 详细地址 邮编 邮政编码 省份
        城市 区县 街道 小区 门牌号 国家 地区 区域 位置 经度
        纬度 坐标 银行卡号 银行卡 卡号 开户行 开户银行 账号
        账户 户名 余额 金额 总金额 订单金额 支付金额 实付金额
        优惠金额 价格 单价 总价 数量 折扣 运费 税额 税率
        利率 额度 信用额度 积分 等级 会员等级 订单号 订单编号
        订单状态 订单时间 下单时间 支付时间 支付方式 发货时间
        收货时间 创建时间 更新时间 修改时间 登录时间 注册时间
        时间 日期 年份 月份 时长 有效期 到期日 商品 商品名称
        商品编号 产品 产品名称 品牌 型号 规格 颜色 尺寸 重量
        体重 身高 血型 血压 体温 心率 病史 诊断 病历号
        医保卡号 社保卡号 过敏史 用药 疾病 症状 科室 医生
        护士 床号 车牌号 车牌 车型 车架号 发动机号 车主 司机
        乘客 车次 座位号 航班号 舱位 行程 出发地 目的地 里程
        用户名 用户 用户编号 客户 客户编号 客户名称 会员
        会员号 昵称 密码 头像 签名 简介 备注 说明 描述 标签
        类型 类别 分类 状态 来源 渠道 方式 原因 结果 内容
        标题 评论 评分 评价 留言 联系人 收件人 收货人 寄件人
        负责人 经办人 申请人 审批人 法人 法定代表人 监护人
        紧急联系人 持卡人 户主 业主 房东 租客 员工 员工编号
        工号 学号 学生 教师 班级 年级 学校 工资 月薪 年薪
        薪资 奖金 押金 租金 定金 保证金 现金 资金 收入 支出
        费用 成本 利润 预算 发票 发票号 票据 税号
        统一社会信用代码 信用代码 营业执照 设备号 设备 终端
        序列号 IP地址 MAC地址 浏览器 操作系统 版本 版本号
        应用 网址 链接 域名 端口 日志 记录 批次 批次号 序号
        编号 编码 代码 名称 标识 主键 外键 索引 政治面貌
        宗教信仰 健康状况 工作单位 工作经历 教育经历 家庭成员
        关系 与本人关系 紧急联系电话 兴趣爱好 特长 爱好 宠物
        房产 车辆 资产 负债 征信 信用 风险 风险等级 保险
        保单号 理赔 贷款 还款 逾期 汇率 币种 余额宝 存款
        取款 转账 流水 流水号 交易号 交易时间 交易金额
        交易类型 对方账号 对方户名 摘要 用途 附言 渠道号 商户
        商户号 商家 店铺 店名 门店 仓库 库存 物流 快递
        运单号 快递单号 操作人 操作时间 操作类型 创建人 修改人
        审核 审核人 审核状态 审批 权限 角色 菜单 模块 项目
        任务 进度 优先级 截止日期 开始时间 结束时间 周期 频率
        次数 总数 合计 小计 平均 比例 百分比 排名
    ";

    #[test]
    fn ordinary_field_names_are_not_person_names() {
        let mut shaped = 0;
        for f in FIELD_NAMES.split_whitespace() {
            shaped += usize::from(is_plain_cjk_name(f.as_bytes()));
            assert!(!is_name_as_field_name(f), "{f}");
        }
        // The list is a test of the endings only if many start with a surname.
        assert!(shaped >= 60, "{shaped}");
    }

    /// Columns of report tables: weekdays, regions, provinces and cities
    /// (a table pivoted by place), and sales, logistics and finance words.
    /// Each starts with a surname; all were taken for names before the
    /// gazetteer and the endings added with them, the last two lines
    /// before the dictionary's common words.
    const REPORT_COLUMNS: &str = "
        周一 周二 周三 周四 周五 周六 周日 周末 周岁 华东 华南 华北 华中
        江苏 江西 甘肃 宁夏 云南 黄冈 杭州 苏州 温州 常州 兰州 徐州 郑州
        沈阳 武汉 南京 南宁 邵阳 黄山 毛利 毛重 黄金 白天
        白班 包装 安全 齐全 明细 钱包 罗盘 万元 元素 汤料 史料 石油 石材
        林木 田亩 韩国 海运 海外 海报 关键词 游客 申请 申报 成交 牛奶 羊肉
        马匹 童装 童鞋 尚未 米粒 燕麦 包邮 雷达 任意 许可 全选 薄荷 卫生
        柏林 巴黎 应收 应付 支付 龙头 宋体
        楼层 单元 房屋 房租 查询 查找 金融 林业 马力 欧元 夏季 段落 包裹
        包含 任职 向导 章节 关联 南北 王国 江河 方便 高兴 明天 尤其 秦朝
        卫星 荣誉 康复 祝福 卢布 苗木 杨树 韩文 谷歌 傅里叶 秦岭
    ";

    #[test]
    fn report_columns_are_not_person_names() {
        let words: Vec<&str> = REPORT_COLUMNS.split_whitespace().collect();
        let unshaped: Vec<_> = words
            .iter()
            .filter(|f| !is_plain_cjk_name(f.as_bytes()))
            .collect();
        assert!(unshaped.is_empty(), "no test of the list: {unshaped:?}");
        let names: Vec<_> = words.iter().filter(|f| is_name_as_field_name(f)).collect();
        assert!(names.is_empty(), "taken for names: {names:?}");
        // People named in history and a county's name stay names.
        for n in ["曹操", "诸葛亮", "欧阳修", "江宁"] {
            assert!(is_name_as_field_name(n), "{n}");
        }
        // For the gate only endings tell: a word listed whole or a place
        // may be someone's name (`许可`, `金华`), one ending like a field
        // word is not (`申请`, `余额`).
        for n in ["许可", "白天", "周一", "金华", "江苏", "曹操"] {
            assert!(name_as_field_name(n, true), "{n}");
        }
        for n in ["申请", "余额", "支付", "周日", "宋体"] {
            assert!(!name_as_field_name(n, true), "{n}");
        }
    }

    /// Headers of common exports (a web shop's customers and orders, a
    /// CRM's contacts, a payroll) in Title Case: none is a name.
    const TITLE_CASE_HEADERS: &str = "First Name|Last Name|Email|Company|Address1|Address2|City|\
        Province|Province Code|Country|Country Code|Zip|Phone|Accepts Marketing|Total Spent|\
        Total Orders|Tags|Note|Tax Exempt|Order Status|Order Date|Grant Date|Ship Date|\
        Shipping Method|Billing Name|Billing Street|Lineitem Quantity|Lineitem Name|\
        Lineitem Price|Discount Code|Discount Amount|Payment Method|Payment Reference|\
        Refunded Amount|Vendor|Outstanding Balance|Employee|Risk Level|Source|Account Owner|\
        Lead Source|Mailing City|Mailing State|Mailing Country|Created Date|Last Modified Date|\
        Opportunity Name|Close Date|Stage|Amount|Probability|Next Step|Contact Owner|\
        Job Title|Department|Hire Date|Pay Rate|Pay Frequency|Cost Center|Manager Name|\
        Employee ID|Date of Birth|Marital Status|Home Phone|Mobile Phone|Work Email|\
        Emergency Contact|Bank Name|Routing Number|Account Number|Net Pay|Gross Pay|\
        Federal Tax|State Tax|Union Dues|Year To Date|Week Ending|Store Number|Rose Gold|\
        Forest Green|Navy Blue|Sky Blue|Ivory White|Gift Card|Price List|Unit Price|\
        Sales Rep|Sales Region|Customer Name|Full Name|Given Name|Family Name|Middle Name|\
        Nick Name|Preferred Name|Legal Name|Display Name|User Name|Screen Name|\
        Marshall Islands|New York|North Carolina|Rhode Island|Saint Lucia|San Marino|\
        Max Price|Mark Price|Grant Price|Max Miles|Bill Page|June Price";

    #[test]
    fn latin_names_as_field_names() {
        // Two listed names of which one is a field word: a field name to
        // the scanner, a name to the gate until declared.
        let both = [
            "Max Price",
            "Mark Price",
            "Grant Price",
            "Max Miles",
            "Bill Page",
            "June Price",
        ];
        for h in TITLE_CASE_HEADERS.split('|') {
            // The same headers in capitals, in lowercase and in snake case
            // read alike.
            let snake = |c: String| c.replace(' ', "_");
            for c in [
                h.to_string(),
                h.to_uppercase(),
                h.to_lowercase(),
                snake(h.to_lowercase()),
                snake(h.to_uppercase()),
                snake(h.to_string()),
            ] {
                assert!(!is_name_as_field_name(&c), "{c}");
                assert_eq!(name_as_field_name(&c, true), both.contains(&h), "{c}");
            }
        }
        let l = &*LATIN_NAMES;
        for w in &l.field_words {
            assert!(
                listed(&l.given, w) || listed(&l.surnames, w),
                "{w} is no name"
            );
        }
        for n in [
            "Mary Johnson",
            "John Smith",
            "Mary J. Johnson",
            "Mary Ann Smith",
            "Sarah Clarke-Wood",
            "David Jones",
            "john smith",
            "JOHN SMITH",
            "mary j. johnson",
            "MARY ANN SMITH",
            "Smith, John",
            "SMITH, JOHN",
            "clarke-wood, sarah",
            "john_smith",
            "MARY_JOHNSON",
            "Mary_Ann_Smith",
            "sarah_clarke-wood",
            "john_j._smith",
        ] {
            assert!(is_name_as_field_name(n), "{n}");
            assert!(name_as_field_name(n, true), "{n}");
        }
        // Outside the lists, in mixed case or another shape: not flagged.
        for n in [
            "José García",
            "John smith",
            "JOHN Smith",
            "john SMITH",
            "Smith, John Paul",
            "Smith John, Paul",
            "Smith,John",
            "John, Smith",
            "John",
            "John  Smith",
            "Mary Ann Lee Smith",
            "Mary 2Smith",
            "john_Smith",
            "john__smith",
            "_john_smith",
            "mary_ann_lee_smith",
            "john_smith jr",
        ] {
            assert!(!is_name_as_field_name(n), "{n}");
        }
    }

    /// Keys parted by `_` are names when both words are, for the scanner
    /// and the gate alike (`max_price`: a name to the gate, as `Max Price`
    /// is); snake-case field names are not.
    #[test]
    fn snake_case_keys_are_names_only_when_both_words_are() {
        use crate::Kind;
        use crate::detect::{kind_of_field_name, kind_of_field_name_strict};
        for k in [
            "john_smith",
            "MARY_JOHNSON",
            "Mary_Ann_Smith",
            "  john_smith ",
        ] {
            assert_eq!(kind_of_field_name(k), Some(Kind::PersonName), "{k}");
            assert_eq!(kind_of_field_name_strict(k), Some(Kind::PersonName), "{k}");
        }
        for k in [
            "order_no",
            "id_no",
            "card_no",
            "created_ms",
            "first_name",
            "last_name",
            "user_id",
            "updated_at",
            "ship_to",
            "john_",
            "_smith",
            "j_smith",
        ] {
            assert_eq!(kind_of_field_name(k), None, "{k}");
            assert_eq!(kind_of_field_name_strict(k), None, "{k}");
        }
        assert_eq!(kind_of_field_name("max_price"), None);
        assert_eq!(
            kind_of_field_name_strict("max_price"),
            Some(Kind::PersonName)
        );
    }

    #[test]
    fn person_names_as_field_names_are_names() {
        let mut rng = crate::corpus::Rng::new(9);
        for _ in 0..3_000 {
            let name = crate::corpus::chinese_name(&mut rng);
            assert!(is_name_as_field_name(&name), "{name}");
        }
        for n in ["买买提·艾力", "傅强", "萧小红", "王思远", "李娜"] {
            assert!(is_name_as_field_name(n), "{n}");
        }
        // Not names: a single character, a placeholder, a name with text
        // around it (Latin names: `latin_names_as_field_names`).
        for n in ["张", "未知", "张伟的订单", "张伟 ", "·"] {
            assert!(!is_name_as_field_name(n), "{n}");
        }
    }

    #[test]
    fn field_word_list_is_cjk_and_spares_the_generators_given_names() {
        let fw = &*FIELD_WORDS;
        assert!(fw.ends.len() > 100 && fw.words.len() > 30);
        assert!(fw.ends.iter().all(|&c| is_cjk(c)));
        assert!(fw.words.iter().all(|w| w.chars().all(is_cjk)));
        for g in crate::corpus::GIVEN_CHARS {
            let c = g.chars().next().unwrap();
            assert!(fw.ends.binary_search(&c).is_err(), "{g}");
        }
    }
}
