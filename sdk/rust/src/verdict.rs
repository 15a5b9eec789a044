//! Verdicts: what a handler tells the relay to do.

use crate::abi;

/// The NIP-01 machine-readable prefix of a refusal ("blocked:").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Prefix {
    /// `blocked:` for a reject, `rate-limited:` for rate limiting.
    Default = abi::PREFIX_DEFAULT,
    /// `blocked:`
    Blocked = abi::PREFIX_BLOCKED,
    /// `rate-limited:`
    RateLimited = abi::PREFIX_RATE_LIMITED,
    /// `invalid:`
    Invalid = abi::PREFIX_INVALID,
    /// `restricted:`
    Restricted = abi::PREFIX_RESTRICTED,
    /// `auth-required:`
    AuthRequired = abi::PREFIX_AUTH_REQUIRED,
    /// `pow:`
    Pow = abi::PREFIX_POW,
    /// `duplicate:`
    Duplicate = abi::PREFIX_DUPLICATE,
    /// `error:`
    Error = abi::PREFIX_ERROR,
    /// `mute:`
    Mute = abi::PREFIX_MUTE,
}

/// What a verdict tells the relay to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Action {
    /// Let the message through to the next policy.
    Accept = abi::ACTION_ACCEPT,
    /// Refuse it (on deliver: drop the delivery).
    Reject = abi::ACTION_REJECT,
    /// EVENT: answer OK true but neither store nor broadcast.
    ShadowReject = abi::ACTION_SHADOW_REJECT,
    /// req/count: use the rewritten filters; deliver: send the rewritten
    /// event.
    Rewrite = abi::ACTION_REWRITE,
    /// Refuse with `rate-limited:`.
    RateLimited = abi::ACTION_RATE_LIMITED,
}

/// A handler's answer. `Verdict::default()` accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub(crate) action: Action,
    pub(crate) prefix: Prefix,
    pub(crate) message: String,
    pub(crate) output: Vec<u8>,
}

impl Default for Verdict {
    fn default() -> Self {
        accept()
    }
}

impl Verdict {
    /// The verdict's action.
    pub fn action(&self) -> Action {
        self.action
    }
    /// The verdict's prefix.
    pub fn prefix(&self) -> Prefix {
        self.prefix
    }
    /// The verdict's message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The rewritten filters or event JSON of a rewrite.
    pub fn output(&self) -> &[u8] {
        &self.output
    }
}

fn verdict(action: Action, prefix: Prefix, message: &str, output: Vec<u8>) -> Verdict {
    Verdict { action, prefix, message: message.to_string(), output }
}

/// Lets the message through to the next policy.
pub fn accept() -> Verdict {
    verdict(Action::Accept, Prefix::Default, "", Vec::new())
}

/// Refuses with a NIP-01 prefix and a human-readable message ("blocked:
/// no DMs"). On deliver it drops the delivery.
pub fn reject(prefix: Prefix, message: &str) -> Verdict {
    verdict(Action::Reject, prefix, message, Vec::new())
}

/// Answers an EVENT with OK true but neither stores nor broadcasts it;
/// elsewhere refuses without a message.
pub fn shadow_reject() -> Verdict {
    verdict(Action::ShadowReject, Prefix::Default, "", Vec::new())
}

/// Refuses with the `rate-limited:` prefix.
pub fn rate_limited(message: &str) -> Verdict {
    verdict(Action::RateLimited, Prefix::RateLimited, message, Vec::new())
}

/// Replaces the filters of a REQ or COUNT with `filters_json`, a JSON
/// array of filter objects.
pub fn rewrite_filters(filters_json: impl Into<Vec<u8>>) -> Verdict {
    verdict(Action::Rewrite, Prefix::Default, "", filters_json.into())
}

/// Replaces the event JSON sent in a delivery.
pub fn rewrite_event(event_json: impl Into<Vec<u8>>) -> Verdict {
    verdict(Action::Rewrite, Prefix::Default, "", event_json.into())
}

/// Packs a verdict into the hook result: bits 0-7 the action, 8-15 the
/// prefix.
pub(crate) fn pack(v: &Verdict) -> i32 {
    (v.action as i32) | ((v.prefix as i32) << 8)
}
