/**
 * FRR ripd/ripngd as the sender at one size: the routes are blackholes in the host's kernel and both
 * `redistribute kernel`. (The same routes as `ip route … blackhole` lines in staticd's config took FRR
 * 8.4 over a minute to load 2,000 of them, which would measure staticd, not RIP.) zebra starts first
 * and reads them; ripd and ripngd are timed from their start. An announce is what a hook would do for
 * FRR: `ip route add blackhole` on the host, one netlink request each.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Frr, startFrr } from "../../interop/lab/frr.js";
import { exec } from "../../interop/lab/proc.js";
import { rssMiB } from "../../interop/lab/riplet.js";
import type { PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import { type FrrFigures, UPDATE_S } from "./scale-lines.js";
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

/** Kernel routes zebra holds, IPv4 + IPv6 (`show ip route summary`: "kernel  N  N"). */
async function zebraKernelRoutes(frr: Frr): Promise<number> {
  let total = 0;
  for (const family of ["ip", "ipv6"]) {
    const { stdout } = await exec(["vtysh", "-N", frr.name, "-c", `show ${family} route summary`], {
      allowFail: true,
      timeoutMs: 30_000,
    });
    total += Number(/^kernel\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
  }
  return total;
}

/** Adds blackholes with `ip -batch`: one netlink request per route, as many `ip route add` would be. */
async function addBlackholes(pair: PairLab, prefixes: string[], file: string): Promise<void> {
  const batch = join(pair.lab.dir, file);
  writeFileSync(batch, `${prefixes.map((p) => `route add blackhole ${p}`).join("\n")}\n`);
  await pair.lab.exec(pair.host.ns, ["ip", "-batch", batch], { timeoutMs: 600_000 });
}

async function startSender(pair: PairLab, total: number): Promise<Frr> {
  const frr = await startFrr(pair.lab, pair.host.ns, {
    ifname: pair.host.ifname,
    ripd: true,
    ripngd: true,
    statics: [],
    redistribute: ["kernel"],
    timers: { update: UPDATE_S, timeout: 180, garbage: 120 },
    deferred: ["ripd", "ripngd"],
    quiet: true,
  });
  await waitFor(async () => (await zebraKernelRoutes(frr)) >= total, {
    timeoutMs: 600_000,
    intervalMs: 500,
    what: `zebra to read ${total} kernel routes`,
  });
  return frr;
}

export function frrAtSize(prefixes: ScalePrefixes, deadlineMs: number, probe: Probe) {
  return withLab("bench-scale-frr", async (pair, watcher): Promise<FrrFigures> => {
    const all = [...prefixes.v4, ...prefixes.v6];
    await addBlackholes(pair, all, "blackholes.batch");
    const frr = await startSender(pair, all.length);
    const t0 = performance.now();
    await Promise.all([frr.start("ripd"), frr.start("ripngd")]);
    const pids = ["ripd", "ripngd"].map((d) => frr.daemons.get(d)!.pid);
    const [v4, v6] = await Promise.all([
      converge(watcher, prefixes.v4, t0, deadlineMs),
      converge(watcher, prefixes.v6, t0, deadlineMs),
    ]);
    const drops = await gatewayDrops(pair);
    const cpuPerUpdateMs = await cpuPerUpdate(pids, probe.updates);
    const rss = (names: string[]) =>
      Math.round(names.reduce((sum, d) => sum + rssMiB(frr.daemons.get(d)!.pid), 0) * 10) / 10;
    const figures: FrrFigures = {
      converge: { ipv4: v4, ipv6: v6 },
      gatewayDrops: drops,
      rssMiB: rss(["ripd", "ripngd"]),
      stackRssMiB: rss(["zebra", "staticd", "ripd", "ripngd"]),
      cpuPerUpdateMs,
    };
    const add = async (prefix: string) => {
      await pair.lab.exec(pair.host.ns, ["ip", "route", "add", "blackhole", prefix]);
    };
    figures.announce = await announceTrials(watcher, extraPrefixes(probe.trials, ONE_BY_ONE), add);
    const many = extraPrefixes(ONE_BY_ONE);
    figures.oneByOne = await oneByOne(
      watcher,
      many,
      () => addBlackholes(pair, many, "one-by-one.batch"),
      ONE_BY_ONE_DEADLINE_MS,
    );
    return figures;
  });
}
