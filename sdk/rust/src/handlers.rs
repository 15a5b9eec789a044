//! Registration of handlers and the dispatch the exports of
//! [`plugin!`](crate::plugin) call.

use crate::abi;
use crate::event::{Event, Req, Session};
use crate::host;
use crate::verdict::{pack, Action, Verdict};
use std::cell::RefCell;

type EventFn = Box<dyn FnMut(&Event) -> Verdict>;
type ReqFn = Box<dyn FnMut(&Req) -> Verdict>;
type ManageFn = Box<dyn FnMut(&Params) -> Result<Option<String>, String>>;

/// The params of a NIP-86 management method call: the JSON array the
/// relay received (`[]` when the request had none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// The params as raw JSON, an array.
    pub raw: Vec<u8>,
    /// The number of params.
    pub count: i32,
}

impl Params {
    /// Returns the params parsed, or `None` if they are not a JSON array.
    pub fn values(&self) -> Option<Vec<crate::json::Value>> {
        crate::json::parse(&self.raw).ok().and_then(|v| v.as_array().map(|a| a.to_vec()))
    }
    /// Returns param `i` if it is a JSON string.
    pub fn string(&self, i: usize) -> Option<String> {
        self.values().and_then(|v| v.get(i).and_then(|v| v.as_str().map(str::to_string)))
    }
    /// Returns param `i` if it is a JSON integer.
    pub fn int(&self, i: usize) -> Option<i64> {
        self.values().and_then(|v| v.get(i).and_then(|v| v.as_i64()))
    }
}

/// The handlers of a plugin: the setup function given to
/// [`plugin!`](crate::plugin) registers them, once per instance, when the
/// relay loads the plugin. A hook without a handler is never called and
/// costs nothing.
#[derive(Default)]
pub struct Plugin {
    connect: Option<Box<dyn FnMut(&Session) -> Verdict>>,
    event_pre: Option<EventFn>,
    event: Option<EventFn>,
    req: Option<ReqFn>,
    count: Option<ReqFn>,
    auth: Option<EventFn>,
    deliver: Option<EventFn>,
    close: Option<Box<dyn FnMut(&Session)>>,
    limitation: Option<Box<dyn FnMut() -> String>>,
    manage: Vec<(String, ManageFn)>,
    tick: Option<Box<dyn FnMut() -> Result<(), String>>>,
}

impl Plugin {
    /// Handles new connections, before the websocket upgrade.
    pub fn on_connect(&mut self, f: impl FnMut(&Session) -> Verdict + 'static) {
        self.connect = Some(Box::new(f));
    }
    /// Handles incoming events before their signature is checked: the place
    /// for cheap checks that shed load.
    pub fn on_event_pre(&mut self, f: impl FnMut(&Event) -> Verdict + 'static) {
        self.event_pre = Some(Box::new(f));
    }
    /// Handles incoming events whose id and signature are valid.
    pub fn on_event(&mut self, f: impl FnMut(&Event) -> Verdict + 'static) {
        self.event = Some(Box::new(f));
    }
    /// Handles REQs (and the filter of a NIP-77 NEG-OPEN): accept, reject
    /// or `rewrite_filters`.
    pub fn on_req(&mut self, f: impl FnMut(&Req) -> Verdict + 'static) {
        self.req = Some(Box::new(f));
    }
    /// Handles COUNTs (NIP-45): accept, reject or `rewrite_filters`.
    pub fn on_count(&mut self, f: impl FnMut(&Req) -> Verdict + 'static) {
        self.count = Some(Box::new(f));
    }
    /// Handles NIP-42 AUTH events that passed the relay's checks; the
    /// event's pubkey is the key the session authenticates as.
    pub fn on_auth(&mut self, f: impl FnMut(&Event) -> Verdict + 'static) {
        self.auth = Some(Box::new(f));
    }
    /// Handles each live event about to be sent to one session: reject
    /// drops it, `rewrite_event` replaces its JSON.
    pub fn on_deliver(&mut self, f: impl FnMut(&Event) -> Verdict + 'static) {
        self.deliver = Some(Box::new(f));
    }
    /// Is told when a session ends.
    pub fn on_close(&mut self, f: impl FnMut(&Session) + 'static) {
        self.close = Some(Box::new(f));
    }
    /// Reports keys the relay merges into the NIP-11 `limitation` object,
    /// as a JSON object (`{"min_pow_difficulty":20}`); called once per
    /// load.
    pub fn on_limitation(&mut self, f: impl FnMut() -> String + 'static) {
        self.limitation = Some(Box::new(f));
    }

