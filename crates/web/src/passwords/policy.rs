//! Rules a new staff password must meet: length, not a common password, not built from the account's
//! e-mail or the municipality's name, not a keyboard walk or a repeated character (ASVS 2.1.7).

use std::collections::HashSet;
use std::sync::OnceLock;

use super::MIN_PASSWORD_CHARS;

/// Why a new password is refused; each has a German and an English message for the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    Common,
    ContainsEmail,
    ContainsMunicipality,
    KeyboardWalk,
    Repeated,
}

impl PasswordProblem {
    pub fn message_de(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "Das Passwort muss mindestens 12 Zeichen haben.",
            PasswordProblem::Common => {
                "Dieses Passwort ist zu verbreitet: Es steht auf der Liste häufiger Passwörter, die bei \
                 Angriffen zuerst ausprobiert werden (auch mit angehängten Ziffern oder Zeichen wie „Sommer2024!“). \
                 Wählen Sie z. B. mehrere zufällige Wörter."
            }
            PasswordProblem::ContainsEmail => {
                "Das Passwort darf Ihre E-Mail-Adresse (den Teil vor dem @) nicht enthalten."
            }
            PasswordProblem::ContainsMunicipality => {
                "Das Passwort darf den Namen der Gemeinde nicht enthalten."
            }
            PasswordProblem::KeyboardWalk => {
                "Das Passwort darf keine Tastenfolge wie „qwertz“, „asdfgh“ oder „123456“ sein."
            }
            PasswordProblem::Repeated => {
                "Das Passwort darf nicht aus einem wiederholten Zeichen oder kurzen Muster bestehen."
            }
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "The password needs at least 12 characters.",
            PasswordProblem::Common => {
                "This password is too common: it is on the list of frequent passwords attackers try first \
                 (also with digits or symbols added, like \"Summer2024!\"). Choose, for example, several random words."
            }
            PasswordProblem::ContainsEmail => {
                "The password must not contain your e-mail address (the part before the @)."
            }
            PasswordProblem::ContainsMunicipality => {
                "The password must not contain the name of the municipality."
            }
            PasswordProblem::KeyboardWalk => {
                "The password must not be a keyboard sequence such as \"qwerty\", \"asdfgh\" or \"123456\"."
            }
            PasswordProblem::Repeated => {
                "The password must not consist of one repeated character or a short repeated pattern."
            }
        }
    }

    /// Both messages, German first, for places without a chosen language (the CLI).
    pub fn message_both(self) -> String {
        format!("{} / {}", self.message_de(), self.message_en())
    }
}

impl std::fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_both())
    }
}

impl std::error::Error for PasswordProblem {}

/// Checks a password someone is about to set for the account `email` in the municipalities named in
/// `municipality_names` (display names or slugs). Call it wherever a password is chosen.
pub fn check_new_password(
    password: &str,
    email: &str,
    municipality_names: &[&str],
) -> Result<(), PasswordProblem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    let lower = password.to_lowercase();
    if is_repeated(&lower) {
        return Err(PasswordProblem::Repeated);
    }
    if is_keyboard_walk(&lower) {
        return Err(PasswordProblem::KeyboardWalk);
    }
    if is_common(&lower) {
        return Err(PasswordProblem::Common);
    }
    let squeezed = letters_and_digits(&lower);
    let local = email.trim().split('@').next().unwrap_or("").to_lowercase();
    let local_squeezed = letters_and_digits(&local);
    let email_hit = (local_squeezed.chars().count() >= 3 && squeezed.contains(&local_squeezed))
        || name_parts(&local).any(|p| lower.contains(&p));
    if email_hit {
        return Err(PasswordProblem::ContainsEmail);
    }
    for name in municipality_names {
        let name = name.to_lowercase();
        let whole = letters_and_digits(&name);
        if (whole.chars().count() >= 4 && squeezed.contains(&whole))
            || name_parts(&name)
                .filter(|p| !GENERIC_PLACE_WORDS.contains(&p.as_str()))
                .any(|p| lower.contains(&p))
        {
            return Err(PasswordProblem::ContainsMunicipality);
        }
    }
    Ok(())
}

