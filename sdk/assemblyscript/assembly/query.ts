// store_query (FeatureQuery): the stored events matching a filter, read
// with the (buf, buf_limit) retry rule and walked entry by entry.

import * as host from "./host";
import { ErrInternal, FeatureQuery, OK, QueryEntryHeaderLen, QueryHeaderLen, QueryTruncated } from "./abi";
import { encodeOut, outPtr } from "./read";
import { Errno } from "./result";

/**
 * QueryResult is the result of storeQuery: err (OK, or the host's code),
 * and the events' JSON, newest first, each exactly as stored.
 */
export class QueryResult {
  constructor(public events: string[], public truncated: bool, public err: Errno = OK) {}

  /** ok reports whether the query succeeded. */
  get ok(): bool { return this.err == OK; }
}

/** hasQuery reports whether storeQuery reads from an event store. */
export function hasQuery(): bool { return (host.features() & FeatureQuery) != 0; }

/**
 * parseQueryResult walks a store_query result of n bytes at p (header,
 * then one length-prefixed JSON per event, ABI.md "Store query"); a result
 * whose lengths run past its end, or whose count disagrees with its
 * entries, is ErrInternal.
 */
export function parseQueryResult(p: usize, n: i32): QueryResult {
  if (n < QueryHeaderLen) return new QueryResult([], false, ErrInternal);
  const count = load<u32>(p);
  const flags = load<u32>(p + 4);
  const events = new Array<string>(0);
  let off: i32 = QueryHeaderLen;
  while (off < n) {
    if (n - off < QueryEntryHeaderLen) return new QueryResult([], false, ErrInternal);
    const len = <i32>load<u32>(p + <usize>off);
    off += QueryEntryHeaderLen;
    if (len < 0 || n - off < len) return new QueryResult([], false, ErrInternal);
    events.push(String.UTF8.decodeUnsafe(p + <usize>off, <usize>len, false));
    off += len;
  }
  if (<u32>events.length != count) return new QueryResult([], false, ErrInternal);
  return new QueryResult(events, (flags & QueryTruncated) != 0);
}

let queryBuf = new ArrayBuffer(4096);

/**
 * storeQuery reads the stored events matching one NIP-01 filter (a JSON
 * object), newest first, as the relay answers a REQ. A result larger than
 * the SDK's buffer is read again, with the same filter bytes, into one of
 * its length (the host keeps the result until the call ends, so the retry
 * does not query the store again). truncated says query_max_events or
 * query_max_bytes cut the result: page with the filter. Errors:
 * ErrUnavailable without a store, ErrTimeout, ErrInvalid for a filter that
 * is not a JSON object, ErrTooLarge for one over MaxFiltersLen.
 */
export function storeQuery(filterJSON: string): QueryResult {
  const fl = encodeOut(filterJSON);
  let n = host.store_query(outPtr(), fl, changetype<usize>(queryBuf), queryBuf.byteLength);
  if (n < 0) return new QueryResult([], false, n);
  if (n > queryBuf.byteLength) {
    const big = new ArrayBuffer(n);
    const m = host.store_query(outPtr(), fl, changetype<usize>(big), n);
    if (m < 0) return new QueryResult([], false, m);
    if (m > n) return new QueryResult([], false, ErrInternal);
    return parseQueryResult(changetype<usize>(big), m);
  }
  return parseQueryResult(changetype<usize>(queryBuf), n);
}
