// The plugin's durable state (sdk/abi/ABI.md, "Durable state"): keys and
// values the relay keeps in its store, across reloads and restarts, seen by
// every instance of the plugin. Keys are 1 to MaxKeyLen bytes (UTF-8 of the
// string) and values 0 to MaxValueLen bytes; keys sort bytewise.
//
// A write is visible to every instance as soon as the call returns and
// durable at the store's next commit (milliseconds later). Without
// FeatureDB (for example under `relayd plugin test`) every call gives
// ErrUnavailable. Import it as a namespace:
//
//   import * as db from "@relayd/sdk/db";

import * as host from "./host";
import { DBEntryHeaderLen, DBListValues, DBPutIfAbsent, DBUsageLen, ErrMismatch, ErrNotFound, MaxKeyLen, MaxListEntries, OK, FeatureDB } from "./abi";
import { Errno, Result } from "./result";
import { Read, bytesOf, check, encodeKey, keyPtr, readBytes, readString, utf8 } from "./read";

/** available reports whether the relay keeps durable state for the plugin. */
export function available(): bool { return (host.features() & FeatureDB) != 0; }

/** get reads key: ErrNotFound if absent. */
export function get(key: string): Result<Uint8Array> { return readBytes(Read.DB, 0, key); }

/** getString is get as UTF-8 text. */
export function getString(key: string): Result<string> { return readString(Read.DB, 0, key); }

/** has reports whether key is present (no value is copied). */
export function has(key: string): Result<bool> {
  const kl = encodeKey(key);
  const rc = host.db_get(keyPtr(), kl, 0, 0);
  if (rc == ErrNotFound) return new Result<bool>(false);
  return rc < 0 ? new Result<bool>(false, rc) : new Result<bool>(true);
}

/** put stores a copy of val under key (ErrFull past the plugin's limits, ErrReadOnly while the store takes no writes). */
export function put(key: string, val: Uint8Array): Errno {
  const kl = encodeKey(key);
  const v = bytesOf(val);
  return check(host.db_put(keyPtr(), kl, changetype<usize>(v), v.byteLength, 0));
}

/** putString is put with a string value (stored as UTF-8). */
export function putString(key: string, val: string): Errno { return put(key, Uint8Array.wrap(utf8(val))); }

/** putNew stores val only if key is absent; its value is false if the key was there (atomic across instances). */
export function putNew(key: string, val: Uint8Array): Result<bool> {
  const kl = encodeKey(key);
  const v = bytesOf(val);
  const rc = host.db_put(keyPtr(), kl, changetype<usize>(v), v.byteLength, DBPutIfAbsent);
  if (rc == OK) return new Result<bool>(true);
  if (rc == ErrMismatch) return new Result<bool>(false);
  return new Result<bool>(false, rc);
}

/** del deletes key; its value is false if the key was absent. */
export function del(key: string): Result<bool> {
  const kl = encodeKey(key);
  const rc = host.db_delete(keyPtr(), kl);
  if (rc == OK) return new Result<bool>(true);
  if (rc == ErrNotFound) return new Result<bool>(false);
  return new Result<bool>(false, rc);
}

/** Entry is a key and its value (empty when listed without values). */
export class Entry {
  constructor(public key: string, public value: Uint8Array) {}
}

/** Page is a page of a listing: its entries, and whether more keys follow. */
export class Page {
  constructor(public entries: Entry[], public more: bool) {}
}

// A listing buffer; it grows to what the first entry of a page needs.
let listBuf = new ArrayBuffer(DBEntryHeaderLen + MaxKeyLen + 4096);

