/**
 * The measurements the scale curve takes of any sender, given how to reach it: convergence to the
 * gateway's kernel, CPU per periodic update, one announce's latency (median of a few, with a quiet
 * gap) and a run of announces one by one. The sender files (scale-riplet.ts, scale-frr.ts) only say
 * how to start a sender and how to announce to it.
 */
import { readFileSync } from "node:fs";
import { startGateway } from "../../interop/lab/gateway.js";
import { sleep } from "../../interop/lab/proc.js";
import { createPairLab, type PairLab } from "../../interop/lab/topology.js";
import { UPDATE_S } from "./scale-lines.js";
import { type Summary, summarize } from "./stats.js";
import { RouteWatcher } from "./watch.js";

const CLOCK_TICKS_PER_S = 100;
/**
 * Between single announces: longer than FRR's 1–5 s triggered-update hold (RFC 2453 §3.10.1), so
 * each trial starts with no triggered update pending, for either sender.
 */
const QUIET_GAP_MS = 6000;
/** A single announce not on the gateway by then is recorded at this bound. */
const ANNOUNCE_TIMEOUT_MS = 30_000;

export interface Probe {
  /** Update cycles of UPDATE_S over which CPU is measured. */
  updates: number;
  /** Single-announce trials per size. */
  trials: number;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

export interface Convergence {
  ms: number;
  missing: number;
}

/**
 * Time from t0 until every prefix is on the gateway; if that never happens, the deadline (a lower
 * bound) and how many were still missing then.
 */
export async function converge(
  watcher: RouteWatcher,
  prefixes: string[],
  t0: number,
  deadlineMs: number,
): Promise<Convergence> {
  try {
    const at = await watcher.until(prefixes, true, Math.max(1, t0 + deadlineMs - performance.now()));
    return { ms: Math.round(at - t0), missing: 0 };
  } catch {
    return { ms: deadlineMs, missing: prefixes.length - watcher.count(prefixes) };
  }
}

/**
 * UDP datagrams the gateway's kernel dropped for a full socket receive buffer since its lab started
 * (RcvbufErrors, Udp6RcvbufErrors): a sender that bursts its updates loses routes there until a
 * later update, which is what a slow convergence to an idle gateway usually is.
 */
export async function gatewayDrops(pair: PairLab): Promise<Record<"ipv4" | "ipv6", number>> {
  const { stdout } = await pair.lab.exec(pair.gw.ns, ["cat", "/proc/net/snmp", "/proc/net/snmp6"]);
  const [head, values] = stdout.split("\n").filter((l) => l.startsWith("Udp: "));
  const column = head?.split(" ").indexOf("RcvbufErrors") ?? -1;
  const ipv4 = Number(values?.split(" ")[column] ?? Number.NaN);
  const ipv6 = Number(/^Udp6RcvbufErrors\s+(\d+)/m.exec(stdout)?.[1] ?? Number.NaN);
  return { ipv4, ipv6 };
}

/** CPU of `pids` per update over `updates` whole cycles (idle work included), in ms. */
export async function cpuPerUpdate(pids: number[], updates: number): Promise<number> {
  const total = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const before = total();
  await sleep(updates * UPDATE_S * 1000);
  return Math.round(((total() - before) / updates) * 10) / 10;
}

/** A pair lab with an FRR gateway (debug logging off, as a production router runs) and its watcher. */
export async function withLab<T>(
  name: string,
  body: (pair: PairLab, watcher: RouteWatcher) => Promise<T>,
): Promise<T> {
  const pair = await createPairLab(name);
  const watcher = new RouteWatcher(pair.lab, pair.gw.ns);
  try {
    await startGateway("frr", pair.lab, pair.gw, { frr: { quiet: true } });
    await watcher.start();
    return await body(pair, watcher);
  } finally {
    watcher.stop();
    await pair.lab.destroy();
  }
}

export interface AnnounceFigures {
  /** Time to the sender's acknowledgement (riplet's control reply; `ip route add` returning for FRR). */
  ack: Summary;
  /** Time to the gateway's kernel. */
  kernel: Summary;
  /** Trials whose prefix was not on the gateway within ANNOUNCE_TIMEOUT_MS (counted at that bound). */
  timedOut: number;
}

/** One announce per prefix, each after a quiet gap: `send` returns when the sender acknowledged it. */
export async function announceTrials(
  watcher: RouteWatcher,
  prefixes: string[],
  send: (prefix: string) => Promise<void>,
): Promise<AnnounceFigures> {
  const acks: number[] = [];
  const kernels: number[] = [];
  let timedOut = 0;
  for (const prefix of prefixes) {
    await sleep(QUIET_GAP_MS);
    // registered before the send, so an arrival racing the acknowledgement is not missed
    const arrival = watcher.until([prefix], true, ANNOUNCE_TIMEOUT_MS).catch(() => undefined);
    const t0 = performance.now();
    await send(prefix);
    acks.push(performance.now() - t0);
    const at = await arrival;
    if (at === undefined) timedOut++;
    kernels.push(at === undefined ? ANNOUNCE_TIMEOUT_MS : at - t0);
  }
  return { ack: summarize(acks), kernel: summarize(kernels), timedOut };
}

export interface OneByOneFigures {
  /** From the first request to the last acknowledgement. */
  sentMs: number;
  /** From the first request until every prefix is on the gateway (the deadline if never). */
  allMs: number;
  missing: number;
}

/** `sendAll` announces every prefix its own way; timed until all are on the gateway. */
export async function oneByOne(
  watcher: RouteWatcher,
  prefixes: string[],
  sendAll: () => Promise<void>,
  deadlineMs: number,
): Promise<OneByOneFigures> {
  const all = watcher.until(prefixes, true, deadlineMs).catch(() => undefined);
  const t0 = performance.now();
  await sendAll();
  const sentMs = performance.now() - t0;
  const at = await all;
  return {
    sentMs: Math.round(sentMs),
    allMs: Math.round(at === undefined ? deadlineMs : at - t0),
    missing: at === undefined ? prefixes.length - watcher.count(prefixes) : 0,
  };
}
