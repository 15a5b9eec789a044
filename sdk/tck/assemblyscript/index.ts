// The AssemblyScript SDK's TCK plugin: it runs the command each hook call
// carries with the SDK in sdk/assemblyscript, as sdk/tck/README.md
// specifies, so that the conformance kit checks the SDK against ABI.md.
// Build it (from this folder, after `npm ci` in sdk/assemblyscript) with
//
//   ../../assemblyscript/node_modules/.bin/asc index.ts --config asconfig.json -o tck.wasm
import {
  Config, ErrNotFound, Errno, Event, Level, Prefix, Req, Result, Session, Verdict,
  SourceIP4, SourceIP6, SourceImport, SourceStream, SourceSync, SourceStored,
  accept, counterAdd, counterGet, features, fileString, kvCAS, kvDelete, kvGetString, kvSetString, log, now,
  onAuth, onClose, onConnect, onCount, onDeliver, onEvent, onEventPre, onInit, onLimitation, onReq,
  getConfig, pluginName, rateLimited, reject, rewriteEvent, rewriteFilters, shadowReject,
  storeCount, storeQuery, take, ManageAnswer, Params, manageError, manageResult, onManage, onTick,
} from "../../assemblyscript";
import * as db from "../../assemblyscript/db";
export * from "../../assemblyscript/exports";

onInit((): string | null => {
  const c = Config.load();
  const fail = c.string("init_fail");
  if (c.error !== null) return c.error;
  if (c.bool("tick")) onTick((): string | null => {
    const r = counterAdd("tck-ticks", 1);
    return r.ok ? null : "counter_add: " + r.err.toString();
  });
  return fail.length > 0 ? fail : null;
});
onLimitation((): string => "{\"tck\":1}");
// The method tck: its first param is a command (sdk/tck/README.md, "Management").
onManage("tck", (p: Params): ManageAnswer => {
  const cmd = p.string(0);
  if (cmd === null) return manageError("want one string param");
  const sp = cmd.indexOf(" ");
  const op = sp < 0 ? cmd : cmd.substring(0, sp);
  const rest = sp < 0 ? "" : cmd.substring(sp + 1);
  if (op == "result") return manageResult(rest);
  if (op == "refuse") return manageError(rest);
  if (op == "params") return manageResult(p.raw);
  return manageError("unknown command");
});
onConnect((s: Session): Verdict => run(s.header("x-tck"), s, null, null));
onEventPre((e: Event): Verdict => run(e.content(), e.session, e, null));
onEvent((e: Event): Verdict => run(e.content(), e.session, e, null));
onAuth((e: Event): Verdict => run(e.content(), e.session, e, null));
onDeliver((e: Event): Verdict => run(e.content(), e.session, e, null));
onReq((r: Req): Verdict => run(r.subID(), r.session, null, r));
onCount((r: Req): Verdict => run(r.subID(), r.session, null, r));
onClose((s: Session): void => { run(s.header("x-tck"), s, null, null); });

/** arity is the number of arguments of op (the last is the rest of the line), -1 for an unknown op. */
function arity(op: string): i32 {
  if (op == "accept" || op == "shadow" || op == "panic" || op == "now" || op == "db-usage") return 0;
  if (op == "reject" || op == "log" || op == "counter-add" || op == "kv-set" || op == "db-put" || op == "db-new") return 2;
  if (op == "kv-cas") return 3;
  if (op == "take") return 4;
  if (op == "ratelimit" || op == "rewrite" || op == "get" || op == "tag" || op == "tagvalue" || op == "header" ||
    op == "file" || op == "config-ints" || op == "feature" || op == "counter-get" || op == "kv-get" ||
    op == "kv-del" || op == "db-get" || op == "db-has" || op == "db-del" || op == "db-keys" || op == "db-scan" || op == "db-count" ||
    op == "store-count" || op == "store-query") return 1;
  return -1;
}

/** splitN splits s at single spaces into n parts, the last the rest of s. */
function splitN(s: string, n: i32): string[] {
  const out = new Array<string>(0);
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(" ");
    if (i < 0) break;
    out.push(rest.substring(0, i));
    rest = rest.substring(i + 1);
  }
  out.push(rest);
  while (out.length < n) out.push("");
  return out;
}

