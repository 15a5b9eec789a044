// sdknew uses the AssemblyScript SDK's management methods, store_query and
// tick, for TestManage, TestStoreQuery and TestTick in test/assemblyscript.
import {
  Event, ManageAnswer, Params, Prefix, Verdict, accept, kvSetString, manageError, manageOK, manageResult, onEvent,
  onManage, onTick, parseJSON, quoteJSON, reject, storeQuery,
} from "../../../../sdk/assemblyscript";
export * from "../../../../sdk/assemblyscript/exports";

onManage("echo", (p: Params): ManageAnswer => {
  const s = p.string(0);
  if (s === null) return manageError("want a string param");
  return manageResult(quoteJSON(s));
});

onManage("nop", (p: Params): ManageAnswer => manageOK());

onTick((): string | null => {
  kvSetString("ticked", "yes");
  return null;
});

// The event hook runs storeQuery with the event's content as the filter
// and answers "COUNT TRUNCATED|content of each event|...", or the error.
onEvent((e: Event): Verdict => {
  if (e.tagValue("cmd") === null) return accept();
  const r = storeQuery(e.content());
  if (!r.ok) return reject(Prefix.Blocked, "error " + r.err.toString());
  let out = r.events.length.toString() + " " + (r.truncated ? "true" : "false");
  for (let i = 0; i < r.events.length; i++) {
    let c = "?";
    const v = parseJSON(r.events[i]);
    if (v !== null) {
      const cv = v.get("content");
      if (cv !== null) c = cv.str.substring(0, 12);
    }
    out += "|" + c;
  }
  return reject(Prefix.Blocked, out);
});
