//! The report in words and numbers for the page: key figures, chart SVG and table rows, German or English.

use rathaus_domain::schedule::german::month_name;
use rathaus_hub::reports::{ResponseStats, ResponseTimeReport};

use super::svg::{bar_chart, Bar};
use crate::ui::i18n::{Lang, Tr};
use crate::ui::promise::duration_words;

/// One key figure at the top.
pub struct Figure {
    pub label: &'static str,
    pub value: String,
}

/// One line of a data table.
pub struct TableRow {
    pub group: String,
    pub concerns: u64,
    pub answered: u64,
    pub median: String,
    pub p90: String,
    pub office_median: String,
    pub office_p90: String,
    pub within_1h: String,
    pub within_day: String,
    pub target: String,
}

pub struct ReportView {
    pub empty: bool,
    pub office_configured: bool,
    pub figures: Vec<Figure>,
    pub month_chart: String,
    pub channel_chart: String,
    pub team_chart: String,
    pub months: Vec<TableRow>,
    pub channels: Vec<TableRow>,
    /// Empty when the municipality has no teams in the period's concerns.
    pub teams: Vec<TableRow>,
    pub slots: Vec<TableRow>,
}

const DASH: &str = "–";

/// "45 Sek.", "12 Min.", "2 Std. 5 Min."; a dash when there is no value.
pub fn seconds_words(s: Option<i64>, lang: Lang) -> String {
    match s {
        None => DASH.to_string(),
        Some(s) if s < 60 => match lang {
            Lang::De => format!("{} Sek.", s.max(0)),
            Lang::En => format!("{} s", s.max(0)),
        },
        Some(s) => duration_words(s.saturating_mul(1000), lang),
    }
}

