/** `riplet status` and `riplet routes` as a person reads them: health checks, held routes, maintenance (issue 8). */
import { afterEach, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { type FakeDaemon, fakeDaemon } from "../helpers/fake-daemon.js";

let daemon: FakeDaemon | undefined;
afterEach(async () => {
  await daemon?.close();
});

const status = {
  interfaces: [
    {
      name: "eth0",
      up: true,
      ipv4: ["192.0.2.2/24"],
      ipv6LinkLocal: "fe80::2",
      rip: { auth: "none", neighbors: [], multicast: true },
      ripng: { neighbors: [], multicast: true },
    },
  ],
  neighbors: [],
  routes: { active: 1, withdrawing: 1, held: 2 },
  counters: {
    packetsSent: 9,
    packetsReceived: 4,
    packetsDropped: 0,
    routesSkipped: 0,
    updatesSent: 2,
    triggeredUpdatesSent: 3,
    requestsAnswered: 1,
    outputQueueDrops: 0,
  },
  drops: {},
  sequence: 0,
  sequenceExhausted: false,
  version: "0.0.1-test",
  uptimeSeconds: 93_784,
  maintenance: false,
  healthChecks: [],
  control: { clients: 1, refusedBusy: 0, cutOff: 0, linesTooLong: 0 },
  internalErrors: { total: 0, byPlace: {} },
  guests: [],
};

describe("riplet status", () => {
  it("lists each health check with its verdict, how long, and the last probe's detail", async () => {
    const since = Date.now() - 42_000;
    daemon = await fakeDaemon(() => ({
      ...status,
      maintenance: false,
      healthChecks: [
        { prefix: "198.51.100.0/24", health: "healthy", since, detail: "connected" },
        { prefix: "203.0.113.10/32", health: "failing", since, detail: "ECONNREFUSED" },
      ],
    }));
    const { code, out } = await cli("--socket", daemon.socket, "status");
    expect(code).toBe(0);
    expect(out).toContain("Health checks:");
    expect(out.find((l) => l.includes("203.0.113.10/32"))).toMatch(/failing\s+for 4[12]s\s+\(ECONNREFUSED\)/);
    expect(out.find((l) => l.includes("198.51.100.0/24"))).toMatch(/healthy\s+for 4[12]s\s+\(connected\)/);
    expect(out.join("\n")).not.toContain("MAINTENANCE");
  });

  it("says so when maintenance is on, and prints no check section without checks", async () => {
    daemon = await fakeDaemon(() => ({ ...status, maintenance: true, healthChecks: [] }));
    const { out } = await cli("--socket", daemon.socket, "status");
    expect(out).toContain("MAINTENANCE: the maintenance file exists; every route is withdrawn");
    expect(out).not.toContain("Health checks:");
  });
});

describe("riplet status: version, uptime and held routes (issue 16)", () => {
  it("heads the report with the daemon's version and uptime, and counts held routes", async () => {
    daemon = await fakeDaemon(() => status);
    const { code, out } = await cli("--socket", daemon.socket, "status");
    expect(code).toBe(0);
    // the fake daemon is another version than this CLI: the operator must learn a restart runs the new one
    expect(out[0]).toMatch(
      /^riplet 0\.0\.1-test \(this CLI is \S+: restart the daemon to run it\), up 1d 2h$/,
    );
    expect(out).toContain("Routes: 1 active, 1 withdrawing, 2 held");
  });

  it("carries them in --json", async () => {
    daemon = await fakeDaemon(() => ({ ...status, uptimeSeconds: 59 }));
    const { out } = await cli("--socket", daemon.socket, "status", "--json");
    expect(JSON.parse(out[0]!)).toMatchObject({
      version: "0.0.1-test",
      uptimeSeconds: 59,
      routes: { active: 1, withdrawing: 1, held: 2 },
    });
  });
});

describe("riplet status: the daemon's own health (issue 13)", () => {
  it("prints every drop reason it is given, control refusals and internal errors", async () => {
    daemon = await fakeDaemon(() => ({
      ...status,
      neighbors: [
        {
          address: "192.0.2.66",
          interface: "eth0",
          family: "ipv4",
          version: 2,
          lastHeard: 1,
          routes: 10000,
          badPackets: 3,
          badRoutes: 0,
          drops: { SOME_FUTURE_REASON: 3 },
        },
      ],
      drops: { REQUEST_RATE: 90, ROUTE_LIMIT: 5000 },
      control: { clients: 2, refusedBusy: 7, cutOff: 1, linesTooLong: 0 },
      internalErrors: { total: 3, byPlace: { tick: 2, "health check": 1 } },
      counters: { ...status.counters, outputQueueDrops: 12 },
    }));
    const { out } = await cli("--socket", daemon.socket, "status");
    expect(out.find((l) => l.includes("192.0.2.66"))).toContain("(SOME_FUTURE_REASON=3)");
    expect(out.find((l) => l.startsWith("Packets:"))).toContain(
      "; 12 datagrams dropped by a full output queue",
    );
    expect(out).toContain("Drops: REQUEST_RATE=90 ROUTE_LIMIT=5000");
    expect(out).toContain("Control: 2 connected, 7 refused busy, 1 cut off (not reading), 0 lines too long");
    expect(out).toContain("Internal errors: 3 caught (tick=2 health check=1); see the log");
    expect(out.join("\n")).not.toContain("SEQUENCE");
  });

  it("shouts when the crypto sequence number is exhausted, first, with what to do", async () => {
    daemon = await fakeDaemon(() => ({ ...status, sequence: 4294967295, sequenceExhausted: true }));
    const { out } = await cli("--socket", daemon.socket, "status");
    expect(out[0]).toMatch(/^SEQUENCE EXHAUSTED: crypto sequence number at 2\^32−1 \(4294967295\).*Fix: /);
  });
});

describe("a daemon of another version (its reply does not match this CLI's schema)", () => {
  it("is one line saying so and how to fix it, exit 3, nothing printed as if it were right", async () => {
    // a daemon from before `guests` and `internalErrors` were in the status reply
    const { guests: _g, internalErrors: _e, ...older } = status;
    daemon = await fakeDaemon(() => older);
    const { code, out, err } = await cli("--socket", daemon.socket, "status");
    expect(code).toBe(3);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^riplet status: the daemon's reply to status does not match this riplet's version \(internalErrors: .*\); restart the daemon after an upgrade/,
    );
  });

  it("a routes reply with a mistyped field is refused the same way", async () => {
    daemon = await fakeDaemon(() => ({ routes: [{ prefix: "198.51.100.0/24", metric: "1" }] }));
    const { code, err } = await cli("--socket", daemon.socket, "routes");
    expect(code).toBe(3);
    expect(err[0]).toMatch(/reply to routes does not match .*\(routes\.0\.family: /);
  });

  it("an announce reply without its list of prefixes stops a batched announce with exit 3", async () => {
    daemon = await fakeDaemon(() => ({}));
    const { code, err } = await cli("--socket", daemon.socket, "announce", "198.51.100.0/24");
    expect(code).toBe(3);
    expect(err.join("\n")).toMatch(/reply to announce does not match this riplet's version \(announced: /);
  });
});

describe("riplet routes", () => {
  it("shows a checked route's verdict beside its state, held ones included", async () => {
    daemon = await fakeDaemon(() => ({
      routes: [
        {
          prefix: "198.51.100.0/24",
          family: "ipv4",
          metric: 1,
          tag: 0,
          state: "active",
          source: "socket",
          health: "healthy",
          age: 3,
        },
        {
          prefix: "203.0.113.10/32",
          family: "ipv4",
          metric: 1,
          tag: 0,
          state: "held",
          owner: "tap0",
          source: "socket",
          health: "failing",
          age: 7,
        },
        {
          prefix: "2001:db8:42::/48",
          family: "ipv6",
          metric: 1,
          tag: 0,
          state: "withdrawing",
          source: "config",
          age: 1,
        },
      ],
    }));
    const { code, out } = await cli("--socket", daemon.socket, "routes");
    expect(code).toBe(0);
    expect(out[1]).toMatch(/^198\.51\.100\.0\/24\s+active \(healthy\)\s+1\s+0\s+-\s+socket 3s$/);
    expect(out[2]).toMatch(/^203\.0\.113\.10\/32\s+held \(failing\)\s+1\s+0\s+tap0\s+socket 7s$/);
    expect(out[3]).toMatch(/^2001:db8:42::\/48\s+withdrawing\s+1\s+0\s+-\s+config 1s$/);
  });
});
