//! `/{slug}/netiquette`: the published rules for comments on the town's channels, German first with English, editable in the configuration.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rathaus_domain::documents::html::escape;
use rathaus_hub::Tenant;

use super::{html_response, shell, tenant, unknown_town};
use crate::AppState;

/// Used when `[municipality.documents] netiquette` is not set. `{town}` is the municipality's name.
pub const DEFAULT_DE: &str = "Wir freuen uns über Ihre Fragen, Hinweise und Meinungen auf unseren Kanälen. Damit sich alle wohlfühlen, gelten diese Regeln:

Bleiben Sie freundlich und sachlich. Beleidigungen, Drohungen, Hetze, Diskriminierung und persönliche Angriffe entfernen wir.

Schreiben Sie keine persönlichen Daten – weder Ihre eigenen (Telefonnummer, Adresse, Aktenzeichen) noch die anderer Menschen – in öffentliche Kommentare. Für persönliche Anliegen schreiben Sie uns bitte direkt über einen Messenger oder per E-Mail.

Werbung, Spam, Links zu rechtswidrigen Inhalten und Beiträge ohne Bezug zum Thema entfernen wir. Wiederholte Verstöße können dazu führen, dass wir Konten blockieren.

Die Kanäle werden während der Dienstzeiten von der Redaktion von {town} betreut. Nicht jeder Kommentar wird beantwortet; dringende Anliegen richten Sie bitte an die zuständige Stelle.

Strafbare Inhalte bringen wir zur Anzeige.";

/// Used when `[municipality.documents] netiquette_en` is not set.
pub const DEFAULT_EN: &str = "We welcome your questions, hints and opinions on our channels. So that everyone feels comfortable, these rules apply:

Stay friendly and to the point. We remove insults, threats, hate speech, discrimination and personal attacks.

Do not post personal data – neither your own (phone number, address, file number) nor anyone else's – in public comments. For personal matters, please write to us directly via a messenger or by e-mail.

We remove advertising, spam, links to unlawful content and posts unrelated to the topic. Repeated violations may lead to accounts being blocked.

The editorial team of {town} looks after the channels during office hours. Not every comment is answered; please send urgent matters to the responsible office.

We report criminal content to the police.";

/// Paragraphs separated by blank lines, each escaped; single line breaks kept.
fn paragraphs(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>\n", escape(p).replace('\n', "<br>")))
        .collect()
}

fn text_or(own: &Option<String>, default: &str, town: &str) -> String {
    own.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(default)
        .replace("{town}", town)
}

/// The page body for one municipality.
pub fn body(t: &Tenant) -> String {
    let d = &t.settings.documents;
    let town = &t.settings.name;
    let s = escape(&t.row.slug);
    format!(
        "<h1>Netiquette</h1>\n{de}<section lang=\"en\" aria-labelledby=\"netiquette-en\">\n\
         <h2 id=\"netiquette-en\">Netiquette (English)</h2>\n{en}</section>\n\
         <p><a href=\"/{s}/kanaele\">So erreichen Sie uns</a></p>\n",
        de = paragraphs(&text_or(&d.netiquette, DEFAULT_DE, town)),
        en = paragraphs(&text_or(&d.netiquette_en, DEFAULT_EN, town)),
    )
}

/// `GET /{slug}/netiquette`
pub async fn page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let registry = state.registry.current();
    match tenant(&registry, &slug) {
        Some(t) => html_response(StatusCode::OK, shell(Some(t), "Netiquette", &body(t))),
        None => unknown_town(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_escaped_and_split_on_blank_lines() {
        assert_eq!(
            paragraphs("Erste <Regel>\nZeile 2\n\n\n Zweite "),
            "<p>Erste &lt;Regel&gt;<br>Zeile 2</p>\n<p>Zweite</p>\n"
        );
        let own = Some("  ".to_string());
        assert!(text_or(&own, DEFAULT_DE, "Musterstadt").contains("Redaktion von Musterstadt"));
        let own = Some("Nur eigene Regeln".to_string());
        assert_eq!(text_or(&own, DEFAULT_DE, "M"), "Nur eigene Regeln");
    }
}
