/**
 * `npm run fuzz [-- --cases N] [--seed S] [--target NAME]`: the long fuzz run of issue #7 (the short one
 * is test/fuzz/fuzz.test.ts). N cases (default 10,000,000) are split evenly across the targets of
 * fuzz-targets.ts and run round-robin in chunks of fc.check(), so memory stays flat and a run stopped
 * early (SIGINT, SIGTERM from `timeout`) has covered every target and still prints its result.
 *
 * Progress goes to stderr every ~10 s; the result is one JSON line on stdout:
 *   {"name":"fuzz","unit":"cases","value":N,"seconds":S,"findings":F,"targets":{...cases per target}}
 * Each new bug (by signature: the invariant, or the exception and where it was thrown) is shrunk by
 * fast-check, written to test/fixtures/fuzz/<target>-<sha1-8>.bin and reported; later inputs that hit
 * the same bug are only counted. Bugs whose kept fixture still fails count as findings too, without a
 * new copy. Exit status 1 when there was any finding.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { isDirectRun } from "./direct-run.js";
import { FIXTURE_NAME, type FuzzTarget, fixtureName, signature } from "./fuzz-check.js";
import { fixturesDir } from "./fuzz-inputs.js";
import { createTargets, readCorpus } from "./fuzz-targets.js";

const DEFAULT_CASES = 10_000_000;
const CHUNK_CASES = 5_000;
const PROGRESS_MS = 10_000;

export interface FuzzOptions {
  cases: number;
  seed: number;
  target?: string;
}

interface TargetRun {
  target: FuzzTarget;
  budget: number;
  done: number;
  chunks: number;
  /** Signature → inputs that hit it after it was first reported. */
  known: Map<string, number>;
}

export interface Finding {
  target: string;
  signature: string;
  fixture: string;
  error: string;
  reproducesFresh: boolean;
}

/** Per-chunk seed: the run's seed, the target and the chunk number, mixed. */
function chunkSeed(seed: number, targetIndex: number, chunk: number): number {
  let x = (seed ^ Math.imul(targetIndex + 1, 0x9e3779b1) ^ Math.imul(chunk + 1, 0x85ebca6b)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  return (x ^ (x >>> 15)) | 0;
}

/** Runs one chunk; returns a new finding's shrunk input and error, if the chunk found one. */
function runChunk(run: TargetRun, seed: number): { input: unknown; error: unknown } | undefined {
  const { target, known } = run;
  const property = fc.property(target.input, (input) => {
    try {
      target.run(input);
    } catch (error) {
      const sig = signature(target.name, error);
      const hits = known.get(sig);
      if (hits === undefined) throw error;
      known.set(sig, hits + 1);
    }
  });
  const numRuns = Math.min(CHUNK_CASES, run.budget - run.done);
  const details = fc.check(property, { numRuns, seed });
  run.done += details.numRuns;
  run.chunks++;
  if (!details.failed || details.counterexample === null) return undefined;
  return { input: details.counterexample[0], error: details.errorInstance };
}

/** Does the input still fail on a fresh target (a new Speaker)? Stateful findings may not. */
function reproducesFresh(make: () => FuzzTarget[], name: string, bytes: Uint8Array): boolean {
  const fresh = make().find((t) => t.name === name)!;
  try {
    fresh.run(fresh.fromBytes(bytes));
    return false;
  } catch {
    return true;
  }
}

function record(
  run: TargetRun,
  found: { input: unknown; error: unknown },
  dir: string,
  make: () => FuzzTarget[],
) {
  const name = run.target.name;
  const sig = signature(name, found.error);
  run.known.set(sig, 0);
  const bytes = run.target.toBytes(found.input);
  const fixture = fixtureName(name, bytes);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, fixture), bytes);
  const error =
    found.error instanceof Error ? (found.error.stack ?? found.error.message) : String(found.error);
  const finding: Finding = {
    target: name,
    signature: sig,
    fixture,
    error,
    reproducesFresh: reproducesFresh(make, name, bytes),
  };
  const hex = Buffer.from(bytes).toString("hex");
  process.stderr.write(
    `fuzz: FINDING ${sig}\n  fixture test/fixtures/fuzz/${fixture} (${bytes.length} bytes, ` +
      `${finding.reproducesFresh ? "reproduces" : "does NOT reproduce"} on a fresh target)\n  hex ${hex}\n  ${error.replaceAll("\n", "\n  ")}\n`,
  );
  return finding;
}

/**
 * Replays the findings already kept in `dir` on fresh targets. Those that still fail are open bugs:
 * reported again (with their fixture) and marked known, so this run does not keep another copy of each.
 */
