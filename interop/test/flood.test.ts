/**
 * Hostile input (issue 7), against a real FRR gateway: a neighbour on the segment floods the daemon
 * (RIPv2 with keyed MD5, RIPng) with malformed, unsigned, replayed and oversized datagrams: the gateway
 * keeps our routes, memory stays flat, every datagram the kernel hands riplet is counted by reason, and
 * the log says so a few lines a minute.
 * RIPLET_FLOOD_SECONDS sets the flood's length (5 by default; 30 for the long run).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { interopDescribe, rssKiB, type SendResult, udpCounters } from "../lab/index.js";
import { dropLogLines, type NeighborStatus, neighbor, type Status, status } from "./hostile-daemon.js";
import {
  announceAfterFlood,
  type Before,
  dropsSettled,
  FLOOD_SECONDS,
  floodPlan,
  runFlood,
  type UdpCounters,
} from "./hostile-flood.js";
import { type HostileLab, hostileLab, UPDATE_S } from "./hostile-lab.js";

/**
 * The daemon's memory must not grow with the packets it drops. Neighbour records are capped at 256 and
 * drop-log keys at 1024, and the flood comes from two addresses, so the state does not grow at all;
 * what may grow is V8's heap reaching its working size under the allocation rate (the young
 * generation's semi-spaces grow from 1 to 16 MiB each). 30 MiB covers that and still catches a leak
 * of a few dozen bytes per dropped datagram (hundreds of thousands of them are sent).
 */
const RSS_GROWTH_BOUND_KIB = 30 * 1024;
/** Datagrams the gateway itself may send the host during the flood (periodic updates, answers). */
const LEGIT_SLACK = 50;

type PerFamily = { ipv4: number; ipv6: number };

/** What the flood did, read once the counters settled. */
interface Outcome {
  before: Before;
  result: SendResult;
  peakRss: number;
  kernel: UdpCounters;
  after: Status;
  rssAfter: number;
  logLines: number;
  announceAfterFloodMs: number;
}

/** Logs the flood's figures (test "hostile-flood") and returns what the assertions need. */
function floodFigures(o: Outcome, n4?: NeighborStatus, n6?: NeighborStatus) {
  const { before, result, kernel, after } = o;
  const family = (prefix: string) =>
    Object.entries(result.sent)
      .filter(([kind]) => kind.startsWith(prefix))
      .reduce((total, [, n]) => total + n, 0);
  const sent = { ipv4: family("v4-"), ipv6: family("v6-") };
  const delivered = {
    ipv4: kernel.ipv4.delivered - before.kernel.ipv4.delivered,
    ipv6: kernel.ipv6.delivered - before.kernel.ipv6.delivered,
  };
  const bufferDrops = {
    ipv4: kernel.ipv4.bufferDrops - before.kernel.ipv4.bufferDrops,
    ipv6: kernel.ipv6.bufferDrops - before.kernel.ipv6.bufferDrops,
  };
  const periodicUpdates = after.counters.updatesSent - before.status.counters.updatesSent;
  console.log(
    JSON.stringify({
      test: "hostile-flood",
      seconds: FLOOD_SECONDS,
      senderMs: result.ms,
      sent: result.sent,
      sendFailures: result.failed,
      sendErrors: result.errors,
      drops: { ipv4: n4?.drops, ipv6: n6?.drops },
      // sent, less what riplet read and what its full socket buffers refused (below 0: the gateway's own)
      kernel: {
        delivered,
        bufferDrops,
        unaccounted: {
          ipv4: sent.ipv4 + result.sent.prime! - delivered.ipv4 - bufferDrops.ipv4,
          ipv6: sent.ipv6 - delivered.ipv6 - bufferDrops.ipv6,
        },
      },
      rssKiB: { before: before.rss, peak: o.peakRss, after: o.rssAfter },
      dropLogLines: o.logLines,
      periodicUpdates,
      announceAfterFloodMs: o.announceAfterFloodMs,
    }),
  );
  return { sent, delivered, periodicUpdates };
}

