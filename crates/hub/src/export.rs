//! The access export (Art. 15/20): a ZIP with a machine-readable JSON file, a readable German HTML page and the media.

use rathaus_store::CitizenExport;

use crate::zip::ZipWriter;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// "27.11.2026, 14:05" in the municipality's time zone.
pub fn local_time(timezone: &str, ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_zoned(tz).strftime("%d.%m.%Y, %H:%M").to_string(),
        Err(_) => String::new(),
    }
}

fn direction_de(d: &str) -> &'static str {
    match d {
        "inbound" => "von Ihnen",
        "outbound" => "von der Verwaltung",
        _ => "interne Notiz der Verwaltung",
    }
}

fn action_de(a: &str) -> &'static str {
    match a {
        "given" => "Einwilligung erteilt",
        "withdrawn" => "Einwilligung widerrufen",
        _ => "Änderung",
    }
}

/// The readable overview in German.
pub fn export_html(e: &CitizenExport, municipality: &str, timezone: &str, now: i64) -> String {
    let t = |ms| local_time(timezone, ms);
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"de\"><head><meta charset=\"utf-8\"><title>Auskunft über Ihre Daten</title>");
    h.push_str("<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}");
    h.push_str("table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}</style></head><body><main>\n");
    h.push_str(&format!(
        "<h1>Auskunft über Ihre Daten bei {}</h1>\n",
        esc(municipality)
    ));
    h.push_str(&format!(
        "<p>Erstellt am {} nach Art. 15 und Art. 20 DSGVO. Die Datei <code>auskunft.json</code> enthält dieselben Angaben maschinenlesbar.</p>\n",
        esc(&t(now))
    ));
    h.push_str("<h2>Was wir über Sie gespeichert haben</h2>\n<table><tbody>\n");
    let row = |k: &str, v: &str| {
        format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        )
    };
    h.push_str(&row("Kanal", &e.channel));
    h.push_str(&row("Kennung beim Kanal", &e.platform_id));
    h.push_str(&row(
        "Telefonnummer",
        e.phone.as_deref().unwrap_or("nicht gespeichert"),
    ));
    h.push_str(&row(
        "Name laut Kanal",
        e.display_name.as_deref().unwrap_or("nicht gespeichert"),
    ));
    h.push_str(&row("Bezeichnung für Mitarbeitende", &e.pseudonym));
    h.push_str(&row("Erster Kontakt", &t(e.first_contact_at)));
    h.push_str("</tbody></table>\n<h2>Einwilligungen</h2>\n<ul>\n");
    for c in &e.consents {
        h.push_str(&format!(
            "<li>{}: {} (Datenschutzhinweise, Fassung {})</li>\n",
            esc(&t(c.at)),
            action_de(&c.action),
            esc(&c.notice_version)
        ));
    }
    h.push_str("</ul>\n<h2>Ihre Anliegen</h2>\n");
    if e.concerns.is_empty() {
        h.push_str("<p>Keine Anliegen gespeichert.</p>\n");
    }
    for c in &e.concerns {
        h.push_str(&format!(
            "<h3>Anliegen Nr. {} (begonnen {})</h3>\n<ol>\n",
            c.id,
            esc(&t(c.created_at))
        ));
        for m in &c.messages {
            h.push_str(&format!(
                "<li><strong>{}, {}</strong>: ",
                esc(&t(m.created_at)),
                direction_de(&m.direction)
            ));
            match &m.text {
                Some(text) => h.push_str(&esc(text)),
                None => h.push_str(&format!("({})", esc(&m.kind))),
            }
            if let Some(f) = &m.media_file {
                h.push_str(&format!(" — Datei: <a href=\"{0}\">{0}</a>", esc(f)));
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ol>\n");
    }
    h.push_str("<h2>Ihre Rechte</h2>\n<p>Sie können jederzeit die Löschung verlangen (Nachricht „Löschen“) oder Ihre Einwilligung widerrufen (Nachricht „Stopp“).</p>\n");
    h.push_str("</main></body></html>\n");
    h
}

/// The ZIP archive handed to the citizen.
pub fn export_zip(e: &CitizenExport, municipality: &str, timezone: &str, now: i64) -> Vec<u8> {
    let mut z = ZipWriter::default();
    let json = serde_json::to_vec_pretty(e).unwrap_or_default();
    z.add("auskunft.json", &json);
    z.add(
        "auskunft.html",
        export_html(e, municipality, timezone, now).as_bytes(),
    );
    for c in &e.concerns {
        for m in &c.messages {
            if let Some((name, bytes)) = &m.media {
                z.add(name, bytes);
            }
        }
    }
    z.finish()
}
