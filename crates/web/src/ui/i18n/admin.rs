//! Translations of the administration pages: the landing page, staff and roles, teams.

pub(super) const TABLE: &[(&str, &str, &str)] = &[
    ("inbox.team", "Team", "Team"),
    ("inbox.all_teams", "Alle Teams", "All teams"),
    ("nav.admin", "Verwaltung", "Administration"),
    ("admin.title", "Verwaltung", "Administration"),
    (
        "admin.intro",
        "Hier verwalten Administratorinnen und Administratoren die Gemeinde in Rathaus.",
        "Administrators manage the municipality in Rathaus here.",
    ),
    (
        "admin.sections_label",
        "Bereiche der Verwaltung",
        "Administration sections",
    ),
    (
        "admin.section_staff",
        "Mitarbeitende und Rollen",
        "Staff and roles",
    ),
    (
        "admin.section_staff_text",
        "Mitarbeitende einladen, Rollen ändern, Zugänge entfernen.",
        "Invite staff, change roles, remove access.",
    ),
    ("admin.section_teams", "Teams", "Teams"),
    (
        "admin.section_teams_text",
        "Teams anlegen, Mitglieder festlegen und Kanäle einem Team zuordnen.",
        "Create teams, choose their members and route channels to a team.",
    ),
];
