//! German public holidays (gesetzliche Feiertage) for all 16 Länder, computed for any year.
//!
//! The rules follow the Länder's holiday laws in force since 1995, including later changes by year
//! (Reformationstag 2017 everywhere and since 2018 in HB/HH/NI/SH, Frauentag in BE since 2019 and
//! MV since 2023, Weltkindertag in TH since 2019, Tag der Befreiung in BE in 2020 and 2025).
//! Years before 1995 are not historically exact except that Buß- und Bettag was then nationwide.
//!
//! Holidays that only apply in some municipalities of a Land are opt-in via [`RegionalHolidays`]:
//! - Mariä Himmelfahrt in Bavaria: only in municipalities with a Catholic majority (most of them,
//!   but not all), so off by default. In Saarland it applies everywhere and is always included.
//! - Fronleichnam in Saxony (some Sorbian Catholic municipalities near Bautzen) and Thuringia
//!   (Eichsfeld and some neighbouring places): off by default. In BW, BY, HE, NW, RP and SL it
//!   applies everywhere and is always included.
//! - Augsburger Friedensfest (8 August): only in the city of Augsburg (BY).
//!
//! Ostersonntag and Pfingstsonntag are listed only for Brandenburg, whose law names them
//! explicitly; elsewhere they are "just" Sundays.

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

/// A German Land, named by its ISO 3166-2:DE code without the "DE-" prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum State {
    /// Baden-Württemberg
    BW,
    /// Bayern
    BY,
    /// Berlin
    BE,
    /// Brandenburg
    BB,
    /// Bremen
    HB,
    /// Hamburg
    HH,
    /// Hessen
    HE,
    /// Mecklenburg-Vorpommern
    MV,
    /// Niedersachsen
    NI,
    /// Nordrhein-Westfalen
    NW,
    /// Rheinland-Pfalz
    RP,
    /// Saarland
    SL,
    /// Sachsen
    SN,
    /// Sachsen-Anhalt
    ST,
    /// Schleswig-Holstein
    SH,
    /// Thüringen
    TH,
}

impl State {
    /// All 16 Länder.
    pub const ALL: [State; 16] = [
        State::BW,
        State::BY,
        State::BE,
        State::BB,
        State::HB,
        State::HH,
        State::HE,
        State::MV,
        State::NI,
        State::NW,
        State::RP,
        State::SL,
        State::SN,
        State::ST,
        State::SH,
        State::TH,
    ];

    /// Parses "ST", "st" or "DE-ST".
    pub fn parse(code: &str) -> Option<State> {
        let code = code.trim().to_ascii_uppercase();
        let code = code.strip_prefix("DE-").unwrap_or(&code);
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The two-letter code, e.g. "ST".
    pub fn code(self) -> &'static str {
        match self {
            State::BW => "BW",
            State::BY => "BY",
            State::BE => "BE",
            State::BB => "BB",
            State::HB => "HB",
            State::HH => "HH",
            State::HE => "HE",
            State::MV => "MV",
            State::NI => "NI",
            State::NW => "NW",
            State::RP => "RP",
            State::SL => "SL",
            State::SN => "SN",
            State::ST => "ST",
            State::SH => "SH",
            State::TH => "TH",
        }
    }

    /// The German name of the Land, e.g. "Sachsen-Anhalt".
    pub fn name(self) -> &'static str {
        match self {
            State::BW => "Baden-Württemberg",
            State::BY => "Bayern",
            State::BE => "Berlin",
            State::BB => "Brandenburg",
            State::HB => "Bremen",
            State::HH => "Hamburg",
            State::HE => "Hessen",
            State::MV => "Mecklenburg-Vorpommern",
            State::NI => "Niedersachsen",
            State::NW => "Nordrhein-Westfalen",
            State::RP => "Rheinland-Pfalz",
            State::SL => "Saarland",
            State::SN => "Sachsen",
            State::ST => "Sachsen-Anhalt",
            State::SH => "Schleswig-Holstein",
            State::TH => "Thüringen",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Holidays that apply only in some municipalities of a Land; each is off by default and only
/// has an effect in the Land it belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegionalHolidays {
    /// Mariä Himmelfahrt (15 August) in a Bavarian municipality with a Catholic majority.
    pub mariae_himmelfahrt: bool,
    /// Fronleichnam in the Saxon or Thuringian municipalities that keep it.
    pub fronleichnam: bool,
    /// Augsburger Friedensfest (8 August) in the city of Augsburg.
    pub augsburger_friedensfest: bool,
}

impl RegionalHolidays {
    /// The configuration names, as used in `regional = [...]`.
    pub const NAMES: [&'static str; 3] = [
        "mariae_himmelfahrt",
        "fronleichnam",
        "augsburger_friedensfest",
    ];

