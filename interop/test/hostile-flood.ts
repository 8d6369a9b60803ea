/**
 * The flood of the hostile suite: its plan (malformed, unsigned, replayed and oversized datagrams from the
 * attacker on the segment), the flood run while FRR must keep our routes and riplet's memory is sampled,
 * riplet's drop counters settling after it, and a route announced once it is over.
 * RIPLET_FLOOD_SECONDS sets the flood's length (5 by default; 30 for the long run).
 */
import { expect } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import {
  hex,
  holdsNever,
  kernelHasAll,
  MALFORMED_V4,
  MALFORMED_V6,
  oversizedV4,
  oversizedV6,
  rssKiB,
  runSender,
  type SendPlan,
  type SendResult,
  udpCounters,
  v4Entry,
  v4Response,
  waitFor,
} from "../lab/index.js";
import { dropLogLines, neighbor, type Status, status } from "./hostile-daemon.js";
import { type HostileLab, MD5_KEY, V4, V6 } from "./hostile-lab.js";

export const FLOOD_SECONDS = Number(process.env.RIPLET_FLOOD_SECONDS ?? 5);
export type UdpCounters = Awaited<ReturnType<typeof udpCounters>>;

/**
 * Round-robin, to the host's address and 224.0.0.9 (UDP 520) and to ff02::9 and its link-local address
 * (UDP 521): malformed datagrams, unsigned Responses, validly signed Responses replayed with a sequence
 * number below one already accepted, and oversized ones. First, one signed Response sets the sequence.
 */
export function floodPlan({ seg, attacker }: HostileLab): SendPlan {
  const { host } = seg;
  const replayedFrom = Math.floor(Date.now() / 1000) + 100_000;
  const withdrawal = [v4Entry("198.18.66.0/24", 16)];
  const replays = Array.from({ length: 16 }, (_, i) =>
    hex(v4Response(withdrawal, { key: MD5_KEY, sequence: replayedFrom - 1 - 37 * i })),
  );
  const v4 = { family: "ipv4" as const, from: attacker.v4, fromPort: 520, toPort: 520 };
  const v4To = [host.v4, "224.0.0.9"];
  const v6 = { family: "ipv6" as const, from: `${attacker.linkLocal}%${attacker.ifname}`, fromPort: 521 };
  const v6To = [`ff02::9%${attacker.ifname}`, `${host.linkLocal}%${attacker.ifname}`];
  const primer = v4Response(withdrawal, { key: MD5_KEY, sequence: replayedFrom });
  const unsigned = v4Response([v4Entry("198.18.77.0/24", 1), v4Entry("203.0.113.0/25", 1)]);
  return {
    mode: "flood",
    ifname: attacker.ifname,
    seconds: FLOOD_SECONDS,
    items: [
      // one validly signed packet first: the sequence number the replays then fall behind
      { ...v4, kind: "prime", prime: true, to: [host.v4], payloads: [hex(primer)] },
      { ...v4, kind: "v4-malformed", to: v4To, payloads: MALFORMED_V4 },
      { ...v4, kind: "v4-unsigned", to: v4To, payloads: [hex(unsigned)] },
      { ...v4, kind: "v4-replayed", to: v4To, payloads: replays },
      { ...v4, kind: "v4-oversized", to: v4To, payloads: [hex(oversizedV4())] },
      { ...v6, kind: "v6-malformed", to: v6To, toPort: 521, payloads: MALFORMED_V6 },
      { ...v6, kind: "v6-oversized", to: v6To, toPort: 521, payloads: [hex(oversizedV6())] },
    ],
  };
}

/** Before the flood: the daemon's status, the host's UDP counters, riplet's memory and its drop lines. */
export interface Before {
  status: Status;
  kernel: UdpCounters;
  rss: number;
  logLines: number;
}

/** Sends `plan` while our routes must stay in FRR's kernel table and riplet's peak memory is sampled. */
export async function runFlood({ seg, attacker, socket, daemon }: HostileLab, plan: SendPlan) {
  const { lab, host } = seg;
  const before: Before = {
    status: await status(lab, host.ns, socket),
    kernel: await udpCounters(lab, host.ns),
    rss: rssKiB(daemon.pid),
    logLines: dropLogLines(daemon),
  };
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    if (daemon.running) peakRss = Math.max(peakRss, rssKiB(daemon.pid));
  }, 100);
  const gone = async () => !(await kernelHasAll(lab, seg.frr.ns, [V4, V6]));
  let result: SendResult;
  try {
    [result] = await Promise.all([
      runSender(lab, attacker.ns, plan),
      holdsNever(gone, {
        durationMs: FLOOD_SECONDS * 1000 + 1500,
        intervalMs: 50,
        what: "our routes missing from FRR's kernel table during the flood",
      }),
    ]);
  } finally {
    clearInterval(sampler);
  }
  return { before, result, peakRss };
}

/** riplet drains its socket buffers, then its counters stand still. */
export async function dropsSettled({ seg, attacker, socket }: HostileLab): Promise<void> {
  const { lab, host } = seg;
  const attackerDrops = async () => {
    const s = await status(lab, host.ns, socket);
    return [neighbor(s, attacker.v4, "ipv4"), neighbor(s, attacker.linkLocal, "ipv6")]
      .map((n) => n?.badPackets ?? 0)
      .join(" ");
  };
  let last = "";
  await waitFor(
    async () => {
      const now = await attackerDrops();
      const settled = now === last;
      last = now;
      return settled;
    },
    {
      timeoutMs: 15_000,
      intervalMs: 300,
      what: "riplet's drop counters to settle",
    },
  );
}

/** The daemon still talks to the gateway: a new route gets there, freshly signed. Returns the ms it took. */
export async function announceAfterFlood({ seg, socket }: HostileLab): Promise<number> {
  const t0 = performance.now();
  const reply = await callDaemon(socket, {
    id: 1,
    op: "announce",
    routes: [{ prefix: "198.51.101.0/24" }],
  });
  expect(reply).toMatchObject({ ok: true });
  await waitFor(() => kernelHasAll(seg.lab, seg.frr.ns, ["198.51.101.0/24"]), {
    timeoutMs: 5000,
    what: "a route announced after the flood in FRR's kernel table",
  });
  return Math.round(performance.now() - t0);
}
