/** fast-check arbitraries for valid packet values of every family and auth form. */
import fc from "fast-check";
import type { Ipv6Words } from "../../src/wire/address.js";
import type { CryptoAlgorithm } from "../../src/wire/auth.js";
import type { RipngEntry, RipngPacket } from "../../src/wire/ripng.js";
import type { Ripv2Auth, Ripv2Entry, Ripv2Packet } from "../../src/wire/ripv2.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const command = fc.constantFrom("request" as const, "response" as const);

export const ripv2Entry: fc.Arbitrary<Ripv2Entry> = fc.record({
  afi: u16,
  tag: u16,
  address: u32,
  mask: u32,
  nextHop: u32,
  metric: u32,
});

export const cryptoAlgorithm = fc.constantFrom<CryptoAlgorithm>(
  "md5",
  "hmac-sha1",
  "hmac-sha256",
  "hmac-sha384",
  "hmac-sha512",
);

const simpleAuth = fc
  .string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 16 })
  .map((password): Ripv2Auth => ({ type: "simple", password }));

const cryptoAuth = fc
  .record({ keyId: u8, authDataLength: u8, sequence: u32, digestLength: fc.constantFrom(16, 20, 32, 48, 64) })
  .chain(({ digestLength, ...rest }) =>
    fc
      .uint8Array({ minLength: digestLength, maxLength: digestLength })
      .map((digest): Ripv2Auth => ({ type: "crypto", ...rest, digest })),
  );

/** Any packet the encoder accepts: ≤ 512 bytes, auth only in version 2+. */
export const ripv2Packet: fc.Arbitrary<Ripv2Packet> = fc
  .record({
    command,
    version: fc.integer({ min: 1, max: 255 }),
    auth: fc.option(fc.oneof(simpleAuth, cryptoAuth), { nil: undefined }),
  })
  .chain(({ command, version, auth }) => {
    const usable = version >= 2 ? auth : undefined;
    const authBytes = !usable ? 0 : usable.type === "simple" ? 20 : 24 + usable.digest.length;
    const max = Math.min(25, Math.floor((512 - 4 - authBytes) / 20));
    return fc.array(ripv2Entry, { maxLength: max }).map((entries): Ripv2Packet => {
      // A version 2+ packet whose first entry has AFI 0xFFFF would decode as authentication.
      const safe = entries.map((e, i) =>
        i === 0 && !usable && version >= 2 && e.afi === 0xffff ? { ...e, afi: 2 } : e,
      );
      return usable ? { command, version, auth: usable, entries: safe } : { command, version, entries: safe };
    });
  });

export const ipv6Words: fc.Arbitrary<Ipv6Words> = fc.tuple(u32, u32, u32, u32);

export const ripngEntry: fc.Arbitrary<RipngEntry> = fc.record({
  prefix: ipv6Words,
  tag: u16,
  prefixLength: u8,
  metric: u8,
});

export const ripngPacket: fc.Arbitrary<RipngPacket> = fc.record({
  command,
  version: fc.integer({ min: 1, max: 255 }),
  entries: fc.array(ripngEntry, { maxLength: 72 }),
});
