//! Translations of single sign-on with the municipality's OpenID Connect provider.

pub(super) const TABLE: &[(&str, &str, &str)] = &[
    ("sso.heading", "Oder mit dem Konto Ihrer Verwaltung", "Or with your administration's account"),
    ("sso.button", "Mit {provider} anmelden", "Sign in with {provider}"),
    (
        "sso.not_configured",
        "Für diese Kommune ist keine Anmeldung über einen Anbieter eingerichtet.",
        "No sign-in provider is set up for this municipality.",
    ),
    (
        "sso.unreachable",
        "{provider} ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal oder melden Sie sich mit Passwort an.",
        "{provider} cannot be reached right now. Please try again later or sign in with your password.",
    ),
    (
        "sso.expired",
        "Die Anmeldung ist abgelaufen oder wurde in einem anderen Browser begonnen. Bitte beginnen Sie sie noch einmal.",
        "The sign-in expired or was started in another browser. Please start it again.",
    ),
    (
        "sso.failed",
        "Die Anmeldung über {provider} ist fehlgeschlagen. Bitte versuchen Sie es noch einmal.",
        "Signing in with {provider} failed. Please try again.",
    ),
    (
        "sso.no_email",
        "{provider} hat keine E-Mail-Adresse übermittelt. Bitte wenden Sie sich an Ihre IT.",
        "{provider} did not send an e-mail address. Please contact your IT.",
    ),
    (
        "sso.unverified",
        "{provider} hat Ihre E-Mail-Adresse nicht als bestätigt gemeldet. Bitte wenden Sie sich an Ihre IT.",
        "{provider} did not report your e-mail address as verified. Please contact your IT.",
    ),
    (
        "sso.no_account",
        "Für {email} gibt es in {municipality} kein Rathaus-Konto. Konten legt die Administration in Rathaus an; bitte wenden Sie sich dorthin.",
        "There is no Rathaus account for {email} in {municipality}. Accounts are created by the administrators in Rathaus; please ask them.",
    ),
];
