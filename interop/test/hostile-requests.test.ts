/**
 * Hostile Requests (issue 13 items 1 and 5), against a real FRR gateway, the attacker on the segment
 * listening for what riplet sends back:
 * - unsigned whole-table Requests on a keyed-MD5 and on an HMAC-SHA256 link: none answered, the crypto
 *   sequence number not moved by them (status and state file), each counted as AUTH_MISSING;
 * - with 5,000 routes on an open link: 100 whole-table Requests in 1 s from one host draw at most 5
 *   tables; then 10,000 Requests/s for 10 s from 240 on-link addresses: memory bounded, a route
 *   announced meanwhile reaches FRR (time printed), and what the spoofed sources got back printed.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AFI_UNSPECIFIED, INFINITY_METRIC } from "../../src/wire/constants.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { hex, interopDescribe, type RequestItem, rssKiB, runRequester, sleep } from "../lab/index.js";
import {
  announceTimed,
  neighbor,
  record,
  type Status,
  savedSequence,
  status,
  watchMemory,
} from "./hostile-daemon.js";
import { type HostileLab, hostileLab } from "./hostile-lab.js";

/** RFC 2453 §3.9.1: one entry, AFI 0, metric 16 — "send me your whole table". Unsigned. */
const WHOLE_TABLE = hex(
  ripv2.encode({
    command: "request",
    version: 2,
    entries: [{ afi: AFI_UNSPECIFIED, tag: 0, address: 0, mask: 0, nextHop: 0, metric: INFINITY_METRIC }],
  }),
);
/** The bound the issue sets, in KiB: what an attack may add to riplet's resident memory. */
const RSS_GROWTH_BOUND_KIB = 50 * 1024;

const updates = (s: Status) => s.counters.updatesSent + s.counters.triggeredUpdatesSent;

/** 10 unsigned whole-table Requests from each of ports 520 and 5520, to the host and to 224.0.0.9. */
async function unsignedRequests(h: HostileLab, auth: string): Promise<void> {
  const { seg, attacker, socket, state } = h;
  const { lab, host } = seg;
  const before = await status(lab, host.ns, socket);
  const savedBefore = savedSequence(state);
  const item = (kind: string, fromPort: number): RequestItem => ({
    kind,
    sources: [attacker.v4],
    fromPort,
    to: [host.v4, "224.0.0.9"],
    toPort: 520,
    payload: WHOLE_TABLE,
    count: 10,
  });
  const stopFile = join(lab.dir, "stop-unsigned");
  const result = await runRequester(lab, attacker.ns, {
    ifname: attacker.ifname,
    seconds: 1,
    listenMs: 2000,
    stopFile,
    items: [item("port-520", 520), item("port-5520", 5520)],
  });
  const after = await status(lab, host.ns, socket);
  const savedAfter = savedSequence(state);
  const drops = neighbor(after, attacker.v4, "ipv4")?.drops ?? {};
  const sent = Object.values(result.sent).reduce((a, b) => a + b, 0);
  record({
    test: `hostile-unsigned-requests-${auth}`,
    sent: result.sent,
    answered: result.received,
    requestsAnswered: after.counters.requestsAnswered - before.counters.requestsAnswered,
    sequence: { status: [before.sequence, after.sequence], stateFile: [savedBefore, savedAfter] },
    ownUpdatesMeanwhile: updates(after) - updates(before),
    drops,
  });
  expect(result.received.datagrams, "datagrams sent back to the attacker").toBe(0);
  expect(savedAfter, "the state file's sequence number").toBe(savedBefore);
  expect(after.sequence, "status's sequence number").toBe(before.sequence);
  expect(drops.AUTH_MISSING, "AUTH_MISSING counted for the attacker").toBe(sent);
  // the premise: riplet sent no update of its own meanwhile (the update interval is 30 s)
  expect(updates(after) - updates(before), "riplet's own updates during the burst").toBe(0);
}

interopDescribe("hostile Requests: unsigned, on a keyed-MD5 link (FRR)", () => {
  let h: HostileLab;
  beforeAll(async () => {
    h = await hostileLab("hostile-unsigned-md5", { auth: "md5", updateS: 30 });
  });
  afterAll(() => h?.seg.lab.destroy());

  it("answers none, moves no sequence number, counts AUTH_MISSING", () => unsignedRequests(h, "md5"));
});

interopDescribe("hostile Requests: unsigned, on an HMAC-SHA256 link", () => {
  let h: HostileLab;
  beforeAll(async () => {
    h = await hostileLab("hostile-unsigned-hmac", { auth: "hmac-sha256", updateS: 30 });
  });
  afterAll(() => h?.seg.lab.destroy());

  it("answers none, moves no sequence number, counts AUTH_MISSING", () => unsignedRequests(h, "hmac-sha256"));
});

