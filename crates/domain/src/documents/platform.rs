//! What the platform operators do with data, as far as their published terms say; each claim is marked for review.

use crate::ChannelKind;

/// Facts about one platform operator, in German, for the usage concept, the record and the privacy notice.
pub struct Platform {
    pub label: &'static str,
    /// The company that provides the service to users in the EU.
    pub operator: &'static str,
    pub operator_review: &'static str,
    /// The operator's privacy policy for users in the EU.
    pub privacy_url: &'static str,
    /// How messages reach Rathaus and what the operator can see.
    pub transport: &'static [&'static str],
    pub transport_review: &'static str,
    /// What the operator processes in its own responsibility.
    pub own_processing: &'static [&'static str],
    /// The operator's role towards the municipality, for the record of processing.
    pub role: &'static str,
    pub role_review: &'static str,
    /// Transfers to third countries.
    pub transfer: &'static str,
    pub transfer_review: &'static str,
    /// How a citizen can object to or limit the operator's processing.
    pub objection: &'static [&'static str],
}

static WHATSAPP: Platform = Platform {
    label: "WhatsApp",
    operator: "WhatsApp Ireland Limited, Merrion Road, Dublin 4, D04 X2K5, Irland – ein Unternehmen der Meta-Gruppe",
    operator_review: "Name und Anschrift laut aktueller WhatsApp-Datenschutzrichtlinie für die Europäische Region",
    privacy_url: "https://www.whatsapp.com/legal/privacy-policy-eea",
    transport: &[
        "Die Gemeinde nutzt kein Smartphone mit Adressbuch, sondern die WhatsApp Business Platform (Cloud API), \
         die Meta betreibt. Es werden daher keine Kontakte oder Adressbücher an WhatsApp übertragen.",
        "Zwischen Ihrem Gerät und der Cloud API sind Nachrichten Ende-zu-Ende-verschlüsselt. In der Cloud API \
         werden sie entschlüsselt, damit sie an das Rathaus-System der Gemeinde zugestellt werden können; dort \
         verarbeitet WhatsApp sie im Auftrag der Gemeinde.",
    ],
    transport_review: "ob und wie lange Meta Nachrichteninhalte in der Cloud API zwischenspeichert, laut aktuellen \
                       WhatsApp-Business-Bedingungen",
    own_processing: &[
        "Unabhängig von der Gemeinde verarbeitet WhatsApp in eigener Verantwortung Daten aller Nutzerinnen und Nutzer: \
         Telefonnummer und Profilangaben, Geräte- und Verbindungsdaten (zum Beispiel IP-Adresse), Nutzungs- und \
         Metadaten (etwa wann und wie oft Sie mit welchen Unternehmenskonten schreiben) sowie Angaben zu Ihrer \
         Interaktion mit Unternehmen.",
        "WhatsApp teilt bestimmte dieser Kategorien nach eigenen Angaben mit anderen Meta-Unternehmen. Die Gemeinde \
         hat darauf keinen Einfluss und erhält von WhatsApp keine Statistiken oder Auswertungen über Sie.",
    ],
    role: "Für die Zustellung über die Cloud API Auftragsverarbeiter der Gemeinde (WhatsApp-Business-Bedingungen \
           zur Datenverarbeitung); für den Betrieb des Messengers und eigene Zwecke eigenständig Verantwortlicher.",
    role_review: "Abschluss bzw. Geltung der Auftragsverarbeitungsbedingungen von WhatsApp für das Geschäftskonto \
                  der Gemeinde",
    transfer: "USA: WhatsApp Ireland übermittelt Daten an WhatsApp LLC und Meta Platforms, Inc.; beide sind nach \
               dem EU-US Data Privacy Framework zertifiziert (Angemessenheitsbeschluss der EU-Kommission vom \
               10. Juli 2023). Weitere Unterauftragsverarbeiter von WhatsApp können Daten in weiteren Ländern \
               verarbeiten.",
    transfer_review: "aktuelle Zertifizierung von WhatsApp LLC und Meta Platforms, Inc. in der Data-Privacy-Framework-Liste",
    objection: &[
        "Gegenüber WhatsApp können Sie Ihre Rechte, insbesondere das Widerspruchsrecht gegen Verarbeitungen auf \
         Grundlage berechtigter Interessen (Art. 21 DSGVO), über die in der WhatsApp-Datenschutzrichtlinie \
         genannten Wege geltend machen. Zuständige federführende Aufsichtsbehörde für WhatsApp ist die irische \
         Data Protection Commission; Sie können sich aber auch an jede andere Datenschutzaufsichtsbehörde wenden.",
        "Wenn Sie die Verarbeitung durch WhatsApp vermeiden möchten, nutzen Sie bitte einen der unten genannten \
         anderen Wege zur Gemeinde. Sie erhalten dort dieselben Informationen und Leistungen.",
    ],
};

