// The exports of a relayd plugin. Re-export them from your entry file:
//
//   export * from "@relayd/sdk/exports";
//
// Every hook is exported; relayd_init tells the relay which ones your
// plugin registered (onEvent, onReq, onManage, onTick...), and the relay
// calls only those.

import { Version, HookConnect, HookEventPre, HookEvent, HookReq, HookCount, HookAuth, HookDeliver, HookClose } from "./assembly/abi";
import { dispatch, initGuest, limitation, manage, tick } from "./assembly/handlers";

export function relayd_abi_version(): i32 { return Version; }
export function relayd_init(): i32 { return initGuest(); }
export function relayd_limitation(): i32 { return limitation(); }
export function relayd_on_connect(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookConnect, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_event_pre(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookEventPre, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_event(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookEvent, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_req(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookReq, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_count(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookCount, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_auth(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookAuth, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_deliver(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookDeliver, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_close(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return dispatch(HookClose, session, kind, createdAt, receivedAt, size, count, flags); }
export function relayd_on_manage(session: i64, kind: i32, createdAt: i64, receivedAt: i64, size: i32, count: i32, flags: i32): i32 { return manage(); }
export function relayd_on_tick(): i32 { return tick(); }
