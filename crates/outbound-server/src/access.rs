//! Who may do what: one table, asked by every handler before it reads or
//! writes. DESIGN.md's roles: `admin` everything; `compliance` answers for the
//! transfers; `engineer` runs gates; `auditor` reads everything; `recipient`
//! its own transfers only; `regulator` determinations, counts and proofs but
//! no personal data; `association` member snapshots and ratings.

use outbound_store::{Account, Role};

use crate::error::ApiError;

/// An action a request may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read transfers and their determinations (a recipient: its own only).
    ReadTransfers,
    /// Suspend or resume a route.
    SetRoute,
    /// Read the ledger's counts against the thresholds.
    ReadStatus,
    /// Read the ledger's batches (a recipient: those of its transfers).
    ReadBatches,
    /// Read the audit log's checkpoint and proofs.
    ReadAudit,
    /// Read complaints (they hold personal data: text and contact).
    ReadComplaints,
    /// Upload a file to the scanner (it may hold personal data).
    Scan,
    /// Read an overseas recipient's obligations and where they stand (a recipient: its own only).
    ReadObligations,
    /// Attest an obligation as an overseas recipient (a recipient: its own only).
    Attest,
    /// Read the incident register and its clocks (it holds no personal data).
    ReadIncidents,
    /// Open an incident.
    OpenIncident,
    /// Record an incident's notices, suspend its routes, close it, draft its notices.
    HandleIncident,
    /// Read rights requests (a recipient: the parts forwarded to it only).
    ReadRequests,
    /// Take in, check, forward, pause, extend and close rights requests.
    HandleRequests,
    /// Answer a forwarded part of a rights request (a recipient: its own only).
    AnswerRequest,
    /// Triage, link and answer complaints.
    HandleComplaints,
    /// Read reviews of recipients, their findings and risk scores (a recipient: its own only).
    ReadReviews,
    /// Record a review of a recipient and its findings.
    Review,
    /// Publish the company's compliance snapshot for a period.
    PublishSnapshot,
    /// Read the compliance snapshots this company published.
    ReadSnapshots,
    /// Read members' snapshots and the ratings computed from them.
    ReadRatings,
    /// Manage the association's members and collect their snapshots.
    ManageMembers,
}

impl Action {
    /// What the action is, for a 403's message.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadTransfers => "read transfers",
            Action::SetRoute => "suspend or resume a route",
            Action::ReadStatus => "read the counts against the thresholds",
            Action::ReadBatches => "read the ledger's batches",
            Action::ReadAudit => "read the audit log",
            Action::ReadComplaints => "read complaints",
            Action::Scan => "scan files and databases",
            Action::ReadObligations => "read a recipient's obligations",
            Action::Attest => "attest a recipient's obligations",
            Action::ReadIncidents => "read incidents",
            Action::OpenIncident => "open an incident",
            Action::HandleIncident => "handle an incident",
            Action::ReadRequests => "read rights requests",
            Action::HandleRequests => "handle rights requests",
            Action::AnswerRequest => "answer a rights request",
            Action::HandleComplaints => "handle complaints",
            Action::ReadReviews => "read reviews of recipients",
            Action::Review => "review a recipient",
            Action::PublishSnapshot => "publish a compliance snapshot",
            Action::ReadSnapshots => "read compliance snapshots",
            Action::ReadRatings => "read snapshots and ratings",
            Action::ManageMembers => "manage the association's members",
        }
    }
}

/// Whether `role` may take `action` at all (a recipient's reads are further
/// limited to its own transfers by the handlers).
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        ReadTransfers => matches!(
            role,
            Admin | Compliance | Engineer | Auditor | Recipient | Regulator
        ),
        SetRoute => matches!(role, Admin | Compliance),
        ReadStatus => matches!(role, Admin | Compliance | Engineer | Auditor | Regulator),
        ReadBatches => matches!(
            role,
            Admin | Compliance | Engineer | Auditor | Recipient | Regulator
        ),
        ReadAudit => true,
        ReadComplaints => matches!(role, Admin | Compliance | Auditor),
        Scan => matches!(role, Admin | Compliance | Engineer | Auditor),
        ReadObligations => matches!(role, Admin | Compliance | Auditor | Recipient | Regulator),
        Attest => matches!(role, Admin | Recipient),
        ReadIncidents => matches!(role, Admin | Compliance | Auditor | Regulator),
        OpenIncident | HandleIncident => matches!(role, Admin | Compliance),
        ReadRequests => matches!(role, Admin | Compliance | Auditor | Recipient),
        HandleRequests => matches!(role, Admin | Compliance),
        AnswerRequest => matches!(role, Admin | Recipient),
        HandleComplaints => matches!(role, Admin | Compliance),
        ReadReviews => matches!(role, Admin | Compliance | Auditor | Recipient | Regulator),
        // The auditor reads everything and changes nothing (DESIGN.md), reviews included.
        Review => matches!(role, Admin | Compliance),
        PublishSnapshot => matches!(role, Admin | Compliance),
        ReadSnapshots => matches!(role, Admin | Compliance | Auditor | Regulator | Association),
        ReadRatings => matches!(role, Admin | Auditor | Regulator | Association),
        ManageMembers => matches!(role, Admin | Association),
    }
}

