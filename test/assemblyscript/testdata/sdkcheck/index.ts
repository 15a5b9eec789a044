// sdkcheck runs the command in the event's "cmd" tag on its content, for
// the AssemblyScript SDK's tests in test/assemblyscript: what the
// conformance kit (sdk/tck) does not reach.
import { Event, Prefix, Verdict, accept, jsonError, onEvent, parseJSON, reject } from "../../../../sdk/assemblyscript";
export * from "../../../../sdk/assemblyscript/exports";

let kept: Event | null = null;

onEvent((e: Event): Verdict => {
  const cmd = e.tagValue("cmd");
  if (cmd === null) return accept();
  if (cmd == "len") {
    const c = e.content();
    const n = String.UTF8.byteLength(c, false);
    return reject(Prefix.Blocked, n.toString() + " " + c.substring(0, 8) + " " + c.substring(c.length - 8));
  }
  if (cmd == "json") {
    const v = parseJSON(e.content());
    return reject(Prefix.Blocked, v === null ? "error: " + jsonError() : v.toString());
  }
  if (cmd == "keep") { kept = e; return accept(); }
  if (cmd == "reuse-get") return reject(Prefix.Blocked, kept!.getContent().err.toString());
  if (cmd == "reuse") return reject(Prefix.Blocked, kept!.content());
  if (cmd == "throw") throw new Error("boom");
  if (cmd == "index") {
    const a = new Array<i32>(1);
    return reject(Prefix.Blocked, a[e.kind].toString());
  }
  return reject(Prefix.Invalid, "unknown command " + cmd);
});
