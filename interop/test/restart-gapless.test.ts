/**
 * Restarts and upgrades without a route gap (issue 16), against FRR and BIRD, IPv4 and IPv6, and BIRD
 * with HMAC-SHA256 (so a sequence number going backwards would show). No systemd runs here: the test
 * runs what docs/riplet.service makes systemd run, in its order and with its signals (ExecStart in the
 * unit's sandbox, with its Environment= and systemd's PATH, KillSignal to the main pid only), and a
 * stub `systemctl` first on PATH answers list-jobs as systemd 252 does during that job. Routes are
 * announced with owners through `riplet announce`; the gateway's kernel is polled every 50 ms:
 *   1. a package upgrade: files replaced under the running daemon, then `systemctl restart`: no poll
 *      may miss a route;
 *   2. `riplet daemon --replace` (ExecStart again) while the old one runs: no poll may miss a route;
 *   3. `systemctl stop`: every route withdrawn (metric 16 on the wire), gone from the kernel at once;
 *   4. SIGTERM without RIPLET_SYSTEMD_UNIT (riplet run by hand): withdrawn, as before.
 * Prints, per gateway, the longest gap seen (in polls) and the ExecStart → first Response time.
 */
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { callDaemon } from "../../src/control/client.js";
import { stopWatching, watchGateway } from "../lab/gap-watch.js";
import {
  birdLog,
  type Child,
  confinedArgv,
  createPairLab,
  execRiplet,
  type GatewayKind,
  HOST_IF,
  interopDescribe,
  kernelHasAll,
  kernelHasNone,
  type PairLab,
  REPO_ROOT,
  readUnit,
  startGateway,
  waitFor,
} from "../lab/index.js";
import { sleep } from "../lab/proc.js";
import { writeSystemctlStub } from "../lab/systemd-stub.js";

const unit = readUnit();
const UNIT_NAME = "riplet.service";
const STATIC = "198.51.100.0/24";
const OWNED = ["198.51.101.0/24", "2001:db8:42::/48"];
const ALL = [STATIC, ...OWNED];
const TAP = "tapg";

