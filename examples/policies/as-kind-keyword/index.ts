// as-kind-keyword is a relayd policy written in AssemblyScript with the SDK
// in sdk/assemblyscript: it accepts only the event kinds of [config] kinds
// (on event_pre, before the signature check: the kind is a hook parameter,
// so the check costs no host call) and refuses events whose content
// contains one of [config] words, ignoring case (on event, so only
// authentic events cost a content fetch and a scan).
//
// Out of this repository, import from "@relayd/sdk" (README.md in the SDK).
import { Config, Event, Prefix, Verdict, accept, onEvent, onEventPre, onInit, reject } from "../../../sdk/assemblyscript";
export * from "../../../sdk/assemblyscript/exports";

// The kinds and lower-cased words of [config], read once per instance in
// onInit: module globals are per instance, and the config cannot change
// without a reload.
let allowed = new Set<i32>();
let words = new Array<string>(0);

onInit((): string | null => {
  const c = Config.load(["kinds", "words"]);
  const kinds = c.ints("kinds");
  const ws = c.strings("words");
  if (c.error !== null) return c.error;
  if (kinds.length == 0) return "config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]";
  allowed.clear();
  for (let i = 0; i < kinds.length; i++) allowed.add(<i32>kinds[i]);
  words = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i].trim().toLowerCase();
    if (w.length > 0) words.push(w);
  }
  return null;
});

onEventPre((e: Event): Verdict => {
  if (allowed.has(e.kind)) return accept();
  return reject(Prefix.Blocked, "kind " + e.kind.toString() + " is not accepted here");
});

onEvent((e: Event): Verdict => {
  if (e.contentLen == 0 || words.length == 0) return accept(); // no host call
  const content = e.content().toLowerCase();
  for (let i = 0; i < words.length; i++) {
    if (content.includes(words[i])) return reject(Prefix.Blocked, "content contains a blocked word");
  }
  return accept();
});
