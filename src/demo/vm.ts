/**
 * The demo's VM, the best this host can run (SPEC §7): a real Linux guest (the cloud kernel and
 * busybox-static, booted by QEMU/TCG, addressed by riplet's DHCP/RA when dnsmasq is installed), else
 * QEMU with no guest (`-machine none`: its tap and hooks only), else a plain tap and the same hooks.
 * Each says what it is and, when it is not the real guest, the apt line that gets the real one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { findDnsmasq } from "../guests/process.js";
import { runCommand } from "../host/exec.js";
import type { NetnsLab } from "../host/netns.js";
import { Guest } from "../vm/guest.js";
import { buildGuestImage, findGuestKernel, GUEST_PACKAGES_FIX } from "../vm/image.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const HOOK_UP = join(ROOT, "hooks", "qemu-ifup");
const HOOK_DOWN = join(ROOT, "hooks", "qemu-ifdown");
const NETDEV = `tap,script=hooks/qemu-ifup,downscript=hooks/qemu-ifdown`;
/** Without dnsmasq the guest is addressed statically, in the tap's subnet, the tap as its gateway. */
const STATIC_GUEST = { cidr: "198.51.100.10/24", gateway: "198.51.100.1" };

export interface Vm {
  kind: "guest" | "qemu" | "tap";
  /** What it is, for the narration. */
  how: string;
  /** Why it is not the real guest, and how to get it; undefined for the real guest. */
  upgrade?: string;
  /** The guest's addressing is riplet's DHCP/RA (true), or static (false). */
  dhcp: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Why the VM is not running any more, if it is not. */
  failed(): string | undefined;
  /** The running guest, for the real one. */
  guest?: Guest;
}

export interface VmChoice {
  qemu: "auto" | "never";
  guest: boolean;
}

function qemuVm(lab: NetnsLab, ns: string, env: NodeJS.ProcessEnv, upgrade?: string): Vm {
  let child: ChildProcess | undefined;
  return {
    kind: "qemu",
    how: `QEMU (qemu-system-x86_64 -machine none: no guest, its tap and hooks only) with -netdev ${NETDEV}`,
    upgrade,
    dhcp: false,
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

function tapVm(lab: NetnsLab, ns: string, env: NodeJS.ProcessEnv, upgrade?: string): Vm {
  const hook = (script: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", ns, script, "tap0"], {
        env,
        stdio: ["ignore", "inherit", "inherit"],
      });
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`))));
    });
  return {
    kind: "tap",
    how: "a plain tap device and the same hooks (no QEMU)",
    upgrade,
    dhcp: false,
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

function guestVm(ns: string, env: NodeJS.ProcessEnv, version: string, dhcp: boolean): Vm {
  let exit: number | null | undefined;
  const vm: Vm = {
    kind: "guest",
    how: `a real Linux guest (Debian's ${version} kernel and busybox) in QEMU/TCG with -netdev ${NETDEV}, ${dhcp ? "addressed by riplet's DHCP and router advertisements" : `addressed statically (${STATIC_GUEST.cidr}): install dnsmasq-base for DHCP and SLAAC`}`,
    dhcp,
    async start() {
      const image = await buildGuestImage();
      vm.guest = await Guest.start({
        image,
        netns: ns,
        ifname: "tap0",
        mac: "52:54:00:de:30:01",
        script: HOOK_UP,
        downscript: HOOK_DOWN,
        env,
        hostname: "demo-vm",
        addressing: dhcp ? "dhcp" : STATIC_GUEST,
      });
      void vm.guest.exited.then((code) => {
        exit = code;
      });
    },
    failed: () => (exit === undefined ? undefined : `QEMU exited with ${exit}`),
    async stop() {
      await vm.guest?.stop(5000); // SIGTERM: QEMU runs the down-script on the way out
    },
  };
  return vm;
}

const installed = (command: string) =>
  runCommand("which", [command]).then(
    () => true,
    () => false,
  );

/** The best VM this host can run, as asked. */
export async function chooseVm(
  lab: NetnsLab,
  ns: string,
  env: NodeJS.ProcessEnv,
  choice: VmChoice,
): Promise<Vm> {
  if (choice.qemu === "never") return tapVm(lab, ns, env);
  if (!(await installed("qemu-system-x86_64")))
    return tapVm(lab, ns, env, "QEMU is not installed: apt-get install -y qemu-system-x86 for a real VM");
  const kernel = findGuestKernel();
  if (!choice.guest) return qemuVm(lab, ns, env);
  if ("missing" in kernel) return qemuVm(lab, ns, env, `for a real Linux guest: ${GUEST_PACKAGES_FIX}`);
  return guestVm(ns, env, kernel.version, findDnsmasq() !== undefined);
}
