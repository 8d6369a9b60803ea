/**
 * The next hop a route may carry, checked once here for every way a route comes in (control socket,
 * state file, config, CLI): it must parse, be of the route's family, and be a unicast address a
 * router on the link could forward to. The encoders (updates.ts) then never see text they cannot use:
 * before this check, `nextHop: "bogus"` made parseIpv4 throw inside a triggered update (issue 13).
 *
 * IPv6: RIPng carries only a link-local next hop (RFC 2080 §2.1.1), so anything outside fe80::/10 is
 * refused rather than silently sent as "::" (this router). A zone (`fe80::1%eth0`) is accepted and
 * stripped: the next hop RTE has no room for it, and the receiver reads it on its own interface.
 */
import { isIPv4, isIPv6 } from "node:net";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "../wire/address.js";

export type NextHopFamily = "ipv4" | "ipv6";

export class NextHopError extends Error {
  override readonly name = "NextHopError";
  /** The message without the field name, for callers that name the field themselves (config). */
  constructor(readonly reason: string) {
    super(`nextHop: ${reason}`);
  }
}

/** A zone is an interface name (IFNAMSIZ) or index; nothing else may ride along in the text. */
const ZONE = /^[A-Za-z0-9_.-]{1,15}$/;
const MAX_TEXT = 64;

/** RFC 1122 §3.2.1.3 and RFC 3927: what an IPv4 next hop can never be. */
function ipv4Problem(address: number, text: string): string | null {
  const first = address >>> 24;
  if (first === 0) return `${text} is in 0.0.0.0/8 ("this network"); leave nextHop out to mean this router`;
  if (first === 127) return `${text} is loopback; a router on the link cannot forward to it`;
  if (address >>> 16 === 0xa9fe) return `${text} is IPv4 link-local (169.254.0.0/16, RFC 3927)`;
  if (first >= 224 && first < 240) return `${text} is multicast; a next hop must be a unicast address`;
  if (first >= 240) return `${text} is reserved (240.0.0.0/4) or broadcast; a next hop must be unicast`;
  return null;
}

/** RFC 2080 §2.1.1: "the next hop address ... must be a link-local address". */
function ipv6Problem(words: readonly number[], text: string): string | null {
  if (words[0]! >>> 22 === 0x3fa) return null; // fe80::/10
  return `${text} is not link-local; RIPng carries only an fe80::/10 next hop (RFC 2080 §2.1.1)`;
}

function split(text: string): { address: string; zone?: string } {
  const at = text.indexOf("%");
  return at < 0 ? { address: text } : { address: text.slice(0, at), zone: text.slice(at + 1) };
}

/**
 * The canonical next hop (IPv4 dotted quad, IPv6 RFC 5952 without zone) for a route of `family`;
 * throws NextHopError with a one-line message that names the field and says what to give instead.
 */
export function parseNextHop(text: unknown, family: NextHopFamily): string {
  const fail = (why: string): never => {
    throw new NextHopError(why);
  };
  if (typeof text !== "string") return fail("must be a string, an address like 192.0.2.1 or fe80::1");
  const shown = JSON.stringify(text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
  if (text.length > MAX_TEXT || !/^[0-9A-Za-z.:%_-]+$/.test(text))
    return fail(`${shown} is not an IP address; give one like 192.0.2.1 or fe80::1`);
  const { address, zone } = split(text);
  if (isIPv4(address) && zone === undefined) {
    if (family !== "ipv4")
      return fail(`${text} is IPv4 but the route is IPv6; give an fe80:: link-local address`);
    const value = parseIpv4(address);
    const problem = ipv4Problem(value, text);
    return problem ? fail(problem) : formatIpv4(value);
  }
  if (isIPv6(address) && (zone === undefined || ZONE.test(zone))) {
    if (family !== "ipv6")
      return fail(`${text} is IPv6 but the route is IPv4; give an IPv4 address on the uplink's subnet`);
    const words = parseIpv6(address);
    const problem = ipv6Problem(words, text);
    return problem ? fail(problem) : formatIpv6(words);
  }
  return fail(`${shown} is not an IP address; give one like 192.0.2.1 or fe80::1`);
}

/** The same check as a value: null when `text` is a usable next hop for `family`, else the message. */
export function nextHopProblem(text: unknown, family: NextHopFamily): string | null {
  try {
    parseNextHop(text, family);
    return null;
  } catch (error) {
    if (error instanceof NextHopError) return error.message;
    throw error;
  }
}
