//! The arena config, `arena.json`, served beside `index.html`.
//!
//! It names the arena, its contestants (provider APIs or local GGUF models), prompt sets,
//! categories and an optional sync server. It never holds API keys: [`ArenaConfig::parse`]
//! rejects a file that tries to carry one, since a config is public static content.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// The newest config layout this build understands.
pub const CONFIG_SCHEMA: u32 = 1;

/// Categories a judge can assign when the config names none.
pub const DEFAULT_CATEGORIES: [&str; 6] = [
    "coding",
    "math",
    "reasoning",
    "instruction following",
    "creative writing",
    "other",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArenaConfig {
    pub schema: u32,
    pub arena_id: String,
    #[serde(default = "default_title")]
    pub title: String,
    #[serde(default)]
    pub contestants: Vec<Contestant>,
    #[serde(default)]
    pub prompt_sets: Vec<PromptSet>,
    #[serde(default = "default_categories")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_url: Option<String>,
    /// Favour pairs whose order is least certain when picking contestants.
    #[serde(default)]
    pub efficient_pairing: bool,
}

/// Which wire protocol a contestant speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Openai,
    OpenaiCompatible,
    Anthropic,
    Gemini,
    Ollama,
    /// A GGUF model run in the browser.
    Local,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contestant {
    pub id: String,
    /// Display name, revealed after the vote.
    pub name: String,
    pub provider: ProviderKind,
    /// For `openai-compatible`: which service's quirks apply (`openrouter`, `groq`, `mistral`,
    /// `deepseek`, `vllm`, `lmstudio`, `llamacpp`, …); guessed from `base_url` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The provider's model id (for `local`, a label).
    #[serde(default)]
    pub model: String,
    /// URL of the GGUF file, for `local` contestants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gguf_url: Option<String>,
    #[serde(default)]
    pub params: Params,
    #[serde(default = "default_weight")]
    pub weight: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSet {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default)]
    pub prompts: Vec<String>,
}

fn default_title() -> String {
    "Arena".into()
}

fn default_categories() -> Vec<String> {
    DEFAULT_CATEGORIES
        .iter()
        .map(|s| (*s).to_string())
        .collect()
}

fn default_weight() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not JSON, or not the config's shape; the message has line and column.
    #[error("arena.json is not a valid config: {0}")]
    Syntax(String),
    #[error("arena.json has schema {found}, but this build reads up to {CONFIG_SCHEMA}")]
    UnsupportedSchema { found: u32 },
    #[error("arena.json must never hold API keys (found a field named \"{field}\")")]
    HoldsSecret { field: String },
    #[error("arena.json is invalid: {0}")]
    Invalid(String),
}

/// Field names that mean a secret; a config holding one is rejected outright.
const SECRET_FIELDS: [&str; 6] = [
    "api_key",
    "apikey",
    "apiKey",
    "key",
    "token",
    "authorization",
];

impl ArenaConfig {
    /// Parses and validates `arena.json`.
    pub fn parse(text: &str) -> Result<ArenaConfig, ConfigError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        if let Some(field) = find_secret_field(&value) {
            return Err(ConfigError::HoldsSecret { field });
        }
        if let Some(found) = value.get("schema").and_then(serde_json::Value::as_u64) {
            let found = u32::try_from(found).unwrap_or(u32::MAX);
            if found > CONFIG_SCHEMA || found == 0 {
                return Err(ConfigError::UnsupportedSchema { found });
            }
        }
        let config: ArenaConfig =
            serde_json::from_value(value).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.arena_id.trim().is_empty() {
            return invalid("`arena_id` is empty".into());
        }
        let mut seen = HashSet::new();
        for c in &self.contestants {
            if c.id.trim().is_empty() {
                return invalid("a contestant has an empty `id`".into());
            }
            if !seen.insert(c.id.as_str()) {
                return invalid(format!("contestant id \"{}\" appears twice", c.id));
            }
            if !c.weight.is_finite() || c.weight < 0.0 {
                return invalid(format!(
                    "contestant \"{}\" has weight {}; weights are finite and ≥ 0",
                    c.id, c.weight
                ));
            }
            if c.provider == ProviderKind::Local && c.gguf_url.is_none() {
                return invalid(format!("local contestant \"{}\" needs a `gguf_url`", c.id));
            }
            if c.provider != ProviderKind::Local && c.model.trim().is_empty() {
                return invalid(format!("contestant \"{}\" needs a `model`", c.id));
            }
        }
        let mut sets = HashSet::new();
        for p in &self.prompt_sets {
            if !sets.insert(p.id.as_str()) {
                return invalid(format!("prompt set id \"{}\" appears twice", p.id));
            }
        }
        Ok(())
    }

    /// The contestant with this id.
    pub fn contestant(&self, id: &str) -> Option<&Contestant> {
        self.contestants.iter().find(|c| c.id == id)
    }
}

