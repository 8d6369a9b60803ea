/**
 * The daemon against a real FRR gateway (issue 4): announce and withdraw through the control socket
 * (latency, median of 20, request sent → gateway kernel table), SIGKILL + restart with the route polled
 * every 50 ms and never leaving the gateway, a tap-owned route withdrawn when the tap is deleted,
 * SIGTERM withdrawing everything, SIGHUP reload keeping routes, and `status` showing live neighbours.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import type { Request } from "../../src/control/protocol.js";
import {
  askDaemon,
  type Child,
  createPairLab,
  execRiplet,
  type Gateway,
  HOST_IF,
  holdsNever,
  interopDescribe,
  kernelHasAll,
  kernelHasNone,
  median,
  type PairLab,
  scrapeMetrics,
  startGateway,
  startDaemon as startRipletDaemon,
  waitFor,
} from "../lab/index.js";

const STATIC = "203.0.113.128/25";
const V4 = "198.51.100.0/24";
const V6 = "2001:db8:42::/64";
const RUNS = 20;

interface DaemonLab {
  pair: PairLab;
  gw: Gateway;
  socket: string;
  config: string;
  daemon: Child;
}

function writeConfig(path: string, dir: string, routes: string[]): void {
  writeFileSync(
    path,
    [
      `interfaces: [{ name: ${HOST_IF} }]`,
      `routes: [${routes.map((r) => `{ prefix: ${r} }`).join(", ")}]`,
      "allow: [198.51.100.0/22, 203.0.113.0/24, 198.18.0.0/15, 2001:db8:42::/48]",
      `control: { socket: ${join(dir, "riplet.sock")} }`,
      'metrics: { listen: "127.0.0.1:9520" }',
      `state: ${join(dir, "state.json")}`,
    ].join("\n"),
  );
}

const startDaemon = (d: Omit<DaemonLab, "daemon">) =>
  startRipletDaemon(d.pair.lab, d.pair.host.ns, d.socket, d.config);
const ask = (d: DaemonLab, request: Request) => askDaemon(d.socket, request);

const inKernel = (d: DaemonLab, prefixes: string[]) => () => kernelHasAll(d.pair.lab, d.pair.gw.ns, prefixes);
const goneFromKernel = (d: DaemonLab, prefixes: string[]) => () =>
  kernelHasNone(d.pair.lab, d.pair.gw.ns, prefixes);

interopDescribe("riplet daemon → FRR gateway", () => {
  let d: DaemonLab;

  beforeAll(async () => {
    const pair = await createPairLab("daemon-frr");
    const gw = await startGateway("frr", pair.lab, pair.gw);
    const socket = join(pair.lab.dir, "riplet.sock");
    const config = join(pair.lab.dir, "riplet.yaml");
    writeConfig(config, pair.lab.dir, [STATIC]);
    const daemon = await startDaemon({ pair, gw, socket, config });
    d = { pair, gw, socket, config, daemon };
    await waitFor(inKernel(d, [STATIC]), { timeoutMs: 10_000, what: `${STATIC} from the config` });
  });
  afterAll(() => d?.pair.lab.destroy());

  it(`announce and withdraw through the socket reach the gateway's kernel (median of ${RUNS})`, async () => {
    const announce: number[] = [];
    const withdraw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await ask(d, { id: i, op: "announce", routes: [{ prefix: V4 }, { prefix: V6 }] });
      await waitFor(inKernel(d, [V4, V6]), { timeoutMs: 10_000, intervalMs: 5, what: "announce" });
      announce.push(Math.round(performance.now() - t0));
      const t1 = performance.now();
      await ask(d, { id: i, op: "withdraw", prefixes: [V4, V6] });
      await waitFor(goneFromKernel(d, [V4, V6]), { timeoutMs: 10_000, intervalMs: 5, what: "withdraw" });
      withdraw.push(Math.round(performance.now() - t1));
    }
    console.log(
      JSON.stringify({
        test: "daemon-socket-latency",
        gateway: "frr",
        announceMedianMs: median(announce),
        withdrawMedianMs: median(withdraw),
        announce,
        withdraw,
      }),
    );
    expect(median(announce)).toBeGreaterThan(0);
  });

  it("SIGKILL and restart: the route never leaves the gateway (polled every 50 ms)", async () => {
    await ask(d, { id: 1, op: "announce", routes: [{ prefix: V4, owner: HOST_IF }] });
    await waitFor(inKernel(d, [V4, STATIC]), { timeoutMs: 10_000, what: "announce" });
    const watch = holdsNever(async () => !(await inKernel(d, [V4, STATIC])()), {
      durationMs: 8000,
      intervalMs: 50,
      what: "route missing on the gateway",
    });
    d.daemon.signal("SIGKILL");
    await d.daemon.exited;
    d.daemon = await startDaemon(d);
    await watch;
    const routes = await ask(d, { id: 2, op: "routes" });
    expect(
      (routes.routes as { prefix: string; owner?: string }[]).find((r) => r.prefix === V4),
    ).toMatchObject({ owner: HOST_IF });
  });

  it("a route owned by a tap is withdrawn within 1 s of the tap being deleted", async () => {
    const { lab, host } = d.pair;
    await lab.exec(host.ns, ["ip", "tuntap", "add", "dev", "tap7", "mode", "tap"]);
    await ask(d, { id: 1, op: "announce", routes: [{ prefix: "198.51.101.0/24", owner: "tap7" }] });
    await waitFor(inKernel(d, ["198.51.101.0/24"]), { timeoutMs: 10_000, what: "owned route" });
    const t0 = performance.now();
    await lab.exec(host.ns, ["ip", "link", "del", "tap7"]);
    const ms = await waitFor(goneFromKernel(d, ["198.51.101.0/24"]), {
      timeoutMs: 5000,
      intervalMs: 10,
      what: "owned route withdrawn",
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${d.daemon.describe()}`);
    });
    console.log(
      JSON.stringify({
        test: "tap-deleted-withdrawal",
        gateway: "frr",
        ms: Math.round(performance.now() - t0),
      }),
    );
    expect(ms).toBeLessThan(1000);
  });

  it("SIGHUP reloads the config and keeps announced routes", async () => {
    await ask(d, { id: 1, op: "announce", routes: [{ prefix: "198.51.102.0/24" }] });
    await waitFor(inKernel(d, ["198.51.102.0/24"]), { timeoutMs: 10_000, what: "announce" });
    writeConfig(d.config, d.pair.lab.dir, [STATIC, "198.18.7.0/24"]);
    const watch = holdsNever(async () => !(await inKernel(d, ["198.51.102.0/24", STATIC])()), {
      durationMs: 3000,
      intervalMs: 50,
      what: "a route dropped by the reload",
    });
    d.daemon.signal("SIGHUP");
    await waitFor(inKernel(d, ["198.18.7.0/24"]), { timeoutMs: 5000, what: "the new static route" });
    await watch;
  });

  it("status shows the gateway as a neighbour with its routes, and counters", async () => {
    const { stdout } = await execRiplet(d.pair.lab, d.pair.host.ns, [
      "--socket",
      d.socket,
      "status",
      "--json",
    ]);
    const status = JSON.parse(stdout) as {
      neighbors: { address: string; routes: number; badPackets: number }[];
      counters: { packetsSent: number };
    };
    expect(status.neighbors).toContainEqual(
      expect.objectContaining({ address: d.pair.gw.v4, badPackets: 0 }),
    );
    expect(status.neighbors.find((n) => n.address === d.pair.gw.v4)!.routes).toBeGreaterThan(0);
    expect(status.counters.packetsSent).toBeGreaterThan(0);
  });

  it("serves Prometheus metrics of the live daemon (scraped inside its namespace)", async () => {
    await ask(d, { id: 1, op: "announce", routes: [{ prefix: "198.51.103.0/24" }] });
    await waitFor(inKernel(d, ["198.51.103.0/24"]), { timeoutMs: 10_000, what: "announce" });
    const stdout = await scrapeMetrics(d.pair.lab, d.pair.host.ns, "http://127.0.0.1:9520/metrics");
    const value = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? Number.NaN);
    expect(value(/^riplet_routes\{state="active"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^riplet_neighbors (\d+)$/m)).toBe(2); // the FRR gateway: ripd and ripngd
    expect(stdout).toMatch(
      /^riplet_neighbor_last_heard_seconds\{neighbor="192\.0\.2\.1",interface="vhost",family="ipv4"\} /m,
    );
    expect(value(/^riplet_announce_to_send_seconds_count (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^riplet_triggered_updates_sent_total (\d+)$/m)).toBeGreaterThanOrEqual(1);
    const shown = stdout
      .split("\n")
      .filter((l) =>
        /^riplet_(routes|neighbor|announce_to_send_seconds_(count|sum)|packets|updates|triggered)/.test(l),
      );
    console.log(JSON.stringify({ test: "metrics-scrape", lines: shown }));
  });

  it("refuses bad requests with a code and keeps serving", async () => {
    const refused = await callDaemon(d.socket, { id: 9, op: "announce", routes: [{ prefix: "10.0.0.0/8" }] });
    expect(refused).toMatchObject({ ok: false, error: { code: "PREFIX_NOT_ALLOWED" } });
    const { code, stderr } = await execRiplet(d.pair.lab, d.pair.host.ns, [
      "--socket",
      d.socket,
      "announce",
      "198.51.100.1/24",
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/host bits set; did you mean 198\.51\.100\.0\/24\?/);
    expect(await callDaemon(d.socket, { id: 10, op: "status" })).toMatchObject({ ok: true });
  });

  it("SIGTERM withdraws every route before exiting", async () => {
    await waitFor(inKernel(d, [STATIC, V4]), { timeoutMs: 10_000, what: "routes before SIGTERM" });
    const t0 = performance.now();
    d.daemon.signal("SIGTERM");
    expect(await d.daemon.exited).toBe(0);
    const ms = await waitFor(goneFromKernel(d, [STATIC, V4, "198.18.7.0/24", "198.51.102.0/24"]), {
      timeoutMs: 5000,
      intervalMs: 10,
      what: "everything withdrawn",
    });
    console.log(
      JSON.stringify({
        test: "daemon-sigterm-withdraw",
        gateway: "frr",
        ms: Math.round(performance.now() - t0),
        pollMs: ms,
      }),
    );
  });
});

describe.each(["bird"] as const)("riplet daemon status with a live %s gateway", (kind) => {
  interopDescribe(`status ← ${kind}`, () => {
    let pair: PairLab;
    afterAll(() => pair?.lab.destroy());
    it("shows the gateway as a neighbour heard, with routes", async () => {
      pair = await createPairLab(`daemon-status-${kind}`);
      const gw = await startGateway(kind, pair.lab, pair.gw);
      const socket = join(pair.lab.dir, "riplet.sock");
      const config = join(pair.lab.dir, "riplet.yaml");
      writeConfig(config, pair.lab.dir, [STATIC]);
      const daemon = await startDaemon({ pair, gw, socket, config });
      const d = { pair, gw, socket, config, daemon };
      await waitFor(inKernel(d, [STATIC]), { timeoutMs: 10_000, what: STATIC });
      await waitFor(
        async () => {
          const reply = await callDaemon(socket, { id: 1, op: "status" });
          const neighbors = (reply.ok ? reply.neighbors : []) as { address: string; routes: number }[];
          return neighbors.some((n) => n.address === pair.gw.v4 && n.routes > 0);
        },
        { timeoutMs: 10_000, what: `${kind} heard as a neighbour with routes` },
      );
    });
  });
});
