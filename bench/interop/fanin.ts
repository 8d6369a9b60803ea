/**
 * Fan-in and burst (issue 6), one FRR gateway and HOSTS riplet daemons on one Ethernet segment (a
 * bridge in namespace `sw`), each daemon already running as it would be after its first VM:
 *   fan-in:  every host announces its 10 VM prefixes at the same moment (one control request each, as
 *            a hook sends) → time until all HOSTS × 10 are in the gateway's kernel; then each host in
 *            turn gets SIGTERM → time until its 10 are gone;
 *   burst:   one host gets 50 announcements in one second (one every 20 ms) → time from the last
 *            request until all 50 are in the gateway's kernel.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startGateway } from "../../interop/lab/gateway.js";
import { createLab, type Lab } from "../../interop/lab/lab.js";
import { type Child, sleep } from "../../interop/lab/proc.js";
import { spawnRiplet } from "../../interop/lab/riplet.js";
import type { LabNode } from "../../interop/lab/topology.js";
import { waitFor } from "../../interop/lab/wait.js";
import { callDaemon } from "../../src/control/client.js";
import type { Request } from "../../src/control/protocol.js";
import type { BenchContext } from "./main.js";
import { summarize } from "./stats.js";
import { RouteWatcher } from "./watch.js";

const PREFIXES_PER_HOST = 10;
const BURST = 50;
const BURST_SPACING_MS = 20;

interface Host {
  node: LabNode;
  socket: string;
  daemon: Child;
  prefixes: string[];
}

/** Host i's VM prefixes: ten /28s of 198.19.i.0/24. */
const hostPrefixes = (i: number) =>
  Array.from({ length: PREFIXES_PER_HOST }, (_, k) => `198.19.${i}.${k * 16}/28`);

async function segment(lab: Lab, hosts: number): Promise<{ gw: LabNode; nodes: LabNode[] }> {
  const sw = await lab.addNamespace("sw");
  const make = (role: string, n: number): LabNode => ({
    ns: lab.ns(role),
    ifname: role === "gw" ? "vgw" : "vhost",
    v4: `192.0.2.${n}`,
    v6: `2001:db8:1::${n.toString(16)}`,
    linkLocal: "",
  });
  const gw = make("gw", 1);
  const nodes = Array.from({ length: hosts }, (_, i) => make(`h${i}`, 10 + i));
  const ports: string[] = [];
  for (const [i, node] of [gw, ...nodes].entries()) {
    await lab.addNamespace(node === gw ? "gw" : `h${i - 1}`, { forwarding: node === gw });
    const port = `p${i}`;
    await lab.veth(
      { ns: node.ns, ifname: node.ifname, addresses: [`${node.v4}/24`, `${node.v6}/64`] },
      { ns: sw, ifname: port },
    );
    ports.push(port);
  }
  await lab.bridge(sw, "br0", ports);
  for (const node of [gw, ...nodes]) node.linkLocal = await lab.settle(node.ns, node.ifname);
  return { gw, nodes };
}

async function startHosts(lab: Lab, nodes: LabNode[]): Promise<Host[]> {
  const hosts = nodes.map((node, i) => {
    const socket = join(lab.dir, `h${i}.sock`);
    const config = join(lab.dir, `h${i}.yaml`);
    writeFileSync(
      config,
      `interfaces: [{ name: ${node.ifname}, ipv4: true, ipv6: false }]\ncontrol: { socket: ${socket} }\nstate: ${join(lab.dir, `h${i}.json`)}\n`,
    );
    const daemon = spawnRiplet(lab, node.ns, ["daemon", "-c", config]);
    return { node, socket, daemon, prefixes: hostPrefixes(i) };
  });
  for (const host of hosts) {
    await waitFor(() => !host.daemon.running || host.daemon.stdout.includes('"daemon started"'), {
      timeoutMs: 60_000,
      what: `riplet daemon on ${host.node.ns}`,
    });
    if (!host.daemon.running) throw new Error(`riplet daemon exited:\n${host.daemon.describe()}`);
  }
  return hosts;
}

async function call(socket: string, request: Request): Promise<void> {
  const reply = await callDaemon(socket, request);
  if (!reply.ok) throw new Error(`daemon on ${socket} refused ${request.op}: ${reply.error.message}`);
}

const announce = (host: Host, prefixes = host.prefixes) =>
  call(host.socket, { id: 1, op: "announce", routes: prefixes.map((prefix) => ({ prefix })) });
