/**
 * `riplet doctor` without a readable config (issue 16): it asks the running daemon for its uplinks
 * instead of failing "no uplink interfaces configured"; with neither, it says what to do.
 */
import { describe, expect, it } from "vitest";
import { cli, jsonLines } from "../helpers/cli.js";
import { fakeDaemon } from "../helpers/fake-daemon.js";

const status = {
  interfaces: [
    {
      name: "rplnosuch9",
      up: false,
      ipv4: [],
      ipv6LinkLocal: null,
      rip: { auth: "none", neighbors: [], multicast: true },
      ripng: null,
    },
  ],
  neighbors: [],
  routes: { active: 0, withdrawing: 0, held: 0 },
  counters: {
    packetsSent: 0,
    packetsReceived: 0,
    packetsDropped: 0,
    routesSkipped: 0,
    updatesSent: 0,
    triggeredUpdatesSent: 0,
    requestsAnswered: 0,
    outputQueueDrops: 0,
  },
  drops: {},
  sequence: 0,
  sequenceExhausted: false,
  version: "0.1.0",
  uptimeSeconds: 5,
  maintenance: false,
  healthChecks: [],
  control: { clients: 1, refusedBusy: 0, cutOff: 0, linesTooLong: 0 },
  internalErrors: { total: 0, byPlace: {} },
  guests: [],
};

interface Check {
  check: string;
  status: string;
  message: string;
  fix?: string;
}

describe("riplet doctor without a config", () => {
  it("checks the uplinks the running daemon reports", async () => {
    const daemon = await fakeDaemon((r) => (r.op === "status" ? status : { routes: [] }));
    try {
      const args = ["--socket", daemon.socket, "doctor", "-c", "/nonexistent/riplet.yaml", "--json"];
      const { out, err } = await cli(...args);
      expect(err).toEqual([]);
      const checks = jsonLines(out) as unknown as Check[];
      expect(checks.find((c) => c.check === "config")?.message).toMatch(
        /nonexistent\/riplet\.yaml.*; the running daemon's uplinks are checked instead$/,
      );
      expect(checks.filter((c) => c.check === "uplink")).toEqual([
        expect.objectContaining({ status: "fail", message: "rplnosuch9 does not exist" }),
      ]);
      expect(daemon.asked.map((r) => r.op).sort()).toEqual(["routes", "status"]);
    } finally {
      await daemon.close();
    }
  });

  it("with no daemon either, says to start one or give -c", async () => {
    const args = [
      "--socket",
      "/nonexistent/riplet.sock",
      "doctor",
      "-c",
      "/nonexistent/riplet.yaml",
      "--json",
    ];
    const { code, out } = await cli(...args);
    expect(code).toBe(1);
    const uplink = (jsonLines(out) as unknown as Check[]).find((c) => c.check === "uplink");
    expect(uplink).toMatchObject({
      status: "fail",
      message: "no uplinks to check: no daemon answers and no config was read",
    });
    expect(uplink?.fix).toMatch(/systemctl start riplet.*riplet doctor -c FILE/);
  });
});
