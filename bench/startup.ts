/**
 * CLI start-up (issue 16, SPEC §2): how long `riplet --version`, `routes`, `status`, `announce` (one
 * prefix) and `decode --hex` (one datagram) take from spawn to exit, beside `node -e 0` on the same
 * machine. Runs are interleaved (node, version, routes, … then again), so a busy machine slows them
 * alike, and each figure is the median. riplet runs as an installed `riplet` does: bin/riplet.js
 * executed as a program (its shebang finds `node` on PATH), and the baseline is that same `node`.
 * Lines: `startup.<cmd>` in ms, and `startup.<cmd>.ratio` = median(cmd) / median(node).
 */
import { spawn } from "node:child_process";
import { RIPLET_BIN } from "../interop/lab/riplet.js";
import { CANNED_DATAGRAM_HEX } from "../src/cli/canned-daemon.js";
import { type BenchDaemon, startBenchDaemon } from "./startup-daemon.js";

/** One output line: a time (median, with the rounds' min and max) or a ratio (name ends in .ratio). */
export interface StartupResult {
  name: string;
  unit: string;
  value: number;
  rounds?: number;
  min?: number;
  max?: number;
  /** For the commands that talk to a daemon: what answered them (startup-daemon.ts). */
  against?: string;
}

export interface Case {
  name: string;
  argv: string[];
  daemon?: boolean;
}

export const NODE_CASE: Case = { name: "node", argv: ["node", "-e", "0"] };

/** The commands timed, run by `bin` (a riplet bin/riplet.js), those that need one asking `socket`. */
export function commandCases(socket: string, bin = RIPLET_BIN): Case[] {
  const riplet = (...args: string[]) => [bin, ...args];
  return [
    { name: "version", argv: riplet("--version") },
    { name: "routes", argv: riplet("--socket", socket, "routes"), daemon: true },
    { name: "status", argv: riplet("--socket", socket, "status"), daemon: true },
    { name: "announce", argv: riplet("--socket", socket, "announce", "198.51.100.0/24"), daemon: true },
    { name: "decode", argv: riplet("decode", "--hex", CANNED_DATAGRAM_HEX) },
  ];
}

/** Spawn to exit in ms; rejects with the command's stderr if it fails (its figure would mean nothing). */
function timeOnce(argv: string[]): Promise<number> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file!, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${argv.join(" ")} exited ${code}: ${stderr.trim()}`));
    });
  });
}

export function summary(name: string, times: number[], against?: string): StartupResult {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const result: StartupResult = {
    name: `startup.${name}`,
    unit: "ms",
    value: round(sorted[Math.floor(sorted.length / 2)]!),
    rounds: sorted.length,
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
  };
  return against ? { ...result, against } : result;
}

/** Times every case `rounds` times, interleaved, after one untimed warm-up round (disk cache). */
export async function measure(list: Case[], rounds: number): Promise<Map<string, number[]>> {
  const times = new Map(list.map((c) => [c.name, [] as number[]]));
  for (let round = -1; round < rounds; round++) {
    for (const c of list) {
      const ms = await timeOnce(c.argv);
      if (round >= 0) times.get(c.name)!.push(ms);
    }
  }
  return times;
}

/** The start-up lines: one per command in ms, then one ratio to `node -e 0` per command. */
export async function startupBench(options: { quick: boolean }): Promise<StartupResult[]> {
  let daemon: BenchDaemon | undefined;
  try {
    daemon = await startBenchDaemon();
    const list = [NODE_CASE, ...commandCases(daemon.socket)];
    const times = await measure(list, options.quick ? 5 : 21);
    const results = list.map((c) => summary(c.name, times.get(c.name)!, c.daemon ? daemon!.kind : undefined));
    const node = results[0]!.value;
    for (const r of results.slice(1)) {
      const ratio = Math.round((r.value / node) * 100) / 100;
      results.push({ name: `${r.name}.ratio`, unit: "x", value: ratio });
    }
    return results;
  } finally {
    await daemon?.close();
  }
}
