/**
 * Health-checked announcements end to end against FRR (issue 8): a route announced while a TCP
 * service answers and withdrawn within fall × interval of its death, back after rise × interval; a
 * route with `failMetric` announced worse instead of withdrawn; a maintenance file withdrawing
 * everything while it exists. Status shows each check.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  askDaemon,
  type Child,
  createPairLab,
  frrRipRoutes,
  type Gateway,
  HOST_IF,
  interopDescribe,
  offGateway,
  onGateway,
  type PairLab,
  startDaemon,
  startGateway,
  startTcpService,
  waitFor,
} from "../lab/index.js";

const SERVICE = "198.51.100.0/24";
const WORSE = "198.51.102.0/24"; // (203.0.113.0/24 is the FRR gateway's own static)
const PLAIN = "198.51.101.0/24";
const INTERVAL_S = 0.2;
const FALL = 2;

interopDescribe("health-checked announcements → FRR", () => {
  let pair: PairLab;
  let gw: Gateway;
  let socket: string;
  let service: Child | undefined;
  let flag: string;
  let maintenance: string;

  const startService = async () => {
    service = await startTcpService(pair.lab, pair.host.ns, 8080);
  };
  const ripMetric = async (prefix: string) =>
    (await frrRipRoutes(gw.frr!, "ipv4")).find((r) => r.prefix === prefix && r.code === "R(n)")?.metric;

  beforeAll(async () => {
    pair = await createPairLab("health");
    gw = await startGateway("frr", pair.lab, pair.gw);
    const dir = pair.lab.dir;
    socket = join(dir, "riplet.sock");
    flag = join(dir, "service-ok");
    maintenance = join(dir, "maintenance");
    const config = join(dir, "riplet.yaml");
    const timing = `interval: ${INTERVAL_S}, timeout: ${INTERVAL_S}`;
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${HOST_IF} }]`,
        "routes:",
        `  - { prefix: ${SERVICE}, check: { tcp: "127.0.0.1:8080", ${timing}, rise: 2, fall: ${FALL} } }`,
        `  - { prefix: ${WORSE}, check: { command: "test -e ${flag}", ${timing}, rise: 1, fall: 1, failMetric: 10 } }`,
        `  - { prefix: ${PLAIN} }`,
        `maintenance: ${maintenance}`,
        `control: { socket: ${socket} }`,
        `state: ${join(dir, "state.json")}`,
        "",
      ].join("\n"),
    );
    await startService();
    await startDaemon(pair.lab, pair.host.ns, socket, config);
  });
  afterAll(() => pair?.lab.destroy());

  it("announces while the service answers, withdraws within fall × interval of its death, and back", async () => {
    await waitFor(onGateway(pair, [SERVICE, PLAIN]), { timeoutMs: 10_000, what: "the checked route" });
    const status = await askDaemon(socket, { id: 1, op: "status" });
    expect(status.healthChecks).toEqual(
      expect.arrayContaining([expect.objectContaining({ prefix: SERVICE, health: "healthy" })]),
    );
    let t0 = performance.now();
    await service!.stop(1000, "SIGKILL");
    await waitFor(offGateway(pair, [SERVICE]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "withdrawal after the service died",
    });
    const downMs = Math.round(performance.now() - t0);
    expect(downMs).toBeLessThan(FALL * INTERVAL_S * 1000 + 1000);
    expect(await onGateway(pair, [PLAIN])()).toBe(true); // unchecked routes are untouched
    t0 = performance.now();
    await startService();
    await waitFor(onGateway(pair, [SERVICE]), { timeoutMs: 5000, intervalMs: 20, what: "the route back" });
    const upMs = Math.round(performance.now() - t0);
    console.log(JSON.stringify({ test: "health-tcp", intervalS: INTERVAL_S, fall: FALL, downMs, upMs }));
  });

  it("failMetric: a failing check announces the route worse instead of withdrawing it", async () => {
    await waitFor(async () => (await ripMetric(WORSE)) === 11, { timeoutMs: 10_000, what: "metric 10 (+1)" });
    writeFileSync(flag, "");
    await waitFor(async () => (await ripMetric(WORSE)) === 2, { timeoutMs: 10_000, what: "metric 1 (+1)" });
  });

  it("the maintenance file withdraws everything while it exists", async () => {
    await waitFor(onGateway(pair, [SERVICE, WORSE, PLAIN]), { timeoutMs: 5000, what: "all routes" });
    writeFileSync(maintenance, "");
    let t0 = performance.now();
    await waitFor(offGateway(pair, [SERVICE, WORSE, PLAIN]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "maintenance",
    });
    const inMs = Math.round(performance.now() - t0);
    expect((await askDaemon(socket, { id: 2, op: "status" })).maintenance).toBe(true);
    rmSync(maintenance);
    t0 = performance.now();
    await waitFor(onGateway(pair, [SERVICE, WORSE, PLAIN]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "back from maintenance",
    });
    const outMs = Math.round(performance.now() - t0);
    console.log(JSON.stringify({ test: "health-maintenance", withdrawnMs: inMs, backMs: outMs }));
  });
});
