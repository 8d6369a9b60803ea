/**
 * Splits a route list into the fewest packets that are valid for the family, authentication mode and
 * link MTU. Pure: entries in, lists of entries (one list per packet) out; encoding and signing follow.
 */
import { IPV6_ZERO, type Ipv6Words, ipv6Equal } from "../wire/address.js";
import type { AuthMode } from "../wire/auth.js";
import { DIGEST_BYTES } from "../wire/auth.js";
import {
  AUTH_TRAILER_HEADER_BYTES,
  HEADER_BYTES,
  RIPNG_NEXT_HOP_METRIC,
  RIPV2_MAX_ENTRIES,
  RIPV2_MAX_PACKET_BYTES,
  RTE_BYTES,
} from "../wire/constants.js";
import { WireError } from "../wire/errors.js";
import { maxRipngEntries, type RipngEntry } from "../wire/ripng.js";
import type { Ripv2Entry } from "../wire/ripv2.js";

/** Bytes the authentication adds to a RIPv2 packet: the entry, and for crypto the trailer. */
function ripv2AuthOverhead(auth: AuthMode): number {
  if (auth === "none") return 0;
  if (auth === "simple") return RTE_BYTES;
  return RTE_BYTES + AUTH_TRAILER_HEADER_BYTES + DIGEST_BYTES[auth];
}

/**
 * RFC 2453 §3.6 / §4.1: 512 bytes at most. None: 25 routes; simple: 24; keyed MD5 and HMAC-SHA1: 23
 * (FRR drops anything past 512 bytes); HMAC-SHA256: 22; HMAC-SHA384/512: 21.
 */
export function ripv2Capacity(auth: AuthMode): number {
  const room = Math.floor((RIPV2_MAX_PACKET_BYTES - HEADER_BYTES - ripv2AuthOverhead(auth)) / RTE_BYTES);
  return Math.min(RIPV2_MAX_ENTRIES, room);
}

export function packetizeRipv2(entries: readonly Ripv2Entry[], auth: AuthMode): Ripv2Entry[][] {
  const capacity = ripv2Capacity(auth);
  const packets: Ripv2Entry[][] = [];
  for (let i = 0; i < entries.length; i += capacity) packets.push(entries.slice(i, i + capacity));
  return packets;
}

/** A RIPng route to send and the next hop it should carry (`::` = this router, RFC 2080 §2.1.1). */
export interface RipngRouteOut {
  entry: RipngEntry;
  nextHop: Ipv6Words;
}

function nextHopEntry(nextHop: Ipv6Words): RipngEntry {
  return { prefix: nextHop, tag: 0, prefixLength: 0, metric: RIPNG_NEXT_HOP_METRIC };
}

function compareWords(a: Ipv6Words, b: Ipv6Words): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * RFC 2080 §2.1.1: a next-hop RTE costs a slot and applies until the next one or the packet's end, so
 * routes are grouped by next hop (`::` first, needing none) and each packet is filled greedily.
 */
export function packetizeRipng(routes: readonly RipngRouteOut[], mtu: number): RipngEntry[][] {
  const capacity = maxRipngEntries(mtu);
  if (capacity < 2) throw new WireError("BAD_VALUE", 0, `MTU ${mtu} leaves no room for a RIPng route`);
  const sorted = [...routes].sort((a, b) => compareWords(a.nextHop, b.nextHop));
  const packets: RipngEntry[][] = [];
  let current: RipngEntry[] = [];
  let currentHop: Ipv6Words = IPV6_ZERO;
  for (const route of sorted) {
    const needsHop = !ipv6Equal(route.nextHop, currentHop);
    if (current.length + (needsHop ? 2 : 1) > capacity) {
      packets.push(current);
      current = [];
      currentHop = IPV6_ZERO;
    }
    if (!ipv6Equal(route.nextHop, currentHop)) {
      current.push(nextHopEntry(route.nextHop));
      currentHop = route.nextHop;
    }
    current.push(route.entry);
  }
  if (current.length > 0) packets.push(current);
  return packets;
}
