//! The configuration file (TOML) with `RATHAUS_*` environment overrides and `*_FILE` secrets.

use std::path::{Path, PathBuf};

use crate::config_publishing::{PublishChannelConfig, PublishingConfig};
use anyhow::{bail, Context};
use rathaus_domain::documents::DocumentsConfig;
use rathaus_domain::retention::RetentionRules;
use rathaus_domain::schedule::{
    ChannelRef, ConsultationHourSettings, MunicipalitySchedule, OfficeHoursConfig,
    ResponseTargetsConfig,
};
use rathaus_domain::texts::CitizenTexts;
use rathaus_domain::ChannelKind;
use rathaus_domain::{Keywords, MunicipalitySettings};
use rathaus_hub::{TelegramChannelConfig, TenantConfig, WhatsAppChannelConfig};
use serde::Deserialize;

/// Keys whose value may instead be read from a file named by `<key>_file` (TOML) or `RATHAUS_…_FILE` (env).
const SECRET_KEYS: &[&str] = &[
    "app_secret",
    "access_token",
    "verify_token",
    "bot_token",
    "webhook_secret",
    "client_secret",
    "app_password",
    "refresh_token",
    "client_id",
];

/// Environment variables with the prefix that are not configuration keys.
const NOT_CONFIG_ENV: &[&str] = &["RATHAUS_MASTER_KEY", "RATHAUS_LOG", "RATHAUS_CONFIG"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: String,
    pub public_url: Option<String>,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub master_key_file: Option<PathBuf>,
    #[serde(default)]
    pub municipality: Vec<MunicipalityConfig>,
    /// `[worker]`: how the job worker holds the jobs it runs.
    #[serde(default)]
    pub worker: WorkerConfig,
}

/// `[worker]`: settings of the job worker (`rathaus serve` and `rathaus worker`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// How long a claimed job stays with the worker that claimed it before another worker (or this
    /// one after a restart) may run it again; default 300. It must be longer than the slowest job
    /// (a publish with images makes several platform calls of up to 30 s each), else a job still
    /// running is started a second time.
    #[serde(default, deserialize_with = "whole_seconds")]
    pub lease_seconds: Option<u64>,
}

/// A number of seconds, from TOML as an integer or from the environment as its digits.
fn whole_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Number(u64),
        Text(String),
    }
    match Seconds::deserialize(d) {
        Ok(Seconds::Number(n)) => Ok(Some(n)),
        Ok(Seconds::Text(t)) => t.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("'{t}' is not a whole number of seconds (e.g. 300)"))
        }),
        Err(_) => Err(serde::de::Error::custom(
            "expected a whole number of seconds (e.g. 300)",
        )),
    }
}

