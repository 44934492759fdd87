//! A municipality's runtime settings as the consent gate and the inbox need them.

use serde::{Deserialize, Serialize};

use crate::consent::Keywords;
use crate::documents::DocumentsConfig;
use crate::publishing::PublishingSettings;
use crate::retention::RetentionRules;
use crate::schedule::{ConsultationHourSettings, OfficeHoursConfig, ResponseTargetsConfig};
use crate::texts::{CitizenTexts, TextValues};

/// What the hub knows about one municipality (tenant) beyond its channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalitySettings {
    pub slug: String,
    pub name: String,
    /// IANA time zone, e.g. "Europe/Berlin".
    pub timezone: String,
    pub privacy_notice_url: String,
    /// The notice text the consent refers to; its hash is the notice version. Falls back to the URL.
    pub privacy_notice_text: Option<String>,
    pub keywords: Keywords,
    pub texts: CitizenTexts,
    pub retention: RetentionRules,
    /// Weekly office hours, the Land whose holidays close the office, extra closed days.
    pub office_hours: OfficeHoursConfig,
    /// Consultation hours (Sprechstunden) and the channels they are held on.
    pub consultation_hours: Vec<ConsultationHourSettings>,
    /// First-response targets inside slots, in office hours and otherwise.
    pub response_targets: ResponseTargetsConfig,
    /// Facts for the usage concept, record of processing, privacy notice and imprint.
    #[serde(default)]
    pub documents: DocumentsConfig,
    /// Four-eyes review and the network channels posts may go to.
    #[serde(default)]
    pub publishing: PublishingSettings,
    /// Teams named in the configuration (`[[municipality.teams]]`); more can be made in the admin UI.
    #[serde(default)]
    pub teams: Vec<TeamSettings>,
    /// Staff sign-in rules of this municipality (`[municipality.security]`).
    #[serde(default)]
    pub security: SecuritySettings,
    /// The town's own host name for its public news pages (`news_host`, e.g. "aktuelles.musterstadt.de"):
    /// requests with this `Host` get the news pages at the root and nothing else.
    #[serde(default)]
    pub news_host: Option<String>,
}

/// Staff sign-in rules a municipality may tighten.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Who must sign in with a second factor (TOTP).
    #[serde(default)]
    pub second_factor: SecondFactorRule,
}

/// Who must use a second factor. Administrators and data-protection officers always must.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorRule {
    /// `admin` and `dpo` only (others may set it up).
    #[default]
    AdminsAndDpo,
    /// Every staff member of the municipality.
    Everyone,
}

/// A team as configured: members by e-mail, and the channels (kinds or names) whose new concerns it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSettings {
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
}

impl MunicipalitySettings {
    pub fn new(slug: &str, name: &str) -> Self {
        MunicipalitySettings {
            slug: slug.into(),
            name: name.into(),
            timezone: "Europe/Berlin".into(),
            privacy_notice_url: String::new(),
            privacy_notice_text: None,
            keywords: Keywords::default(),
            texts: CitizenTexts::default(),
            retention: RetentionRules::default(),
            office_hours: OfficeHoursConfig::default(),
            consultation_hours: Vec::new(),
            response_targets: ResponseTargetsConfig::default(),
            documents: DocumentsConfig::default(),
            publishing: PublishingSettings::default(),
            teams: Vec::new(),
            security: SecuritySettings::default(),
            news_host: None,
        }
    }

    /// The text whose hash identifies the privacy-notice version a consent refers to.
    pub fn privacy_notice_basis(&self) -> &str {
        self.privacy_notice_text
            .as_deref()
            .unwrap_or(&self.privacy_notice_url)
    }

    pub fn text_values(&self) -> TextValues<'_> {
        TextValues {
            municipality: &self.name,
            privacy_notice_url: &self.privacy_notice_url,
            opt_in: self.keywords.primary_opt_in(),
            opt_out: self.keywords.primary_opt_out(),
        }
    }
}