/// Words of a place name that say nothing about the place.
const GENERIC_PLACE_WORDS: &[&str] = &[
    "stadt",
    "gemeinde",
    "markt",
    "landkreis",
    "kreis",
    "amt",
    "samtgemeinde",
    "verbandsgemeinde",
    "verwaltungsgemeinschaft",
    "hansestadt",
    "kreisstadt",
    "große",
    "grosse",
    "bad",
    "sankt",
    "der",
    "die",
    "das",
    "und",
    "an",
    "am",
    "im",
    "in",
    "ob",
    "bei",
    "von",
    "city",
    "town",
];

fn letters_and_digits(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Parts of a name (split at anything but letters and digits) long enough to be telling.
fn name_parts(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|p| p.chars().count() >= 4)
        .map(str::to_string)
}

fn common_list() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Undoes the usual substitutions (P@ssw0rt, $ommer) so they do not hide a common word.
fn unleet(s: &str, one_as: char) -> String {
    s.chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' | '|' => one_as,
            '3' => 'e',
            '$' | '5' => 's',
            '7' | '+' => 't',
            '8' => 'b',
            'ß' => 's',
            c => c,
        })
        .collect()
}

/// Whether the password is a listed one, or a listed word (or two) dressed up with digits, symbols,
/// spaces or substitutions at the ends: "Passwort2024!", "Sommer 2025", "P@ssw0rt123456", "hallo123hallo".
fn is_common(lower: &str) -> bool {
    let list = common_list();
    if list.contains(lower) {
        return true;
    }
    let letters_only = |s: &str| -> String { s.chars().filter(|c| c.is_alphabetic()).collect() };
    // Stem: cut digits and symbols off both ends (keeps letter substitutions inside the word).
    let stem = lower.trim_matches(|c: char| !c.is_alphabetic() && !"@$|!01345789".contains(c));
    let stem = stem.trim_end_matches(|c: char| c.is_ascii_digit() || !c.is_alphanumeric());
    let stem = stem.trim_start_matches(|c: char| c.is_ascii_digit() || !c.is_alphanumeric());
    let mut candidates = vec![
        stem.to_string(),
        letters_only(lower),
        letters_and_digits(stem),
        letters_and_digits(lower),
    ];
    for one_as in ['i', 'l'] {
        let u = unleet(lower, one_as);
        candidates.push(letters_only(&u));
        let u_stem = unleet(stem, one_as);
        candidates.push(letters_only(&u_stem));
    }
    for c in &candidates {
        if c.is_empty() {
            continue;
        }
        if is_made_of_listed(c, list, 3) {
            return true;
        }
    }
    false
}

/// "hallohallo", "sommerwinter", "bvb09bvb09bvb09": one to `parts` listed words and nothing else.
fn is_made_of_listed(s: &str, list: &HashSet<&'static str>, parts: usize) -> bool {
    if list.contains(s) {
        return true;
    }
    parts > 1
        && s.char_indices()
            .skip(1)
            .any(|(i, _)| list.contains(&s[..i]) && is_made_of_listed(&s[i..], list, parts - 1))
}

/// Rows and columns of German and English keyboards and the digit row, each also read backwards.
const WALKS: &[&str] = &[
    "1234567890ß",
    "qwertzuiopü",
    "qwertyuiop",
    "asdfghjklöä",
    "<yxcvbnm,.-",
    "zxcvbnm,./",
    "1qay2wsx3edc4rfv5tgb6zhn7ujm8ik9ol0pö",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qaywsxedcrfvtgbzhnujmikolp",
    "qazwsxedcrfvtgbyhnujmikolp",
    "abcdefghijklmnopqrstuvwxyz",
    "7894561230",
    "!\"§$%&/()=",
    "!@#$%^&*()",
];

/// Whether all but at most two characters come from runs of three or more keys in a row.
fn is_keyboard_walk(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    let walks: Vec<Vec<char>> = WALKS
        .iter()
        .flat_map(|w| [w.chars().collect::<Vec<_>>(), w.chars().rev().collect()])
        .collect();
    let in_walk = |run: &[char]| {
        walks
            .iter()
            .any(|w| w.windows(run.len()).any(|win| win == run))
    };
    let (mut i, mut uncovered) = (0, 0);
    while i < chars.len() {
        let mut len = 0;
        for end in (i + 3..=chars.len()).rev() {
            if in_walk(&chars[i..end]) {
                len = end - i;
                break;
            }
        }
        if len == 0 {
            uncovered += 1;
            i += 1;
        } else {
            i += len;
        }
    }
    uncovered <= 2
}