/// The shortest and longest lease `[worker] lease_seconds` accepts.
pub const LEASE_SECONDS_RANGE: std::ops::RangeInclusive<u64> = 5..=86_400;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityConfig {
    pub slug: String,
    pub name: String,
    /// The town's own host name for its public news pages, e.g. "aktuelles.musterstadt.de" (optional).
    pub news_host: Option<String>,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub privacy_notice_url: String,
    /// The privacy-notice text itself (or `privacy_notice_file`): its hash is the version consents refer to.
    pub privacy_notice_text: Option<String>,
    pub privacy_notice_file: Option<PathBuf>,
    #[serde(default)]
    pub keywords: Option<KeywordsConfig>,
    #[serde(default)]
    pub texts: Option<CitizenTexts>,
    #[serde(default)]
    pub retention: Option<RetentionRules>,
    /// Weekly office hours, holidays of the Land, extra closed days.
    #[serde(default)]
    pub office_hours: Option<OfficeHoursConfig>,
    /// Consultation hours (Sprechstunden) on chosen channels.
    #[serde(default)]
    pub consultation_hours: Vec<ConsultationHourSettings>,
    /// First-response targets.
    #[serde(default)]
    pub response_targets: Option<ResponseTargetsConfig>,
    /// Teams with members (e-mail addresses) and the channels routed to them (`[[municipality.teams]]`).
    #[serde(default)]
    pub teams: Vec<rathaus_domain::TeamSettings>,
    /// Facts for the documents the authorities ask for (`[municipality.documents]`).
    #[serde(default)]
    pub documents: Option<DocumentsConfig>,
    #[serde(default)]
    pub whatsapp: Vec<WhatsAppChannelConfig>,
    #[serde(default)]
    pub telegram: Vec<TelegramChannelConfig>,
    /// `[municipality.publishing]` and the network channels posts may go to (config_publishing.rs).
    pub publishing: Option<PublishingConfig>,
    pub mastodon: Option<Vec<PublishChannelConfig>>,
    pub bluesky: Option<Vec<PublishChannelConfig>>,
    pub facebook_page: Option<Vec<PublishChannelConfig>>,
    pub instagram: Option<Vec<PublishChannelConfig>>,
    pub x: Option<Vec<PublishChannelConfig>>,
    pub telegram_channel: Option<Vec<PublishChannelConfig>>,
    /// `[municipality.oidc]`: staff sign in with the town's OpenID Connect provider (e.g. Keycloak).
    pub oidc: Option<rathaus_hub::sso::SsoConfig>,
    /// `[municipality.security]`: e.g. `second_factor = "everyone"`.
    #[serde(default)]
    pub security: rathaus_domain::SecuritySettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordsConfig {
    pub opt_in: Option<Vec<String>>,
    pub opt_out: Option<Vec<String>>,
    pub erase: Option<Vec<String>>,
    pub access: Option<Vec<String>>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("./rathaus-data")
}
fn default_timezone() -> String {
    "Europe/Berlin".into()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: default_listen(),
            public_url: None,
            data_dir: default_data_dir(),
            database_url: None,
            master_key_file: None,
            municipality: Vec::new(),
            worker: WorkerConfig::default(),
        }
    }
}

