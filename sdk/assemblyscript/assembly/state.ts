// The relay's services: clock, log, features, listed files, shared state
// (counters, token buckets, kv) and the event store.
//
// Shared state is owned by the host and shared by every instance of the
// plugin (the relay runs several and may replace one at any time, so module
// globals are per instance and short-lived); it survives reloads but not a
// restart of the relay. What must survive restarts belongs in the durable
// state (db).

import * as host from "./host";
import {
  FeatureDB, FeatureFiles, FeatureState, FeatureStore, FieldConfig, FieldPluginName, FieldRelayVersion,
  LogDebug, LogError, LogInfo, LogWarn, MaxLogLen, OK, ErrMismatch, ErrNotFound,
} from "./abi";
import { Errno, Result } from "./result";
import { Read, bytesOf, check, encodeKey, encodeOut, keyPtr, outPtr, readBytes, readStr, readString, utf8 } from "./read";

/** Level is a log level (LogDebug...). */
export enum Level { Debug = LogDebug, Info = LogInfo, Warn = LogWarn, Error = LogError }

/** logEnabled reports whether a line at level would be written: check it before building a costly line. */
export function logEnabled(level: Level): bool { return host.log_enabled(level) != 0; }

/** log writes a line to the relay's log, tagged with the plugin's name (truncated past MaxLogLen bytes). */
export function log(level: Level, msg: string): void {
  const n = encodeOut(msg);
  host.log(level, outPtr(), min(n, MaxLogLen));
}

/** now is the relay's clock in unix nanoseconds. */
export function now(): i64 { return host.now(); }

/** nowSeconds is the relay's clock in unix seconds. */
export function nowSeconds(): i64 { return host.now() / 1_000_000_000; }

/** features are the host's Feature bits (FeatureStore...). */
export function features(): i64 { return host.features(); }

/** hasStore reports whether storeCount is backed by an event store. */
export function hasStore(): bool { return (host.features() & FeatureStore) != 0; }

/** hasState reports whether the shared state functions are available. */
export function hasState(): bool { return (host.features() & FeatureState) != 0; }

/** hasFiles reports whether file() can read the plugin's listed files. */
export function hasFiles(): bool { return (host.features() & FeatureFiles) != 0; }

/** hasDB reports whether the durable state (db) is available. */
export function hasDB(): bool { return (host.features() & FeatureDB) != 0; }

/** config is the plugin's [config] table as a JSON object ("{}" if none); see configObject. */
export function config(): string { const r = getConfig(); return r.ok ? r.value : "{}"; }
/** getConfig is config with the host's error. */
export function getConfig(): Result<string> { return readString(Read.Field, FieldConfig, null); }

/** pluginName is the plugin's name (its file name without .wasm). */
export function pluginName(): string { return readStr(Read.Field, FieldPluginName, null); }

/** relayVersion is the relay's version string. */
export function relayVersion(): string { return readStr(Read.Field, FieldRelayVersion, null); }

/**
 * file reads a file the operator listed in the plugin's settings
 * (files = ["banned.txt"] in NAME.toml): ErrNotFound if not listed. The
 * relay reloads the plugin when it changes, so read it once, in onInit.
 */
export function file(name: string): Result<Uint8Array> { return readBytes(Read.File, 0, name); }

/** fileString is file as UTF-8 text. */
export function fileString(name: string): Result<string> { return readString(Read.File, 0, name); }

// One i64 result slot for counter_add, counter_get and store_count.
const slot = new ArrayBuffer(8);

/** counterAdd adds delta to shared counter key and returns the new value; a counter it creates expires after ttlMs (0: never). */
export function counterAdd(key: string, delta: i64, ttlMs: i64 = 0): Result<i64> {
  const kl = encodeKey(key);
  const rc = host.counter_add(keyPtr(), kl, delta, ttlMs, changetype<usize>(slot));
  return rc < 0 ? new Result<i64>(0, rc) : new Result<i64>(load<i64>(changetype<usize>(slot)));
}

/** counterGet reads shared counter key (0 if absent). */
export function counterGet(key: string): Result<i64> {
  const kl = encodeKey(key);
  const rc = host.counter_get(keyPtr(), kl, changetype<usize>(slot));
  return rc < 0 ? new Result<i64>(0, rc) : new Result<i64>(load<i64>(changetype<usize>(slot)));
}

/** Take is the answer of take: ok, or how long to wait, or a host error. */
export class Take {
  constructor(public ok: bool, public retryAfterMs: i64, public err: Errno) {}
}

/**
 * take takes cost tokens from shared token bucket key, which refills at
 * rate tokens per second up to burst and starts full: ok, or the
 * milliseconds until cost tokens will be there.
 */
export function take(key: string, cost: i64, rate: f64, burst: i64): Take {
  const kl = encodeKey(key);
  const r = host.bucket_take(keyPtr(), kl, cost, rate, burst);
  if (r < 0) return new Take(false, 0, <Errno>r);
  return new Take(r == 0, r, OK);
}

/** kvGet reads shared key: ErrNotFound if absent. */
export function kvGet(key: string): Result<Uint8Array> { return readBytes(Read.KV, 0, key); }

/** kvGetString is kvGet as UTF-8 text. */
export function kvGetString(key: string): Result<string> { return readString(Read.KV, 0, key); }

/** kvSet stores a copy of val under shared key, expiring after ttlMs (0: never). */
export function kvSet(key: string, val: Uint8Array, ttlMs: i64 = 0): Errno {
  const kl = encodeKey(key);
  const v = bytesOf(val);
  return check(host.kv_set(keyPtr(), kl, changetype<usize>(v), v.byteLength, ttlMs));
}

/** kvSetString is kvSet with a string value (stored as UTF-8). */
export function kvSetString(key: string, val: string, ttlMs: i64 = 0): Errno {
  return kvSet(key, Uint8Array.wrap(utf8(val)), ttlMs);
}

/**
 * kvCAS stores val only if the current value of key is old (null: only if
 * absent). Its value is true if it stored, false if it found another value.
 */
export function kvCAS(key: string, old: Uint8Array | null, val: Uint8Array, ttlMs: i64 = 0): Result<bool> {
  const v = bytesOf(val);
  let op: usize = 0;
  let ol: i32 = -1;
  if (old !== null) {
    const o = bytesOf(old);
    op = changetype<usize>(o);
    ol = o.byteLength;
  }
  const kl = encodeKey(key);
  const rc = host.kv_cas(keyPtr(), kl, op, ol, changetype<usize>(v), v.byteLength, ttlMs);
  if (rc == OK) return new Result<bool>(true);
  if (rc == ErrMismatch) return new Result<bool>(false);
  return new Result<bool>(false, rc);
}

/** kvDelete deletes shared key; its value is false if the key was absent. */
export function kvDelete(key: string): Result<bool> {
  const kl = encodeKey(key);
  const rc = host.kv_delete(keyPtr(), kl);
  if (rc == OK) return new Result<bool>(true);
  if (rc == ErrNotFound) return new Result<bool>(false);
  return new Result<bool>(false, rc);
}

/** storeCount counts stored events matching one NIP-01 filter (a JSON object). */
export function storeCount(filterJSON: string): Result<i64> {
  const fl = encodeOut(filterJSON);
  const rc = host.store_count(outPtr(), fl, changetype<usize>(slot));
  return rc < 0 ? new Result<i64>(0, rc) : new Result<i64>(load<i64>(changetype<usize>(slot)));
}
