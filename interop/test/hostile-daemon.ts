import { existsSync, writeFileSync } from "node:fs";
import { callDaemon } from "../../src/control/client.js";
import { loadState } from "../../src/daemon/state.js";
import type { DropReason } from "../../src/speaker/neighbors.js";
import type { Counters } from "../../src/speaker/speaker.js";
import { type Child, execRiplet, type Lab, rssKiB, waitFor } from "../lab/index.js";

/** One neighbour in `riplet status --json`. */
export interface NeighborStatus {
  address: string;
  interface: string;
  family: "ipv4" | "ipv6";
  version: number;
  lastHeard: number | null;
  routes: number;
  badPackets: number;
  badRoutes: number;
  /** By reason; reasons newer than this checkout's DropReason (REQUEST_RATE, ROUTE_LIMIT…) too. */
  drops: Partial<Record<DropReason | string, number>>;
}

/** `riplet status --json`: the neighbours and the daemon's counters. */
export interface Status {
  neighbors: NeighborStatus[];
  counters: Counters;
  /** The last crypto sequence number sent, and whether it reached 2^32 − 1 (issue 13; absent before it). */
  sequence?: number;
  sequenceExhausted?: boolean;
  /** What the control socket refused or cut off (issue 13; absent before it). */
  control?: Record<string, number>;
  internalErrors?: { total: number; byPlace: Record<string, number> };
}

/** `riplet status --json`; throws if it fails. */
export async function status(lab: Lab, ns: string, socket: string): Promise<Status> {
  const { code, stdout, stderr } = await execRiplet(lab, ns, ["--socket", socket, "status", "--json"]);
  if (code !== 0) throw new Error(`riplet status exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Status;
}

/** All the drops of one neighbour, whatever the reason. */
export const sum = (drops: Partial<Record<string, number>>) =>
  Object.values(drops).reduce<number>((a, b) => a + (b ?? 0), 0);

/** The neighbour with `address` in `family`, if status has one. */
export const neighbor = (s: Status, address: string, family: "ipv4" | "ipv6") =>
  s.neighbors.find((n) => n.address === address && n.family === family);

/** The prefixes of `riplet routes --json`; throws if it fails. */
export async function routeList(lab: Lab, ns: string, socket: string): Promise<string[]> {
  const { code, stdout, stderr } = await execRiplet(lab, ns, ["--socket", socket, "routes", "--json"]);
  if (code !== 0) throw new Error(`riplet routes exited ${code}: ${stderr}`);
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => (JSON.parse(l) as { prefix: string }).prefix);
}

/** How many "dropped packet" lines the daemon has logged so far. */
export const dropLogLines = (daemon: Child) =>
  daemon.jsonLines().filter((l) => l.msg === "dropped packet").length;

/** A memory cap for attacks that grew riplet to gigabytes before issue 13: the machine must survive. */
const RSS_CAP_KIB = 1024 * 1024;

/**
 * Samples the daemon's RSS every 100 ms from now: the start, the peak, and whether it passed `capKiB`,
 * at which point `stopFile` is written (the attackers stop when it appears).
 */
export function watchMemory(daemon: Child, stopFile: string, capKiB = RSS_CAP_KIB) {
  const start = rssKiB(daemon.pid);
  const seen = { start, peak: start, capped: false, cappedAtMs: 0 };
  const t0 = performance.now();
  const timer = setInterval(() => {
    if (!daemon.running) return;
    try {
      seen.peak = Math.max(seen.peak, rssKiB(daemon.pid));
    } catch {
      return; // exited between the check and the read
    }
    if (seen.peak > capKiB && !seen.capped) {
      seen.capped = true;
      seen.cappedAtMs = Math.round(performance.now() - t0);
      writeFileSync(stopFile, "");
    }
  }, 100);
  return { seen, stop: () => clearInterval(timer) };
}

/** True when `prefix` is in the kernel table of `ns` (`ip route show exact`: cheap with thousands). */
export async function inKernel(lab: Lab, ns: string, prefix: string): Promise<boolean> {
  const family = prefix.includes(":") ? "-6" : "-4";
  return (await lab.exec(ns, ["ip", family, "route", "show", "exact", prefix])).stdout.trim() !== "";
}

/** Announces `prefix` over the control socket; the ms until it is in `gatewayNs`'s kernel table. */
export async function announceTimed(
  lab: Lab,
  gatewayNs: string,
  socket: string,
  prefix: string,
  timeoutMs = 20_000,
): Promise<number> {
  const t0 = performance.now();
  const reply = await callDaemon(socket, { id: 1, op: "announce", routes: [{ prefix }] }, timeoutMs);
  if (!reply.ok) throw new Error(`announce ${prefix} refused: ${reply.error.message}`);
  await waitFor(() => inKernel(lab, gatewayNs, prefix), {
    timeoutMs,
    intervalMs: 10,
    what: `${prefix} in the gateway's kernel table`,
  });
  return Math.round(performance.now() - t0);
}

/** One JSON line of figures for docs/RELIABILITY.md (never asserted as timings). */
export const record = (figures: Record<string, unknown>) => console.log(JSON.stringify(figures));

/** The sequence number the state file holds (its snapshot and journal, as the daemon reads them). */
export function savedSequence(path: string): number | undefined {
  return existsSync(path) ? loadState(path).state.sequence : undefined;
}
