// Session, Event and Req: views of one hook call.
//
// Their fixed fields (kind, created_at, content length, tag count, session
// id, source, authed flag) arrive with the call and cost nothing to read.
// Everything else is read from the host's input for the call in progress,
// so a view is valid only during the hook call that received it: the SDK
// stamps each view with its call, and after the call the plain accessors
// abort (the relay discards the instance and counts a plugin error) and the
// Get forms return ErrExpired. Strings and arrays the accessors return are
// fresh copies, yours to keep.

import {
  FieldAuthed, FieldConnectedAt, FieldContent, FieldEventID, FieldFilters, FieldIP, FieldPubkey, FieldRaw,
  FieldSig, FieldStrfryInput, FieldSubID, FieldTags, FlagAuthed, FlagSourceMask, ErrInvalid, ErrNotFound,
} from "./abi";
import { ErrExpired, Errno, Result, errnoText } from "./result";
import { Read, readStr, readString } from "./read";

/** The hook call in progress; views of earlier calls see another number. */
let callGen: u32 = 1;

/** endCall expires the views of the call that is returning (package use). */
export function endCall(): void { callGen++; }

/** Source is where an event came from (the low byte of the hook flags). */
export type Source = i32;

/** Session is the client connection of a hook call. */
export class Session {
  /** id is the session's id (0 outside a session, e.g. an import). */
  readonly id: u64;
  /** flags are the hook call's flags (FlagAuthed, FlagSession, the source). */
  readonly flags: i32;
  private gen: u32;

  constructor(id: u64, flags: i32) {
    this.id = id;
    this.flags = flags;
    this.gen = callGen;
  }

  /** isAuthed reports whether the session has authenticated (NIP-42). */
  get isAuthed(): bool { return (this.flags & FlagAuthed) != 0; }

  /** source is where the message came from (SourceIP4, SourceImport...). */
  get source(): Source { return this.flags & FlagSourceMask; }

  /** live reports whether the view belongs to the call in progress. */
  get live(): bool { return this.gen == callGen; }

  /** field reads an input field for this view (package use). */
  field(f: i32): Result<string> {
    if (!this.live) return new Result<string>("", ErrExpired);
    return readString(Read.Field, f, null);
  }

  /**
   * str reads an input field for a plain accessor (package use): "" on a
   * host error, an abort if the view expired; no allocation but the string.
   */
  str(f: i32): string {
    if (!this.live) expired();
    return readStr(Read.Field, f, null);
  }

  /** authed is the session's authenticated pubkey (hex), "" before AUTH. */
  authed(): string { return this.str(FieldAuthed); }
  /** getAuthed is authed with the host's error: ErrNotFound before AUTH. */
  getAuthed(): Result<string> { return this.field(FieldAuthed); }

  /** ip is the client's IP address as the relay derived it. */
  ip(): string { return this.str(FieldIP); }
  /** getIP is ip with the host's error. */
  getIP(): Result<string> { return this.field(FieldIP); }

  /** connectedAt is the session's connect time in unix seconds (0 if unknown). */
  connectedAt(): i64 { const r = this.getConnectedAt(); mustLive(r.err); return r.value; }
  /** getConnectedAt is connectedAt with the host's error. */
  getConnectedAt(): Result<i64> {
    const s = this.field(FieldConnectedAt);
    if (!s.ok) return new Result<i64>(0, s.err);
    const v = parseDecimal(s.value);
    return v < 0 ? new Result<i64>(0, ErrInvalid) : new Result<i64>(v);
  }

  /** header is a request header (lower-case name), "" if absent. */
  header(name: string): string {
    if (!this.live) expired();
    return readStr(Read.Header, 0, name);
  }
  /** getHeader is header with the host's error: ErrNotFound if absent. */
  getHeader(name: string): Result<string> {
    if (!this.live) return new Result<string>("", ErrExpired);
    return readString(Read.Header, 0, name);
  }
}

/** Event is the event of an event, auth or deliver hook call. */
export class Event {
  /** kind is the event's kind. */
  readonly kind: i32;
  /** createdAt is the event's created_at (unix seconds). */
  readonly createdAt: i64;
  /** receivedAt is when the relay received it (unix seconds; 0 on deliver). */
  readonly receivedAt: i64;
  /** contentLen is the content's length in bytes. */
  readonly contentLen: i32;
  /** tagCount is the number of tags. */
  readonly tagCount: i32;
  /** session is the session the event came from (or goes to, on deliver). */
  readonly session: Session;

  constructor(session: Session, kind: i32, createdAt: i64, receivedAt: i64, contentLen: i32, tagCount: i32) {
    this.session = session;
    this.kind = kind;
    this.createdAt = createdAt;
    this.receivedAt = receivedAt;
    this.contentLen = contentLen;
    this.tagCount = tagCount;
  }

  /** source is where the event came from. */
  get source(): Source { return this.session.source; }

  /** id is the event id (64 hex characters). */
  id(): string { return this.session.str(FieldEventID); }
  /** getID is id with the host's error. */
  getID(): Result<string> { return this.session.field(FieldEventID); }