function run(cmd: string, s: Session, e: Event | null, r: Req | null): Verdict {
  const sp = cmd.indexOf(" ");
  const op = sp < 0 ? cmd : cmd.substring(0, sp);
  const n = arity(op);
  if (n < 0) return reject(Prefix.Invalid, "unknown command: " + op);
  const a = n > 0 ? splitN(sp < 0 ? "" : cmd.substring(sp + 1), n) : new Array<string>(0);
  if (op == "accept") return accept();
  if (op == "reject") return reject(prefix(a[0]), a[1]);
  if (op == "shadow") return shadowReject();
  if (op == "ratelimit") return rateLimited(a[0]);
  if (op == "rewrite") return r !== null ? rewriteFilters(a[0]) : rewriteEvent(a[0]);
  if (op == "panic") abort("tck: panic");
  if (op == "log") { log(level(a[0]), a[1]); return accept(); }
  return answer(value(op, a, s, e, r));
}

function prefix(name: string): Prefix {
  if (name == "blocked") return Prefix.Blocked;
  if (name == "rate-limited") return Prefix.RateLimited;
  if (name == "invalid") return Prefix.Invalid;
  if (name == "restricted") return Prefix.Restricted;
  if (name == "auth-required") return Prefix.AuthRequired;
  if (name == "pow") return Prefix.Pow;
  if (name == "duplicate") return Prefix.Duplicate;
  if (name == "error") return Prefix.Error;
  if (name == "mute") return Prefix.Mute;
  return Prefix.Default;
}

function level(name: string): Level {
  if (name == "debug") return Level.Debug;
  if (name == "warn") return Level.Warn;
  if (name == "error") return Level.Error;
  return Level.Info;
}

/** answer reports a value: reject(blocked, VALUE), (none) for ErrNotFound, (error N) for another host error. */
function answer(r: Result<string>): Verdict {
  if (r.err == ErrNotFound) return reject(Prefix.Blocked, "(none)");
  if (!r.ok) return reject(Prefix.Blocked, "(error " + r.err.toString() + ")");
  return reject(Prefix.Blocked, r.value);
}

function ok(v: string): Result<string> { return new Result<string>(v); }
function fail(err: Errno): Result<string> { return new Result<string>("", err); }
function pick(r: Result<bool>, yes: string, no: string): Result<string> {
  return r.ok ? ok(r.value ? yes : no) : fail(r.err);
}
function none(r: Result<bool>, yes: string): Result<string> {
  return r.ok && !r.value ? fail(ErrNotFound) : pick(r, yes, "");
}
function int(r: Result<i64>): Result<string> { return r.ok ? ok(r.value.toString()) : fail(r.err); }
function joined(s: string[]): string { return s.length == 0 ? "(none)" : s.join("|"); }

function value(op: string, a: string[], s: Session, e: Event | null, r: Req | null): Result<string> {
  if (op == "get") return get(a[0], s, e, r);
  if (op == "tag") {
    if (e === null) return fail(ErrNotFound);
    const t = e.getTag(I32.parseInt(a[0], 10));
    return t.ok ? ok(t.value.join("|")) : fail(t.err);
  }
  if (op == "tagvalue") return e === null ? fail(ErrNotFound) : e.getTagValue(a[0]);
  if (op == "header") return s.getHeader(a[0]);
  if (op == "file") return fileString(a[0]);
  if (op == "config-ints") return configInts(a[0]);
  if (op == "feature") return ok((features() & I64.parseInt(a[0], 10)) != 0 ? "yes" : "no");
  if (op == "now") return ok(now() > 1_600_000_000_000_000_000 ? "ok" : "bad");
  return state(op, a);
}

function sourceName(src: i32): string {
  if (src == SourceIP4) return "IP4";
  if (src == SourceIP6) return "IP6";
  if (src == SourceImport) return "Import";
  if (src == SourceStream) return "Stream";
  if (src == SourceSync) return "Sync";
  if (src == SourceStored) return "Stored";
  return "?";
}

