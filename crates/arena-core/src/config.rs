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
    /// Whether votes pushed to the sync server carry their conversations (the prompts and
    /// answers); by default only the verdicts go.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sync_conversations: bool,
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
    /// Seconds a stream may go without news before it counts as stalled, overriding the
    /// provider preset's own policy (for slow local servers, or for tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<u32>,
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
            if c.params.idle_timeout_secs == Some(0) {
                return invalid(format!(
                    "contestant \"{}\" has `idle_timeout_secs` 0; use at least 1",
                    c.id
                ));
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

    /// This config with the judge's own contestants (from the browser's storage) appended.
    /// The config's contestants win: a user contestant whose id the config also uses is left
    /// out, and its id is returned so the page can say so. Duplicates among the user's are
    /// left out the same way.
    pub fn with_user_contestants(&self, user: &[Contestant]) -> (ArenaConfig, Vec<String>) {
        let mut merged = self.clone();
        let mut skipped = Vec::new();
        for c in user {
            if merged.contestant(&c.id).is_some() {
                skipped.push(c.id.clone());
            } else {
                merged.contestants.push(c.clone());
            }
        }
        (merged, skipped)
    }
}

/// A new contestant id made from its display name: lowercase ASCII letters, digits and
/// dashes, with `-2`, `-3`, … appended until no id in `taken` matches. Ids name models in
/// vote records, so they stay readable.
pub fn new_contestant_id<'a>(name: &str, taken: impl IntoIterator<Item = &'a str>) -> String {
    let taken: HashSet<&str> = taken.into_iter().collect();
    let mut slug = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let base = if slug.is_empty() { "contestant" } else { slug };
    if !taken.contains(base) {
        return base.to_owned();
    }
    // Of these `taken.len() + 1` candidates at least one is free.
    (2..=taken.len() + 2)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken.contains(id.as_str()))
        .unwrap_or_else(|| base.to_owned())
}

/// The Models page's contestant form as typed. [`ContestantForm::validate`] turns it into a
/// [`Contestant`] or names every field that is wrong, in plain words.
#[derive(Debug, Clone, PartialEq)]
pub struct ContestantForm {
    pub name: String,
    pub provider: ProviderKind,
    /// The OpenAI-compatible preset id, for `openai-compatible`.
    pub preset: Option<String>,
    /// Empty means the preset's default address.
    pub base_url: String,
    pub model: String,
    pub temperature: String,
    pub max_tokens: String,
    pub system_prompt: String,
    pub weight: String,
    pub idle_timeout_secs: String,
}

impl Default for ContestantForm {
    fn default() -> Self {
        ContestantForm {
            name: String::new(),
            provider: ProviderKind::Openai,
            preset: None,
            base_url: String::new(),
            model: String::new(),
            temperature: String::new(),
            max_tokens: String::new(),
            system_prompt: String::new(),
            weight: "1".into(),
            idle_timeout_secs: String::new(),
        }
    }
}

/// One wrong field of a [`ContestantForm`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// The form field (`name`, `model`, `base_url`, …).
    pub field: &'static str,
    pub message: String,
}

impl ContestantForm {
    /// The form filled in from a stored contestant, for editing.
    pub fn from_contestant(c: &Contestant) -> ContestantForm {
        let opt = |v: Option<String>| v.unwrap_or_default();
        ContestantForm {
            name: c.name.clone(),
            provider: c.provider,
            preset: c.preset.clone(),
            base_url: opt(c.base_url.clone()),
            model: c.model.clone(),
            temperature: opt(c.params.temperature.map(|t| t.to_string())),
            max_tokens: opt(c.params.max_tokens.map(|t| t.to_string())),
            system_prompt: opt(c.params.system_prompt.clone()),
            weight: c.weight.to_string(),
            idle_timeout_secs: opt(c.params.idle_timeout_secs.map(|t| t.to_string())),
        }
    }

