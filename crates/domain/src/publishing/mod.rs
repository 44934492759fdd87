//! Publishing to social networks, the pure part: channel limits, accessibility checks, the approval workflow, Bluesky facets and per-channel text variants.
//!
//! Nothing here talks to a platform: the adapters turn a checked, approved composition into
//! requests. Every refusal carries a stable code (for the API and the tests) and a message in
//! German and English that says what to fix.

pub mod accessibility;
pub mod channels;
pub mod facets;
pub mod settings;
pub mod text;
pub mod variants;
pub mod workflow;

use serde::Serialize;

pub use accessibility::{check_accessibility, ImageRef, VideoRef};
pub use channels::{fits, measure, measures, MastodonLimits, Measure, PublishKind, Unit};
pub use facets::{detect_facets, Facet, FacetFeature};
pub use settings::PublishingSettings;
pub use variants::{ChannelTarget, Composition};
pub use workflow::{
    Action, Actor, Policy, PostStatus, PostWorkflow, PublishAt, Transition, WorkflowError,
};

/// How bad a finding is: a blocking one stops submission and scheduling, a warning is shown only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Blocking,
    Warning,
}

/// One result of checking a composition, shown in the composer and returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable, e.g. "alt_text_missing"; never reworded.
    pub code: &'static str,
    pub message_de: String,
    pub message_en: String,
}

impl Finding {
    pub fn blocking(code: &'static str, message_de: String, message_en: String) -> Self {
        Finding {
            severity: Severity::Blocking,
            code,
            message_de,
            message_en,
        }
    }

    pub fn warning(code: &'static str, message_de: String, message_en: String) -> Self {
        Finding {
            severity: Severity::Warning,
            code,
            message_de,
            message_en,
        }
    }

    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Blocking
    }
}

/// Whether any finding stops the post.
pub fn has_blocking(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_blocking)
}
