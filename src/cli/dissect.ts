/**
 * The dissector view shared by `riplet decode` and `riplet listen`: one datagram's bytes in, the
 * SPEC §3 JSON object out. Malformed datagrams become an `error` object, never an exception.
 */
import { checkRipngEntry, checkRipv2Entry, type SkipReason } from "../speaker/validate.js";
import { classfulPrefixLength, formatIpv4, formatIpv6, maskToPrefixLength } from "../wire/address.js";
import { type AuthKey, verify } from "../wire/auth.js";
import { AFI_UNSPECIFIED, INFINITY_METRIC, RIP_VERSION_1 } from "../wire/constants.js";
import { WireError } from "../wire/errors.js";
import * as ripng from "../wire/ripng.js";
import * as ripv2 from "../wire/ripv2.js";

export type Family = "ipv4" | "ipv6";

export interface DatagramMeta {
  frame: number;
  /** ISO 8601 UTC: the capture's timestamp (µs), or when `listen` received it; absent when unknown. */
  time?: string;
  source?: string;
  sourcePort?: number;
  /** The IP destination (224.0.0.9, ff02::9 or a unicast address), where the input tells it. */
  destination?: string;
  /** Where `listen` heard it, when the destination address is not known (node gives no IP_PKTINFO). */
  interface?: string;
}

/** Microseconds since the epoch as ISO 8601 with all six digits (Date keeps milliseconds only). */
export function isoMicros(us: number): string {
  const whole = Math.floor(us / 1000);
  return `${new Date(whole).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, "0")}Z`;
}

export interface EntryView {
  prefix: string;
  tag: number;
  nextHop: string;
  metric: number;
  afi?: number;
  skip?: SkipReason;
}

export type AuthView =
  | { type: "simple"; password: string; verified: boolean | null }
  | {
      type: "crypto";
      keyId: number;
      sequence: number;
      authDataLength: number;
      algorithm: string | null;
      verified: boolean | null;
    };

export interface DatagramView extends DatagramMeta {
  /** Absent only when a capture record could not be read down to its UDP payload. */
  family?: Family;
  command?: ripv2.Command;
  version?: number;
  auth?: AuthView;
  wholeTable?: true;
  entries?: EntryView[];
  error?: { code: string; offset: number; message: string };
}

function ripv2EntryView(entry: ripv2.Ripv2Entry, version: number): EntryView {
  const length =
    version === RIP_VERSION_1 ? classfulPrefixLength(entry.address) : maskToPrefixLength(entry.mask);
  const prefix = `${formatIpv4(entry.address)}/${length >= 0 ? length : formatIpv4(entry.mask)}`;
  const view: EntryView = {
    prefix,
    tag: entry.tag,
    nextHop: formatIpv4(entry.nextHop),
    metric: entry.metric,
  };
  if (entry.afi !== 2) view.afi = entry.afi;
  return view;
}

function authView(bytes: Uint8Array, auth: ripv2.Ripv2Auth, keys: readonly AuthKey[]): AuthView {
  const result = keys.length > 0 ? verify(bytes, keys) : undefined;
  const verified = result ? result.verified : null;
  if (auth.type === "simple") return { type: "simple", password: auth.password, verified };
  return {
    type: "crypto",
    keyId: auth.keyId,
    sequence: auth.sequence,
    authDataLength: auth.authDataLength,
    algorithm: result?.verified ? result.algorithm : null,
    verified,
  };
}

/** RFC 2453 §3.9.1 / RFC 2080 §2.4.1: one entry, AFI 0 (RIPng: prefix ::/0), metric infinity. */
function isWholeTable(command: ripv2.Command, entries: { metric: number }[], unspecified: boolean): boolean {
  return (
    command === "request" && entries.length === 1 && entries[0]!.metric === INFINITY_METRIC && unspecified
  );
}

function dissectRipv2(bytes: Uint8Array, keys: readonly AuthKey[], meta: DatagramMeta): DatagramView {
  const packet = ripv2.decode(bytes).value;
  const view: DatagramView = { ...meta, family: "ipv4", command: packet.command, version: packet.version };
  if (packet.auth) view.auth = authView(bytes, packet.auth, keys);
  const first = packet.entries[0];
  if (isWholeTable(packet.command, packet.entries, first?.afi === AFI_UNSPECIFIED)) {
    return { ...view, wholeTable: true, entries: [] };
  }
  view.entries = packet.entries.map((entry) => {
    const entryView = ripv2EntryView(entry, packet.version);
    const skip = packet.command === "response" ? checkRipv2Entry(entry, packet.version) : null;
    return skip ? { ...entryView, skip } : entryView;
  });
  return view;
}

function dissectRipng(bytes: Uint8Array, meta: DatagramMeta): DatagramView {
  const packet = ripng.decode(bytes).value;
  const view: DatagramView = { ...meta, family: "ipv6", command: packet.command, version: packet.version };
  const first = packet.entries[0];
  const unspecified = first !== undefined && first.prefixLength === 0 && first.prefix.every((w) => w === 0);
  if (isWholeTable(packet.command, packet.entries, unspecified))
    return { ...view, wholeTable: true, entries: [] };
  view.entries = ripng.ripngRoutes(packet).map(({ entry, nextHop }) => {
    const entryView: EntryView = {
      prefix: `${formatIpv6(entry.prefix)}/${entry.prefixLength}`,
      tag: entry.tag,
      nextHop: formatIpv6(nextHop),
      metric: entry.metric,
    };
    const skip = packet.command === "response" ? checkRipngEntry(entry) : null;
    return skip ? { ...entryView, skip } : entryView;
  });
  return view;
}

export function dissect(
  bytes: Uint8Array,
  family: Family,
  keys: readonly AuthKey[],
  meta: DatagramMeta,
): DatagramView {
  try {
    return family === "ipv4" ? dissectRipv2(bytes, keys, meta) : dissectRipng(bytes, meta);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    return { ...meta, family, error: { code: error.code, offset: error.offset, message: error.message } };
  }
}
