import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { type RouteSpec, RouteTable } from "../../src/speaker/table.js";

const GARBAGE_MS = 120_000;
const spec = (prefix: string, owner?: string, metric = 1): RouteSpec => ({
  prefix: parsePrefix(prefix),
  metric,
  tag: 0,
  ...(owner ? { owner } : {}),
});

describe("RouteTable", () => {
  it("garbage goes in withdrawal order, each after its own garbage time", () => {
    const t = new RouteTable(GARBAGE_MS);
    for (const p of ["198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15"]) t.announce(spec(p), 0);
    t.withdraw("203.0.113.0/24", 10);
    t.withdraw("198.51.100.0/24", 20);
    expect(t.nextGarbageAt()).toBe(10 + GARBAGE_MS);
    expect(t.collectGarbage(10 + GARBAGE_MS - 1)).toEqual([]);
    expect(t.collectGarbage(10 + GARBAGE_MS).map((r) => r.prefix.text)).toEqual(["203.0.113.0/24"]);
    expect(t.nextGarbageAt()).toBe(20 + GARBAGE_MS);
    // announced again while withdrawing: no longer garbage
    t.announce(spec("198.51.100.0/24"), 30);
    expect(t.nextGarbageAt()).toBeUndefined();
    expect(t.collectGarbage(10 * GARBAGE_MS)).toEqual([]);
    expect(t.size).toBe(2);
  });

  it("a prefix is fresh only while no whole-table datagrams built since could carry it", () => {
    const t = new RouteTable(GARBAGE_MS);
    t.announce(spec("198.51.100.0/24"), 0);
    expect(t.isFresh("198.51.100.0/24")).toBe(true); // nothing bulk was built yet
    t.bulkBuilt(); // a periodic update carries it now
    expect(t.isFresh("198.51.100.0/24")).toBe(false);
    t.withdraw("198.51.100.0/24", 1);
    t.announce(spec("198.51.100.0/24"), 2);
    expect(t.isFresh("198.51.100.0/24")).toBe(false); // the periodic still holds its older state
    t.announce(spec("203.0.113.0/24"), 3);
    expect(t.isFresh("203.0.113.0/24")).toBe(true); // a new VM's subnet: in no queued datagram
    // withdrawn and collected after the periodic was built, then back: the periodic may still say 16
    t.withdraw("198.51.100.0/24", 4);
    t.collectGarbage(4 + GARBAGE_MS);
    t.announce(spec("198.51.100.0/24"), 5 + GARBAGE_MS);
    expect(t.isFresh("198.51.100.0/24")).toBe(false);
    t.bulkBuilt();
    expect(t.isFresh("203.0.113.0/24")).toBe(false);
  });

  it("its indexes agree with a full scan after any sequence of operations", () => {
    const prefixes = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:42::/64", "198.18.0.0/15"];
    const op = fc.record({
      kind: fc.constantFrom("announce", "withdraw", "garbage"),
      prefix: fc.constantFrom(...prefixes),
      owner: fc.constantFrom(undefined, "tap0", "tap1"),
      metric: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const t = new RouteTable(GARBAGE_MS);
        let now = 0;
        for (const o of ops) {
          now += 50_000;
          if (o.kind === "announce") t.announce(spec(o.prefix, o.owner, o.metric), now);
          else if (o.kind === "withdraw") t.withdraw(o.prefix, now);
          else t.collectGarbage(now);
        }
        const all = t.all();
        const withdrawing = all.filter((r) => r.state === "withdrawing");
        expect(t.withdrawingCount).toBe(withdrawing.length);
        const earliest = Math.min(...withdrawing.map((r) => r.changedAt + GARBAGE_MS));
        expect(t.nextGarbageAt()).toBe(withdrawing.length ? earliest : undefined);
      }),
    );
  });
});