/// One character over and over, or a pattern of up to four characters repeated ("abababab…").
fn is_repeated(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    (1..=4).any(|unit| {
        chars.len() >= unit * 3 && chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit])
    }) || chars.iter().collect::<HashSet<_>>().len() <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str) -> Result<(), PasswordProblem> {
        check_new_password(
            pw,
            "anna.schmidt@musterstadt.de",
            &["Stadt Musterstadt", "musterstadt"],
        )
    }

    #[test]
    fn good_passwords_pass() {
        for pw in [
            "Rathausplatz-Laterne-17",
            "sicheres Passwort 2026",
            "Tulpen wachsen leise am Deich",
            "ein-langes-Passwort-2026",
            "korrekt Pferd Batterie Heftklammer",
            "Vq8#mZ2!pL4@xR",
        ] {
            assert_eq!(check(pw), Ok(()), "{pw}");
        }
    }

    #[test]
    fn common_passwords_are_refused_in_any_case_and_dressed_up() {
        for pw in [
            "passwort1234",
            "PASSWORT12345",
            "Passwort2024!",
            "P@ssw0rt123456",
            "hallo123hallo",
            "Hallo12345678",
            "Schatz2024!!!",
            "Sommer2024!!!",
            "Winter 2025 !!",
            "Frühling2026#",
            "Herbst2023???",
            "Schalke04Schalke04",
            "BVB09BVB09BVB09",
            "Bayern München 1900",
            "iloveyou12345",
            "Ichliebedich!!",
            "Dezember.2025",
            "willkommen123",
            "Rathaus123456",
            "letmein!letmein",
        ] {
            assert_eq!(check(pw), Err(PasswordProblem::Common), "{pw}");
        }
    }

    #[test]
    fn the_accounts_own_name_and_the_towns_name_are_refused() {
        assert_eq!(
            check("anna.schmidt-2026!"),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            check("Schmidt und Partner 99"),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            check("ANNASCHMIDT#rathaus"),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            check("Musterstadt-Demo-2026"),
            Err(PasswordProblem::ContainsMunicipality)
        );
        assert_eq!(
            check("ich wohne in MUSTERSTADT"),
            Err(PasswordProblem::ContainsMunicipality)
        );
        // The generic "Stadt" alone is not the town's name.
        assert_eq!(check("Stadtpark-Bank-Nr-7"), Ok(()));
        assert_eq!(
            check_new_password("Rathausplatz-Laterne-17", "x@y.de", &["Bad Laterne"]),
            Err(PasswordProblem::ContainsMunicipality)
        );
    }

    #[test]
    fn keyboard_walks_and_repetitions_are_refused() {
        for pw in [
            "qwertzuiopü",
            "qwertzuiop123",
            "asdfghjklöä1",
            "1qay2wsx3edc",
            "poiuztrewq12",
            "yxcvbnm,.-12345",
        ] {
            let r = check(pw);
            assert!(
                matches!(
                    r,
                    Err(PasswordProblem::KeyboardWalk) | Err(PasswordProblem::TooShort)
                ),
                "{pw}: {r:?}"
            );
        }
        assert_eq!(check("qwertzuiop123"), Err(PasswordProblem::KeyboardWalk));
        assert_eq!(
            check("1qay2wsx3edc4rfv"),
            Err(PasswordProblem::KeyboardWalk)
        );
        assert_eq!(check("aaaaaaaaaaaa"), Err(PasswordProblem::Repeated));
        assert_eq!(check("123456789012"), Err(PasswordProblem::KeyboardWalk));
        assert_eq!(check("abcabcabcabc"), Err(PasswordProblem::Repeated));
        assert_eq!(check("xyxyxyxyxyxyxy"), Err(PasswordProblem::Repeated));
        assert_eq!(check("!!!!!!!!!!!!!!!!"), Err(PasswordProblem::Repeated));
        assert_eq!(check("kurz"), Err(PasswordProblem::TooShort));
    }

    #[test]
    fn messages_exist_in_both_languages() {
        for p in [
            PasswordProblem::TooShort,
            PasswordProblem::Common,
            PasswordProblem::ContainsEmail,
            PasswordProblem::ContainsMunicipality,
            PasswordProblem::KeyboardWalk,
            PasswordProblem::Repeated,
        ] {
            assert_ne!(p.message_de(), p.message_en());
            assert!(p.message_both().contains(" / "));
        }
        assert!(PasswordProblem::TooShort.message_de().contains("12"));
    }
}
