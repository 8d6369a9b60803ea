/**
 * Announce and withdraw latency, hook to gateway FIB (issues 6 and 15): for each speaker in turn on the
 * same lab, VM after VM: QEMU (no guest, only its tap) starts with script=no; then
 *   announce:   the speaker's up-script is started → both of the VM's subnets are in the gateway's kernel;
 *   withdraw:   the down-script is started → both are gone;
 *   reannounce: 1 s after that withdraw, the up-script again → both are back (a change within 5 s of
 *               another: where a RIP daemon's RFC 2453 triggered-update hold of 1–5 s shows);
 *   kill:       QEMU SIGKILLed (no down-script, the kernel deletes the tap) → gone.
 * Then one more VM, and the speaker itself is stopped (SIGTERM) → how long its routes stay on the gateway.
 * Times come from `ip monitor route` events (watch.ts), so polling adds nothing to them.
 */
import type { Lab } from "../../interop/lab/lab.js";
import { type Child, sleep } from "../../interop/lab/proc.js";
import { qemuArgv } from "../../interop/lab/qemu.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import { type Speaker, type SpeakerKind, startSpeaker, type VmPlan, vmPlan } from "./speakers.js";
import type { RouteWatcher } from "./watch.js";

/** The slowest alternative measured by hand took 15.6 s to announce; allow twice that. */
const PHASE_TIMEOUT_MS = 40_000;
/** How long after a withdraw the reannounce starts: well inside a RIP daemon's 1–5 s triggered hold. */
const REANNOUNCE_GAP_MS = 1000;
/**
 * The quiet time before announce, withdraw and kill, so each is an isolated change as a VM's start or
 * stop usually is: after a triggered update, ripd holds the next for a random 1–5 s (RFC 2453 §3.10.1)
 * and BIRD for up to 5 s; without the pause, one phase would pay for the previous one's update.
 */
export const QUIET_MS = 5500;

export const PHASES = ["announce", "reannounce", "withdraw", "kill"] as const;
type Phase = (typeof PHASES)[number];
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

/** Time (ms) from a script's start until the VM's prefixes are present (or gone); and the script's own. */
async function timed(
  pair: PairLab,
  watcher: RouteWatcher,
  speaker: Speaker,
  action: "up" | "down",
  vm: VmPlan,
) {
  const t0 = performance.now();
  const [end, at] = await Promise.all([
    runScript(pair.lab, pair.host.ns, speaker, action, vm),
    watcher.until([vm.v4, vm.v6], action === "up", PHASE_TIMEOUT_MS),
  ]);
  return { ms: at - t0, script: end - t0 };
}

/** One VM's measurements (ms), or throws; quietMs before each isolated change (0 for a warm-up). */
async function trial(pair: PairLab, watcher: RouteWatcher, speaker: Speaker, vm: VmPlan, quietMs: number) {
  const qemu = startQemu(pair.lab, pair.host.ns, vm);
  try {
    await waitForTap(pair, vm);
    await sleep(quietMs);
    const announce = await timed(pair, watcher, speaker, "up", vm);
    await sleep(quietMs);
    const withdraw = await timed(pair, watcher, speaker, "down", vm);
    await sleep(REANNOUNCE_GAP_MS);
    const reannounce = await timed(pair, watcher, speaker, "up", vm);
    await sleep(quietMs);
    const t0 = performance.now();
    qemu.signal("SIGKILL");
    const kill = (await watcher.until([vm.v4, vm.v6], false, PHASE_TIMEOUT_MS)) - t0;
    return {
      announce: announce.ms,
      withdraw: withdraw.ms,
      reannounce: reannounce.ms,
      kill,
      hook: announce.script,
    };
  } finally {
    await qemu.stop(1000, "SIGKILL");
  }
}

/** How long the routes of a VM stay on the gateway after its host's speaker is stopped (SIGTERM). */
export interface StopResult {
  ms: number;
  /** Prefixes still on the gateway at the cap (0: all withdrawn after `ms`). */
  remaining: number;
  capMs: number;
}

/**
 * `trials` VMs (plus one warm-up VM whose figures are dropped: first vtysh/birdc/hook runs pay for
 * cold caches) through one speaker; VM numbers start at firstVm so no two runs share a prefix. The
 * speaker-stopped measurement is returned as a promise that settles up to stopCapMs later, so a
 * daemon's 180 s route timeout overlaps the next speakers' trials instead of adding to the run.
 */
export async function measureSpeaker(
  pair: PairLab,
  watcher: RouteWatcher,
  kind: SpeakerKind,
  options: { trials: number; firstVm: number; stopCapMs: number; quietMs: number; warmUp: boolean },
  progress: (line: string) => void,
): Promise<{ samples: Samples; stopped: Promise<StopResult> }> {
  const speaker = await startSpeaker(kind, pair);
  const samples: Samples = { announce: [], reannounce: [], withdraw: [], kill: [], hook: [] };
  let stopped: Promise<StopResult>;
  try {
    for (let i = options.warmUp ? 0 : 1; i <= options.trials; i++) {
      const r = await trial(
        pair,
        watcher,
        speaker,
        vmPlan(options.firstVm + i),
        i === 0 ? 0 : options.quietMs,
      );
      const line = `${kind}: ${PHASES.map((p) => `${p} ${ms(r[p])}`).join(", ")}`;
      progress(i === 0 ? `${line} (warm-up, not counted)` : line);
      if (i === 0) continue;
      for (const key of [...PHASES, "hook"] as const) samples[key].push(r[key]);
    }
    stopped = (
      await stopWithVm(
        pair,
        watcher,
        speaker,
        vmPlan(options.firstVm + options.trials + 1),
        options.stopCapMs,
      )
    ).gone;
  } finally {
    await speaker.stop();
  }
  return { samples, stopped };
}

/**
 * Brings a VM up, stops the speaker (SIGTERM, as a service stop does) and returns the wait for the
 * gateway to drop the VM's routes. QEMU is killed once the speaker is down: its tap (and the connected
 * networks on it) must not be announced again by the next speaker on this host.
 */
async function stopWithVm(
  pair: PairLab,
  watcher: RouteWatcher,
  speaker: Speaker,
  vm: VmPlan,
  capMs: number,
): Promise<{ gone: Promise<StopResult> }> {
  const prefixes = [vm.v4, vm.v6];
  const qemu = startQemu(pair.lab, pair.host.ns, vm);
  try {
    await waitForTap(pair, vm);
    await runScript(pair.lab, pair.host.ns, speaker, "up", vm);
    await watcher.until(prefixes, true, PHASE_TIMEOUT_MS);
    const t0 = performance.now();
    const gone = watcher.until(prefixes, false, capMs).then(
      (at) => ({ ms: at - t0, remaining: 0, capMs }),
      () => ({ ms: capMs, remaining: prefixes.filter((p) => watcher.has(p)).length, capMs }),
    );
    await speaker.stop();
    return { gone }; // wrapped: an async function would otherwise wait for it
  } finally {
    await qemu.stop(1000, "SIGKILL");
  }
}

const ms = (n: number) => `${Math.round(n)} ms`;