    /// Serves the NIP-86 management method `method` (such as
    /// `"banpubkey"`, 1 to `abi::MAX_METHOD_LEN` bytes of `a-z`, `0-9`,
    /// `_`) with `f`: `Ok(Some(json))` answers that JSON, `Ok(None)`
    /// answers `true`, `Err(reason)` is the error the management API
    /// answers with. The relay refuses to load a plugin that declares a
    /// method the relay or another plugin serves, and answers only once the
    /// durable state writes `f` made are committed. Check
    /// `abi::FEATURE_MANAGE`: an older host never calls it.
    pub fn on_manage(&mut self, method: &str, f: impl FnMut(&Params) -> Result<Option<String>, String> + 'static) {
        self.manage.retain(|(m, _)| m != method);
        self.manage.push((method.to_string(), Box::new(f)));
    }
    /// Registers the plugin's periodic work (`abi::FEATURE_TICK`): the
    /// relay calls `f` right after it loads the plugin, then `tick_ms`
    /// after the previous tick ended, on an instance of its own (hand
    /// results to the hooks through durable or shared state), with a
    /// deadline of its own. `Err(reason)` is a failed tick, logged by the
    /// relay; the hooks go on.
    pub fn on_tick(&mut self, f: impl FnMut() -> Result<(), String> + 'static) {
        self.tick = Some(Box::new(f));
    }

    /// The declared methods as the JSON array `OutputMethods` takes.
    fn methods_json(&self) -> String {
        let mut names: Vec<&str> = self.manage.iter().map(|(m, _)| m.as_str()).collect();
        names.sort_unstable();
        let mut out = String::from("[");
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            crate::json::write_string(&mut out, n);
        }
        out.push(']');
        out
    }

    fn mask(&self) -> i32 {
        let mut m = 0;
        let hooks = [
            (self.connect.is_some(), abi::HOOK_CONNECT),
            (self.event_pre.is_some(), abi::HOOK_EVENT_PRE),
            (self.event.is_some(), abi::HOOK_EVENT),
            (self.req.is_some(), abi::HOOK_REQ),
            (self.count.is_some(), abi::HOOK_COUNT),
            (self.auth.is_some(), abi::HOOK_AUTH),
            (self.deliver.is_some(), abi::HOOK_DELIVER),
            (self.close.is_some(), abi::HOOK_CLOSE),
            (!self.manage.is_empty(), abi::HOOK_MANAGE),
            (self.tick.is_some(), abi::HOOK_TICK),
        ];
        for (set, h) in hooks {
            if set {
                m |= 1 << h;
            }
        }
        m
    }
}

// A wasm instance is single-threaded: one Plugin per instance.
thread_local! {
    static PLUGIN: RefCell<Option<Plugin>> = RefCell::new(None);
}

fn set_message(msg: &str) {
    let mut end = msg.len().min(abi::MAX_MESSAGE_LEN as usize);
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    host::set_output(abi::OUTPUT_MESSAGE, msg[..end].as_bytes());
}

#[doc(hidden)]
pub fn __init(setup: fn(&mut Plugin) -> Result<(), String>) -> i32 {
    let mut p = Plugin::default();
    if let Err(msg) = setup(&mut p) {
        set_message(&msg);
        return -1;
    }
    let mask = p.mask();
    if !p.manage.is_empty() {
        // An older host answers ERR_INVALID and never calls the methods.
        host::set_output(abi::OUTPUT_METHODS, p.methods_json().as_bytes());
    }
    PLUGIN.with(|cell| *cell.borrow_mut() = Some(p));
    mask
}

#[doc(hidden)]
pub fn __limitation() -> i32 {
    let out = PLUGIN.with(|cell| cell.borrow_mut().as_mut().and_then(|p| p.limitation.as_mut().map(|f| f())));
    match out {
        Some(json) => host::set_output(abi::OUTPUT_LIMITATION, json.as_bytes()),
        None => 0,
    }
}

