/**
 * What to do with one received datagram (RFC 2453 §3.9, RFC 2080 §2.4): a drop with a reason, an
 * answer to a Request, or routes heard from a neighbour. Pure apart from updating the neighbour record.
 */
import {
  formatIpv4,
  formatIpv6,
  maskToPrefixLength,
  parseIpv4,
  parseIpv6,
  prefixLengthToMask,
} from "../wire/address.js";
import { verify } from "../wire/auth.js";
import {
  AFI_INET,
  AFI_UNSPECIFIED,
  INFINITY_METRIC,
  RIP_PORT,
  RIPNG_PORT,
  RIPNG_VERSION,
} from "../wire/constants.js";
import { WireError } from "../wire/errors.js";
import * as ripng from "../wire/ripng.js";
import * as ripv2 from "../wire/ripv2.js";
import type { DropReason, Neighbor } from "./neighbors.js";
import type { AuthConfig, Inbound, LinkState } from "./types.js";
import { checkRipngEntry, checkRipv2Entry } from "./validate.js";

export type Verdict =
  | { kind: "drop"; reason: DropReason; detail: string }
  | { kind: "ignore" }
  | { kind: "request"; wholeTable: boolean; prefixes: string[]; reply: (metrics: number[]) => RequestReply }
  | { kind: "response"; version: number; routes: { prefix: string; metric: number }[]; badRoutes: string[] };

/** A reply's entries, in the request's order, for the caller to encode with the interface's auth. */
export type RequestReply =
  | { family: "ipv4"; entries: ripv2.Ripv2Entry[] }
  | { family: "ipv6"; entries: ripng.RipngEntry[] };

const drop = (reason: DropReason, detail: string): Verdict => ({ kind: "drop", reason, detail });

/** Strips an IPv6 zone ("fe80::1%eth0" → "fe80::1"). */
export function withoutZone(address: string): string {
  const at = address.indexOf("%");
  return at < 0 ? address : address.slice(0, at);
}

/**
 * The configured link a zoneless IPv6 source is on: one whose global or ULA prefix holds it. Such a
 * source is never a valid RIPng neighbour (RFC 2080 §2.4.2 wants link-local), but knowing its link lets
 * a Response be dropped for the right reason and a Request (a diagnostic query) be answered.
 */
function ipv6LinkOf(source: string, links: Iterable<LinkState>): LinkState | undefined {
  let words: readonly number[];
  try {
    words = parseIpv6(source);
  } catch {
    return undefined;
  }
  for (const link of links) {
    for (const a of link.ipv6 ?? []) {
      const mine = parseIpv6(a.address);
      const same = words.every((w, i) => {
        const mask = prefixLengthToMask(Math.min(32, Math.max(0, a.prefixLength - 32 * i)));
        return ((w ^ mine[i]!) & mask) >>> 0 === 0;
      });
      if (same) return link;
    }
  }
  return undefined;
}

/** The configured link an IPv4 source is directly connected to (RFC 2453 §3.9.2), if any. */
function ipv4LinkOf(source: string, links: Iterable<LinkState>): LinkState | undefined {
  let address: number;
  try {
    address = parseIpv4(source);
  } catch {
    return undefined;
  }
  for (const link of links) {
    for (const a of link.ipv4) {
      if (((parseIpv4(a.address) ^ address) & prefixLengthToMask(a.prefixLength)) >>> 0 === 0) return link;
    }
  }
  return undefined;
}

/** The configured link a datagram came over: named by the transport, by the IPv6 zone, or by subnet. */
export function linkOf(inbound: Inbound, links: ReadonlyMap<string, LinkState>): LinkState | undefined {
  if (inbound.interface) return links.get(inbound.interface);
  if (inbound.family === "ipv4") return ipv4LinkOf(inbound.source, links.values());
  const zone = inbound.source.split("%")[1];
  return zone ? links.get(zone) : ipv6LinkOf(inbound.source, links.values());
}

/** Our own datagrams, looped back by the multicast group. */
export function isOwnAddress(source: string, link: LinkState): boolean {
  return (
    link.ipv4.some((a) => a.address === source) ||
    link.ipv6LinkLocal === source ||
    (link.ipv6 ?? []).some((a) => a.address === source)
  );
}

type AuthOutcome = { ok: true; sequence?: number } | { ok: false; reason: DropReason; detail: string };

function checkAuth(bytes: Uint8Array, auth: AuthConfig, neighbor: Neighbor): AuthOutcome {
  if (auth.mode === "none") return { ok: true };
  const keys =
    auth.mode === "simple"
      ? [{ secret: auth.password }]
      : auth.keys.map((k) => ({
          id: k.id,
          secret: k.secret,
          algorithm: auth.mode as Exclude<typeof auth.mode, "simple">,
        }));
  const result = verify(bytes, keys);
  if (!result.verified) {
    return result.reason === "NO_AUTH"
      ? { ok: false, reason: "AUTH_MISSING", detail: `interface requires ${auth.mode} authentication` }
      : { ok: false, reason: "AUTH_FAILED", detail: result.reason };
  }
  if (auth.mode === "simple") return { ok: true };
  const sequence = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12);
  // RFC 4822 §3 / BIRD: a lower sequence number is a replay, except 0, which a restarted BIRD sends first.
  if (neighbor.sequence !== undefined && sequence < neighbor.sequence && sequence !== 0) {
    return { ok: false, reason: "AUTH_REPLAY", detail: `sequence ${sequence} < ${neighbor.sequence}` };
  }
  return { ok: true, sequence };
}

