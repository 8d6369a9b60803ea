/**
 * Memory (issue 15): riplet's RSS idle and holding N routes (half IPv4, half IPv6), beside the RSS of
 * the FRR stack (zebra + staticd + ripd + ripngd) on the gateway that learned the same N routes from
 * riplet and installed them in its kernel. Several riplet builds side by side, interleaved (A B A B),
 * so a busy machine slows them alike; medians reported. Beside RSS, the private memory of each (pages
 * no other process maps), since RSS counts shared code once per process.
 *
 *   node dist/bench/memory.js [--routes 20000] [--trials 3] [--format yaml|json] [--json] BIN...
 *
 * BIN is a riplet bin/riplet.js (default: this repository's), run as a program so that its shebang's
 * node options apply. Root needed (network namespaces).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startGateway } from "../interop/lab/gateway.js";
import { sleep } from "../interop/lab/proc.js";
import { RIPLET_BIN, rssMiB } from "../interop/lab/riplet.js";
import { createPairLab, type PairLab } from "../interop/lab/topology.js";
import { waitFor } from "../interop/lab/wait.js";
import { scalePrefixes } from "./interop/scale.js";
import { RouteWatcher } from "./interop/watch.js";

/**
 * RSS is read 10 s after every route is on the gateway, and again 60 s after the daemon started: V8
 * returns freed pages lazily (its memory reducer runs once allocation quiets down), so a daemon that
 * converged fast is read earlier in that process than one that waited for a periodic update.
 */
const SETTLE_MS = 10_000;
const LATE_MS = 60_000;
const IDLE_SETTLE_MS = 3_000;

interface Options {
  routes: number;
  trials: number;
  format: "yaml" | "json";
  json: boolean;
  bins: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { routes: 20_000, trials: 3, format: "yaml", json: false, bins: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--routes") options.routes = Number(argv[++i]);
    else if (arg === "--trials") options.trials = Number(argv[++i]);
    else if (arg === "--format") options.format = argv[++i] === "json" ? "json" : "yaml";
    else if (arg === "--json") options.json = true;
    else options.bins.push(arg);
  }
  if (options.bins.length === 0) options.bins.push(RIPLET_BIN);
  return options;
}

/** The daemon's config: its uplink, its files in the lab directory, and `routes`. */
function writeConfig(pair: PairLab, name: string, routes: string[], format: Options["format"]): string {
  const dir = pair.lab.dir;
  const config = {
    interfaces: [{ name: pair.host.ifname, ipv4: true, ipv6: true }],
    control: { socket: join(dir, `${name}.sock`) },
    state: join(dir, `${name}.json`),
    routes: routes.map((prefix) => ({ prefix })),
  };
  const path = join(dir, `${name}.${format}`);
  const yaml = [
    `interfaces: [{ name: ${pair.host.ifname}, ipv4: true, ipv6: true }]`,
    `control: { socket: ${config.control.socket} }`,
    `state: ${config.state}`,
    ...(routes.length > 0 ? ["routes:", ...routes.map((p) => `  - { prefix: ${p} }`)] : []),
    "",
  ].join("\n");
  writeFileSync(path, format === "json" ? JSON.stringify(config) : yaml);
  return path;
}

/** BIN run as a program, as systemd and a person run it: its shebang's node options apply. */
async function startDaemon(pair: PairLab, bin: string, config: string) {
  const daemon = pair.lab.spawn(pair.host.ns, [bin, "daemon", "-c", config], `riplet ${bin}`);
  await waitFor(() => !daemon.running || daemon.stdout.includes('"daemon started"'), {
    timeoutMs: 60_000,
    what: "riplet daemon to start",
  });
  if (!daemon.running) throw new Error(`riplet daemon exited:\n${daemon.describe()}`);
  return daemon;
}

interface Trial {
  bin: string;
  idleMiB: number;
  loadedMiB: number;
  loaded60sMiB: number;
  frrStackMiB: number;
  /** Pages only this process maps (Private_Clean + Private_Dirty), 60 s after start. */
  private60sMiB: number;
  /** The same for the FRR stack, summed over its daemons. */
  frrStackPrivateMiB: number;
  convergeMs: number;
}

/**
 * Pages no other process maps. RSS also counts shared code: node's 38 MiB binary for riplet, and each
 * FRR daemon's copy of libfrr and libc (counted once per daemon in a summed RSS); private memory is
 * what a process costs the machine on top of what is already loaded.
 */
function privateMiB(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
  return (kb("Private_Clean") + kb("Private_Dirty")) / 1024;
}

const tenth = (mib: number) => Math.round(mib * 10) / 10;

async function trial(bin: string, prefixes: { v4: string[]; v6: string[] }, format: Options["format"]) {
  const pair = await createPairLab("bench-memory");
  const watcher = new RouteWatcher(pair.lab, pair.gw.ns);
  try {
    const gateway = await startGateway("frr", pair.lab, pair.gw);
    await watcher.start();
    const idle = await startDaemon(pair, bin, writeConfig(pair, "idle", [], format));
    await sleep(IDLE_SETTLE_MS);
    const idleMiB = rssMiB(idle.pid);
    await idle.stop(10_000, "SIGTERM");

    const all = [...prefixes.v4, ...prefixes.v6];
    const t0 = performance.now();
    const daemon = await startDaemon(pair, bin, writeConfig(pair, "loaded", all, format));
    const convergeMs = Math.round((await watcher.until(all, true, 180_000)) - t0);
    await sleep(SETTLE_MS);
    const loadedMiB = rssMiB(daemon.pid);
    const frr = gateway.frr!;
    const frrStackMiB = [...frr.daemons.values()].reduce((sum, child) => sum + rssMiB(child.pid), 0);
    await sleep(Math.max(0, t0 + LATE_MS - performance.now()));
    const loaded60sMiB = rssMiB(daemon.pid);
    const private60sMiB = tenth(privateMiB(daemon.pid));
    const frrStackPrivateMiB = tenth(
      [...frr.daemons.values()].reduce((sum, child) => sum + privateMiB(child.pid), 0),
    );
    await daemon.stop(10_000, "SIGTERM");
    const stack = tenth(frrStackMiB);
    return {
      bin,
      idleMiB,
      loadedMiB,
      loaded60sMiB,
      frrStackMiB: stack,
      private60sMiB,
      frrStackPrivateMiB,
      convergeMs,
    };
  } finally {
    watcher.stop();
    await pair.lab.destroy();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const prefixes = scalePrefixes(options.routes / 2);
  const trials: Trial[] = [];
  for (let t = 0; t < options.trials; t++) {
    for (const bin of options.bins) {
      const result = await trial(bin, prefixes, options.format);
      trials.push(result);
      if (!options.json) console.error(JSON.stringify({ trial: t, ...result }));
    }
  }
  for (const bin of options.bins) {
    const mine = trials.filter((r) => r.bin === bin);
    const summary = {
      name: "memory",
      bin,
      routes: options.routes,
      format: options.format,
      idleMiB: median(mine.map((r) => r.idleMiB)),
      loadedMiB: median(mine.map((r) => r.loadedMiB)),
      loaded60sMiB: median(mine.map((r) => r.loaded60sMiB)),
      frrStackMiB: median(mine.map((r) => r.frrStackMiB)),
      private60sMiB: median(mine.map((r) => r.private60sMiB)),
      frrStackPrivateMiB: median(mine.map((r) => r.frrStackPrivateMiB)),
      convergeMs: median(mine.map((r) => r.convergeMs)),
      trials: mine.length,
    };
    console.log(JSON.stringify(summary));
  }
}

await main();
