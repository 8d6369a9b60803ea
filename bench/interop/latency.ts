/**
 * Announce and withdraw latency, hook to gateway FIB (issue 6): for each speaker in turn on the same
 * lab, VM after VM: QEMU (no guest, only its tap) starts with script=no; then
 *   announce: the speaker's up-script is started → both of the VM's subnets are in the gateway's kernel;
 *   withdraw: the down-script is started → both are gone;
 *   kill:     up-script again, then QEMU SIGKILLed (no down-script, the kernel deletes the tap) → gone.
 * Times come from `ip monitor route` events (watch.ts), so polling adds nothing to them.
 */
import type { GatewayKind } from "../../interop/lab/gateway.js";
import type { Lab } from "../../interop/lab/lab.js";
import type { Child } from "../../interop/lab/proc.js";
import { qemuArgv } from "../../interop/lab/qemu.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import { type Speaker, type SpeakerKind, startSpeaker, type VmPlan, vmPlan } from "./speakers.js";
import { summarize } from "./stats.js";
import type { RouteWatcher } from "./watch.js";

/** The slowest alternative measured by hand took 15.6 s to announce; allow twice that. */
const PHASE_TIMEOUT_MS = 40_000;

export type Phase = "announce" | "withdraw" | "kill";
export type Samples = Record<Phase, number[]> & { hook: number[] };

function startQemu(lab: Lab, ns: string, vm: VmPlan): Child {
  return lab.spawn(ns, qemuArgv(`tap,id=n0,ifname=${vm.tap},script=no,downscript=no`), `qemu ${vm.tap}`);
}

/** Runs the speaker's script for vm; resolves with its exit time; throws with its output on failure. */
async function runScript(lab: Lab, ns: string, speaker: Speaker, action: "up" | "down", vm: VmPlan) {
  const { argv, env } = speaker.script(action, vm);
  const child = lab.spawn(ns, argv, `${speaker.kind} ${action} ${vm.tap}`, env);
  const code = await child.exited;
  const at = performance.now();
  if (code !== 0) throw new Error(`${speaker.kind} ${action}-script failed (${code}):\n${child.describe()}`);
  return at;
}

async function waitForTap(pair: PairLab, vm: VmPlan): Promise<void> {
  const shown = async () =>
    (await pair.lab.exec(pair.host.ns, ["ip", "link", "show", vm.tap], { allowFail: true })).code === 0;
  await waitFor(shown, { timeoutMs: 10_000, intervalMs: 20, what: `QEMU's tap ${vm.tap}` });
}

/** One VM's three measurements (ms), or throws. */
async function trial(pair: PairLab, watcher: RouteWatcher, speaker: Speaker, vm: VmPlan) {
  const { lab, host } = pair;
  const prefixes = [vm.v4, vm.v6];
  const qemu = startQemu(lab, host.ns, vm);
  try {
    await waitForTap(pair, vm);
    let t0 = performance.now();
    const [hookEnd, arrived] = await Promise.all([
      runScript(lab, host.ns, speaker, "up", vm),
      watcher.until(prefixes, true, PHASE_TIMEOUT_MS),
    ]);
    const announce = arrived - t0;
    const hook = hookEnd - t0;
    t0 = performance.now();
    const [, gone] = await Promise.all([
      runScript(lab, host.ns, speaker, "down", vm),
      watcher.until(prefixes, false, PHASE_TIMEOUT_MS),
    ]);
    const withdraw = gone - t0;
    await runScript(lab, host.ns, speaker, "up", vm);
    await watcher.until(prefixes, true, PHASE_TIMEOUT_MS);
    t0 = performance.now();
    qemu.signal("SIGKILL");
    const killed = (await watcher.until(prefixes, false, PHASE_TIMEOUT_MS)) - t0;
    return { announce, withdraw, kill: killed, hook };
  } finally {
    await qemu.stop(1000, "SIGKILL");
  }
}

/**
 * `trials` VMs (plus one warm-up VM whose figures are dropped: first vtysh/birdc/hook runs pay for
 * cold caches) through one speaker; VM numbers start at firstVm so no two runs share a prefix.
 */
export async function measureSpeaker(
  pair: PairLab,
  watcher: RouteWatcher,
  kind: SpeakerKind,
  trials: number,
  firstVm: number,
  progress: (line: string) => void,
): Promise<Samples & { stopped: StopResult }> {
  const speaker = await startSpeaker(kind, pair);
  const samples: Samples = { announce: [], withdraw: [], kill: [], hook: [] };
  let stopped: StopResult;
  try {
    for (let i = 0; i <= trials; i++) {
      const result = await trial(pair, watcher, speaker, vmPlan(firstVm + i));
      const line = `${kind}: announce ${ms(result.announce)}, withdraw ${ms(result.withdraw)}, kill ${ms(result.kill)}`;
      progress(i === 0 ? `${line} (warm-up, not counted)` : line);
      if (i === 0) continue;
      for (const key of ["announce", "withdraw", "kill", "hook"] as const) samples[key].push(result[key]);
    }
    stopped = await stopWithVm(pair, watcher, speaker, vmPlan(firstVm + trials + 1));
    progress(
      `${kind}: stopped with a VM up: ${stopped.remaining ? "still routed" : "withdrawn"} after ${ms(stopped.ms)}`,
    );
  } finally {
    await speaker.stop();
  }
  return { ...samples, stopped };
}

/** How long the routes of a VM stay on the gateway after its host's speaker is stopped (SIGTERM). */
export interface StopResult {
  ms: number;
  /** Prefixes still on the gateway at the deadline (0: all withdrawn after `ms`). */
  remaining: number;
}

const STOP_DEADLINE_MS = 10_000;

async function stopWithVm(
  pair: PairLab,
  watcher: RouteWatcher,
  speaker: Speaker,
  vm: VmPlan,
): Promise<StopResult> {
  const prefixes = [vm.v4, vm.v6];
  const qemu = startQemu(pair.lab, pair.host.ns, vm);
  try {
    await waitForTap(pair, vm);
    await runScript(pair.lab, pair.host.ns, speaker, "up", vm);
    await watcher.until(prefixes, true, PHASE_TIMEOUT_MS);
    const t0 = performance.now();
    await speaker.stop();
    try {
      return { ms: (await watcher.until(prefixes, false, STOP_DEADLINE_MS)) - t0, remaining: 0 };
    } catch {
      return { ms: STOP_DEADLINE_MS, remaining: prefixes.filter((p) => watcher.has(p)).length };
    }
  } finally {
    await qemu.stop(1000, "SIGKILL");
  }
}

const ms = (n: number) => `${Math.round(n)} ms`;

export interface LatencyLine {
  name: string;
  unit: "ms";
  value: number;
  [key: string]: unknown;
}

/** The JSON lines of one speaker × gateway: announce, withdraw, kill, and the up-script's own time. */
export function latencyLines(
  kind: SpeakerKind,
  gateway: GatewayKind,
  samples: Samples & { stopped: StopResult },
): LatencyLine[] {
  const lines: LatencyLine[] = (["announce", "withdraw", "kill", "hook"] as const).map((phase) => ({
    name: `${phase === "hook" ? "hook-up" : phase}.${kind}.${gateway}`,
    unit: "ms",
    ...summarize(samples[phase]),
  }));
  const { ms: after, remaining } = samples.stopped;
  lines.push({ name: `stop.${kind}.${gateway}`, unit: "ms", value: Math.round(after), remaining });
  return lines;
}