interface Variant {
  gateway: GatewayKind;
  auth: "none" | "hmac-sha256";
}
const VARIANTS: Variant[] = [
  { gateway: "frr", auth: "none" },
  { gateway: "bird", auth: "none" },
  { gateway: "bird", auth: "hmac-sha256" },
];
const KEY = { id: 3, secret: "s3cret-256" };
interopDescribe("restarts and upgrades without a route gap (docs/riplet.service, stub systemctl)", () => {
  let pair: PairLab | undefined;
  afterEach(async () => {
    await stopWatching(); // a poll in flight ends before the namespaces go
    await pair?.lab.destroy();
    pair = undefined;
  });

  it("the unit names itself to the daemon and takes over a running one", () => {
    expect(unit.environment.RIPLET_SYSTEMD_UNIT, "Environment=RIPLET_SYSTEMD_UNIT=%n in the unit").toBe(
      UNIT_NAME,
    );
    expect(unit.execStart).toContain("--replace");
    expect(unit.killSignal).toBe("SIGTERM");
  });

  for (const variant of VARIANTS) {
    it(`${variant.gateway} (${variant.auth}): restart and --replace keep every route, stop withdraws`, async () => {
      pair = await createPairLab(`gapless-${variant.gateway}`);
      const { lab, host, gw } = pair;
      const crypto = variant.auth !== "none";
      const gateway = await startGateway(variant.gateway, lab, gw, {
        ...(crypto ? { bird: { rip: { auth: "hmac-sha256", keyId: KEY.id, secret: KEY.secret } } } : {}),
      });
      // /run/riplet, /var/lib/riplet and /etc/riplet of the unit, here
      const run = join(lab.dir, "run");
      const state = join(lab.dir, "state");
      mkdirSync(run);
      mkdirSync(state, { mode: 0o700 });
      const socket = join(run, "riplet.sock");
      const config = join(lab.dir, "riplet.yaml");
      const auth = crypto
        ? `, ipv4: { auth: { mode: hmac-sha256, keys: [{ id: ${KEY.id}, secret: ${KEY.secret} }] } }`
        : "";
      writeFileSync(
        config,
        [
          `interfaces: [{ name: ${HOST_IF}${auth} }]`,
          `routes: [{ prefix: ${STATIC} }]`,
          `control: { socket: ${socket} }`,
          `state: ${join(state, "state.json")}`,
          "",
        ].join("\n"),
      );
      const stub = writeSystemctlStub(join(lab.dir, "stub"));
      const install = installCopy(join(lab.dir, "lib"));
      const systemdEnv = { PATH: stub.path, ...unit.environment };

      /** ExecStart as written: the unit's paths for the socket and config mapped to this lab's. */
      const execStart = (env: NodeJS.ProcessEnv) => {
        const [, ...args] = unit.execStart;
        const argv = args.map((a) =>
          a.replace("/run/riplet/riplet.sock", socket).replace("/etc/riplet/riplet.yaml", config),
        );
        const confined = confinedArgv(
          unit,
          [run, state, join(lab.dir, "stub")],
          [process.execPath, join(install, "bin", "riplet.js"), ...argv],
        );
        return { child: lab.spawn(host.ns, confined, "riplet.service", env), at: Date.now() };
      };
      const answers = () =>
        callDaemon(socket, { id: 0, op: "status" }, 500).then(
          () => true,
          () => false,
        );
      const ready = async (child: Child) => {
        await waitFor(async () => !child.running || (await answers()), {
          timeoutMs: 15_000,
          what: "the daemon's control socket",
        });
        if (!child.running) throw new Error(`the daemon exited at start:\n${child.describe()}`);
      };
      /** systemd stopping the main process: KillSignal, then wait (TimeoutStopSec) for the exit. */
      const kill = async (child: Child) => child.stop(unit.timeoutStopMs, unit.killSignal);

      const tcpdump = await startTcpdump(pair);
      let { child: daemon } = execStart(systemdEnv);
      await ready(daemon);
      await lab.exec(host.ns, ["ip", "tuntap", "add", "dev", TAP, "mode", "tap"]);
      const announce = await execRiplet(lab, host.ns, [
        "--socket",
        socket,
        "announce",
        ...OWNED,
        "--owner",
        TAP,
      ]);
      expect(announce.code, announce.stderr).toBe(0);
      await waitFor(() => kernelHasAll(lab, gw.ns, ALL, { [STATIC]: host.v4 }), {
        timeoutMs: 15_000,
        what: "every route on the gateway",
      });

      // 1. a package upgrade: the files replaced under the running daemon (here: gone, so a module
      // loaded lazily on the way out would fail), then `systemctl restart` = a restart job + SIGTERM
      const restart = watchGateway(pair, ALL);
      await sleep(300);
      rmSync(join(install, "dist"), { recursive: true });
      stub.setJob(UNIT_NAME, "restart");
      expect(await kill(daemon)).toBe(0);
      const oldLog = daemon.stdout;
      installCopy(install);
      stub.setJob(UNIT_NAME, "start");
      const started = execStart(systemdEnv);
      daemon = started.child;
      await ready(daemon);
      stub.setJob(UNIT_NAME, undefined);
      const firstResponseMs = await firstResponseAfter(tcpdump, host, started.at);
      const startedLogMs = logTime(daemon, "daemon started") - started.at;
      await sleep(1500);
      const restarted = await restart();
      // at once, not at the next periodic update: a whole-table Request and every restored route
      const sent = packetsFrom(tcpdump, host).filter(([at]) => at >= started.at);
      expect(sent.some(([, block]) => /RIPv2, Request/.test(block))).toBe(true);
      const firstV4 = sent.find(([, block]) => /RIPv2, Response/.test(block))?.[1] ?? "";
      expect(firstV4).toContain(STATIC);
      expect(firstV4).toContain(OWNED[0]);
      expect(
        restarted.missed,
        `polls missing a route through the restart: ${JSON.stringify(restarted)}`,
      ).toBe(0);
      expect(oldLog).toContain("restart job: routes kept; the next riplet re-announces them");
      expect(stub.calls()).toContain(`list-jobs --no-legend --plain --full ${UNIT_NAME}`);
      // the owners came back with the routes: the tap going away still withdraws them
      const routes = await callDaemon(socket, { id: 1, op: "routes" });
      expect(
        routes.ok &&
          routes.routes
            .filter((r) => r.owner === TAP)
            .map((r) => r.prefix)
            .sort(),
      ).toEqual([...OWNED].sort());
      // the restarted daemon's updates are accepted (with crypto: its sequence number went on upwards)
      const extra = "198.18.42.0/24";
      await execRiplet(lab, host.ns, ["--socket", socket, "announce", extra]);
      await waitFor(() => kernelHasAll(lab, gw.ns, [extra]), {
        timeoutMs: 10_000,
        what: `${extra} after restart`,
      });
      if (gateway.bird) expect(birdLog(gateway.bird)).not.toMatch(/Authentication failed|sequence/i);

      // 2. `riplet daemon --replace` (ExecStart again) while the old one runs
      const replace = watchGateway(pair, ALL);
      await sleep(300);
      const old = daemon;
      const replacing = execStart(systemdEnv);
      expect(await old.exited).toBe(0);
      const oldExitAt = Date.now();
      daemon = replacing.child;
      await ready(daemon);
      const replaceResponseMs = await firstResponseAfter(tcpdump, host, oldExitAt);
      await sleep(1500);
      const replaced = await replace();
      expect(old.stdout).toContain("handed over to a new riplet daemon: routes kept");
      expect(daemon.stdout).toContain("took over from the running daemon");
      expect(replaced.missed, `polls missing a route through --replace: ${JSON.stringify(replaced)}`).toBe(0);

      // 3. `systemctl stop`: a stop job + SIGTERM withdraws everything, well before the 180 s timeout
      stub.setJob(UNIT_NAME, "stop");
      const stopAt = Date.now();
      const stopT0 = performance.now();
      expect(await kill(daemon)).toBe(0);
      await waitFor(() => kernelHasNone(lab, gw.ns, [...ALL, extra]), {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: "every route withdrawn on systemctl stop",
      });
      const stopWithdrawnMs = Math.round(performance.now() - stopT0);
      // tcpdump's line may come a moment after the kernel change it caused
      await waitFor(() => poisonSeenAfter(tcpdump, host, stopAt), {
        timeoutMs: 3000,
        what: `metric 16 from the host on the wire (tcpdump saw:\n${tcpdump.stdout.slice(-1500)})`,
      });
      expect(daemon.stdout).toMatch(/"exit":"stop".*stop job on riplet\.service/);
      stub.setJob(UNIT_NAME, undefined);

      // 4. riplet run by hand (no RIPLET_SYSTEMD_UNIT) and SIGTERMed, even with a restart job listed
      stub.setJob(UNIT_NAME, "restart");
      daemon = execStart({ PATH: stub.path }).child;
      await ready(daemon);
      await waitFor(() => kernelHasAll(lab, gw.ns, ALL), { timeoutMs: 15_000, what: "routes restored" });
      const calls = stub.calls().length;
      expect(await kill(daemon)).toBe(0);
      await waitFor(() => kernelHasNone(lab, gw.ns, ALL), {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: "every route withdrawn on SIGTERM outside systemd",
      });
      expect(stub.calls()).toHaveLength(calls); // systemctl not even asked
      expect(daemon.stdout).toContain("RIPLET_SYSTEMD_UNIT unset");

      console.log(
        JSON.stringify({
          test: "restart-gapless",
          gateway: variant.gateway,
          auth: variant.auth,
          restart: restarted,
          replace: replaced,
          execStartToFirstResponseMs: firstResponseMs,
          execStartToStartedLogMs: startedLogMs,
          replaceExitToFirstResponseMs: replaceResponseMs,
          stopWithdrawnMs,
        }),
      );
    });
  }
});

