/**
 * The Debian package as a host gets it (issue 16): `npm run package:deb` builds it, lintian finds no
 * error, `dpkg -i` installs it on this machine; the packaged riplet checks a config, its daemon started
 * exactly as the installed unit's ExecStart announces a VM's tap that the packaged hook sets up from
 * libvirt's bare environment (FRR gateway). An upgrade replaces the files under the running daemon and
 * what systemd does for the postinst's restart (SIGTERM during a restart job, then ExecStart) brings
 * up the new version with the routes kept; a stop withdraws them; `dpkg -r` and `dpkg -P` leave nothing.
 * No systemd runs here: a stub systemctl answers the daemon's `list-jobs` as systemd 252 does.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CANNED_DATAGRAM_HEX } from "../../src/cli/canned-daemon.js";
import { callDaemon } from "../../src/control/client.js";
import { stopWatching, watchGateway } from "../lab/gap-watch.js";
import {
  type Child,
  createPairLab,
  exec,
  HOST_IF,
  holdsNever,
  interopDescribe,
  offGateway,
  onGateway,
  type PairLab,
  REPO_ROOT,
  startGateway,
  waitFor,
} from "../lab/index.js";
import { sleep } from "../lab/proc.js";

const VM = ["198.51.100.0/24", "2001:db8:42::/64"];
const STATIC = "198.51.102.0/24"; // from the config: still announced once the VM's hook has withdrawn
const UNIT = "/lib/systemd/system/riplet.service";
/** What the package makes at run time, or the tests below create: purge must remove them. */
const RUNTIME_DIRS = ["/etc/riplet", "/var/lib/riplet", "/var/log/riplet"];
const upstream = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string })
  .version;
const V1 = `${upstream}-1`;
const V2 = `${upstream}+2-1`; // sorts after V1 (dpkg --compare-versions)

const dir = mkdtempSync(join(tmpdir(), "riplet-deb-"));
const debs: Record<string, string> = {};

/** `npm run package:deb` for one version; its last line is the .deb's path. */
function buildDeb(version: string): string {
  const out = execFileSync("npm", ["run", "--silent", "package:deb"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, RIPLET_DEB_VERSION: version, RIPLET_DEB_OUT: join(dir, "out") },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  });
  return out.trim().split("\n").at(-1)!;
}

