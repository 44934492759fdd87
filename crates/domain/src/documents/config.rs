//! `[municipality.documents]`: the facts the authorities' documents need that Rathaus cannot know by itself.

use serde::{Deserialize, Serialize};

/// Everything optional: a missing value shows up in the document as "[bitte ergänzen: …]".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentsConfig {
    /// "Stand" of the documents (e.g. "2026-03-01"); default: the day the document is generated.
    pub as_of: Option<String>,
    /// Version label shown next to the date, e.g. "1.2".
    pub version: Option<String>,
    /// Legal basis of the citizen dialogue: the public task (default) or consent.
    pub legal_basis: LegalBasis,
    /// The provision of national law the public task rests on (Art. 6(3) GDPR), e.g. "§ 4 LDSG BW".
    pub legal_basis_law: Option<String>,
    /// Legal form for the imprint; default "Körperschaft des öffentlichen Rechts".
    pub legal_form: Option<String>,
    /// VAT identification number (imprint); left out when the municipality has none.
    pub vat_id: Option<String>,
    /// The authority that supervises the municipality (Rechtsaufsicht), name and address.
    pub legal_supervision: Option<String>,
    /// Where Rathaus runs (own server room, IT service provider's data centre, country).
    pub hosting: Option<String>,
    /// Further technical and organisational measures (free text, added to the record).
    pub measures: Option<String>,
    /// Free text added at the end of the record of processing activities.
    pub record_notes: Option<String>,
    /// Free text added at the end of the imprint (e.g. notes on liability or accessibility).
    pub imprint_notes: Option<String>,
    /// The netiquette (rules for comments) at `/{slug}/netiquette`; paragraphs separated by a blank
    /// line. Default: a general German text.
    pub netiquette: Option<String>,
    /// Its English version; default: a general English text.
    pub netiquette_en: Option<String>,
    pub controller: Controller,
    /// Data-protection officer.
    pub dpo: Contact,
    /// Editorial responsibility (also the person responsible under § 18(2) MStV).
    pub editorial: Contact,
    /// Technical responsibility, usually the IT service provider.
    pub technical: Contact,
    /// Who handles data-subject requests (access, erasure, objection).
    pub data_subject_rights: Contact,
    /// The competent data-protection supervisory authority.
    pub supervisory_authority: Contact,
    /// Per-channel texts, matched by the channel's configured `name`.
    pub channel: Vec<ChannelDocuments>,
}

/// The municipality as controller (Art. 4(7) GDPR) and provider (§ 5 DDG).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Controller {
    /// Default: the municipality's `name`.
    pub name: Option<String>,
    /// Postal address that can receive legal documents; line breaks allowed.
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Who represents the municipality, e.g. "Bürgermeisterin Erika Beispiel".
    pub representative: Option<String>,
}

/// A person or office with its contact details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Contact {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        [
            &self.name,
            &self.address,
            &self.phone,
            &self.email,
            &self.website,
        ]
        .iter()
        .all(|v| filled(v.as_deref()).is_none())
    }
}

/// `[[municipality.documents.channel]]`: what the usage concept and the privacy notice say about one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelDocuments {
    /// The channel's configured `name` (e.g. "whatsapp" or the Telegram bot's name).
    pub name: String,
    /// What the channel is for.
    pub purpose: Option<String>,
    /// Kind and extent of use: content, features used, times, who answers.
    pub kind_and_extent: Option<String>,
    /// Why this platform (and why doing without it would hinder the task).
    pub why_platform: Option<String>,
    /// The alternative for people who do not use this platform (website, e-mail, phone, in person).
    pub alternative: Option<String>,
    /// Date of the next (yearly) evaluation, e.g. "2027-03-31".
    pub evaluation_date: Option<String>,
    /// Overrides the municipality-wide editorial responsibility for this channel.
    pub editorial: Option<Contact>,
    /// Free text added at the end of the usage concept.
    pub notes: Option<String>,
    /// Free text added at the end of the privacy notice.
    pub notice_notes: Option<String>,
    /// Link to the platform operator's privacy policy; default: the operator's current EU policy.
    pub platform_privacy_url: Option<String>,
}

/// Legal basis of processing citizens' messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(e) GDPR: the opt-in is the transparent acknowledgement of the Art. 13 notice.
    #[default]
    PublicTask,
    /// Art. 6(1)(a) GDPR: the opt-in is consent, withdrawable at any time.
    Consent,
}

impl DocumentsConfig {
    /// The texts for the channel named `name`, if configured.
    pub fn channel(&self, name: &str) -> Option<&ChannelDocuments> {
        self.channel.iter().find(|c| c.name == name)
    }
}

/// `Some(trimmed)` unless the value is missing or blank.
pub fn filled(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}
