/**
 * Routes over the socket with and without health checks (issue 8): held until the check passes,
 * announced while it does, withdrawn by prefix or by owner whether announced or held, saved with
 * their checks, and listed by `riplet routes` as held. A real Speaker and Gate; the probe is a shell
 * command that passes while a file exists.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { routesReport } from "../../src/daemon/reports.js";
import { healthCheckOf, type RawCheck } from "../../src/health/config.js";
import { parsePrefix } from "../../src/speaker/prefix.js";
import type { RouteSpec } from "../../src/speaker/table.js";
import { routeStoreOnEth0 } from "../helpers/route-store.js";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setUp(maintenanceFile?: string) {
  let now = 0;
  const { speaker, store: routes, gate } = routeStoreOnEth0({ now: () => now, maintenanceFile });
  stops.push(() => gate.stop());
  const stateOf = (prefix: string) => speaker.table.get(prefix)?.state ?? "absent";
  return { speaker, routes, gate, stateOf, tick: () => now++ };
}

const dir = () => mkdtempSync(join(tmpdir(), "riplet-checks-"));
const spec = (prefix: string, owner?: string): RouteSpec => ({
  prefix: parsePrefix(prefix),
  metric: 1,
  tag: 0,
  ...(owner ? { owner } : {}),
});
/** Passes while `flag` exists; probed every 20 ms, one result flips it. */
const checkOn = (flag: string): RawCheck => ({
  command: `test -e ${flag}`,
  interval: 0.02,
  timeout: 1,
  rise: 1,
  fall: 1,
});

