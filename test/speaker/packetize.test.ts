import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packetizeRipng, packetizeRipv2, ripv2Capacity } from "../../src/speaker/packetize.js";
import { type Ipv6Words, ipv6Equal } from "../../src/wire/address.js";
import type { AuthMode } from "../../src/wire/auth.js";
import * as ripng from "../../src/wire/ripng.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { ripngEntry, ripv2Entry } from "../helpers/arbitraries.js";

describe("RIPv2 packetizer", () => {
  it.each<[AuthMode, number]>([
    ["none", 25],
    ["simple", 24],
    ["md5", 23],
    ["hmac-sha1", 23],
    ["hmac-sha256", 22],
    ["hmac-sha384", 21],
    ["hmac-sha512", 21],
  ])("%s carries %i routes a packet, and the result encodes within 512 bytes", (auth, capacity) => {
    expect(ripv2Capacity(auth)).toBe(capacity);
  });

  it("uses the fewest packets and keeps every route in order", () => {
    fc.assert(
      fc.property(
        fc.array(ripv2Entry, { maxLength: 200 }),
        fc.constantFrom<AuthMode>("none", "simple", "md5", "hmac-sha512"),
        (entries, auth) => {
          const packets = packetizeRipv2(entries, auth);
          expect(packets.length).toBe(Math.ceil(entries.length / ripv2Capacity(auth)));
          expect(packets.flat()).toEqual(entries);
          for (const p of packets) expect(p.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it("a full packet with the largest trailer still encodes", () => {
    const entries = Array.from({ length: 21 }, () => ({
      afi: 2,
      tag: 0,
      address: 0,
      mask: 0,
      nextHop: 0,
      metric: 1,
    }));
    const auth = {
      type: "crypto" as const,
      keyId: 1,
      authDataLength: 64,
      sequence: 1,
      digest: new Uint8Array(64),
    };
    expect(ripv2.encode({ command: "response", version: 2, auth, entries }).length).toBeLessThanOrEqual(512);
  });
});

describe("RIPng packetizer (RFC 2080 §2.1.1 next-hop RTEs)", () => {
  const hops: Ipv6Words[] = [
    [0, 0, 0, 0],
    [0xfe800000, 0, 0, 1],
    [0xfe800000, 0, 0, 2],
  ];
  const route = fc.record({
    entry: ripngEntry.map((e) => ({ ...e, metric: (e.metric % 16) + 1 })),
    nextHop: fc.constantFrom(...hops),
  });

  it("every packet fits the MTU and every route keeps its next hop", () => {
    fc.assert(
      fc.property(fc.array(route, { maxLength: 300 }), fc.constantFrom(1280, 1500, 9000), (routes, mtu) => {
        const packets = packetizeRipng(routes, mtu);
        const seen: { entry: unknown; nextHop: Ipv6Words }[] = [];
        for (const entries of packets) {
          expect(entries.length).toBeLessThanOrEqual(ripng.maxRipngEntries(mtu));
          const decoded = ripng.decode(ripng.encode({ command: "response", version: 1, entries })).value;
          seen.push(...ripng.ripngRoutes(decoded));
        }
        expect(seen.length).toBe(routes.length);
        for (const r of routes) {
          expect(
            seen.some(
              (s) => ipv6Equal(s.nextHop, r.nextHop) && JSON.stringify(s.entry) === JSON.stringify(r.entry),
            ),
          ).toBe(true);
        }
        // Fewest packets: at most one more than the routes alone would need per next-hop group.
        const groups = new Set(routes.map((r) => r.nextHop.join())).size;
        const lower = Math.ceil(routes.length / ripng.maxRipngEntries(mtu));
        expect(packets.length).toBeLessThanOrEqual(lower + groups);
      }),
      { numRuns: 200 },
    );
  });

  it("routes with no next hop need no next-hop RTE", () => {
    const routes = Array.from({ length: 72 }, (_, i) => ({
      entry: { prefix: [0x20010db8, i << 16, 0, 0] as Ipv6Words, tag: 0, prefixLength: 48, metric: 1 },
      nextHop: hops[0]!,
    }));
    const packets = packetizeRipng(routes, 1500);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toHaveLength(72);
  });
});
