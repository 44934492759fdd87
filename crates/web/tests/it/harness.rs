//! A real server on 127.0.0.1:0 with a temporary SQLite store, two municipalities, staff and seeded concerns.

use std::sync::Arc;

use rathaus_crypto::Key;
use rathaus_domain::{
    InboundMessage, MediaRef, MessageContent, MunicipalitySettings, PlatformUser,
};
use rathaus_hub::{RegistryHandle, TelegramChannelConfig, TenantConfig, WhatsAppChannelConfig};
use rathaus_store::{now_ms, AuditFilter, AuditRecord, CitizenRef, Role, Store};
use rathaus_web::security::access::second_factor_required;
use rathaus_web::security::totp;
use rathaus_web::{passwords::hash_password, AppState, WebSettings};
use reqwest::header::{HeaderMap, HeaderValue};

pub const PASSWORD: &str = "sicheres Passwort 2026";
pub const PHONE: &str = "4915112345678";
pub const CITIZEN_NAME: &str = "Erika Mustermann";
pub const HOUR_MS: i64 = 60 * 60 * 1000;
/// The second-factor secret of every admin and data-protection officer made by [`App::staff`].
pub const TOTP_SECRET: &[u8] = b"rathaus-test-secret!";

pub struct App {
    pub base: String,
    pub store: Store,
    pub http: reqwest::Client,
    /// Musterstadt (WhatsApp) and Beispieldorf (Telegram).
    pub a: i64,
    pub b: i64,
    pub channel_a: i64,
    pub channel_b: i64,
    /// Dereferences to the registry as built at start; `registry.current()` is the one in force.
    pub registry: RegistryHandle,
    _dir: tempfile::TempDir,
}

fn whatsapp(phone_number_id: &str) -> WhatsAppChannelConfig {
    WhatsAppChannelConfig {
        name: "whatsapp".into(),
        phone_number_id: phone_number_id.into(),
        verify_token: "verify".into(),
        app_secret: "app-secret".into(),
        access_token: "access-token".into(),
        // Nothing listens here: nothing in these tests may reach a platform.
        api_base: "http://127.0.0.1:9".into(),
        api_version: "v23.0".into(),
        display_phone_number: Some("+49 30 1234567".into()),
    }
}

pub async fn start() -> App {
    start_at("http://127.0.0.1").await
}

/// As [`start`], with the public URL deciding cookie security (`https://` → `__Host-` and `Secure`).
pub async fn start_at(public_url: &str) -> App {
    start_with(public_url, |_| {}).await
}

/// As [`start_at`], with the two municipalities' configuration adjusted first (e.g. consultation hours).
pub async fn start_with(public_url: &str, adjust: impl FnOnce(&mut [TenantConfig])) -> App {
    start_full(public_url, adjust, |_| {}).await
}

/// As [`start_at`], with the web settings adjusted first (limits, timeouts).
pub async fn start_tuned(public_url: &str, tune: impl FnOnce(&mut WebSettings)) -> App {
    start_full(public_url, |_| {}, tune).await
}

/// As [`start_with`], with the server's own address (`http://127.0.0.1:PORT`) as its public URL, so the
/// redirect URIs it makes point back at it (single sign-on).
pub async fn start_at_own_address(adjust: impl FnOnce(&mut [TenantConfig])) -> App {
    start_full("", adjust, |_| {}).await
}

/// As [`start_at_own_address`], with `http://localhost:PORT` as its public URL: browsers refuse WebAuthn
/// (passkeys) on an IP address. Browse to [`App::localhost`].
pub async fn start_at_localhost() -> App {
    start_full("localhost", |_| {}, |_| {}).await
}

