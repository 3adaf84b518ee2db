//! Closed vocabularies of the data map and the facts document.
//!
//! Each is an enum with a stable snake_case identifier; the same identifiers
//! appear in YAML, in facts JSON and in the JSON Schema, so one definition
//! serves all three.

/// Defines an enum whose variants have stable string identifiers.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $var),+ }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The identifier written in maps and JSON output; stable across releases.
            pub fn as_str(self) -> &'static str { match self { $($name::$var => $s),+ } }
            /// Parses the stable identifier.
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$var),)+ _ => None } }
            /// The identifiers, comma-separated, for error messages.
            pub fn choices() -> String { [$($s),+].join(", ") }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

choice! {
    /// Why a transfer is necessary (Provisions 2024 Art. 5(1)–(3) exemptions and PIPL Art. 13).
    Necessity {
        /// No ground beyond the exporter's own purpose.
        None = "none",
        /// Necessary to conclude or perform a contract with the individual (Provisions Art. 5(1)).
        ContractWithIndividual = "contract_with_individual",
        /// Cross-border HR management under lawful labour rules (Provisions Art. 5(2)).
        HrManagement = "hr_management",
        /// Emergency to protect life, health or property (Provisions Art. 5(3)).
        Emergency = "emergency",
        /// A statutory duty (PIPL Art. 13(3)); a lawful basis, not an exemption.
        StatutoryDuty = "statutory_duty",
    }
}

choice! {
    /// Where the personal information was collected.
    Origin {
        /// Collected or generated in the exporter's country.
        Domestic = "domestic",
        /// Collected abroad, processed here and sent back with nothing domestic added (Provisions Art. 4).
        ForeignTransit = "foreign_transit",
    }
}

choice! {
    /// The classes of sensitive personal information of PIPL Art. 28.
    SensitiveClass {
        /// Biometric identification.
        Biometric = "biometric",
        /// Religious belief.
        ReligiousBelief = "religious_belief",
        /// Specific identity.
        SpecificIdentity = "specific_identity",
        /// Medical and health.
        MedicalHealth = "medical_health",
        /// Financial accounts.
        FinancialAccount = "financial_account",
        /// Whereabouts and location tracks.
        Whereabouts = "whereabouts",
        /// Any personal information of a minor under 14.
        MinorUnder14 = "minor_under_14",
        /// Other information whose leak or misuse can harm dignity, person or property.
        OtherSensitive = "other_sensitive",
    }
}

choice! {
    /// A transfer mechanism that can be in place.
    MechanismKind {
        /// China: standard contract filed with the provincial CAC (PIPL Art. 38(1)(3)).
        StandardContract = "standard_contract",
        /// China: personal information protection certification (PIPL Art. 38(1)(2)).
        Certification = "certification",
        /// China: CAC security assessment (PIPL Art. 38(1)(1), Art. 40).
        SecurityAssessment = "security_assessment",
        /// EU: standard contractual clauses, Decision 2021/914 (GDPR Art. 46(2)(c)).
        Scc = "scc",
        /// EU: binding corporate rules (GDPR Art. 46(2)(b), Art. 47).
        Bcr = "bcr",
        /// China: the competent authority's approval to provide data to a foreign
        /// judicial or law-enforcement authority (PIPL Art. 41, DSL Art. 36).
        AuthorityApproval = "authority_approval",
        /// US: the CISA security requirements for restricted transactions (28 CFR 202.248, 202.401).
        CisaSecurityRequirements = "cisa_security_requirements",
    }
}

choice! {
    /// US: the kind of transaction with a country of concern or covered person (28 CFR Part 202).
    UsTransaction {
        /// Data brokerage (§202.214): prohibited (§202.301).
        DataBrokerage = "data_brokerage",
        /// Vendor agreement (§202.258): restricted (§202.401).
        Vendor = "vendor",
        /// Employment agreement (§202.217): restricted.
        Employment = "employment",
        /// Investment agreement (§202.228): restricted.
        Investment = "investment",
        /// Passive investment, excluded from investment agreements (§202.228(b)).
        PassiveInvestment = "passive_investment",
        /// None of these.
        None = "none",
    }
}

choice! {
    /// US: the exemption of 28 CFR §§202.501–511 relied on.
    UsExemption {
        /// §202.501.
        PersonalCommunications = "personal_communications",
        /// §202.502.
        InformationalMaterials = "informational_materials",
        /// §202.503.
        Travel = "travel",
        /// §202.504.
        OfficialBusiness = "official_business",
        /// §202.505.
        FinancialServices = "financial_services",
        /// §202.506.
        CorporateGroup = "corporate_group",
        /// §202.507.
        RequiredByLaw = "required_by_law",
        /// §202.508.
        InvestmentCfius = "investment_cfius",
        /// §202.509.
        Telecommunications = "telecommunications",
        /// §202.510.
        DrugApproval = "drug_approval",
        /// §202.511.
        ClinicalInvestigation = "clinical_investigation",
    }
}

choice! {
    /// Russia: the Art. 6(1) item of 152-FZ that exempts data from collection into databases in Russia (Art. 18(5)).
    RuLocalisationException {
        /// Art. 6(1)(2): an international treaty or a law.
        Art6_1_2 = "art6_1_2",
        /// Art. 6(1)(3): administration of justice.
        Art6_1_3 = "art6_1_3",
        /// Art. 6(1)(4): state and municipal services.
        Art6_1_4 = "art6_1_4",
        /// Art. 6(1)(8): professional journalism, science, literature, art.
        Art6_1_8 = "art6_1_8",
    }
}

