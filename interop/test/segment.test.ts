/**
 * One Ethernet segment with both gateways: host (192.0.2.2), FRR (192.0.2.1) and BIRD (192.0.2.3) on a
 * bridge. One `riplet run` reaches both over the same multicast updates; both install our prefixes via
 * the host (not via each other) and both drop them on SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createSegmentLab,
  type Family,
  type Gateway,
  HOST_IF,
  interopDescribe,
  kernelRoute,
  logWarnings,
  type SegmentLab,
  startGateway,
  startRun,
  stopRun,
  timeEach,
  waitFor,
} from "../lab/index.js";

const V4 = "198.51.100.0/24";
const V6 = "2001:db8:42::/48";

interopDescribe("one segment, FRR and BIRD together", () => {
  let seg: SegmentLab;
  let gateways: Gateway[];

  beforeAll(async () => {
    seg = await createSegmentLab("segment");
    gateways = [
      await startGateway("frr", seg.lab, seg.frr),
      // BIRD gets statics of its own, so the two gateways' tables stay apart
      await startGateway("bird", seg.lab, seg.bird, {
        bird: { statics: ["198.18.99.0/24", "2001:db8:fe::/48"] },
      }),
    ];
  });
  afterAll(() => seg?.lab.destroy());

  const conditions = (present: boolean) =>
    Object.fromEntries(
      gateways.flatMap((gw) =>
        [V4, V6].map((prefix) => [
          `${gw.kind} ${prefix}`,
          async () => ((await kernelRoute(seg.lab, gw.node.ns, prefix)) !== undefined) === present,
        ]),
      ),
    );

  it("both gateways learn both prefixes from one riplet run, and both drop them on SIGTERM", async () => {
    const t0 = performance.now();
    const run = await startRun(seg.lab, seg.host.ns, [V4, V6], HOST_IF);
    const up = await timeEach(conditions(true), { timeoutMs: 10_000, start: t0 });
    for (const gw of gateways) {
      const v4 = await kernelRoute(seg.lab, gw.node.ns, V4);
      const v6 = await kernelRoute(seg.lab, gw.node.ns, V6);
      expect(v4, gw.kind).toMatchObject({ gateway: seg.host.v4 });
      expect(v6, gw.kind).toMatchObject({ gateway: seg.host.linkLocal });
      expect(await gw.peerRoutes("ipv4")).toContainEqual({ prefix: V4, nextHop: seg.host.v4 });
      expect(await gw.peerRoutes("ipv6")).toContainEqual({ prefix: V6, nextHop: seg.host.linkLocal });
    }
    expect(logWarnings(run), "riplet dropped something a gateway sent").toEqual([]);
    const t1 = performance.now();
    expect(await stopRun(run)).toBe(0);
    const down = await timeEach(conditions(false), { timeoutMs: 10_000, start: t1 });
    console.log(JSON.stringify({ test: "segment", announceMs: up, withdrawMs: down }));
    expect(Math.max(...Object.values(down))).toBeLessThan(3000);
  });

  it("the gateways also hear each other (the segment is a real shared link)", async () => {
    const [frr, bird] = gateways as [Gateway, Gateway];
    const has = (gw: Gateway, family: Family, prefix: string, nextHop: string) => async () =>
      (await gw.peerRoutes(family)).some((r) => r.prefix === prefix && r.nextHop === nextHop);
    const opts = { timeoutMs: 40_000, intervalMs: 250, what: "the gateways' routes on each other" };
    await waitFor(has(bird, "ipv4", "203.0.113.0/24", seg.frr.v4), opts);
    await waitFor(has(frr, "ipv4", "198.18.99.0/24", seg.bird.v4), opts);
    await waitFor(has(bird, "ipv6", "2001:db8:ff::/48", seg.frr.linkLocal), opts);
    expect(await kernelRoute(seg.lab, seg.bird.ns, "203.0.113.0/24")).toMatchObject({ gateway: seg.frr.v4 });
  });
});
