// A small JSON reader and writer: enough to read the plugin's [config], REQ
// filters and tags, and to write limitation objects and rewritten filters.
// AssemblyScript has no JSON in its standard library.

/** The kinds of JSON value. */
export enum JSONKind { Null, Bool, Number, String, Array, Object }

/** JSONValue is a parsed JSON value. Objects keep their keys in order. */
export class JSONValue {
  kind: JSONKind = JSONKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JSONValue[] = [];
  keys: string[] = [];

  get isNull(): bool { return this.kind == JSONKind.Null; }
  get isBool(): bool { return this.kind == JSONKind.Bool; }
  get isNumber(): bool { return this.kind == JSONKind.Number; }
  get isString(): bool { return this.kind == JSONKind.String; }
  get isArray(): bool { return this.kind == JSONKind.Array; }
  get isObject(): bool { return this.kind == JSONKind.Object; }

  /** isInteger reports whether the value is a number without a fraction, within ±2^53. */
  get isInteger(): bool {
    return this.kind == JSONKind.Number && Math.floor(this.num) == this.num && Math.abs(this.num) <= 9007199254740992;
  }

  /** int is the number as an i64 (truncated). */
  get int(): i64 { return <i64>this.num; }

  /** get is the member key of an object, or null (also for a non-object). */
  get(key: string): JSONValue | null {
    if (this.kind != JSONKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) { // the last of duplicate keys wins, as in Go
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  /** length is the number of array elements or object members. */
  get length(): i32 { return this.items.length; }

  /** at is element i of an array (or the value of member i of an object). */
  at(i: i32): JSONValue { return this.items[i]; }

  /** toString writes the value back as compact JSON. */
  toString(): string {
    switch (this.kind) {
      case JSONKind.Null: return "null";
      case JSONKind.Bool: return this.bool ? "true" : "false";
      case JSONKind.Number: return this.isInteger ? (<i64>this.num).toString() : this.num.toString();
      case JSONKind.String: return quoteJSON(this.str);
      case JSONKind.Array: {
        const parts = new Array<string>(0);
        for (let i = 0; i < this.items.length; i++) parts.push(this.items[i].toString());
        return "[" + parts.join(",") + "]";
      }
    }
    const parts = new Array<string>(0);
    for (let i = 0; i < this.items.length; i++) parts.push(quoteJSON(this.keys[i]) + ":" + this.items[i].toString());
    return "{" + parts.join(",") + "}";
  }
}

let jsonErr = "";

/** jsonError says why the last parseJSON returned null. */
export function jsonError(): string { return jsonErr; }

/** parseJSON parses s, or returns null (see jsonError) if it is not one JSON value. */
export function parseJSON(s: string): JSONValue | null {
  const p = new Parser(s);
  const v = p.value(0);
  if (v === null) { jsonErr = p.err; return null; }
  p.ws();
  if (p.i != s.length) { jsonErr = "json: data after the value at offset " + p.i.toString(); return null; }
  jsonErr = "";
  return v;
}

/** maxDepth bounds nesting, so hostile input cannot exhaust the stack. */
const maxDepth = 64;

class Parser {
  i: i32 = 0;
  err: string = "";
  constructor(public s: string) {}

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.i++;
    }
  }

  fail(what: string): JSONValue | null {
    if (this.err.length == 0) this.err = "json: " + what + " at offset " + this.i.toString();
    return null;
  }

