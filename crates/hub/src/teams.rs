//! Configured teams (`[[municipality.teams]]`) into the store: channels resolved by kind or name, members by e-mail.

use rathaus_domain::schedule::ChannelRef;
use rathaus_domain::TeamSettings;
use rathaus_store::{ConfiguredTeam, Store};

use crate::registry::RegistryError;

/// Resolves each team's channels against the municipality's channels; a name that matches none is an
/// error naming the team. Returns the teams ready for the store.
pub fn resolve(
    slug: &str,
    teams: &[TeamSettings],
    channels: &[ChannelRef<'_>],
) -> Result<Vec<ConfiguredTeam>, RegistryError> {
    let mut out: Vec<ConfiguredTeam> = Vec::new();
    for t in teams {
        let name = t.name.trim();
        if name.is_empty() {
            return Err(RegistryError::Config(format!(
                "municipality '{slug}': teams: a team has no name"
            )));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(RegistryError::Config(format!(
                "municipality '{slug}': teams: '{name}' is configured twice"
            )));
        }
        let mut channel_ids = Vec::new();
        for wanted in &t.channels {
            let matching: Vec<i64> = channels
                .iter()
                .filter(|c| {
                    c.name == wanted.as_str() || c.kind.as_str() == wanted.to_ascii_lowercase()
                })
                .map(|c| c.id)
                .collect();
            if matching.is_empty() {
                return Err(RegistryError::Config(format!(
                    "municipality '{slug}': team '{name}': channels: '{wanted}' is neither a channel kind nor the name of a configured channel"
                )));
            }
            channel_ids.extend(matching);
        }
        if let Some(other) = out
            .iter()
            .find(|o| o.channel_ids.iter().any(|c| channel_ids.contains(c)))
        {
            return Err(RegistryError::Config(format!(
                "municipality '{slug}': a channel is routed to both team '{}' and team '{name}'",
                other.name
            )));
        }
        out.push(ConfiguredTeam {
            name: name.to_string(),
            member_emails: t.members.clone(),
            channel_ids,
        });
    }
    Ok(out)
}

/// Creates missing configured teams, adds configured members, routes configured channels. Teams and
/// members added in the admin UI stay. Members without an account here are skipped (and counted in
/// the log, without their addresses): invite them in the admin UI, the next start adds them.
pub async fn apply(
    store: &Store,
    municipality_id: i64,
    slug: &str,
    teams: &[TeamSettings],
    channels: &[ChannelRef<'_>],
    now: i64,
) -> Result<(), RegistryError> {
    if teams.is_empty() {
        return Ok(());
    }
    let resolved = resolve(slug, teams, channels)?;
    let unknown = store
        .apply_configured_teams(municipality_id, &resolved, now)
        .await
        .map_err(|e| RegistryError::Config(format!("municipality '{slug}': teams: {e}")))?;
    if !unknown.is_empty() {
        tracing::warn!(
            municipality = slug,
            count = unknown.len(),
            "configured team members without an account in this municipality were skipped; invite them under /admin/mitarbeitende"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rathaus_domain::ChannelKind;

    fn team(name: &str, channels: &[&str]) -> TeamSettings {
        TeamSettings {
            name: name.into(),
            members: vec!["a@musterstadt.de".into()],
            channels: channels.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn channels_match_by_kind_or_name_and_are_routed_once() {
        let chans = [
            ChannelRef {
                id: 1,
                kind: ChannelKind::WhatsApp,
                name: "whatsapp",
            },
            ChannelRef {
                id: 2,
                kind: ChannelKind::Telegram,
                name: "buergerbot",
            },
        ];
        let r = resolve(
            "m",
            &[team("Büro", &["WhatsApp"]), team("Bau", &["buergerbot"])],
            &chans,
        )
        .unwrap();
        assert_eq!(r[0].channel_ids, vec![1]);
        assert_eq!(r[1].channel_ids, vec![2]);
        let e = resolve("m", &[team("Büro", &["signal"])], &chans).unwrap_err();
        assert!(e.to_string().contains("'signal'"), "{e}");
        let e = resolve(
            "m",
            &[team("A", &["telegram"]), team("B", &["buergerbot"])],
            &chans,
        )
        .unwrap_err();
        assert!(e.to_string().contains("both team 'A' and team 'B'"), "{e}");
        let e = resolve("m", &[team("A", &[]), team(" A ", &[])], &chans).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
    }
}