choice! {
    /// A data grade (DSL Art. 21; GB/T 43697-2024).
    DataGrade {
        /// Core data (DSL Art. 21): may not leave the country.
        Core = "core",
        /// Important data: security assessment (PIPL/DSL, Provisions Art. 7).
        Important = "important",
        /// General data.
        General = "general",
    }
}

choice! {
    /// The GDPR Art. 49(1) derogation relied on.
    Derogation {
        /// Art. 49(1)(a).
        ExplicitConsent = "explicit_consent",
        /// Art. 49(1)(b)–(c).
        Contract = "contract",
        /// Art. 49(1)(d).
        PublicInterest = "public_interest",
        /// Art. 49(1)(e).
        LegalClaims = "legal_claims",
        /// Art. 49(1)(f).
        VitalInterests = "vital_interests",
        /// Art. 49(1)(g).
        PublicRegister = "public_register",
        /// Art. 49(1) second subparagraph.
        CompellingLegitimateInterests = "compelling_legitimate_interests",
    }
}

choice! {
    /// The recipient's role towards the data.
    RecipientRole {
        /// Decides purposes and means.
        Controller = "controller",
        /// Processes on the exporter's behalf.
        Processor = "processor",
        /// Decides jointly with the exporter.
        JointController = "joint_controller",
    }
}

choice! {
    /// The legal basis of the processing (PIPL Art. 13, GDPR Art. 6).
    LegalBasis {
        /// Consent; for an export, separate consent (PIPL Art. 39).
        Consent = "consent",
        /// Necessary for a contract with the individual.
        Contract = "contract",
        /// Human-resources management under labour rules.
        HrManagement = "hr_management",
        /// A statutory duty or obligation.
        StatutoryDuty = "statutory_duty",
        /// Protection of life, health or property in an emergency.
        Emergency = "emergency",
        /// Legitimate interests (GDPR only; PIPL has no such basis).
        LegitimateInterests = "legitimate_interests",
        /// Public interest, news reporting (PIPL Art. 13(5)).
        PublicInterest = "public_interest",
    }
}

choice! {
    /// How the data leaves (the Filing Guide counts remote access as an export).
    Method {
        /// API or service-to-service transmission.
        Api = "api",
        /// File transfer (SFTP, object storage …).
        File = "file",
        /// Access from abroad to data stored here.
        RemoteAccess = "remote_access",
        /// Database or stream replication.
        Replication = "replication",
        /// E-mail.
        Email = "email",
        /// Physical media.
        PhysicalMedia = "physical_media",
    }
}

choice! {
    /// How often the transfer happens.
    Frequency {
        /// Once.
        Once = "once",
        /// Continuously (streaming, live access).
        Continuous = "continuous",
        /// Daily.
        Daily = "daily",
        /// Weekly.
        Weekly = "weekly",
        /// Monthly.
        Monthly = "monthly",
        /// On demand.
        OnDemand = "on_demand",
    }
}

choice! {
    /// Who the data is about.
    SubjectKind {
        /// Customers or consumers.
        Customer = "customer",
        /// Users of an app or service.
        User = "user",
        /// Employees.
        Employee = "employee",
        /// Job applicants.
        JobApplicant = "job_applicant",
        /// Contractors and gig workers.
        Contractor = "contractor",
        /// Drivers.
        Driver = "driver",
        /// Passengers.
        Passenger = "passenger",
        /// Patients.
        Patient = "patient",
        /// Children under 14: all their PI is sensitive (PIPL Art. 28, 31).
        ChildUnder14 = "child_under_14",
        /// Business contacts.
        BusinessContact = "business_contact",
        /// Anyone else.
        Other = "other",
    }
}

choice! {
    /// Which standard decides what is sensitive.
    SensitivityProfile {
        /// PIPL Art. 28 as listed in GB/T 45574-2025 (in force 2025-11-01).
        Standard = "standard",
        /// Sensitive if any of PIPL Art. 28, GB/T 35273-2020 Annex B or GB/T 45574-2025 says so.
        Conservative = "conservative",
    }
}

choice! {
    /// What the gate does with a field or kind the transfer did not declare.
    UndeclaredPolicy {
        /// Refuse the whole batch; nothing is written (the default).
        Fail = "fail",
        /// Drop the field from every record.
        Drop = "drop",
        /// Mask the values.
        Mask = "mask",
    }
}

choice! {
    /// A transform the gate applies to a declared field before it leaves.
    Transform {
        /// Keep the first and last characters, mask the middle.
        Mask = "mask",
        /// Replace with a deterministic keyed token (the same value gives the same token).
        /// Only surrounding spaces are trimmed, not case or `-` as for subject keys:
        /// `c1` and `C1` get different tokens.
        Pseudonymise = "pseudonymise",
        /// Coarsen: a birth date to its year, coordinates (pairs, tracks, WKT, GeoJSON) to a
        /// 0.1° grid, a Chinese address to its province and city. A value it cannot coarsen
        /// refuses the batch.
        Generalise = "generalise",
        /// Remove the field.
        Drop = "drop",
    }
}

choice! {
    /// The owner of a system: a named person or a department.
    OwnerKind {
        /// A named person.
        Person = "person",
        /// A department or team.
        Department = "department",
    }
}

// The enum is declared by `choice!`, which cannot take a `#[default]` per variant.
#[allow(clippy::derivable_impls)]
impl Default for SensitivityProfile {
    fn default() -> Self {
        SensitivityProfile::Standard
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Origin {
    fn default() -> Self {
        Origin::Domestic
    }
}

#[allow(clippy::derivable_impls)]
impl Default for UndeclaredPolicy {
    fn default() -> Self {
        UndeclaredPolicy::Fail
    }
}
