/**
 * `riplet doctor` against failures built on purpose in a namespace lab with a real FRR gateway:
 * a healthy path is all ok; then the daemon stopped, forwarding off, the tap down, strict rp_filter,
 * and a gateway whose MD5 key differs from ours are each reported with the right check and a fix.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import {
  type Child,
  createPairLab,
  execRiplet,
  HOST_IF,
  interopDescribe,
  kernelHasAll,
  type PairLab,
  spawnRiplet,
  startGateway,
  waitFor,
} from "../lab/index.js";

const HOOK_UP = new URL("../../hooks/qemu-ifup", import.meta.url).pathname;

interface Check {
  check: string;
  status: "ok" | "warn" | "fail";
  message: string;
  fix?: string;
}

interopDescribe("riplet doctor", () => {
  let pair: PairLab;
  let daemon: Child;
  let socket: string;
  let config: string;

  const doctor = async (...extra: string[]) => {
    const { code, stdout } = await execRiplet(pair.lab, pair.host.ns, [
      "--socket",
      socket,
      "doctor",
      "tap0",
      "-c",
      config,
      "--json",
      ...extra,
    ]);
    return {
      code,
      checks: stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Check),
    };
  };
  const statusOf = (checks: Check[], name: string) =>
    checks.filter((c) => c.check === name).map((c) => c.status);

  async function startDaemon(): Promise<void> {
    daemon = spawnRiplet(pair.lab, pair.host.ns, ["--socket", socket, "daemon", "-c", config]);
    await waitFor(
      async () =>
        callDaemon(socket, { id: 0, op: "status" }, 500).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 10_000, what: "daemon" },
    );
  }

  function writeConfig(secret?: string): void {
    const ipv4 = secret ? `{ auth: { mode: md5, keys: [{ id: 1, secret: ${secret} }] } }` : "true";
    writeFileSync(
      config,
      `interfaces: [{ name: ${HOST_IF}, ipv4: ${ipv4} }]\ncontrol: { socket: ${socket} }\nstate: ${join(pair.lab.dir, "state.json")}\n`,
    );
  }

  beforeAll(async () => {
    pair = await createPairLab("doctor");
    await startGateway("frr", pair.lab, pair.gw);
    socket = join(pair.lab.dir, "riplet.sock");
    config = join(pair.lab.dir, "riplet.yaml");
    writeConfig();
    await startDaemon();
    await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"]);
    await pair.lab.exec(pair.host.ns, [
      "env",
      `RIPLET_SOCKET=${socket}`,
      `RIPLET_CONFIG=${config}`,
      "RIPLET_ADDRESSES=198.51.100.1/24,2001:db8:42::1/64",
      HOOK_UP,
      "tap0",
    ]);
    await waitFor(() => kernelHasAll(pair.lab, pair.gw.ns, ["198.51.100.0/24"]), {
      timeoutMs: 10_000,
      what: "route on FRR",
    });
  });
  afterAll(() => pair?.lab.destroy());

  it("a healthy path is all ok, including the gateway's answer for our prefix", async () => {
    await waitFor(async () => (await doctor()).checks.every((c) => c.status === "ok"), {
      timeoutMs: 45_000,
      intervalMs: 2000,
      what: "doctor all ok",
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify((await doctor()).checks)}`);
    });
    const { code, checks } = await doctor();
    expect(code).toBe(0);
    // the tap's prefixes, each by its own protocol: IPv4 by RIPv2 to ripd, IPv6 by RIPng to ripngd
    const gateway = checks.filter((c) => c.check === "gateway").map((c) => c.message);
    expect(gateway).toEqual([
      expect.stringMatching(/^192\.0\.2\.1 has 198\.51\.100\.0\/24 \(metric \d+\)$/),
      expect.stringMatching(/^fe80::\S+%\S+ has 2001:db8:42::\/64 \(metric \d+\)$/),
    ]);
  });

  it("without the config, asks the daemon for its uplinks", async () => {
    const { stdout } = await execRiplet(pair.lab, pair.host.ns, [
      "--socket",
      socket,
      "doctor",
      "tap0",
      "-c",
      join(pair.lab.dir, "absent.yaml"),
      "--json",
    ]);
    const checks = stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Check);
    expect(checks.find((c) => c.check === "config")?.message).toMatch(/daemon's uplinks are checked instead/);
    expect(checks.filter((c) => c.check === "uplink")).toEqual([
      expect.objectContaining({
        status: "ok",
        message: expect.stringMatching(new RegExp(`^${HOST_IF} is up`)),
      }),
    ]);
    expect(statusOf(checks, "gateway")).toEqual(["ok", "ok"]);
  });

  it("forwarding off", async () => {
    await pair.lab.exec(pair.host.ns, ["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    const { code, checks } = await doctor();
    expect(code).toBe(1);
    expect(checks).toContainEqual(
      expect.objectContaining({
        check: "forwarding",
        status: "fail",
        fix: "sysctl -w net.ipv4.ip_forward=1",
      }),
    );
    await pair.lab.exec(pair.host.ns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  });

  it("strict rp_filter on the uplink", async () => {
    await pair.lab.exec(pair.host.ns, ["sysctl", "-qw", `net.ipv4.conf.${HOST_IF}.rp_filter=1`]);
    expect(statusOf((await doctor()).checks, "rp_filter")).toEqual(["warn"]);
    await pair.lab.exec(pair.host.ns, ["sysctl", "-qw", `net.ipv4.conf.${HOST_IF}.rp_filter=0`]);
  });

  it("the tap down", async () => {
    await pair.lab.exec(pair.host.ns, ["ip", "link", "set", "tap0", "down"]);
    const { checks } = await doctor();
    expect(checks).toContainEqual(
      expect.objectContaining({ check: "tap", status: "fail", message: "tap0 is down" }),
    );
    await pair.lab.exec(pair.host.ns, ["ip", "link", "set", "tap0", "up"]);
  });

  it("the daemon stopped", async () => {
    daemon.signal("SIGTERM");
    await daemon.exited;
    const { code, checks } = await doctor();
    expect(code).toBe(1);
    expect(checks[0]).toMatchObject({ check: "daemon", status: "fail" });
    expect(checks[0]!.fix).toMatch(/riplet daemon/);
  });
});

interopDescribe("riplet doctor: a gateway with another MD5 key", () => {
  let pair: PairLab;
  afterAll(() => pair?.lab.destroy());

  it("reports the gateway's packets dropped and our prefix missing on the gateway", async () => {
    pair = await createPairLab("doctor-key");
    await startGateway("frr", pair.lab, pair.gw, {
      frr: { ripd: { auth: "md5", keyId: 1, secret: "gw-key" }, ripngd: false },
    });
    const socket = join(pair.lab.dir, "riplet.sock");
    const config = join(pair.lab.dir, "riplet.yaml");
    writeFileSync(
      config,
      `interfaces: [{ name: ${HOST_IF}, ipv4: { auth: { mode: md5, keys: [{ id: 1, secret: other-key }] } }, ipv6: false }]\nroutes: [{ prefix: 198.51.100.0/24 }]\ncontrol: { socket: ${socket} }\nstate: ${join(pair.lab.dir, "state.json")}\n`,
    );
    spawnRiplet(pair.lab, pair.host.ns, ["--socket", socket, "daemon", "-c", config]);
    const doctor = async () => {
      const { stdout } = await execRiplet(pair.lab, pair.host.ns, [
        "--socket",
        socket,
        "doctor",
        "-c",
        config,
        "--gateway",
        pair.gw.v4,
        "--json",
      ]);
      return stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Check);
    };
    // FRR's next periodic update (30 s) is what gets dropped.
    await waitFor(async () => (await doctor()).some((c) => c.check === "neighbor" && c.status === "fail"), {
      timeoutMs: 45_000,
      intervalMs: 2000,
      what: "the neighbour check to fail",
    });
    const checks = await doctor();
    expect(checks.find((c) => c.check === "neighbor")?.message).toMatch(/192\.0\.2\.1 were all dropped/);
    expect(checks.find((c) => c.check === "gateway")?.status).not.toBe("ok");
  });
});
