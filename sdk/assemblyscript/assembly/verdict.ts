// Verdicts: a hook's answer.

import { ActionAccept, ActionReject, ActionRewrite, ActionRateLimited, ActionShadowReject, PrefixRateLimited } from "./abi";

/** Prefix is the NIP-01 machine-readable prefix of a refusal ("blocked:"). */
export enum Prefix {
  /** Default is blocked: for a reject, rate-limited: for a rate limit. */
  Default = 0,
  Blocked = 1,
  RateLimited = 2,
  Invalid = 3,
  Restricted = 4,
  AuthRequired = 5,
  Pow = 6,
  Duplicate = 7,
  Error = 8,
  Mute = 9,
}

/** Verdict is a handler's answer; build one with accept, reject... */
export class Verdict {
  constructor(
    /** action is the ABI action (ActionAccept...). */
    public readonly action: i32,
    /** prefix is the NIP-01 prefix of a refusal. */
    public readonly prefix: Prefix = Prefix.Default,
    /** message is the reason text of a refusal ("" for none). */
    public readonly message: string = "",
    /** output is the rewritten filters or event JSON of a rewrite. */
    public readonly output: string = "",
  ) {}
}

const accepted = new Verdict(ActionAccept);

/** accept lets the message through to the next policy. */
export function accept(): Verdict { return accepted; }

/**
 * reject refuses the message with a NIP-01 prefix and a human-readable
 * message: the relay answers "blocked: <msg>" (OK false, CLOSED, a refused
 * upgrade, or a dropped delivery).
 */
export function reject(prefix: Prefix, msg: string): Verdict {
  return new Verdict(ActionReject, prefix, msg);
}

/** shadowReject answers an EVENT with OK true but neither stores nor broadcasts it. */
export function shadowReject(): Verdict { return new Verdict(ActionShadowReject); }

/** rateLimited refuses with the "rate-limited:" prefix. */
export function rateLimited(msg: string): Verdict {
  return new Verdict(ActionRateLimited, <Prefix>PrefixRateLimited, msg);
}

/** rewriteFilters replaces the filters of a REQ or COUNT with a JSON array of filter objects. */
export function rewriteFilters(filtersJSON: string): Verdict {
  return new Verdict(ActionRewrite, Prefix.Default, "", filtersJSON);
}

/** rewriteEvent replaces the event JSON sent in a delivery. */
export function rewriteEvent(eventJSON: string): Verdict {
  return new Verdict(ActionRewrite, Prefix.Default, "", eventJSON);
}