describe("routes announced over the socket", () => {
  it("without a check: on the wire at once, idempotent, held in maintenance", () => {
    const { routes, stateOf } = setUp();
    expect(routes.add({ spec: spec("198.51.100.0/24") })).toBe("announced");
    expect(routes.add({ spec: spec("198.51.100.0/24") })).toBe("unchanged");
    expect(stateOf("198.51.100.0/24")).toBe("active");

    const file = join(dir(), "maintenance");
    writeFileSync(file, "");
    const inMaintenance = setUp(file);
    expect(inMaintenance.routes.add({ spec: spec("198.51.100.0/24") })).toBe("held");
    expect(inMaintenance.stateOf("198.51.100.0/24")).toBe("absent");
    expect(inMaintenance.routes.unchecked().map((s) => s.prefix.text)).toEqual(["198.51.100.0/24"]);
  });

  it("with a check: held until it passes, withdrawn when it fails, back when it passes again", async () => {
    const { routes, stateOf, gate } = setUp();
    const flag = join(dir(), "up");
    expect(routes.add({ spec: spec("198.51.100.0/24"), check: checkOn(flag) })).toBe("held");
    expect(stateOf("198.51.100.0/24")).toBe("absent");
    await vi.waitFor(() => expect(gate.report()[0]?.health).toBe("failing"));
    expect(stateOf("198.51.100.0/24")).toBe("absent");

    writeFileSync(flag, "");
    await vi.waitFor(() => expect(stateOf("198.51.100.0/24")).toBe("active"));
    rmSync(flag);
    await vi.waitFor(() => expect(stateOf("198.51.100.0/24")).toBe("withdrawing"));
    expect(routes.has("198.51.100.0/24")).toBe(true); // still asked for: it comes back
    writeFileSync(flag, "");
    await vi.waitFor(() => expect(stateOf("198.51.100.0/24")).toBe("active"));
  });

  it("a verdict saved before a restart is resumed: healthy stays up until `fall` failures", async () => {
    const { routes, stateOf, gate } = setUp();
    const flag = join(dir(), "absent");
    const check = { ...checkOn(flag), fall: 3, interval: 0.05 };
    expect(routes.add({ spec: spec("198.51.100.0/24"), check }, "healthy")).toBe("announced");
    expect(stateOf("198.51.100.0/24")).toBe("active");
    await vi.waitFor(() => expect(gate.report()[0]?.health).toBe("failing"));
    expect(stateOf("198.51.100.0/24")).toBe("withdrawing");
  });

  it("announcing again without a check drops the check and announces at once", async () => {
    const { routes, stateOf, gate } = setUp();
    routes.add({ spec: spec("198.51.100.0/24"), check: checkOn(join(dir(), "absent")) });
    expect(gate.isWatched("198.51.100.0/24")).toBe(true);
    expect(routes.add({ spec: spec("198.51.100.0/24") })).toBe("announced");
    expect(gate.isWatched("198.51.100.0/24")).toBe(false);
    expect(stateOf("198.51.100.0/24")).toBe("active");
    expect(routes.saved()).toEqual([{ prefix: "198.51.100.0/24", metric: 1, tag: 0 }]);
  });

  it("withdraws held and announced routes alike, by prefix or by owner, and knows held routes' owners", () => {
    const { routes, stateOf, gate } = setUp();
    const check = checkOn(join(dir(), "absent"));
    routes.add({ spec: spec("198.51.100.0/24", "tap0") });
    routes.add({ spec: spec("198.51.100.128/25", "tap0"), check });
    routes.add({ spec: spec("203.0.113.0/24", "tap1"), check });
    routes.add({ spec: spec("2001:db8:1::/48") });
    expect([...routes.owners()].sort()).toEqual(["tap0", "tap1"]);

    expect(routes.removeOwner("tap0").sort()).toEqual(["198.51.100.0/24", "198.51.100.128/25"]);
    expect(stateOf("198.51.100.0/24")).toBe("withdrawing");
    expect(gate.isWatched("198.51.100.128/25")).toBe(false);
    expect([...routes.owners()]).toEqual(["tap1"]);

    expect(routes.remove("203.0.113.0/24")).toBe(true); // held: nothing on the wire, still withdrawn
    expect(gate.isWatched("203.0.113.0/24")).toBe(false);
    expect(routes.remove("203.0.113.0/24")).toBe(false);
    expect(routes.remove("2001:db8:1::/48")).toBe(true);
    expect(routes.size).toBe(0);
  });

  it("saves each route with its check, as the config writes it", () => {
    const { routes } = setUp();
    const check = { tcp: "127.0.0.1:9", interval: 5 };
    routes.add({ spec: { ...spec("198.51.100.0/24", "tap0"), metric: 3, tag: 7 }, check });
    expect(routes.saved()).toEqual([{ prefix: "198.51.100.0/24", metric: 3, tag: 7, owner: "tap0", check }]);
  });

  it("`riplet routes` lists a held route as held, with its check's verdict", async () => {
    const { routes, speaker, gate } = setUp();
    const failing = checkOn(join(dir(), "absent"));
    routes.addConfig(spec("192.0.2.128/25"), healthCheckOf(failing));
    routes.add({ spec: spec("198.51.100.0/24", "tap0"), check: failing });
    routes.add({ spec: spec("203.0.113.0/24") });
    await vi.waitFor(() => expect(gate.report().map((c) => c.health)).toEqual(["failing", "failing"]));
    const report = routesReport(speaker, { store: routes, checks: gate.report() });
    expect(report.map((r) => [r.prefix, r.state, r.source, r.health])).toEqual([
      ["192.0.2.128/25", "held", "config", "failing"],
      ["198.51.100.0/24", "held", "socket", "failing"],
      ["203.0.113.0/24", "active", "socket", undefined],
    ]);
    expect(report[1]).toMatchObject({ owner: "tap0", metric: 1, family: "ipv4" });
  });
});

describe("the maintenance file", () => {
  it("counts only when configured; when it goes, the unchecked routes are sent again", async () => {
    const file = join(dir(), "maintenance");
    const { routes, gate, stateOf } = setUp();
    routes.add({ spec: spec("198.51.100.0/24") });
    writeFileSync(file, "");
    expect(gate.open).toBe(true); // no file configured: not looked at
    gate.setMaintenanceFile(file);
    expect(gate.open).toBe(false);
    expect(stateOf("198.51.100.0/24")).toBe("withdrawing");
    rmSync(file);
    await vi.waitFor(() => expect(gate.open).toBe(true), { timeout: 3000 });
    expect(stateOf("198.51.100.0/24")).toBe("active");
    writeFileSync(file, "");
    gate.setMaintenanceFile(undefined); // a reload that drops `maintenance:` ends it
    expect(gate.open).toBe(true);
    expect(stateOf("198.51.100.0/24")).toBe("active");
  });
});
