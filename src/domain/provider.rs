//! Webhook senders, and the secrets their deliveries are checked against.

use serde_json::{Map, Value};

/// Who sends webhooks straight to the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    GitHub,
    GitLab,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::GitHub, Provider::GitLab];

    /// The provider's key in the secret's JSON and in push client tokens.
    pub fn key(self) -> &'static str {
        match self {
            Provider::GitHub => "github",
            Provider::GitLab => "gitlab",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Provider::GitHub => "GitHub",
            Provider::GitLab => "GitLab",
        }
    }
}

/// The webhook secrets, per provider: the current value first, then the
/// previous one while a rotation is under way. A provider with none has no
/// webhook route. `Debug` shows how many values there are, never a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebhookSecrets {
    pub github: Vec<String>,
    pub gitlab: Vec<String>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WebhookSecrets {{ github: {} value(s), gitlab: {} value(s) }}",
            self.github.len(),
            self.gitlab.len()
        )
    }
}

impl WebhookSecrets {
    /// The values a delivery from `provider` may be signed with.
    pub fn of(&self, provider: Provider) -> &[String] {
        match provider {
            Provider::GitHub => &self.github,
            Provider::GitLab => &self.gitlab,
        }
    }

    /// One version of the secret: a JSON object `{"github": "...", "gitlab": "..."}`;
    /// a key that is absent, `null` or empty leaves that provider without a
    /// value; other keys are ignored. The error never quotes the text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let map: Map<String, Value> = serde_json::from_str(text).map_err(|e| {
            format!(
                "is not a JSON object (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let value = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(format!("has a \"{key}\" that is not a string")),
        };
        Ok(Self {
            github: value("github")?,
            gitlab: value("gitlab")?,
        })
    }

    /// These values, then those of `previous` that differ from them.
    pub fn then(mut self, previous: WebhookSecrets) -> Self {
        for (mine, older) in [
            (&mut self.github, previous.github),
            (&mut self.gitlab, previous.gitlab),
        ] {
            for value in older {
                if !mine.contains(&value) {
                    mine.push(value);
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_either_key_and_never_quotes_the_text() {
        let s = WebhookSecrets::parse(r#"{"github": "gh-1", "gitlab": "", "other": 1}"#).unwrap();
        assert_eq!(s.github, ["gh-1"]);
        assert!(s.gitlab.is_empty());
        let none = WebhookSecrets::parse(r#"{"gitlab": null}"#).unwrap();
        assert_eq!(none, WebhookSecrets::default());
        for bad in [
            "sentinel-value",
            r#""sentinel-value""#,
            r#"{"github": ["sentinel-value"]}"#,
            r#"{"github": "sentinel-value""#,
        ] {
            let why = WebhookSecrets::parse(bad).unwrap_err();
            assert!(!why.contains("sentinel"), "{why}");
        }
    }

    #[test]
    fn previous_values_follow_current_ones_once() {
        let current = WebhookSecrets::parse(r#"{"github": "new", "gitlab": "same"}"#).unwrap();
        let previous = WebhookSecrets::parse(r#"{"github": "old", "gitlab": "same"}"#).unwrap();
        let both = current.then(previous);
        assert_eq!(both.of(Provider::GitHub), ["new", "old"]);
        assert_eq!(both.of(Provider::GitLab), ["same"]);
        let shown = format!("{both:?}");
        assert!(!shown.contains("new") && !shown.contains("old"), "{shown}");
    }
}
