//! A small HTML writer for the documents: escapes every configured text, marks gaps and points to review.

use jiff::civil::Date;

/// Class of a "[bitte ergänzen: …]" placeholder (configuration missing).
pub const MISSING_CLASS: &str = "doc-missing";
/// Class of a "[bitte prüfen: …]" note (a fact the municipality must confirm).
pub const REVIEW_CLASS: &str = "doc-review";

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// "2026-03-01" as "01.03.2026"; anything else as written.
pub fn german_date(s: &str) -> String {
    match s.trim().parse::<Date>() {
        Ok(d) => d.strftime("%d.%m.%Y").to_string(),
        Err(_) => s.trim().to_string(),
    }
}

/// Collects the body of a document and what is missing in it.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
    missing: Vec<String>,
    review: usize,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Trusted markup written by this crate (never configuration text).
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// Text, escaped.
    pub fn text(&mut self, s: &str) {
        self.out.push_str(&escape(s));
    }

    /// "[bitte ergänzen: label]", counted.
    pub fn missing(&mut self, label: &str) {
        if !self.missing.iter().any(|m| m == label) {
            self.missing.push(label.to_string());
        }
        self.out.push_str(&format!(
            "<mark class=\"{MISSING_CLASS}\">[bitte ergänzen: {}]</mark>",
            escape(label)
        ));
    }

    /// "[bitte prüfen: note]", counted.
    pub fn review(&mut self, note: &str) {
        self.review += 1;
        self.out.push_str(&format!(
            " <mark class=\"{REVIEW_CLASS}\">[bitte prüfen: {}]</mark>",
            escape(note)
        ));
    }

    /// A configured value inline (line breaks kept), or the placeholder for `label`.
    pub fn value(&mut self, v: Option<&str>, label: &str) {
        match super::config::filled(v) {
            Some(s) => {
                let lines: Vec<String> = s.lines().map(|l| escape(l.trim())).collect();
                self.out.push_str(&lines.join("<br>"));
            }
            None => self.missing(label),
        }
    }

    /// A configured free text as paragraphs (blank lines separate them), or the placeholder in one paragraph.
    pub fn block(&mut self, v: Option<&str>, label: &str) {
        match super::config::filled(v) {
            Some(s) => {
                for para in s.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
                    self.raw("<p>");
                    self.value(Some(para), label);
                    self.raw("</p>");
                }
            }
            None => {
                self.raw("<p>");
                self.missing(label);
                self.raw("</p>");
            }
        }
    }

    /// Optional free text: paragraphs if given, nothing otherwise.
    pub fn optional_block(&mut self, v: Option<&str>) {
        if let Some(s) = super::config::filled(v) {
            self.block(Some(s), "");
        }
    }

    /// An e-mail address as a mailto link (escaped), or the placeholder.
    pub fn email(&mut self, v: Option<&str>, label: &str) {
        match super::config::filled(v) {
            Some(s) if !s.contains(char::is_whitespace) => {
                let e = escape(s);
                self.out
                    .push_str(&format!("<a href=\"mailto:{e}\">{e}</a>"));
            }
            other => self.value(other, label),
        }
    }

    /// A web address as a link when it is http(s), else as text; or the placeholder.
    pub fn url(&mut self, v: Option<&str>, label: &str) {
        match super::config::filled(v) {
            Some(s)
                if (s.starts_with("https://") || s.starts_with("http://"))
                    && !s.contains(char::is_whitespace) =>
            {
                let e = escape(s);
                self.out.push_str(&format!("<a href=\"{e}\">{e}</a>"));
            }
            other => self.value(other, label),
        }
    }

    /// A section heading with an id for links.
    pub fn h2(&mut self, id: &str, title: &str) {
        self.out
            .push_str(&format!("<h2 id=\"{}\">{}</h2>", escape(id), escape(title)));
    }

    pub fn h3(&mut self, title: &str) {
        self.out.push_str(&format!("<h3>{}</h3>", escape(title)));
    }

    /// Starts a two-column table with a caption; close it with [`Writer::end_table`].
    pub fn table(&mut self, caption: &str) {
        self.out.push_str(&format!(
            "<div class=\"doc-table\"><table><caption>{}</caption><tbody>",
            escape(caption)
        ));
    }

    pub fn end_table(&mut self) {
        self.raw("</tbody></table></div>");
    }

    /// One row: a header cell and whatever `cell` writes.
    pub fn row(&mut self, header: &str, cell: impl FnOnce(&mut Writer)) {
        self.out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>",
            escape(header)
        ));
        cell(self);
        self.raw("</td></tr>");
    }

    /// Labels of the placeholders written so far (each once).
    pub fn missing_labels(&self) -> &[String] {
        &self.missing
    }

    pub fn review_count(&self) -> usize {
        self.review
    }

    pub fn into_parts(self) -> (String, Vec<String>, usize) {
        (self.out, self.missing, self.review)
    }
}

