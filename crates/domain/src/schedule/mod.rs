//! Schedules: public holidays, office hours, consultation hours and response-time promises (pure; time is an argument).

pub mod holidays;

pub use holidays::{holidays, is_holiday, RegionalHolidays, State};