/** listRaw appends to out the entries of one db_list call; the count read, or an Errno. */
function listRaw(p: ArrayBuffer, after: string, n: i32, flags: i32, out: Entry[]): i32 {
  const a = utf8(after);
  let rc = host.db_list(changetype<usize>(p), p.byteLength, changetype<usize>(a), a.byteLength, n, flags, changetype<usize>(listBuf), listBuf.byteLength);
  if (rc > listBuf.byteLength) {
    listBuf = new ArrayBuffer(rc);
    rc = host.db_list(changetype<usize>(p), p.byteLength, changetype<usize>(a), a.byteLength, n, flags, changetype<usize>(listBuf), listBuf.byteLength);
  }
  if (rc < 0) return rc;
  const base = changetype<usize>(listBuf);
  let off: i32 = 0;
  let got: i32 = 0;
  while (off + DBEntryHeaderLen <= rc) {
    const kl = <i32>load<u32>(base + off);
    const vl = <i32>load<u32>(base + off + 4);
    off += DBEntryHeaderLen;
    const key = String.UTF8.decodeUnsafe(base + off, kl, false);
    const val = new Uint8Array(vl);
    memory.copy(val.dataStart, base + off + kl, vl);
    off += kl + vl;
    out.push(new Entry(key, val));
    got++;
  }
  return got;
}

/**
 * page lists at most n keys (1 to MaxListEntries-1; others: MaxListEntries-1)
 * under prefix that sort after after ("" from the first), with their values
 * if values is true; more says whether keys follow. To read on, pass the
 * last key as after.
 */
export function page(prefix: string, after: string, n: i32, values: bool): Result<Page> {
  if (n <= 0 || n >= MaxListEntries) n = MaxListEntries - 1;
  const p = utf8(prefix);
  const flags = values ? DBListValues : 0;
  const out = new Array<Entry>(0);
  let last = after;
  while (out.length <= n) { // one more than asked, to know whether more follow
    const got = listRaw(p, last, n + 1 - out.length, flags, out);
    if (got < 0) return new Result<Page>(new Page(out, false), got);
    if (got == 0) break;
    last = out[out.length - 1].key;
  }
  const more = out.length > n;
  if (more) out.pop();
  return new Result<Page>(new Page(out, more));
}

/** entries lists every key under prefix with its value, in key order (read the whole namespace with care). */
export function entries(prefix: string): Result<Entry[]> { return list(prefix, true); }

/** keys lists every key under prefix, in key order. */
export function keys(prefix: string): Result<string[]> {
  const r = list(prefix, false);
  const out = new Array<string>(0);
  for (let i = 0; i < r.value.length; i++) out.push(r.value[i].key);
  return new Result<string[]>(out, r.err);
}

function list(prefix: string, values: bool): Result<Entry[]> {
  const p = utf8(prefix);
  const flags = values ? DBListValues : 0;
  const out = new Array<Entry>(0);
  let after = "";
  let got = listRaw(p, after, 0, flags, out);
  while (got > 0) {
    after = out[out.length - 1].key;
    got = listRaw(p, after, 0, flags, out);
  }
  return new Result<Entry[]>(out, got < 0 ? got : OK);
}

/** Usage is the size of the durable state and its limits. */
export class Usage {
  constructor(public keys: i64, public bytes: i64, public maxKeys: i64, public maxBytes: i64) {}
}

const usageBuf = new ArrayBuffer(DBUsageLen);

/** usage reports the durable state's keys and bytes, and db_max_keys and db_max_bytes. */
export function usage(): Result<Usage> {
  const b = changetype<usize>(usageBuf);
  const rc = host.db_usage(b);
  if (rc < 0) return new Result<Usage>(new Usage(0, 0, 0, 0), rc);
  return new Result<Usage>(new Usage(load<i64>(b), load<i64>(b + 8), load<i64>(b + 16), load<i64>(b + 24)));
}

/**
 * Set is a set of members stored as keys under a prefix ("ban/"): add,
 * has, remove, members.
 */
export class Set {
  constructor(public readonly prefix: string) {}

  /** add adds member; its value is false if it was there already. */
  add(member: string): Result<bool> { return putNew(this.prefix + member, new Uint8Array(0)); }
  /** has reports whether member is in the set. */
  has(member: string): Result<bool> { return has(this.prefix + member); }
  /** remove removes member; its value is false if it was absent. */
  remove(member: string): Result<bool> { return del(this.prefix + member); }
  /** members lists the members in key order. */
  members(): Result<string[]> {
    const r = keys(this.prefix);
    const out = new Array<string>(0);
    for (let i = 0; i < r.value.length; i++) out.push(r.value[i].substring(this.prefix.length));
    return new Result<string[]>(out, r.err);
  }
}
