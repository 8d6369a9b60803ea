/**
 * Forged RIP datagrams for hostile-input labs: RIPv2 Responses (unsigned, or signed with keyed MD5 at a
 * chosen sequence number, so replays too), oversized RIPv2 and RIPng Responses, and malformed ones.
 */
import { parseIpv4, parseIpv6, prefixLengthToMask } from "../../src/wire/address.js";
import { type AuthKey, cryptoAuthFor, sign } from "../../src/wire/auth.js";
import { AFI_INET } from "../../src/wire/constants.js";
import * as ripng from "../../src/wire/ripng.js";
import * as ripv2 from "../../src/wire/ripv2.js";

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function v4Entry(prefix: string, metric: number): ripv2.Ripv2Entry {
  const [address = "", length = ""] = prefix.split("/");
  const mask = prefixLengthToMask(Number(length));
  return { afi: AFI_INET, tag: 0, address: parseIpv4(address), mask, nextHop: 0, metric };
}

export function v6Entry(prefix: string, metric: number): ripng.RipngEntry {
  const [address = "", length = ""] = prefix.split("/");
  return { prefix: parseIpv6(address), tag: 0, prefixLength: Number(length), metric };
}

/** A RIPv2 Response, unsigned or signed with keyed MD5 (RFC 2082) at `sequence`. */
export function v4Response(
  entries: ripv2.Ripv2Entry[],
  signed?: { key: Required<AuthKey>; sequence: number },
) {
  if (!signed) return ripv2.encode({ command: "response", version: 2, entries });
  const auth = cryptoAuthFor(signed.key, signed.sequence);
  const bytes = ripv2.encode({ command: "response", version: 2, auth, entries });
  sign(bytes, signed.key);
  return bytes;
}

/** 60 entries, 1,204 bytes: well over RIPv2's 512 (RFC 2453 §3.6); encode() refuses, so glued. */
export function oversizedV4(): Uint8Array {
  const entries = Array.from({ length: 60 }, (_, i) => v4Entry(`198.18.${100 + i}.0/24`, 1));
  const part = (from: number, to: number) =>
    ripv2.encode({ command: "response", version: 2, entries: entries.slice(from, to) });
  return Buffer.concat([part(0, 25), part(25, 50).subarray(4), part(50, 60).subarray(4)]);
}

/** 100 entries, 2,004 bytes: over the link's MTU, so fragmented; version 2, which RIPng is not. */
export function oversizedV6(): Uint8Array {
  const entries = Array.from({ length: 100 }, (_, i) =>
    v6Entry(`2001:db8:${(0x100 + i).toString(16)}::/48`, 1),
  );
  return ripng.encode({ command: "response", version: 2, entries });
}

const zeros = (n: number) => "00".repeat(n);
/** Each a WireError for riplet's decoder (STYLE 3): dropped whole, counted as MALFORMED. */
export const MALFORMED_V4 = [
  "", // an empty datagram
  "02", // one byte: no header
  `02020000${zeros(7)}`, // header + 7 bytes: not whole 20-byte entries
  `07020000${zeros(20)}`, // command 7
  `02000000${zeros(20)}`, // version 0
  `02020000ffff00030009${zeros(14)}`, // crypto auth whose packet length (9) is not header + entries
  `02020000ffff0007${zeros(16)}`, // authentication type 7
];
export const MALFORMED_V6 = ["", "01", `02010000${zeros(7)}`, `07010000${zeros(20)}`, `02000000${zeros(20)}`];