/// How the document gets its styles: linked when served, embedded in a download so the file stands alone.
#[derive(Debug, Clone, Copy)]
pub enum Style<'a> {
    Link(&'a str),
    Embed(&'a str),
}

/// Links shown above the document in the staff view (not printed, not in downloads).
#[derive(Debug, Clone, Copy)]
pub struct Nav<'a> {
    pub back_href: &'a str,
    pub download_href: &'a str,
}

/// Header data of one document.
pub struct PageMeta<'a> {
    pub title: &'a str,
    pub municipality: &'a str,
    pub as_of: &'a str,
    pub version: Option<&'a str>,
}

/// The complete HTML page around a body: lang="de", one h1, a status box when anything is missing.
pub fn page(meta: &PageMeta<'_>, body: Writer, style: Style<'_>, nav: Option<Nav<'_>>) -> String {
    let (inner, missing, review) = body.into_parts();
    let mut h = String::with_capacity(inner.len() + 2048);
    h.push_str("<!doctype html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(&format!(
        "<title>{} – {}</title>\n",
        escape(meta.title),
        escape(meta.municipality)
    ));
    match style {
        Style::Link(href) => h.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{}\">\n",
            escape(href)
        )),
        // CSS from this crate's caller, never configuration text; "</" cannot end the element early.
        Style::Embed(css) => h.push_str(&format!("<style>\n{}\n</style>\n", css.replace("</", ""))),
    }
    h.push_str("<link rel=\"icon\" href=\"data:,\">\n</head>\n<body>\n");
    if let Some(nav) = nav {
        h.push_str(&format!(
            "<nav class=\"doc-nav\" aria-label=\"Dokument\"><a href=\"{}\">Alle Dokumente</a> \
             <a href=\"{}\" download>Als HTML-Datei herunterladen</a></nav>\n",
            escape(nav.back_href),
            escape(nav.download_href)
        ));
    }
    h.push_str("<main id=\"main\" class=\"doc\">\n<header class=\"doc-header\">\n");
    h.push_str(&format!(
        "<p class=\"doc-owner\">{}</p>\n<h1>{}</h1>\n<p class=\"doc-meta\">Stand: {}",
        escape(meta.municipality),
        escape(meta.title),
        escape(meta.as_of)
    ));
    if let Some(v) = meta.version.map(str::trim).filter(|v| !v.is_empty()) {
        h.push_str(&format!(" · Version {}", escape(v)));
    }
    h.push_str(" · erstellt mit Rathaus aus der Konfiguration</p>\n</header>\n");
    if !missing.is_empty() || review > 0 {
        h.push_str("<div class=\"doc-status\" role=\"note\">\n<p><strong>Entwurf – noch nicht veröffentlichungsreif.</strong></p>\n");
        if !missing.is_empty() {
            h.push_str(&format!(
                "<p>Es fehlen {} Angabe{} (im Text markiert mit „[bitte ergänzen: …]“):</p>\n<ul>",
                missing.len(),
                if missing.len() == 1 { "" } else { "n" }
            ));
            for m in &missing {
                h.push_str(&format!("<li>{}</li>", escape(m)));
            }
            h.push_str("</ul>\n");
        }
        if review > 0 {
            h.push_str(&format!(
                "<p>{review} Stelle{} beschreib{} Tatsachen über Dritte, die vor der Veröffentlichung zu prüfen \
                 sind (markiert mit „[bitte prüfen: …]“).</p>\n",
                if review == 1 { "" } else { "n" },
                if review == 1 { "t" } else { "en" }
            ));
        }
        h.push_str("</div>\n");
    }
    h.push_str(&inner);
    h.push_str("\n</main>\n</body>\n</html>\n");
    h
}
