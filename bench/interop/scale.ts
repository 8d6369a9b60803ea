/**
 * Scale (issue 6): N IPv4 and N IPv6 prefixes (N = 10,000; 1,000 with --quick) announced by one host
 * to an FRR gateway, first by riplet, then by FRR ripd/ripngd redistributing the same routes as
 * statics, each in a fresh lab. Reported per sender: time from its start to every prefix in the
 * gateway's kernel (or how many were missing at the deadline), RSS once converged, and CPU per
 * periodic update (whole process over three update intervals, one with --quick, so idle work is
 * included).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Frr, startFrr } from "../../interop/lab/frr.js";
import { startGateway } from "../../interop/lab/gateway.js";
import { exec, sleep } from "../../interop/lab/proc.js";
import { rssMiB, spawnRiplet } from "../../interop/lab/riplet.js";
import { createPairLab, type PairLab } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import type { BenchContext } from "./main.js";
import { RouteWatcher } from "./watch.js";

/** Both senders use this update interval, so CPU per update is measured over the same cycle. */
const UPDATE_S = 10;
const CLOCK_TICKS_PER_S = 100;

/** N /29s from 198.18.0.0/15 and N /64s from 2001:db8:100::/48. */
export function scalePrefixes(n: number): { v4: string[]; v6: string[] } {
  if (n > 16_384) throw new Error("at most 16,384 prefixes fit the benchmark ranges");
  const v4 = Array.from({ length: n }, (_, i) => {
    const a = i * 8;
    return `198.${18 + (a >> 16)}.${(a >> 8) & 255}.${a & 255}/29`;
  });
  // as the kernel prints them: the first is 2001:db8:100::/64, not 2001:db8:100:0::/64
  const v6 = Array.from({ length: n }, (_, i) => `2001:db8:100${i === 0 ? "" : `:${i.toString(16)}`}::/64`);
  return { v4, v6 };
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

interface SenderResult {
  convergeMs: Record<"ipv4" | "ipv6", number>;
  missing: Record<"ipv4" | "ipv6", number>;
  rssMiB: number;
  cpuPerUpdateMs: number;
}

/**
 * Time from t0 until every prefix is on the gateway; if that never happens, the deadline (a lower
 * bound: `converged` false) and how many were still missing then.
 */
async function converge(watcher: RouteWatcher, prefixes: string[], t0: number, deadlineMs: number) {
  try {
    const at = await watcher.until(prefixes, true, Math.max(1, t0 + deadlineMs - performance.now()));
    return { ms: Math.round(at - t0), missing: 0 };
  } catch {
    return { ms: deadlineMs, missing: prefixes.length - watcher.count(prefixes) };
  }
}

async function measure(
  watcher: RouteWatcher,
  prefixes: { v4: string[]; v6: string[] },
  t0: number,
  deadlineMs: number,
  pids: number[],
  updates: number,
): Promise<SenderResult> {
  const [v4, v6] = await Promise.all([
    converge(watcher, prefixes.v4, t0, deadlineMs),
    converge(watcher, prefixes.v6, t0, deadlineMs),
  ]);
  const before = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  await sleep(updates * UPDATE_S * 1000);
  const after = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  return {
    convergeMs: { ipv4: v4.ms, ipv6: v6.ms },
    missing: { ipv4: v4.missing, ipv6: v6.missing },
    rssMiB: Math.round(pids.reduce((sum, pid) => sum + rssMiB(pid), 0) * 10) / 10,
    cpuPerUpdateMs: Math.round(((after - before) / updates) * 10) / 10,
  };
}

async function withLab<T>(
  name: string,
  body: (pair: PairLab, watcher: RouteWatcher) => Promise<T>,
): Promise<T> {
  const pair = await createPairLab(name);
  const watcher = new RouteWatcher(pair.lab, pair.gw.ns);
  try {
    await startGateway("frr", pair.lab, pair.gw);
    await watcher.start();
    return await body(pair, watcher);
  } finally {
    watcher.stop();
    await pair.lab.destroy();
  }
}

/** The RSS of a daemon with no routes: what the Node.js runtime and riplet's modules cost by themselves. */
async function idleRiplet(pair: PairLab): Promise<number> {
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
}

function ripletSender(prefixes: { v4: string[]; v6: string[] }, deadlineMs: number, updates: number) {
  return withLab("bench-scale-riplet", async (pair, watcher) => {
    const dir = pair.lab.dir;
    const routes = [...prefixes.v4, ...prefixes.v6].map((p) => `  - { prefix: ${p} }`);
    const config = join(dir, "riplet.yaml");
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${pair.host.ifname}, ipv4: true, ipv6: true }]`,
        `control: { socket: ${join(dir, "riplet.sock")} }`,
        `state: ${join(dir, "state.json")}`,
        `timers: { update: ${UPDATE_S} }`,
        "routes:",
        ...routes,
        "",
      ].join("\n"),
    );
    const idleRssMiB = await idleRiplet(pair);
    const t0 = performance.now();
    const daemon = spawnRiplet(pair.lab, pair.host.ns, ["daemon", "-c", config]);
    const result = await measure(watcher, prefixes, t0, deadlineMs, [daemon.pid], updates);
    if (!daemon.running) throw new Error(`riplet daemon exited:\n${daemon.describe()}`);
    await daemon.stop(10_000, "SIGTERM");
    return { ...result, idleRssMiB };
  });
}

/**
 * FRR as the sender: the routes are blackholes in the host's kernel and ripd/ripngd `redistribute
 * kernel`. (The same 20,000 as `ip route … blackhole` lines in staticd's config took FRR 8.4 over a
 * minute to load 2,000 of them, which would measure staticd, not RIP.) zebra starts first and reads
 * them; ripd and ripngd are timed from their start.
 */
function frrSender(prefixes: { v4: string[]; v6: string[] }, deadlineMs: number, updates: number) {
  return withLab("bench-scale-frr", async (pair, watcher) => {
    const all = [...prefixes.v4, ...prefixes.v6];
    const batch = join(pair.lab.dir, "blackholes.batch");
    writeFileSync(batch, `${all.map((p) => `route add blackhole ${p}`).join("\n")}\n`);
    await pair.lab.exec(pair.host.ns, ["ip", "-batch", batch]);
    const frr: Frr = await startFrr(pair.lab, pair.host.ns, {
      ifname: pair.host.ifname,
      ripd: true,
      ripngd: true,
      statics: [],
      redistribute: ["kernel"],
      timers: { update: UPDATE_S, timeout: 180, garbage: 120 },
      deferred: ["ripd", "ripngd"],
    });
    await waitFor(async () => (await zebraKernelRoutes(frr)) >= all.length, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `zebra to read ${all.length} kernel routes`,
    });
    const t0 = performance.now();
    await Promise.all([frr.start("ripd"), frr.start("ripngd")]);
    const pids = ["ripd", "ripngd"].map((d) => frr.daemons.get(d)!.pid);
    const result = await measure(watcher, prefixes, t0, deadlineMs, pids, updates);
    const stack = ["zebra", "staticd", "ripd", "ripngd"].reduce(
      (sum, d) => sum + rssMiB(frr.daemons.get(d)!.pid),
      0,
    );
    return { ...result, stackRssMiB: Math.round(stack * 10) / 10 };
  });
}

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

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

export async function runScale(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 1000 : 10_000;
  const deadlineMs = ctx.quick ? 30_000 : 90_000;
  const prefixes = scalePrefixes(n);
  ctx.progress(`scale: riplet daemon announcing ${n} IPv4 + ${n} IPv6 prefixes to FRR`);
  const updates = ctx.quick ? 1 : 3;
  const ours = await ripletSender(prefixes, deadlineMs, updates);
  ctx.progress(`scale: FRR ripd/ripngd redistributing the same ${2 * n} routes (kernel blackholes) to FRR`);
  const theirs = await frrSender(prefixes, deadlineMs, updates);
  for (const [speaker, r] of [
    ["riplet", ours],
    ["frr-ripd", theirs],
  ] as const) {
    for (const family of ["ipv4", "ipv6"] as const) {
      ctx.emit({
        name: `scale.converge.${speaker}.${family}`,
        unit: "ms",
        value: r.convergeMs[family],
        converged: r.missing[family] === 0,
        routes: n,
        missing: r.missing[family],
        deadlineMs,
      });
    }
    ctx.emit({ name: `scale.rss.${speaker}`, unit: "MiB", value: r.rssMiB, routes: 2 * n });
    ctx.emit({
      name: `scale.cpu-per-update.${speaker}`,
      unit: "ms",
      value: r.cpuPerUpdateMs,
      updateS: UPDATE_S,
    });
  }
  ctx.emit({ name: "scale.rss.riplet-idle", unit: "MiB", value: ours.idleRssMiB, routes: 0 });
  ctx.emit({
    name: "scale.rss.frr-stack",
    unit: "MiB",
    value: theirs.stackRssMiB,
    daemons: "zebra+staticd+ripd+ripngd",
  });
  /** riplet ÷ FRR; left out when FRR's figure is 0 (CPU below the 10 ms clock tick in a short run). */
  const emitRatio = (name: string, ours: number, theirs: number, extra: Record<string, unknown> = {}) => {
    if (theirs > 0)
      ctx.emit({ name: `ratio.scale.${name}`, unit: "x", value: ratio(ours, theirs), ...extra });
  };
  for (const family of ["ipv4", "ipv6"] as const) {
    // FRR not converged by the deadline: the deadline is a lower bound of its time, so the ratio is
    // an upper bound of ours
    const bound = theirs.missing[family] > 0 ? { bound: "at most" } : {};
    emitRatio(
      `converge.riplet/frr-ripd.${family}`,
      ours.convergeMs[family],
      theirs.convergeMs[family],
      bound,
    );
  }
  emitRatio("rss.riplet/frr-ripd", ours.rssMiB, theirs.rssMiB);
  emitRatio("rss.riplet/frr-stack", ours.rssMiB, theirs.stackRssMiB);
  emitRatio("cpu-per-update.riplet/frr-ripd", ours.cpuPerUpdateMs, theirs.cpuPerUpdateMs);
}