function get(name: string, s: Session, e: Event | null, r: Req | null): Result<string> {
  if (name == "session") return ok(s.id.toString());
  if (name == "ip") return s.getIP();
  if (name == "authed") return s.getAuthed();
  if (name == "is_authed") return ok(s.isAuthed ? "true" : "false");
  if (name == "connected_at") return int(s.getConnectedAt());
  if (name == "plugin") return ok(pluginName());
  if (name == "config") return getConfig();
  if (r !== null) {
    if (name == "sub") return r.getSubID();
    if (name == "filters") return r.getFiltersJSON();
    if (name == "filter_count") return ok(r.filterCount.toString());
  }
  if (e !== null) {
    if (name == "id") return e.getID();
    if (name == "pubkey") return e.getPubkey();
    if (name == "sig") return e.getSig();
    if (name == "content") return e.getContent();
    if (name == "tags") return e.getTagsJSON();
    if (name == "raw") return e.getRaw();
    if (name == "strfry") return e.getStrfryInput();
    if (name == "sub") return e.getSubID();
    if (name == "kind") return ok(e.kind.toString());
    if (name == "created_at") return ok(e.createdAt.toString());
    if (name == "received_at") return ok(e.receivedAt.toString());
    if (name == "content_len") return ok(e.contentLen.toString());
    if (name == "tag_count") return ok(e.tagCount.toString());
    if (name == "source") return ok(sourceName(e.source));
  }
  return fail(ErrNotFound);
}

function configInts(key: string): Result<string> {
  const c = Config.load();
  if (!c.has(key)) return ok("(none)");
  const v = c.ints(key);
  if (c.error !== null) return ok("(invalid)");
  const out = new Array<string>(0);
  for (let i = 0; i < v.length; i++) out.push(v[i].toString());
  return ok(out.join(","));
}

function state(op: string, a: string[]): Result<string> {
  if (op == "counter-add") return int(counterAdd(a[0], I64.parseInt(a[1], 10)));
  if (op == "counter-get") return int(counterGet(a[0]));
  if (op == "take") {
    const t = take(a[0], I64.parseInt(a[1], 10), parseFloat(a[2]), I64.parseInt(a[3], 10));
    return t.err != 0 ? fail(t.err) : ok(t.ok ? "ok" : "wait");
  }
  if (op == "kv-set") { const err = kvSetString(a[0], a[1]); return err != 0 ? fail(err) : ok("ok"); }
  if (op == "kv-get") return kvGetString(a[0]);
  if (op == "kv-cas") {
    const old: Uint8Array | null = a[1] == "-" ? null : Uint8Array.wrap(String.UTF8.encode(a[1]));
    return pick(kvCAS(a[0], old, Uint8Array.wrap(String.UTF8.encode(a[2]))), "stored", "mismatch");
  }
  if (op == "kv-del") return none(kvDelete(a[0]), "deleted");
  if (op == "store-count") return int(storeCount(a[0]));
  if (op == "store-query") {
    const q = storeQuery(a[0]);
    if (!q.ok) return fail(q.err);
    let out = q.events.length.toString() + (q.truncated ? " yes" : " no");
    for (let i = 0; i < q.events.length; i++) out += (i == 0 ? " " : ",") + String.UTF8.byteLength(q.events[i], false).toString();
    return ok(out);
  }
  return durable(op, a);
}

function durable(op: string, a: string[]): Result<string> {
  if (op == "db-put") { const err = db.putString(a[0], a[1]); return err != 0 ? fail(err) : ok("ok"); }
  if (op == "db-new") return pick(db.putNew(a[0], Uint8Array.wrap(String.UTF8.encode(a[1]))), "stored", "exists");
  if (op == "db-get") return db.getString(a[0]);
  if (op == "db-has") return pick(db.has(a[0]), "yes", "no");
  if (op == "db-del") return none(db.del(a[0]), "deleted");
  if (op == "db-keys") { const k = db.keys(a[0]); return k.ok ? ok(joined(k.value)) : fail(k.err); }
  if (op == "db-scan") {
    const es = db.entries(a[0]);
    if (!es.ok) return fail(es.err);
    const out = new Array<string>(0);
    for (let i = 0; i < es.value.length; i++) {
      const en = es.value[i];
      out.push(en.key + "=" + String.UTF8.decode(en.value.buffer));
    }
    return ok(joined(out));
  }
  if (op == "db-count") {
    const es = db.entries(a[0]);
    if (!es.ok) return fail(es.err);
    let bytes = 0;
    for (let i = 0; i < es.value.length; i++) bytes += es.value[i].value.length;
    return ok(es.value.length.toString() + " " + bytes.toString());
  }
  if (op == "db-usage") {
    const u = db.usage();
    if (!u.ok) return fail(u.err);
    const v = u.value;
    return ok(v.keys.toString() + " " + v.bytes.toString() + " " + v.maxKeys.toString() + " " + v.maxBytes.toString());
  }
  return fail(-8);
}
