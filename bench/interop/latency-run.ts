/** The latency section: every speaker against an FRR and a BIRD gateway, then riplet ÷ each alternative. */
import { type GatewayKind, startGateway } from "../../interop/lab/gateway.js";
import { createPairLab } from "../../interop/lab/topology.js";
import { latencyLines, measureSpeaker } from "./latency.js";
import type { BenchContext } from "./main.js";
import { SPEAKERS } from "./speakers.js";
import { RouteWatcher } from "./watch.js";

const GATEWAYS: GatewayKind[] = ["frr", "bird"];
const PHASES = ["announce", "withdraw", "kill"] as const;

export async function runLatency(ctx: BenchContext): Promise<void> {
  const speakers = SPEAKERS.filter((s) => ctx.speakers?.includes(s) ?? true);
  for (const gateway of GATEWAYS.filter((g) => ctx.gateways?.includes(g) ?? true)) {
    const pair = await createPairLab(`bench-latency-${gateway}`);
    const watcher = new RouteWatcher(pair.lab, pair.gw.ns);
    try {
      await startGateway(gateway, pair.lab, pair.gw);
      await watcher.start();
      const medians = new Map<string, number>();
      for (const [i, kind] of speakers.entries()) {
        ctx.progress(`latency: ${kind} → ${gateway} gateway, ${ctx.trials} VMs`);
        const samples = await measureSpeaker(
          pair,
          watcher,
          kind,
          ctx.trials,
          1 + i * (ctx.trials + 1),
          ctx.progress,
        );
        for (const line of latencyLines(kind, gateway, samples)) {
          medians.set(line.name, line.value);
          ctx.emit(line);
        }
      }
      for (const alternative of speakers.filter((s) => s !== "riplet" && speakers.includes("riplet"))) {
        for (const phase of PHASES) {
          const ours = medians.get(`${phase}.riplet.${gateway}`)!;
          const theirs = medians.get(`${phase}.${alternative}.${gateway}`)!;
          ctx.emit({
            name: `ratio.${phase}.riplet/${alternative}.${gateway}`,
            unit: "x",
            value: Math.round((ours / theirs) * 10_000) / 10_000,
          });
        }
      }
    } finally {
      watcher.stop();
      await pair.lab.destroy();
    }
  }
}
