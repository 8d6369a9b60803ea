import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseIpv4 } from "../../src/wire/address.js";
import {
  type AuthKey,
  type CryptoAlgorithm,
  cryptoAuthFor,
  DIGEST_BYTES,
  sign,
  verify,
} from "../../src/wire/auth.js";
import { WireError } from "../../src/wire/errors.js";
import * as ripv2 from "../../src/wire/ripv2.js";

const entries: ripv2.Ripv2Entry[] = [
  { afi: 2, tag: 0, address: parseIpv4("198.51.100.0"), mask: 0xffffff00, nextHop: 0, metric: 1 },
];
const ALGORITHMS: CryptoAlgorithm[] = ["md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"];
const secret = (s: string) => Buffer.from(s);

function signed(key: Required<AuthKey>, sequence = 1700000000, md5AuthLength: 16 | 20 = 16): Uint8Array {
  const packet = ripv2.encode({
    command: "response",
    version: 2,
    auth: cryptoAuthFor(key, sequence, md5AuthLength),
    entries,
  });
  sign(packet, key);
  return packet;
}

/** HMAC written out from RFC 2104 with plain hashes, to check sign() independently of createHmac. */
function rfc2104(hash: string, blockBytes: number, key: Uint8Array, message: Uint8Array): Buffer {
  const k = new Uint8Array(blockBytes);
  k.set(key.length > blockBytes ? createHash(hash).update(key).digest() : key);
  const inner = createHash(hash)
    .update(k.map((b) => b ^ 0x36))
    .update(message)
    .digest();
  return createHash(hash)
    .update(k.map((b) => b ^ 0x5c))
    .update(inner)
    .digest();
}

describe("authentication (RFC 2082, RFC 4822)", () => {
  it("keyed MD5 = MD5(packet with the key zero-padded to 16 bytes in the trailer) (RFC 2082 §3.2.2)", () => {
    const key = { id: 7, secret: secret("s3cret"), algorithm: "md5" as const };
    const packet = signed(key);
    const field = Buffer.alloc(16);
    secret("s3cret").copy(field);
    const expected = createHash("md5")
      .update(Buffer.concat([packet.subarray(0, packet.length - 16), field]))
      .digest();
    expect(Buffer.from(packet.subarray(packet.length - 16))).toEqual(expected);
    expect(packet[4 + 7]).toBe(16); // Auth Data Len, RFC form
  });

  it("HMAC over the packet with Apad in the trailer (RFC 4822 §2.5)", () => {
    const blocks: Record<string, [string, number]> = {
      "hmac-sha1": ["sha1", 64],
      "hmac-sha256": ["sha256", 64],
      "hmac-sha384": ["sha384", 128],
      "hmac-sha512": ["sha512", 128],
    };
    for (const [algorithm, [hash, block]] of Object.entries(blocks)) {
      const key = { id: 3, secret: secret(`key-for-${algorithm}`), algorithm: algorithm as CryptoAlgorithm };
      const packet = signed(key);
      const length = DIGEST_BYTES[key.algorithm];
      const withApad = Buffer.from(packet);
      for (let i = withApad.length - length; i < withApad.length; i += 4)
        withApad.writeUInt32BE(0x878fe1f3, i);
      expect(Buffer.from(packet.subarray(packet.length - length))).toEqual(
        rfc2104(hash, block, key.secret, withApad),
      );
      expect(packet[4 + 7]).toBe(length);
    }
  });

  it("verifies with the right key and fails with a wrong one, for every algorithm", () => {
    for (const algorithm of ALGORITHMS) {
      const key = { id: 9, secret: secret("right"), algorithm };
      const packet = signed(key);
      expect(verify(packet, [key])).toMatchObject({ verified: true, algorithm });
      expect(verify(packet, [{ secret: secret("right") }])).toMatchObject({ verified: true, algorithm });
      expect(verify(packet, [{ ...key, secret: secret("wrong") }])).toEqual({
        verified: false,
        reason: "WRONG_DIGEST",
      });
      expect(verify(packet, [{ ...key, id: 8 }])).toEqual({ verified: false, reason: "NO_KEY" });
    }
  });

  it("accepts MD5's 20-byte Auth Data Len form, rejects other lengths (BIRD/FRR)", () => {
    const key = { id: 1, secret: secret("k"), algorithm: "md5" as const };
    expect(verify(signed(key, 5, 20), [key]).verified).toBe(true);
    const odd = ripv2.encode({
      command: "response",
      version: 2,
      auth: { ...cryptoAuthFor(key, 5), authDataLength: 18 },
      entries,
    });
    sign(odd, key);
    expect(verify(odd, [key])).toEqual({ verified: false, reason: "BAD_AUTH_LENGTH" });
  });

  it("checks the length like BIRD: a key whose digest does not fit the trailer never matches", () => {
    const packet = signed({ id: 1, secret: secret("k"), algorithm: "hmac-sha256" });
    expect(verify(packet, [{ id: 1, secret: secret("k"), algorithm: "hmac-sha1" }])).toEqual({
      verified: false,
      reason: "LENGTH_MISMATCH",
    });
  });

  it("verifies simple passwords", () => {
    const packet = ripv2.encode({
      command: "response",
      version: 2,
      auth: { type: "simple", password: "pw" },
      entries,
    });
    expect(verify(packet, [{ secret: secret("pw") }])).toMatchObject({ verified: true, algorithm: "simple" });
    expect(verify(packet, [{ secret: secret("pw2") }])).toEqual({
      verified: false,
      reason: "WRONG_PASSWORD",
    });
    expect(
      verify(ripv2.encode({ command: "response", version: 2, entries }), [{ secret: secret("pw") }]),
    ).toEqual({
      verified: false,
      reason: "NO_AUTH",
    });
  });

  it("refuses to sign what it cannot", () => {
    const plain = ripv2.encode({ command: "response", version: 2, entries });
    expect(() => sign(plain, { id: 1, secret: secret("k"), algorithm: "md5" })).toThrow(WireError);
    const packet = signed({ id: 1, secret: secret("k"), algorithm: "hmac-sha256" });
    expect(() => sign(packet, { id: 1, secret: secret("k"), algorithm: "md5" })).toThrow(/16-byte trailer/);
    const md5 = signed({ id: 1, secret: secret("k"), algorithm: "md5" });
    expect(() => sign(md5, { id: 1, secret: secret("x".repeat(17)), algorithm: "md5" })).toThrow(
      /at most 16/,
    );
  });
});
