/**
 * The latency section: every speaker against an FRR and a BIRD gateway, then, per phase and per
 * alternative, alternative ÷ riplet (medians; > 1 means riplet is faster).
 */
import { type GatewayKind, startGateway } from "../../interop/lab/gateway.js";
import { createPairLab } from "../../interop/lab/topology.js";
import { measureSpeaker, PHASES, QUIET_MS, type Samples, type StopResult } from "./latency.js";
import type { BenchContext, BenchLine } from "./main.js";
import { SPEAKERS, type SpeakerKind } from "./speakers.js";
import { summarize } from "./stats.js";
import { RouteWatcher } from "./watch.js";

const GATEWAYS: GatewayKind[] = ["frr", "bird"];
/** A route a speaker abandons times out on the gateway after 180 s (RFC 2453 §3.8); wait a little more. */
const STOP_CAP_MS = 200_000;
/** --quick: only show that the phase runs; its figure is then a lower bound, and says so. */
const STOP_CAP_QUICK_MS = 15_000;

/** The lines of one speaker × gateway: every phase, the up-script's own time, the speaker stopped. */
function latencyLines(kind: string, gateway: string, samples: Samples, stopped: StopResult): BenchLine[] {
  const lines: BenchLine[] = [...PHASES, "hook" as const].map((phase) => ({
    name: `${phase === "hook" ? "hook-up" : phase}.${kind}.${gateway}`,
    unit: "ms",
    ...summarize(samples[phase]),
  }));
  const { ms, remaining, capMs } = stopped;
  lines.push({ name: `stop.${kind}.${gateway}`, unit: "ms", value: Math.round(ms), remaining, capMs });
  return lines;
}

/** alternative ÷ riplet per phase; a stop figure cut at the cap makes the ratio a lower bound. */
function ratioLines(lines: BenchLine[], gateway: string): BenchLine[] {
  const byName = new Map(lines.map((l) => [l.name, l]));
  const out: BenchLine[] = [];
  const alternatives = new Set(lines.map((l) => l.name.split(".")[1]!).filter((s) => s !== "riplet"));
  for (const alt of alternatives) {
    for (const phase of [...PHASES, "stop"]) {
      const ours = byName.get(`${phase}.riplet.${gateway}`);
      const theirs = byName.get(`${phase}.${alt}.${gateway}`);
      if (!ours || !theirs || !(ours.value > 0)) continue;
      const line: BenchLine = {
        name: `ratio.${phase}.${alt}/riplet.${gateway}`,
        unit: "x",
        value: Math.round((theirs.value / ours.value) * 100) / 100,
      };
      if (Number(theirs.remaining) > 0) line.bound = "at least";
      out.push(line);
    }
  }
  return out;
}

export async function runLatency(ctx: BenchContext): Promise<void> {
  const speakers = SPEAKERS.filter((s) => ctx.speakers?.includes(s) ?? true);
  const stopCapMs = ctx.quick ? STOP_CAP_QUICK_MS : STOP_CAP_MS;
  // --quick shows that every phase runs, not how long it takes (CI has minutes for all sections): one
  // trial, no warm-up, no quiet time (so a change may be held by the previous one's update)
  const quietMs = ctx.quick ? 0 : QUIET_MS;
  const trials = ctx.quick ? 1 : ctx.trials;
  for (const gateway of GATEWAYS.filter((g) => ctx.gateways?.includes(g) ?? true)) {
    const pair = await createPairLab(`bench-latency-${gateway}`);
    const watcher = new RouteWatcher(pair.lab, pair.gw.ns);
    try {
      await startGateway(gateway, pair.lab, pair.gw);
      await watcher.start();
      const runs: { kind: SpeakerKind; samples: Samples; stopped: Promise<StopResult> }[] = [];
      for (const [i, kind] of speakers.entries()) {
        ctx.progress(`latency: ${kind} → ${gateway} gateway, ${trials} VMs`);
        const firstVm = 1 + i * (ctx.trials + 2);
        const run = await measureSpeaker(
          pair,
          watcher,
          kind,
          { trials, firstVm, stopCapMs, quietMs, warmUp: !ctx.quick },
          ctx.progress,
        );
        runs.push({ kind, ...run });
      }
      ctx.progress(`latency: waiting (≤ ${stopCapMs / 1000} s) for the stopped speakers' routes to leave`);
      const lines: BenchLine[] = [];
      for (const run of runs) {
        const stopped = await run.stopped;
        const left = stopped.remaining ? `still routed at the ${stopCapMs / 1000} s cap` : "withdrawn";
        ctx.progress(`${run.kind}: stopped with a VM up: ${left} after ${Math.round(stopped.ms)} ms`);
        lines.push(...latencyLines(run.kind, gateway, run.samples, stopped));
      }
      for (const line of [...lines, ...ratioLines(lines, gateway)]) ctx.emit(line);
    } finally {
      watcher.stop();
      await pair.lab.destroy();
    }
  }
}
