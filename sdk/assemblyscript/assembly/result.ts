// Results and error codes.

import { OK, ErrNotFound, ErrMemory, ErrTooLarge, ErrInvalid, ErrUnavailable, ErrTimeout, ErrMismatch, ErrInternal, ErrFull, ErrReadOnly } from "./abi";

/** Errno is a host function's error code (ErrNotFound...), or OK (0). */
export type Errno = i32;

/**
 * ErrExpired is the SDK's own code (not an ABI code) for a view (Event,
 * Session, Req) read after the hook call that received it returned.
 */
export const ErrExpired: Errno = -1000;

/**
 * Result is a value with the host's error code: the Get forms of the
 * accessors, and the state and durable state functions, return one. When
 * err is not OK, value is the zero value of its type ("" for strings).
 */
export class Result<T> {
  constructor(public value: T, public err: Errno = OK) {}

  /** ok reports whether the call succeeded (err is OK). */
  get ok(): bool { return this.err == OK; }

  /** notFound reports whether the host answered ErrNotFound (absent key, field or tag). */
  get notFound(): bool { return this.err == ErrNotFound; }
}

/** errnoText names an error code, as the Go SDK's errors do. */
export function errnoText(code: Errno): string {
  switch (code) {
    case OK: return "ok";
    case ErrNotFound: return "not found";
    case ErrMemory: return "bad memory";
    case ErrTooLarge: return "too large";
    case ErrInvalid: return "invalid argument";
    case ErrUnavailable: return "unavailable";
    case ErrTimeout: return "timeout";
    case ErrMismatch: return "mismatch";
    case ErrInternal: return "internal error";
    case ErrFull: return "durable state full";
    case ErrReadOnly: return "store read-only";
    case ErrExpired: return "view used after its call";
  }
  return "error " + code.toString();
}
