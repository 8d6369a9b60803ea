/**
 * Health checks on routes announced over the control socket, end to end against FRR (issue 8):
 * `riplet announce --check-tcp` holds the route until the service answers, withdraws it when the
 * service dies, keeps the check and its verdict across a daemon SIGKILL (a healthy route is on the
 * wire again at once, not after rise × interval), forgets it with its owner tap, and refuses command
 * checks unless the config allows them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadState } from "../../src/daemon/state.js";
import {
  askDaemon,
  type Child,
  createPairLab,
  execRiplet,
  HOST_IF,
  interopDescribe,
  offGateway,
  onGateway,
  type PairLab,
  scrapeMetrics,
  startDaemon,
  startGateway,
  startTcpService,
  waitFor,
} from "../lab/index.js";

const SERVICE = "198.51.100.0/24";
const OWNED = "198.51.101.0/24";
const PORT = 8081;
const INTERVAL_S = 0.2;
const FALL = 2;
// rise × interval = 5 s: a route active as soon as the restarted daemon answers came from the saved verdict
const RISE = 25;

interopDescribe("health checks on socket routes → FRR", () => {
  let pair: PairLab;
  let socket: string;
  let config: string;
  let statePath: string;
  let daemon: Child;
  let service: Child | undefined;

  const startService = async () => {
    service = await startTcpService(pair.lab, pair.host.ns, PORT);
  };
  /** `riplet announce SERVICE` checked against the service, every INTERVAL_S, falling after FALL. */
  const announceChecked = (rise: number) =>
    riplet(
      "announce",
      SERVICE,
      "--check-tcp",
      `127.0.0.1:${PORT}`,
      "--check-interval",
      String(INTERVAL_S),
      "--check-timeout",
      String(INTERVAL_S),
      "--rise",
      String(rise),
      "--fall",
      String(FALL),
    );
  const riplet = (...args: string[]) => execRiplet(pair.lab, pair.host.ns, ["--socket", socket, ...args]);
  const routes = async () =>
    (await riplet("routes", "--json")).stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prefix: string; state: string; health?: string });
  const saved = () => loadState(statePath).state;

  beforeAll(async () => {
    pair = await createPairLab("hcsock");
    await startGateway("frr", pair.lab, pair.gw);
    const dir = pair.lab.dir;
    socket = join(dir, "riplet.sock");
    statePath = join(dir, "state.json");
    config = join(dir, "riplet.yaml");
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${HOST_IF} }]`,
        `control: { socket: ${socket} }`,
        `state: ${statePath}`,
        'metrics: { listen: "127.0.0.1:9521" }',
        "",
      ].join("\n"),
    );
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
  });
  afterAll(() => pair?.lab.destroy());

  it("holds the route until the service answers, then withdraws it within fall × interval of its death", async () => {
    const { code, stdout } = await announceChecked(1);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `held, not on the wire until its check passes (or maintenance ends): ${SERVICE}`,
    );
    await waitFor(async () => (await routes()).some((r) => r.prefix === SERVICE && r.health === "failing"), {
      timeoutMs: 5000,
      what: "the check to fail",
    });
    expect((await routes()).find((r) => r.prefix === SERVICE)?.state).toBe("held");
    expect(await offGateway(pair, [SERVICE])()).toBe(true);
    expect(saved().routes).toEqual([expect.objectContaining({ prefix: SERVICE, check: expect.any(Object) })]);

    let t0 = performance.now();
    await startService();
    await waitFor(onGateway(pair, [SERVICE]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "the route after the service came up",
    });
    const upMs = Math.round(performance.now() - t0);
    t0 = performance.now();
    await service!.stop(1000, "SIGKILL");
    await waitFor(offGateway(pair, [SERVICE]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "withdrawal after the service died",
    });
    const downMs = Math.round(performance.now() - t0);
    expect(downMs).toBeLessThan(FALL * INTERVAL_S * 1000 + 1000);
    console.log(
      JSON.stringify({ test: "health-socket-tcp", intervalS: INTERVAL_S, fall: FALL, upMs, downMs }),
    );
  });

  it("a daemon SIGKILLed while the route is healthy puts it back at once, check and all", async () => {
    // the same prefix again, with a slow rise: only the saved verdict can bring it back at once
    await announceChecked(RISE);
    await startService();
    await waitFor(onGateway(pair, [SERVICE]), { timeoutMs: 10_000, what: "the route with a slow rise" });
    const metrics = await scrapeMetrics(pair.lab, pair.host.ns, "http://127.0.0.1:9521/metrics");
    expect(metrics).toMatch(/^riplet_health_check_up\{prefix="198\.51\.100\.0\/24"\} 1$/m);
    const shown = metrics.split("\n").filter((l) => /^riplet_(health_check_up|maintenance|routes)/.test(l));
    console.log(JSON.stringify({ test: "health-socket-metrics", lines: shown }));
    await waitFor(() => saved().health?.[SERVICE] === "healthy", {
      timeoutMs: 2000,
      what: "the verdict saved",
    });

    await daemon.stop(1000, "SIGKILL");
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    const t0 = performance.now();
    const listed = (await routes()).find((r) => r.prefix === SERVICE);
    const ms = Math.round(performance.now() - t0);
    expect(ms).toBeLessThan(1000 * INTERVAL_S * RISE);
    expect(listed).toMatchObject({ state: "active", health: "healthy" });
    expect(await onGateway(pair, [SERVICE])()).toBe(true);
    console.log(JSON.stringify({ test: "health-socket-restart", listedActiveMsAfterSocketUp: ms }));

    // and the check still runs after the restart: the service dying takes the route down
    await service!.stop(1000, "SIGKILL");
    await waitFor(offGateway(pair, [SERVICE]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "withdrawal after the restart",
    });
    expect(await scrapeMetrics(pair.lab, pair.host.ns, "http://127.0.0.1:9521/metrics")).toMatch(
      /^riplet_health_check_up\{prefix="198\.51\.100\.0\/24"\} 0$/m,
    );
  });

  it("a daemon restarted while the route is failing keeps it off the wire", async () => {
    await waitFor(() => saved().health?.[SERVICE] === "failing", { timeoutMs: 2000, what: "failing saved" });
    await daemon.stop(1000, "SIGKILL");
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    expect((await routes()).find((r) => r.prefix === SERVICE)).toMatchObject({
      state: "held",
      health: "failing",
    });
    expect(await scrapeMetrics(pair.lab, pair.host.ns, "http://127.0.0.1:9521/metrics")).toMatch(
      /^riplet_routes\{state="held"\} 1$/m,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await offGateway(pair, [SERVICE])()).toBe(true);
  });

  it("a held route goes with its owner tap, and withdraw stops a check", async () => {
    await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", "tapchk", "mode", "tap"]);
    await riplet("announce", OWNED, "--owner", "tapchk", "--check-tcp", "127.0.0.1:9");
    expect((await routes()).find((r) => r.prefix === OWNED)?.state).toBe("held");
    await pair.lab.exec(pair.host.ns, ["ip", "link", "del", "tapchk"]);
    await waitFor(async () => !(await routes()).some((r) => r.prefix === OWNED), {
      timeoutMs: 3000,
      what: "the held route to go with its tap",
    });
    expect(saved().routes.map((r) => r.prefix)).not.toContain(OWNED);

    const { stdout } = await riplet("withdraw", SERVICE);
    expect(stdout).toContain(`withdrawn ${SERVICE}`); // held, but withdrawn all the same
    const status = await askDaemon(socket, { id: 1, op: "status" });
    expect(status.healthChecks).toEqual([]);
    expect(saved().routes).toEqual([]);
  });

  it("refuses a command check over the socket unless control.allowCommandChecks", async () => {
    const { code, stderr } = await riplet("announce", SERVICE, "--check-command", "true");
    expect(code).toBe(1);
    expect(stderr).toContain("control.allowCommandChecks: true");
    expect((await routes()).some((r) => r.prefix === SERVICE)).toBe(false);
  });
});
