/**
 * `sudo npm run bench:interop [-- --json] [-- --quick] [-- --only latency,scale,fanin,codec] [-- --sizes 1000,10000]`:
 * riplet against the routers a user would otherwise run, side by side in one run on one machine
 * (issue 6, SPEC §9). Every figure is measured in network namespaces this process creates and removes.
 * With --json, stdout is one JSON object a line ({"name","unit","value",...}); progress goes to stderr.
 */

import { spawnSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { FRR_BIN } from "../../interop/lab/frr.js";
import { destroyAllLabs } from "../../interop/lab/lab.js";
import { missingPrerequisites } from "../../interop/lab/prerequisites.js";
import { isDirectRun } from "../direct-run.js";
import { runCodec } from "./codec-lines.js";
import { runFanIn } from "./fanin.js";
import { runLatency } from "./latency-run.js";
import { runScale } from "./scale.js";
import { parseSizes } from "./scale-plan.js";

export interface BenchLine {
  name: string;
  unit: string;
  value: number;
  [key: string]: unknown;
}

export interface BenchContext {
  quick: boolean;
  trials: number;
  /** --speakers / --gateways narrow the latency section (all by default). */
  speakers?: string[];
  gateways?: string[];
  /** --sizes narrows or widens the scale curve (routes in total per point). */
  sizes?: number[];
  emit(line: BenchLine): void;
  progress(text: string): void;
}

const SECTIONS = ["latency", "scale", "fanin", "codec"] as const;
type Section = (typeof SECTIONS)[number];

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A tool's version from its `--version` output (stdout or stderr: BIRD prints it on stderr). */
function version(argv: string[], pattern: RegExp): string {
  const { stdout, stderr } = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  return pattern.exec(`${stdout ?? ""}${stderr ?? ""}`)?.[1] ?? "unknown";
}

function machineLine(trials: number): BenchLine {
  return {
    name: "machine",
    unit: "cores",
    value: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    frr: version([join(FRR_BIN, "ripd"), "--version"], /version\s+([\d.]+)/i),
    bird: version(["bird", "--version"], /version\s+([\d.]+)/i),
    date: new Date().toISOString(),
    trials,
  };
}

function human(line: BenchLine): string {
  const extra = ["p90", "max"].filter((k) => typeof line[k] === "number").map((k) => `${k} ${line[k]}`);
  return `${line.name.padEnd(40)} ${String(line.value).padStart(12)} ${line.unit}${extra.length ? `  (${extra.join(", ")})` : ""}`;
}

export async function main(args: string[]): Promise<number> {
  const json = args.includes("--json");
  const quick = args.includes("--quick");
  const trials = Number(option(args, "--trials") ?? (quick ? 2 : 10));
  const only = (option(args, "--only") ?? SECTIONS.join(",")).split(",") as Section[];
  const unknown = only.filter((s) => !SECTIONS.includes(s));
  if (unknown.length > 0 || !(trials >= 1)) {
    process.stderr.write(`bench:interop: --only takes ${SECTIONS.join(",")}; --trials a number ≥ 1\n`);
    return 2;
  }
  let sizes: number[];
  try {
    sizes = parseSizes(option(args, "--sizes"), quick);
  } catch (error) {
    process.stderr.write(`bench:interop: ${(error as Error).message}\n`);
    return 2;
  }
  const missing = missingPrerequisites();
  if (missing) {
    process.stderr.write(`bench:interop needs ${missing}; run it as root after: npm run setup:interop\n`);
    return 2;
  }
  const ctx: BenchContext = {
    quick,
    trials,
    speakers: option(args, "--speakers")?.split(","),
    gateways: option(args, "--gateways")?.split(","),
    sizes,
    emit: (line) => process.stdout.write(`${json ? JSON.stringify(line) : human(line)}\n`),
    progress: (text) => process.stderr.write(`[bench] ${text}\n`),
  };
  ctx.emit(machineLine(trials));
  const runners: Record<Section, (c: BenchContext) => Promise<void>> = {
    latency: runLatency,
    scale: runScale,
    fanin: runFanIn,
    codec: runCodec,
  };
  try {
    for (const section of only) await runners[section](ctx);
  } finally {
    await destroyAllLabs();
  }
  return 0;
}

if (isDirectRun(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`bench:interop failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
