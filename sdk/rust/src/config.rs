//! The plugin's `[config]` table (TOML in the plugin's NAME.toml, handed
//! over as JSON), read in the setup function.
//!
//! ```ignore
//! let cfg = relayd::config::Config::load()?;
//! cfg.only(&["kinds", "words"])?; // a typo in a key fails the load, naming it
//! let kinds = cfg.ints("kinds")?.unwrap_or_default();
//! ```

use crate::json::{self, Value};

/// The decoded `[config]` table.
#[derive(Clone, Debug)]
pub struct Config {
    root: Value,
}

impl Config {
    /// Reads and parses the plugin's config; the error is a message for
    /// the operator, ready to return from setup.
    pub fn load() -> Result<Config, String> {
        let raw = crate::host::config_json().map_err(|e| format!("config: {}", e))?;
        Config::parse(&raw)
    }

    /// Parses a config from its JSON (for tests).
    pub fn parse(raw: &[u8]) -> Result<Config, String> {
        let text = std::str::from_utf8(raw).unwrap_or("");
        let root = if text.trim().is_empty() {
            Value::Object(Vec::new())
        } else {
            json::parse(raw).map_err(|e| format!("config: {}", e))?
        };
        match root {
            Value::Object(_) => Ok(Config { root }),
            _ => Err("config: not a table".to_string()),
        }
    }

    /// The raw value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.root.get(key)
    }

    /// Refuses a key not in `known`, naming it, so that a typo in the
    /// operator's config fails the load instead of being ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        if let Value::Object(m) = &self.root {
            for (k, _) in m {
                if !known.contains(&k.as_str()) {
                    return Err(format!("config: unknown key {:?} (known: {})", k, known.join(", ")));
                }
            }
        }
        Ok(())
    }

    /// `key` as a string; `None` if unset, an error if not a string.
    pub fn string(&self, key: &str) -> Result<Option<String>, String> {
        self.typed(key, "a string", |v| v.as_str().map(String::from))
    }

    /// `key` as an integer; `None` if unset, an error if not an integer.
    pub fn int(&self, key: &str) -> Result<Option<i64>, String> {
        self.typed(key, "an integer", Value::as_i64)
    }

    /// `key` as a bool; `None` if unset, an error if not a bool.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        self.typed(key, "true or false", Value::as_bool)
    }

    /// `key` as an array of integers; `None` if unset.
    pub fn ints(&self, key: &str) -> Result<Option<Vec<i64>>, String> {
        self.typed(key, "an array of integers", |v| v.as_array()?.iter().map(Value::as_i64).collect())
    }

    /// `key` as an array of strings; `None` if unset.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        self.typed(key, "an array of strings", |v| {
            v.as_array()?.iter().map(|e| e.as_str().map(String::from)).collect()
        })
    }

    fn typed<T>(&self, key: &str, what: &str, f: impl Fn(&Value) -> Option<T>) -> Result<Option<T>, String> {
        match self.root.get(key) {
            None => Ok(None),
            Some(v) => f(v).map(Some).ok_or_else(|| format!("config: {} must be {}", key, what)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys() {
        let c = Config::parse(br#"{"kinds":[1,7],"words":["a","b"],"n":3,"on":true,"s":"x"}"#).unwrap();
        assert_eq!(c.ints("kinds").unwrap(), Some(vec![1, 7]));
        assert_eq!(c.strings("words").unwrap(), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(c.int("n").unwrap(), Some(3));
        assert_eq!(c.bool("on").unwrap(), Some(true));
        assert_eq!(c.string("s").unwrap(), Some("x".to_string()));
        assert_eq!(c.int("missing").unwrap(), None);
        assert_eq!(c.ints("words").unwrap_err(), "config: words must be an array of integers");
        assert!(c.only(&["kinds", "words", "n", "on", "s"]).is_ok());
        assert_eq!(c.only(&["kinds"]).unwrap_err(), r#"config: unknown key "words" (known: kinds)"#);
    }

    #[test]
    fn empty_is_a_table() {
        assert!(Config::parse(b"").unwrap().get("x").is_none());
        assert!(Config::parse(b"[1]").is_err());
    }
}