  value(depth: i32): JSONValue | null {
    if (depth > maxDepth) return this.fail("nested too deep");
    this.ws();
    if (this.i >= this.s.length) return this.fail("unexpected end");
    const c = this.s.charCodeAt(this.i);
    const v = new JSONValue();
    if (c == 0x7b) { // {
      v.kind = JSONKind.Object;
      this.i++;
      this.ws();
      if (this.peek(0x7d)) { this.i++; return v; }
      for (;;) {
        this.ws();
        if (!this.peek(0x22)) return this.fail("want a string key");
        const k = this.string();
        if (k === null) return null;
        this.ws();
        if (!this.peek(0x3a)) return this.fail("want ':'");
        this.i++;
        const m = this.value(depth + 1);
        if (m === null) return null;
        v.keys.push(k);
        v.items.push(m);
        this.ws();
        if (this.peek(0x2c)) { this.i++; continue; }
        if (this.peek(0x7d)) { this.i++; return v; }
        return this.fail("want ',' or '}'");
      }
    }
    if (c == 0x5b) { // [
      v.kind = JSONKind.Array;
      this.i++;
      this.ws();
      if (this.peek(0x5d)) { this.i++; return v; }
      for (;;) {
        const m = this.value(depth + 1);
        if (m === null) return null;
        v.items.push(m);
        this.ws();
        if (this.peek(0x2c)) { this.i++; continue; }
        if (this.peek(0x5d)) { this.i++; return v; }
        return this.fail("want ',' or ']'");
      }
    }
    if (c == 0x22) {
      const str = this.string();
      if (str === null) return null;
      v.kind = JSONKind.String;
      v.str = str;
      return v;
    }
    if (this.word("true")) { v.kind = JSONKind.Bool; v.bool = true; return v; }
    if (this.word("false")) { v.kind = JSONKind.Bool; return v; }
    if (this.word("null")) return v;
    return this.number(v);
  }

  peek(c: i32): bool { return this.i < this.s.length && this.s.charCodeAt(this.i) == c; }

  word(w: string): bool {
    if (this.s.substr(this.i, w.length) != w) return false;
    this.i += w.length;
    return true;
  }

  number(v: JSONValue): JSONValue | null {
    const start = this.i;
    if (this.peek(0x2d)) this.i++;
    const digits = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) this.i++;
      else break;
    }
    if (this.i == digits) return this.fail("unexpected character");
    const text = this.s.substring(start, this.i);
    const f = parseFloat(text);
    if (isNaN(f)) return this.fail("bad number " + text);
    v.kind = JSONKind.Number;
    v.num = f;
    return v;
  }

  string(): string | null {
    this.i++; // opening quote
    let out = "";
    let from = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 0x22) {
        out += this.s.substring(from, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c != 0x5c) { this.i++; continue; }
      out += this.s.substring(from, this.i);
      this.i++;
      if (this.i >= this.s.length) break;
      const e = this.s.charCodeAt(this.i);
      this.i++;
      switch (e) {
        case 0x22: out += "\""; break;
        case 0x5c: out += "\\"; break;
        case 0x2f: out += "/"; break;
        case 0x62: out += "\b"; break;
        case 0x66: out += "\f"; break;
        case 0x6e: out += "\n"; break;
        case 0x72: out += "\r"; break;
        case 0x74: out += "\t"; break;
        case 0x75: { // \uXXXX; surrogate pairs come as two escapes and join in UTF-16
          if (this.i + 4 > this.s.length) { this.fail("short \\u escape"); return null; }
          const h = I32.parseInt(this.s.substr(this.i, 4), 16);
          if (h < 0 || !isHex4(this.s.substr(this.i, 4))) { this.fail("bad \\u escape"); return null; }
          out += String.fromCharCode(h);
          this.i += 4;
          break;
        }
        default: this.fail("bad escape"); return null;
      }
      from = this.i;
    }
    this.fail("unterminated string");
    return null;
  }
}

function isHex4(s: string): bool {
  for (let i = 0; i < 4; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return true;
}

const hexDigits = "0123456789abcdef";

/** quoteJSON writes s as a JSON string, quotes included. */
export function quoteJSON(s: string): string {
  let out = "\"";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(from, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else out += "\\u00" + hexDigits.charAt(c >> 4) + hexDigits.charAt(c & 15);
    from = i + 1;
  }
  return out + s.substring(from) + "\"";
}
