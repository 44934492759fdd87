//! The kinds of messenger channel a municipality can connect.

use serde::{Deserialize, Serialize};

/// A messenger platform. Only channel adapters know how a platform speaks; everything else sees this tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    WhatsApp,
    Telegram,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 2] = [ChannelKind::WhatsApp, ChannelKind::Telegram];

    /// Stable name used in the database, URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::WhatsApp => "whatsapp",
            ChannelKind::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Human label for the staff UI.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::WhatsApp => "WhatsApp",
            ChannelKind::Telegram => "Telegram",
        }
    }

    /// Whether free-form replies are limited to a window after the citizen's last message.
    pub fn has_customer_service_window(self) -> bool {
        matches!(self, ChannelKind::WhatsApp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChannelKind::parse("threema"), None);
    }
}
