// Config reads the plugin's [config] table (NAME.toml), which the relay
// hands over as a JSON object. Read it in onInit; every getter records the
// first problem in error, named by key, so one check at the end refuses a
// bad config with a clear reason:
//
//   const c = Config.load(["kinds", "words"]); // a typo'd key is an error
//   allowed = c.ints("kinds");
//   words = c.strings("words");
//   if (c.error !== null) return c.error;     // refuse the load

import { JSONKind, JSONValue, jsonError, parseJSON } from "./json";
import { config } from "./state";

/** Config is the parsed [config] table with typed, checked getters. */
export class Config {
  /** error is the first problem found, "config: ..." (null if none). */
  error: string | null = null;
  /** root is the [config] object. */
  root: JSONValue;

  constructor(root: JSONValue) { this.root = root; }

  /**
   * load parses the plugin's [config]. With known, a key not in it is an
   * error (strict, as the Go template decodes); pass null to allow any key.
   */
  static load(known: string[] | null = null): Config {
    return Config.parse(config(), known);
  }

  /** parse is load on JSON text (for tests and for other JSON objects). */
  static parse(json: string, known: string[] | null = null): Config {
    const v = parseJSON(json);
    if (v === null || !v.isObject) {
      const c = new Config(new JSONValue());
      c.root.kind = JSONKind.Object;
      c.fail(v === null ? jsonError() : "not an object");
      return c;
    }
    const c = new Config(v);
    if (known !== null) {
      for (let i = 0; i < v.keys.length; i++) {
        if (!known.includes(v.keys[i])) {
          c.fail("unknown key \"" + v.keys[i] + "\" (known: " + known.join(", ") + ")");
          break;
        }
      }
    }
    return c;
  }

  /** fail records a problem (the first one wins). */
  fail(msg: string): void {
    if (this.error === null) this.error = "config: " + msg;
  }

  /** has reports whether key is set. */
  has(key: string): bool { return this.root.get(key) !== null; }

  /** value is the raw JSON value of key, or null. */
  value(key: string): JSONValue | null { return this.root.get(key); }

  /** ints is key as an array of integers ([] if absent). */
  ints(key: string): i64[] {
    const out = new Array<i64>(0);
    const v = this.root.get(key);
    if (v === null) return out;
    if (!v.isArray) { this.fail(key + " must be an array of integers"); return out; }
    for (let i = 0; i < v.length; i++) {
      const e = v.at(i);
      if (!e.isInteger) { this.fail(key + " must be an array of integers"); return new Array<i64>(0); }
      out.push(e.int);
    }
    return out;
  }

  /** strings is key as an array of strings ([] if absent). */
  strings(key: string): string[] {
    const out = new Array<string>(0);
    const v = this.root.get(key);
    if (v === null) return out;
    if (!v.isArray) { this.fail(key + " must be an array of strings"); return out; }
    for (let i = 0; i < v.length; i++) {
      const e = v.at(i);
      if (!e.isString) { this.fail(key + " must be an array of strings"); return new Array<string>(0); }
      out.push(e.str);
    }
    return out;
  }

  /** string is key as a string, def if absent. */
  string(key: string, def: string = ""): string {
    const v = this.root.get(key);
    if (v === null) return def;
    if (!v.isString) { this.fail(key + " must be a string"); return def; }
    return v.str;
  }

  /** int is key as an integer, def if absent. */
  int(key: string, def: i64 = 0): i64 {
    const v = this.root.get(key);
    if (v === null) return def;
    if (!v.isInteger) { this.fail(key + " must be an integer"); return def; }
    return v.int;
  }

  /** number is key as a number, def if absent. */
  number(key: string, def: f64 = 0): f64 {
    const v = this.root.get(key);
    if (v === null) return def;
    if (!v.isNumber) { this.fail(key + " must be a number"); return def; }
    return v.num;
  }

  /** bool is key as a boolean, def if absent. */
  bool(key: string, def: bool = false): bool {
    const v = this.root.get(key);
    if (v === null) return def;
    if (!v.isBool) { this.fail(key + " must be true or false"); return def; }
    return v.bool;
  }
}
