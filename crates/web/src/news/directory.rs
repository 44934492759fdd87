//! `/{slug}/kanaele`: every way to reach the town — messenger channels with how to sign up (link and server-drawn QR code), the networks, consultation hours, feeds and legal pages.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use rathaus_domain::documents::html::escape;
use rathaus_hub::{DirectoryEntry, Tenant};

use super::pages::form_encode;
use super::{html_response, shell, tenant, unknown_town};
use crate::security::totp::qr_svg;
use crate::AppState;

/// `https://wa.me/<digits>?text=<opt-in keyword>` for a number as shown ("+49 30 1234567").
pub fn whatsapp_link(display_number: &str, keyword: &str) -> Option<String> {
    let digits: String = display_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let digits = digits.trim_start_matches("00").to_string();
    (digits.len() >= 6).then(|| {
        format!(
            "https://wa.me/{digits}?text={}",
            form_encode(keyword).replace('+', "%20")
        )
    })
}

/// The QR code as an image the page itself carries (a data: URL, so nothing is fetched).
fn qr_img(data: &str, alt: &str) -> String {
    match qr_svg(data) {
        Some(svg) => format!(
            "<img class=\"qr\" src=\"data:image/svg+xml;base64,{}\" alt=\"{}\" width=\"200\" height=\"200\">",
            base64::engine::general_purpose::STANDARD.encode(svg),
            escape(alt)
        ),
        None => String::new(),
    }
}

fn weekday_de(code: &str) -> Option<&'static str> {
    Some(match code {
        "MO" => "montags",
        "TU" => "dienstags",
        "WE" => "mittwochs",
        "TH" => "donnerstags",
        "FR" => "freitags",
        "SA" => "samstags",
        "SU" => "sonntags",
        _ => return None,
    })
}

/// "dienstags und donnerstags 14:00–16:00 Uhr" for a weekly rule; otherwise only the times.
fn when_text(rule: &str, start: &str, end: &str) -> String {
    let days: Vec<&str> = rule
        .split(';')
        .find_map(|p| p.strip_prefix("BYDAY="))
        .map(|d| d.split(',').filter_map(weekday_de).collect())
        .unwrap_or_default();
    let weekly = rule.contains("FREQ=WEEKLY") && !rule.contains("INTERVAL=");
    if weekly && !days.is_empty() {
        format!("{} {start}–{end} Uhr", days.join(" und "))
    } else {
        format!("{start}–{end} Uhr (Termine im Kalender)")
    }
}

fn messengers(t: &Tenant) -> String {
    let keyword = t.settings.keywords.primary_opt_in();
    let mut h = String::new();
    for entry in &t.directory {
        match entry {
            DirectoryEntry::WhatsApp { phone, .. } => {
                h.push_str("<section class=\"channel\"><h3>WhatsApp</h3>\n");
                match phone.as_deref().and_then(|p| whatsapp_link(p, keyword).map(|l| (p, l))) {
                    Some((number, link)) => {
                        h.push_str(&format!(
                            "<p>Schreiben Sie „{kw}“ an <strong>{num}</strong>, um sich anzumelden – oder öffnen Sie den Chat \
                             mit der vorbereiteten Nachricht: <a href=\"{href}\">WhatsApp-Chat mit {town} öffnen</a>.</p>\n\
                             <p>Oder scannen Sie den Code mit der Kamera Ihres Telefons:</p>\n<p>{qr}</p>\n",
                            kw = escape(keyword),
                            num = escape(number),
                            href = escape(&link),
                            town = escape(&t.settings.name),
                            qr = qr_img(&link, &format!("QR-Code: öffnet den WhatsApp-Chat mit {} und der Nachricht „{keyword}“", t.settings.name)),
                        ));
                    }
                    None => h.push_str(&format!(
                        "<p>Schreiben Sie „{}“ an unsere WhatsApp-Nummer, um sich anzumelden.</p>\n",
                        escape(keyword)
                    )),
                }
                h.push_str(&format!(
                    "<p>Abmelden können Sie sich jederzeit mit „{}“.</p></section>\n",
                    escape(t.settings.keywords.primary_opt_out())
                ));
            }
            DirectoryEntry::Telegram { username, .. } => {
                h.push_str("<section class=\"channel\"><h3>Telegram</h3>\n");
                match username
                    .as_deref()
                    .map(|u| u.trim_start_matches('@'))
                    .filter(|u| !u.is_empty())
                {
                    Some(u) => {
                        let link = format!("https://t.me/{u}");
                        h.push_str(&format!(
                            "<p>Öffnen Sie <a href=\"{href}\">@{u} in Telegram</a>, tippen Sie auf „Starten“ und schreiben Sie „{kw}“.</p>\n<p>{qr}</p>\n",
                            href = escape(&link),
                            u = escape(u),
                            kw = escape(keyword),
                            qr = qr_img(&link, &format!("QR-Code: öffnet @{u} in Telegram")),
                        ));
                    }
                    None => h.push_str(&format!(
                        "<p>Schreiben Sie unserem Telegram-Bot „{}“, um sich anzumelden.</p>\n",
                        escape(keyword)
                    )),
                }
                h.push_str(&format!(
                    "<p>Abmelden können Sie sich jederzeit mit „{}“.</p></section>\n",
                    escape(t.settings.keywords.primary_opt_out())
                ));
            }
        }
    }
    h
}

