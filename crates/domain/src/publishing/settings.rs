//! A municipality's publishing configuration: four-eyes review and the network channels a post may go to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ChannelTarget;

/// `[municipality.publishing]` plus the names of the configured network channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishingSettings {
    /// Whether a second editor or admin must approve every post (default: yes).
    #[serde(default = "four_eyes_default")]
    pub four_eyes: bool,
    /// The configured network channels (`[[municipality.mastodon]]` …), by name and kind. The town's
    /// own news page (`website`) is always there and not listed.
    #[serde(default)]
    pub channels: Vec<ChannelTarget>,
    /// Public profile address by channel name (`profile_url`), linked from the channel directory.
    #[serde(default)]
    pub profiles: BTreeMap<String, String>,
}

fn four_eyes_default() -> bool {
    true
}

impl Default for PublishingSettings {
    fn default() -> Self {
        PublishingSettings {
            four_eyes: true,
            channels: Vec::new(),
            profiles: BTreeMap::new(),
        }
    }
}

impl PublishingSettings {
    /// The configured network channel with this name.
    pub fn channel(&self, name: &str) -> Option<&ChannelTarget> {
        self.channels.iter().find(|c| c.name == name)
    }
}
