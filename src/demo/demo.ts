/**
 * `riplet demo` (SPEC §7): a throw-away lab in two namespaces, host and gateway; a VM started through
 * the real hook path (QEMU when installed, else a plain tap and the same hooks); and a narration with
 * the measured milliseconds. Everything is removed on exit, on failure and on Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { runCommand } from "../host/exec.js";
import { NetnsLab } from "../host/netns.js";
import { checkDataPath } from "./datapath.js";
import { createGateway, type GatewayKind } from "./gateways.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const RIPLET = join(ROOT, "bin", "riplet.js");
const HOOK_UP = join(ROOT, "hooks", "qemu-ifup");
const HOOK_DOWN = join(ROOT, "hooks", "qemu-ifdown");

const VM_V4 = "198.51.100.1/24";
const VM_V6 = "2001:db8:42::1/64";
const ROUTES = { ipv4: "198.51.100.0/24", ipv6: "2001:db8:42::/64" };

export interface DemoEvents {
  say(event: string, text: string, data?: Record<string, unknown>): void;
}

export interface DemoOptions {
  gateway: GatewayKind;
  qemu: "auto" | "never";
  timeoutMs: number;
  /** Ctrl-C: the step in flight stops at its next poll and the lab is removed. */
  signal?: AbortSignal;
}