static TELEGRAM: Platform = Platform {
    label: "Telegram",
    operator: "Telegram FZ-LLC, Dubai, Vereinigte Arabische Emirate",
    operator_review: "verantwortliche Gesellschaft, Anschrift und Vertreter in der EU (Art. 27 DSGVO) laut aktueller \
                      Telegram-Datenschutzerklärung; ältere Fassungen nennen Telegram Messenger Inc.",
    privacy_url: "https://telegram.org/privacy",
    transport: &[
        "Die Gemeinde betreibt einen Telegram-Bot. Unterhaltungen mit Bots sind bei Telegram sogenannte \
         Cloud-Chats: Sie sind nicht Ende-zu-Ende-verschlüsselt. Telegram speichert Nachrichten und Medien \
         verschlüsselt auf eigenen Servern und kann technisch auf sie zugreifen.",
        "Der Bot erhält von Telegram Ihre Telegram-ID, Ihren Anzeigenamen, ggf. Ihren Benutzernamen und Ihre \
         Nachrichten. Ihre Telefonnummer erhält die Gemeinde nur, wenn Sie sie selbst teilen. Bitte senden Sie \
         über Telegram keine besonders schutzwürdigen Angaben (zum Beispiel zur Gesundheit).",
    ],
    transport_review: "Speicherung von Bot-Unterhaltungen laut aktueller Telegram-Datenschutzerklärung",
    own_processing: &[
        "Unabhängig von der Gemeinde verarbeitet Telegram in eigener Verantwortung Daten aller Nutzerinnen und \
         Nutzer: Telefonnummer und Profilangaben, IP-Adressen, Geräteinformationen und Metadaten der Nutzung; \
         Cloud-Chats einschließlich der Unterhaltung mit dem Bot der Gemeinde liegen auf Telegram-Servern.",
        "Die Gemeinde hat darauf keinen Einfluss und erhält von Telegram keine Statistiken oder Auswertungen über Sie.",
    ],
    role: "Eigenständig Verantwortlicher; für die Bot-Schnittstelle bietet Telegram keinen Vertrag zur \
           Auftragsverarbeitung an.",
    role_review: "Rolle von Telegram und verfügbare vertragliche Regelungen",
    transfer: "Vereinigte Arabische Emirate und weitere Länder: Telegram verarbeitet Daten außerhalb des EWR \
               (Konzerngesellschaften und Rechenzentren in mehreren Ländern). Für die Vereinigten Arabischen \
               Emirate gibt es keinen Angemessenheitsbeschluss der EU-Kommission; Telegram nennt \
               Standardvertragsklauseln als Garantie.",
    transfer_review: "Länder, Garantien nach Art. 46 DSGVO und Vertreter nach Art. 27 DSGVO laut aktueller \
                      Telegram-Datenschutzerklärung",
    objection: &[
        "Gegenüber Telegram können Sie Ihre Rechte, insbesondere das Widerspruchsrecht gegen Verarbeitungen auf \
         Grundlage berechtigter Interessen (Art. 21 DSGVO), über die in der Telegram-Datenschutzerklärung \
         genannten Wege geltend machen, auch über den dort genannten Vertreter in der EU. Sie können sich \
         außerdem an jede Datenschutzaufsichtsbehörde wenden.",
        "Wenn Sie die Verarbeitung durch Telegram vermeiden möchten, nutzen Sie bitte einen der unten genannten \
         anderen Wege zur Gemeinde. Sie erhalten dort dieselben Informationen und Leistungen.",
    ],
};

pub fn of(kind: ChannelKind) -> &'static Platform {
    match kind {
        ChannelKind::WhatsApp => &WHATSAPP,
        ChannelKind::Telegram => &TELEGRAM,
    }
}