/** A copy of the built CLI, as the package lays it out: bin/, dist/src/, dist/cli/, package.json, node_modules. */
function installCopy(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO_ROOT, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(REPO_ROOT, "dist", "src"), join(dir, "dist", "src"), { recursive: true });
  cpSync(join(REPO_ROOT, "dist", "cli"), join(dir, "dist", "cli"), { recursive: true }); // what bin/riplet.js runs
  cpSync(join(REPO_ROOT, "package.json"), join(dir, "package.json"));
  try {
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  } catch {
    // already linked by an earlier copy
  }
  return dir;
}

/** tcpdump on the gateway's link, verbose (RTEs and their metrics), kernel timestamps in epoch seconds. */
async function startTcpdump(pair: PairLab): Promise<Child> {
  const argv = ["tcpdump", "-tt", "-n", "-l", "-v", "-i", pair.gw.ifname, "udp port 520 or udp port 521"];
  const child = pair.lab.spawn(pair.gw.ns, argv, "tcpdump");
  await waitFor(() => child.stderr.includes("listening"), { timeoutMs: 10_000, what: "tcpdump" });
  return child;
}

/**
 * tcpdump's packets from the host: [epoch ms, the packet's lines]. Under -v the IP header comes first,
 * then the addresses, the RIP header and the RTEs, on lines of their own.
 */
function packetsFrom(tcpdump: Child, host: PairLab["host"]): [number, string][] {
  const packets: [number, string][] = [];
  for (const block of tcpdump.stdout.split(/\n(?=\d+\.\d+ )/)) {
    const at = /^(\d+\.\d+) IP/.exec(block)?.[1];
    const source = /\s(\S+)\.52[01] > /.exec(block)?.[1];
    if (at === undefined || (source !== host.v4 && source !== host.linkLocal)) continue;
    packets.push([Number(at) * 1000, block]);
  }
  return packets;
}

/** The epoch ms of the daemon's first log line with message `msg`. */
function logTime(child: Child, msg: string): number {
  const line = child.jsonLines().find((l) => l.msg === msg);
  return line ? new Date(String(line.time)).getTime() : Number.NaN;
}

const RESPONSE = /RIPv2, Response|ripng-resp/;

/** ms from `sinceMs` (epoch) to the first Response the host sent after it. */
async function firstResponseAfter(tcpdump: Child, host: PairLab["host"], sinceMs: number): Promise<number> {
  let first: number | undefined;
  await waitFor(
    () => {
      first = packetsFrom(tcpdump, host).find(([at, block]) => at >= sinceMs && RESPONSE.test(block))?.[0];
      return first !== undefined;
    },
    {
      timeoutMs: 15_000,
      what: `a Response from the new daemon (tcpdump saw:\n${tcpdump.stdout.slice(-1500)})`,
    },
  );
  return Math.round(first! - sinceMs);
}

/** True when the host sent a RIPv2 Response with a metric 16 RTE after `sinceMs` (epoch). */
function poisonSeenAfter(tcpdump: Child, host: PairLab["host"], sinceMs: number): boolean {
  return packetsFrom(tcpdump, host).some(
    ([at, block]) => at >= sinceMs && /RIPv2, Response/.test(block) && /metric:? 16\b/.test(block),
  );
}
