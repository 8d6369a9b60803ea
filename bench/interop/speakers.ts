/**
 * The ways a hypervisor can tell its gateway about a VM, strongest alternative first, each set up in
 * the lab's host namespace with its own up/down script: riplet (daemon + hooks/qemu-ifup); FRR
 * ripd/ripngd on the host with `redistribute connected` and BIRD 2 with `protocol direct` (the hook
 * only addresses the tap); then FRR with a static route via vtysh and BIRD with a static route file
 * and `birdc configure` (alternatives.ts). Only one runs at a time: each owns UDP 520/521 on the uplink.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, RIPLET_BIN, spawnRiplet } from "../../interop/lab/riplet.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import { ALTERNATIVES, type AlternativeKind, startAlternative } from "./alternatives.js";
import { hostAddress, type Speaker } from "./vm.js";

export { type Speaker, type VmPlan, vmPlan } from "./vm.js";

export type SpeakerKind = "riplet" | AlternativeKind;
export const SPEAKERS: SpeakerKind[] = ["riplet", ...ALTERNATIVES];

const ROOT = REPO_ROOT;

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

export function startSpeaker(kind: SpeakerKind, pair: PairLab): Promise<Speaker> {
  return kind === "riplet" ? startRiplet(pair) : startAlternative(kind, pair);
}