/// "87 %" (German, with a narrow no-break space) or "87%"; a dash when there is no value.
pub fn share_words(v: Option<f64>, lang: Lang) -> String {
    match v {
        None => DASH.to_string(),
        Some(x) => {
            let pct = (x * 100.0).round();
            match lang {
                Lang::De => format!("{pct:.0}\u{202f}%"),
                Lang::En => format!("{pct:.0}%"),
            }
        }
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "2026-12" → "Dezember 2026" / "December 2026" (unchanged if it is not such a month).
pub fn month_words(month: &str, lang: Lang) -> String {
    let parsed = month
        .split_once('-')
        .and_then(|(y, m)| Some((y, m.parse::<i8>().ok()?)));
    match parsed {
        Some((y, m)) if (1..=12).contains(&m) => match lang {
            Lang::De => format!("{} {y}", month_name(m)),
            Lang::En => format!("{} {y}", MONTHS_EN[usize::try_from(m - 1).unwrap_or(0)]),
        },
        _ => month.to_string(),
    }
}

/// "2026-12-01T14:00" → "01.12.2026, 14:00" (German) or "2026-12-01 14:00".
fn slot_words(start: &str, lang: Lang) -> String {
    let Some((d, t)) = start.split_once('T') else {
        return start.to_string();
    };
    match (lang, d.split('-').collect::<Vec<_>>().as_slice()) {
        (Lang::De, [y, m, day]) => format!("{day}.{m}.{y}, {t}"),
        _ => format!("{d} {t}"),
    }
}

fn row(group: String, s: &ResponseStats, lang: Lang) -> TableRow {
    TableRow {
        group,
        concerns: s.concerns,
        answered: s.answered,
        median: seconds_words(s.first_response_median_s, lang),
        p90: seconds_words(s.first_response_p90_s, lang),
        office_median: seconds_words(s.first_response_office_median_s, lang),
        office_p90: seconds_words(s.first_response_office_p90_s, lang),
        within_1h: share_words(s.share_within_1h_office, lang),
        within_day: share_words(s.share_within_1_office_day, lang),
        target: share_words(s.share_target_met, lang),
    }
}

impl ReportView {
    pub fn new(r: &ResponseTimeReport, tr: Tr) -> ReportView {
        let lang = tr.lang;
        let t = &r.totals;
        let figures = vec![
            Figure {
                label: tr.t("reports.concerns"),
                value: t.concerns.to_string(),
            },
            Figure {
                label: tr.t("reports.answered"),
                value: t.answered.to_string(),
            },
            Figure {
                label: tr.t("reports.median"),
                value: seconds_words(t.first_response_median_s, lang),
            },
            Figure {
                label: tr.t("reports.p90"),
                value: seconds_words(t.first_response_p90_s, lang),
            },
            Figure {
                label: tr.t("reports.office_median"),
                value: seconds_words(t.first_response_office_median_s, lang),
            },
            Figure {
                label: tr.t("reports.within_1h"),
                value: share_words(t.share_within_1h_office, lang),
            },
            Figure {
                label: tr.t("reports.within_day"),
                value: share_words(t.share_within_1_office_day, lang),
            },
            Figure {
                label: tr.t("reports.target_met"),
                value: share_words(t.share_target_met, lang),
            },
        ];
        let month_bars: Vec<Bar> = r
            .by_month
            .iter()
            .map(|m| Bar {
                label: month_words(&m.month, lang),
                value: m.stats.concerns as f64,
                value_text: m.stats.concerns.to_string(),
            })
            .collect();
        let channel_bars: Vec<Bar> = r
            .by_channel
            .iter()
            .map(|c| Bar {
                label: c.channel.clone(),
                value: c.stats.share_target_met.unwrap_or(0.0) * 100.0,
                value_text: share_words(c.stats.share_target_met, lang),
            })
            .collect();
        let team_name = |t: &Option<String>| {
            t.clone()
                .unwrap_or_else(|| tr.t("reports.no_team").to_string())
        };
        let team_bars: Vec<Bar> = r
            .by_team
            .iter()
            .map(|t| Bar {
                label: team_name(&t.team),
                value: t.stats.share_target_met.unwrap_or(0.0) * 100.0,
                value_text: share_words(t.stats.share_target_met, lang),
            })
            .collect();
        // Without any team, the split says nothing the totals do not.
        let has_teams = r.by_team.iter().any(|t| t.team.is_some());
        ReportView {
            empty: t.concerns == 0,
            office_configured: r.office_hours_configured,
            figures,
            month_chart: bar_chart(
                "chart-months",
                tr.t("reports.chart_months"),
                tr.t("reports.chart_months_desc"),
                &month_bars,
                0.0,
            ),
            channel_chart: bar_chart(
                "chart-channels",
                tr.t("reports.chart_channels"),
                tr.t("reports.chart_channels_desc"),
                &channel_bars,
                100.0,
            ),
            team_chart: bar_chart(
                "chart-teams",
                tr.t("reports.chart_teams"),
                tr.t("reports.chart_teams_desc"),
                &team_bars,
                100.0,
            ),
            teams: if has_teams {
                r.by_team
                    .iter()
                    .map(|t| row(team_name(&t.team), &t.stats, lang))
                    .collect()
            } else {
                Vec::new()
            },
            months: r
                .by_month
                .iter()
                .map(|m| row(month_words(&m.month, lang), &m.stats, lang))
                .collect(),
            channels: r
                .by_channel
                .iter()
                .map(|c| row(c.channel.clone(), &c.stats, lang))
                .collect(),
            slots: r
                .by_slot
                .iter()
                .map(|s| {
                    let when = slot_words(&s.slot_start, lang);
                    let group = match &s.consultation {
                        Some(name) => format!("{when} · {name}"),
                        None => when,
                    };
                    row(group, &s.stats, lang)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_for_people() {
        assert_eq!(seconds_words(Some(45), Lang::De), "45 Sek.");
        assert_eq!(seconds_words(Some(720), Lang::De), "12 Min.");
        assert_eq!(seconds_words(Some(7500), Lang::En), "2 h 5 min");
        assert_eq!(seconds_words(None, Lang::De), "–");
        assert_eq!(share_words(Some(0.875), Lang::De), "88\u{202f}%");
        assert_eq!(share_words(Some(1.0), Lang::En), "100%");
        assert_eq!(month_words("2026-12", Lang::De), "Dezember 2026");
        assert_eq!(month_words("2026-03", Lang::En), "March 2026");
        assert_eq!(month_words("kaputt", Lang::De), "kaputt");
        assert_eq!(
            slot_words("2026-12-01T14:00", Lang::De),
            "01.12.2026, 14:00"
        );
    }
}
