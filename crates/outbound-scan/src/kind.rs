//! The closed set of personal-information kinds the scanner reports.

use serde::{Serialize, Serializer};

/// A kind of personal (or, for [`Kind::CnUscc`], organisational) identifier.
///
/// The set is closed and small so that per-field counters can be plain
/// arrays indexed by `Kind as usize` (no hashing per value), and so that the
/// JSON identifiers stay a stable contract with the rules engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// PRC resident identity card number (18 digits with check, or 15 legacy).
    CnResidentId,
    /// PRC mobile number (`1[3-9]` + 9 digits, optional +86).
    CnMobile,
    /// PRC fixed-line number with area code.
    CnLandline,
    /// Payment card number (Luhn, or UnionPay in card context).
    BankCard,
    /// E-mail address.
    Email,
    /// IPv4 address (parsed by `std::net`).
    Ipv4,
    /// IPv6 address (parsed by `std::net`).
    Ipv6,
    /// PRC passport number.
    CnPassport,
    /// PRC vehicle licence plate.
    CnLicensePlate,
    /// Unified Social Credit Code: an organisation's code, recognised so it
    /// is *not* mistaken for a personal identifier.
    CnUscc,
    /// Precise latitude/longitude.
    GeoCoordinate,
    /// Mobile device IMEI (15 digits, Luhn).
    Imei,
    /// Network MAC address.
    MacAddress,
    /// Person name (only with a header or keyword saying so).
    PersonName,
    /// Postal address (only with a header or keyword saying so).
    Address,
    /// Date of birth (only with a header or keyword saying so).
    DateOfBirth,
}

/// Number of kinds; sizes the per-field counter arrays.
pub const KIND_COUNT: usize = 16;

impl Kind {
    /// All kinds in declaration order (the order used in reports).
    pub const ALL: [Kind; KIND_COUNT] = [
        Kind::CnResidentId,
        Kind::CnMobile,
        Kind::CnLandline,
        Kind::BankCard,
        Kind::Email,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::CnPassport,
        Kind::CnLicensePlate,
        Kind::CnUscc,
        Kind::GeoCoordinate,
        Kind::Imei,
        Kind::MacAddress,
        Kind::PersonName,
        Kind::Address,
        Kind::DateOfBirth,
    ];

    /// The stable identifier used in JSON output and in transfer rules.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::CnResidentId => "cn_resident_id",
            Kind::CnMobile => "cn_mobile",
            Kind::CnLandline => "cn_landline",
            Kind::BankCard => "bank_card",
            Kind::Email => "email",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::CnPassport => "cn_passport",
            Kind::CnLicensePlate => "cn_license_plate",
            Kind::CnUscc => "cn_uscc",
            Kind::GeoCoordinate => "geo_coordinate",
            Kind::Imei => "imei",
            Kind::MacAddress => "mac_address",
            Kind::PersonName => "person_name",
            Kind::Address => "address",
            Kind::DateOfBirth => "date_of_birth",
        }
    }

    /// Parses an identifier produced by [`Kind::as_str`].
    pub fn from_str_id(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The taxonomy category id the rules engine uses for this kind.
    ///
    /// `None` for [`Kind::CnUscc`]: an organisation's code is not personal
    /// information, so it must not pull a field into any PI category.
    pub const fn category(self) -> Option<&'static str> {
        Some(match self {
            Kind::CnResidentId => "identity.national_id",
            Kind::CnMobile | Kind::CnLandline => "contact.phone",
            Kind::Email => "contact.email",
            Kind::BankCard => "financial.bank_account",
            Kind::Ipv4 | Kind::Ipv6 => "device.ip_address",
            Kind::CnPassport => "identity.passport",
            Kind::CnLicensePlate => "identity.vehicle_plate",
            Kind::GeoCoordinate => "location.precise",
            Kind::Imei => "device.imei",
            Kind::MacAddress => "device.mac_address",
            Kind::PersonName => "identity.name",
            Kind::Address => "contact.address",
            Kind::DateOfBirth => "identity.date_of_birth",
            Kind::CnUscc => return None,
        })
    }

    /// Whether this kind makes its subject count as a holder of *sensitive*
    /// personal information when counting individuals.
    ///
    /// PIPL art. 28 lists financial accounts, precise location (行踪轨迹)
    /// and identity documents among sensitive PI; the CAC security
    /// assessment thresholds count sensitive PI separately. We therefore
    /// treat: resident ID, passport, bank card and precise geo coordinates as
    /// sensitive. Phones, e-mail, device ids, names, addresses and birth
    /// dates are ordinary PI on their own.
    pub const fn is_sensitive(self) -> bool {
        matches!(
            self,
            Kind::CnResidentId | Kind::CnPassport | Kind::BankCard | Kind::GeoCoordinate
        )
    }

    /// Whether this kind can only be recognised from a header or keyword,
    /// because its values look like ordinary text.
    pub const fn needs_context(self) -> bool {
        matches!(self, Kind::PersonName | Kind::Address | Kind::DateOfBirth)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
            assert_eq!(Kind::from_str_id(k.as_str()), Some(*k));
        }
        assert_eq!(Kind::CnUscc.category(), None);
        assert_eq!(Kind::CnLandline.category(), Some("contact.phone"));
    }
}
