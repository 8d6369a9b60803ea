/**
 * `riplet run` (default timers) against FRR (ripd + ripngd) and BIRD (rip + rip ng): the prefixes reach
 * the gateway's kernel table via the host's addresses, SIGTERM removes them at once (metric 16), and
 * announce/withdraw latencies (median of RUNS) are printed as JSON lines.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createPairLab,
  type Gateway,
  type GatewayKind,
  HOST_IF,
  interopDescribe,
  kernelRoute,
  logWarnings,
  median,
  type PairLab,
  startGateway,
  startRun,
  stopRun,
  timeEach,
} from "../lab/index.js";

const V4 = "198.51.100.0/24";
const V6 = "2001:db8:42::/48";
const RUNS = 10;

/** Per family, the ms until `present` holds in the gateway's kernel table for that prefix. */
function kernelConditions(pair: PairLab, present: boolean) {
  const check = (prefix: string) => async () =>
    ((await kernelRoute(pair.lab, pair.gw.ns, prefix)) !== undefined) === present;
  return { ipv4: check(V4), ipv6: check(V6) };
}

for (const kind of ["frr", "bird"] as GatewayKind[]) {
  interopDescribe(`riplet run → ${kind} gateway`, () => {
    let pair: PairLab;
    let gw: Gateway;

    beforeAll(async () => {
      pair = await createPairLab(`announce-${kind}`);
      gw = await startGateway(kind, pair.lab, pair.gw);
    });
    afterAll(() => pair?.lab.destroy());

    it("installs both prefixes in the gateway's kernel table via the host's addresses", async () => {
      const run = await startRun(pair.lab, pair.host.ns, [V4, V6], HOST_IF);
      await timeEach(kernelConditions(pair, true), { timeoutMs: 10_000 });
      const v4 = await kernelRoute(pair.lab, pair.gw.ns, V4);
      const v6 = await kernelRoute(pair.lab, pair.gw.ns, V6);
      const protocols = kind === "frr" ? ["rip", "ripng"] : ["bird", "bird"];
      expect(v4).toMatchObject({ gateway: pair.host.v4, dev: pair.gw.ifname, protocol: protocols[0] });
      expect(v6).toMatchObject({ gateway: pair.host.linkLocal, dev: pair.gw.ifname, protocol: protocols[1] });
      expect(await gw.peerRoutes("ipv4")).toContainEqual({ prefix: V4, nextHop: pair.host.v4 });
      expect(await gw.peerRoutes("ipv6")).toContainEqual({ prefix: V6, nextHop: pair.host.linkLocal });

      expect(logWarnings(run), "riplet dropped something the gateway sent").toEqual([]);
      const t0 = performance.now();
      expect(await stopRun(run)).toBe(0);
      const gone = await timeEach(kernelConditions(pair, false), { timeoutMs: 10_000, start: t0 });
      console.log(JSON.stringify({ test: "withdraw-once", gateway: kind, ms: gone }));
      expect(await gw.peerRoutes("ipv4")).not.toContainEqual(expect.objectContaining({ prefix: V4 }));
      expect(await gw.peerRoutes("ipv6")).not.toContainEqual(expect.objectContaining({ prefix: V6 }));
      // poisoned, not timed out: well before any RIP timer (30 s update, 180 s timeout) could act
      expect(Math.max(gone.ipv4!, gone.ipv6!)).toBeLessThan(3000);
    });

    it(`measures announce and withdraw latency (median of ${RUNS})`, async () => {
      // announce: `riplet run` spawned → in the kernel (includes Node's start-up, ~0.3 s);
      // announce-after-startup: riplet's first log line (sockets open) → in the kernel; withdraw: SIGTERM → gone
      const samples = {
        announce: { ipv4: [] as number[], ipv6: [] as number[] },
        "announce-after-startup": { ipv4: [] as number[], ipv6: [] as number[] },
        withdraw: { ipv4: [] as number[], ipv6: [] as number[] },
      };
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const wall0 = Date.now();
        const run = await startRun(pair.lab, pair.host.ns, [V4, V6], HOST_IF);
        const up = await timeEach(kernelConditions(pair, true), { timeoutMs: 10_000, start: t0 });
        const firstLog = Date.parse(String(run.jsonLines()[0]?.time));
        const t1 = performance.now();
        await stopRun(run);
        const down = await timeEach(kernelConditions(pair, false), { timeoutMs: 10_000, start: t1 });
        for (const family of ["ipv4", "ipv6"] as const) {
          samples.announce[family].push(up[family]!);
          samples["announce-after-startup"][family].push(wall0 + up[family]! - firstLog);
          samples.withdraw[family].push(down[family]!);
        }
      }
      for (const [what, byFamily] of Object.entries(samples)) {
        for (const [family, ms] of Object.entries(byFamily)) {
          const line = { latency: what, gateway: kind, family, medianMs: median(ms), runs: ms.length, ms };
          console.log(JSON.stringify(line));
          expect(median(ms)).toBeLessThan(3000);
        }
      }
    });
  });
}
