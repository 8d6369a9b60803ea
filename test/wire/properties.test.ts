import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CryptoAlgorithm, cryptoAuthFor, sign, verify } from "../../src/wire/auth.js";
import { WireError } from "../../src/wire/errors.js";
import * as ripng from "../../src/wire/ripng.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { cryptoAlgorithm, ripngPacket, ripv2Entry, ripv2Packet } from "../helpers/arbitraries.js";

/** Runs fn and fails the property if it throws anything but a WireError. */
function onlyWireErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
  }
}

const runs = Number(process.env.RIPLET_FUZZ_RUNS ?? 2000);

/** Valid encoded packets with a few bytes flipped, inserted or cut. */
function mutated(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(),
      fc.boolean(),
    )
    .map(([bytes, flips, cut, shorten]) => {
      const copy = Uint8Array.from(bytes);
      for (const [at, value] of flips) if (copy.length > 0) copy[at % copy.length] = value;
      return shorten && copy.length > 0 ? copy.subarray(0, cut % copy.length) : copy;
    });
}

describe("properties", () => {
  it("RIPv2: decode(encode(p)) = p for every family, version and auth form", () => {
    fc.assert(
      fc.property(ripv2Packet, (packet) => {
        expect(ripv2.decode(ripv2.encode(packet)).value).toEqual(packet);
      }),
      { numRuns: runs },
    );
  });

  it("RIPng: decode(encode(p)) = p", () => {
    fc.assert(
      fc.property(ripngPacket, (packet) => {
        expect(ripng.decode(ripng.encode(packet)).value).toEqual(packet);
      }),
      { numRuns: runs },
    );
  });

  it("arbitrary bytes only ever raise WireError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        onlyWireErrors(() => ripv2.decode(bytes));
        onlyWireErrors(() => ripng.decode(bytes));
        onlyWireErrors(() => verify(bytes, [{ secret: Buffer.from("k") }]));
      }),
      { numRuns: runs * 5 },
    );
  });

  it("mutated valid packets only ever raise WireError", () => {
    const encoded = fc.oneof(
      ripv2Packet.map((p) => ripv2.encode(p)),
      ripngPacket.map((p) => ripng.encode(p)),
    );
    fc.assert(
      fc.property(mutated(encoded), (bytes) => {
        onlyWireErrors(() => ripv2.decode(bytes));
        onlyWireErrors(() => ripng.decode(bytes));
        onlyWireErrors(() => verify(bytes, [{ secret: Buffer.from("k") }]));
      }),
      { numRuns: runs * 5 },
    );
  });

  it("a signed packet verifies, and any single-byte change makes it fail", () => {
    const arb = fc.record({
      algorithm: cryptoAlgorithm,
      keyId: fc.integer({ min: 0, max: 255 }),
      secret: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      sequence: fc.integer({ min: 0, max: 0xffffffff }),
      entries: fc.array(
        ripv2Entry.map((e) => ({ ...e, afi: 2 })),
        { maxLength: 21 },
      ),
      at: fc.nat(),
      xor: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(arb, ({ algorithm, keyId, secret, sequence, entries, at, xor }) => {
        const key = { id: keyId, secret, algorithm: algorithm as CryptoAlgorithm };
        const packet = ripv2.encode({
          command: "response",
          version: 2,
          auth: cryptoAuthFor(key, sequence),
          entries,
        });
        sign(packet, key);
        expect(verify(packet, [key]).verified).toBe(true);
        const tampered = Uint8Array.from(packet);
        tampered[at % tampered.length]! ^= xor;
        let verified = false;
        onlyWireErrors(() => {
          verified = verify(tampered, [key]).verified;
        });
        expect(verified).toBe(false);
      }),
      { numRuns: runs },
    );
  });
});
