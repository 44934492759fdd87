//! Server-rendered bar charts as inline SVG: no script, no inline style, a title and description for assistive technology.

use std::fmt::Write as _;

/// One bar: its label, its length and the value written beside it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub value_text: String,
}

/// Escapes text for SVG/XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Labels longer than this are shortened in the chart; the table beside it has them in full.
const LABEL_CHARS: usize = 22;

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

const WIDTH: f64 = 640.0;
const ROW: f64 = 34.0;
const LABEL_W: f64 = 210.0;
const VALUE_W: f64 = 110.0;

/// A horizontal bar chart (phone-friendly: labels stay readable as rows); `max` is the value of a
/// full-length bar (at least the largest value). `id` must be unique on the page.
pub fn bar_chart(id: &str, title: &str, desc: &str, bars: &[Bar], max: f64) -> String {
    let max = bars.iter().map(|b| b.value).fold(max, f64::max);
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let track = WIDTH - LABEL_W - VALUE_W;
    let id = xml_escape(id);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" \
         aria-labelledby=\"{id}-title {id}-desc\" focusable=\"false\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        xml_escape(title),
        xml_escape(desc)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let len = if max > 0.0 && b.value.is_finite() {
            (b.value.max(0.0) / max * track).max(if b.value > 0.0 { 2.0 } else { 0.0 })
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<text x=\"{x_label}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"15\" fill=\"#1a1d21\">{label}</text>\
             <rect x=\"{LABEL_W}\" y=\"{ry}\" width=\"{track}\" height=\"22\" fill=\"#f3f5f7\" stroke=\"#c9d0d8\"/>\
             <rect x=\"{LABEL_W}\" y=\"{ry}\" width=\"{len:.1}\" height=\"22\" fill=\"#0b4f8a\"/>\
             <text x=\"{x_value}\" y=\"{ty}\" font-size=\"15\" fill=\"#1a1d21\">{value}</text>",
            x_label = LABEL_W - 8.0,
            ty = y + 17.0,
            ry = y + 1.0,
            label = xml_escape(&short(&b.label)),
            x_value = LABEL_W + track + 8.0,
            value = xml_escape(&b.value_text),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_chart_is_labelled() {
        let svg = bar_chart(
            "c1",
            "Anliegen <pro> Kanal",
            "Balken & Werte",
            &[Bar {
                label: "wa \"<script>\"".into(),
                value: 3.0,
                value_text: "3".into(),
            }],
            0.0,
        );
        assert!(svg.starts_with("<svg "));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"c1-title\">Anliegen &lt;pro&gt; Kanal</title>"));
        assert!(svg.contains("Balken &amp; Werte"));
        assert!(svg.contains("wa &quot;&lt;script&gt;&quot;"));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("style"));
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_long_labels_are_shortened() {
        let bars = [
            Bar {
                label: "a".into(),
                value: 1.0,
                value_text: "1".into(),
            },
            Bar {
                label: "ein sehr langer Kanalname über 22 Zeichen".into(),
                value: 2.0,
                value_text: "2".into(),
            },
        ];
        let svg = bar_chart("c", "t", "d", &bars, 0.0);
        assert!(svg.contains("width=\"320.0\""), "{svg}");
        assert!(svg.contains("width=\"160.0\""));
        assert!(svg.contains("ein sehr langer Kanal…"));
        assert_eq!(xml_escape("a\u{7}b'"), "a b&#39;");
    }
}