impl Config {
    /// Reads the file (if given), applies `RATHAUS_*` environment overrides and resolves secret files.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_with_env(path, &env)
    }

    pub fn load_with_env(path: Option<&Path>, env: &[(String, String)]) -> anyhow::Result<Config> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| {
                    format!(
                        "Konfigurationsdatei {} nicht lesbar / cannot read config file",
                        p.display()
                    )
                })?;
                Self::parse_with_env(Some((&text, &p.display().to_string())), env)
            }
            None => Self::parse_with_env(None, env),
        }
    }

    /// Parses configuration text (named `origin` in errors) with `RATHAUS_*` overrides from `env`;
    /// the part of [`Config::load_with_env`] after reading the file (the fuzz target's entry point).
    pub fn parse_with_env(
        file: Option<(&str, &str)>,
        env: &[(String, String)],
    ) -> anyhow::Result<Config> {
        let mut value = match file {
            Some((text, origin)) => {
                let table = toml::from_str::<toml::Table>(text)
                    .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
                // First pass gives errors with line and column against the file the admin wrote. The
                // `<secret>_file` keys are no fields of the configuration (they are read into `<secret>`
                // below), so a file that uses them is judged after reading them instead.
                if let Err(positioned) = toml::from_str::<Config>(text) {
                    let mut resolved = table.clone();
                    resolve_secret_files(&mut resolved).with_context(|| origin.to_string())?;
                    if let Err(e) = Config::deserialize(toml::Value::Table(resolved)) {
                        let names_a_file_key = SECRET_KEYS
                            .iter()
                            .any(|k| positioned.message().contains(&format!("{k}_file")));
                        return Err(if names_a_file_key {
                            anyhow::anyhow!("{origin}: {e}")
                        } else {
                            anyhow::anyhow!("{origin}: {positioned}")
                        });
                    }
                }
                table
            }
            None => toml::Table::new(),
        };
        for (name, raw) in env {
            let Some(rest) = name.strip_prefix("RATHAUS_") else {
                continue;
            };
            if NOT_CONFIG_ENV.contains(&name.as_str())
                || rest.starts_with("TEST_")
                || rest.is_empty()
            {
                continue;
            }
            let segments: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            set_path(&mut value, &segments, raw)
                .with_context(|| format!("environment variable {name}"))?;
        }
        resolve_secret_files(&mut value)?;
        let config = Config::deserialize(toml::Value::Table(value))
            .map_err(|e| anyhow::anyhow!("configuration (after environment overrides): {e}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(secs) = self.worker.lease_seconds {
            if !LEASE_SECONDS_RANGE.contains(&secs) {
                bail!(
                    "[worker] lease_seconds = {secs}: must be between {} and {} seconds (default 300; longer than the slowest job, so a running job is never started twice)",
                    LEASE_SECONDS_RANGE.start(),
                    LEASE_SECONDS_RANGE.end()
                );
            }
        }
        let mut slugs = std::collections::HashSet::new();
        let mut news_hosts = std::collections::HashSet::new();
        // "https://Rathaus.example.de:8443/x" → "rathaus.example.de"
        let public_url = self.public_url();
        let public_host = public_url
            .split_once("://")
            .map(|(_, rest)| rest)
            .and_then(|rest| rest.split(['/', ':']).next())
            .map(str::to_ascii_lowercase);
        for m in &self.municipality {
            if m.slug.is_empty()
                || !m
                    .slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                bail!(
                    "municipality slug '{}' must be lower-case letters, digits and '-'",
                    m.slug
                );
            }
            if !slugs.insert(&m.slug) {
                bail!("municipality slug '{}' appears twice", m.slug);
            }
            if let Some(host) = &m.news_host {
                check_news_host(host)
                    .map_err(|e| anyhow::anyhow!("municipality '{}': news_host: {e}", m.slug))?;
                if Some(host.as_str()) == public_host.as_deref() {
                    bail!(
                        "municipality '{}': news_host '{host}' is the host of public_url; staff pages, API and webhooks would be unreachable there — use a host of its own",
                        m.slug
                    );
                }
                if !news_hosts.insert(host) {
                    bail!(
                        "municipality '{}': news_host '{host}' is already the news host of another municipality",
                        m.slug
                    );
                }
            }
            for t in &m.telegram {
                if t.name.is_empty()
                    || !t
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    bail!("telegram channel name '{}' must be letters, digits, '-' or '_' (it is part of the webhook URL)", t.name);
                }
            }
            m.check_schedule()?;
            if let Some(oidc) = &m.oidc {
                oidc.check()
                    .map_err(|e| anyhow::anyhow!("municipality '{}': {e}", m.slug))?;
            }
        }
        Ok(())
    }

    /// The worker's options as configured (`[worker]`), the rest at their defaults.
    pub fn worker_options(&self) -> rathaus_hub::WorkerOptions {
        let mut options = rathaus_hub::WorkerOptions::default();
        if let Some(secs) = self.worker.lease_seconds {
            options.lease_ms = i64::try_from(secs.saturating_mul(1000)).unwrap_or(options.lease_ms);
        }
        options
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("rathaus.db").display()))
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }

    /// The municipalities as the hub needs them.
    pub fn tenants(&self) -> anyhow::Result<Vec<TenantConfig>> {
        self.municipality
            .iter()
            .map(|m| {
                let notice_text = match (&m.privacy_notice_text, &m.privacy_notice_file) {
                    (Some(t), _) => Some(t.clone()),
                    (None, Some(f)) => Some(std::fs::read_to_string(f).with_context(|| {
                        format!("privacy_notice_file {} of '{}'", f.display(), m.slug)
                    })?),
                    (None, None) => None,
                };
                let mut keywords = Keywords::default();
                if let Some(k) = &m.keywords {
                    if let Some(v) = &k.opt_in {
                        keywords.opt_in = v.clone();
                    }
                    if let Some(v) = &k.opt_out {
                        keywords.opt_out = v.clone();
                    }
                    if let Some(v) = &k.erase {
                        keywords.erase = v.clone();
                    }
                    if let Some(v) = &k.access {
                        keywords.access = v.clone();
                    }
                }
                Ok(TenantConfig {
                    settings: MunicipalitySettings {
                        slug: m.slug.clone(),
                        name: m.name.clone(),
                        timezone: m.timezone.clone(),
                        privacy_notice_url: m.privacy_notice_url.clone(),
                        privacy_notice_text: notice_text,
                        keywords,
                        texts: m.texts.clone().unwrap_or_default(),
                        retention: m.retention.unwrap_or_default(),
                        office_hours: m.office_hours.clone().unwrap_or_default(),
                        consultation_hours: m.consultation_hours.clone(),
                        response_targets: m.response_targets.unwrap_or_default(),
                        documents: m.documents.clone().unwrap_or_default(),
                        publishing: crate::config_publishing::settings(m)?,
                        teams: m.teams.clone(),
                        security: m.security,
                        news_host: m.news_host.clone(),
                    },
                    // After the settings, so a duplicate channel name is reported before a missing key.
                    networks: crate::config_publishing::networks(m)?,
                    whatsapp: m.whatsapp.clone(),
                    telegram: m.telegram.clone(),
                    sso: m.oidc.clone(),
                })
            })
            .collect()
    }
}