/** 5,000 /28s in 198.18.0.0/15, beside our two routes. */
const HELD = Array.from(
  { length: 5000 },
  (_, i) => `198.${18 + (i >> 12)}.${(i >> 4) & 255}.${(i & 15) << 4}/28`,
);
/** RIPv2 carries 25 routes a datagram unauthenticated (RFC 2453 §4): one table is this many. */
const DATAGRAMS_PER_TABLE = Math.ceil((HELD.length + 1) / 25);
/** The spoofed sources: 240 on-link addresses on the attacker's interface. */
const SPOOFED = Array.from({ length: 240 }, (_, i) => `192.0.2.${10 + i}`);

interopDescribe("hostile Requests: amplification, 5,000 routes on an open link (FRR)", () => {
  let h: HostileLab;
  beforeAll(async () => {
    h = await hostileLab("hostile-amplify", { auth: "none", routes: HELD });
  });
  afterAll(() => h?.seg.lab.destroy());

  it("100 whole-table Requests in 1 s from one host draw at most 5 tables", async () => {
    const { seg, attacker, socket } = h;
    const { lab, host } = seg;
    const before = await status(lab, host.ns, socket);
    const result = await runRequester(lab, attacker.ns, {
      ifname: attacker.ifname,
      seconds: 1,
      listenMs: 3000,
      stopFile: join(lab.dir, "stop-100"),
      items: [
        {
          kind: "whole-table",
          sources: [attacker.v4],
          fromPort: 520,
          to: [host.v4],
          toPort: 520,
          payload: WHOLE_TABLE,
          count: 100,
        },
      ],
    });
    const after = await status(lab, host.ns, socket);
    const tables = Math.round((result.received.datagrams / DATAGRAMS_PER_TABLE) * 10) / 10;
    record({
      test: "hostile-request-burst",
      routes: HELD.length + 1,
      sent: result.sent,
      received: result.received,
      tables,
      requestsAnswered: after.counters.requestsAnswered - before.counters.requestsAnswered,
      drops: neighbor(after, attacker.v4, "ipv4")?.drops,
    });
    expect(result.sent["whole-table"]).toBe(100);
    expect(tables, "whole tables sent back").toBeLessThanOrEqual(5);
  });

  it("10,000 spoofed Requests/s for 10 s: memory bounded, our own announcements still go out", async () => {
    const { seg, attacker, socket, daemon } = h;
    const { lab, host } = seg;
    const batch = join(lab.dir, "spoofed.batch");
    writeFileSync(batch, `${SPOOFED.map((a) => `address add ${a}/24 dev ${attacker.ifname}`).join("\n")}\n`);
    await lab.exec(attacker.ns, ["ip", "-batch", batch]);
    await sleep(1000); // the first burst's answers are sent and collected
    const stopFile = join(lab.dir, "stop-spoofed");
    const memory = watchMemory(daemon, stopFile);
    const flood = runRequester(lab, attacker.ns, {
      ifname: attacker.ifname,
      seconds: 10,
      listenMs: 2000,
      stopFile,
      items: [
        {
          kind: "spoofed",
          sources: SPOOFED,
          fromPort: 520,
          to: [host.v4],
          toPort: 520,
          payload: WHOLE_TABLE,
          count: 100_000,
        },
      ],
    });
    await sleep(5000);
    const announce = await announceTimed(lab, seg.frr.ns, socket, "198.19.200.0/24").catch(
      (e: Error) => e.message,
    );
    const result = await flood;
    memory.stop();
    const rssAfter = daemon.running ? rssKiB(daemon.pid) : null;
    const after = daemon.running ? await status(lab, host.ns, socket) : undefined;
    const drops: Record<string, number> = {};
    for (const n of after?.neighbors ?? []) {
      if (!SPOOFED.includes(n.address)) continue;
      for (const [reason, count] of Object.entries(n.drops))
        drops[reason] = (drops[reason] ?? 0) + (count ?? 0);
    }
    record({
      test: "hostile-request-spoofed",
      routes: HELD.length + 1,
      sources: SPOOFED.length,
      sent: result.sent,
      senderMs: result.ms,
      stoppedAtCap: memory.seen.capped ? { capKiB: 1024 * 1024, afterMs: memory.seen.cappedAtMs } : false,
      backToSpoofed: result.received,
      rssKiB: { before: memory.seen.start, peak: memory.seen.peak, after: rssAfter },
      announceDuringFloodMs: announce,
      drops,
      neighbors: after?.neighbors.length,
    });
    expect(daemon.running, daemon.describe()).toBe(true);
    expect(memory.seen.peak - memory.seen.start, "RSS growth, KiB").toBeLessThanOrEqual(RSS_GROWTH_BOUND_KIB);
    expect(typeof announce, `a route announced during the flood reached FRR: ${announce}`).toBe("number");
  });
});