/** Polls every 10 ms; returns the ms from `start` until check() held, or undefined on timeout. */
async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  start = performance.now(),
  signal?: AbortSignal,
): Promise<number | undefined> {
  while (performance.now() - start < timeoutMs) {
    if (signal?.aborted) throw new Error("interrupted");
    if (await check()) return Math.round(performance.now() - start);
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** The VM: real QEMU (no guest, only its tap and hooks) when installed, else the hooks by hand. */
interface Vm {
  how: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Why the VM is not running any more, if it is not. */
  failed(): string | undefined;
}

function qemuVm(lab: NetnsLab, ns: string, env: NodeJS.ProcessEnv): Vm {
  let child: ChildProcess | undefined;
  return {
    how: "QEMU (qemu-system-x86_64 -machine none) with -netdev tap,script=hooks/qemu-ifup,downscript=hooks/qemu-ifdown",
    async start() {
      const netdev = `tap,id=n0,ifname=tap0,script=${HOOK_UP},downscript=${HOOK_DOWN}`;
      child = lab.spawn(
        ns,
        "qemu-system-x86_64",
        ["-machine", "none", "-nodefaults", "-display", "none", "-netdev", netdev],
        env,
      );
      // The hooks' own messages matter; QEMU's note that this guest-less netdev has no NIC does not.
      createInterface({ input: child.stderr! }).on("line", (line) => {
        if (!/has no peer|terminating on signal/.test(line)) process.stderr.write(`${line}\n`);
      });
    },
    failed: () =>
      child && child.exitCode !== null
        ? `QEMU exited with ${child.exitCode}: its up-script failed`
        : undefined,
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM"); // QEMU runs the down-script on the way out
      await exited;
    },
  };
}

function tapVm(lab: NetnsLab, ns: string, env: NodeJS.ProcessEnv): Vm {
  const hook = (script: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", ns, script, "tap0"], {
        env,
        stdio: ["ignore", "inherit", "inherit"],
      });
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`))));
    });
  return {
    how: "a plain tap device and the same hooks (no QEMU)",
    async start() {
      await lab.ip(ns, ["tuntap", "add", "dev", "tap0", "mode", "tap"]);
      await hook(HOOK_UP);
    },
    failed: () => undefined,
    async stop() {
      await hook(HOOK_DOWN);
      await lab.ip(ns, ["link", "del", "tap0"]);
    },
  };
}

export async function runDemo(options: DemoOptions, narrate: DemoEvents): Promise<void> {
  // Every step starts with a line of narration: an interrupted demo stops there, then cleans up.
  const events: DemoEvents = {
    say(event, text, data) {
      if (options.signal?.aborted) throw new Error("interrupted");
      narrate.say(event, text, data);
    },
  };
  const lab = new NetnsLab(`riplet-demo-${process.pid}`);
  const dir = mkdtempSync(join(tmpdir(), "riplet-demo-"));
  // The gateway's files in a directory of their own: FRR runs as user frr and needs to own its
  // directory, and the daemon refuses a state or socket directory another user owns (paths.ts).
  const gatewayDir = mkdtempSync(join(tmpdir(), "riplet-demo-gw-"));
  try {
    events.say("lab", "Building a lab: namespaces host and gateway, joined by 192.0.2.0/24");
    const host = await lab.addNamespace("host");
    const gw = await lab.addNamespace("gw");
    await lab.link(host, "up0", gw, "gw0");
    await lab.ip(host, ["addr", "add", "192.0.2.2/24", "dev", "up0"]);
    await lab.ip(gw, ["addr", "add", "192.0.2.1/24", "dev", "gw0"]);
    await lab.ip(host, ["route", "add", "default", "via", "192.0.2.1"]);
    await lab.waitForLinkLocal(host, "up0");
    const gwLinkLocal = await lab.waitForLinkLocal(gw, "gw0");
    await lab.ip(host, ["-6", "route", "add", "default", "via", gwLinkLocal, "dev", "up0"]);

    const gateway = createGateway(
      options.gateway,
      { lab, ns: gw, ifname: "gw0", dir: gatewayDir, riplet: RIPLET },
      (message) => events.say("gateway-error", `gateway: ${message}`),
    );
    events.say("gateway", `Gateway: ${gateway.describe}`);
    await gateway.start();

    const config = join(dir, "riplet.yaml");
    writeFileSync(
      config,
      `interfaces: [{ name: up0 }]\ncontrol: { socket: ${join(dir, "riplet.sock")} }\nstate: ${join(dir, "state.json")}\n`,
    );
    const env = {
      ...process.env,
      RIPLET_ADDRESSES: `${VM_V4},${VM_V6}`,
      RIPLET_CONFIG: config,
      RIPLET_SOCKET: join(dir, "riplet.sock"),
      RIPLET_LOG: join(dir, "daemon.log"),
    };
    const useQemu =
      options.qemu === "auto" &&
      (await runCommand("which", ["qemu-system-x86_64"]).then(
        () => true,
        () => false,
      ));
    const vm = useQemu ? qemuVm(lab, host, env) : tapVm(lab, host, env);
    const inGateway = (prefix: string) => async () =>
      (
        await lab.ip(gw, [prefix.includes(":") ? "-6" : "-4", "route", "show", prefix]).catch(() => "")
      ).trim() !== "";

    events.say("vm", `Starting the VM: ${vm.how}; tap0 gets ${VM_V4} and ${VM_V6}`);
    const t0 = performance.now();
    await vm.start();
    const learned = (prefix: string) =>
      waitUntil(
        async () => vm.failed() !== undefined || (await inGateway(prefix)()),
        options.timeoutMs,
        t0,
        options.signal,
      );
    const [v4, v6] = await Promise.all([learned(ROUTES.ipv4), learned(ROUTES.ipv6)]);
    const failure = vm.failed();
    if (failure) throw new Error(failure);
    if (v4 === undefined || v6 === undefined) {
      throw new Error(
        `the gateway did not learn the VM's routes within ${options.timeoutMs} ms; see ${join(dir, "daemon.log")}`,
      );
    }
    events.say(
      "learned",
      `Gateway learned ${ROUTES.ipv4} after ${v4} ms and ${ROUTES.ipv6} after ${v6} ms (VM start included)`,
      {
        ipv4Ms: v4,
        ipv6Ms: v6,
      },
    );
    for (const target of ["198.51.100.1", "2001:db8:42::1"]) {
      const rtt = await checkDataPath(lab, host, gw, target);
      events.say(
        "datapath",
        rtt === undefined
          ? `Data path: no answer from ${target} through the gateway`
          : `Data path: the gateway reaches ${target} on the VM's tap and back (UDP echo, ${rtt} ms)`,
        { target, ok: rtt !== undefined, rttMs: rtt },
      );
    }
    events.say("stop", "Stopping the VM");
    const t1 = performance.now();
    await vm.stop();
    const gone = await Promise.all(
      [ROUTES.ipv4, ROUTES.ipv6].map((p) =>
        waitUntil(async () => !(await inGateway(p)()), options.timeoutMs, t1, options.signal),
      ),
    );
    if (gone.some((g) => g === undefined))
      throw new Error("the VM's routes were not withdrawn from the gateway");
    const stopMs = Math.max(...(gone as number[]));
    events.say("withdrawn", `Routes withdrawn from the gateway ${stopMs} ms after the VM was told to stop`, {
      withdrawMs: stopMs,
    });
  } finally {
    narrate.say("cleanup", "Cleaning up the lab");
    await lab.destroy();
    for (const d of [dir, gatewayDir]) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
  }
}