    /// The contestant this form describes, under `id`; or every field that is wrong.
    pub fn validate(&self, id: &str) -> Result<Contestant, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut bad = |field: &'static str, message: String| {
            errors.push(FieldError { field, message });
        };
        let name = self.name.trim();
        if name.is_empty() {
            bad("name", "Give the contestant a name.".into());
        } else if name.chars().count() > 80 {
            bad("name", "Keep the name under 80 characters.".into());
        }
        if self.provider == ProviderKind::Local {
            bad(
                "provider",
                "Local models come from arena.json; pick a provider here.".into(),
            );
        }
        let model = self.model.trim();
        if model.is_empty() {
            bad(
                "model",
                "Pick a model from the provider's list or type its id.".into(),
            );
        } else if model.chars().any(char::is_whitespace) {
            bad("model", "A model id has no spaces.".into());
        }
        let base_url = self.base_url.trim().trim_end_matches('/');
        if !base_url.is_empty()
            && let Err(m) = check_base_url(base_url)
        {
            bad("base_url", m);
        }
        let temperature = field(&mut bad, "temperature", &self.temperature, |t: f64| {
            (0.0..=2.0).contains(&t)
        });
        let max_tokens = field(&mut bad, "max_tokens", &self.max_tokens, |t: u32| t > 0);
        let weight = field(&mut bad, "weight", &self.weight, |w: f64| {
            w.is_finite() && w >= 0.0
        })
        .unwrap_or(1.0);
        let idle_timeout_secs = field(
            &mut bad,
            "idle_timeout_secs",
            &self.idle_timeout_secs,
            |t: u32| t > 0,
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(Contestant {
            id: id.to_owned(),
            name: name.to_owned(),
            provider: self.provider,
            preset: if self.provider == ProviderKind::OpenaiCompatible {
                self.preset.clone()
            } else {
                None
            },
            base_url: non_empty(base_url),
            model: model.to_owned(),
            gguf_url: None,
            params: Params {
                temperature,
                top_p: None,
                max_tokens,
                system_prompt: non_empty(self.system_prompt.trim()),
                idle_timeout_secs,
            },
            weight,
        })
    }
}

/// Reads an optional number field: `None` when empty, or when it is not a number or `ok`
/// refuses it, which is reported through `bad`.
fn field<T: std::str::FromStr + Copy>(
    bad: &mut impl FnMut(&'static str, String),
    name: &'static str,
    text: &str,
    ok: impl Fn(T) -> bool,
) -> Option<T> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<T>() {
        Ok(v) if ok(v) => Some(v),
        _ => {
            bad(name, field_rule(name).to_owned());
            None
        }
    }
}

/// What a number field accepts, in plain words.
fn field_rule(name: &str) -> &'static str {
    match name {
        "temperature" => {
            "Temperature is a number from 0 to 2, such as 0.7 (empty: the provider's default)."
        }
        "max_tokens" => "Max tokens is a whole number of at least 1 (or empty).",
        "weight" => {
            "The sampling weight is a number of 0 or more (0 keeps it out of blind battles)."
        }
        _ => "The idle timeout is a whole number of seconds, at least 1 (or empty).",
    }
}

