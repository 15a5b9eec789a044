// Handler registration and the hook dispatch behind the exports.

import {
  ActionRewrite, HookAuth, HookClose, HookConnect, HookCount, HookDeliver, HookEvent, HookEventPre, HookReq,
  MaxMessageLen, OutputFilters, OutputLimitation, OutputMessage, OutputPayload, ErrInvalid,
} from "./abi";
import * as host from "./host";
import { encodeOut, outPtr } from "./read";
import { Verdict, accept } from "./verdict";
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
  return hooks;
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
