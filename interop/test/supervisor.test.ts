/**
 * One supervisor (issue 16 point 3): a VM's hook that finds no daemon, on a host where systemd runs
 * and riplet.service is installed, asks systemd for the service and never starts a copy of its own
 * (which took the socket and made the service fail). No systemd runs here, so a private mount
 * namespace shows the hook such a host: /run/systemd/system exists, the unit is where the package
 * puts it (/lib/systemd/system), and /usr/bin/systemctl is a stub that records each call and starts
 * the daemon exactly as the unit's ExecStart says (this lab's config in place of /etc/riplet's).
 * The hooks run as libvirt runs them, with an empty environment. Then `riplet check` and `riplet
 * reload` against that service, and the host without systemd: a detached daemon logging to its file.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Child,
  createPairLab,
  exec,
  HOST_IF,
  interopDescribe,
  onGateway,
  type PairLab,
  REPO_ROOT,
  RIPLET_BIN,
  readUnit,
  startGateway,
  UNIT_PATH,
  waitFor,
} from "../lab/index.js";

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const HOOK_UP = join(REPO_ROOT, "hooks", "qemu-ifup");
const SOCKET = "/run/riplet/riplet.sock"; // the unit's, on this namespace's own /run
const taps = { tapv1: "198.51.100", tapv2: "198.51.101", tapv3: "198.51.102", tapv4: "198.51.103" };
const net = (tap: keyof typeof taps) => `${taps[tap]}.0/24`;

interopDescribe("one supervisor: hooks start riplet.service through systemctl where systemd runs it", () => {
  let pair: PairLab;
  let dir: string;
  let config: string;
  let calls: string;
  let stub: string;
  let hookLog: string;
  let refuse: string;
  let hosts = 0;
  /** The systemd host of the first two tests: the service's socket is on its /run only. */
  let booted: Child;

  const writeConfig = (path: string, uplinks: string[], extra = "") =>
    writeFileSync(
      path,
      `interfaces: [${uplinks.map((u) => `{ name: ${u} }`).join(", ")}]\nstate: ${join(dir, path.endsWith("b.yaml") ? "state-b" : "state", "state.json")}\n${extra}`,
    );

  /**
   * systemctl as systemd answers it for this one unit: `start` runs ExecStart once (systemd merges a
   * second start job into the first), with the unit's Environment=, and fails while `refuse` exists.
   */
  function writeStub(): void {
    const [binary, ...args] = readUnit().execStart;
    expect(binary).toMatch(/\/riplet$/);
    const unitText = readFileSync(UNIT_PATH, "utf8");
    const environment = [...unitText.matchAll(/^Environment=(.*)$/gm)].flatMap((m) =>
      m[1]!
        .trim()
        .split(/\s+/)
        .map((e) => e.replace(/%n/g, "riplet.service")),
    );
    const argv = [
      "env",
      ...environment,
      process.execPath,
      RIPLET_BIN,
      ...args.map((a) => (a === "/etc/riplet/riplet.yaml" ? config : a)),
    ];
    const script = [
      "#!/bin/sh",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", // systemd's for services
      `echo "$*" >> ${q(calls)}`,
      'case "$1" in',
      "start)",
      '  [ "$2" = riplet.service ] || { echo "Failed to start $2: Unit $2 not found." >&2; exit 5; }',
      `  [ -e ${q(refuse)} ] && { echo "Failed to start riplet.service: Unit riplet.service is masked." >&2; exit 1; }`,
      `  if mkdir ${q(join(dir, "started"))} 2>/dev/null; then`,
      "    mkdir -p -m 0755 /run/riplet", // RuntimeDirectory=riplet
      `    setsid ${argv.map(q).join(" ")} >> ${q(join(dir, "journal.log"))} 2>&1 < /dev/null &`,
      `    echo $! > ${q(join(dir, "main.pid"))}`,
      "  fi",
      "  exit 0 ;;",
      "list-jobs) exit 0 ;;", // no job on the unit: a SIGTERM is a stop
      '*) echo "stub systemctl: $1 is not stubbed" >&2; exit 1 ;;',
      "esac",
      "",
    ].join("\n");
    writeFileSync(stub, script);
    chmodSync(stub, 0o755);
  }

  /**
   * A process holding a private mount namespace in the host's network namespace, with its own /run
   * (so /run/systemd and /run/riplet are this test's only) and the stub over /usr/bin/systemctl;
   * with `systemd`, /run/systemd/system exists and the unit is in /lib/systemd/system.
   */
  async function host(systemd: boolean): Promise<Child> {
    const ready = join(dir, `ready-${++hosts}`);
    const units = join(dir, "units");
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, "riplet.service"), readFileSync(UNIT_PATH));
    const script = [
      "set -e",
      "mount -t tmpfs -o mode=0755 tmpfs /run",
      systemd ? "mkdir -p /run/systemd/system" : "mkdir -p /run/systemd",
      systemd ? `mount --bind ${q(units)} /lib/systemd/system` : "",
      `mount --bind ${q(stub)} /usr/bin/systemctl`,
      `touch ${q(ready)}`,
      "exec sleep 600",
    ].filter(Boolean);
    const argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script.join("\n")];
    const holder = pair.lab.spawn(pair.host.ns, argv, `mount namespace (systemd: ${systemd})`);
    await waitFor(() => existsSync(ready) || !holder.running, { timeoutMs: 10_000, what: "the namespace" });
    if (!holder.running) throw new Error(`the namespace did not come up:\n${holder.describe()}`);
    return holder;
  }

  /** argv inside the holder's namespaces with exactly `env` (libvirt gives hooks an empty one). */
  const inside = (holder: Child, env: string[], argv: string[]) =>
    exec(["nsenter", `--target=${holder.pid}`, "--mount", "--net", "--", "env", "-i", ...env, ...argv], {
      allowFail: true,
      timeoutMs: 30_000,
    });
  const hookUp = (holder: Child, tap: keyof typeof taps, env: string[] = []) =>
    inside(holder, [`RIPLET_ADDRESSES=${taps[tap]}.1/24`, `RIPLET_LOG=${hookLog}`, ...env], [HOOK_UP, tap]);
  const riplet = (holder: Child, ...args: string[]) =>
    inside(holder, [], [process.execPath, RIPLET_BIN, ...args]);
  const stubCalls = () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean) : []);

  /** PIDs of `riplet daemon` processes in the lab's host network namespace, whoever started them. */
  async function daemons(): Promise<number[]> {
    const { stdout } = await exec(["ip", "netns", "pids", pair.host.ns]);
    return stdout
      .split("\n")
      .filter(Boolean)
      .map(Number)
      .filter((pid) => {
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
          return argv.some((a) => a.endsWith("riplet.js")) && argv.includes("daemon");
        } catch {
          return false; // gone since
        }
      });
  }

  async function stopDaemon(pid: number): Promise<void> {
    process.kill(pid, "SIGTERM");
    await waitFor(async () => !(await daemons()).includes(pid), {
      timeoutMs: 10_000,
      what: "the daemon to stop",
    });
  }

  beforeAll(async () => {
    pair = await createPairLab("supervisor");
    await startGateway("frr", pair.lab, pair.gw);
    dir = join(pair.lab.dir, "supervisor");
    mkdirSync(dir);
    mkdirSync(join(dir, "state"), { mode: 0o700 });
    mkdirSync(join(dir, "state-b"), { mode: 0o700 });
    config = join(dir, "riplet.yaml");
    calls = join(dir, "systemctl-calls");
    stub = join(dir, "systemctl");
    hookLog = join(dir, "daemon.log");
    refuse = join(dir, "refuse-start");
    writeConfig(config, [HOST_IF]);
    writeStub();
    for (const tap of Object.keys(taps))
      await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
  });
  afterAll(() => pair?.lab.destroy());

  it("two hooks at once start the service through systemctl, once; no daemon of their own", async () => {
    booted = await host(true);
    const holder = booted;
    const t0 = performance.now();
    const [one, two] = await Promise.all([hookUp(holder, "tapv1"), hookUp(holder, "tapv2")]);
    const hooksMs = Math.round(performance.now() - t0);
    expect([one, two].map((r) => [r.code, r.stderr])).toEqual([
      [0, ""],
      [0, ""],
    ]);
    const started = stubCalls();
    expect(started.length).toBeGreaterThanOrEqual(1); // each hook may ask; systemd merges the jobs
    expect(new Set(started)).toEqual(new Set(["start riplet.service"]));
    const main = Number(readFileSync(join(dir, "main.pid"), "utf8"));
    expect(await daemons()).toEqual([main]);
    expect(existsSync(hookLog)).toBe(false); // the detached daemon's log: never opened
    await waitFor(onGateway(pair, [net("tapv1"), net("tapv2")]), {
      timeoutMs: 10_000,
      what: "the VMs' subnets, announced by the service",
    });
    const routes = await riplet(holder, "--socket", SOCKET, "routes", "--json");
    const owners = routes.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prefix: string; owner?: string })
      .map((r) => `${r.owner} ${r.prefix}`);
    expect(owners.sort()).toEqual([`tapv1 ${net("tapv1")}`, `tapv2 ${net("tapv2")}`]);

    // the service runs now: the next VM's hook talks to it, systemctl is not asked again
    expect((await hookUp(holder, "tapv3")).code).toBe(0);
    await waitFor(onGateway(pair, [net("tapv3")]), { timeoutMs: 10_000, what: "the third VM's subnet" });
    expect(stubCalls()).toEqual(started);
    expect(await daemons()).toEqual([main]);
    expect(readFileSync(join(dir, "journal.log"), "utf8")).toContain('"daemon started"');
    console.log(JSON.stringify({ test: "supervisor-systemd", twoHooksWithServiceStartMs: hooksMs }));
  });

  it("riplet check and reload refuse a config naming a missing uplink; the running one stays", async () => {
    const holder = booted;
    writeConfig(config, [HOST_IF, "rl-nosuch0"], "routes: [{ prefix: 203.0.113.0/24 }]\n");
    const check = await riplet(holder, "check", "-c", config);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(`${config}:1: interfaces[1].name: uplink rl-nosuch0 does not exist`);
    const refused = await riplet(holder, "--socket", SOCKET, "reload");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^riplet reload: refused: .*uplink rl-nosuch0 does not exist.*\(the running config stays\)\n$/,
    );
    const status = JSON.parse((await riplet(holder, "--socket", SOCKET, "status", "--json")).stdout) as {
      interfaces: { name: string }[];
    };
    expect(status.interfaces.map((i) => i.name)).toEqual([HOST_IF]);

    writeConfig(config, [HOST_IF], "routes: [{ prefix: 203.0.113.0/24 }]\n");
    expect((await riplet(holder, "check", "-c", config)).stdout).toBe(
      `riplet check: ${config} ok (1 uplink, 1 route)\n`,
    );
    const taken = await riplet(holder, "--socket", SOCKET, "reload");
    expect([taken.code, taken.stdout]).toEqual([
      0,
      "riplet reload: config reloaded (announced routes stay)\n",
    ]);
    await waitFor(onGateway(pair, ["203.0.113.0/24", net("tapv1")]), {
      timeoutMs: 10_000,
      what: "the reloaded config's route, beside the VMs'",
    });
    await stopDaemon(Number(readFileSync(join(dir, "main.pid"), "utf8")));
  });

  it("a start systemd refuses fails the hook, naming where to look; still no daemon of its own", async () => {
    writeFileSync(refuse, "");
    const before = stubCalls().length;
    const up = await hookUp(booted, "tapv4", [`RIPLET_CONFIG=${config}`]); // a config it could start from
    expect(up.code).toBe(1);
    expect(up.stderr).toBe(
      "riplet hook up tapv4: no daemon on /run/riplet/riplet.sock, and /usr/bin/systemctl start riplet.service: Failed to start riplet.service: Unit riplet.service is masked; see `systemctl status riplet` and `journalctl -u riplet`\n",
    );
    expect(stubCalls().slice(before)).toEqual(["start riplet.service"]);
    expect(await daemons()).toEqual([]);
    expect(existsSync(hookLog)).toBe(false);
  });

  it("without systemd the hook starts a detached daemon, which logs to its file", async () => {
    const holder = await host(false);
    const before = stubCalls();
    const configB = join(dir, "riplet-b.yaml");
    writeConfig(configB, [HOST_IF]);
    const t0 = performance.now();
    const up = await hookUp(holder, "tapv4", [`RIPLET_CONFIG=${configB}`]);
    const hookMs = Math.round(performance.now() - t0);
    expect([up.code, up.stderr]).toEqual([0, ""]);
    expect(stubCalls()).toEqual(before);
    const [pid, ...more] = await daemons();
    expect(more).toEqual([]);
    await waitFor(onGateway(pair, [net("tapv4")]), { timeoutMs: 10_000, what: "the VM's subnet, detached" });
    expect(readFileSync(hookLog, "utf8")).toContain('"daemon started"');
    console.log(JSON.stringify({ test: "supervisor-detached", hookWithDaemonStartMs: hookMs }));
    await stopDaemon(pid!);
  });
});
