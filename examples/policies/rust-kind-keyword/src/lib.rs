//! rust-kind-keyword is a relayd policy written in Rust: it accepts only
//! the event kinds listed in `[config] kinds` (on event_pre, where the kind
//! is a hook parameter and costs no host call) and refuses events whose
//! content contains one of `[config] words`, case-insensitively (on event,
//! after the signature check).
//!
//! Build (from this folder):
//!
//! ```sh
//! RUSTC=/usr/bin/rustc /usr/bin/cargo build --offline --release --target wasm32-wasi
//! cp target/wasm32-wasi/release/rust_kind_keyword.wasm rust-kind-keyword.wasm
//! ```

use relayd::config::Config;
use relayd::{accept, reject, Event, Plugin, Prefix, Verdict};

relayd::plugin!(setup);

/// Reads the config and registers the two handlers; a bad config refuses
/// the load, and the relay logs the reason.
fn setup(p: &mut Plugin) -> Result<(), String> {
    let cfg = Config::load()?;
    cfg.only(&["kinds", "words"])?;
    let kinds = cfg.ints("kinds")?.unwrap_or_default();
    if kinds.is_empty() {
        return Err("config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]".to_string());
    }
    let words: Vec<String> = cfg
        .strings("words")?
        .unwrap_or_default()
        .iter()
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    p.on_event_pre(move |e| check_kind(&kinds, e));
    if !words.is_empty() {
        p.on_event(move |e| check_words(&words, e));
    }
    Ok(())
}

fn check_kind(kinds: &[i64], e: &Event) -> Verdict {
    if kinds.contains(&(e.kind() as i64)) {
        return accept();
    }
    reject(Prefix::Blocked, &format!("kind {} is not accepted here", e.kind()))
}

fn check_words(words: &[String], e: &Event) -> Verdict {
    if e.content_len() == 0 {
        return accept(); // free: no host call for empty content
    }
    let content = e.content().to_lowercase();
    if words.iter().any(|w| content.contains(w.as_str())) {
        return reject(Prefix::Blocked, "content contains a blocked word");
    }
    accept()
}