/// A base URL the browser can call: `http(s)://host[:port][/path]`, no login, query or
/// fragment (a key in a URL would end up in logs).
fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "The base URL starts with http:// or https://.".to_owned())?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err("The base URL needs a host, e.g. http://localhost:11434.".into());
    }
    if url.chars().any(char::is_whitespace) {
        return Err("The base URL has a space in it.".into());
    }
    if authority.contains('@') {
        return Err("Leave logins out of the base URL; keys go in the key field.".into());
    }
    if url.contains(['?', '#']) {
        return Err(
            "The base URL has no query (?…) or fragment (#…); keys go in the key field.".into(),
        );
    }
    Ok(())
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

    fn form(name: &str, model: &str) -> ContestantForm {
        ContestantForm {
            name: name.into(),
            model: model.into(),
            ..ContestantForm::default()
        }
    }

    fn field_errors(f: &ContestantForm) -> Vec<&'static str> {
        f.validate("x")
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_filled_form_makes_a_contestant_that_round_trips() {
        let f = ContestantForm {
            provider: ProviderKind::OpenaiCompatible,
            preset: Some("groq".into()),
            base_url: " https://api.groq.com/openai/v1/ ".into(),
            temperature: "0.7".into(),
            max_tokens: "512".into(),
            system_prompt: "  Be brief.  ".into(),
            weight: "2.5".into(),
            idle_timeout_secs: "3".into(),
            ..form(" Llama on Groq ", "llama-3.1-8b-instant")
        };
        let c = f.validate("llama-on-groq").unwrap();
        assert_eq!(c.id, "llama-on-groq");
        assert_eq!(c.name, "Llama on Groq");
        assert_eq!(
            c.base_url.as_deref(),
            Some("https://api.groq.com/openai/v1")
        );
        assert_eq!(c.preset.as_deref(), Some("groq"));
        assert_eq!(c.params.temperature, Some(0.7));
        assert_eq!(c.params.max_tokens, Some(512));
        assert_eq!(c.params.system_prompt.as_deref(), Some("Be brief."));
        assert_eq!(c.params.idle_timeout_secs, Some(3));
        assert!((c.weight - 2.5).abs() < f64::EPSILON);
        // Edit: the form filled from the contestant validates to the same contestant.
        assert_eq!(
            ContestantForm::from_contestant(&c).validate("llama-on-groq"),
            Ok(c.clone())
        );
        // The stored JSON is a config contestant: it parses inside arena.json.
        let json = format!(
            r#"{{"schema":1,"arena_id":"a","contestants":[{}]}}"#,
            serde_json::to_string(&c).unwrap()
        );
        assert_eq!(ArenaConfig::parse(&json).unwrap().contestants, vec![c]);
    }

    #[test]
    fn empty_optional_fields_mean_defaults() {
        let c = form("A", "m").validate("a").unwrap();
        assert_eq!(c.base_url, None);
        assert_eq!(c.params, Params::default());
        assert!((c.weight - 1.0).abs() < f64::EPSILON);
        // Only openai-compatible contestants carry a preset id.
        let f = ContestantForm {
            preset: Some("groq".into()),
            ..form("A", "m")
        };
        assert_eq!(f.validate("a").unwrap().preset, None);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let f = ContestantForm {
            base_url: "localhost:11434".into(),
            temperature: "warm".into(),
            max_tokens: "0".into(),
            weight: "-1".into(),
            idle_timeout_secs: "1.5".into(),
            ..form(" ", "")
        };
        assert_eq!(
            field_errors(&f),
            [
                "name",
                "model",
                "base_url",
                "temperature",
                "max_tokens",
                "weight",
                "idle_timeout_secs"
            ]
        );
        for (url, words) in [
            ("https://user:pw@host/v1", "logins"),
            ("https://host/v1?key=abc", "no query"),
            ("https:///v1", "needs a host"),
            ("ftp://host", "starts with http"),
        ] {
            let f = ContestantForm {
                base_url: url.into(),
                ..form("A", "m")
            };
            let e = f.validate("a").unwrap_err();
            assert!(e[0].message.contains(words), "{url}: {e:?}");
        }
        assert_eq!(
            field_errors(&ContestantForm {
                temperature: "2.5".into(),
                ..form("A", "m")
            }),
            ["temperature"]
        );
        assert_eq!(field_errors(&form("A", "gpt 4")), ["model"]);
        assert_eq!(
            field_errors(&ContestantForm {
                provider: ProviderKind::Local,
                ..form("A", "m")
            }),
            ["provider"]
        );
    }

    #[test]
    fn new_ids_are_readable_and_unique() {
        assert_eq!(
            new_contestant_id("GPT-4o mini (cold)", []),
            "gpt-4o-mini-cold"
        );
        assert_eq!(new_contestant_id("  ", []), "contestant");
        assert_eq!(new_contestant_id("Ünï", []), "n");
        assert_eq!(new_contestant_id("A", ["a", "a-2"]), "a-3");
        assert!(new_contestant_id(&"x".repeat(300), []).len() <= 48);
    }

    #[test]
    fn user_contestants_join_the_config_but_never_replace_its_own() {
        let base = ArenaConfig::parse(
            r#"{"schema":1,"arena_id":"a","contestants":[{"id":"x","name":"X","provider":"openai","model":"m"}]}"#,
        )
        .unwrap();
        let mine = form("Mine", "m2").validate("mine").unwrap();
        let clash = form("Clash", "m3").validate("x").unwrap();
        let (merged, skipped) = base.with_user_contestants(&[mine.clone(), clash, mine.clone()]);
        let ids: Vec<_> = merged.contestants.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["x", "mine"]);
        assert_eq!(skipped, ["x", "mine"]);
        assert_eq!(merged.contestant("mine"), Some(&mine));
        assert_eq!(merged.contestant("x").unwrap().name, "X");
    }

    #[test]
    fn an_idle_timeout_of_zero_is_refused() {
        check_err(
            r#"{"schema":1,"arena_id":"a","contestants":[{"id":"x","name":"X","provider":"openai","model":"m","params":{"idle_timeout_secs":0}}]}"#,
            "idle_timeout_secs",
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
