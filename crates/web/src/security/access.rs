//! The route × role matrix: which principal may call each route (method + path pattern); no rule, no access.

use rathaus_store::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session: the handler authenticates by other means (platform signatures,
    /// one-time tokens, the login form itself) or serves nothing personal.
    Public,
    /// A signed-in staff member (session cookie) whose role in the session's municipality is listed.
    Staff(&'static [Role]),
    /// Any signed-in staff member, for their own account (language, second factor, sessions). These
    /// stay reachable while a required second factor is still to be set up.
    Account,
    /// An API bearer token whose role is listed.
    Api(&'static [Role]),
    /// A login whose password was right and that waits for its second factor (nothing else gets in).
    SecondStep,
}

impl Access {
    /// Whether `role` passes this rule (public rules admit everybody, signed in or not).
    pub fn admits(self, role: Role) -> bool {
        match self {
            Access::Public | Access::Account | Access::SecondStep => true,
            Access::Staff(roles) | Access::Api(roles) => roles.contains(&role),
        }
    }
}

/// One line of the matrix. `method` is upper case (`GET`, `POST`) or `ANY`; `path` is the router's pattern.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

use Role::{Admin, Agent, Dpo, Host};

/// Roles that read concern threads (`Role::can_read_concerns`).
pub const READ_CONCERNS: &[Role] = &[Admin, Agent, Host, Dpo];
/// Roles that answer, note, assign and change status (`Role::can_answer`).
pub const ANSWER: &[Role] = &[Admin, Agent, Host];
/// The data-protection officer (`Role::is_privacy_officer`).
pub const PRIVACY: &[Role] = &[Dpo];
/// Everyone but viewers reads the documents for the authorities (`documents::may_read`).
pub const DOCUMENTS: &[Role] = &[Admin, Role::Editor, Agent, Host, Dpo];

/// The host's live view of a consultation hour: whoever answers concerns (hosts, agents, admins).
pub const LIVE: &[Role] = ANSWER;
/// Response-time reports: aggregates only, no citizen and no staff member named. Administrators
/// and viewers ("reports only", issue 4). Agents, hosts, editors and the data-protection officer do
/// not need the town's performance figures for their work (least privilege; an administrator can
/// share the CSV).
pub const REPORTS: &[Role] = &[Admin, Role::Viewer];

/// Publishing posts (compose, upload images, approve under four-eyes): editors and admins (issue 4).
pub const PUBLISH: &[Role] = &[Admin, Role::Editor];

/// Administration of the municipality (staff, roles, teams, settings): admins only (issue 4).
pub const ADMIN: &[Role] = &[Admin];

/// Roles for which the second factor is optional, so they may also switch it off again.
pub const SECOND_FACTOR_OPTIONAL: &[Role] = &[Role::Editor, Agent, Host, Role::Viewer];

use Access::{Account, Api, Public, SecondStep, Staff};

/// Every route of the server. The guard refuses a route that is missing here, and the route-matrix test
/// fails for a registered route without a line (and for a line without a route).
pub const RULES: &[Rule] = &[
    // Sign-in and the start page.
    rule("GET", "/", Public),
    rule("GET", "/login", Public),
    rule("POST", "/login", Public),
    rule("POST", "/logout", Public),
    rule("POST", "/language", Account),
    // The second sign-in step.
    rule("GET", "/login/mfa", SecondStep),
    rule("POST", "/login/mfa", SecondStep),
    // Passkeys (WebAuthn) as the second step: the challenge is bound to the pending login's cookie.
    rule("POST", "/login/mfa/passkey/challenge", SecondStep),
    rule("POST", "/login/mfa/passkey", SecondStep),
    // Passwordless sign-in with a passkey: the challenge is bound to a cookie of this browser; the
    // signed assertion authenticates.
    rule("POST", "/login/passkey/challenge", Public),
    rule("POST", "/login/passkey", Public),
    // Single sign-on with the municipality's OpenID Connect provider. The start is a link (GET): it changes
    // nothing on the server, and a form's redirect to the provider would break `form-action 'self'`. The
    // sealed trip cookie, state, nonce and PKCE authenticate the return; the handler matches a
    // pre-provisioned account.
    rule("GET", "/login/oidc/start", Public),
    rule("GET", "/login/oidc/callback", Public),
    // The member's own account: second factor and sessions.
    rule("GET", "/account/mfa", Account),
    rule("POST", "/account/mfa", Account),
    rule("POST", "/account/mfa/recovery-codes", Account),
    rule("POST", "/account/mfa/session", Account),
    rule(
        "POST",
        "/account/mfa/disable",
        Staff(SECOND_FACTOR_OPTIONAL),
    ),
    // Passkeys: open before the second factor is set up, since a passkey can be that second factor.
    rule("GET", "/account/passkeys", Account),
    rule("POST", "/account/passkeys", Account),
    rule("POST", "/account/passkeys/challenge", Account),
    rule("POST", "/account/passkeys/{id}/remove", Account),
    rule("GET", "/account/sessions", Account),
    rule("POST", "/account/sessions/{reference}/end", Account),
    rule("POST", "/account/sessions/end-all", Account),
    // Moving the session to another municipality of the member (the handler checks the membership).
    rule("POST", "/account/gemeinde", Account),
    // Concerns.
    rule("GET", "/inbox", Staff(READ_CONCERNS)),
    rule("GET", "/concerns/{id}", Staff(READ_CONCERNS)),
    rule("POST", "/concerns/{id}/reply", Staff(ANSWER)),
    rule("POST", "/concerns/{id}/note", Staff(ANSWER)),
    rule("POST", "/concerns/{id}/assign", Staff(ANSWER)),
    rule("POST", "/concerns/{id}/status", Staff(ANSWER)),
    rule("POST", "/concerns/{id}/team", Staff(ANSWER)),
    rule(
        "GET",
        "/concerns/{id}/media/{media_id}",
        Staff(READ_CONCERNS),
    ),
    // Consultation hours: the host's live view and "next" (opens the oldest waiting concern).
    rule("GET", "/sprechstunde", Staff(LIVE)),
    rule("GET", "/sprechstunde/next", Staff(LIVE)),
    // Administration (admins only): the landing page and its sections.
    rule("GET", "/admin", Staff(ADMIN)),
    // Settings edited in the admin UI, channel credentials (ui/settings): admins only.
    rule("GET", "/admin/einstellungen", Staff(ADMIN)),
    rule("GET", "/admin/einstellungen/{section}", Staff(ADMIN)),
    rule("POST", "/admin/einstellungen/{section}", Staff(ADMIN)),
    rule(
        "POST",
        "/admin/einstellungen/{section}/zuruecksetzen",
        Staff(ADMIN),
    ),
    rule("GET", "/admin/kanaele", Staff(ADMIN)),
    rule("POST", "/admin/kanaele", Staff(ADMIN)),
    // Publishing network channels added, changed, removed in the admin UI (ui/settings/networks.rs).
    rule("GET", "/admin/kanaele/neu/{kind}", Staff(ADMIN)),
    rule("POST", "/admin/kanaele/neu/{kind}", Staff(ADMIN)),
    rule("GET", "/admin/kanaele/netzwerk/{name}", Staff(ADMIN)),
    rule("POST", "/admin/kanaele/netzwerk/{name}", Staff(ADMIN)),
    rule(
        "POST",
        "/admin/kanaele/netzwerk/{name}/entfernen",
        Staff(ADMIN),
    ),
    rule("GET", "/admin/mitarbeitende", Staff(ADMIN)),
    rule("POST", "/admin/mitarbeitende", Staff(ADMIN)),
    rule("POST", "/admin/mitarbeitende/{id}/rolle", Staff(ADMIN)),
    rule("POST", "/admin/mitarbeitende/{id}/entfernen", Staff(ADMIN)),
    rule("GET", "/admin/teams", Staff(ADMIN)),
    rule("POST", "/admin/teams", Staff(ADMIN)),
    rule("POST", "/admin/teams/{id}", Staff(ADMIN)),
    rule("POST", "/admin/teams/{id}/loeschen", Staff(ADMIN)),
    // One-time invitation link of a staff member (the token is the credential).
    rule("GET", "/einladung/{token}", Public),
    rule("POST", "/einladung/{token}", Public),
    // Posts: list, composer, the post page with its workflow steps, and images before publication.
    rule("GET", "/beitraege", Staff(PUBLISH)),
    rule("GET", "/beitraege/neu", Staff(PUBLISH)),
    rule("POST", "/beitraege/neu", Staff(PUBLISH)),
    rule("POST", "/beitraege/vorschau", Staff(PUBLISH)),
    rule("GET", "/beitraege/{id}", Staff(PUBLISH)),
    rule("GET", "/beitraege/{id}/bearbeiten", Staff(PUBLISH)),
    rule("POST", "/beitraege/{id}/bearbeiten", Staff(PUBLISH)),
    rule("POST", "/beitraege/{id}/einreichen", Staff(PUBLISH)),
    rule("POST", "/beitraege/{id}/freigeben", Staff(PUBLISH)),
    rule("POST", "/beitraege/{id}/planen", Staff(PUBLISH)),
    rule("POST", "/beitraege/{id}/ablehnen", Staff(PUBLISH)),
    rule(
        "POST",
        "/beitraege/{id}/kanaele/{channel}/erneut",
        Staff(PUBLISH),
    ),
    rule(
        "POST",
        "/beitraege/{id}/kanaele/{channel}/nicht-erschienen",
        Staff(PUBLISH),
    ),
    rule("GET", "/beitraege/bilder/{id}", Staff(PUBLISH)),
    // Response-time reports (aggregates only).
    rule("GET", "/berichte", Staff(REPORTS)),
    rule("GET", "/berichte.csv", Staff(REPORTS)),
    // The public iCal feed of upcoming consultation hours (no login, no cookies, nothing personal).
    rule("GET", "/{slug}/sprechstunden.ics", Public),
    // The town's own news page, feeds, channel directory and legal pages (no login, no cookies).
    rule("GET", "/{slug}/", Public),
    rule("GET", "/{slug}/beitrag/{id}", Public),
    rule("GET", "/{slug}/bilder/{id}", Public),
    rule("GET", "/{slug}/feed.atom", Public),
    rule("GET", "/{slug}/feed.json", Public),
    rule("GET", "/{slug}/kanaele", Public),
    rule("GET", "/{slug}/impressum", Public),
    rule("GET", "/{slug}/datenschutz", Public),
    rule("GET", "/{slug}/datenschutz/{channel}", Public),
    rule("GET", "/{slug}/nutzungskonzept/{channel}", Public),
    rule("GET", "/{slug}/barrierefreiheit", Public),
    rule("GET", "/{slug}/netiquette", Public),
    // Images staged for Instagram while a post is published (the unguessable token is the
    // credential; gone after publishing; no cookies).
    rule("GET", "/medien/{token}", Public),
    // One-time link for the first administrator (the token is the credential).
    rule("GET", "/setup/{token}", Public),
    rule("POST", "/setup/{token}", Public),
    // Privacy center.
    rule("GET", "/privacy", Staff(PRIVACY)),
    rule("GET", "/privacy/find", Staff(PRIVACY)),
    rule("POST", "/privacy/find", Staff(PRIVACY)),
    rule("GET", "/privacy/citizens/{id}", Staff(PRIVACY)),
    rule("POST", "/privacy/citizens/{id}/reveal", Staff(PRIVACY)),
    rule("POST", "/privacy/citizens/{id}/export", Staff(PRIVACY)),
    rule("POST", "/privacy/citizens/{id}/export-link", Staff(PRIVACY)),
    rule("GET", "/privacy/citizens/{id}/erase", Staff(PRIVACY)),
    rule("POST", "/privacy/citizens/{id}/erase", Staff(PRIVACY)),
    rule("GET", "/privacy/audit", Staff(PRIVACY)),
    // Documents for the supervisory authorities (read-only).
    rule("GET", "/documents", Staff(DOCUMENTS)),
    rule("GET", "/documents/{kind}", Staff(DOCUMENTS)),
    rule("GET", "/documents/{kind}/{channel}", Staff(DOCUMENTS)),
    // Static files and the health check.
    rule("GET", "/static/app.css", Public),
    rule("GET", "/static/documents.css", Public),
    rule("GET", "/static/live.js", Public),
    rule("GET", "/static/passkeys.js", Public),
    rule("GET", "/static/composer.js", Public),
    rule("GET", "/static/news.css", Public),
    rule("GET", "/healthz", Public),
    // Citizens' one-time access export (the token is the credential).
    rule("GET", "/auskunft/{token}", Public),
    rule("POST", "/auskunft/{token}", Public),
    // Platform webhooks, authenticated by their signatures / secret tokens.
    rule("GET", "/webhooks/whatsapp", Public),
    rule("POST", "/webhooks/whatsapp", Public),
    rule("POST", "/webhooks/telegram/{channel}", Public),
    // JSON API.
    rule("GET", "/api/v1/concerns", Api(READ_CONCERNS)),
    rule("GET", "/api/v1/concerns/{id}", Api(READ_CONCERNS)),
    rule("POST", "/api/v1/concerns/{id}/replies", Api(ANSWER)),
    rule("POST", "/api/v1/concerns/{id}/notes", Api(ANSWER)),
    rule("POST", "/api/v1/concerns/{id}/status", Api(ANSWER)),
    rule("POST", "/api/v1/concerns/{id}/assignee", Api(ANSWER)),
    rule(
        "GET",
        "/api/v1/concerns/{id}/media/{media_id}",
        Api(READ_CONCERNS),
    ),
    rule("POST", "/api/v1/concerns/{id}/team", Api(ANSWER)),
    rule("GET", "/api/v1/teams", Api(READ_CONCERNS)),
    rule("GET", "/api/v1/staff", Api(ADMIN)),
    rule("POST", "/api/v1/staff/invitations", Api(ADMIN)),
    rule("POST", "/api/v1/staff/{id}/role", Api(ADMIN)),
    rule("POST", "/api/v1/staff/{id}/remove", Api(ADMIN)),
    rule("GET", "/api/v1/privacy/requests", Api(PRIVACY)),
    rule("POST", "/api/v1/privacy/citizens/{id}/erase", Api(PRIVACY)),
    rule("GET", "/api/v1/privacy/citizens/{id}/export", Api(PRIVACY)),
    rule("GET", "/api/v1/privacy/audit", Api(PRIVACY)),
    rule("GET", "/api/v1/reports/response-times", Api(REPORTS)),
    rule("POST", "/api/v1/media", Api(PUBLISH)),
    rule("PUT", "/api/v1/media/{id}", Api(PUBLISH)),
    rule("POST", "/api/v1/posts", Api(PUBLISH)),
    rule("GET", "/api/v1/posts/{id}", Api(PUBLISH)),
    rule("POST", "/api/v1/posts/{id}/submit", Api(PUBLISH)),
    rule("POST", "/api/v1/posts/{id}/approve", Api(PUBLISH)),
    rule("POST", "/api/v1/posts/{id}/reject", Api(PUBLISH)),
    rule("POST", "/api/v1/posts/{id}/edit", Api(PUBLISH)),
    rule("POST", "/api/v1/posts/{id}/delete", Api(PUBLISH)),
    rule(
        "POST",
        "/api/v1/posts/{id}/channels/{channel}/retry",
        Api(PUBLISH),
    ),
    rule(
        "POST",
        "/api/v1/posts/{id}/channels/{channel}/resend",
        Api(PUBLISH),
    ),
    rule("GET", "/api/v1/openapi.json", Public),
    // Unknown API paths answer a JSON 404 to everybody.
    rule("ANY", "/api/v1/{*rest}", Public),
];

/// Whether a role must sign in with a second factor under the municipality's rule. Until it is set up,
/// such a member reaches only the `Account` routes (to set it up). Admins and data-protection officers
/// always must; a municipality may require it of everyone (`[municipality.security] second_factor`).
pub fn second_factor_required(role: Role, rule: rathaus_domain::SecondFactorRule) -> bool {
    matches!(role, Role::Admin | Role::Dpo) || rule == rathaus_domain::SecondFactorRule::Everyone
}

/// [`second_factor_required`] for a member of `municipality_id` under the settings in force.
pub fn second_factor_required_in(
    registry: &rathaus_hub::Registry,
    municipality_id: i64,
    role: Role,
) -> bool {
    let rule = registry
        .tenant(municipality_id)
        .map(|t| t.settings.security.second_factor)
        .unwrap_or_default();
    second_factor_required(role, rule)
}

/// What the matrix says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Found(Access),
    /// The path has rules, but not for this method: answer 405 without reaching a handler.
    WrongMethod,
    /// The path has no rule at all: refused (deny by default).
    Unlisted,
}

/// The rule for `method` (HEAD counts as GET) on the matched route pattern `path`.
pub fn lookup(method: &str, path: &str) -> Lookup {
    let method = if method.eq_ignore_ascii_case("HEAD") {
        "GET"
    } else {
        method
    };
    let mut path_known = false;
    for r in RULES.iter().filter(|r| r.path == path) {
        path_known = true;
        if r.method == "ANY" || r.method.eq_ignore_ascii_case(method) {
            return Lookup::Found(r.access);
        }
    }
    if path_known {
        Lookup::WrongMethod
    } else {
        Lookup::Unlisted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(pred: fn(Role) -> bool) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| pred(*r)).collect()
    }

    #[test]
    fn role_groups_follow_the_role_predicates_the_handlers_use() {
        assert_eq!(READ_CONCERNS, roles(Role::can_read_concerns));
        assert_eq!(ANSWER, roles(Role::can_answer));
        assert_eq!(PRIVACY, roles(Role::is_privacy_officer));
        assert_eq!(
            SECOND_FACTOR_OPTIONAL,
            roles(|r| !second_factor_required(r, Default::default()))
        );
        assert_eq!(DOCUMENTS, roles(|r| r != Role::Viewer));
    }

    #[test]
    fn lookup_is_exact_and_denies_by_default() {
        assert_eq!(lookup("GET", "/inbox"), Lookup::Found(Staff(READ_CONCERNS)));
        assert_eq!(lookup("HEAD", "/healthz"), Lookup::Found(Public));
        assert_eq!(lookup("DELETE", "/inbox"), Lookup::WrongMethod);
        assert_eq!(lookup("GET", "/inbox/"), Lookup::Unlisted);
        assert_eq!(lookup("PUT", "/api/v1/{*rest}"), Lookup::Found(Public));
    }

    #[test]
    fn every_rule_is_unique() {
        for (i, a) in RULES.iter().enumerate() {
            assert!(
                RULES[i + 1..]
                    .iter()
                    .all(|b| (a.method, a.path) != (b.method, b.path)),
                "{} {} twice",
                a.method,
                a.path
            );
        }
    }
}
