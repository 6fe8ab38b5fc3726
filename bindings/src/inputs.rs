//! What the app sends besides household forms: villages, operators, edits, consents.

use abha_core::model::MemberPatch;

/// A village from the LGD master.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VillageInput {
    /// LGD state code (Jammu & Kashmir is 1).
    pub state_code: u32,
    /// LGD district code.
    pub district_code: u32,
    /// LGD sub-district code.
    pub subdistrict_code: u32,
    /// LGD village code.
    pub village_code: u32,
    /// Name as published.
    pub name: String,
}

/// A device operator (ASHA worker).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkerInput {
    /// State ASHA id.
    pub asha_id: String,
    /// Name.
    pub name: String,
    /// HPR id, if registered.
    #[uniffi(default = None)]
    pub hpr_id: Option<String>,
}

/// Changes to a member: only the fields given change.
#[derive(Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct MemberPatchInput {
    /// Given name (cannot be cleared).
    #[uniffi(default = None)]
    pub given_name: Option<String>,
    /// Middle name (empty clears it).
    #[uniffi(default = None)]
    pub middle_name: Option<String>,
    /// Family name.
    #[uniffi(default = None)]
    pub family_name: Option<String>,
    /// Latin transliteration.
    #[uniffi(default = None)]
    pub name_latin: Option<String>,
    /// `M`/`F`/`O`.
    #[uniffi(default = None)]
    pub gender: Option<String>,
    /// `YYYY-MM-DD` or `YYYY`.
    #[uniffi(default = None)]
    pub birth_date: Option<String>,
    /// Mobile.
    #[uniffi(default = None)]
    pub mobile: Option<String>,
    /// Relation to head.
    #[uniffi(default = None)]
    pub relation: Option<String>,
    /// ABHA number.
    #[uniffi(default = None)]
    pub abha_number: Option<String>,
    /// ABHA address.
    #[uniffi(default = None)]
    pub abha_address: Option<String>,
}

impl std::fmt::Debug for MemberPatchInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemberPatchInput(..)")
    }
}

impl MemberPatchInput {
    pub(crate) fn into_patch(self) -> MemberPatch {
        MemberPatch {
            given_name: self.given_name,
            middle_name: self.middle_name,
            family_name: self.family_name,
            name_latin: self.name_latin,
            gender: self.gender,
            birth_date: self.birth_date,
            mobile: self.mobile,
            relation: self.relation,
            abha_number: self.abha_number,
            abha_address: self.abha_address,
        }
    }
}

/// Who gave a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentGiver {
    /// The beneficiary.
    Beneficiary,
    /// A parent or guardian.
    Guardian,
}

/// How a consent was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentRecordedBy {
    /// Ticked boxes on the tablet.
    Checkbox,
    /// Thumbprint on paper.
    Thumbprint,
    /// Signature.
    Signature,
    /// Spoken, witnessed by the operator.
    Verbal,
}

/// A consent as captured: the exact text shown is kept as its SHA-256.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsentInput {
    /// The member.
    pub member_id: String,
    /// Version of the consent text, e.g. `1.4`.
    pub version: String,
    /// Language of the text shown (BCP 47: `en`, `hi`, `ur`, ...).
    pub language: String,
    /// Who gave it.
    pub given_by: ConsentGiver,
    /// The guardian's name when a guardian gave it.
    #[uniffi(default = None)]
    pub guardian_name: Option<String>,
    /// How.
    pub method: ConsentRecordedBy,
    /// The exact text shown.
    pub text_shown: String,
}

impl std::fmt::Debug for ConsentInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ConsentInput({}, v{} {})",
            self.member_id, self.version, self.language
        )
    }
}

/// How an ABHA is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum EnrollmentRoute {
    /// Aadhaar demographic authentication, queued and run at the hub.
    DemoAuth,
    /// Aadhaar OTP at a camp, relayed through the hub.
    AadhaarOtp,
    /// Link an ABHA the member already has.
    LinkExisting,
}
