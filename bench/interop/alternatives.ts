/**
 * The alternatives to riplet, strongest first, each a routing daemon on the hypervisor (the lab's host
 * namespace) with the QEMU hook a competent user would write for it:
 *   frr-connected  ripd/ripngd, `redistribute connected`; the hook only addresses the tap
 *   bird-direct    BIRD 2, `protocol direct { interface "tb*"; }` exported into rip and rip ng; same hook
 *   frr-static     ripd/ripngd, `redistribute static`; the hook adds a static route through vtysh
 *   bird-static    BIRD 2, a static protocol whose routes live in an included file; `birdc configure`
 * `stop()` is what a service stop does: SIGTERM to the RIP daemons (and zebra), nothing more.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFrr } from "../../interop/lab/frr.js";
import { REPO_ROOT } from "../../interop/lab/riplet.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import { hostAddress, type Speaker, type VmPlan } from "./vm.js";

export const ALTERNATIVES = ["frr-connected", "bird-direct", "frr-static", "bird-static"] as const;
export type AlternativeKind = (typeof ALTERNATIVES)[number];

const SCRIPTS = join(REPO_ROOT, "bench", "alternatives");

/** The hook's environment: the VM's subnets, the tap's /32 + /128 (static) and /24 + /64 (connected). */
function altEnv(vm: VmPlan, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...extra,
    VM_V4: vm.v4,
    VM_V6: vm.v6,
    HOST_V4: hostAddress(vm.v4, 32),
    HOST_V6: hostAddress(vm.v6, 128),
    TAP_V4: hostAddress(vm.v4, 24),
    TAP_V6: hostAddress(vm.v6, 64),
  };
}

async function startFrrHost(pair: PairLab, kind: "frr-connected" | "frr-static"): Promise<Speaker> {
  const connected = kind === "frr-connected";
  const frr = await startFrr(pair.lab, pair.host.ns, {
    ifname: pair.host.ifname,
    ripd: true,
    ripngd: true,
    statics: [],
    redistribute: [connected ? "connected" : "static"],
  });
  const script = (action: string) => (connected ? `connected-if${action}` : `frr-host-if${action}`);
  return {
    kind,
    process: frr.daemons.get("ripd"),
    script: (action, vm) => ({
      argv: ["sh", join(SCRIPTS, script(action)), vm.tap],
      env: altEnv(vm, { FRR_PATHSPACE: frr.name }),
    }),
    stop: async () => {
      for (const d of ["ripngd", "ripd", "staticd", "zebra"]) await frr.stop(d);
    },
  };
}

/** bird-direct exports the taps' connected networks; bird-static the routes of its included files. */
function birdHostConf(pair: PairLab, dir: string, direct: boolean): string {
  const iface = `interface "${pair.host.ifname}"`;
  const source = direct ? "RTS_DEVICE" : "RTS_STATIC";
  const origin = direct
    ? [`protocol direct vms {\n  ipv4;\n  ipv6;\n  interface "tb*";\n}`]
    : [
        // BIRD reads `include` only at the start of a line
        `protocol static vms4 {\n  ipv4;\ninclude "${join(dir, "vms4.conf")}";\n}`,
        `protocol static vms6 {\n  ipv6;\ninclude "${join(dir, "vms6.conf")}";\n}`,
      ];
  return [
    `log "${join(dir, "bird.log")}" all;`,
    `router id ${pair.host.v4};`,
    "protocol device { }",
    ...origin,
    `protocol rip rip4 { ipv4 { import none; export where source = ${source}; }; ${iface} { version 2; }; }`,
    `protocol rip ng rip6 { ipv6 { import none; export where source = ${source}; }; ${iface} { }; }`,
    "",
  ].join("\n");
}

async function startBirdHost(pair: PairLab, kind: "bird-direct" | "bird-static"): Promise<Speaker> {
  const direct = kind === "bird-direct";
  const dir = join(pair.lab.dir, kind);
  mkdirSync(dir, { recursive: true });
  for (const file of ["vms4.conf", "vms6.conf"]) writeFileSync(join(dir, file), "");
  writeFileSync(join(dir, "bird.conf"), birdHostConf(pair, dir, direct));
  const socket = join(dir, "bird.ctl");
  const argv = ["bird", "-f", "-c", join(dir, "bird.conf"), "-s", socket, "-P", join(dir, "bird.pid")];
  const bird = pair.lab.spawn(pair.host.ns, argv, `${kind}@host`);
  await waitFor(
    async () => {
      if (!bird.running) return true;
      const { code } = await pair.lab.exec(pair.host.ns, ["birdc", "-s", socket, "show", "status"], {
        allowFail: true,
      });
      return code === 0;
    },
    { timeoutMs: 15_000, what: `BIRD on the host (${kind})` },
  );
  if (!bird.running) throw new Error(`bird on the host exited:\n${bird.describe()}`);
  const script = (action: string) => (direct ? `connected-if${action}` : `bird-host-if${action}`);
  return {
    kind,
    process: bird,
    script: (action, vm) => ({
      argv: ["sh", join(SCRIPTS, script(action)), vm.tap],
      env: altEnv(vm, { BIRD_SOCKET: socket, BIRD_ROUTES: dir }),
    }),
    stop: async () => {
      await bird.stop(3000, "SIGTERM");
    },
  };
}

export function startAlternative(kind: AlternativeKind, pair: PairLab): Promise<Speaker> {
  if (kind === "frr-connected" || kind === "frr-static") return startFrrHost(pair, kind);
  return startBirdHost(pair, kind);
}