function keptFindings(dir: string, runs: TargetRun[], make: () => FuzzTarget[]): Finding[] {
  const open: Finding[] = [];
  for (const fixture of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const run = runs.find((r) => FIXTURE_NAME.exec(fixture)?.[1] === r.target.name);
    const fresh = run && make().find((t) => t.name === run.target.name);
    if (!run || !fresh) continue;
    try {
      fresh.run(fresh.fromBytes(new Uint8Array(readFileSync(join(dir, fixture)))));
    } catch (error) {
      const sig = signature(run.target.name, error);
      run.known.set(sig, 0);
      open.push({
        target: run.target.name,
        signature: sig,
        fixture,
        error: String(error),
        reproducesFresh: true,
      });
      process.stderr.write(`fuzz: still open: ${sig} (test/fixtures/fuzz/${fixture})\n`);
    }
  }
  return open;
}

function progress(runs: TargetRun[], total: number, started: number, findings: number): void {
  const done = runs.reduce((n, r) => n + r.done, 0);
  const seconds = (performance.now() - started) / 1000;
  const rate = Math.round(done / Math.max(seconds, 1e-3));
  process.stderr.write(
    `fuzz: ${done.toLocaleString("en-US")} / ${total.toLocaleString("en-US")} cases, ${rate.toLocaleString("en-US")}/s, ` +
      `${Math.round(seconds)} s, ${findings} finding(s)\n`,
  );
}

/** Runs the fuzzers; returns the result line's object. `stop()` true ends the run after a chunk. */
export async function fuzz(options: FuzzOptions, stop: () => boolean = () => false) {
  const fixtures = fixturesDir(fileURLToPath(new URL(".", import.meta.url)));
  const corpus = readCorpus(fixtures);
  const make = () => createTargets(corpus);
  const all = make();
  const chosen = options.target === undefined ? all : all.filter((t) => t.name === options.target);
  if (chosen.length === 0)
    throw new Error(`no target ${options.target}; targets: ${all.map((t) => t.name).join(", ")}`);
  const share = Math.floor(options.cases / chosen.length);
  const runs: TargetRun[] = chosen.map((target, i) => ({
    target,
    budget: share + (i < options.cases % chosen.length ? 1 : 0),
    done: 0,
    chunks: 0,
    known: new Map(),
  }));
  const findings = keptFindings(join(fixtures, "fuzz"), runs, make);
  const started = performance.now();
  let lastProgress = started;
  while (!stop() && runs.some((r) => r.done < r.budget)) {
    for (const [i, run] of runs.entries()) {
      if (run.done >= run.budget) continue;
      const found = runChunk(run, chunkSeed(options.seed, i, run.chunks));
      if (found) findings.push(record(run, found, join(fixtures, "fuzz"), make));
    }
    if (performance.now() - lastProgress >= PROGRESS_MS) {
      lastProgress = performance.now();
      progress(runs, options.cases, started, findings.length);
    }
    await new Promise((resolve) => setImmediate(resolve)); // lets SIGTERM/SIGINT be handled
  }
  progress(runs, options.cases, started, findings.length);
  const targets = Object.fromEntries(runs.map((r) => [r.target.name, r.done]));
  const hits = Object.fromEntries(runs.flatMap((r) => [...r.known]));
  return {
    name: "fuzz",
    unit: "cases",
    value: runs.reduce((n, r) => n + r.done, 0),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    findings: findings.length,
    targets,
    seed: options.seed,
    interrupted: stop(),
    fixtures: findings.map((f) => f.fixture),
    repeatHits: hits,
  };
}

function parseOptions(argv: string[]): FuzzOptions {
  const { values } = parseArgs({
    args: argv,
    options: { cases: { type: "string" }, seed: { type: "string" }, target: { type: "string" } },
  });
  const cases = values.cases === undefined ? DEFAULT_CASES : Number(values.cases);
  const seed = values.seed === undefined ? Date.now() | 0 : Number(values.seed);
  if (!Number.isSafeInteger(cases) || cases < 1)
    throw new Error(`--cases ${values.cases}: a positive integer`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed ${values.seed}: an integer`);
  return { cases, seed: seed | 0, ...(values.target === undefined ? {} : { target: values.target }) };
}

export async function main(argv: string[]): Promise<number> {
  let options: FuzzOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`fuzz: ${(error as Error).message}\n`);
    return 2;
  }
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
  process.stderr.write(`fuzz: ${options.cases.toLocaleString("en-US")} cases, seed ${options.seed}\n`);
  const result = await fuzz(options, () => stopping);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.findings > 0 ? 1 : 0;
}

if (isDirectRun(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
