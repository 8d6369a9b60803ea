/**
 * RIPng (RFC 2080) packets: bytes <-> values. Entries are kept as on the wire, next-hop RTEs included
 * (metric 0xFF, RFC 2080 §2.1.1), so decode(encode(v)) = v; resolving which next hop applies to which
 * route is ripngRoutes() below, and judging a route is speaker/validate.ts.
 */
import type { Ipv6Words } from "./address.js";
import {
  COMMAND_REQUEST,
  COMMAND_RESPONSE,
  HEADER_BYTES,
  IPV6_HEADER_BYTES,
  RIPNG_NEXT_HOP_METRIC,
  RTE_BYTES,
  UDP_HEADER_BYTES,
} from "./constants.js";
import { need, WireError } from "./errors.js";
import type { Command } from "./ripv2.js";
import { isUint8, isUint16, isUint32 } from "./ripv2.js";

/** RFC 2080 §2.1 route table entry: IPv6 prefix, route tag, prefix length, metric. */
export interface RipngEntry {
  prefix: Ipv6Words;
  tag: number;
  prefixLength: number;
  metric: number;
}

export interface RipngPacket {
  command: Command;
  version: number;
  entries: RipngEntry[];
}

/** RFC 2080 §2.1: the number of RTEs a packet may carry on a link of this MTU. */
export function maxRipngEntries(mtu: number): number {
  return Math.floor((mtu - IPV6_HEADER_BYTES - UDP_HEADER_BYTES - HEADER_BYTES) / RTE_BYTES);
}

/** @public part of the codec's API */
export function encodingLength(packet: RipngPacket): number {
  return HEADER_BYTES + RTE_BYTES * packet.entries.length;
}

function entryInRange(entry: RipngEntry): boolean {
  const p = entry.prefix;
  return (
    p.length === 4 &&
    isUint32(p[0]) &&
    isUint32(p[1]) &&
    isUint32(p[2]) &&
    isUint32(p[3]) &&
    isUint16(entry.tag) &&
    isUint8(entry.prefixLength) &&
    isUint8(entry.metric)
  );
}

/** Encodes into `buf` at `offset` (a new exact-size buffer when none is given) and returns the buffer. */
export function encode(packet: RipngPacket, buf?: Uint8Array, offset = 0): Uint8Array {
  const length = encodingLength(packet);
  if (!isUint8(packet.version) || packet.version === 0) {
    throw new WireError("BAD_VALUE", 1, `version ${packet.version} is not 1-255`);
  }
  const out = buf ?? new Uint8Array(length);
  need(out, offset, length, "RIPng encode buffer");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(offset, packet.command === "request" ? COMMAND_REQUEST : COMMAND_RESPONSE);
  view.setUint8(offset + 1, packet.version);
  view.setUint16(offset + 2, 0); // RFC 2080 §2.1: must be zero
  let at = offset + HEADER_BYTES;
  for (const entry of packet.entries) {
    if (!entryInRange(entry)) throw new WireError("BAD_VALUE", at, "RIPng entry has a field out of range");
    view.setUint32(at, entry.prefix[0]);
    view.setUint32(at + 4, entry.prefix[1]);
    view.setUint32(at + 8, entry.prefix[2]);
    view.setUint32(at + 12, entry.prefix[3]);
    view.setUint16(at + 16, entry.tag);
    view.setUint8(at + 18, entry.prefixLength);
    view.setUint8(at + 19, entry.metric);
    at += RTE_BYTES;
  }
  return out;
}

/** Decodes one datagram occupying buf[offset..end) (end defaults to the end of buf). */
export function decode(buf: Uint8Array, offset = 0, end = buf.length): { value: RipngPacket; bytes: number } {
  if (end > buf.length)
    throw new WireError("TRUNCATED", buf.length, `datagram end ${end} is past the buffer`);
  need(buf, offset, HEADER_BYTES, "RIPng header", end);
  const commandByte = buf[offset]!;
  // RFC 2080 §2.1: command 1 (request) or 2 (response); anything else is ignored.
  if (commandByte !== COMMAND_REQUEST && commandByte !== COMMAND_RESPONSE) {
    throw new WireError(
      "BAD_COMMAND",
      offset,
      `command ${commandByte} is neither request (1) nor response (2)`,
    );
  }
  const version = buf[offset + 1]!;
  if (version === 0) throw new WireError("BAD_VERSION", offset + 1, "version 0 is not a RIPng version");
  // RFC 2080 §2.1: after the header the datagram is whole 20-byte entries.
  const extra = (end - offset - HEADER_BYTES) % RTE_BYTES;
  if (extra !== 0)
    throw new WireError("TRAILING_BYTES", end - extra, `${extra} bytes after the last whole entry`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries = new Array<RipngEntry>((end - offset - HEADER_BYTES) / RTE_BYTES);
  for (let at = offset + HEADER_BYTES, i = 0; at < end; at += RTE_BYTES, i++) {
    entries[i] = {
      prefix: [view.getUint32(at), view.getUint32(at + 4), view.getUint32(at + 8), view.getUint32(at + 12)],
      tag: view.getUint16(at + 16),
      prefixLength: view.getUint8(at + 18),
      metric: view.getUint8(at + 19),
    };
  }
  const command = commandByte === COMMAND_REQUEST ? "request" : "response";
  return { value: { command, version, entries }, bytes: end - offset };
}

/** @public part of the codec's API */
export function isNextHopEntry(entry: RipngEntry): boolean {
  return entry.metric === RIPNG_NEXT_HOP_METRIC;
}

/** A route entry with the next hop that applies to it (RFC 2080 §2.1.1): `::` when none was given. */
export interface RipngRoute {
  entry: RipngEntry;
  nextHop: Ipv6Words;
}

/** RFC 2080 §2.1.1: a next-hop RTE applies to every following route until the next one or the end. */
export function ripngRoutes(packet: RipngPacket): RipngRoute[] {
  const routes: RipngRoute[] = [];
  let nextHop: Ipv6Words = [0, 0, 0, 0];
  for (const entry of packet.entries) {
    if (isNextHopEntry(entry)) nextHop = entry.prefix;
    else routes.push({ entry, nextHop });
  }
  return routes;
}