/// A `news_host` is a bare DNS host name: lower-case letters, digits, '-' and '.', labels of 1–63
/// characters not starting or ending with '-', at least two labels; no scheme, port or path.
fn check_news_host(host: &str) -> anyhow::Result<()> {
    if host.contains("://") || host.contains(['/', ':', '?', '#', '@']) {
        bail!("'{host}' must be a bare host name like \"aktuelles.musterstadt.de\" (no scheme, port or path)");
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if host.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        bail!("'{host}' must be a host name of lower-case letters, digits, '-' and '.' like \"aktuelles.musterstadt.de\"");
    }
    Ok(())
}

impl MunicipalityConfig {
    /// Checks time zone, office hours, consultation hours and targets now, so a mistake stops the
    /// start with the municipality and the key named (the registry builds the same schedule later).
    fn check_schedule(&self) -> anyhow::Result<()> {
        let tz = jiff::tz::TimeZone::get(&self.timezone).map_err(|_| {
            anyhow::anyhow!(
                "municipality '{}': timezone: '{}' is not an IANA time zone like \"Europe/Berlin\"",
                self.slug,
                self.timezone
            )
        })?;
        let channels: Vec<ChannelRef<'_>> = self
            .whatsapp
            .iter()
            .map(|w| (ChannelKind::WhatsApp, w.name.as_str()))
            .chain(
                self.telegram
                    .iter()
                    .map(|t| (ChannelKind::Telegram, t.name.as_str())),
            )
            .zip(1..)
            .map(|((kind, name), id)| ChannelRef { id, kind, name })
            .collect();
        MunicipalitySchedule::build(
            &self.office_hours.clone().unwrap_or_default(),
            &self.consultation_hours,
            &self.response_targets.unwrap_or_default(),
            tz,
            &channels,
        )
        .map_err(|e| anyhow::anyhow!("municipality '{}': {e}", self.slug))?;
        Ok(())
    }
}

/// Sets `segments` (table keys, or array indexes as numbers) to `raw` inside `table`.
fn set_path(table: &mut toml::Table, segments: &[String], raw: &str) -> anyhow::Result<()> {
    let Some((first, rest)) = segments.split_first() else {
        bail!("empty key");
    };
    if rest.is_empty() {
        table.insert(first.clone(), parse_env_value(raw));
        return Ok(());
    }
    let entry = table.entry(first.clone()).or_insert_with(|| {
        if rest[0].parse::<usize>().is_ok() {
            toml::Value::Array(Vec::new())
        } else {
            toml::Value::Table(toml::Table::new())
        }
    });
    set_in_value(entry, rest, raw)
}

