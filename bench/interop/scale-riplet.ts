/**
 * riplet as the sender at one size: a daemon with the routes in its config, timed from its spawn to
 * every prefix in the FRR gateway's kernel; then CPU per update, RSS, single announces over the
 * control socket and 1,000 announces one by one, each its own connection awaiting its ack as a hook's
 * would (src/control/client.ts in this process: forking the CLI 1,000 times would measure Node.js
 * start-up, not the daemon).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../../interop/lab/proc.js";
import { askDaemon, rssMiB, spawnRiplet } from "../../interop/lab/riplet.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import type { SenderFigures } from "./scale-lines.js";
import { UPDATE_S } from "./scale-lines.js";
import { extraPrefixes, ONE_BY_ONE, ONE_BY_ONE_DEADLINE_MS, type ScalePrefixes } from "./scale-plan.js";
import {
  announceTrials,
  converge,
  cpuPerUpdate,
  gatewayDrops,
  oneByOne,
  type Probe,
  withLab,
} from "./scale-probe.js";

/** The RSS of a daemon with no routes: what the Node.js runtime and riplet's modules cost by themselves. */
export function idleRiplet(): Promise<number> {
  return withLab("bench-scale-idle", async (pair) => {
    const dir = pair.lab.dir;
    const config = join(dir, "idle.yaml");
    writeFileSync(
      config,
      `interfaces: [{ name: ${pair.host.ifname} }]\ncontrol: { socket: ${join(dir, "idle.sock")} }\nstate: ${join(dir, "idle.json")}\n`,
    );
    const daemon = spawnRiplet(pair.lab, pair.host.ns, ["daemon", "-c", config]);
    await waitFor(() => !daemon.running || daemon.stdout.includes('"daemon started"'), {
      timeoutMs: 15_000,
      what: "idle riplet daemon",
    });
    await sleep(2000);
    const rss = rssMiB(daemon.pid);
    await daemon.stop(5000, "SIGTERM");
    return rss;
  });
}

function writeConfig(pair: PairLab, prefixes: ScalePrefixes): { config: string; socket: string } {
  const dir = pair.lab.dir;
  const socket = join(dir, "riplet.sock");
  const config = join(dir, "riplet.yaml");
  const routes = [...prefixes.v4, ...prefixes.v6].map((p) => `  - { prefix: ${p} }`);
  writeFileSync(
    config,
    [
      `interfaces: [{ name: ${pair.host.ifname}, ipv4: true, ipv6: true }]`,
      `control: { socket: ${socket} }`,
      `state: ${join(dir, "state.json")}`,
      `timers: { update: ${UPDATE_S} }`,
      "routes:",
      ...routes,
      "",
    ].join("\n"),
  );
  return { config, socket };
}

export function ripletAtSize(prefixes: ScalePrefixes, deadlineMs: number, probe: Probe) {
  return withLab("bench-scale-riplet", async (pair, watcher): Promise<SenderFigures> => {
    const { config, socket } = writeConfig(pair, prefixes);
    const t0 = performance.now();
    const daemon = spawnRiplet(pair.lab, pair.host.ns, ["daemon", "-c", config]);
    const [v4, v6] = await Promise.all([
      converge(watcher, prefixes.v4, t0, deadlineMs),
      converge(watcher, prefixes.v6, t0, deadlineMs),
    ]);
    const drops = await gatewayDrops(pair);
    const cpuPerUpdateMs = await cpuPerUpdate([daemon.pid], probe.updates);
    const rss = rssMiB(daemon.pid);
    let id = 0;
    const announce = (prefix: string) =>
      askDaemon(socket, { id: ++id, op: "announce", routes: [{ prefix }] }).then(() => undefined);
    const singles = extraPrefixes(probe.trials, ONE_BY_ONE);
    const figures: SenderFigures = {
      converge: { ipv4: v4, ipv6: v6 },
      gatewayDrops: drops,
      rssMiB: rss,
      cpuPerUpdateMs,
    };
    figures.announce = await announceTrials(watcher, singles, announce);
    const many = extraPrefixes(ONE_BY_ONE);
    figures.oneByOne = await oneByOne(
      watcher,
      many,
      async () => {
        for (const prefix of many) await announce(prefix);
      },
      ONE_BY_ONE_DEADLINE_MS,
    );
    if (!daemon.running) throw new Error(`riplet daemon exited:\n${daemon.describe()}`);
    await daemon.stop(10_000, "SIGTERM");
    return figures;
  });
}
