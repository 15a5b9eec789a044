//! The Rust SDK's TCK plugin: it runs the command each hook call carries
//! with the Rust SDK, as sdk/tck/README.md specifies, so that the
//! conformance kit checks the SDK against ABI.md.

use relayd::config::Config;
use relayd::{abi, accept, db, rate_limited, reject, rewrite_event, rewrite_filters, shadow_reject, state};
use relayd::{Error, Event, Level, Plugin, Prefix, Req, Session, Verdict};

relayd::plugin!(setup);

fn setup(p: &mut Plugin) -> Result<(), String> {
    let cfg = Config::load()?;
    if let Some(msg) = cfg.string("init_fail")? {
        return Err(msg);
    }
    p.on_connect(|s| run(&s.header("x-tck"), Call::Session(s)));
    p.on_event_pre(on_event);
    p.on_event(on_event);
    p.on_auth(on_event);
    p.on_deliver(on_event);
    p.on_req(on_req);
    p.on_count(on_req);
    p.on_close(|s| {
        run(&s.header("x-tck"), Call::Session(s));
    });
    p.on_limitation(|| r#"{"tck":1}"#.to_string());
    p.on_manage("tck", manage);
    if cfg.bool("tick")? == Some(true) {
        p.on_tick(|| state::counter_add("tck-ticks", 1, 0).map(|_| ()).map_err(|e| e.to_string()));
    }
    Ok(())
}

/// Serves the method tck: its first param is a command (sdk/tck/README.md,
/// "Management").
fn manage(p: &relayd::Params) -> Result<Option<String>, String> {
    let cmd = p.string(0).ok_or_else(|| "want one string param".to_string())?;
    let (op, rest) = cmd.split_once(' ').unwrap_or((cmd.as_str(), ""));
    match op {
        "result" => Ok(Some(rest.to_string())),
        "refuse" => Err(rest.to_string()),
        "params" => Ok(Some(String::from_utf8_lossy(&p.raw).into_owned())),
        _ => Err("unknown command".to_string()),
    }
}

fn on_event(e: &Event) -> Verdict {
    run(&e.content(), Call::Event(e))
}

fn on_req(r: &Req) -> Verdict {
    run(&r.sub_id(), Call::Req(r))
}

/// The input of one hook call.
enum Call<'a> {
    Session(&'a Session),
    Event(&'a Event),
    Req(&'a Req),
}

impl<'a> Call<'a> {
    fn session(&self) -> &Session {
        match self {
            Call::Session(s) => s,
            Call::Event(e) => e.session(),
            Call::Req(r) => r.session(),
        }
    }
}

/// The number of arguments of each operation; the last is the rest of the
/// command.
fn arity(op: &str) -> Option<usize> {
    Some(match op {
        "accept" | "shadow" | "panic" | "now" | "db-usage" => 0,
        "reject" | "log" | "counter-add" | "kv-set" | "db-put" | "db-new" => 2,
        "kv-cas" => 3,
        "take" => 4,
        "ratelimit" | "rewrite" | "get" | "tag" | "tagvalue" | "header" | "file" | "config-ints" | "feature"
        | "counter-get" | "kv-get" | "kv-del" | "db-get" | "db-has" | "db-del" | "db-keys" | "db-scan" | "db-count"
        | "store-count"
        | "store-query" => 1,
        _ => return None,
    })
}

fn run(cmd: &str, c: Call) -> Verdict {
    let (op, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
    let n = match arity(op) {
        Some(n) => n,
        None => return reject(Prefix::Invalid, &format!("unknown command: {}", op)),
    };
    let mut a: Vec<&str> = if n > 0 { rest.splitn(n, ' ').collect() } else { Vec::new() };
    while a.len() < n {
        a.push("");
    }
    match op {
        "accept" => accept(),
        "reject" => reject(prefix(a[0]), a[1]),
        "shadow" => shadow_reject(),
        "ratelimit" => rate_limited(a[0]),
        "rewrite" => match c {
            Call::Req(_) => rewrite_filters(a[0]),
            _ => rewrite_event(a[0]),
        },
        "panic" => panic!("tck: panic"),
        "log" => {
            relayd::log(level(a[0]), a[1]);
            accept()
        }
        _ => answer(value(op, &a, &c)),
    }
}

fn prefix(name: &str) -> Prefix {
    match name {
        "blocked" => Prefix::Blocked,
        "rate-limited" => Prefix::RateLimited,
        "invalid" => Prefix::Invalid,
        "restricted" => Prefix::Restricted,
        "auth-required" => Prefix::AuthRequired,
        "pow" => Prefix::Pow,
        "duplicate" => Prefix::Duplicate,
        "error" => Prefix::Error,
        "mute" => Prefix::Mute,
        _ => Prefix::Default,
    }
}

fn level(name: &str) -> Level {
    match name {
        "debug" => Level::Debug,
        "warn" => Level::Warn,
        "error" => Level::Error,
        _ => Level::Info,
    }
}

/// Reports a value: reject(blocked, VALUE), (none) for ERR_NOT_FOUND,
/// (error N) for another host error.
fn answer(v: Result<String, Error>) -> Verdict {
    let text = match v {
        Ok(s) => s,
        Err(e) if e.code == abi::ERR_NOT_FOUND => "(none)".to_string(),
        Err(e) => format!("(error {})", e.code),
    };
    reject(Prefix::Blocked, &text)
}

fn none(v: Option<String>) -> String {
    v.unwrap_or_else(|| "(none)".to_string())
}

fn not_found() -> Error {
    Error { op: "get", code: abi::ERR_NOT_FOUND }
}

fn value(op: &str, a: &[&str], c: &Call) -> Result<String, Error> {
    match op {
        "get" => get(a[0], c),
        "tag" => match c {
            Call::Event(e) => e.try_tag(a[0].parse().unwrap_or(usize::MAX)).map(|t| t.join("|")),
            _ => Err(not_found()),
        },
        "tagvalue" => match c {
            Call::Event(e) => e.try_tag_value(a[0]).map(none),
            _ => Err(not_found()),
        },
        "header" => c.session().try_header(a[0]),
        "file" => relayd::file(a[0]).map(text),
        "config-ints" => Ok(config_ints(a[0])),
        "feature" => {
            let bit: i64 = a[0].parse().unwrap_or(0);
            Ok(pick(relayd::features() & bit != 0, "yes", "no"))
        }
        "now" => Ok(pick(relayd::now() > 1_600_000_000_000_000_000, "ok", "bad")),
        _ => shared(op, a),
    }
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

fn pick(ok: bool, yes: &str, no: &str) -> String {
    if ok { yes } else { no }.to_string()
}

fn get(name: &str, c: &Call) -> Result<String, Error> {
    let s = c.session();
    match name {
        "session" => return Ok(s.id().to_string()),
        "ip" => return s.try_ip(),
        "authed" => return s.try_authed().map(|a| if a.is_empty() { "(none)".to_string() } else { a }),
        "is_authed" => return Ok(s.is_authed().to_string()),
        "connected_at" => return s.try_connected_at().map(|n| n.to_string()),
        "plugin" => return Ok(relayd::plugin_name()),
        "config" => return relayd::config_json().map(text),
        _ => {}
    }
    match c {
        Call::Req(r) => match name {
            "sub" => r.try_sub_id(),
            "filters" => r.try_filters_json().map(text),
            "filter_count" => Ok(r.filter_count().to_string()),
            _ => Err(not_found()),
        },
        Call::Event(e) => get_event(name, e),
        Call::Session(_) => Err(not_found()),
    }
}

fn get_event(name: &str, e: &Event) -> Result<String, Error> {
    match name {
        "id" => e.try_id(),
        "pubkey" => e.try_pubkey(),
        "sig" => e.try_sig(),
        "content" => e.try_content(),
        "tags" => e.try_tags_json().map(text),
        "raw" => e.try_raw().map(text),
        "strfry" => e.try_strfry_input().map(text),
        "sub" => e.try_sub_id(),
        "kind" => Ok(e.kind().to_string()),
        "created_at" => Ok(e.created_at().to_string()),
        "received_at" => Ok(e.received_at().to_string()),
        "content_len" => Ok(e.content_len().to_string()),
        "tag_count" => Ok(e.tag_count().to_string()),
        "source" => Ok(e.source().name().to_string()),
        _ => Err(not_found()),
    }
}

fn config_ints(key: &str) -> String {
    let cfg = match Config::load() {
        Ok(c) => c,
        Err(e) => return e,
    };
    match cfg.ints(key) {
        Ok(Some(v)) => v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","),
        Ok(None) => "(none)".to_string(),
        Err(_) => "(invalid)".to_string(),
    }
}

fn shared(op: &str, a: &[&str]) -> Result<String, Error> {
    match op {
        "counter-add" => state::counter_add(a[0], a[1].parse().unwrap_or(0), 0).map(|n| n.to_string()),
        "counter-get" => state::counter_get(a[0]).map(|n| n.to_string()),
        "take" => {
            let cost = a[1].parse().unwrap_or(0);
            let rate = a[2].parse().unwrap_or(0.0);
            let burst = a[3].parse().unwrap_or(0);
            state::take(a[0], cost, rate, burst).map(|wait| pick(wait.is_none(), "ok", "wait"))
        }
        "kv-set" => state::kv_set(a[0], a[1].as_bytes(), 0).map(|_| "ok".to_string()),
        "kv-get" => state::kv_get(a[0]).map(|v| none(v.map(text))),
        "kv-cas" => {
            let old = if a[1] == "-" { None } else { Some(a[1].as_bytes()) };
            state::kv_cas(a[0], old, a[2].as_bytes(), 0).map(|ok| pick(ok, "stored", "mismatch"))
        }
        "kv-del" => state::kv_delete(a[0]).map(|ok| pick(ok, "deleted", "(none)")),
        "store-count" => relayd::store_count(a[0]).map(|n| n.to_string()),
        "store-query" => relayd::store_query(a[0]).map(|r| {
            let lens: Vec<String> = r.events().map(|e| e.len().to_string()).collect();
            let mut out = format!("{} {}", r.len(), if r.truncated() { "yes" } else { "no" });
            if !lens.is_empty() {
                out.push(' ');
                out.push_str(&lens.join(","));
            }
            out
        }),
        _ => durable(op, a),
    }
}

fn durable(op: &str, a: &[&str]) -> Result<String, Error> {
    match op {
        "db-put" => db::put(a[0], a[1].as_bytes()).map(|_| "ok".to_string()),
        "db-new" => db::put_new(a[0], a[1].as_bytes()).map(|ok| pick(ok, "stored", "exists")),
        "db-get" => db::get(a[0]).map(|v| none(v.map(text))),
        "db-has" => db::has(a[0]).map(|ok| pick(ok, "yes", "no")),
        "db-del" => db::delete(a[0]).map(|ok| pick(ok, "deleted", "(none)")),
        "db-keys" => db::keys(a[0]).map(|ks| joined(ks.into_iter().map(text).collect())),
        "db-scan" => {
            let mut out = Vec::new();
            db::scan(a[0], |k, v| {
                out.push(format!("{}={}", String::from_utf8_lossy(k), String::from_utf8_lossy(v)));
                true
            })?;
            Ok(joined(out))
        }
        "db-count" => {
            let (mut keys, mut bytes) = (0, 0);
            db::scan(a[0], |_, v| {
                keys += 1;
                bytes += v.len();
                true
            })?;
            Ok(format!("{} {}", keys, bytes))
        }
        "db-usage" => db::usage().map(|u| format!("{} {} {} {}", u.keys, u.bytes, u.max_keys, u.max_bytes)),
        _ => Err(Error { op: "tck", code: abi::ERR_INTERNAL }),
    }
}

fn joined(v: Vec<String>) -> String {
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join("|")
    }
}
