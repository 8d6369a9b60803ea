/**
 * Meaning checks for one route entry of a received Response (RFC 2453 §3.9.2, RFC 2080 §2.4.2).
 * A failing entry is skipped with a reason and counted; the rest of the packet is still used.
 * Structural faults never get here: they are WireErrors thrown by the codecs and drop the datagram.
 */
import { type Ipv6Words, ipv4HasHostBits, ipv6HasHostBits, maskToPrefixLength } from "../wire/address.js";
import { AFI_INET, INFINITY_METRIC, RIP_VERSION_1 } from "../wire/constants.js";
import type { RipngEntry } from "../wire/ripng.js";
import type { Ripv2Entry } from "../wire/ripv2.js";

export type SkipReason =
  | "BAD_AFI" // RFC 2453 §3.9.2: only AF_INET (2) entries are routes
  | "BAD_METRIC" // RFC 2453 §3.9.2 / RFC 2080 §2.4.2: metric must be 1-16
  | "BAD_MASK" // RFC 2453 §4.4: a subnet mask must be contiguous
  | "BAD_PREFIX_LENGTH" // RFC 2080 §2.4.2: prefix length 0-128
  | "HOST_BITS" // bits set beyond the prefix length
  | "LOOPBACK" // RFC 2453 §3.9.2: net 127
  | "MULTICAST" // RFC 2453 §3.9.2 (class D) / RFC 2080 §2.4.2 (ff00::/8)
  | "RESERVED" // RFC 2453 §3.9.2: class E and net 0 other than the default route
  | "LINK_LOCAL" // RFC 2080 §2.4.2: fe80::/10 is never routed; RFC 3927 §2.6.2: nor is 169.254/16
  | "V1_MUST_BE_ZERO"; // RFC 1058 §3.4: RIPv1 tag, mask and next hop must be zero

function metricOk(metric: number): boolean {
  return metric >= 1 && metric <= INFINITY_METRIC;
}

/** RFC 2453 §3.9.2: "is the destination address valid (e.g., unicast; not net 0 or 127)". */
export function ipv4DestinationProblem(address: number): SkipReason | null {
  const first = address >>> 24;
  if (first === 127) return "LOOPBACK";
  if (first >= 224 && first < 240) return "MULTICAST";
  if (first >= 240) return "RESERVED";
  if (first === 0 && address !== 0) return "RESERVED";
  if (address >>> 16 === 0xa9fe) return "LINK_LOCAL"; // RFC 3927 §2.6.2: 169.254/16 is never forwarded
  return null;
}

export function checkRipv2Entry(entry: Ripv2Entry, version: number): SkipReason | null {
  if (entry.afi !== AFI_INET) return "BAD_AFI";
  if (version === RIP_VERSION_1 && (entry.tag !== 0 || entry.mask !== 0 || entry.nextHop !== 0)) {
    return "V1_MUST_BE_ZERO";
  }
  if (!metricOk(entry.metric)) return "BAD_METRIC";
  if (version !== RIP_VERSION_1) {
    const length = maskToPrefixLength(entry.mask);
    if (length < 0) return "BAD_MASK";
    if (ipv4HasHostBits(entry.address, length)) return "HOST_BITS";
  }
  return ipv4DestinationProblem(entry.address);
}

/** RFC 4291 §2.5.5.2: ::ffff:0:0/96 holds IPv4-mapped addresses, which never appear on an IPv6 link. */
export function isIpv4Mapped(prefix: Ipv6Words, length: number): boolean {
  return length >= 96 && prefix[0] === 0 && prefix[1] === 0 && prefix[2] === 0xffff;
}

/** RFC 2080 §2.4.2: "the prefix is valid (not multicast or link-local)". */
export function ipv6DestinationProblem(prefix: Ipv6Words, length: number): SkipReason | null {
  const top = prefix[0] >>> 16;
  if (top >>> 8 === 0xff) return "MULTICAST";
  if ((top & 0xffc0) === 0xfe80) return "LINK_LOCAL";
  const zeroes = prefix[0] === 0 && prefix[1] === 0 && prefix[2] === 0;
  if (length === 128 && zeroes && prefix[3] === 1) return "LOOPBACK";
  if (length === 128 && zeroes && prefix[3] === 0) return "RESERVED"; // RFC 4291 §2.5.2: unspecified
  if (isIpv4Mapped(prefix, length)) return "RESERVED";
  if ((top & 0xffc0) === 0xfec0) return "RESERVED"; // RFC 3879 §4: site-local is deprecated
  return null;
}

/** Checks a route RTE; next-hop RTEs (metric 0xFF) are not routes and are not passed here. */
export function checkRipngEntry(entry: RipngEntry): SkipReason | null {
  if (!metricOk(entry.metric)) return "BAD_METRIC";
  if (entry.prefixLength > 128) return "BAD_PREFIX_LENGTH";
  if (ipv6HasHostBits(entry.prefix, entry.prefixLength)) return "HOST_BITS";
  return ipv6DestinationProblem(entry.prefix, entry.prefixLength);
}