#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn __dispatch(
    hook: i32,
    session: i64,
    kind: i32,
    created_at: i64,
    received_at: i64,
    size: i32,
    count: i32,
    flags: i32,
) -> i32 {
    let s = Session { id: session as u64, flags };
    let v = PLUGIN.with(|cell| {
        let mut guard = cell.borrow_mut();
        let p = match guard.as_mut() {
            Some(p) => p,
            None => return Verdict::default(),
        };
        let ev = |s| Event { session: s, kind, created_at, received_at, content_len: size, tag_count: count };
        let run = |f: &mut Option<EventFn>, e: Event| f.as_mut().map(|f| f(&e)).unwrap_or_default();
        let runq = |f: &mut Option<ReqFn>, r: Req| f.as_mut().map(|f| f(&r)).unwrap_or_default();
        match hook {
            abi::HOOK_CONNECT => p.connect.as_mut().map(|f| f(&s)).unwrap_or_default(),
            abi::HOOK_EVENT_PRE => run(&mut p.event_pre, ev(s)),
            abi::HOOK_EVENT => run(&mut p.event, ev(s)),
            abi::HOOK_REQ => runq(&mut p.req, Req { session: s, count }),
            abi::HOOK_COUNT => runq(&mut p.count, Req { session: s, count }),
            abi::HOOK_AUTH => run(&mut p.auth, ev(s)),
            abi::HOOK_DELIVER => run(&mut p.deliver, ev(s)),
            abi::HOOK_CLOSE => {
                if let Some(f) = p.close.as_mut() {
                    f(&s);
                }
                Verdict::default()
            }
            _ => Verdict::default(),
        }
    });
    emit(hook, &v)
}

#[doc(hidden)]
pub fn __manage(count: i32) -> i32 {
    let v = PLUGIN.with(|cell| {
        let mut guard = cell.borrow_mut();
        let p = match guard.as_mut() {
            Some(p) => p,
            None => return crate::verdict::reject(crate::Prefix::Error, "sdk: not initialised"),
        };
        let method = match host::field("manage", abi::FIELD_METHOD) {
            Ok(m) => m,
            Err(_) => return crate::verdict::reject(crate::Prefix::Error, "sdk: no method"),
        };
        let f = match p.manage.iter_mut().find(|(m, _)| m.as_bytes() == method.as_slice()) {
            Some((_, f)) => f,
            None => return crate::verdict::reject(crate::Prefix::Invalid, &format!("unknown method {}", host::text(method))),
        };
        let raw = match host::field("manage", abi::FIELD_PARAMS) {
            Ok(r) => r,
            Err(_) => return crate::verdict::reject(crate::Prefix::Error, "sdk: no params"),
        };
        match f(&Params { raw, count }) {
            Ok(None) => Verdict::default(),
            Ok(Some(json)) => {
                if host::set_output(abi::OUTPUT_RESULT, json.as_bytes()) < 0 {
                    crate::verdict::reject(crate::Prefix::Error, "result over abi::MAX_RESULT_LEN")
                } else {
                    Verdict::default()
                }
            }
            Err(msg) => crate::verdict::reject(crate::Prefix::Invalid, &msg),
        }
    });
    emit(abi::HOOK_MANAGE, &v)
}

#[doc(hidden)]
pub fn __tick() -> i32 {
    let r = PLUGIN.with(|cell| cell.borrow_mut().as_mut().and_then(|p| p.tick.as_mut().map(|f| f())));
    match r {
        Some(Err(msg)) => {
            set_message(&msg);
            -1
        }
        _ => 0,
    }
}

/// Hands the verdict's message and output to the host and packs it.
fn emit(hook: i32, v: &Verdict) -> i32 {
    if !v.message.is_empty() {
        set_message(&v.message);
    }
    if v.action == Action::Rewrite {
        let kind = if hook == abi::HOOK_DELIVER { abi::OUTPUT_PAYLOAD } else { abi::OUTPUT_FILTERS };
        host::set_output(kind, &v.output);
    }
    pack(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manage_and_tick_registration() {
        let mut p = Plugin::default();
        assert_eq!(p.mask() & (1 << abi::HOOK_MANAGE | 1 << abi::HOOK_TICK), 0);
        p.on_manage("unbanpubkey", |_| Ok(None));
        p.on_manage("banpubkey", |_| Ok(Some("true".into())));
        p.on_manage("banpubkey", |_| Err("again".into())); // replaces the first
        p.on_tick(|| Ok(()));
        assert_eq!(p.methods_json(), r#"["banpubkey","unbanpubkey"]"#);
        assert_eq!(p.mask(), 1 << abi::HOOK_MANAGE | 1 << abi::HOOK_TICK);
        let f = &mut p.manage.iter_mut().find(|(m, _)| m == "banpubkey").unwrap().1;
        assert_eq!(f(&Params::default()), Err("again".to_string()));
    }

    #[test]
    fn params() {
        let p = Params { raw: br#"["aa", 7, {"x":1}]"#.to_vec(), count: 3 };
        assert_eq!(p.string(0).as_deref(), Some("aa"));
        assert_eq!(p.int(1), Some(7));
        assert_eq!(p.string(1), None);
        assert_eq!(p.string(3), None);
        assert_eq!(p.values().map(|v| v.len()), Some(3));
        assert_eq!(Params { raw: b"{}".to_vec(), count: 0 }.values(), None);
    }
}
