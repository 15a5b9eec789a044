//! The Rust SDK for relayd policy plugins: write a policy as closures,
//! build it to `wasm32-wasi`, drop the `.wasm` in the relay's plugin
//! directory. No dependencies; Rust 1.63 or newer (Debian 12's rustc).
//!
//! ```ignore
//! use relayd::{accept, reject, Plugin, Prefix};
//!
//! relayd::plugin!(setup);
//!
//! fn setup(p: &mut Plugin) -> Result<(), String> {
//!     p.on_event(|e| {
//!         if e.kind() == 4 {
//!             return reject(Prefix::Blocked, "no DMs");
//!         }
//!         accept()
//!     });
//!     Ok(())
//! }
//! ```
//!
//! `plugin!` writes the exports the relay calls (ABI.md, "Guest exports");
//! `setup` runs once per instance when the relay loads the plugin: read
//! the config there ([`config::Config`]) and register handlers; an `Err`
//! refuses the load with its message. Only the hooks with a handler are
//! called.
//!
//! Handlers get views of the call (`&Event`, `&Session`, `&Req`): fixed
//! fields cost nothing, the rest is read from the host on demand. Statics
//! are per instance, and the relay runs several instances and replaces
//! them at will: what must be shared lives in [`state`] (counters, token
//! buckets, kv), what must survive a restart in [`db`].

pub mod abi;
pub mod config;
pub mod db;
mod event;
mod handlers;
mod host;
#[doc(hidden)]
pub mod imports;
pub mod json;
pub mod query;
pub mod state;
mod verdict;

pub use event::{Event, Req, Session, Source};
pub use handlers::{Params, Plugin};
#[doc(hidden)]
pub use handlers::{__dispatch, __init, __limitation, __manage, __tick};
pub use host::{
    config_json, errno_text, features, file, log, log_enabled, now, plugin_name, relay_version, store_count, Error,
    Level, Result,
};
pub use query::{store_query, QueryResult};
pub use verdict::{accept, rate_limited, reject, rewrite_event, rewrite_filters, shadow_reject, Action, Prefix, Verdict};

/// Writes a plugin's exports: `relayd_abi_version`, `relayd_init` (which
/// calls `setup`), `relayd_limitation`, the eight hooks, `relayd_on_manage`
/// and `relayd_on_tick`. Use it once, at the top level of the plugin crate
/// (a `cdylib`).
#[macro_export]
macro_rules! plugin {
    ($setup:path) => {
        #[no_mangle]
        pub extern "C" fn relayd_abi_version() -> i32 {
            $crate::abi::VERSION
        }
        #[no_mangle]
        pub extern "C" fn relayd_init() -> i32 {
            $crate::__init($setup)
        }
        #[no_mangle]
        pub extern "C" fn relayd_limitation() -> i32 {
            $crate::__limitation()
        }
        $crate::plugin!(@hook relayd_on_connect, $crate::abi::HOOK_CONNECT);
        $crate::plugin!(@hook relayd_on_event_pre, $crate::abi::HOOK_EVENT_PRE);
        $crate::plugin!(@hook relayd_on_event, $crate::abi::HOOK_EVENT);
        $crate::plugin!(@hook relayd_on_req, $crate::abi::HOOK_REQ);
        $crate::plugin!(@hook relayd_on_count, $crate::abi::HOOK_COUNT);
        $crate::plugin!(@hook relayd_on_auth, $crate::abi::HOOK_AUTH);
        $crate::plugin!(@hook relayd_on_deliver, $crate::abi::HOOK_DELIVER);
        $crate::plugin!(@hook relayd_on_close, $crate::abi::HOOK_CLOSE);
        #[no_mangle]
        pub extern "C" fn relayd_on_manage(
            _session: i64,
            _kind: i32,
            _created_at: i64,
            _received_at: i64,
            _size: i32,
            count: i32,
            _flags: i32,
        ) -> i32 {
            $crate::__manage(count)
        }
        #[no_mangle]
        pub extern "C" fn relayd_on_tick() -> i32 {
            $crate::__tick()
        }
    };
    (@hook $name:ident, $hook:expr) => {
        #[no_mangle]
        pub extern "C" fn $name(
            session: i64,
            kind: i32,
            created_at: i64,
            received_at: i64,
            size: i32,
            count: i32,
            flags: i32,
        ) -> i32 {
            $crate::__dispatch($hook, session, kind, created_at, received_at, size, count, flags)
        }
    };
}
