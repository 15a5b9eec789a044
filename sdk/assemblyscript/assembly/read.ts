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

function hostRead(r: Read, arg: i32, key: ArrayBuffer | null, buf: usize, limit: i32): i32 {
  const kp = changetype<usize>(key);
  const kl = key === null ? 0 : key.byteLength;
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
 * or a negative Errno.
 */
export function readRaw(r: Read, arg: i32, key: ArrayBuffer | null): i32 {
  let n = hostRead(r, arg, key, changetype<usize>(scratch), scratch.byteLength);
  if (n <= scratch.byteLength) {
    lastBuf = scratch;
    return n;
  }
  const big = new ArrayBuffer(n);
  const m = hostRead(r, arg, key, changetype<usize>(big), n);
  if (m > n) return ErrInternal; // the value grew between the two calls: cannot happen within a hook
  if (n <= scratchKeep) scratch = big;
  lastBuf = big;
  return m;
}

/** readString reads a UTF-8 value as a string. */
export function readString(r: Read, arg: i32, key: ArrayBuffer | null): Result<string> {
  const n = readRaw(r, arg, key);
  if (n < 0) return new Result<string>("", n);
  return new Result<string>(String.UTF8.decodeUnsafe(changetype<usize>(lastBuf), <usize>n, false));
}

/** readBytes reads a value as a fresh byte array. */
export function readBytes(r: Read, arg: i32, key: ArrayBuffer | null): Result<Uint8Array> {
  const n = readRaw(r, arg, key);
  if (n < 0) return new Result<Uint8Array>(new Uint8Array(0), n);
  const out = new Uint8Array(n);
  memory.copy(out.dataStart, changetype<usize>(lastBuf), <usize>n);
  return new Result<Uint8Array>(out);
}

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