const withdraw = (host: Host, prefixes = host.prefixes) =>
  call(host.socket, { id: 2, op: "withdraw", prefixes });

/**
 * One warm-up round (not counted: each daemon's first request runs cold code, as only a host's very
 * first VM would), then `trials` rounds: all hosts announce at once; the time until all prefixes are
 * on the gateway, and each host's own time until its 10 are.
 */
async function fanIn(hosts: Host[], watcher: RouteWatcher, trials: number, ctx: BenchContext) {
  const all = hosts.flatMap((h) => h.prefixes);
  const whole: number[] = [];
  const perHost: number[] = [];
  for (let trial = 0; trial <= trials; trial++) {
    const t0 = performance.now();
    const [, times] = await Promise.all([
      Promise.all(hosts.map((h) => announce(h))),
      Promise.all(hosts.map((h) => watcher.until(h.prefixes, true, 30_000))),
    ]);
    const last = Math.max(...times) - t0;
    ctx.progress(
      `fan-in: all ${all.length} prefixes after ${Math.round(last)} ms${trial === 0 ? " (warm-up)" : ""}`,
    );
    if (trial > 0) {
      whole.push(last);
      perHost.push(...times.map((t) => t - t0));
    }
    await Promise.all(hosts.map((h) => withdraw(h)));
    await watcher.until(all, false, 30_000);
  }
  return { whole, perHost };
}

/** Each host in turn: SIGTERM → its prefixes gone from the gateway. */
async function sigterms(hosts: Host[], watcher: RouteWatcher) {
  await Promise.all(hosts.map((h) => announce(h)));
  await watcher.until(
    hosts.flatMap((h) => h.prefixes),
    true,
    30_000,
  );
  const samples: number[] = [];
  for (const host of hosts) {
    const t0 = performance.now();
    host.daemon.signal("SIGTERM");
    samples.push((await watcher.until(host.prefixes, false, 30_000)) - t0);
    await host.daemon.exited;
  }
  return samples;
}

async function burst(host: Host, watcher: RouteWatcher, trials: number) {
  const prefixes = Array.from({ length: BURST }, (_, k) => `198.19.250.${k * 4}/30`);
  const samples: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const start = performance.now();
    let lastSent = 0;
    for (const [k, prefix] of prefixes.entries()) {
      await sleep(Math.max(0, start + k * BURST_SPACING_MS - performance.now()));
      lastSent = performance.now();
      void announce(host, [prefix]);
    }
    samples.push((await watcher.until(prefixes, true, 30_000)) - lastSent);
    await withdraw(host, prefixes);
    await watcher.until(prefixes, false, 30_000);
  }
  return samples;
}

export async function runFanIn(ctx: BenchContext): Promise<void> {
  const hostCount = ctx.quick ? 4 : 20;
  const lab = createLab({ name: "bench-fanin" });
  const { gw, nodes } = await segment(lab, hostCount).catch(async (error) => {
    await lab.destroy();
    throw error;
  });
  const watcher = new RouteWatcher(lab, gw.ns);
  try {
    await startGateway("frr", lab, gw, { frr: { ripngd: false } });
    await watcher.start();
    ctx.progress(`fan-in: starting ${hostCount} riplet daemons`);
    const hosts = await startHosts(lab, nodes);
    const trials = ctx.quick ? 1 : 5;
    const announced = await fanIn(hosts, watcher, trials, ctx);
    ctx.emit({
      name: "fanin.announce-per-host",
      unit: "ms",
      ...summarize(announced.perHost),
      hosts: hostCount,
      prefixes: PREFIXES_PER_HOST,
    });
    ctx.emit({
      name: "fanin.announce",
      unit: "ms",
      ...summarize(announced.whole),
      hosts: hostCount,
      prefixes: hostCount * PREFIXES_PER_HOST,
    });
    const bursts = await burst(hosts[0]!, watcher, ctx.quick ? 2 : 5);
    ctx.emit({
      name: "burst.after-last",
      unit: "ms",
      ...summarize(bursts),
      announcements: BURST,
      spacingMs: BURST_SPACING_MS,
    });
    const withdrawn = await sigterms(hosts, watcher);
    ctx.emit({
      name: "fanin.withdraw-sigterm",
      unit: "ms",
      ...summarize(withdrawn),
      hosts: hostCount,
      prefixes: PREFIXES_PER_HOST,
    });
  } finally {
    watcher.stop();
    await lab.destroy();
  }
}
