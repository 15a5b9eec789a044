// Handler registration and the hook dispatch behind the exports.

import {
  ActionRewrite, HookAuth, HookClose, HookConnect, HookCount, HookDeliver, HookEvent, HookEventPre, HookReq,
  MaxMessageLen, OutputFilters, OutputLimitation, OutputMessage, OutputPayload, ErrInvalid,
  FieldMethod, FieldParams, HookManage, HookTick, OutputMethods, OutputResult, OK,
} from "./abi";
import { JSONValue, parseJSON, quoteJSON } from "./json";
import * as host from "./host";
import { Read, encodeOut, outPtr, readErr, readStr } from "./read";
import { Prefix, Verdict, accept, reject } from "./verdict";
import { Event, Req, Session, endCall } from "./views";

let onConnectFn: ((s: Session) => Verdict) | null = null;
let onEventPreFn: ((e: Event) => Verdict) | null = null;
let onEventFn: ((e: Event) => Verdict) | null = null;
let onReqFn: ((r: Req) => Verdict) | null = null;
let onCountFn: ((r: Req) => Verdict) | null = null;
let onAuthFn: ((e: Event) => Verdict) | null = null;
let onDeliverFn: ((e: Event) => Verdict) | null = null;
let onCloseFn: ((s: Session) => void) | null = null;
let onInitFn: (() => string | null) | null = null;
let onLimitationFn: (() => string) | null = null;
let hooks: i32 = 0;

/** Params are the params of a management method call, a JSON array. */
export class Params {
  constructor(public raw: string, public values: JSONValue[]) {}

  /** length is the number of params. */
  get length(): i32 { return this.values.length; }

  /** string returns param i if it is a JSON string, else null. */
  string(i: i32): string | null {
    if (i < 0 || i >= this.values.length || !this.values[i].isString) return null;
    return this.values[i].str;
  }
}

/**
 * ManageAnswer is what a management method's handler returns: manageResult
 * (a JSON value), manageOK (true) or manageError (the API's error).
 */
export class ManageAnswer {
  constructor(public result: string | null, public error: string | null) {}
}

/** manageResult answers with json, any JSON value. */
export function manageResult(json: string): ManageAnswer { return new ManageAnswer(json, null); }

/** manageOK answers true. */
export function manageOK(): ManageAnswer { return new ManageAnswer(null, null); }

/** manageError refuses with reason, the error the management API answers. */
export function manageError(reason: string): ManageAnswer { return new ManageAnswer(null, reason); }

const manageNames = new Array<string>(0);
const manageFns = new Array<(p: Params) => ManageAnswer>(0);
let onTickFn: (() => string | null) | null = null;

function register(h: i32, set: bool): void {
  if (set) hooks |= 1 << h;
  else hooks &= ~(1 << h);
}

/** onConnect handles new connections, before the websocket upgrade. */
export function onConnect(fn: (s: Session) => Verdict): void { onConnectFn = fn; register(HookConnect, true); }

/** onEventPre handles incoming events before their signature is checked: cheap checks that shed load. */
export function onEventPre(fn: (e: Event) => Verdict): void { onEventPreFn = fn; register(HookEventPre, true); }

/** onEvent handles incoming events whose id and signature are valid. */
export function onEvent(fn: (e: Event) => Verdict): void { onEventFn = fn; register(HookEvent, true); }

/** onReq handles REQs (and the filter of a NIP-77 NEG-OPEN): accept, reject, or rewriteFilters. */
export function onReq(fn: (r: Req) => Verdict): void { onReqFn = fn; register(HookReq, true); }

/** onCount handles COUNTs (NIP-45): accept, reject, or rewriteFilters. */
export function onCount(fn: (r: Req) => Verdict): void { onCountFn = fn; register(HookCount, true); }

/** onAuth handles NIP-42 AUTH events that passed the relay's checks; the event's pubkey is the key. */
export function onAuth(fn: (e: Event) => Verdict): void { onAuthFn = fn; register(HookAuth, true); }

/** onDeliver handles each live event about to be sent to one session: reject drops it, rewriteEvent replaces it. */
export function onDeliver(fn: (e: Event) => Verdict): void { onDeliverFn = fn; register(HookDeliver, true); }

/** onClose is told when a session ends. */
export function onClose(fn: (s: Session) => void): void { onCloseFn = fn; register(HookClose, true); }

/**
 * onManage serves the NIP-86 management method named method (such as
 * "banpubkey"; 1 to MaxMethodLen bytes of a-z, 0-9 and _) with fn.
 * Register at the top level or in onInit. The relay refuses to load a
 * plugin that declares a method the relay or another plugin serves, and
 * answers only once the durable state writes fn made are committed. Check
 * FeatureManage: an older host never calls it.
 */
export function onManage(method: string, fn: (p: Params) => ManageAnswer): void {
  const i = manageNames.indexOf(method);
  if (i >= 0) manageFns[i] = fn;
  else { manageNames.push(method); manageFns.push(fn); }
  register(HookManage, true);
}

/**
 * onTick registers the plugin's periodic work (FeatureTick): the relay
 * calls fn right after it loads the plugin, then tick_ms after the previous
 * tick ended, on an instance of its own (hand results to the hooks through
 * durable or shared state) with a deadline of its own. Return null, or a
 * reason for a failed tick (logged by the relay; the hooks go on).
 */
