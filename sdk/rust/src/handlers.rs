//! Registration of handlers and the dispatch the exports of
//! [`plugin!`](crate::plugin) call.

use crate::abi;
use crate::event::{Event, Req, Session};
use crate::host;
use crate::verdict::{pack, Action, Verdict};
use std::cell::RefCell;

type EventFn = Box<dyn FnMut(&Event) -> Verdict>;
type ReqFn = Box<dyn FnMut(&Req) -> Verdict>;

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
