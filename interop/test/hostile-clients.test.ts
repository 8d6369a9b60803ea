/**
 * Hostile local clients (issue 13 items 2 and 4):
 * - a client pipelining 3,000 `routes` requests (20,000 routes, megabytes a reply) on one connection and
 *   never reading: riplet's memory stays bounded, that client is cut off, another client is served;
 * - next hops that are not unicast addresses of the route's family, by the CLI and raw over the socket:
 *   refused naming the field, the daemon stays up; the same in a hand-corrupted state file (one of them
 *   a held route): the daemon starts, skips them saying which and why, and announces the rest.
 */
import { readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import {
  type Child,
  createPairLab,
  execRiplet,
  HOST_IF,
  interopDescribe,
  type PairLab,
  sleep,
  startDaemon,
  startGateway,
  waitFor,
} from "../lab/index.js";
import { inKernel, record, routeList, status, watchMemory } from "./hostile-daemon.js";

const RSS_GROWTH_BOUND_KIB = 50 * 1024;
/** How long the pipelining client may sit there before the test gives up on the daemon cutting it off. */
const PIPELINE_WINDOW_MS = 75_000;

interface Setup {
  pair: PairLab;
  socket: string;
  config: string;
  state: string;
  daemon: Child;
}

async function setUp(name: string, withGateway: boolean): Promise<Setup> {
  const pair = await createPairLab(name);
  if (withGateway) await startGateway("frr", pair.lab, pair.gw);
  const dir = pair.lab.dir;
  const socket = join(dir, "riplet.sock");
  const config = join(dir, "riplet.yaml");
  const state = join(dir, "state.json");
  writeFileSync(
    config,
    [`interfaces: [{ name: ${HOST_IF} }]`, `control: { socket: ${socket} }`, `state: ${state}`, ""].join(
      "\n",
    ),
  );
  const daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
  return { pair, socket, config, state, daemon };
}

/** The daemon's open sockets (its UDP sockets, the listener and one per control client). */
const socketFds = (pid: number) =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;

/** Reads what is left on `client` until the daemon's EOF (true) or `ms`/`maxBytes` without one (false). */
function drainsToEnd(
  client: Socket,
  ms: number,
  maxBytes: number,
): Promise<{ ended: boolean; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (ended: boolean) => {
      clearTimeout(timer);
      client.destroy();
      resolve({ ended, bytes });
    };
    const timer = setTimeout(() => done(false), ms);
    client.on("data", (d: Buffer) => {
      bytes += d.length;
      if (bytes > maxBytes) done(false);
    });
    client.on("end", () => done(true));
    client.on("close", () => done(true));
    client.resume();
  });
}

