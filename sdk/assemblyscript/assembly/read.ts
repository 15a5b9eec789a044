// Reads from the host with the ABI's (buf, buf_limit) protocol: the guest
// passes a buffer, the host returns the length the value needs and writes it
// only if it fits. One scratch buffer serves every read; a value that does
// not fit is read again into a buffer of the size the host asked for.

import * as host from "./host";
import { ErrInternal, OK } from "./abi";
import { Errno, Result } from "./result";

/** The kinds of read: which host function fills the buffer. */
export const enum Read { Field, Tag, Header, KV, File, DB }

/** scratchKeep is the largest scratch buffer kept between reads. */
const scratchKeep = 65536;

let scratch = new ArrayBuffer(2048);

/** lastBuf holds the bytes of the last successful read (scratch, or larger). */
let lastBuf: ArrayBuffer = scratch;

function hostRead(r: Read, arg: i32, kp: usize, kl: i32, buf: usize, limit: i32): i32 {
  switch (r) {
    case Read.Field: return host.get(arg, buf, limit);
    case Read.Tag: return host.get_tag(arg, buf, limit);
    case Read.Header: return host.get_header(kp, kl, buf, limit);
    case Read.KV: return host.kv_get(kp, kl, buf, limit);
    case Read.File: return host.get_file(kp, kl, buf, limit);
    case Read.DB: return host.db_get(kp, kl, buf, limit);
  }
  return ErrInternal;
}

/**
 * readRaw reads a value and returns its length (its bytes are in lastBuf)
 * or a negative Errno. The key, if the read has one, is the string key,
 * encoded into a scratch buffer of its own.
 */
export function readRaw(r: Read, arg: i32, key: string | null): i32 {
  let kp: usize = 0;
  let kl: i32 = 0;
  if (key !== null) {
    kl = encodeKey(key);
    kp = changetype<usize>(keyBuf);
  }
  let n = hostRead(r, arg, kp, kl, changetype<usize>(scratch), scratch.byteLength);
  if (n <= scratch.byteLength) {
    lastBuf = scratch;
    return n;
  }
  const big = new ArrayBuffer(n);
  const m = hostRead(r, arg, kp, kl, changetype<usize>(big), n);
  if (m > n) return ErrInternal; // the value grew between the two calls: cannot happen within a hook
  if (n <= scratchKeep) scratch = big;
  lastBuf = big;
  return m;
}

/** readErr is the Errno of the last readStr (OK if it read a value). */
export let readErr: Errno = OK;

/**
 * readStr reads a UTF-8 value as a string, "" on an error (then in
 * readErr): the path of the plain accessors, with no allocation but the
 * string's.
 */
export function readStr(r: Read, arg: i32, key: string | null): string {
  const n = readRaw(r, arg, key);
  if (n < 0) {
    readErr = n;
    return "";
  }
  readErr = OK;
  return String.UTF8.decodeUnsafe(changetype<usize>(lastBuf), <usize>n, false);
}

/** readString reads a UTF-8 value as a string, with its error. */
export function readString(r: Read, arg: i32, key: string | null): Result<string> {
  const v = readStr(r, arg, key);
  return new Result<string>(v, readErr);
}

/** readBytes reads a value as a fresh byte array. */
export function readBytes(r: Read, arg: i32, key: string | null): Result<Uint8Array> {
  const n = readRaw(r, arg, key);
  if (n < 0) return new Result<Uint8Array>(new Uint8Array(0), n);
  const out = new Uint8Array(n);
  memory.copy(out.dataStart, changetype<usize>(lastBuf), <usize>n);
  return new Result<Uint8Array>(out);
}

// keyBuf holds the UTF-8 of a key (state, header or file name) for one host
// call; outBuf the UTF-8 of an output or a value. Both grow as needed.
let keyBuf = new ArrayBuffer(512);
let outBuf = new ArrayBuffer(1024);

/** encodeKey writes key's UTF-8 into keyBuf and returns its length. */
export function encodeKey(key: string): i32 {
  const n = String.UTF8.byteLength(key, false);
  if (n > keyBuf.byteLength) keyBuf = new ArrayBuffer(n);
  String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, changetype<usize>(keyBuf), false);
  return n;
}

/** keyPtr is the address of the key encodeKey wrote. */
export function keyPtr(): usize { return changetype<usize>(keyBuf); }

/** encodeOut writes s's UTF-8 into outBuf and returns its length (see outPtr). */
export function encodeOut(s: string): i32 {
  const n = String.UTF8.byteLength(s, false);
  if (n > outBuf.byteLength) outBuf = new ArrayBuffer(n);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, changetype<usize>(outBuf), false);
  return n;
}

/** outPtr is the address of the bytes encodeOut wrote. */
export function outPtr(): usize { return changetype<usize>(outBuf); }

/** utf8 encodes s as UTF-8 (without a NUL terminator). */
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s, false);
}

/** bytesOf returns the ArrayBuffer of b's view (a copy if b is a slice). */
export function bytesOf(b: Uint8Array): ArrayBuffer {
  if (b.byteOffset == 0 && b.byteLength == b.buffer.byteLength) return b.buffer;
  return b.slice().buffer;
}

/** check turns a host status into an Errno (OK for non-negative). */
export function check(rc: i32): Errno {
  return rc < 0 ? rc : OK;
}
