import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BURST_COST, COST_PER_MS, costOf, DATAGRAM_OVERHEAD, Pacer } from "../../src/transport/pace.js";

let serial = 0;
const datagram = (length: number, iface = "eth0", family = "ipv4") => ({
  interface: iface,
  family,
  bytes: new Uint8Array(length),
  n: serial++,
});

/** Runs the pacer on a fake clock until it is empty; returns when each datagram left (ms). */
function drain(pacer: Pacer<ReturnType<typeof datagram>>, start = 0): Map<number, number> {
  const left = new Map<number, number>();
  let now = start;
  for (let guard = 0; guard < 100_000; guard++) {
    for (const item of pacer.take(now)) left.set(item.n, now);
    const next = pacer.nextAt();
    if (next === undefined) return left;
    now = Math.max(now + 0.001, next);
  }
  throw new Error("the pacer never emptied");
}

describe("Pacer: multi-datagram updates leave at a rate the gateway absorbs", () => {
  it("a VM's announce (one small datagram per family) leaves at once", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    pacer.push([datagram(44), datagram(64, "eth0", "ipv6")], 0);
    expect(pacer.take(0)).toHaveLength(2);
    expect(pacer.nextAt()).toBeUndefined();
  });

  it("10,000 RIPv2 routes (400 full datagrams) leave within ~1 s, never faster than the rate", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    const items = Array.from({ length: 400 }, () => datagram(504));
    pacer.push(items, 0);
    const left = drain(pacer);
    const last = Math.max(...left.values());
    const cost = costOf(items[0]!);
    // everything after the first bucketful is paced: the total cost over the rate
    expect(last).toBeCloseTo((400 * cost - BURST_COST) / COST_PER_MS, -1);
    expect(last).toBeLessThan(1100);
    // no window of time saw more than the bucket plus what the rate refilled
    const times = [...left.values()].sort((a, b) => a - b);
    for (let i = 0; i < times.length; i++) {
      const within = times.filter((t) => t >= times[i]! && t < times[i]! + 10).length;
      expect(within * cost).toBeLessThanOrEqual(BURST_COST + 10 * COST_PER_MS + cost);
    }
  });

  it("keeps order within a lane and paces lanes (interface, family) independently", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    const v4 = Array.from({ length: 50 }, () => datagram(504));
    const v6 = Array.from({ length: 50 }, () => datagram(1444, "eth0", "ipv6"));
    pacer.push([...v4, ...v6], 0);
    const left = drain(pacer);
    for (const lane of [v4, v6]) {
      const times = lane.map((d) => left.get(d.n)!);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    // the IPv6 lane did not wait for the IPv4 one: its first datagrams left at 0
    expect(left.get(v6[0]!.n)).toBe(0);
  });

  it("a datagram larger than the bucket (jumbo-MTU RIPng) still leaves, once the bucket is full", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    pacer.push([datagram(9000, "eth0", "ipv6"), datagram(9000, "eth0", "ipv6")], 0);
    expect(pacer.take(0)).toHaveLength(1);
    const next = pacer.nextAt()!;
    expect(next).toBeCloseTo((9000 + DATAGRAM_OVERHEAD) / COST_PER_MS, 5);
    expect(pacer.take(next)).toHaveLength(1);
  });

  it("a late wake-up (busy event loop) sends at most a bucketful, not everything owed", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    pacer.push(
      Array.from({ length: 100 }, () => datagram(504)),
      0,
    );
    pacer.take(0);
    const burst = pacer.take(10_000); // ten seconds late
    expect(burst.length * costOf(datagram(504))).toBeLessThanOrEqual(BURST_COST);
  });

  it("is bounded: a lane holding the maximum refuses (and counts) more, but an empty lane takes a whole update", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>({ maxQueued: 10 });
    expect(
      pacer.push(
        Array.from({ length: 30 }, () => datagram(504)),
        0,
      ),
    ).toEqual([]);
    pacer.take(0);
    const refused = pacer.push([datagram(504)], 0);
    expect(refused).toHaveLength(1);
    expect(pacer.dropped).toBe(1);
    expect(pacer.backlog).toBeGreaterThan(10);
  });

  it("discard() empties one interface's lanes and leaves the others", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    pacer.push(
      [
        ...Array.from({ length: 40 }, () => datagram(504)),
        ...Array.from({ length: 40 }, () => datagram(504, "eth1")),
      ],
      0,
    );
    const sent = pacer.take(0);
    const gone = pacer.discard("eth0");
    expect(gone.length).toBe(40 - sent.filter((d) => d.interface === "eth0").length);
    expect(gone.every((d) => d.interface === "eth0")).toBe(true);
    expect(pacer.backlog).toBe(40 - sent.filter((d) => d.interface === "eth1").length);
  });

  it("clear() hands back everything queued", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    pacer.push(
      Array.from({ length: 40 }, () => datagram(504)),
      0,
    );
    const sent = pacer.take(0).length;
    expect(pacer.clear()).toHaveLength(40 - sent);
    expect(pacer.backlog).toBe(0);
    expect(pacer.nextAt()).toBeUndefined();
  });

  it("urgent datagrams (a VM's announce) leave ahead of a queued periodic update, in their own order", () => {
    const pacer = new Pacer<ReturnType<typeof datagram>>();
    const periodic = Array.from({ length: 400 }, () => datagram(504));
    pacer.push(periodic, 0);
    pacer.take(0); // the first bucketful leaves; ~390 wait
    const announce = [datagram(44), datagram(44)];
    pacer.push(announce, 1, true);
    const left = drain(pacer, 1);
    const lastPeriodic = Math.max(
      ...[...left.entries()].filter(([n]) => n < announce[0]!.n).map(([, t]) => t),
    );
    expect(left.get(announce[0]!.n)).toBeLessThanOrEqual(left.get(announce[1]!.n)!);
    expect(left.get(announce[1]!.n)).toBeLessThan(5); // not the ~1 s the periodic's rest takes
    expect(lastPeriodic).toBeGreaterThan(500);
    // urgent datagrams count against the same bound and are cleared with the rest
    pacer.push([datagram(504)], 2);
    pacer.push([datagram(44)], 2, true);
    expect(pacer.backlog).toBe(2);
    expect(pacer.clear()).toHaveLength(2);
  });

  it("every datagram leaves exactly once, in order per lane (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 24, max: 9000 }), fc.constantFrom("eth0", "eth1")), {
          maxLength: 80,
        }),
        (specs) => {
          const pacer = new Pacer<ReturnType<typeof datagram>>();
          const items = specs.map(([n, iface]) => datagram(n, iface));
          pacer.push(items, 0);
          const left = drain(pacer);
          expect(left.size).toBe(items.length);
          for (const iface of ["eth0", "eth1"]) {
            const times = items.filter((d) => d.interface === iface).map((d) => left.get(d.n)!);
            expect(times).toEqual([...times].sort((a, b) => a - b));
          }
        },
      ),
    );
  });
});