interopDescribe("hostile clients: pipelining and never reading", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp("hostile-pipeline", false);
  });
  afterAll(() => s?.pair.lab.destroy());

  it("3,000 `routes` requests never read, 20,000 routes: memory bounded, that client cut off, others served", async () => {
    const { pair, socket, daemon } = s;
    const routes = 20_000;
    for (let i = 0; i < routes; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => {
        const n = i + j;
        return { prefix: `198.${18 + (n >> 14)}.${(n >> 6) & 255}.${(n & 63) << 2}/30` };
      });
      const reply = await callDaemon(socket, { id: i, op: "announce", routes: batch }, 30_000);
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
    }
    const replyBytes = JSON.stringify(await callDaemon(socket, { id: 1, op: "routes" }, 30_000)).length;
    const memory = watchMemory(daemon, join(pair.lab.dir, "stop-pipeline"));
    const client = createConnection(socket);
    client.on("error", () => {});
    await new Promise((resolve) => client.once("connect", resolve));
    client.pause();
    // the daemon's sockets with this client connected (the earlier clients' are closed by now)
    await sleep(500);
    const connectedFds = socketFds(daemon.pid);
    client.write(
      `${Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: i, op: "routes" })).join("\n")}\n`,
    );
    const t0 = performance.now();
    let other: { code: number; ms: number } | undefined;
    let cutOffMs: number | null = null;
    while (performance.now() - t0 < PIPELINE_WINDOW_MS && !memory.seen.capped && daemon.running) {
      await sleep(500);
      if (other === undefined && performance.now() - t0 > 3000) {
        const t1 = performance.now();
        const { code } = await execRiplet(pair.lab, pair.host.ns, ["--socket", socket, "status", "--json"]);
        other = { code, ms: Math.round(performance.now() - t1) };
      }
      if (socketFds(daemon.pid) < connectedFds) {
        cutOffMs = Math.round(performance.now() - t0);
        break;
      }
    }
    memory.stop();
    const drained = memory.seen.capped
      ? { ended: false, bytes: 0 }
      : await drainsToEnd(client, 10_000, 300 * 1024 * 1024);
    client.destroy();
    const after = daemon.running
      ? await status(pair.lab, pair.host.ns, socket).catch(() => undefined)
      : undefined;
    record({
      test: "hostile-client-pipeline",
      control: after?.control,
      routes,
      replyBytes,
      requests: 3000,
      rssKiB: { before: memory.seen.start, peak: memory.seen.peak },
      stoppedAtCap: memory.seen.capped ? { capKiB: 1024 * 1024, afterMs: memory.seen.cappedAtMs } : false,
      cutOffMs,
      readAfterwards: drained,
      otherClientStatus: other,
      daemonRunning: daemon.running,
    });
    expect(daemon.running, daemon.describe()).toBe(true);
    expect(memory.seen.peak - memory.seen.start, "RSS growth, KiB").toBeLessThanOrEqual(RSS_GROWTH_BOUND_KIB);
    expect(cutOffMs, "the daemon closed the client's connection").not.toBeNull();
    expect(drained.ended, "the client reads up to the daemon's end of the connection").toBe(true);
    expect(other?.code, "another client's riplet status meanwhile").toBe(0);
  });
});

/** Next hops riplet must refuse: not an address; multicast; IPv6 on IPv4; IPv4 on IPv6. */
const BAD_NEXT_HOPS = [
  { prefix: "198.51.100.128/25", nextHop: "bogus" },
  { prefix: "198.51.100.128/25", nextHop: "224.0.0.1" },
  { prefix: "198.51.100.128/25", nextHop: "fe80::1" },
  { prefix: "2001:db8:42:1::/64", nextHop: "192.0.2.1" },
];