/// 403 unless the account's role may take `action`: every API handler's first step.
pub fn require(user: &Account, action: Action) -> Result<(), ApiError> {
    if allows(user.role, action) {
        Ok(())
    } else {
        Err(ApiError::forbidden(action.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_recipient_and_admin_attest_and_engineers_do_not_read_obligations() {
        let attest: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows(*r, Action::Attest))
            .collect();
        assert_eq!(attest, [Role::Admin, Role::Recipient]);
        let read: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows(*r, Action::ReadObligations))
            .collect();
        assert_eq!(
            read,
            [
                Role::Admin,
                Role::Compliance,
                Role::Auditor,
                Role::Recipient,
                Role::Regulator
            ]
        );
    }

    #[test]
    fn the_regulator_reads_incidents_and_only_admin_and_compliance_open_them() {
        let who = |a| -> Vec<Role> { Role::ALL.into_iter().filter(|r| allows(*r, a)).collect() };
        assert_eq!(
            who(Action::ReadIncidents),
            [
                Role::Admin,
                Role::Compliance,
                Role::Auditor,
                Role::Regulator
            ]
        );
        assert_eq!(who(Action::OpenIncident), [Role::Admin, Role::Compliance]);
    }

    #[test]
    fn recipients_read_their_reviews_and_only_admin_and_compliance_record_them() {
        let who = |a| -> Vec<Role> { Role::ALL.into_iter().filter(|r| allows(*r, a)).collect() };
        assert_eq!(
            who(Action::ReadReviews),
            [
                Role::Admin,
                Role::Compliance,
                Role::Auditor,
                Role::Recipient,
                Role::Regulator
            ]
        );
        assert_eq!(who(Action::Review), [Role::Admin, Role::Compliance]);
    }

    #[test]
    fn only_admin_and_compliance_switch_routes() {
        let can: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows(*r, Action::SetRoute))
            .collect();
        assert_eq!(can, [Role::Admin, Role::Compliance]);
    }

    #[test]
    fn only_admin_and_compliance_handle_complaints() {
        let can: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| allows(*r, Action::HandleComplaints))
            .collect();
        assert_eq!(can, [Role::Admin, Role::Compliance]);
    }

    #[test]
    fn regulator_and_association_never_read_personal_data() {
        for r in [
            Role::Regulator,
            Role::Association,
            Role::Recipient,
            Role::Engineer,
        ] {
            assert!(!allows(r, Action::ReadComplaints), "{r}");
        }
    }

    #[test]
    fn auditor_reads_everything_and_changes_nothing() {
        assert!(!allows(Role::Auditor, Action::SetRoute));
        for a in [
            Action::ReadTransfers,
            Action::ReadStatus,
            Action::ReadBatches,
            Action::ReadAudit,
            Action::ReadComplaints,
        ] {
            assert!(allows(Role::Auditor, a), "{a:?}");
        }
    }

    #[test]
    fn snapshots_ratings_and_members_by_role() {
        let who =
            |a: Action| -> Vec<Role> { Role::ALL.into_iter().filter(|r| allows(*r, a)).collect() };
        use Role::*;
        assert_eq!(who(Action::PublishSnapshot), [Admin, Compliance]);
        assert_eq!(
            who(Action::ReadSnapshots),
            [Admin, Compliance, Auditor, Regulator, Association]
        );
        assert_eq!(
            who(Action::ReadRatings),
            [Admin, Auditor, Regulator, Association]
        );
        assert_eq!(who(Action::ManageMembers), [Admin, Association]);
    }
}