fn set_in_value(value: &mut toml::Value, segments: &[String], raw: &str) -> anyhow::Result<()> {
    match value {
        toml::Value::Table(t) => set_path(t, segments, raw),
        toml::Value::Array(items) => {
            let Some((idx, rest)) = segments.split_first() else {
                bail!("empty key");
            };
            let i: usize = idx
                .parse()
                .with_context(|| format!("'{idx}' is not an array index"))?;
            if i > items.len() {
                bail!("index {i} skips entries (there are {})", items.len());
            }
            if i == items.len() {
                items.push(toml::Value::Table(toml::Table::new()));
            }
            if rest.is_empty() {
                items[i] = parse_env_value(raw);
                return Ok(());
            }
            set_in_value(&mut items[i], rest, raw)
        }
        _ => bail!("cannot set a key inside a plain value"),
    }
}

/// Environment values are strings, except lists written as TOML arrays (`["Start", "Los"]`).
fn parse_env_value(raw: &str) -> toml::Value {
    let t = raw.trim();
    if t.starts_with('[') {
        if let Ok(tbl) = toml::from_str::<toml::Table>(&format!("v = {t}")) {
            if let Some(v) = tbl.get("v") {
                return v.clone();
            }
        }
    }
    toml::Value::String(raw.to_string())
}

