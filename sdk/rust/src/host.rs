//! Host calls every hook may make: errors, the `(buf, buf_limit)` read
//! loop, the clock, the log, feature bits, listed files, the raw config and
//! `store_count`.

use crate::abi;
use crate::imports as imp;
use std::fmt;

/// A failed host call: the SDK function that failed and the host's error
/// code (one of the `abi::ERR_*` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// The SDK function that failed, e.g. `"kv_set"`.
    pub op: &'static str,
    /// The host's error code, negative (`abi::ERR_NOT_FOUND`...).
    pub code: i32,
}

impl Error {
    /// Reports whether the host answered `ERR_NOT_FOUND`.
    pub fn is_not_found(&self) -> bool {
        self.code == abi::ERR_NOT_FOUND
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "relayd: {}: {}", self.op, errno_text(self.code))
    }
}

impl std::error::Error for Error {}

/// The text of a host error code.
pub fn errno_text(code: i32) -> &'static str {
    match code {
        abi::ERR_NOT_FOUND => "not found",
        abi::ERR_MEMORY => "bad memory access",
        abi::ERR_TOO_LARGE => "too large",
        abi::ERR_INVALID => "invalid argument",
        abi::ERR_UNAVAILABLE => "unavailable",
        abi::ERR_TIMEOUT => "timeout",
        abi::ERR_MISMATCH => "value mismatch",
        abi::ERR_FULL => "durable state full",
        abi::ERR_READ_ONLY => "store read-only",
        _ => "host error",
    }
}

/// The result of an SDK call that reaches the host.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn check(op: &'static str, rc: i32) -> Result<i32> {
    if rc < 0 {
        Err(Error { op, code: rc })
    } else {
        Ok(rc)
    }
}

/// Runs a `(buf, buf_limit)` host call until the value fits and returns
/// it: the first try reads into 256 bytes, a longer value is read again
/// into a buffer of its length.
pub(crate) fn fetch(op: &'static str, call: impl Fn(*mut u8, i32) -> i32) -> Result<Vec<u8>> {
    fetch_cap(op, 256, call)
}

/// `fetch` with a first buffer of `cap` bytes.
pub(crate) fn fetch_cap(op: &'static str, cap: usize, call: impl Fn(*mut u8, i32) -> i32) -> Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::with_capacity(cap);
    for _ in 0..3 {
        let n = call(buf.as_mut_ptr(), buf.capacity() as i32);
        if n < 0 {
            return Err(Error { op, code: n });
        }
        let n = n as usize;
        if n <= buf.capacity() {
            // SAFETY: the host wrote n bytes, which fit, into buf.
            unsafe { buf.set_len(n) };
            return Ok(buf);
        }
        buf.reserve_exact(n);
    }
    Err(Error { op, code: abi::ERR_INTERNAL })
}

pub(crate) fn field(op: &'static str, f: i32) -> Result<Vec<u8>> {
    fetch(op, |p, n| unsafe { imp::relayd_get(f, p, n) })
}

pub(crate) fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Sets an output (`abi::OUTPUT_*`) for the current call.
pub(crate) fn set_output(kind: i32, b: &[u8]) -> i32 {
    unsafe { imp::relayd_set_output(kind, b.as_ptr(), b.len() as i32) }
}

/// Returns the wall clock, unix nanoseconds.
pub fn now() -> i64 {
    unsafe { imp::relayd_now() }
}

/// Returns the host's feature bits (`abi::FEATURE_*`).
pub fn features() -> i64 {
    unsafe { imp::relayd_features() }
}

/// A log level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Level {
    /// slog Debug.
    Debug = abi::LOG_DEBUG,
    /// slog Info.
    Info = abi::LOG_INFO,
    /// slog Warn.
    Warn = abi::LOG_WARN,
    /// slog Error.
    Error = abi::LOG_ERROR,
}

/// Reports whether a line at `level` would be written: check it before
/// building an expensive message.
pub fn log_enabled(level: Level) -> bool {
    unsafe { imp::relayd_log_enabled(level as i32) != 0 }
}

/// Writes a line to the relay's log under the plugin's name (lines over
/// `abi::MAX_LOG_LEN` are cut, lines over the plugin's rate cap dropped).
pub fn log(level: Level, msg: &str) {
    unsafe { imp::relayd_log(level as i32, msg.as_ptr(), msg.len() as i32) }
}

/// Returns the plugin's `[config]` table as JSON (`{}` if none); see
/// [`crate::config::Config`] to read it.
pub fn config_json() -> Result<Vec<u8>> {
    field("config_json", abi::FIELD_CONFIG)
}

/// Returns the plugin's name (its file name without `.wasm`).
pub fn plugin_name() -> String {
    field("plugin_name", abi::FIELD_PLUGIN_NAME).map(text).unwrap_or_default()
}

/// Returns the relay's version.
pub fn relay_version() -> String {
    field("relay_version", abi::FIELD_RELAY_VERSION).map(text).unwrap_or_default()
}

/// Returns a file the operator listed in the plugin's `files` setting
/// (`ERR_NOT_FOUND` for a name not listed). The relay reads the files when
/// it loads the plugin and reloads it when one changes: read them in
/// `init`.
pub fn file(name: &str) -> Result<Vec<u8>> {
    fetch("file", |p, n| unsafe { imp::relayd_get_file(name.as_ptr(), name.len() as i32, p, n) })
}

/// Counts the stored events matching one NIP-01 filter (a JSON object),
/// bounded by a short host deadline (`ERR_TIMEOUT`); `ERR_UNAVAILABLE`
/// without a store.
pub fn store_count(filter_json: &str) -> Result<i64> {
    let mut out: i64 = 0;
    let rc = unsafe { imp::relayd_store_count(filter_json.as_ptr(), filter_json.len() as i32, &mut out) };
    check("store_count", rc).map(|_| out)
}