/// `public_url` empty: the address the server listens on; `localhost`: `http://localhost:PORT`.
async fn start_full(
    public_url: &str,
    adjust: impl FnOnce(&mut [TenantConfig]),
    tune: impl FnOnce(&mut WebSettings),
) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let own_address = format!("http://{addr}");
    let localhost = format!("http://localhost:{}", addr.port());
    let public_url = match public_url {
        "" => own_address.as_str(),
        "localhost" => localhost.as_str(),
        other => other,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let store = Store::open(&url, Key::generate()).await.unwrap();
    let now = now_ms();
    let mut configs = [
        TenantConfig {
            networks: vec![],
            settings: MunicipalitySettings::new("musterstadt", "Musterstadt"),
            whatsapp: vec![whatsapp("1001")],
            telegram: vec![],
            sso: None,
        },
        TenantConfig {
            networks: vec![],
            settings: MunicipalitySettings::new("beispieldorf", "Beispieldorf"),
            whatsapp: vec![],
            telegram: vec![TelegramChannelConfig {
                name: "beispieldorf-bot".into(),
                bot_token: "123:abc".into(),
                webhook_secret: "tg-secret".into(),
                api_base: "http://127.0.0.1:9".into(),
                public_username: Some("beispieldorf_bot".into()),
            }],
            sso: None,
        },
    ];
    adjust(&mut configs);
    let registry = RegistryHandle::build(&store, &configs, reqwest::Client::new(), now, public_url)
        .await
        .unwrap();
    let a = registry.tenants()[0].row.id;
    let b = registry.tenants()[1].row.id;
    let channel_a = registry.tenants()[0].channels[0].row.id;
    let channel_b = registry.tenants()[1].channels[0].row.id;
    let state = AppState {
        store: store.clone(),
        registry: registry.clone(),
        worker: None,
        settings: Arc::new({
            let mut settings = WebSettings::for_url(public_url);
            tune(&mut settings);
            settings
        }),
        public_cache: Default::default(),
    };
    tokio::spawn(async move {
        // The production server loop: peer addresses (audit log, throttles, rate limits), header timeout.
        let header_timeout = state.settings.header_read_timeout;
        let app = rathaus_web::router(state);
        rathaus_web::serve::serve(listener, app, header_timeout, std::future::pending())
            .await
            .unwrap();
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    App {
        base: format!("http://{addr}"),
        store,
        http,
        a,
        b,
        channel_a,
        channel_b,
        registry,
        _dir: dir,
    }
}

impl App {
    /// The directory holding the SQLite database files (`t.db` and its journal).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The files of the database (with its write-ahead log) that hold `needle` as plain bytes; fails
    /// when there is no database file to look in.
    pub fn files_holding(&self, needle: &str) -> Vec<std::path::PathBuf> {
        let mut read = 0;
        let mut holding = Vec::new();
        for entry in std::fs::read_dir(self.data_dir()).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            read += bytes.len();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                holding.push(path);
            }
        }
        assert!(
            read > 0,
            "no database file in {}",
            self.data_dir().display()
        );
        holding
    }

    /// The server's address with `localhost` as host (see [`start_at_localhost`]).
    pub fn localhost(&self) -> String {
        self.base.replace("127.0.0.1", "localhost")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A member with the test password and no second factor (as the setup link or an invitation
    /// makes them); its id.
    pub async fn staff_without_second_factor(
        &self,
        municipality: i64,
        email: &str,
        name: &str,
        role: Role,
    ) -> i64 {
        self.store
            .upsert_staff(
                municipality,
                email,
                name,
                Some(&hash_password(PASSWORD)),
                role,
                now_ms(),
            )
            .await
            .unwrap()
    }

    pub async fn staff(&self, municipality: i64, email: &str, role: Role) -> i64 {
        let name = email.split('@').next().unwrap().to_string();
        let id = self
            .staff_without_second_factor(municipality, email, &name, role)
            .await;
        // Roles that must use a second factor get one with a known secret, as if enrolled long ago.
        if second_factor_required(role, Default::default())
            && !self.store.totp_enabled(id).await.unwrap()
        {
            self.store
                .begin_totp(id, TOTP_SECRET, now_ms())
                .await
                .unwrap();
            assert!(self.store.confirm_totp(id, 0, now_ms()).await.unwrap());
        }
        id
    }

    /// A current TOTP code for a member enrolled by [`App::staff`] that was not used yet, if there is one
    /// (the server accepts each 30-second step once, and one step either side of now).
    pub async fn fresh_totp(&self, staff_id: i64) -> Option<String> {
        let last = self
            .store
            .totp(staff_id)
            .await
            .unwrap()?
            .last_step
            .unwrap_or(0);
        let now = totp::step_at(now_ms());
        (now - 1..=now + 1)
            .find(|s| *s > last)
            .map(|s| totp::code_for_step(TOTP_SECRET, s))
    }

    pub async fn api_token(&self, municipality: i64, email: &str, role: Role) -> String {
        let id = self.staff(municipality, email, role).await;
        self.store
            .create_api_token(id, municipality, "test", now_ms())
            .await
            .unwrap()
    }

    /// Signs in Musterstadt's admin `chefin@musterstadt.de` (created if needed); the session cookie.
    pub async fn admin_cookie(&self) -> String {
        self.staff(self.a, "chefin@musterstadt.de", Role::Admin)
            .await;
        self.login("chefin@musterstadt.de").await
    }

    /// One member of Musterstadt's staff for each role but admin, signed in: (email, session cookie).
    pub async fn non_admin_cookies(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (email, role) in [
            ("agent@musterstadt.de", Role::Agent),
            ("dsb@musterstadt.de", Role::Dpo),
            ("redaktion@musterstadt.de", Role::Editor),
            ("gast@musterstadt.de", Role::Viewer),
        ] {
            self.staff(self.a, email, role).await;
            out.push((email, self.login(email).await));
        }
        out
    }

    /// Musterstadt's audit entries whose action starts with `prefix`.
    pub async fn audit_records(&self, prefix: &str) -> Vec<AuditRecord> {
        self.store
            .audit_entries(
                self.a,
                &AuditFilter {
                    action_prefix: Some(prefix.into()),
                    ..AuditFilter::default()
                },
            )
            .await
            .unwrap()
    }

    /// Musterstadt's audit entries whose action starts with `prefix`, as (action, target, details).
    pub async fn audit_rows(&self, prefix: &str) -> Vec<(String, String, String)> {
        self.audit_records(prefix)
            .await
            .into_iter()
            .map(|r| {
                (
                    r.action,
                    r.target.unwrap_or_default(),
                    r.details.unwrap_or_default(),
                )
            })
            .collect()
    }

    fn channel_of(&self, municipality: i64) -> i64 {
        if municipality == self.a {
            self.channel_a
        } else {
            self.channel_b
        }
    }

    /// A citizen who opted in on the municipality's channel.
    pub async fn citizen(
        &self,
        municipality: i64,
        platform_id: &str,
    ) -> (CitizenRef, PlatformUser) {
        let user = PlatformUser {
            id: platform_id.into(),
            phone: Some(format!("+{platform_id}")),
            display_name: Some(CITIZEN_NAME.into()),
        };
        let notice = self
            .registry
            .tenant(municipality)
            .unwrap()
            .notice_version
            .clone();
        let c = self
            .store
            .record_consent(
                municipality,
                self.channel_of(municipality),
                &user,
                &notice,
                &format!("optin-{platform_id}"),
                now_ms(),
            )
            .await
            .unwrap();
        (c, user)
    }

    /// Files a citizen message sent `age_ms` ago; returns (concern id, media id).
    pub async fn file(
        &self,
        citizen: &(CitizenRef, PlatformUser),
        msg_id: &str,
        content: MessageContent,
        age_ms: i64,
    ) -> (i64, Option<i64>) {
        let now = now_ms();
        let filed = self
            .store
            .file_inbound_message(
                &citizen.0,
                &InboundMessage {
                    platform_message_id: msg_id.into(),
                    sender: citizen.1.clone(),
                    sent_at_ms: now - age_ms,
                    content,
                },
                now,
            )
            .await
            .unwrap()
            .unwrap();
        (filed.concern_id, filed.media_id)
    }

    /// A concern with one fresh text message; returns its id and the citizen's pseudonym.
    pub async fn concern(&self, municipality: i64, platform_id: &str, text: &str) -> (i64, String) {
        let citizen = self.citizen(municipality, platform_id).await;
        let (id, _) = self
            .file(
                &citizen,
                &format!("m-{platform_id}"),
                MessageContent::Text { body: text.into() },
                0,
            )
            .await;
        (id, citizen.0.pseudonym)
    }

    /// A concern whose only message is an image (media pending until saved).
    pub async fn concern_with_image(
        &self,
        municipality: i64,
        platform_id: &str,
    ) -> (CitizenRef, i64, i64) {
        let citizen = self.citizen(municipality, platform_id).await;
        let media = MediaRef {
            platform_media_id: "media-1".into(),
            mime_type: Some("image/jpeg".into()),
            sha256: None,
            filename: Some("Schlagloch \"Foto\".jpg".into()),
        };
        let (id, media_id) = self
            .file(
                &citizen,
                &format!("img-{platform_id}"),
                MessageContent::Image {
                    media,
                    caption: Some("Das Loch".into()),
                },
                0,
            )
            .await;
        (citizen.0, id, media_id.unwrap())
    }

    /// Signs in through the form (and the code step, if the member has a second factor); returns the
    /// `Cookie` header value.
    pub async fn login(&self, email: &str) -> String {
        let res = self
            .http
            .post(self.url("/login"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "login of {email} failed");
        let set = res.headers()["set-cookie"].to_str().unwrap();
        let cookie = set.split(';').next().unwrap().to_string();
        if !header(res.headers(), "location").starts_with("/login/mfa") {
            return cookie;
        }
        let (staff_id, _) = self.store.staff_credentials(email).await.unwrap().unwrap();
        let code = match self.fresh_totp(staff_id).await {
            Some(code) => code,
            // Every usable step is used up by earlier logins: a recovery code instead.
            None => {
                let code = "harness-recovery-code".to_string();
                self.store
                    .replace_recovery_codes(staff_id, std::slice::from_ref(&code))
                    .await
                    .unwrap();
                code
            }
        };
        let res = self
            .post_form(&cookie, "/login/mfa", &[("code", code.as_str())])
            .await;
        assert_eq!(
            res.status().as_u16(),
            303,
            "second factor of {email} failed"
        );
        let set = res.headers()["set-cookie"].to_str().unwrap();
        set.split(';').next().unwrap().to_string()
    }

    /// The text of `path` as anyone sees it (no cookie), whatever the status.
    pub async fn public_text(&self, path: &str) -> String {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn get_page(&self, cookie: &str, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    /// A same-origin form POST as the browser sends it from our own page.
    pub async fn post_form(
        &self,
        cookie: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn api_get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        json_of(res).await
    }

    pub async fn api_post(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        json_of(res).await
    }

    pub async fn outbound_count(&self, municipality: i64, concern: i64) -> usize {
        self.store
            .concern_detail(municipality, concern)
            .await
            .unwrap()
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.direction == rathaus_domain::Direction::Outbound)
            .count()
    }
}

/// Status and JSON body; the body must be JSON whatever the status.
pub async fn json_of(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.unwrap();
    assert!(
        ct.starts_with("application/json"),
        "status {status}: not JSON ({ct}): {text}"
    );
    (status, serde_json::from_str(&text).unwrap())
}

pub fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .map(HeaderValue::to_str)
        .and_then(Result::ok)
        .unwrap_or("")
}