/// Replaces every `<secret>_file = "path"` with `<secret> = <file contents>`.
fn resolve_secret_files(table: &mut toml::Table) -> anyhow::Result<()> {
    for key in SECRET_KEYS {
        let file_key = format!("{key}_file");
        if let Some(path) = table.remove(&file_key) {
            let path = path
                .as_str()
                .with_context(|| format!("{file_key} must be a path"))?
                .to_string();
            let content = std::fs::read_to_string(&path)
                .with_context(|| format!("{file_key}: cannot read {path}"))?;
            table.insert(
                (*key).to_string(),
                toml::Value::String(content.trim_end_matches(['\n', '\r']).to_string()),
            );
        }
    }
    for (_, v) in table.iter_mut() {
        match v {
            toml::Value::Table(t) => resolve_secret_files(t)?,
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        resolve_secret_files(t)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
listen = "127.0.0.1:9000"
public_url = "https://rathaus.musterstadt.de/"
[[municipality]]
slug = "musterstadt"
name = "Stadt Musterstadt"
privacy_notice_url = "https://musterstadt.de/datenschutz-messenger"
[[municipality.whatsapp]]
phone_number_id = "106540352242922"
verify_token = "vt"
app_secret = "from-file"
access_token = "tok"
[[municipality.telegram]]
name = "buergerbot"
bot_token = "123:abc"
webhook_secret = "s3cret"
"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn file_values_defaults_and_env_overrides() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(dir.path(), "c.toml", SAMPLE);
        let secret = write(dir.path(), "secret", "app-secret-from-file\n");
        let env = vec![
            ("RATHAUS_LISTEN".to_string(), "127.0.0.1:9100".to_string()),
            (
                "RATHAUS_MUNICIPALITY__0__WHATSAPP__0__APP_SECRET_FILE".to_string(),
                secret.display().to_string(),
            ),
            (
                "RATHAUS_MUNICIPALITY__0__KEYWORDS__OPT_IN".to_string(),
                r#"["Hallo", "Los"]"#.to_string(),
            ),
            ("RATHAUS_MASTER_KEY".to_string(), "ignored here".to_string()),
        ];
        let c = Config::load_with_env(Some(&p), &env).expect("loads");
        assert_eq!(c.listen, "127.0.0.1:9100");
        assert_eq!(c.public_url(), "https://rathaus.musterstadt.de");
        let m = &c.municipality[0];
        assert_eq!(m.timezone, "Europe/Berlin");
        assert_eq!(m.whatsapp[0].app_secret, "app-secret-from-file");
        assert_eq!(m.whatsapp[0].api_base, "https://graph.facebook.com");
        assert_eq!(m.whatsapp[0].api_version, "v23.0");
        let t = c.tenants().expect("tenants");
        assert_eq!(t[0].settings.keywords.opt_in, vec!["Hallo", "Los"]);
        assert_eq!(t[0].settings.keywords.opt_out, Keywords::default().opt_out);
        assert!(c.database_url().starts_with("sqlite://./rathaus-data/"));
    }

    #[test]
    fn no_file_gives_the_zero_config_defaults() {
        let c = Config::load_with_env(None, &[]).expect("defaults");
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(c.municipality.is_empty());
        assert_eq!(
            c.master_key_path(),
            PathBuf::from("./rathaus-data/master.key")
        );
    }

    #[test]
    fn mistakes_are_named_with_their_place() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(dir.path(), "bad.toml", "listen = \"x\"\nlisten_port = 3\n");
        let e = Config::load_with_env(Some(&p), &[])
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("listen_port"), "{e}");
        assert!(e.contains("bad.toml"), "{e}");
        let p = write(
            dir.path(),
            "slug.toml",
            "[[municipality]]\nslug = \"Muster Stadt\"\nname = \"x\"\n",
        );
        let e = Config::load_with_env(Some(&p), &[])
            .expect_err("bad slug")
            .to_string();
        assert!(e.contains("Muster Stadt"), "{e}");
        let missing =
            Config::load_with_env(Some(&dir.path().join("nope.toml")), &[]).expect_err("missing");
        assert!(format!("{missing:#}").contains("nope.toml"));
        let env = vec![("RATHAUS_MUNICIPALITY__3__NAME".to_string(), "x".to_string())];
        let e = Config::load_with_env(Some(&p.with_file_name("none")), &env).is_err();
        assert!(e);
    }

    #[test]
    fn a_news_host_must_be_a_bare_unique_host_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let town = |slug: &str, host: &str| {
            format!("[[municipality]]\nslug = \"{slug}\"\nname = \"x\"\nnews_host = \"{host}\"\n")
        };
        let ok = write(
            dir.path(),
            "ok.toml",
            &(town("musterstadt", "aktuelles.musterstadt.de") + &town("dorf", "news.dorf-1.de")),
        );
        let c = Config::load_with_env(Some(&ok), &[]).expect("valid hosts");
        assert_eq!(
            c.municipality[0].news_host.as_deref(),
            Some("aktuelles.musterstadt.de")
        );
        for bad in [
            "https://aktuelles.musterstadt.de",
            "aktuelles.musterstadt.de:8443",
            "aktuelles.musterstadt.de/news",
            "Aktuelles.Musterstadt.de",
            "aktuelles..musterstadt.de",
            "-aktuelles.musterstadt.de",
            "localhost",
            "aktuelles musterstadt.de",
            "",
        ] {
            let p = write(dir.path(), "bad.toml", &town("musterstadt", bad));
            let e = format!("{:#}", Config::load_with_env(Some(&p), &[]).expect_err(bad));
            assert!(
                e.contains("musterstadt") && e.contains("news_host") && e.contains(bad),
                "{bad}: {e}"
            );
        }
        let twice = write(
            dir.path(),
            "twice.toml",
            &(town("musterstadt", "aktuelles.musterstadt.de")
                + &town("dorf", "aktuelles.musterstadt.de")),
        );
        let e = format!(
            "{:#}",
            Config::load_with_env(Some(&twice), &[]).expect_err("duplicate")
        );
        assert!(
            e.contains("'dorf'") && e.contains("another municipality"),
            "{e}"
        );
        let clash = write(
            dir.path(),
            "clash.toml",
            &format!(
                "public_url = \"https://Aktuelles.Musterstadt.de/\"\n{}",
                town("musterstadt", "aktuelles.musterstadt.de")
            ),
        );
        let e = format!(
            "{:#}",
            Config::load_with_env(Some(&clash), &[]).expect_err("public_url's host")
        );
        assert!(e.contains("host of public_url"), "{e}");
    }

    const SCHEDULE: &str = r#"