fn legal_links(t: &Tenant) -> String {
    let s = escape(&t.row.slug);
    let mut h = format!(
        "<ul>\n<li><a href=\"/{s}/impressum\">Impressum</a></li>\n\
         <li><a href=\"/{s}/datenschutz\">Datenschutzhinweise</a></li>\n"
    );
    for entry in &t.directory {
        let (name, label) = match entry {
            DirectoryEntry::WhatsApp { name, .. } => (name, "WhatsApp"),
            DirectoryEntry::Telegram { name, .. } => (name, "Telegram"),
        };
        h.push_str(&format!(
            "<li><a href=\"/{s}/nutzungskonzept/{}\">Nutzungskonzept {label} („{}“)</a></li>\n",
            escape(&form_encode(name)),
            escape(name)
        ));
    }
    h.push_str(&format!(
        "<li><a href=\"/{s}/netiquette\">Netiquette: Regeln für Kommentare</a></li>\n\
         <li><a href=\"/{s}/barrierefreiheit\">Erklärung zur Barrierefreiheit</a></li>\n</ul>\n"
    ));
    h
}

/// `GET /{slug}/kanaele`
pub async fn page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let registry = state.registry.current();
    let Some(t) = tenant(&registry, &slug) else {
        return unknown_town();
    };
    let s = escape(&t.row.slug);
    let mut m = format!(
        "<h1>So erreichen Sie {}</h1>\n<p>Alle Neuigkeiten stehen zuerst hier auf unserer eigenen Seite – ohne Anmeldung, \
         ohne Cookies und ohne Werbung. Sie brauchen kein soziales Netzwerk, um sie zu lesen.</p>\n",
        escape(&t.settings.name)
    );
    m.push_str(&format!(
        "<h2>Neuigkeiten</h2>\n<ul>\n<li><a href=\"/{s}/\">Neuigkeiten auf dieser Seite</a></li>\n\
         <li><a href=\"/{s}/feed.atom\">Atom-Feed</a> und <a href=\"/{s}/feed.json\">JSON-Feed</a> für Ihren Feedreader</li>\n</ul>\n"
    ));
    let chats = messengers(t);
    if !chats.is_empty() {
        m.push_str("<h2>Messenger: Fragen und Anliegen</h2>\n<p>Über diese Kanäle können Sie uns schreiben. \
                    Wir antworten erst, wenn Sie sich angemeldet haben.</p>\n");
        m.push_str(&chats);
    }
    let networks = &t.settings.publishing.channels;
    if !networks.is_empty() {
        m.push_str(
            "<h2>Soziale Netzwerke</h2>\n<p>Unsere Beiträge erscheinen auch auf:</p>\n<ul>\n",
        );
        for c in networks {
            // A plain link to the profile: no embed, no widget, nothing loaded from the network.
            match t.settings.publishing.profiles.get(&c.name) {
                Some(url) => m.push_str(&format!(
                    "<li><a href=\"{}\" rel=\"noopener noreferrer\">{} („{}“)</a></li>\n",
                    escape(url),
                    escape(c.kind.label_de()),
                    escape(&c.name)
                )),
                None => m.push_str(&format!(
                    "<li>{} („{}“)</li>\n",
                    escape(c.kind.label_de()),
                    escape(&c.name)
                )),
            }
        }
        m.push_str(&format!(
            "</ul>\n<p>Bitte beachten Sie beim Kommentieren unsere <a href=\"/{s}/netiquette\">Netiquette</a>. \
             Die Netzwerke werden von privaten Unternehmen betrieben, die beim Besuch Daten über Sie erheben; \
             alle Beiträge finden Sie auch hier, ohne Netzwerk.</p>\n"
        ));
    }
    let hours = &t.settings.consultation_hours;
    if !hours.is_empty() {
        m.push_str("<h2>Sprechstunden</h2>\n<ul>\n");
        for h in hours {
            m.push_str(&format!(
                "<li><strong>{}</strong>: {}",
                escape(&h.name),
                escape(&when_text(&h.rule, &h.start, &h.end))
            ));
            if !h.channels.is_empty() {
                m.push_str(&format!(" über {}", escape(&h.channels.join(", "))));
            }
            m.push_str("</li>\n");
        }
        m.push_str(&format!(
            "</ul>\n<p><a href=\"/{s}/sprechstunden.ics\">Alle Termine als Kalender (iCal)</a></p>\n"
        ));
    }
    m.push_str("<h2>Rechtliches</h2>\n");
    m.push_str(&legal_links(t));
    html_response(StatusCode::OK, shell(Some(t), "So erreichen Sie uns", &m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_links_use_digits_and_the_keyword() {
        assert_eq!(
            whatsapp_link("+49 30 1234567", "Anmeldung").as_deref(),
            Some("https://wa.me/49301234567?text=Anmeldung")
        );
        assert_eq!(
            whatsapp_link("0049 (30) 123-4567", "Hallo Rathaus").as_deref(),
            Some("https://wa.me/49301234567?text=Hallo%20Rathaus")
        );
        assert_eq!(whatsapp_link("tbd", "x"), None);
    }

    #[test]
    fn weekly_rules_read_as_weekdays() {
        assert_eq!(
            when_text("FREQ=WEEKLY;BYDAY=TU,TH", "14:00", "16:00"),
            "dienstags und donnerstags 14:00–16:00 Uhr"
        );
        assert_eq!(
            when_text("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "14:00", "16:00"),
            "14:00–16:00 Uhr (Termine im Kalender)"
        );
    }
}
