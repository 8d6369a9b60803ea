/**
 * `riplet demo` (SPEC §7): a throw-away lab in two namespaces, host and gateway; a VM started through
 * the real hook path (QEMU when installed, else a plain tap and the same hooks); and a narration with
 * the measured milliseconds. Everything is removed on exit, on failure and on Ctrl-C.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NetnsLab } from "../host/netns.js";
import { checkDataPath } from "./datapath.js";
import { createGateway, type GatewayKind } from "./gateways.js";
import { FAR_SIDE, narrateGuest } from "./guest-steps.js";
import { chooseVm } from "./vm.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const RIPLET = join(ROOT, "bin", "riplet.js");

const VM_V4 = "198.51.100.1/24";
const VM_V6 = "2001:db8:42::1/64";
const ROUTES = { ipv4: "198.51.100.0/24", ipv6: "2001:db8:42::/64" };

export interface DemoEvents {
  say(event: string, text: string, data?: Record<string, unknown>): void;
}

export interface DemoOptions {
  gateway: GatewayKind;
  qemu: "auto" | "never";
  /** Boot the real Linux guest when its packages are installed (else QEMU without a guest). */
  guest: boolean;
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

/** Without a guest: the gateway reaches the tap's own addresses through riplet's routes (UDP echo). */
async function tapDataPath(lab: NetnsLab, host: string, gw: string, events: DemoEvents): Promise<void> {
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

    // the gateway's far side: what the guest reaches through it
    await lab.ip(gw, ["addr", "add", `${FAR_SIDE.ipv4}/32`, "dev", "lo"]);
    await lab.ip(gw, ["addr", "add", `${FAR_SIDE.ipv6}/128`, "dev", "lo"]);

    const gateway = createGateway(
      options.gateway,
      { lab, ns: gw, ifname: "gw0", dir: gatewayDir, riplet: RIPLET },
      (message) => events.say("gateway-error", `gateway: ${message}`),
    );
    events.say("gateway", `Gateway: ${gateway.describe}`);
    await gateway.start();

    const env = {
      ...process.env,
      RIPLET_ADDRESSES: `${VM_V4},${VM_V6}`,
      RIPLET_CONFIG: join(dir, "riplet.yaml"),
      RIPLET_SOCKET: join(dir, "riplet.sock"),
      RIPLET_LOG: join(dir, "daemon.log"),
    };
    const vm = await chooseVm(lab, host, env, { qemu: options.qemu, guest: options.guest });
    writeFileSync(
      env.RIPLET_CONFIG,
      `interfaces: [{ name: up0 }]\ncontrol: { socket: ${env.RIPLET_SOCKET} }\nstate: ${join(dir, "state.json")}\n` +
        (vm.dhcp ? "guests: { dhcp: true, ra: true }\n" : ""),
    );
    const inGateway = (prefix: string) => async () =>
      (
        await lab.ip(gw, [prefix.includes(":") ? "-6" : "-4", "route", "show", prefix]).catch(() => "")
      ).trim() !== "";

    events.say("vm", `Starting the VM: ${vm.how}; tap0 gets ${VM_V4} and ${VM_V6}`, { vm: vm.kind });
    if (vm.upgrade) events.say("vm-note", `(${vm.upgrade})`);
    const t0 = performance.now();
    // The routes are watched while the VM starts: a real guest's start() returns only once it boots,
    // seconds after the up-hook announced them.
    let startError: Error | undefined;
    const started = vm.start().catch((error: Error) => {
      startError = error;
    });
    const learned = (prefix: string) =>
      waitUntil(
        async () => startError !== undefined || vm.failed() !== undefined || (await inGateway(prefix)()),
        options.timeoutMs,
        t0,
        options.signal,
      );
    const [v4, v6] = await Promise.all([learned(ROUTES.ipv4), learned(ROUTES.ipv6)]);
    await started;
    if (startError) throw startError;
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
      { ipv4Ms: v4, ipv6Ms: v6 },
    );
    if (vm.guest)
      await narrateGuest(
        { guest: vm.guest, lab, gw, routeMs: Math.max(v4, v6), dhcp: vm.dhcp },
        events,
        options.signal,
      );
    else await tapDataPath(lab, host, gw, events);
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
