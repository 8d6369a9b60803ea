/**
 * `riplet daemon` as docs/riplet.service runs it (issue 8): only CAP_NET_BIND_SERVICE and
 * CAP_NET_ADMIN, no new privileges, the file system read-only but for the runtime and state
 * directories (interop/lab/confine.ts reproduces that without systemd, which does not run here).
 * Under it the daemon binds 520/521, announces to FRR, configures a VM tap through the hook op
 * (addresses, forwarding), keeps its state file, reloads on SIGHUP as ExecReload does, and withdraws on
 * SIGTERM as `systemctl stop` does.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import { loadState } from "../../src/daemon/state.js";
import {
  askDaemon,
  type Child,
  confinedArgv,
  createPairLab,
  HOST_IF,
  interopDescribe,
  offGateway,
  onGateway,
  type PairLab,
  RIPLET_BIN,
  readUnit,
  startGateway,
  waitFor,
} from "../lab/index.js";

const STATIC = "198.51.100.0/24";
const ADDED = "198.51.102.0/24";
const VM = "198.51.101.0/24";
const unit = readUnit();

interopDescribe("the daemon in docs/riplet.service's sandbox → FRR", () => {
  let pair: PairLab;
  let run: string;
  let state: string;
  let config: string;
  let socket: string;
  let daemon: Child;

  const writeConfig = (routes: string[]) =>
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${HOST_IF} }]`,
        `routes: [${routes.map((p) => `{ prefix: ${p} }`).join(", ")}]`,
        `control: { socket: ${socket} }`,
        `state: ${join(state, "state.json")}`,
        "taps: { tapc: { addresses: [198.51.101.1/24, 2001:db8:42:c::1/64], dhcp: true, ra: true } }",
        "",
      ].join("\n"),
    );
  const confined = (argv: string[]) => confinedArgv(unit, [run, state], argv);

  beforeAll(async () => {
    pair = await createPairLab("confined");
    await startGateway("frr", pair.lab, pair.gw);
    run = join(pair.lab.dir, "run"); // RuntimeDirectory=riplet → /run/riplet
    state = join(pair.lab.dir, "state"); // StateDirectory=riplet → /var/lib/riplet
    mkdirSync(run);
    mkdirSync(state, { mode: 0o700 });
    socket = join(run, "riplet.sock");
    config = join(pair.lab.dir, "riplet.yaml");
    writeConfig([STATIC]);
  });
  afterAll(() => pair?.lab.destroy());

  it("the sandbox holds: the unit's five capabilities, no new privileges, read-only outside its directories", async () => {
    const probe = [
      "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status",
      `touch ${join(pair.lab.dir, "outside")} 2>&1 || true`,
      `touch ${join(state, "inside")} && echo writable`,
    ].join("; ");
    const { stdout } = await pair.lab.exec(pair.host.ns, confined(["sh", "-c", probe]));
    expect(unit.capabilities.sort()).toEqual([
      "net_admin",
      "net_bind_service",
      "net_raw",
      "setgid",
      "setuid",
    ]);
    // bits 6, 7, 10, 12, 13: SETGID, SETUID, NET_BIND_SERVICE, NET_ADMIN, NET_RAW
    expect(stdout).toMatch(/CapEff:\s+00000000000034c0/);
    expect(stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(stdout).toContain("Read-only file system");
    expect(stdout).toContain("writable");
  });

  it("announces, configures a VM tap, saves state, reloads on SIGHUP and withdraws on SIGTERM", async () => {
    // ExecStart as written, with this lab's paths for /run/riplet and /etc/riplet
    const [binary, ...args] = unit.execStart;
    expect(binary).toBe("/usr/bin/riplet");
    const argv = args.map((a) =>
      a.replace("/run/riplet/riplet.sock", socket).replace("/etc/riplet/riplet.yaml", config),
    );
    daemon = pair.lab.spawn(
      pair.host.ns,
      confined([process.execPath, RIPLET_BIN, ...argv]),
      "confined daemon",
    );
    await waitFor(
      async () =>
        !daemon.running ||
        (await callDaemon(socket, { id: 0, op: "status" }, 500).then(
          () => true,
          () => false,
        )),
      { timeoutMs: 10_000, what: "the confined daemon's socket" },
    );
    if (!daemon.running) throw new Error(`the confined daemon exited:\n${daemon.describe()}`);
    await waitFor(onGateway(pair, [STATIC]), {
      timeoutMs: 10_000,
      what: `${STATIC} from the confined daemon`,
    });

    // a VM's tap, as QEMU makes it; the hook op does the rest with the daemon's two capabilities
    await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", "tapc", "mode", "tap"]);
    await pair.lab.exec(pair.host.ns, ["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    const up = await callDaemon(socket, { id: 1, op: "hook", action: "up", ifname: "tapc" });
    expect(up).toMatchObject({ ok: true });
    await waitFor(onGateway(pair, [VM]), { timeoutMs: 5000, what: "the VM's subnet" });
    const { stdout: addr } = await pair.lab.exec(pair.host.ns, ["ip", "-o", "addr", "show", "dev", "tapc"]);
    expect(addr).toContain("198.51.101.1/24");
    // the tap's DHCP/RA server runs under the same sandbox (its RA socket, its drop to nobody)
    const status = await askDaemon(socket, { id: 3, op: "status" });
    expect(status.guests).toEqual([
      expect.objectContaining({ tap: "tapc", dhcp: true, ra: true, running: true }),
    ]);
    const { stdout: forwarding } = await pair.lab.exec(pair.host.ns, ["sysctl", "-n", "net.ipv4.ip_forward"]);
    expect(forwarding.trim()).toBe("1");
    const saved = loadState(join(state, "state.json")).state;
    expect(saved.routes.map((r) => r.prefix).sort()).toEqual([VM, "2001:db8:42:c::/64"].sort());

    writeConfig([STATIC, ADDED]);
    daemon.signal("SIGHUP"); // ExecReload=/bin/kill -HUP $MAINPID
    await waitFor(onGateway(pair, [ADDED]), { timeoutMs: 5000, what: `${ADDED} after SIGHUP` });
    expect((await askDaemon(socket, { id: 2, op: "routes" })).routes).toHaveLength(4);

    const t0 = performance.now();
    const exit = daemon.stop(10_000, "SIGTERM"); // KillSignal=SIGTERM, TimeoutStopSec=10
    await waitFor(offGateway(pair, [STATIC, ADDED, VM]), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "every route withdrawn on SIGTERM",
    });
    const withdrawnMs = Math.round(performance.now() - t0);
    expect(await exit).toBe(0);
    console.log(JSON.stringify({ test: "confined-daemon", withdrawnOnSigtermMs: withdrawnMs }));
    expect(daemon.stdout).not.toMatch(/"level":(50|60)/); // no error logged (EPERM, EROFS...)
  });
});
