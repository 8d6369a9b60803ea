/**
 * The three ways a hypervisor can tell its gateway about a VM, each set up in the lab's host namespace
 * with its own up/down script: riplet (daemon + hooks/qemu-ifup), FRR ripd/ripngd on the host (static
 * route via vtysh, `redistribute static`) and BIRD 2 on the host (static route file, `birdc configure`).
 * Only one runs at a time: each owns UDP 520/521 on the uplink.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFrr } from "../../interop/lab/frr.js";
import type { Child } from "../../interop/lab/proc.js";
import { REPO_ROOT, RIPLET_BIN, spawnRiplet } from "../../interop/lab/riplet.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";

export type SpeakerKind = "riplet" | "frr-host" | "bird-host";
export const SPEAKERS: SpeakerKind[] = ["riplet", "frr-host", "bird-host"];

const ROOT = REPO_ROOT;
const ALTERNATIVES = join(ROOT, "bench", "alternatives");

/** VM number n's subnets and the host's addresses on its tap. */
export interface VmPlan {
  n: number;
  tap: string;
  v4: string;
  v6: string;
}

export function vmPlan(n: number): VmPlan {
  return { n, tap: `tb${n}`, v4: `198.18.${n}.0/24`, v6: `2001:db8:42:${n.toString(16)}::/64` };
}

export interface Speaker {
  kind: SpeakerKind;
  /** argv and environment of the up- or down-script for a VM (run in the host namespace). */
  script(action: "up" | "down", vm: VmPlan): { argv: string[]; env: NodeJS.ProcessEnv };
  /** Its main process, for RSS and CPU. */
  process?: Child;
  stop(): Promise<void>;
}

/** riplet: the daemon runs (started once, as after the first VM), and each VM runs the shell hooks. */
async function startRiplet(pair: PairLab): Promise<Speaker> {
  const dir = pair.lab.dir;
  const socket = join(dir, "riplet.sock");
  const config = join(dir, "riplet.yaml");
  writeFileSync(
    config,
    `interfaces: [{ name: ${pair.host.ifname}, ipv4: true, ipv6: true }]\ncontrol: { socket: ${socket} }\nstate: ${join(dir, "state.json")}\n`,
  );
  const daemon = spawnRiplet(pair.lab, pair.host.ns, ["--socket", socket, "daemon", "-c", config]);
  await waitFor(() => !daemon.running || daemon.stdout.includes('"daemon started"'), {
    timeoutMs: 15_000,
    what: "riplet daemon",
  });
  if (!daemon.running) throw new Error(`riplet daemon exited:\n${daemon.describe()}`);
  return {
    kind: "riplet",
    process: daemon,
    script: (action, vm) => ({
      argv: ["sh", join(ROOT, "hooks", action === "up" ? "qemu-ifup" : "qemu-ifdown"), vm.tap],
      env: {
        ...process.env,
        PATH: `${join(RIPLET_BIN, "..")}:${process.env.PATH}`,
        RIPLET_CONFIG: config,
        RIPLET_SOCKET: socket,
        RIPLET_LOG: join(dir, "daemon.log"),
        RIPLET_ADDRESSES: `${hostAddress(vm.v4, 24)},${hostAddress(vm.v6, 64)}`,
      },
    }),
    stop: async () => {
      await daemon.stop(5000, "SIGTERM");
    },
  };
}

/** The host's first address in a subnet with a given length: 198.18.3.0/24 → 198.18.3.1/24. */
function hostAddress(subnet: string, length: number): string {
  const base = subnet.split("/")[0]!;
  return base.includes(":") ? `${base}1/${length}` : `${base.replace(/\.0$/, ".1")}/${length}`;
}

function altEnv(vm: VmPlan, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...extra,
    VM_V4: vm.v4,
    VM_V6: vm.v6,
    HOST_V4: hostAddress(vm.v4, 32),
    HOST_V6: hostAddress(vm.v6, 128),
  };
}

async function startFrrHost(pair: PairLab): Promise<Speaker> {
  const frr = await startFrr(pair.lab, pair.host.ns, {
    ifname: pair.host.ifname,
    ripd: true,
    ripngd: true,
    statics: [],
  });
  return {
    kind: "frr-host",
    process: frr.daemons.get("ripd"),
    script: (action, vm) => ({
      argv: ["sh", join(ALTERNATIVES, `frr-host-if${action}`), vm.tap],
      env: altEnv(vm, { FRR_PATHSPACE: frr.name }),
    }),
    stop: async () => {
      for (const d of ["ripngd", "ripd", "staticd", "zebra"]) await frr.stop(d);
    },
  };
}

function birdHostConf(pair: PairLab, dir: string): string {
  const iface = `interface "${pair.host.ifname}"`;
  return [
    `log "${join(dir, "bird.log")}" all;`,
    `router id ${pair.host.v4};`,
    "protocol device { }",
    // BIRD reads `include` only at the start of a line
    `protocol static vms4 {\n  ipv4;\ninclude "${join(dir, "vms4.conf")}";\n}`,
    `protocol static vms6 {\n  ipv6;\ninclude "${join(dir, "vms6.conf")}";\n}`,
    `protocol rip rip4 { ipv4 { import none; export where source = RTS_STATIC; }; ${iface} { version 2; }; }`,
    `protocol rip ng rip6 { ipv6 { import none; export where source = RTS_STATIC; }; ${iface} { }; }`,
    "",
  ].join("\n");
}

async function startBirdHost(pair: PairLab): Promise<Speaker> {
  const dir = join(pair.lab.dir, "bird-host");
  mkdirSync(dir, { recursive: true });
  for (const file of ["vms4.conf", "vms6.conf"]) writeFileSync(join(dir, file), "");
  writeFileSync(join(dir, "bird.conf"), birdHostConf(pair, dir));
  const socket = join(dir, "bird.ctl");
  const argv = ["bird", "-f", "-c", join(dir, "bird.conf"), "-s", socket, "-P", join(dir, "bird.pid")];
  const bird = pair.lab.spawn(pair.host.ns, argv, "bird@host");
  await waitFor(
    async () => {
      if (!bird.running) return true;
      const { code } = await pair.lab.exec(pair.host.ns, ["birdc", "-s", socket, "show", "status"], {
        allowFail: true,
      });
      return code === 0;
    },
    { timeoutMs: 15_000, what: "BIRD on the host" },
  );
  if (!bird.running) throw new Error(`bird on the host exited:\n${bird.describe()}`);
  return {
    kind: "bird-host",
    process: bird,
    script: (action, vm) => ({
      argv: ["sh", join(ALTERNATIVES, `bird-host-if${action}`), vm.tap],
      env: altEnv(vm, { BIRD_SOCKET: socket, BIRD_ROUTES: dir }),
    }),
    stop: async () => {
      await bird.stop(3000, "SIGTERM");
    },
  };
}

export function startSpeaker(kind: SpeakerKind, pair: PairLab): Promise<Speaker> {
  if (kind === "riplet") return startRiplet(pair);
  return kind === "frr-host" ? startFrrHost(pair) : startBirdHost(pair);
}
