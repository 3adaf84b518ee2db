//! Context hints: what a field header or a keyword says a value is.
//!
//! Hints never make a value count by themselves for kinds that have a
//! validator of their own (IDs, phones, cards …); they only (a) enable the
//! context-only kinds (person name, address, date of birth, single geo
//! coordinates, non-Luhn UnionPay cards, D/S/P passports) and (b) break ties
//! for 15-digit values (IMEI vs legacy resident ID).

use crate::Kind;

/// A small set of [`Kind`]s suggested by context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints(pub u32);

impl Hints {
    /// No hints.
    pub const NONE: Hints = Hints(0);

    /// A set holding one kind.
    pub const fn of(k: Kind) -> Hints {
        Hints(1 << k as u32)
    }

    /// Whether `k` is hinted.
    #[inline(always)]
    pub const fn has(self, k: Kind) -> bool {
        self.0 & (1 << k as u32) != 0
    }

    /// Whether no hint is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds a kind.
    pub fn add(&mut self, k: Kind) {
        self.0 |= 1 << k as u32;
    }

    /// Derives hints from a field header (CSV column or last segment of a
    /// JSON key path). Matching is on a normalised form: lower case with
    /// `_`, `-`, spaces and dots removed.
    pub fn from_header(header: &str) -> Hints {
        let last = header.rsplit('.').next().unwrap_or(header);
        // A key that stands as a placeholder (`{person_name}`, `{n}`,
        // `{long}`) names nothing about the values under it.
        if last.starts_with('{') && last.ends_with('}') {
            return Hints::NONE;
        }
        let norm: String = last
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' ' | '.' | '[' | ']'))
            .flat_map(char::to_lowercase)
            .collect();
        let h = norm.as_str();
        let mut out = Hints::NONE;
        let has = |subs: &[&str]| subs.iter().any(|s| h.contains(s));
        let device = has(&["ip", "mac", "mail", "host", "server", "url", "web"]);
        if matches!(
            h,
            "name"
                | "fullname"
                | "firstname"
                | "lastname"
                | "surname"
                | "givenname"
                | "familyname"
                | "realname"
                | "personname"
                | "customername"
                | "contactname"
                | "membername"
                | "holdername"
                | "cardholder"
                | "cardholdername"
                | "accountholder"
                | "patientname"
                | "employeename"
                | "recipient"
                | "recipientname"
                | "receiver"
                | "receivername"
                | "consignee"
                | "contact"
        ) || has(&[
            "姓名",
            "名字",
            "联系人",
            "收件人",
            "收货人",
            "持卡人",
            "客户名称",
            "户名",
        ]) {
            out.add(Kind::PersonName);
        }
        if (!device && has(&["address", "addr", "street"]))
            || has(&["地址", "住址", "居住地", "户籍", "住所"])
        {
            out.add(Kind::Address);
        }
        if has(&["birth", "出生", "生日"]) || matches!(h, "dob" | "bday" | "birthday") {
            out.add(Kind::DateOfBirth);
        }
        if has(&[
            "card",
            "卡号",
            "银行",
            "bank",
            "acctno",
            "accountno",
            "账号",
        ]) {
            out.add(Kind::BankCard);
        }
        if has(&["passport", "护照"]) {
            out.add(Kind::CnPassport);
        }
        if has(&["imei"]) {
            out.add(Kind::Imei);
        }
        if matches!(h, "lat" | "lng" | "lon" | "long")
            || has(&[
                "latitude",
                "longitude",
                "纬度",
                "经度",
                "coord",
                "坐标",
                "gps",
            ])
        {
            out.add(Kind::GeoCoordinate);
        }
        if has(&[
            "身份证",
            "证件号",
            "idno",
            "idcard",
            "idnumber",
            "nationalid",
            "sfz",
        ]) {
            out.add(Kind::CnResidentId);
        }
        if has(&["phone", "mobile", "手机", "电话", "tel", "cell"]) {
            out.add(Kind::CnMobile);
        }
        out
    }

    /// The context-only kinds (validated on the whole value) in this set.
    pub const fn context_only(self) -> bool {
        self.has(Kind::PersonName)
            || self.has(Kind::Address)
            || self.has(Kind::DateOfBirth)
            || self.has(Kind::GeoCoordinate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert!(Hints::from_header("姓名").has(Kind::PersonName));
        assert!(Hints::from_header("customer_name").has(Kind::PersonName));
        assert!(!Hints::from_header("product_name").has(Kind::PersonName));
        assert!(!Hints::from_header("file_name").has(Kind::PersonName));
        assert!(Hints::from_header("home.address").has(Kind::Address));
        assert!(!Hints::from_header("ip_address").has(Kind::Address));
        assert!(!Hints::from_header("email_address").has(Kind::Address));
        assert!(Hints::from_header("出生日期").has(Kind::DateOfBirth));
        assert!(Hints::from_header("DOB").has(Kind::DateOfBirth));
        assert!(Hints::from_header("card_no").has(Kind::BankCard));
        assert!(Hints::from_header("Latitude").has(Kind::GeoCoordinate));
        assert!(Hints::from_header("id_no").has(Kind::CnResidentId));
        assert!(Hints::from_header("amount").is_empty());
        for placeholder in [
            "{bank_card}",
            "x.{cn_passport}",
            "{imei}",
            "{person_name}",
            "{n}",
        ] {
            assert!(Hints::from_header(placeholder).is_empty(), "{placeholder}");
        }
    }
}
