/**
 * RIPv1 (RFC 1058) and RIPv2 (RFC 2453) packets: bytes <-> values, nothing else.
 * Fields are kept as they are on the wire (addresses and masks as uint32) so that decode is cheap and
 * decode(encode(v)) = v; what a field means is judged in speaker/validate.ts.
 */
import {
  AFI_AUTH,
  AUTH_TRAILER_HEADER_BYTES,
  AUTH_TRAILER_TYPE,
  AUTH_TYPE_CRYPTO,
  AUTH_TYPE_SIMPLE,
  COMMAND_REQUEST,
  COMMAND_RESPONSE,
  HEADER_BYTES,
  RIP_VERSION_2,
  RIPV2_MAX_PACKET_BYTES,
  RTE_BYTES,
  SIMPLE_PASSWORD_BYTES,
} from "./constants.js";
import { need, WireError } from "./errors.js";

export type Command = "request" | "response";

/** RFC 2453 §4 route table entry; RIPv1 (RFC 1058 §3.1) has the same layout with tag/mask/next hop zero. */
export interface Ripv2Entry {
  afi: number;
  tag: number;
  address: number;
  mask: number;
  nextHop: number;
  metric: number;
}

/** RFC 2453 §4.1 simple password; the 16-byte field read as latin1 with trailing NULs removed. * @public part of the codec's API (STYLE: every codec has encode, decode, encodingLength)
 */
export interface SimpleAuth {
  type: "simple";
  password: string;
}

/**
 * RFC 2082 §3.2 / RFC 4822 §2.2 cryptographic authentication: the entry's fields plus the trailer's
 * authentication data. The packet-length field is not kept: it is always where the trailer starts.
 * authDataLength is the field as sent: the digest length, or digest + 4 (keyed MD5 as BIRD and FRR's
 * default "old-ripd" send it).
 */
export interface CryptoAuth {
  type: "crypto";
  keyId: number;
  authDataLength: number;
  sequence: number;
  digest: Uint8Array;
}

export type Ripv2Auth = SimpleAuth | CryptoAuth;

export interface Ripv2Packet {
  command: Command;
  version: number;
  auth?: Ripv2Auth;
  entries: Ripv2Entry[];
}

/** Digest lengths the trailer may carry: MD5, SHA-1, SHA-256, SHA-384, SHA-512 (RFC 4822 §2.5). * @public part of the codec's API (STYLE: every codec has encode, decode, encodingLength)
 */
export const TRAILER_DIGEST_BYTES: ReadonlySet<number> = new Set([16, 20, 32, 48, 64]);

function authBytes(auth: Ripv2Auth | undefined): number {
  if (!auth) return 0;
  return auth.type === "simple" ? RTE_BYTES : RTE_BYTES + AUTH_TRAILER_HEADER_BYTES + auth.digest.length;
}

/** @public part of the codec's API */
export function encodingLength(packet: Ripv2Packet): number {
  return HEADER_BYTES + authBytes(packet.auth) + RTE_BYTES * packet.entries.length;
}

export function isUint8(value: number): boolean {
  return (value & 0xff) === value;
}

export function isUint16(value: number): boolean {
  return (value & 0xffff) === value;
}

export function isUint32(value: number): boolean {
  return value >>> 0 === value;
}

function commandNumber(command: Command): number {
  return command === "request" ? COMMAND_REQUEST : COMMAND_RESPONSE;
}

function checkEncodable(packet: Ripv2Packet, length: number): void {
  // RFC 2453 §3.6 / §4.1: 512 bytes at most (25 entries, 24 with authentication, 23 with a MD5 trailer).
  if (length > RIPV2_MAX_PACKET_BYTES) {
    throw new WireError("TOO_LARGE", 0, `RIPv2 packet of ${length} bytes exceeds ${RIPV2_MAX_PACKET_BYTES}`);
  }
  if (!Number.isInteger(packet.version) || packet.version < 1 || packet.version > 255) {
    throw new WireError("BAD_VALUE", 1, `version ${packet.version} is not 1-255`);
  }
  if (packet.auth && packet.version < RIP_VERSION_2) {
    throw new WireError("BAD_VALUE", 4, "RIPv1 cannot carry authentication (RFC 2453 §4.1)");
  }
  const auth = packet.auth;
  if (
    auth?.type === "crypto" &&
    (!isUint8(auth.keyId) || !isUint8(auth.authDataLength) || !isUint32(auth.sequence))
  ) {
    throw new WireError("BAD_VALUE", 4, "key id, auth data length or sequence number out of range");
  }
  if (packet.auth?.type === "crypto" && !TRAILER_DIGEST_BYTES.has(packet.auth.digest.length)) {
    throw new WireError("BAD_VALUE", 4, `digest of ${packet.auth.digest.length} bytes is not 16/20/32/48/64`);
  }
  if (packet.auth?.type === "simple" && Buffer.byteLength(packet.auth.password, "latin1") > 16) {
    throw new WireError("BAD_VALUE", 8, "simple password is longer than 16 bytes");
  }
}