/**
 * RFC 2453 §3.9.1: a whole-table request is one entry with AFI 0 and metric 16; otherwise each entry
 * is answered with our metric for it. Only IPv4 entries are echoed: an AFI 0xFFFF entry is
 * authentication, and echoed first it would make the reply look authenticated with bytes the requester
 * chose (found by fuzzing).
 */
function ripv2Request(packet: ripv2.Ripv2Packet): Verdict {
  const [first] = packet.entries;
  const wholeTable =
    packet.entries.length === 1 && first!.afi === AFI_UNSPECIFIED && first!.metric === INFINITY_METRIC;
  const asked = packet.entries.filter((e) => e.afi === AFI_INET);
  const prefixes = asked.map((e) => `${formatIpv4(e.address)}/${maskToPrefixLength(e.mask)}`);
  const reply = (metrics: number[]): RequestReply => ({
    family: "ipv4",
    entries: asked.map((e, i) => ({ ...e, metric: metrics[i] ?? INFINITY_METRIC })),
  });
  return { kind: "request", wholeTable, prefixes, reply };
}

export function judgeRipv2(inbound: Inbound, auth: AuthConfig, neighbor: Neighbor): Verdict {
  let packet: ripv2.Ripv2Packet;
  try {
    packet = ripv2.decode(inbound.bytes).value;
  } catch (error) {
    if (error instanceof WireError)
      return drop("MALFORMED", `${error.code} at ${error.offset}: ${error.message}`);
    throw error;
  }
  // RFC 2453 §3.9.1 / RFC 4822 §3: on an authenticated interface every packet must be, Requests too.
  // An unsigned Request used to be answered (FRR never signs its Requests): any on-link host could
  // then draw signed tables and burn a sequence number each (issue 13). FRR with MD5 answers none.
  const outcome = checkAuth(inbound.bytes, auth, neighbor);
  if (!outcome.ok) return drop(outcome.reason, outcome.detail);
  if (outcome.sequence !== undefined) neighbor.sequence = outcome.sequence;
  if (packet.command === "request") return ripv2Request(packet);
  // RFC 2453 §3.9.2: a Response not from the RIP port is ignored.
  if (inbound.sourcePort !== RIP_PORT) return drop("BAD_PORT", `response from port ${inbound.sourcePort}`);
  const routes: { prefix: string; metric: number }[] = [];
  const badRoutes: string[] = [];
  for (const entry of packet.entries) {
    const prefix = `${formatIpv4(entry.address)}/${maskToPrefixLength(entry.mask)}`;
    const skip = checkRipv2Entry(entry, packet.version);
    if (skip) badRoutes.push(`${prefix} ${skip}`);
    else routes.push({ prefix, metric: entry.metric });
  }
  return { kind: "response", version: packet.version, routes, badRoutes };
}

/** RFC 2080 §2.4.1: whole-table request = one entry, prefix ::/0, metric 16. */
function ripngRequest(packet: ripng.RipngPacket): Verdict {
  const [first] = packet.entries;
  const wholeTable =
    packet.entries.length === 1 &&
    first!.metric === INFINITY_METRIC &&
    first!.prefixLength === 0 &&
    first!.prefix.every((w) => w === 0);
  const prefixes = packet.entries.map((e) => `${formatIpv6(e.prefix)}/${e.prefixLength}`);
  const reply = (metrics: number[]): RequestReply => ({
    family: "ipv6",
    entries: packet.entries.map((e, i) => ({ ...e, metric: metrics[i] ?? INFINITY_METRIC })),
  });
  return { kind: "request", wholeTable, prefixes, reply };
}

export function judgeRipng(inbound: Inbound): Verdict {
  let packet: ripng.RipngPacket;
  try {
    packet = ripng.decode(inbound.bytes).value;
  } catch (error) {
    if (error instanceof WireError)
      return drop("MALFORMED", `${error.code} at ${error.offset}: ${error.message}`);
    throw error;
  }
  // RFC 2080 §2.4: version 1 is the only RIPng version.
  if (packet.version !== RIPNG_VERSION) return drop("BAD_VERSION", `RIPng version ${packet.version}`);
  if (packet.command === "request") return ripngRequest(packet);
  // RFC 2080 §2.4.2: Responses come from port 521 and a link-local source.
  if (inbound.sourcePort !== RIPNG_PORT) return drop("BAD_PORT", `response from port ${inbound.sourcePort}`);
  if (!withoutZone(inbound.source).toLowerCase().startsWith("fe80:")) {
    return drop("NOT_LINK_LOCAL", `response from ${inbound.source}`);
  }
  const routes: { prefix: string; metric: number }[] = [];
  const badRoutes: string[] = [];
  for (const { entry } of ripng.ripngRoutes(packet)) {
    const prefix = `${formatIpv6(entry.prefix)}/${entry.prefixLength}`;
    const skip = checkRipngEntry(entry);
    if (skip) badRoutes.push(`${prefix} ${skip}`);
    else routes.push({ prefix, metric: entry.metric });
  }
  return { kind: "response", version: packet.version, routes, badRoutes };
}
