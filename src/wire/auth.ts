/**
 * RIPv2 authentication: simple password (RFC 2453 §4.1), keyed MD5 (RFC 2082) and HMAC-SHA
 * (RFC 4822). sign() fills in the digest of an encoded packet; verify() checks one against a key list.
 * Pure: node:crypto hashes bytes, nothing here touches a socket, a clock or a file.
 *
 * Interop notes, from reading BIRD 2 (proto/rip/packets.c) and FRR 8 (ripd/ripd.c):
 * - Keyed MD5 hashes the whole packet with the trailer's data field holding the key zero-padded to 16
 *   bytes; both FRR and BIRD compute exactly that. FRR copies the key with strlcpy, so an FRR key of 16
 *   characters is really its first 15: keep MD5 keys to 15 characters when FRR is a peer.
 * - HMAC: the data field holds Apad (0x878FE1F3 repeated) while the HMAC is computed. BIRD keys the HMAC
 *   with the secret as given (the standard HMAC key rule), not with RFC 4822 §2.5's "hash keys longer
 *   than the digest" rule; we do as BIRD does, since it is the one peer that speaks HMAC.
 * - The entry's Auth Data Len is 16 (RFC 2082) or 20 (trailer header included: BIRD's keyed MD5 and FRR's
 *   default "old-ripd"); both are accepted, like BIRD and FRR do.
 * - BIRD's length check: the packet-length field + 4 + the key's digest length must equal the datagram.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import {
  AFI_AUTH,
  AUTH_TRAILER_HEADER_BYTES,
  AUTH_TYPE_CRYPTO,
  AUTH_TYPE_SIMPLE,
  HEADER_BYTES,
  HMAC_APAD_WORD,
  MD5_KEY_BYTES,
  RIP_VERSION_2,
  RTE_BYTES,
  SIMPLE_PASSWORD_BYTES,
} from "./constants.js";
import { need, WireError } from "./errors.js";

export type CryptoAlgorithm = "md5" | "hmac-sha1" | "hmac-sha256" | "hmac-sha384" | "hmac-sha512";
export type AuthMode = "none" | "simple" | CryptoAlgorithm;

export const DIGEST_BYTES: Readonly<Record<CryptoAlgorithm, number>> = {
  md5: 16,
  "hmac-sha1": 20,
  "hmac-sha256": 32,
  "hmac-sha384": 48,
  "hmac-sha512": 64,
};

const HASH_NAME: Readonly<Record<CryptoAlgorithm, string>> = {
  md5: "md5",
  "hmac-sha1": "sha1",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
};

/** The algorithms whose digest has this length: the trailer's length is all a packet says. * @public part of the codec's API (STYLE: every codec has encode, decode, encodingLength)
 */
export function algorithmsForDigestLength(length: number): CryptoAlgorithm[] {
  return (Object.keys(DIGEST_BYTES) as CryptoAlgorithm[]).filter((a) => DIGEST_BYTES[a] === length);
}

/**
 * A key. `id` undefined matches any key id; `algorithm` undefined means "whichever fits the digest
 * length" (for `riplet decode --key`). Signing needs both.
 */
export interface AuthKey {
  id?: number;
  secret: Uint8Array;
  algorithm?: CryptoAlgorithm;
}

/** @public part of the codec's API */
export type VerifyFailure =
  | "NO_AUTH" // the packet carries no authentication
  | "NO_KEY" // no key with the packet's key id / algorithm
  | "WRONG_PASSWORD"
  | "LENGTH_MISMATCH" // packet-length field + trailer != datagram length (BIRD's check)
  | "BAD_AUTH_LENGTH" // Auth Data Len is neither the digest length nor digest + 4
  | "WRONG_DIGEST";

export type VerifyResult =
  | { verified: true; key: AuthKey; algorithm: CryptoAlgorithm | "simple" }
  | { verified: false; reason: VerifyFailure };

/** Offsets of the crypto fields in an encoded packet (RFC 4822 §2.2). */
interface CryptoLayout {
  keyId: number;
  authDataLength: number;
  trailer: number;
  digestStart: number;
}

function authType(packet: Uint8Array): number {
  need(packet, 0, HEADER_BYTES, "RIP header");
  if (packet.length < HEADER_BYTES + RTE_BYTES) return 0;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (packet[1]! < RIP_VERSION_2 || view.getUint16(HEADER_BYTES) !== AFI_AUTH) return 0;
  return view.getUint16(HEADER_BYTES + 2);
}

function cryptoLayout(packet: Uint8Array): CryptoLayout {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const trailer = view.getUint16(HEADER_BYTES + 4);
  need(packet, trailer, AUTH_TRAILER_HEADER_BYTES, "authentication trailer");
  if (trailer < HEADER_BYTES + RTE_BYTES || (trailer - HEADER_BYTES) % RTE_BYTES !== 0) {
    throw new WireError(
      "BAD_AUTH",
      HEADER_BYTES + 4,
      `packet length ${trailer} is not header + whole entries`,
    );
  }
  return {
    keyId: packet[HEADER_BYTES + 6]!,
    authDataLength: packet[HEADER_BYTES + 7]!,
    trailer,
    digestStart: trailer + AUTH_TRAILER_HEADER_BYTES,
  };
}

/** The bytes the trailer's data field holds while the digest is computed (RFC 2082 §3.2.2, RFC 4822 §2.5). */
function digestFill(algorithm: CryptoAlgorithm, secret: Uint8Array): Uint8Array {
  const fill = new Uint8Array(DIGEST_BYTES[algorithm]);
  if (algorithm === "md5") {
    fill.set(secret.subarray(0, MD5_KEY_BYTES));
  } else {
    const view = new DataView(fill.buffer);
    for (let i = 0; i < fill.length; i += 4) view.setUint32(i, HMAC_APAD_WORD);
  }
  return fill;
}

