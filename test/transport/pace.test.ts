import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PACE_BYTES, paceGroups } from "../../src/transport/udp.js";

const datagram = (length: number) => ({ bytes: new Uint8Array(length) });

describe("paceGroups: how a full-table burst is split between pauses", () => {
  it("sends 8 full RIPv2 datagrams (504 bytes) but only 2 full RIPng ones (1,444 bytes) per group", () => {
    expect(paceGroups(Array.from({ length: 20 }, () => datagram(504))).map((g) => g.length)).toEqual([
      8, 8, 4,
    ]);
    expect(paceGroups(Array.from({ length: 5 }, () => datagram(1444))).map((g) => g.length)).toEqual([
      2, 2, 1,
    ]);
  });

  it("a triggered update of a few small datagrams goes out as one group, without a pause", () => {
    expect(paceGroups([datagram(44), datagram(44)])).toHaveLength(1);
  });

  it("keeps every datagram, in order, and no group over the budget unless it is a single datagram", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 24, max: 9000 }), { maxLength: 60 }), (sizes) => {
        const actions = sizes.map((n, i) => ({ ...datagram(n), i }));
        const groups = paceGroups(actions);
        expect(groups.flat().map((a) => a.i)).toEqual(actions.map((a) => a.i));
        for (const group of groups) {
          const bytes = group.reduce((sum, a) => sum + a.bytes.length, 0);
          expect(group.length === 1 || bytes <= PACE_BYTES).toBe(true);
        }
      }),
    );
  });
});