interopDescribe(
  "hostile clients: next hops that are not unicast addresses of the route's family (FRR)",
  () => {
    let s: Setup;
    const deaths: string[] = [];
    beforeAll(async () => {
      s = await setUp("hostile-next-hop", true);
    });
    afterAll(() => s?.pair.lab.destroy());

    /** After each case: if the daemon died, note it and start it again (without the state it saved). */
    async function stillUp(what: string): Promise<boolean> {
      await sleep(1000); // a triggered update goes out within this
      if (s.daemon.running) return true;
      deaths.push(`${what}: ${s.daemon.stderr.trim().split("\n").slice(-3).join(" | ")}`);
      writeFileSync(s.state, JSON.stringify({ version: 1, routes: [], sequence: 0 }));
      s.daemon = await startDaemon(s.pair.lab, s.pair.host.ns, s.socket, s.config);
      return false;
    }

    it("riplet announce --next-hop: exit 2 naming the field, the daemon up", async () => {
      const outcomes = [];
      for (const c of BAD_NEXT_HOPS) {
        const args = ["--socket", s.socket, "announce", c.prefix, "--next-hop", c.nextHop];
        const { code, stderr } = await execRiplet(s.pair.lab, s.pair.host.ns, args);
        outcomes.push({ ...c, code, error: stderr.trim(), daemonUp: await stillUp(`CLI ${c.nextHop}`) });
      }
      record({ test: "hostile-next-hop-cli", outcomes });
      for (const o of outcomes) {
        expect({ nextHop: o.nextHop, code: o.code }).toEqual({ nextHop: o.nextHop, code: 2 });
        expect(o.error).toMatch(/next.?hop/i);
        expect(o.daemonUp, `the daemon after ${o.nextHop}`).toBe(true);
      }
    });

    it("the same raw over the socket: an error reply, the daemon up", async () => {
      const outcomes = [];
      for (const c of BAD_NEXT_HOPS) {
        const reply = await callDaemon(s.socket, { id: 1, op: "announce", routes: [c] }).catch(
          (e: Error) => ({
            ok: "no reply",
            error: { code: "", message: e.message },
          }),
        );
        const error = reply.ok === true ? undefined : reply.error;
        outcomes.push({ ...c, ok: reply.ok, error, daemonUp: await stillUp(`socket ${c.nextHop}`) });
      }
      record({ test: "hostile-next-hop-socket", outcomes, deaths });
      for (const o of outcomes) {
        expect({ nextHop: o.nextHop, ok: o.ok }).toEqual({ nextHop: o.nextHop, ok: false });
        expect(o.error?.message).toMatch(/next.?hop/i);
        expect(o.daemonUp, `the daemon after ${o.nextHop}`).toBe(true);
      }
    });

    it("a state file with such entries, one held: the daemon starts, skips them saying why, announces the rest", async () => {
      const { pair } = s;
      s.daemon.signal("SIGKILL");
      await s.daemon.exited;
      const held = "198.51.101.0/24";
      writeFileSync(
        s.state,
        JSON.stringify({
          version: 1,
          sequence: 0,
          routes: [
            { prefix: "198.51.100.0/25", metric: 1, tag: 0 },
            { prefix: "198.51.100.128/25", metric: 1, tag: 0, nextHop: "bogus" },
            // held: its check fails (nothing listens on port 9), so it is not sent until it passes
            { prefix: held, metric: 1, tag: 0, nextHop: "bogus", check: { tcp: "127.0.0.1:9", interval: 1 } },
          ],
          health: { [held]: "failing" },
        }),
      );
      const started = await startDaemon(pair.lab, pair.host.ns, s.socket, s.config).catch((e: Error) => e);
      if (started instanceof Error) {
        record({
          test: "hostile-next-hop-state-file",
          daemonUp: false,
          exit: started.message.split("\n").slice(-2),
        });
        throw started;
      }
      s.daemon = started;
      const onGateway = await waitFor(() => inKernel(pair.lab, pair.gw.ns, "198.51.100.0/25"), {
        timeoutMs: 10_000,
        what: "the valid saved route on FRR",
      }).then(
        (ms) => ms,
        () => null,
      );
      await sleep(5000); // the crash loop: each restart died about 2 s in
      const logged = s.daemon
        .jsonLines()
        .filter((l) => /next.?hop/i.test(JSON.stringify(l)))
        .map((l) => l.msg);
      const listed = s.daemon.running ? await routeList(pair.lab, pair.host.ns, s.socket) : null;
      record({
        test: "hostile-next-hop-state-file",
        daemonUp: s.daemon.running,
        validRouteOnGatewayMs: onGateway,
        listed,
        logged,
        exit: s.daemon.running ? null : s.daemon.stderr.trim().split("\n").slice(-3),
      });
      expect(s.daemon.running, s.daemon.describe()).toBe(true);
      expect(onGateway, "the valid saved route reached FRR").not.toBeNull();
      expect(listed).toEqual(["198.51.100.0/25"]);
      // which entry (its index or prefix) and why (the field), for each of the two
      for (const which of [/routes\[1\]|198\.51\.100\.128\/25/, /routes\[2\]|198\.51\.101\.0\/24/]) {
        expect(
          logged.filter((m) => which.test(String(m))),
          `a log line for ${which}`,
        ).toHaveLength(1);
      }
    });
  },
);