  /** pubkey is the author's key (64 hex characters). */
  pubkey(): string { return this.session.str(FieldPubkey); }
  /** getPubkey is pubkey with the host's error. */
  getPubkey(): Result<string> { return this.session.field(FieldPubkey); }

  /** sig is the signature (128 hex characters). */
  sig(): string { return this.session.str(FieldSig); }
  /** getSig is sig with the host's error. */
  getSig(): Result<string> { return this.session.field(FieldSig); }

  /** content is the event's content ("" without a host call when empty). */
  content(): string {
    if (this.contentLen == 0 && this.session.live) return "";
    return this.session.str(FieldContent);
  }
  /** getContent is content with the host's error. */
  getContent(): Result<string> {
    if (this.contentLen == 0 && this.session.live) return new Result<string>("");
    return this.session.field(FieldContent);
  }

  /** tag is tag i (0-based) as its elements; [] past the last tag. */
  tag(i: i32): string[] { const r = this.getTag(i); mustLive(r.err); return r.value; }
  /** getTag is tag with the host's error: ErrNotFound past the last tag. */
  getTag(i: i32): Result<string[]> {
    if (!this.session.live) return new Result<string[]>([], ErrExpired);
    if (i < 0 || i >= this.tagCount) return new Result<string[]>([], ErrNotFound); // no host call
    const r = readString(Read.Tag, i, null);
    if (!r.ok) return new Result<string[]>([], r.err);
    return new Result<string[]>(r.value.split("\0"));
  }

  /** tags are all the event's tags. */
  tags(): string[][] { const r = this.getTags(); mustLive(r.err); return r.value; }
  /** getTags is tags with the host's error. */
  getTags(): Result<string[][]> {
    const out = new Array<string[]>(0);
    for (let i = 0; i < this.tagCount; i++) {
      const t = this.getTag(i);
      if (!t.ok) return new Result<string[][]>([], t.err);
      out.push(t.value);
    }
    return new Result<string[][]>(out);
  }

  /** tagValue is the second element of the first tag named name, or null. */
  tagValue(name: string): string | null {
    const r = this.getTagValue(name);
    mustLive(r.err);
    return r.ok ? r.value : null;
  }
  /** getTagValue is tagValue with the host's error: ErrNotFound if there is no such tag. */
  getTagValue(name: string): Result<string> {
    for (let i = 0; i < this.tagCount; i++) {
      const t = this.getTag(i);
      if (!t.ok) return new Result<string>("", t.err);
      if (t.value.length >= 2 && t.value[0] == name) return new Result<string>(t.value[1]);
    }
    return new Result<string>("", ErrNotFound);
  }

  /** tagsJSON is the tags as a JSON array of arrays of strings. */
  tagsJSON(): string { return this.session.str(FieldTags); }
  /** getTagsJSON is tagsJSON with the host's error. */
  getTagsJSON(): Result<string> { return this.session.field(FieldTags); }

  /** raw is the event as JSON, as stored. */
  raw(): string { return this.session.str(FieldRaw); }
  /** getRaw is raw with the host's error. */
  getRaw(): Result<string> { return this.session.field(FieldRaw); }

  /** strfryInput is the event as a strfry write-policy plugin reads it (event hooks). */
  strfryInput(): string { return this.session.str(FieldStrfryInput); }
  /** getStrfryInput is strfryInput with the host's error. */
  getStrfryInput(): Result<string> { return this.session.field(FieldStrfryInput); }

  /** subID is the subscription id of a delivery. */
  subID(): string { return this.session.str(FieldSubID); }
  /** getSubID is subID with the host's error. */
  getSubID(): Result<string> { return this.session.field(FieldSubID); }
}

/** Req is a REQ or COUNT: its filters and subscription id. */
export class Req {
  /** session is the session that sent it. */
  readonly session: Session;
  /** filterCount is the number of filters. */
  readonly filterCount: i32;

  constructor(session: Session, filterCount: i32) {
    this.session = session;
    this.filterCount = filterCount;
  }

  /** subID is the subscription id. */
  subID(): string { return this.session.str(FieldSubID); }
  /** getSubID is subID with the host's error. */
  getSubID(): Result<string> { return this.session.field(FieldSubID); }

  /** filtersJSON are the filters as a JSON array of objects (parse it with parseJSON). */
  filtersJSON(): string { return this.session.str(FieldFilters); }
  /** getFiltersJSON is filtersJSON with the host's error. */
  getFiltersJSON(): Result<string> { return this.session.field(FieldFilters); }
}

function mustLive(err: Errno): void {
  if (err == ErrExpired) expired();
}

/** expired aborts: a view was used after its call. */
function expired(): void {
  abort("sdk: " + errnoText(ErrExpired) + " (copy what you need during the call)");
}

/** parseDecimal reads a non-negative decimal integer, -1 if s is not one. */
export function parseDecimal(s: string): i64 {
  if (s.length == 0 || s.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
