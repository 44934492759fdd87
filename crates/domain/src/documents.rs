//! The documents the supervisory authorities ask for (usage concept, record of processing, privacy notice, imprint) as printable HTML.

pub mod config;
mod facts;
pub mod html;
mod imprint;
mod notice;
pub mod platform;
mod record;
#[cfg(test)]
mod tests;
mod usage;

pub use config::{ChannelDocuments, Contact, Controller, DocumentsConfig, LegalBasis};
pub use html::{Nav, Style};

use jiff::civil::Date;

use crate::{ChannelKind, MunicipalitySettings};

/// The kinds of document, each with a stable German URL slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Nutzungskonzept, per channel.
    UsageConcept,
    /// Verzeichnis von Verarbeitungstätigkeiten (Art. 30(1) GDPR), per municipality.
    Record,
    /// Datenschutzhinweise (Art. 13 GDPR), per channel.
    PrivacyNotice,
    /// Impressum (§ 5 DDG, § 18(2) MStV), per municipality.
    Imprint,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::UsageConcept,
        DocumentKind::PrivacyNotice,
        DocumentKind::Record,
        DocumentKind::Imprint,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::UsageConcept => "nutzungskonzept",
            DocumentKind::Record => "verarbeitungsverzeichnis",
            DocumentKind::PrivacyNotice => "datenschutzhinweise",
            DocumentKind::Imprint => "impressum",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        Self::ALL.into_iter().find(|k| k.slug() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::UsageConcept => "Nutzungskonzept",
            DocumentKind::Record => "Verzeichnis von Verarbeitungstätigkeiten",
            DocumentKind::PrivacyNotice => "Datenschutzhinweise",
            DocumentKind::Imprint => "Impressum",
        }
    }

    /// What the document is for, one line for the list page.
    pub fn summary(self) -> &'static str {
        match self {
            DocumentKind::UsageConcept => {
                "Zweck, Art und Umfang, Verantwortlichkeiten und Alternativen je Kanal"
            }
            DocumentKind::Record => "Art. 30 Abs. 1 DSGVO, für die Aufsichtsbehörde",
            DocumentKind::PrivacyNotice => {
                "Informationen nach Art. 13 DSGVO je Kanal, mit den Angaben zum Plattformbetreiber"
            }
            DocumentKind::Imprint => "Anbieterkennzeichnung nach § 5 DDG und § 18 Abs. 2 MStV",
        }
    }

    /// Whether there is one document per channel (else one per municipality).
    pub fn per_channel(self) -> bool {
        matches!(
            self,
            DocumentKind::UsageConcept | DocumentKind::PrivacyNotice
        )
    }
}

/// A configured channel as the documents name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    pub kind: ChannelKind,
    /// The configured `name` (URL segment and key of `[[municipality.documents.channel]]`).
    pub name: String,
}

/// Everything a document is generated from.
pub struct Context<'a> {
    pub settings: &'a MunicipalitySettings,
    pub documents: &'a DocumentsConfig,
    pub channels: &'a [ChannelInfo],
    /// The day of generation, in the municipality's time zone (the default "Stand").
    pub today: Date,
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub kind: DocumentKind,
    pub channel: Option<String>,
    pub title: String,
    /// Download name, e.g. "nutzungskonzept-whatsapp.html".
    pub filename: String,
    pub html: String,
    /// Labels of the "[bitte ergänzen: …]" placeholders, each once.
    pub missing: Vec<String>,
    /// How many "[bitte prüfen: …]" notes the document carries.
    pub review: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("this document exists once per channel: name the channel")]
    NeedsChannel,
    #[error("this document exists once per municipality, not per channel")]
    NotPerChannel,
    #[error("no channel named '{0}'")]
    UnknownChannel(String),
}

/// A file-name-safe form of a channel name: lower-case ASCII letters, digits and '-'.
pub fn file_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if !(c == "-" && (out.is_empty() || out.ends_with('-'))) {
            out.push_str(c);
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "kanal".into()
    } else {
        out
    }
}

/// The document title, e.g. "Nutzungskonzept WhatsApp" or "Nutzungskonzept Telegram („buergerbot“)".
pub fn title(kind: DocumentKind, channel: Option<&ChannelInfo>) -> String {
    match channel {
        None => kind.title().to_string(),
        Some(c) if c.name == c.kind.as_str() => format!("{} {}", kind.title(), c.kind.label()),
        Some(c) => format!("{} {} („{}“)", kind.title(), c.kind.label(), c.name),
    }
}

/// Renders one document. Per-channel kinds need `channel`, the others must not have one.
pub fn render(
    kind: DocumentKind,
    channel: Option<&str>,
    ctx: &Context<'_>,
    style: Style<'_>,
    nav: Option<Nav<'_>>,
) -> Result<Document, DocumentError> {
    let channel = match (kind.per_channel(), channel) {
        (true, None) => return Err(DocumentError::NeedsChannel),
        (false, Some(_)) => return Err(DocumentError::NotPerChannel),
        (false, None) => None,
        (true, Some(name)) => Some(
            ctx.channels
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| DocumentError::UnknownChannel(name.to_string()))?,
        ),
    };
    let mut w = html::Writer::new();
    match (kind, channel) {
        (DocumentKind::UsageConcept, Some(c)) => usage::write(&mut w, ctx, c),
        (DocumentKind::PrivacyNotice, Some(c)) => notice::write(&mut w, ctx, c),
        (DocumentKind::Record, _) => record::write(&mut w, ctx),
        (DocumentKind::Imprint, _) => imprint::write(&mut w, ctx),
        // Ruled out above: per-channel kinds always have a channel here.
        (_, None) => return Err(DocumentError::NeedsChannel),
    }
    let missing = w.missing_labels().to_vec();
    let review = w.review_count();
    let title = title(kind, channel);
    let as_of = match config::filled(ctx.documents.as_of.as_deref()) {
        Some(s) => html::german_date(s),
        None => ctx.today.strftime("%d.%m.%Y").to_string(),
    };
    let meta = html::PageMeta {
        title: &title,
        municipality: facts::controller_name(ctx),
        as_of: &as_of,
        version: ctx.documents.version.as_deref(),
    };
    let page = html::page(&meta, w, style, nav);
    let filename = match channel {
        Some(c) => format!("{}-{}.html", kind.slug(), file_slug(&c.name)),
        None => format!("{}.html", kind.slug()),
    };
    Ok(Document {
        kind,
        channel: channel.map(|c| c.name.clone()),
        title,
        filename,
        html: page,
        missing,
        review,
    })
}