/** Encodes into `buf` at `offset` (a new exact-size buffer when none is given) and returns the buffer. */
export function encode(packet: Ripv2Packet, buf?: Uint8Array, offset = 0): Uint8Array {
  const length = encodingLength(packet);
  checkEncodable(packet, length);
  const out = buf ?? new Uint8Array(length);
  need(out, offset, length, "RIPv2 encode buffer");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(offset, commandNumber(packet.command));
  view.setUint8(offset + 1, packet.version);
  view.setUint16(offset + 2, 0);
  let at = offset + HEADER_BYTES;
  if (packet.auth) at = writeAuthEntry(view, out, at, packet);
  for (const entry of packet.entries) {
    if (
      !isUint16(entry.afi) ||
      !isUint16(entry.tag) ||
      !isUint32(entry.address) ||
      !isUint32(entry.mask) ||
      !isUint32(entry.nextHop) ||
      !isUint32(entry.metric)
    ) {
      throw new WireError(
        "BAD_VALUE",
        at,
        `entry ${(at - offset - HEADER_BYTES) / RTE_BYTES} has a field out of range`,
      );
    }
    view.setUint16(at, entry.afi);
    view.setUint16(at + 2, entry.tag);
    view.setUint32(at + 4, entry.address);
    view.setUint32(at + 8, entry.mask);
    view.setUint32(at + 12, entry.nextHop);
    view.setUint32(at + 16, entry.metric);
    at += RTE_BYTES;
  }
  if (packet.auth?.type === "crypto") {
    // RFC 2082 §3.2 / RFC 4822 §2.2: trailer = 0xFFFF, 0x0001, authentication data.
    view.setUint16(at, AFI_AUTH);
    view.setUint16(at + 2, AUTH_TRAILER_TYPE);
    out.set(packet.auth.digest, at + AUTH_TRAILER_HEADER_BYTES);
  }
  return out;
}

/** Writes the authentication entry at `at` (packet starts at at - 4); returns the offset after it. */
function writeAuthEntry(view: DataView, out: Uint8Array, at: number, packet: Ripv2Packet): number {
  const auth = packet.auth!;
  view.setUint16(at, AFI_AUTH);
  if (auth.type === "simple") {
    view.setUint16(at + 2, AUTH_TYPE_SIMPLE);
    out.fill(0, at + 4, at + 4 + SIMPLE_PASSWORD_BYTES);
    out.set(Buffer.from(auth.password, "latin1"), at + 4);
    return at + RTE_BYTES;
  }
  view.setUint16(at + 2, AUTH_TYPE_CRYPTO);
  // RFC 4822 §2.2: "RIPv2 Packet Length" is the offset of the trailer from the start of the packet.
  view.setUint16(at + 4, HEADER_BYTES + RTE_BYTES * (1 + packet.entries.length));
  view.setUint8(at + 6, auth.keyId);
  view.setUint8(at + 7, auth.authDataLength);
  view.setUint32(at + 8, auth.sequence);
  view.setUint32(at + 12, 0); // RFC 4822 §2.2: reserved, must be zero
  view.setUint32(at + 16, 0);
  return at + RTE_BYTES;
}

function readCommand(buf: Uint8Array, offset: number): Command {
  const command = buf[offset]!;
  if (command === COMMAND_REQUEST) return "request";
  if (command === COMMAND_RESPONSE) return "response";
  // RFC 2453 §3.6: commands 3-5 are obsolete or reserved and are ignored, like anything unknown.
  throw new WireError("BAD_COMMAND", offset, `command ${command} is neither request (1) nor response (2)`);
}

/** Where the entries are, and the authentication (if any), once the packet's structure is known. */
interface Layout {
  auth?: Ripv2Auth;
  entriesStart: number;
  entriesEnd: number;
}

