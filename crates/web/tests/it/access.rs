//! The route × role matrix: every registered route has a rule, and every role gets exactly what the rule says.

use std::collections::BTreeSet;
use std::path::Path;

use rathaus_store::{now_ms, Role};
use rathaus_web::security::access::{Access, RULES};

use crate::harness::{header, start, start_tuned, App, HOUR_MS, PHONE};

const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "any",
];

/// `(METHOD, pattern)` of every `.route("…", get(…).post(…))` call in the crate's sources.
fn scan_routes(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        let t = rest.trim_start();
        // `r.route(path, handler)` over a table (the API) is checked through `registered_routes`.
        let Some(t) = t.strip_prefix('"') else {
            continue;
        };
        let end = t.find('"').unwrap();
        let path = &t[..end];
        let after = &t[end + 1..];
        let mut depth = 1;
        let mut close = after.len();
        for (j, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let expr = &after[..close];
        for m in METHODS {
            for (k, _) in expr.match_indices(&format!("{m}(")) {
                let before = expr[..k].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                out.push((m.to_uppercase(), path.to_string()));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn registered_routes() -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for f in files {
        routes.extend(scan_routes(&std::fs::read_to_string(&f).unwrap()));
    }
    for (m, p) in rathaus_web::api::registered_routes() {
        routes.insert((m.to_uppercase(), p.to_string()));
    }
    routes
}

#[test]
fn the_scanner_finds_chained_and_multi_line_routes() {
    let src = r#"Router::new().route("/a", get(x::y).post(z))
        .route(
            "/b/{id}",
            post(handler),
        )
        .route("/c", any(nf)) .route(path, handler)"#;
    assert_eq!(
        scan_routes(src),
        [
            ("GET", "/a"),
            ("POST", "/a"),
            ("POST", "/b/{id}"),
            ("ANY", "/c")
        ]
        .map(|(m, p)| (m.to_string(), p.to_string()))
    );
}

#[test]
fn every_registered_route_has_a_rule_and_every_rule_a_route() {
    let registered = registered_routes();
    assert!(
        registered.len() > 20,
        "scanner found too little: {registered:?}"
    );
    let ruled: BTreeSet<(String, String)> = RULES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = registered.difference(&ruled).collect();
    assert!(
        missing.is_empty(),
        "routes without a rule in security/access.rs (deny by default): {missing:?}"
    );
    let stale: Vec<_> = ruled.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "rules for routes that do not exist: {stale:?}"
    );
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Anonymous,
    Staff(Role),
}

struct Fixture {
    concern: i64,
    media: i64,
    citizen: i64,
    /// Bearer token per role.
    tokens: Vec<(Role, String)>,
    /// Staff id per role.
    staff: Vec<(Role, i64)>,
}

async fn fixture(app: &App) -> Fixture {
    let (citizen, concern, media) = app.concern_with_image(app.a, PHONE).await;
    let mut tokens = Vec::new();
    let mut staff = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@musterstadt.de", role.as_str());
        let token = app.api_token(app.a, &email, role).await;
        let id = app.staff(app.a, &email, role).await;
        tokens.push((role, token));
        staff.push((role, id));
    }
    Fixture {
        concern,
        media,
        citizen: citizen.id,
        tokens,
        staff,
    }
}

fn concrete(path: &str, f: &Fixture) -> String {
    let id = if path.starts_with("/privacy/citizens/") {
        f.citizen
    } else {
        f.concern
    };
    path.replace("{id}", &id.to_string())
        .replace("{media_id}", &f.media.to_string())
        .replace("{token}", "not-a-valid-token")
        .replace("{channel}", "beispieldorf-bot")
        .replace("{slug}", "musterstadt")
        .replace("{kind}", "datenschutzhinweise")
        .replace("{*rest}", "nothing-here")
}

/// Sends one request as `who` with a fresh session (some routes end sessions); returns status and Location.
async fn call(app: &App, f: &Fixture, method: &str, path: &str, who: Who) -> (u16, String) {
    let url = app.url(&concrete(path, f));
    let method = if method == "ANY" { "GET" } else { method };
    let mut req = app
        .http
        .request(method.parse().unwrap(), &url)
        .header("sec-fetch-site", "same-origin");
    if method == "POST" {
        req = if path.starts_with("/api/") {
            req.json(&serde_json::json!({}))
        } else {
            // A new e-mail each time, so the login throttle never counts the matrix's own attempts.
            req.form(&[("email", format!("matrix{}@example.org", rand_suffix()))])
        };
    }
    if let Who::Staff(role) = who {
        if path.starts_with("/api/") {
            let token = &f.tokens.iter().find(|(r, _)| *r == role).unwrap().1;
            req = req.bearer_auth(token);
        } else {
            let staff = f.staff.iter().find(|(r, _)| *r == role).unwrap().1;
            let token = format!("matrix-{}-{}", role.as_str(), rand_suffix());
            let now = now_ms();
            app.store
                .create_session(&token, staff, app.a, now, now + HOUR_MS)
                .await
                .unwrap();
            req = req.header("cookie", format!("rathaus_session={token}"));
        }
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        header(res.headers(), "location").to_string(),
    )
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Walks every rule with every role and without a session, and checks the server enforces it.
#[tokio::test]
async fn every_route_with_every_role_gets_what_the_matrix_says() {
    // Every API route times every role is more than the API's burst from one address.
    let app = start_tuned("http://127.0.0.1", |s| s.api_rate.burst = 100_000.0).await;
    let f = fixture(&app).await;
    let mut failures = Vec::new();
    for rule in RULES {
        let mut whos = vec![Who::Anonymous];
        whos.extend(Role::ALL.map(Who::Staff));
        let mut anonymous_status = 0;
        for who in whos {
            let (status, location) = call(&app, &f, rule.method, rule.path, who).await;
            // The guard's answer to a missing session; handlers may send people to `/login?msg=…` themselves.
            let to_login = status == 303 && location == "/login";
            let ok = match (rule.access, who) {
                // Public routes authenticate by other means (signatures, one-time tokens) or need nothing:
                // no login is asked for, and a session changes nothing (`/` only chooses where to send you).
                (Access::Public, Who::Anonymous) => {
                    anonymous_status = status;
                    rule.path == "/" || !to_login
                }
                (Access::Public, Who::Staff(_)) => {
                    rule.path == "/" || (status == anonymous_status && !to_login)
                }
                (Access::Staff(_) | Access::Account, Who::Anonymous) => to_login,
                // Only a login waiting for its code gets in; a full session is no such login.
                (Access::SecondStep, _) => to_login,
                (Access::Api(_), Who::Anonymous) => status == 401,
                (access, Who::Staff(role)) if access.admits(role) => {
                    !matches!(status, 401 | 403) && !to_login
                }
                (_, Who::Staff(_)) => status == 403,
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {who:?}: {status} {location} (rule {:?})",
                    rule.method, rule.path, rule.access
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Roles are checked before anything is looked up: a refused role learns nothing about what exists.
#[tokio::test]
async fn refused_roles_get_403_even_for_what_does_not_exist() {
    let app = start().await;
    let token = app
        .api_token(app.a, "leser@musterstadt.de", Role::Viewer)
        .await;
    let (status, body) = app.api_get(&token, "/api/v1/concerns/999999").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, body) = app.api_get(&token, "/api/v1/concerns").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // Wrong methods never reach a handler.
    let res = app
        .http
        .delete(app.url("/api/v1/concerns"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
}