/**
 * The digest of the packet as it is up to the data field, followed by digestFill() in place of the
 * data: the same bytes the RFCs hash, without copying or changing the packet.
 */
function computeDigest(
  algorithm: CryptoAlgorithm,
  secret: Uint8Array,
  packet: Uint8Array,
  digestStart: number,
): Uint8Array {
  const hash = algorithm === "md5" ? createHash("md5") : createHmac(HASH_NAME[algorithm], secret);
  return hash.update(packet.subarray(0, digestStart)).update(digestFill(algorithm, secret)).digest();
}

/**
 * Fills in the digest of an encoded cryptographic-auth packet, in place. The packet must have been
 * encoded with a crypto auth entry whose digest has the key's algorithm's length.
 */
export function sign(packet: Uint8Array, key: Required<AuthKey>): void {
  if (authType(packet) !== AUTH_TYPE_CRYPTO) {
    throw new WireError("BAD_AUTH", HEADER_BYTES, "packet has no cryptographic authentication entry to sign");
  }
  const layout = cryptoLayout(packet);
  const length = DIGEST_BYTES[key.algorithm];
  if (packet.length - layout.digestStart !== length) {
    throw new WireError("BAD_VALUE", layout.digestStart, `${key.algorithm} needs a ${length}-byte trailer`);
  }
  if (key.algorithm === "md5" && key.secret.length > MD5_KEY_BYTES) {
    throw new WireError("BAD_VALUE", 0, "a keyed-MD5 secret is at most 16 bytes (RFC 2082 §3.2.2)");
  }
  packet.set(computeDigest(key.algorithm, key.secret, packet, layout.digestStart), layout.digestStart);
}

function verifySimple(packet: Uint8Array, keys: readonly AuthKey[]): VerifyResult {
  const field = packet.subarray(HEADER_BYTES + 4, HEADER_BYTES + 4 + SIMPLE_PASSWORD_BYTES);
  for (const key of keys) {
    if (key.secret.length > SIMPLE_PASSWORD_BYTES) continue;
    const padded = new Uint8Array(SIMPLE_PASSWORD_BYTES);
    padded.set(key.secret);
    if (timingSafeEqual(padded, field)) return { verified: true, key, algorithm: "simple" };
  }
  return { verified: false, reason: "WRONG_PASSWORD" };
}

function candidates(layout: CryptoLayout, digestLength: number, keys: readonly AuthKey[]) {
  const out: { key: AuthKey; algorithm: CryptoAlgorithm }[] = [];
  for (const key of keys) {
    if (key.id !== undefined && key.id !== layout.keyId) continue;
    const algorithms = key.algorithm ? [key.algorithm] : algorithmsForDigestLength(digestLength);
    for (const algorithm of algorithms) out.push({ key, algorithm });
  }
  return out;
}

function verifyCrypto(packet: Uint8Array, keys: readonly AuthKey[]): VerifyResult {
  const layout = cryptoLayout(packet);
  const digestLength = packet.length - layout.digestStart;
  const tries = candidates(layout, digestLength, keys);
  if (tries.length === 0) return { verified: false, reason: "NO_KEY" };
  let failure: VerifyFailure = "WRONG_DIGEST";
  for (const { key, algorithm } of tries) {
    const length = DIGEST_BYTES[algorithm];
    // BIRD: packet-length field + trailer header + this key's digest length must be the whole datagram.
    if (layout.digestStart + length !== packet.length) {
      failure = "LENGTH_MISMATCH";
      continue;
    }
    // BIRD and FRR: Auth Data Len is the digest length, or that plus the 4-byte trailer header.
    if (layout.authDataLength !== length && layout.authDataLength !== length + AUTH_TRAILER_HEADER_BYTES) {
      failure = "BAD_AUTH_LENGTH";
      continue;
    }
    if (algorithm === "md5" && key.secret.length > MD5_KEY_BYTES) continue;
    const expected = computeDigest(algorithm, key.secret, packet, layout.digestStart);
    if (timingSafeEqual(expected, packet.subarray(layout.digestStart)))
      return { verified: true, key, algorithm };
  }
  return { verified: false, reason: failure };
}

/**
 * Checks an encoded RIPv2 packet's authentication against `keys`. Structural faults in the auth entry
 * or trailer throw WireError; everything else is a VerifyResult.
 */
export function verify(packet: Uint8Array, keys: readonly AuthKey[]): VerifyResult {
  const type = authType(packet);
  if (type === AUTH_TYPE_SIMPLE) return verifySimple(packet, keys);
  if (type === AUTH_TYPE_CRYPTO) return verifyCrypto(packet, keys);
  return { verified: false, reason: "NO_AUTH" };
}

/**
 * The crypto auth entry to encode for `key`, digest zeroed, ready for sign(). Keyed MD5 sends Auth Data
 * Len 16 as RFC 2082 §3.2 says (`md5AuthLength: 20` for the form FRR calls old-ripd); HMAC sends the
 * digest length, as BIRD does.
 */
export function cryptoAuthFor(key: Required<AuthKey>, sequence: number, md5AuthLength: 16 | 20 = 16) {
  const length = DIGEST_BYTES[key.algorithm];
  return {
    type: "crypto" as const,
    keyId: key.id,
    authDataLength: key.algorithm === "md5" ? md5AuthLength : length,
    sequence,
    digest: new Uint8Array(length),
  };
}
