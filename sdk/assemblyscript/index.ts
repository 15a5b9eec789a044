// @relayd/sdk: the AssemblyScript SDK for relayd policy plugins.
//
//   import { Event, Verdict, accept, reject, Prefix, onEvent } from "@relayd/sdk";
//   export * from "@relayd/sdk/exports";
//
// See README.md. The durable state is its own module, "@relayd/sdk/db".

export * from "./assembly/abi";
export * from "./assembly/result";
export * from "./assembly/verdict";
export * from "./assembly/views";
export * from "./assembly/handlers";
export * from "./assembly/state";
export * from "./assembly/json";
export * from "./assembly/config";
export * from "./assembly/query";