fn find_secret_field(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if SECRET_FIELDS.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                Some(k.clone())
            } else {
                find_secret_field(v)
            }
        }),
        serde_json::Value::Array(items) => items.iter().find_map(find_secret_field),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(text: &str, expected: &str) {
        let err = ArenaConfig::parse(text).unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{err:?} does not contain {expected:?}"
        );
    }

    const MINIMAL: &str = r#"{"schema":1,"arena_id":"demo"}"#;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = ArenaConfig::parse(MINIMAL).unwrap();
        assert_eq!(c.title, "Arena");
        assert_eq!(c.categories.len(), 6);
        assert!(c.contestants.is_empty());
        assert!(!c.efficient_pairing);
    }

    #[test]
    fn the_shipped_config_parses() {
        let text = include_str!("../../../public/arena.json");
        let c = ArenaConfig::parse(text).unwrap();
        assert!(!c.contestants.is_empty());
        assert!(
            c.efficient_pairing,
            "the shipped config turns efficient pairing on"
        );
    }

    #[test]
    fn full_contestant_parses() {
        let c = ArenaConfig::parse(
            r#"{"schema":1,"arena_id":"a","title":"T","contestants":[
              {"id":"x","name":"X","provider":"openai-compatible","base_url":"http://127.0.0.1:9/v1",
               "model":"m","params":{"temperature":0.7,"max_tokens":512},"weight":2},
              {"id":"l","name":"L","provider":"local","gguf_url":"models/a.gguf"}]}"#,
        )
        .unwrap();
        assert_eq!(c.contestants[0].provider, ProviderKind::OpenaiCompatible);
        assert_eq!(c.contestants[0].params.max_tokens, Some(512));
        assert!((c.contestant("l").unwrap().weight - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn errors_are_specific() {
        check_err("{", "line 1");
        check_err(r#"{"schema":9,"arena_id":"a"}"#, "schema 9");
        check_err(r#"{"schema":1,"arena_id":""}"#, "`arena_id` is empty");
        check_err(
            r#"{"schema":1,"arena_id":"a","bogus":1}"#,
            "unknown field `bogus`",
        );
        check_err(
            r#"{"schema":1,"arena_id":"a","contestants":[{"id":"x","name":"X","provider":"openai","model":"m"},{"id":"x","name":"Y","provider":"openai","model":"m"}]}"#,
            "appears twice",
        );
        check_err(
            r#"{"schema":1,"arena_id":"a","contestants":[{"id":"x","name":"X","provider":"local"}]}"#,
            "needs a `gguf_url`",
        );
        check_err(
            r#"{"schema":1,"arena_id":"a","contestants":[{"id":"x","name":"X","provider":"openai","model":"m","weight":-1}]}"#,
            "weights are finite",
        );
    }

    #[test]
    fn a_config_holding_a_key_is_rejected_wherever_it_hides() {
        check_err(
            r#"{"schema":1,"arena_id":"a","contestants":[{"id":"x","name":"X","provider":"openai","model":"m","params":{"api_key":"sk-1"}}]}"#,
            "never hold API keys",
        );
        check_err(r#"{"schema":1,"arena_id":"a","apiKey":"x"}"#, "apiKey");
    }
}
