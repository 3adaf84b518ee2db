//! What a transfer declares, as the gate reads it: per field name its
//! transform, whether it is sensitive, the kinds its category allows and
//! the kinds its values match only by chance.

use std::collections::HashMap;

use outbound_model::{DataMap, Taxonomy, Transfer, Transform};
use outbound_scan::{KIND_COUNT, Kind};

/// The transfer's declared fields, by name, and the field that keys subjects.
pub(crate) struct Declarations {
    pub(super) fields: HashMap<String, Declared>,
    pub(super) subject_field: Option<String>,
}

impl Declarations {
    /// What the transfer declares: per field its transform, whether it is
    /// sensitive, and the kinds its category covers.
    pub(crate) fn of(map: &DataMap, t: &Transfer) -> Self {
        let tax = Taxonomy::builtin();
        let mut declared = HashMap::new();
        let mut subject_field = None;
        for (d, f) in map.transfer_dataset_fields(t) {
            let cat = tax.get(&f.category);
            // The scanner's rule (`scan --compare` uses it too): one answer to
            // whether a declared category accounts for a kind.
            let mut allowed = [false; KIND_COUNT];
            let mut chance = [false; KIND_COUNT];
            for k in Kind::ALL {
                allowed[k as usize] =
                    k.category().is_some() && outbound_scan::compare::covers(&f.category, k);
                chance[k as usize] = outbound_scan::compare::matches_by_chance(f, k);
            }
            let sensitive = f.subject == outbound_model::SubjectKind::ChildUnder14
                || cat.is_some_and(|c| c.sensitivity(map.sensitivity_profile).is_some());
            if f.subject_key && subject_field.is_none() {
                subject_field = Some(f.name.clone());
            }
            let this = Declared {
                transform: t.transform_of(&d.id, &f.name),
                sensitive,
                allowed_kinds: allowed,
                chance_kinds: chance,
                any_chance: chance.contains(&true),
            };
            declared
                .entry(f.name.clone())
                .and_modify(|e: &mut Declared| e.narrow(&this))
                .or_insert(this);
        }
        Declarations {
            fields: declared,
            subject_field,
        }
    }
}

/// What the gate knows about one declared field.
#[derive(Clone)]
pub(crate) struct Declared {
    pub(crate) transform: Option<Transform>,
    pub(super) sensitive: bool,
    pub(super) allowed_kinds: [bool; KIND_COUNT],
    /// Kinds the field's values match only by chance (`not_kinds` in the
    /// map): such matches are dropped before anything counts them.
    pub(super) chance_kinds: [bool; KIND_COUNT],
    /// Whether any of `chance_kinds` is set (most fields: none).
    pub(super) any_chance: bool,
}

impl Declared {
    /// Joins the declaration of a field of the same name in another of the
    /// transfer's datasets: a batch's fields are known by name only, so the
    /// stricter reading of each holds (a kind allowed or set aside by
    /// both, sensitive if either is, dropped when the transforms differ).
    /// The map's loader refuses such a pair unless they agree; this keeps a
    /// map built in code from failing open.
    fn narrow(&mut self, other: &Declared) {
        for k in 0..KIND_COUNT {
            self.allowed_kinds[k] &= other.allowed_kinds[k];
            self.chance_kinds[k] &= other.chance_kinds[k];
        }
        self.any_chance = self.chance_kinds.contains(&true);
        self.sensitive |= other.sensitive;
        if self.transform != other.transform {
            self.transform = Some(Transform::Drop);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map built in code may send fields of one name from two datasets
    /// declared differently (the loader refuses such a map): the gate then
    /// reads the stricter of the two, never the laxer.
    #[test]
    fn fields_of_one_name_declared_differently_are_read_strictly() {
        let l = outbound_model::load_sources(
            &outbound_model::example::lumen_sources(),
            Taxonomy::builtin(),
        );
        let mut map = l.map;
        let mut t = map.transfer("crm-to-parent").unwrap().clone();
        t.fields.push(outbound_model::FieldRef {
            dataset: "orders".into(),
            field: "customer_id".into(),
            loc: Default::default(),
        });
        let orders = map.datasets.iter_mut().find(|d| d.id == "orders").unwrap();
        let f = orders
            .fields
            .iter_mut()
            .find(|f| f.name == "customer_id")
            .unwrap();
        f.category = "contact.phone".into();
        f.not_kinds = vec!["cn_mobile".into()];
        let d = Declarations::of(&map, &t);
        let id = &d.fields["customer_id"];
        // `customers.customer_id` (an account id) allows no mobile and sets
        // none aside; `orders.customer_id` would allow and set aside both.
        assert!(!id.allowed_kinds[Kind::CnMobile as usize]);
        assert!(!id.chance_kinds[Kind::CnMobile as usize] && !id.any_chance);
        // Pseudonymised in `customers`, not in `orders`: dropped.
        assert_eq!(id.transform, Some(Transform::Drop));
        // Fields declared once keep their own reading.
        assert_eq!(d.fields["mobile"].transform, Some(Transform::Mask));
        assert!(d.fields["mobile"].allowed_kinds[Kind::CnMobile as usize]);
    }
}