    /// Switches on one regional holiday by its configuration name; false if the name is unknown.
    pub fn enable(&mut self, name: &str) -> bool {
        match name.trim() {
            "mariae_himmelfahrt" => self.mariae_himmelfahrt = true,
            "fronleichnam" => self.fronleichnam = true,
            "augsburger_friedensfest" => self.augsburger_friedensfest = true,
            _ => return false,
        }
        true
    }
}

/// Easter Sunday (Gregorian) by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    if y < 1583 {
        return None;
    }
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// Buß- und Bettag: the Wednesday before 23 November.
pub fn buss_und_bettag(year: i16) -> Option<Date> {
    Date::new(year, 11, 23)
        .ok()?
        .nth_weekday(-1, Weekday::Wednesday)
        .ok()
}

/// All public holidays of a Land in a year, sorted by date, with their German names.
///
/// Two holidays can share a date (Christi Himmelfahrt on 1 May, as in 2008); both are listed.
pub fn holidays(state: State, year: i16) -> Vec<(Date, &'static str)> {
    holidays_with(state, year, RegionalHolidays::default())
}

/// Like [`holidays`], with the municipality's regional holidays switched on.
pub fn holidays_with(
    state: State,
    year: i16,
    regional: RegionalHolidays,
) -> Vec<(Date, &'static str)> {
    use State::*;
    let y = i32::from(year);
    let fixed = |month: i8, day: i8| Date::new(year, month, day).ok();
    let easter = easter_sunday(year);
    let from_easter = |days: i64| easter.and_then(|e| e.checked_add(days.days()).ok());
    let is = |states: &[State]| states.contains(&state);

    let mut days: Vec<(Option<Date>, &'static str)> = vec![
        (fixed(1, 1), "Neujahr"),
        (from_easter(-2), "Karfreitag"),
        (from_easter(1), "Ostermontag"),
        (fixed(5, 1), "Tag der Arbeit"),
        (from_easter(39), "Christi Himmelfahrt"),
        (from_easter(50), "Pfingstmontag"),
        (fixed(10, 3), "Tag der Deutschen Einheit"),
        (fixed(12, 25), "1. Weihnachtstag"),
        (fixed(12, 26), "2. Weihnachtstag"),
    ];
    if is(&[BW, BY, ST]) {
        days.push((fixed(1, 6), "Heilige Drei Könige"));
    }
    if (state == BE && y >= 2019) || (state == MV && y >= 2023) {
        days.push((fixed(3, 8), "Internationaler Frauentag"));
    }
    if state == BB {
        days.push((easter, "Ostersonntag"));
        days.push((from_easter(49), "Pfingstsonntag"));
    }
    if state == BE && (y == 2020 || y == 2025) {
        days.push((fixed(5, 8), "Tag der Befreiung"));
    }
    if is(&[BW, BY, HE, NW, RP, SL]) || (is(&[SN, TH]) && regional.fronleichnam) {
        days.push((from_easter(60), "Fronleichnam"));
    }
    if state == BY && regional.augsburger_friedensfest {
        days.push((fixed(8, 8), "Augsburger Friedensfest"));
    }
    if state == SL || (state == BY && regional.mariae_himmelfahrt) {
        days.push((fixed(8, 15), "Mariä Himmelfahrt"));
    }
    if state == TH && y >= 2019 {
        days.push((fixed(9, 20), "Weltkindertag"));
    }
    let reformation =
        is(&[BB, MV, SN, ST, TH]) || (is(&[HB, HH, NI, SH]) && y >= 2018) || y == 2017;
    if reformation {
        days.push((fixed(10, 31), "Reformationstag"));
    }
    if is(&[BW, BY, NW, RP, SL]) {
        days.push((fixed(11, 1), "Allerheiligen"));
    }
    if state == SN || y < 1995 {
        days.push((buss_und_bettag(year), "Buß- und Bettag"));
    }

    let mut out: Vec<(Date, &'static str)> = days
        .into_iter()
        .filter_map(|(d, name)| d.map(|d| (d, name)))
        .collect();
    out.sort();
    out
}

/// The German name of the holiday on `date` in `state`, if it is one (the first by name if two coincide).
pub fn is_holiday(state: State, date: Date) -> Option<&'static str> {
    is_holiday_with(state, date, RegionalHolidays::default())
}

/// Like [`is_holiday`], with the municipality's regional holidays switched on.
pub fn is_holiday_with(
    state: State,
    date: Date,
    regional: RegionalHolidays,
) -> Option<&'static str> {
    holidays_with(state, date.year(), regional)
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, name)| name)
}

/// Remembers one year's holidays so day-by-day scans don't recompute them for every day.
#[derive(Debug, Clone)]
pub(crate) struct HolidayCache {
    state: Option<State>,
    regional: RegionalHolidays,
    year: Option<i16>,
    dates: Vec<Date>,
}

impl HolidayCache {
    pub(crate) fn new(state: Option<State>, regional: RegionalHolidays) -> Self {
        HolidayCache {
            state,
            regional,
            year: None,
            dates: Vec::new(),
        }
    }

    pub(crate) fn contains(&mut self, date: Date) -> bool {
        let Some(state) = self.state else {
            return false;
        };
        if self.year != Some(date.year()) {
            self.year = Some(date.year());
            self.dates = holidays_with(state, date.year(), self.regional)
                .into_iter()
                .map(|(d, _)| d)
                .collect();
        }
        self.dates.contains(&date)
    }
}

#[cfg(test)]
mod tests;
