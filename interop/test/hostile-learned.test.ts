/**
 * Learned routes (issue 13 item 3), against a real FRR gateway on an open link: one host on the segment
 * floods riplet with Responses carrying 25 never-seen /32s each, at full speed. riplet only observes
 * learned routes, so what it keeps must be bounded by `limits.learnedRoutes` (10,000 by default; one
 * neighbour at most half), its memory must stay flat, and our own announcements must still reach FRR
 * during the flood (each one timed; the p50 printed, not asserted).
 * RIPLET_RESPONSE_FLOOD_SECONDS sets the flood's length (20 by default).
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/daemon/config-normalize.js";
import { interopDescribe, median, rssKiB, runRouteFlood, sleep } from "../lab/index.js";
import { announceTimed, neighbor, record, status, watchMemory } from "./hostile-daemon.js";
import { type HostileLab, hostileLab } from "./hostile-lab.js";

const FLOOD_SECONDS = Number(process.env.RIPLET_RESPONSE_FLOOD_SECONDS ?? 20);
/** What the flood may add to riplet's resident memory (the bound), in KiB. */
const RSS_GROWTH_BOUND_KIB = 50 * 1024;

interopDescribe("hostile input: a flood of Responses with new /32s (FRR, open link)", () => {
  let h: HostileLab;
  beforeAll(async () => {
    h = await hostileLab("hostile-learned", { auth: "none" });
  });
  afterAll(() => h?.seg.lab.destroy());

  it(`${FLOOD_SECONDS} s of fresh /32s: learned routes bounded, memory flat, announcements still go out`, async () => {
    const { seg, attacker, socket, daemon } = h;
    const { lab, host } = seg;
    const stopFile = join(lab.dir, "stop-learned");
    const memory = watchMemory(daemon, stopFile);
    const t0 = performance.now();
    const flood = runRouteFlood(lab, attacker.ns, {
      from: attacker.v4,
      to: host.v4,
      seconds: FLOOD_SECONDS,
      stopFile,
    });
    let floodOver = false;
    void flood.finally(() => {
      floodOver = true;
    });
    // one announcement every 2 s while the flood lasts, each timed until FRR has it in its kernel
    const latencies: number[] = [];
    const failures: string[] = [];
    for (let i = 0; !floodOver && performance.now() - t0 < FLOOD_SECONDS * 1000 - 2000; i++) {
      await sleep(2000);
      await announceTimed(lab, seg.frr.ns, socket, `198.19.${i}.0/24`).then(
        (ms) => latencies.push(ms),
        (e: Error) => failures.push(e.message),
      );
    }
    const result = await flood;
    memory.stop();
    const rssAfter = daemon.running ? rssKiB(daemon.pid) : null;
    const after = daemon.running ? await status(lab, host.ns, socket) : undefined;
    const learned = after?.neighbors.reduce((total, n) => total + n.routes, 0);
    const fromAttacker = after && neighbor(after, attacker.v4, "ipv4");
    record({
      test: "hostile-learned-flood",
      seconds: FLOOD_SECONDS,
      sent: { datagrams: result.sent, routes: result.routes, failed: result.failed },
      stoppedAtCap: memory.seen.capped ? { capKiB: 1024 * 1024, afterMs: memory.seen.cappedAtMs } : false,
      rssKiB: { before: memory.seen.start, peak: memory.seen.peak, after: rssAfter },
      learnedRoutes: {
        total: learned,
        fromAttacker: fromAttacker?.routes,
        limit: DEFAULT_LIMITS.learnedRoutes,
      },
      attackerDrops: fromAttacker?.drops,
      announceDuringFloodMs: { p50: latencies.length ? median(latencies) : null, all: latencies, failures },
    });
    expect(daemon.running, daemon.describe()).toBe(true);
    expect(memory.seen.peak - memory.seen.start, "RSS growth, KiB").toBeLessThanOrEqual(RSS_GROWTH_BOUND_KIB);
    expect(learned, "learned routes in status").toBeLessThanOrEqual(DEFAULT_LIMITS.learnedRoutes);
    expect(fromAttacker?.routes, "routes from one neighbour").toBeLessThanOrEqual(
      DEFAULT_LIMITS.learnedRoutes / 2,
    );
    expect(failures, "announcements during the flood that never reached FRR").toEqual([]);
  });
});