function readLayout(buf: Uint8Array, offset: number, end: number, version: number): Layout {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const first = offset + HEADER_BYTES;
  // RFC 2453 §4.1: only a version 2+ packet's *first* entry can be authentication; RIPv1 routers
  // ignore it as an unknown address family, and so does a later 0xFFFF entry (a per-RTE skip).
  if (version < RIP_VERSION_2 || end - first < RTE_BYTES || view.getUint16(first) !== AFI_AUTH) {
    return { entriesStart: first, entriesEnd: alignedEnd(first, end) };
  }
  const type = view.getUint16(first + 2);
  if (type === AUTH_TYPE_SIMPLE) {
    const field = buf.subarray(first + 4, first + 4 + SIMPLE_PASSWORD_BYTES);
    const used = field.indexOf(0) === -1 ? field.length : lastNonZero(field) + 1;
    const password = Buffer.from(field.buffer, field.byteOffset, used).toString("latin1");
    return {
      auth: { type: "simple", password },
      entriesStart: first + RTE_BYTES,
      entriesEnd: alignedEnd(first, end),
    };
  }
  if (type === AUTH_TYPE_CRYPTO) return readCryptoLayout(buf, view, offset, end);
  throw new WireError(
    "BAD_AUTH",
    first + 2,
    `authentication type ${type} is not simple (2) or cryptographic (3)`,
  );
}

function lastNonZero(field: Uint8Array): number {
  for (let i = field.length - 1; i >= 0; i--) if (field[i] !== 0) return i;
  return -1;
}

/** RFC 2453 §3.6: after the header the datagram is whole 20-byte entries, nothing else. */
function alignedEnd(start: number, end: number): number {
  if ((end - start) % RTE_BYTES !== 0) {
    const extra = (end - start) % RTE_BYTES;
    throw new WireError("TRAILING_BYTES", end - extra, `${extra} bytes after the last whole 20-byte entry`);
  }
  return end;
}

function readCryptoLayout(buf: Uint8Array, view: DataView, offset: number, end: number): Layout {
  const first = offset + HEADER_BYTES;
  // RFC 4822 §2.2: the packet-length field is the offset of the trailer from the start of the packet.
  const trailer = offset + view.getUint16(first + 4);
  if (trailer < first + RTE_BYTES || (trailer - first) % RTE_BYTES !== 0) {
    throw new WireError(
      "BAD_AUTH",
      first + 4,
      `packet length ${trailer - offset} is not header + whole entries`,
    );
  }
  need(buf, trailer, AUTH_TRAILER_HEADER_BYTES, "authentication trailer", end);
  if (view.getUint16(trailer) !== AFI_AUTH || view.getUint16(trailer + 2) !== AUTH_TRAILER_TYPE) {
    throw new WireError("BAD_AUTH", trailer, "authentication trailer does not start with 0xFFFF 0x0001");
  }
  const digestStart = trailer + AUTH_TRAILER_HEADER_BYTES;
  if (!TRAILER_DIGEST_BYTES.has(end - digestStart)) {
    throw new WireError(
      "BAD_AUTH",
      digestStart,
      `authentication data of ${end - digestStart} bytes is not 16/20/32/48/64`,
    );
  }
  const auth: CryptoAuth = {
    type: "crypto",
    keyId: view.getUint8(first + 6),
    authDataLength: view.getUint8(first + 7),
    sequence: view.getUint32(first + 8),
    digest: buf.slice(digestStart, end),
  };
  return { auth, entriesStart: first + RTE_BYTES, entriesEnd: trailer };
}

/** Decodes one datagram occupying buf[offset..end) (end defaults to the end of buf). */
export function decode(buf: Uint8Array, offset = 0, end = buf.length): { value: Ripv2Packet; bytes: number } {
  if (end > buf.length)
    throw new WireError("TRUNCATED", buf.length, `datagram end ${end} is past the buffer`);
  need(buf, offset, HEADER_BYTES, "RIP header", end);
  const command = readCommand(buf, offset);
  const version = buf[offset + 1]!;
  // RFC 1058 §3.4: version 0 datagrams are ignored.
  if (version === 0) throw new WireError("BAD_VERSION", offset + 1, "version 0 is not a RIP version");
  const layout = readLayout(buf, offset, end, version);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries = new Array<Ripv2Entry>((layout.entriesEnd - layout.entriesStart) / RTE_BYTES);
  for (let at = layout.entriesStart, i = 0; at < layout.entriesEnd; at += RTE_BYTES, i++) {
    entries[i] = {
      afi: view.getUint16(at),
      tag: view.getUint16(at + 2),
      address: view.getUint32(at + 4),
      mask: view.getUint32(at + 8),
      nextHop: view.getUint32(at + 12),
      metric: view.getUint32(at + 16),
    };
  }
  const value: Ripv2Packet = layout.auth
    ? { command, version, auth: layout.auth, entries }
    : { command, version, entries };
  return { value, bytes: end - offset };
}
