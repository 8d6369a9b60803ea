/**
 * Prefixes riplet announces: parsed from text once, at the edge, with a one-line reason for every
 * refusal (SPEC §2). Inside, a prefix is its numeric form plus `text`, the canonical CIDR used as key.
 */
import {
  formatIpv4,
  formatIpv6,
  type Ipv6Words,
  ipv4HasHostBits,
  ipv6HasHostBits,
  parseIpv4,
  parseIpv6,
  prefixLengthToMask,
} from "../wire/address.js";
import { ipv4DestinationProblem, ipv6DestinationProblem, isIpv4Mapped } from "./validate.js";

export type Prefix =
  | { family: "ipv4"; address: number; length: number; text: string }
  | { family: "ipv6"; address: Ipv6Words; length: number; text: string };

export type PrefixErrorCode =
  | "INVALID_PREFIX"
  | "HOST_BITS"
  | "MULTICAST"
  | "LOOPBACK"
  | "LINK_LOCAL"
  | "RESERVED"
  | "DEFAULT_ROUTE"
  | "PREFIX_NOT_ALLOWED";

export class PrefixError extends Error {
  override readonly name = "PrefixError";
  constructor(
    readonly code: PrefixErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function ipv4Prefix(address: number, length: number): Prefix {
  return { family: "ipv4", address, length, text: `${formatIpv4(address)}/${length}` };
}

function ipv6Prefix(address: Ipv6Words, length: number): Prefix {
  return { family: "ipv6", address, length, text: `${formatIpv6(address)}/${length}` };
}

/** The first `length` bits of an IPv6 address, the rest zero. */
export function maskIpv6(words: Ipv6Words, length: number): Ipv6Words {
  const out = words.map((w, i) => (w & prefixLengthToMask(Math.min(32, Math.max(0, length - 32 * i)))) >>> 0);
  return [out[0]!, out[1]!, out[2]!, out[3]!];
}

/** Only these characters can make a prefix; anything else is refused before the text is echoed. */
const PREFIX_TEXT = /^[0-9A-Fa-f.:/]{1,64}$/;

function parseNumbers(text: string): Prefix & { hostBits: boolean } {
  if (!PREFIX_TEXT.test(text)) {
    // JSON-quoted and cut short: a newline or a megabyte in the input never reaches a log line whole
    const shown = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
    throw new PrefixError(
      "INVALID_PREFIX",
      `${shown} is not an IPv4 or IPv6 prefix (like 198.51.100.0/24 or 2001:db8:42::/48)`,
    );
  }
  const slash = text.indexOf("/");
  if (slash < 0) {
    throw new PrefixError(
      "INVALID_PREFIX",
      `${text} has no prefix length; write it as CIDR, e.g. ${text}/${text.includes(":") ? 128 : 32}`,
    );
  }
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  const v6 = addressText.includes(":");
  const max = v6 ? 128 : 32;
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > max) {
    throw new PrefixError("INVALID_PREFIX", `${text}: prefix length must be 0-${max}`);
  }
  try {
    if (v6) {
      const words = parseIpv6(addressText);
      return { ...ipv6Prefix(maskIpv6(words, length), length), hostBits: ipv6HasHostBits(words, length) };
    }
    const address = parseIpv4(addressText);
    const masked = (address & prefixLengthToMask(length)) >>> 0;
    return { ...ipv4Prefix(masked, length), hostBits: ipv4HasHostBits(address, length) };
  } catch {
    throw new PrefixError(
      "INVALID_PREFIX",
      `${text} is not an IPv4 or IPv6 prefix (like 198.51.100.0/24 or 2001:db8:42::/48)`,
    );
  }
}

export interface PrefixPolicy {
  allowDefault?: boolean;
}

/** Parses and checks a prefix to announce; throws PrefixError with a one-line reason and the fix. */
export function parsePrefix(given: string, policy: PrefixPolicy = {}): Prefix {
  const text = given.trim(); // what messages echo: checked by parseNumbers, one line
  const { hostBits, ...prefix } = parseNumbers(text);
  if (hostBits) {
    throw new PrefixError("HOST_BITS", `${text} has host bits set; did you mean ${prefix.text}?`);
  }
  if (prefix.length === 0 && !policy.allowDefault) {
    throw new PrefixError(
      "DEFAULT_ROUTE",
      `${text} is the default route; set allowDefault: true to announce it`,
    );
  }
  const problem =
    prefix.family === "ipv4"
      ? prefix.length > 0 && prefix.address >>> 24 === 0
        ? "RESERVED" // RFC 1122 §3.2.1.3: net 0 is "this network", only the default route may use it
        : ipv4DestinationProblem(prefix.address)
      : ipv6DestinationProblem(prefix.address, prefix.length);
  if (problem === "MULTICAST")
    throw new PrefixError("MULTICAST", `${text} is multicast; only unicast prefixes can be routed`);
  if (problem === "LOOPBACK")
    throw new PrefixError("LOOPBACK", `${text} is loopback; it never leaves the host`);
  if (problem === "LINK_LOCAL") {
    const family = prefix.family === "ipv4" ? "IPv4 link-local (RFC 3927)" : "IPv6 link-local";
    throw new PrefixError("LINK_LOCAL", `${text} is ${family}; it is never routed`);
  }
  if (problem) throw new PrefixError("RESERVED", `${text} ${reservedWhy(prefix)}`);
  return prefix;
}

/** The one-line reason a prefix is reserved, with the fix where there is one. */
function reservedWhy(prefix: Prefix): string {
  if (prefix.family === "ipv6") {
    const words = prefix.address;
    if (isIpv4Mapped(words, prefix.length))
      return "is IPv4-mapped (::ffff:0:0/96, RFC 4291 §2.5.5.2); announce the IPv4 prefix instead";
    if (prefix.length === 128 && words.every((w) => w === 0))
      return "is the unspecified address (RFC 4291 §2.5.2); it is never routed";
    if (words[0] >>> 22 === 0x3fb)
      return "is IPv6 site-local (fec0::/10, deprecated by RFC 3879); use a unique local fd00::/8 prefix";
  }
  return "is reserved address space and cannot be announced";
}

/** True when `inner` lies inside `outer` (same family, at least as long, same leading bits). */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || inner.length < outer.length) return false;
  if (outer.family === "ipv4") {
    return ((inner.address as number) & prefixLengthToMask(outer.length)) >>> 0 === outer.address;
  }
  const masked = maskIpv6(inner.address as Ipv6Words, outer.length);
  return masked.every((w, i) => w === outer.address[i]);
}
