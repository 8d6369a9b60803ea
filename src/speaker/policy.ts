/**
 * What may be announced: a valid unicast prefix (prefix.ts), the default route only if allowed, and,
 * when an allow list is set, only prefixes inside it. Applied on every way in: config, socket, CLI, hooks.
 */
import { type Prefix, PrefixError, parsePrefix, prefixContains } from "./prefix.js";

export interface Policy {
  allow?: readonly Prefix[];
  allowDefault: boolean;
}

function checkAllowed(prefix: Prefix, policy: Policy): Prefix {
  if (policy.allow && !policy.allow.some((outer) => prefixContains(outer, prefix))) {
    const list = policy.allow.map((p) => p.text).join(", ");
    throw new PrefixError(
      "PREFIX_NOT_ALLOWED",
      `${prefix.text} is outside the allow list (${list}); add it to allow: in the config`,
    );
  }
  return prefix;
}

/** Parses a prefix from outside and applies the policy; throws PrefixError with a one-line reason. */
export function admitPrefix(text: string, policy: Policy): Prefix {
  return checkAllowed(parsePrefix(text, { allowDefault: policy.allowDefault }), policy);
}