/** dpkg, waiting for the lock while another engineer's apt-get holds it. */
async function dpkg(...args: string[]) {
  for (let tries = 0; ; tries++) {
    const result = await exec(["dpkg", ...args], {
      allowFail: true,
      timeoutMs: 120_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.code === 0 || !/lock/i.test(result.stderr) || tries >= 60) return result;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const installedVersion = () =>
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  exec(["dpkg-query", "-W", "-f", "${Status} ${Version}", "riplet"], { allowFail: true }).then((r) =>
    r.stdout.startsWith("install ok installed") ? r.stdout.split(" ").at(-1) : undefined,
  );

/** The installed unit's directive, e.g. ExecStart split into words. */
const directive = (name: string) =>
  new RegExp(`^${name}=(.*)$`, "m").exec(readFileSync(UNIT, "utf8"))?.[1]?.trim() ?? "";

interopDescribe("the Debian package: build, lintian, install, run, upgrade, remove, purge", () => {
  let pair: PairLab;
  let socket: string;
  let config: string;
  /** What the stub systemctl says runs on riplet.service: "restart", "stop" or nothing. */
  const job = join(dir, "job");
  let daemon: Child | undefined;
  let listed: string[] = [];
  let installing = false;

  /** ExecStart as the installed unit has it, with the lab's socket and config, in systemd's environment. */
  async function startAsSystemd(): Promise<Child> {
    const [binary, ...args] = directive("ExecStart").split(/\s+/);
    const argv = args.map((a) =>
      a.replace("/run/riplet/riplet.sock", socket).replace("/etc/riplet/riplet.yaml", config),
    );
    const [name, value] = directive("Environment").replace("%n", "riplet.service").split("=");
    const env = {
      PATH: `${join(dir, "bin")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      [name!]: value,
    };
    const child = pair.lab.spawn(pair.host.ns, [binary!, ...argv], "packaged daemon", env);
    await waitFor(
      async () =>
        !child.running ||
        (await callDaemon(socket, { id: 0, op: "status" }, 500).then(
          () => true,
          () => false,
        )),
      { timeoutMs: 15_000, what: "the packaged daemon's control socket" },
    );
    if (!child.running) throw new Error(`the packaged daemon exited:\n${child.describe()}`);
    return child;
  }

  /** The packaged CLI in the host namespace. */
  const riplet = (...args: string[]) =>
    pair.lab.exec(pair.host.ns, ["/usr/bin/riplet", "--socket", socket, ...args], { allowFail: true });

  beforeAll(async () => {
    const there = [...RUNTIME_DIRS, "/run/riplet", "/usr/lib/riplet"].filter((d) => existsSync(d));
    for (const tool of ["lintian", "dpkg-deb", "systemd-analyze"]) {
      const found = await exec(["sh", "-c", `command -v ${tool}`], { allowFail: true });
      if (found.code !== 0) throw new Error(`${tool} is missing; install it with: npm run setup:interop`);
    }
    if ((await installedVersion()) || there.length > 0) {
      throw new Error(
        `riplet is installed here (${there.join(", ")}): this test installs and purges it; run dpkg -P riplet first`,
      );
    }
    installing = true;
    debs[V1] = buildDeb(V1);
    debs[V2] = buildDeb(V2);
    pair = await createPairLab("deb");
    await startGateway("frr", pair.lab, pair.gw);
    socket = join(pair.lab.dir, "run", "riplet.sock");
    config = join(pair.lab.dir, "riplet.yaml");
    mkdirSync(join(pair.lab.dir, "state"), { mode: 0o700 });
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${HOST_IF} }]`,
        `routes: [{ prefix: ${STATIC} }]`,
        `control: { socket: ${socket} }`,
        `state: ${join(pair.lab.dir, "state", "state.json")}`,
        "taps: { tap0: { addresses: [198.51.100.1/24, 2001:db8:42::1/64] } }",
        "",
      ].join("\n"),
    );
    // systemctl as systemd 252 answers `list-jobs --no-legend --plain --full riplet.service`
    mkdirSync(join(dir, "bin"));
    writeFileSync(
      join(dir, "bin", "systemctl"),
      `#!/bin/sh\n[ "$1" = list-jobs ] || exit 1\njob=$(cat ${job} 2>/dev/null)\n[ -z "$job" ] || echo "4242 riplet.service $job running"\n`,
    );
    chmodSync(join(dir, "bin", "systemctl"), 0o755);
  }, 600_000);

  afterAll(async () => {
    await stopWatching();
    await pair?.lab.destroy();
    if (installing) {
      await dpkg("-P", "riplet"); // installed, half-installed or config-files alike
      // beforeAll found none of these: whatever a failed purge left is this test's
      for (const path of RUNTIME_DIRS) rmSync(path, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("passes lintian without errors", async () => {
    const { code, stdout } = await exec(["lintian", "--fail-on", "error", debs[V1]!], { allowFail: true });
    expect(stdout.split("\n").filter((l) => l.startsWith("E:"))).toEqual([]);
    expect(code).toBe(0);
    console.log(
      JSON.stringify({ test: "lintian", warnings: stdout.split("\n").filter((l) => l.startsWith("W:")) }),
    );
  });

  it("installs with dpkg -i: riplet, its conffile, man page, completion and a unit systemd accepts", async () => {
    const install = await dpkg("-i", debs[V1]!);
    expect(install.code, install.stderr).toBe(0);
    // the shipped config names no uplink: enabled, not started, and one line says what to do
    expect(install.stderr).toMatch(/^riplet: not started: .*edit \/etc\/riplet\/riplet\.yaml.*riplet check/m);
    expect(await installedVersion()).toBe(V1);
    expect((await riplet("--version")).stdout.trim()).toBe(upstream);
    // the postinst compiled the CLI's code cache for this node, and a command loads it (code-cache.ts)
    expect(readdirSync("/usr/lib/riplet/dist/cli").filter((f) => f.endsWith(".v8")).length).toBeGreaterThan(
      5,
    );
    const debug = await exec([
      "env",
      "RIPLET_CODE_CACHE=debug",
      "/usr/bin/riplet",
      "decode",
      "--hex",
      CANNED_DATAGRAM_HEX,
    ]);
    expect(debug.stderr).toMatch(/^code cache program-\S+\.cjs: used$/m);
    expect(debug.stderr).not.toMatch(/: (none|stale|refused)$/m);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    const conffiles = (await exec(["dpkg-query", "-W", "-f", "${Conffiles}", "riplet"])).stdout;
    expect(conffiles).toMatch(/^ \/etc\/riplet\/riplet\.yaml [0-9a-f]{32}$/m);
    expect(conffiles).toMatch(/^ \/etc\/logrotate\.d\/riplet [0-9a-f]{32}$/m);
    expect(readFileSync("/etc/logrotate.d/riplet", "utf8")).toMatch(
      /\/var\/log\/riplet\/\*\.log \{[^}]*copytruncate/,
    );
    // `riplet check`: the placeholder fails with its line, the lab's config (its uplink exists) passes
    const placeholder = await riplet("check", "-c", "/etc/riplet/riplet.yaml");
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toMatch(/riplet\.yaml:\d+: interfaces/);
    const ok = await riplet("check", "-c", config);
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: "" });
    expect((await exec(["man", "-w", "riplet"])).stdout.trim()).toBe("/usr/share/man/man8/riplet.8.gz");
    // one section per command of the help, the new check and reload too
    const man = (await exec(["sh", "-c", "zcat /usr/share/man/man8/riplet.8.gz"])).stdout;
    for (const command of [
      "daemon",
      "check",
      "reload",
      "routes",
      "status",
      "hook up",
      "hook down",
      "decode",
    ]) {
      expect(man).toContain(`.SS "riplet ${command}"`);
    }
    expect(readFileSync("/usr/share/bash-completion/completions/riplet", "utf8")).toMatch(
      /complete -F _riplet riplet/,
    );
    // now that /usr/bin/riplet and man:riplet(8) exist, systemd takes the unit as installed
    await exec(["systemd-analyze", "verify", UNIT]);
    listed = (await exec(["dpkg", "-L", "riplet"])).stdout.split("\n").filter(Boolean);
    expect(listed).toEqual(
      expect.arrayContaining(["/usr/bin/riplet", "/usr/libexec/riplet/qemu-ifup", UNIT]),
    );
  });

  it("the daemon started as ExecStart announces a tap set up by the packaged hook with no environment", async () => {
    daemon = await startAsSystemd();
    await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"]);
    // libvirt runs the hook with nothing but the tap's name (and here the lab's socket): no PATH
    for (const hook of ["/usr/bin/riplet-qemu-ifup", "/usr/libexec/riplet/qemu-ifup"]) {
      const up = await pair.lab.exec(pair.host.ns, ["env", "-i", `RIPLET_SOCKET=${socket}`, hook, "tap0"], {
        allowFail: true,
      });
      expect({ hook, code: up.code, stderr: up.stderr }).toEqual({ hook, code: 0, stderr: "" });
    }
    await waitFor(onGateway(pair, [...VM, STATIC]), { timeoutMs: 10_000, what: "the tap's networks on FRR" });
    const routes = await riplet("routes", "--json");
    expect(routes.stdout).toContain('"owner":"tap0"');
    expect(routes.stdout).toContain(VM[0]);
  });

  it("an upgrade replaces the files under the running daemon; the restart brings up the new one, routes kept", async () => {
    const upgrade = await dpkg("-i", debs[V2]!);
    expect(upgrade.code, upgrade.stderr).toBe(0);
    expect(await installedVersion()).toBe(V2);
    expect((await riplet("--version")).stdout.trim()).toBe(V2.replace(/-1$/, ""));
    // the old daemon still serves, from the code it loaded
    expect((await riplet("routes", "--json")).stdout).toContain(VM[0]);
    expect(await onGateway(pair, [...VM, STATIC])()).toBe(true);

    // what systemd does for the postinst's `deb-systemd-invoke restart`: a restart job, SIGTERM, wait,
    // ExecStart; FRR's kernel polled every 50 ms from before the SIGTERM until the new daemon announced
    const gap = watchGateway(pair, [...VM, STATIC]);
    writeFileSync(job, "restart");
    expect(await daemon!.stop(10_000, "SIGTERM")).toBe(0); // TimeoutStopSec=10
    // no poison went out: FRR would drop a route at once on metric 16
    await holdsNever(async () => !(await onGateway(pair, [...VM, STATIC])()), {
      durationMs: 500,
      what: "a route leaving FRR after the restart's SIGTERM",
    });
    writeFileSync(job, "");
    daemon = await startAsSystemd();
    await sleep(1500); // its greeting (every restored route) has left; a flap would show by now
    const watched = await gap();
    console.log(JSON.stringify({ test: "deb-upgrade", gateway: "frr", ...watched }));
    expect(watched.polls).toBeGreaterThan(5);
    expect(watched.missed, "polls of FRR's kernel that missed a route through the upgrade").toBe(0);
    const status = JSON.parse((await riplet("status", "--json")).stdout.split("\n")[0]!) as {
      version?: string;
    };
    expect(status.version).toBe(V2.replace(/-1$/, ""));
    expect((await riplet("routes", "--json")).stdout).toContain('"owner":"tap0"');
    await waitFor(onGateway(pair, [...VM, STATIC]), {
      timeoutMs: 5000,
      what: "every route after the restart",
    });
  });

  it("the hook's down, then a stop withdraw; dpkg -r removes the files but the conffiles, dpkg -P everything", async () => {
    const down = await pair.lab.exec(pair.host.ns, [
      "env",
      "-i",
      `RIPLET_SOCKET=${socket}`,
      "/usr/bin/riplet-qemu-ifdown",
      "tap0",
    ]);
    expect(down.stderr).toBe("");
    await waitFor(offGateway(pair, VM), {
      timeoutMs: 5000,
      what: "the tap's networks withdrawn by its down-script",
    });
    expect(await onGateway(pair, [STATIC])()).toBe(true);
    writeFileSync(job, "stop"); // `systemctl stop riplet`, as the prerm asks on removal
    expect(await daemon!.stop(10_000, "SIGTERM")).toBe(0);
    await waitFor(offGateway(pair, [STATIC]), { timeoutMs: 5000, what: "every route withdrawn on a stop" });

    // what a running host leaves behind: state, a hook-started daemon's log, a file beside the config
    mkdirSync("/var/lib/riplet", { mode: 0o700 });
    writeFileSync("/var/lib/riplet/state.json", "{}\n");
    mkdirSync("/var/log/riplet");
    writeFileSync("/var/log/riplet/daemon.log", "{}\n");
    writeFileSync("/etc/riplet/maintenance", "");
    const remove = await dpkg("-r", "riplet");
    expect(remove.code, remove.stderr).toBe(0);
    const conffiles = ["/etc/riplet/riplet.yaml", "/etc/logrotate.d/riplet"];
    const left = (paths: string[]) => paths.filter((p) => present(p) && !conffiles.includes(p));
    expect(left(listed.filter((p) => !isSharedDir(p)))).toEqual(["/etc/riplet"]);
    expect(conffiles.filter((p) => existsSync(p))).toEqual(conffiles);

    const purge = await dpkg("-P", "riplet");
    expect(purge.code, purge.stderr).toBe(0);
    expect(listed.filter((p) => !isSharedDir(p) && present(p))).toEqual([]);
    expect(RUNTIME_DIRS.filter((d) => existsSync(d))).toEqual([]);
    // deb-systemd-helper's enablement is forgotten too
    const enablement = [
      "/etc/systemd/system/multi-user.target.wants/riplet.service",
      "/etc/systemd/system/riplet.service",
    ];
    expect(enablement.filter(present)).toEqual([]);
    expect(await installedVersion()).toBeUndefined();
  });
});

/** Whether anything is at path, a dangling symlink too (existsSync follows links). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Directories other packages own too (/usr/bin, /etc, ...): dpkg leaves them. */
function isSharedDir(path: string): boolean {
  return !path.includes("riplet") || /^\/(usr\/share\/lintian\/overrides|etc\/logrotate\.d)$/.test(path);
}
