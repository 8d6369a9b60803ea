/**
 * One schema per control reply (SPEC §4), shared by the daemon and the CLI: every reply the daemon's
 * own handlers build (a real ControlOps over a real Speaker, Gate and route store) passes its op's
 * schema unchanged, so the CLI reads what the daemon sends, field for field, and nothing is dropped.
 */

import { describe, expect, it } from "vitest";
import type { Request } from "../../src/control/protocol.js";
import { parseReply } from "../../src/control/replies.js";
import { parseConfigText } from "../../src/daemon/config.js";
import { announceConfigRoutes } from "../../src/daemon/config-routes.js";
import { ControlOps } from "../../src/daemon/control-ops.js";
import { createLogger } from "../../src/daemon/log.js";
import type { GuestReport } from "../../src/guests/servers.js";
import { routeStoreOnEth0 } from "../helpers/route-store.js";
import { speakerOnEth0 } from "../helpers/speaker.js";

const silent = createLogger("silent");

const GUEST: GuestReport = {
  tap: "tap0",
  dhcp: true,
  ra: false,
  dns: ["203.0.113.53"],
  running: true,
  pid: 4242,
  restarts: 1,
  lastError: null,
  leases: [
    { mac: "52:54:00:12:34:56", address: "198.51.100.10", hostname: "vm1", expires: 1_800_000_600 },
    { mac: "52:54:00:12:34:57", address: "198.51.100.11", hostname: null, expires: null },
  ],
};

function daemonOps() {
  const config = parseConfigText(
    "interfaces: [{ name: eth0 }]\nroutes: [{ prefix: 203.0.113.0/24, metric: 2, tag: 7 }]\n",
    "riplet.yaml",
    () => "",
  );
  const speaker = speakerOnEth0();
  // a neighbour heard badly and one heard well: both shapes of the neighbour report
  const bad = speaker.neighbors.get("ipv4", "eth0", "192.0.2.66");
  bad.badPackets = 3;
  bad.drops.AUTH_FAILED = 3;
  speaker.neighbors.heard(speaker.neighbors.get("ipv6", "eth0", "fe80::1"), 1, 0);
  speaker.dropsByReason.AUTH_FAILED = 3;
  const { store: routes, gate } = routeStoreOnEth0({ speaker });
  announceConfigRoutes(routes, config);
  const ops = new ControlOps({
    log: silent,
    config: () => config,
    policy: () => ({ allowDefault: false, allowCommandChecks: false }),
    speaker: () => speaker,
    gate: () => gate,
    routes,
    changed: () => {},
    wake: () => {},
    updateSent: async () => {},
    persist: async () => {},
    reload: async (id) => ({ id, ok: true }),
    control: () => ({ clients: 1, refusedBusy: 2, cutOff: 0, linesTooLong: 1 }),
    guests: { check: () => {}, up: async () => {}, down: async () => {}, report: () => [GUEST] },
    internalErrors: () => ({ total: 1, byPlace: { tick: 1 } }),
  });
  return { ops, stop: () => gate.stop() };
}

/** What the CLI receives: the reply as JSON text, parsed (undefined fields gone, as on the socket). */
async function onTheWire(ops: ControlOps, request: Request): Promise<unknown> {
  return JSON.parse(JSON.stringify(await ops.handle(request)));
}

describe("control replies: the daemon's own replies pass the schemas unchanged", () => {
  const requests: Request[] = [
    {
      id: 1,
      op: "announce",
      routes: [
        { prefix: "198.51.100.0/24", metric: 3, tag: 9, nextHop: "192.0.2.1" },
        { prefix: "2001:db8:42::/48" },
      ],
    },
    {
      id: 2,
      op: "announce",
      routes: [{ prefix: "198.18.0.0/24", check: { tcp: "127.0.0.1:1", interval: 60 } }],
    },
    { id: 3, op: "withdraw", prefixes: ["2001:db8:42::/48"] },
    { id: 4, op: "routes" },
    { id: "five", op: "status" },
    { id: 6, op: "reload" },
    // a tap that does not exist: withdrawn by owner, nothing on the host touched (hook-op.ts)
    { id: 7, op: "hook", action: "down", ifname: "rplnotap0" },
    { id: 8, op: "withdraw", owner: "tap0" },
    // refusals: the error reply's schema
    { id: 9, op: "announce", routes: [{ prefix: "224.0.0.0/24" }] },
    { id: 10, op: "hook", action: "up", ifname: "rplnotap0" },
  ];

  it("each op's reply, in one session, reads back field for field", async () => {
    const { ops, stop } = daemonOps();
    try {
      const seen = new Map<string, unknown>();
      for (const request of requests) {
        const reply = await onTheWire(ops, request);
        expect(parseReply(request.op, reply)).toEqual({ reply });
        seen.set(String(request.id), reply);
      }
      // the replies carry what they should: not a vacuous pass on empty lists
      expect(seen.get("1")).toEqual({ id: 1, ok: true, announced: ["198.51.100.0/24", "2001:db8:42::/48"] });
      expect(seen.get("2")).toMatchObject({ held: ["198.18.0.0/24"] });
      expect(seen.get("4")).toMatchObject({
        routes: expect.arrayContaining([
          expect.objectContaining({ state: "held" }),
          // withdrawn over the socket: still its source while the wire carries it (issue 16, not "config")
          expect.objectContaining({ prefix: "2001:db8:42::/48", state: "withdrawing", source: "socket" }),
        ]),
      });
      const status = seen.get("five") as { neighbors: unknown[]; guests: unknown[]; healthChecks: unknown[] };
      expect(status.neighbors).toHaveLength(2);
      // contract 5: the daemon's version (package.json), uptime and held routes (the checked one)
      const { createRequire } = await import("node:module");
      const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
      expect(status).toMatchObject({
        version: pkg.version,
        uptimeSeconds: expect.any(Number),
        routes: { held: 1 },
      });
      expect(status.guests).toEqual([GUEST]);
      expect(status.healthChecks).toHaveLength(1);
      expect(seen.get("9")).toMatchObject({ ok: false, error: { code: "MULTICAST" } });
      expect(seen.get("10")).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    } finally {
      stop();
    }
  });
});

describe("control replies: one that does not match is a version mismatch", () => {
  it.each([
    ["status", { id: 1, ok: true }, /\(interfaces: /],
    ["announce", { id: 1, ok: true, announced: "198.51.100.0/24" }, /\(announced: /],
    ["routes", { id: 1, ok: true, routes: [{ prefix: "198.51.100.0/24" }] }, /\(routes\.0\.family: /],
    ["withdraw", { id: 1, ok: false, error: { message: "x" } }, /\(error\.code: /],
    ["reload", "ok", /\(reply: /],
  ] as const)("%s %j", (op, reply, where) => {
    const parsed = parseReply(op, reply);
    if (!("mismatch" in parsed)) throw new Error(`accepted: ${JSON.stringify(reply)}`);
    expect(parsed.mismatch).toMatch(where);
    expect(parsed.mismatch).toMatch(/restart the daemon after an upgrade: systemctl restart riplet$/);
    expect(parsed.mismatch).not.toContain("\n");
  });

  it("a field a newer daemon adds is dropped, not refused", () => {
    expect(parseReply("reload", { id: 1, ok: true, restartedAt: 5 })).toEqual({ reply: { id: 1, ok: true } });
  });
});