export function onTick(fn: () => string | null): void { onTickFn = fn; register(HookTick, true); }

/** methodsJSON is the declared methods as the JSON array OutputMethods takes. */
export function methodsJSON(): string {
  const names = manageNames.slice(0);
  names.sort();
  let out = "[";
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ",";
    out += quoteJSON(names[i]);
  }
  return out + "]";
}

/**
 * onInit runs once per instance when the relay loads the plugin, after the
 * top-level code: read and check the config here. Return null to start, or
 * a reason to refuse the load (the previous version keeps running).
 */
export function onInit(fn: () => string | null): void { onInitFn = fn; }

/**
 * onLimitation returns a JSON object of keys the relay merges into the
 * NIP-11 "limitation" object, e.g. {"min_pow_difficulty":20}; called once
 * per load.
 */
export function onLimitation(fn: () => string): void { onLimitationFn = fn; }

/** setOutput hands bytes of a string to the host as output kind. */
function setOutput(kind: i32, s: string, max: i32): i32 {
  let n = encodeOut(s);
  if (max > 0 && n > max) n = max;
  return host.set_output(kind, outPtr(), n);
}

/** initGuest is relayd_init: the hook mask, or -1 with a reason. */
export function initGuest(): i32 {
  const fn = onInitFn;
  if (fn !== null) {
    const err = fn();
    endCall();
    if (err !== null) {
      setOutput(OutputMessage, err, MaxMessageLen);
      return -1;
    }
  }
  // An older host answers ErrInvalid and never calls the methods.
  if (manageNames.length > 0) setOutput(OutputMethods, methodsJSON(), 0);
  return hooks;
}

/** manage is relayd_on_manage: runs the handler of the method called. */
export function manage(): i32 {
  const method = readStr(Read.Field, FieldMethod, null);
  let v = accept();
  if (readErr != OK) v = reject(Prefix.Error, "sdk: no method");
  else {
    const i = manageNames.indexOf(method);
    if (i < 0) v = reject(Prefix.Invalid, "unknown method " + method);
    else {
      const raw = readStr(Read.Field, FieldParams, null);
      const parsed = readErr == OK ? parseJSON(raw) : null;
      if (parsed === null || !parsed.isArray) v = reject(Prefix.Error, "sdk: no params");
      else {
        const a = manageFns[i](new Params(raw, parsed.items));
        const err = a.error;
        const res = a.result;
        if (err !== null) v = reject(Prefix.Invalid, err);
        else if (res !== null && setOutput(OutputResult, res, 0) < 0) v = reject(Prefix.Error, "result over MaxResultLen");
      }
    }
  }
  endCall();
  return emit(HookManage, v);
}

/** tick is relayd_on_tick: 0, or -1 with the reason as the message. */
export function tick(): i32 {
  const fn = onTickFn;
  if (fn === null) return 0;
  const err = fn();
  endCall();
  if (err === null) return 0;
  setOutput(OutputMessage, err, MaxMessageLen);
  return -1;
}

/** limitation is relayd_limitation. */
export function limitation(): i32 {
  const fn = onLimitationFn;
  if (fn === null) return 0;
  const s = fn();
  if (s.length == 0) return 0;
  if (s.charCodeAt(0) != 0x7b) return ErrInvalid; // not an object
  return setOutput(OutputLimitation, s, 0);
}

/** dispatch runs the handler of hook h and returns the packed verdict. */
export function dispatch(h: i32, session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 {
  const s = new Session(<u64>session, flags);
  let v = accept();
  switch (h) {
    case HookConnect: { const fn = onConnectFn; if (fn !== null) v = fn(s); break; }
    case HookEventPre: { const fn = onEventPreFn; if (fn !== null) v = fn(new Event(s, kind, createdAt, receivedAt, size, count)); break; }
    case HookEvent: { const fn = onEventFn; if (fn !== null) v = fn(new Event(s, kind, createdAt, receivedAt, size, count)); break; }
    case HookReq: { const fn = onReqFn; if (fn !== null) v = fn(new Req(s, count)); break; }
    case HookCount: { const fn = onCountFn; if (fn !== null) v = fn(new Req(s, count)); break; }
    case HookAuth: { const fn = onAuthFn; if (fn !== null) v = fn(new Event(s, kind, createdAt, receivedAt, size, count)); break; }
    case HookDeliver: { const fn = onDeliverFn; if (fn !== null) v = fn(new Event(s, kind, createdAt, receivedAt, size, count)); break; }
    case HookClose: { const fn = onCloseFn; if (fn !== null) fn(s); break; }
  }
  endCall(); // the views of this call expire as it returns
  return emit(h, v);
}

/** emit hands the verdict's message and output to the host and packs it. */
function emit(h: i32, v: Verdict): i32 {
  if (v.message.length > 0) setOutput(OutputMessage, v.message, MaxMessageLen);
  if (v.action == ActionRewrite) setOutput(h == HookDeliver ? OutputPayload : OutputFilters, v.output, 0);
  return v.action | (<i32>v.prefix << 8);
}
