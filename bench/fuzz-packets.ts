/**
 * Structured datagrams for the fuzz targets (issue #7): RIPv2 packets of up to 30 RTEs written field by
 * field (no 512-byte limit: a hostile peer has none), signed with a capture's key so they get past
 * authentication, and RIPng packets of up to 80 RTEs. Mutated copies come from fuzz-inputs.ts.
 */
import fc from "fast-check";
import { type AuthKey, DIGEST_BYTES, sign } from "../src/wire/auth.js";
import { AUTH_TRAILER_HEADER_BYTES, HEADER_BYTES, RIP_VERSION_2, RTE_BYTES } from "../src/wire/constants.js";
import * as ripng from "../src/wire/ripng.js";

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const metric = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 17 }) },
  { weight: 1, arbitrary: u32 },
);

/** RIPv2 RTE fields: mostly routes a peer could send (AF_INET, a prefix and its mask), some anything. */
const ripv2Rte = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        afi: fc.oneof(
          { weight: 8, arbitrary: fc.constant(2) },
          { weight: 1, arbitrary: fc.constantFrom(0, 0xffff) },
        ),
        tag: fc.oneof(fc.constant(0), u16),
        address: u32,
        length: fc.integer({ min: 0, max: 32 }),
        nextHop: fc.oneof(fc.constant(0), fc.constant(0xc0000203), u32),
        metric,
      })
      .map(({ length, address, ...rest }) => {
        const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
        return { ...rest, address: (address & mask) >>> 0, mask };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ afi: u16, tag: u16, address: u32, mask: u32, nextHop: u32, metric: u32 }),
  },
  { weight: 1, arbitrary: fc.constant({ afi: 0, tag: 0, address: 0, mask: 0, nextHop: 0, metric: 16 }) },
);

export type Rte = {
  afi: number;
  tag: number;
  address: number;
  mask: number;
  nextHop: number;
  metric: number;
};

/** The key a crypto-authenticated datagram is signed with, and the Auth Data Len it declares. */
export interface Signer {
  key: Required<AuthKey>;
  authDataLength: number;
}

/**
 * A RIPv2 datagram written field by field, with no 512-byte limit (a hostile peer has none), optionally
 * with RFC 4822 §2.2 authentication signed by `signer`.
 */
export function writeRipv2(command: number, version: number, rtes: Rte[], signer?: Signer, sequence = 0) {
  const digest = signer ? DIGEST_BYTES[signer.key.algorithm] : 0;
  const auth = signer ? RTE_BYTES : 0;
  const trailer = signer ? AUTH_TRAILER_HEADER_BYTES + digest : 0;
  const out = new Uint8Array(HEADER_BYTES + auth + RTE_BYTES * rtes.length + trailer);
  const view = new DataView(out.buffer);
  out.set([command, version, 0, 0]);
  let at = HEADER_BYTES;
  if (signer) {
    view.setUint32(at, 0xffff0003); // RFC 4822 §2.2: AFI 0xFFFF, type 3
    view.setUint16(at + 4, HEADER_BYTES + RTE_BYTES * (1 + rtes.length));
    out[at + 6] = signer.key.id;
    out[at + 7] = signer.authDataLength;
    view.setUint32(at + 8, sequence >>> 0);
    at += RTE_BYTES;
  }
  for (const r of rtes) {
    view.setUint16(at, r.afi);
    view.setUint16(at + 2, r.tag);
    view.setUint32(at + 4, r.address);
    view.setUint32(at + 8, r.mask);
    view.setUint32(at + 12, r.nextHop);
    view.setUint32(at + 16, r.metric);
    at += RTE_BYTES;
  }
  if (!signer) return out;
  view.setUint32(at, 0xffff0001); // RFC 4822 §2.2: trailer 0xFFFF 0x0001
  // RFC 2453 §4.1: only version 2 and later carry authentication; sign() refuses the others.
  if (version >= RIP_VERSION_2) sign(out, signer.key);
  return out;
}

/** RIPv2 datagrams of 0-30 RTEs (a Request of 25 and more is legal on the wire: it has no size rule). */
export function ripv2Datagram(signers: readonly Signer[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      command: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(1, 2) },
        { weight: 1, arbitrary: fc.nat(255) },
      ),
      version: fc.oneof({ weight: 6, arbitrary: fc.constant(2) }, { weight: 1, arbitrary: fc.nat(255) }),
      rtes: fc.array(ripv2Rte, { maxLength: 30 }),
      signer: signers.length === 0 ? fc.constant(undefined) : fc.option(fc.constantFrom(...signers)),
      sequence: fc.oneof(fc.constantFrom(0, 1, 1_800_000_000, 0xffffffff), u32),
    })
    .map(({ command, version, rtes, signer, sequence }) =>
      writeRipv2(command, version, rtes, signer ?? undefined, sequence),
    );
}

/** RIPng RTEs: prefixes of every kind (global, link-local, multicast, ::), lengths past 128, next hops. */
const ripngRte = fc.record({
  prefix: fc.tuple(
    fc.oneof(fc.constantFrom(0x20010db8, 0xfe800000, 0xff020000, 0), u32),
    fc.oneof(fc.constant(0), u32),
    fc.oneof(fc.constant(0), u32),
    fc.oneof(fc.constantFrom(0, 1), u32),
  ),
  tag: fc.oneof(fc.constant(0), u16),
  prefixLength: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 129 }) }, fc.nat(255)),
  metric: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 17 }) }, fc.constant(0xff), fc.nat(255)),
});

/** RIPng datagrams of 0-80 RTEs (80 is more than a 1500-byte MTU carries). */
export const ripngDatagram: fc.Arbitrary<Uint8Array> = fc
  .record({
    command: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.nat(255) }),
    version: fc.oneof(
      { weight: 6, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.nat({ max: 254 }).map((v) => v + 1) },
    ),
    entries: fc.array(ripngRte, { maxLength: 80 }),
  })
  .map(({ command, version, entries }) => {
    const bytes = ripng.encode({ command: "request", version, entries });
    bytes[0] = command;
    return bytes;
  });