[municipality.office_hours]
state = "ST"
mon = ["08:00-12:00", "13:00-16:00"]
tue = ["08:00-12:00", "13:00-18:00"]
closed = ["2026-12-24", "2026-12-31"]
[[municipality.consultation_hours]]
name = "WhatsApp-Sprechstunde mit dem Bürgermeister"
channels = ["whatsapp", "buergerbot"]
rule = "FREQ=WEEKLY;BYDAY=TU"
start = "14:00"
end = "18:00"
host = "buergermeister@musterstadt.de"
exceptions = ["2026-12-29"]
texts = { outside = "Nächste Sprechstunde: {next_slot}" }
[municipality.response_targets]
consultation_minutes = 20
[municipality.texts]
consultation_inside = "Vor Ihnen: {ahead}"
"#;

    #[test]
    fn office_and_consultation_hours_with_targets() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(dir.path(), "c.toml", &format!("{SAMPLE}{SCHEDULE}"));
        let env = vec![(
            "RATHAUS_MUNICIPALITY__0__RESPONSE_TARGETS__OTHERWISE_OFFICE_DAYS".to_string(),
            "2".to_string(),
        )];
        let c = Config::load_with_env(Some(&p), &env).expect("loads");
        let s = &c.tenants().expect("tenants")[0].settings;
        assert_eq!(s.office_hours.state.as_deref(), Some("ST"));
        assert_eq!(s.office_hours.tue, vec!["08:00-12:00", "13:00-18:00"]);
        let h = &s.consultation_hours[0];
        assert_eq!(h.channels, vec!["whatsapp", "buergerbot"]);
        assert_eq!(h.host.as_deref(), Some("buergermeister@musterstadt.de"));
        assert_eq!(
            h.texts.outside.as_deref(),
            Some("Nächste Sprechstunde: {next_slot}")
        );
        assert_eq!(
            (
                s.response_targets.consultation_minutes,
                s.response_targets.office_hours_minutes,
                s.response_targets.otherwise_office_days
            ),
            (20, 60, 2)
        );
        assert_eq!(s.texts.consultation_inside, "Vor Ihnen: {ahead}");
        assert!(s.texts.consultation_outside.contains("{next_slot}"));
    }

    #[test]
    fn schedule_mistakes_name_the_municipality_and_the_key() {
        let dir = tempfile::tempdir().expect("tmp");
        let with = |from: &str, to: &str| format!("{SAMPLE}{}", SCHEDULE.replace(from, to));
        let cases = [
            (
                with("\"08:00-12:00\", \"13:00-16:00\"", "\"8-12\""),
                "office_hours.mon: '8-12'",
            ),
            (
                with("\"whatsapp\", \"buergerbot\"", "\"signal\""),
                "channels: 'signal'",
            ),
            (with("BYDAY=TU", "BYDAY=XX"), "rule: BYDAY=XX"),
            (
                with("state = \"ST\"", "state = \"DE-XY\""),
                "state: 'DE-XY'",
            ),
            (with("= 20", "= 0"), "response_targets.consultation_minutes"),
            (
                SAMPLE.replace(
                    "name = \"Stadt",
                    "timezone = \"Europe/Muster\"\nname = \"Stadt",
                ),
                "timezone: 'Europe/Muster'",
            ),
        ];
        for (text, expected) in cases {
            let p = write(dir.path(), "bad.toml", &text);
            let e = format!(
                "{:#}",
                Config::load_with_env(Some(&p), &[]).expect_err(expected)
            );
            assert!(
                e.contains("municipality 'musterstadt'") && e.contains(expected),
                "{expected}: {e}"
            );
        }
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(dir.path(), "c.toml", SAMPLE);
        let c = Config::load_with_env(Some(&p), &[]).expect("loads");
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("s3cret") && !dbg.contains("123:abc") && !dbg.contains("from-file"),
            "{dbg}"
        );
    }

    #[test]
    fn secret_files_named_in_the_toml_file_itself_are_read() {
        let dir = tempfile::tempdir().expect("tmp");
        let app_secret = write(dir.path(), "app-secret", "whatsapp-app-secret\n");
        let bot_token = write(dir.path(), "bot-token", "123:from-file\n");
        let text = SAMPLE
            .replace(
                "app_secret = \"from-file\"",
                &format!("app_secret_file = \"{}\"", app_secret.display()),
            )
            .replace(
                "bot_token = \"123:abc\"",
                &format!("bot_token_file = \"{}\"", bot_token.display()),
            );
        let p = write(dir.path(), "c.toml", &text);
        let c = Config::load_with_env(Some(&p), &[]).expect("loads");
        let t = &c.tenants().expect("tenants")[0];
        assert_eq!(t.whatsapp[0].app_secret, "whatsapp-app-secret");
        assert_eq!(t.telegram[0].bot_token, "123:from-file");
        // A real mistake beside a secret file is still named, and a missing secret file too.
        let typo = write(
            dir.path(),
            "typo.toml",
            &text.replace("verify_token", "verify_tokn"),
        );
        let e = format!(
            "{:#}",
            Config::load_with_env(Some(&typo), &[]).expect_err("typo")
        );
        assert!(e.contains("verify_tokn"), "{e}");
        let missing = write(
            dir.path(),
            "missing.toml",
            &text.replace(&app_secret.display().to_string(), "/nonexistent/app-secret"),
        );
        let e = format!(
            "{:#}",
            Config::load_with_env(Some(&missing), &[]).expect_err("missing file")
        );
        assert!(
            e.contains("app_secret_file") && e.contains("/nonexistent/app-secret"),
            "{e}"
        );
    }

    #[test]
    fn single_sign_on_with_the_secret_from_a_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let secret = write(dir.path(), "oidc-secret", "kc-client-secret-42\n");
        let oidc = format!(
            "[municipality.oidc]\nissuer = \"https://login.musterstadt.de/realms/rathaus\"\n\
             client_id = \"rathaus\"\nclient_secret_file = \"{}\"\nbutton_label = \"Stadt-Login\"\n\
             match = \"email\"\n",
            secret.display()
        );
        let p = write(dir.path(), "c.toml", &format!("{SAMPLE}{oidc}"));
        let c = Config::load_with_env(Some(&p), &[]).expect("loads");
        let sso = c.tenants().expect("tenants")[0].sso.clone().expect("oidc");
        assert_eq!(sso.client_secret, "kc-client-secret-42");
        assert_eq!(sso.button_label, "Stadt-Login");
        assert!(!sso.satisfies_mfa && !sso.trust_email);
        assert!(!format!("{c:?}").contains("kc-client-secret-42"));
        // Plain http to a provider elsewhere, an unknown match rule and unknown keys are refused.
        for (from, to, expected) in [
            ("https://login", "http://login", "https://"),
            ("match = \"email\"", "match = \"name\"", "name"),
            ("match = \"email\"", "scopes = \"all\"", "scopes"),
        ] {
            let p = write(
                dir.path(),
                "bad.toml",
                &format!("{SAMPLE}{}", oidc.replace(from, to)),
            );
            let e = format!(
                "{:#}",
                Config::load_with_env(Some(&p), &[]).expect_err(expected)
            );
            assert!(e.contains(expected), "{expected}: {e}");
        }
    }

    #[test]
    fn the_worker_lease_is_configurable_and_nonsense_is_refused() {
        let parse = |text: &str, env: &[(String, String)]| {
            Config::parse_with_env(Some((text, "c.toml")), env)
        };
        let default = parse("", &[]).expect("no [worker] table");
        assert_eq!(default.worker_options().lease_ms, 5 * 60 * 1000);
        let c = parse("[worker]\nlease_seconds = 90\n", &[]).expect("90 s");
        assert_eq!(c.worker_options().lease_ms, 90_000);
        let env = [(
            "RATHAUS_WORKER__LEASE_SECONDS".to_string(),
            "30".to_string(),
        )];
        assert_eq!(
            parse("", &env).expect("env").worker_options().lease_ms,
            30_000
        );
        for (text, says) in [
            (
                "[worker]\nlease_seconds = 0\n",
                "lease_seconds = 0: must be between 5 and 86400",
            ),
            (
                "[worker]\nlease_seconds = 100000\n",
                "must be between 5 and 86400",
            ),
            ("[worker]\nlease_seconds = -3\n", "lease_seconds"),
            ("[worker]\nlease_seconds = \"5m\"\n", "lease_seconds"),
            ("[worker]\nlease_secs = 60\n", "lease_secs"),
        ] {
            let e = format!("{:#}", parse(text, &[]).expect_err(text));
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