/** Every kind of garbage counted under its reason, and every datagram riplet read counted. */
function expectCounted(n4: NeighborStatus, n6: NeighborStatus, sent: PerFamily, delivered: PerFamily) {
  // every kind of garbage is counted under its reason, and nothing else
  expect(Object.keys(n4.drops).sort()).toEqual(["AUTH_MISSING", "AUTH_REPLAY", "MALFORMED"]);
  expect(Object.keys(n6.drops).sort()).toEqual(["BAD_VERSION", "MALFORMED"]);
  for (const [n, reasons] of [
    [n4, ["AUTH_MISSING", "AUTH_REPLAY", "MALFORMED"]],
    [n6, ["BAD_VERSION", "MALFORMED"]],
  ] as const) {
    for (const reason of reasons) expect(n.drops[reason], reason).toBeGreaterThan(n.badPackets * 0.05);
    expect(n.routes).toBe(0);
  }
  // every datagram the kernel handed riplet was counted (the gateway's own few aside) ...
  for (const [f, n] of [
    ["ipv4", n4],
    ["ipv6", n6],
  ] as const) {
    expect(n.badPackets, `${f} drops counted vs datagrams riplet read`).toBeLessThanOrEqual(delivered[f]);
    expect(n.badPackets, `${f} drops counted vs datagrams riplet read`).toBeGreaterThanOrEqual(
      delivered[f] - LEGIT_SLACK,
    );
    // ... and that is a sizeable part of what was sent: the rest overflowed the socket buffer
    expect(n.badPackets, `${f} drops counted vs datagrams sent`).toBeGreaterThan(sent[f] * 0.1);
  }
}

interopDescribe("hostile input: a flood from a neighbour on the segment (FRR, keyed MD5)", () => {
  let h: HostileLab;
  beforeAll(async () => {
    h = await hostileLab("hostile-flood");
  });
  afterAll(() => h?.seg.lab.destroy());

  it(`keeps the gateway's routes, its memory and its log through ${FLOOD_SECONDS} s of garbage`, async () => {
    const { seg, attacker, socket, daemon } = h;
    const { lab, host } = seg;
    const plan = floodPlan(h);
    const { before, result, peakRss } = await runFlood(h, plan);
    await dropsSettled(h);
    const kernel = await udpCounters(lab, host.ns);
    const after = await status(lab, host.ns, socket);
    const rssAfter = rssKiB(daemon.pid);
    const logLines = dropLogLines(daemon) - before.logLines;
    expect(daemon.running, daemon.describe()).toBe(true);
    const announceAfterFloodMs = await announceAfterFlood(h);

    const n4 = neighbor(after, attacker.v4, "ipv4");
    const n6 = neighbor(after, attacker.linkLocal, "ipv6");
    const outcome = { before, result, peakRss, kernel, after, rssAfter, logLines, announceAfterFloodMs };
    const { sent, delivered, periodicUpdates } = floodFigures(outcome, n4, n6);

    expect(n4, "the attacker's IPv4 address in status").toBeDefined();
    expect(n6, "the attacker's link-local address in status").toBeDefined();
    expectCounted(n4!, n6!, sent, delivered);
    // rate-limited: one line per (address, reason) a minute, whatever the packet rate
    const pairs = 5;
    expect(logLines).toBeGreaterThanOrEqual(pairs);
    expect(logLines).toBeLessThanOrEqual(pairs * (1 + Math.floor((FLOOD_SECONDS + 2) / 60)));
    expect(rssAfter - before.rss).toBeLessThan(RSS_GROWTH_BOUND_KIB);
    expect(periodicUpdates, "periodic updates sent during the flood").toBeGreaterThanOrEqual(
      Math.floor(FLOOD_SECONDS / (UPDATE_S * 1.5)),
    );
  });
});
