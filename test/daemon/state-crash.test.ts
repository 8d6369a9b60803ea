/**
 * An acknowledged change survives SIGKILL (issue 15): a child process changes routes one at a time
 * through the real StateWriter and journal, printing each change once its write resolved (what the
 * control reply waits for), and is killed mid-stream, through compactions. The state read back must
 * be the one after the last acknowledged change, or after the one in flight when the kill came.
 */
import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadState } from "../../src/daemon/state.js";

const ROOT = join(import.meta.dirname, "../..");
const build = mkdtempSync(join(tmpdir(), "riplet-crash-"));

/** src/ as plain ES modules (the child runs without a TypeScript loader), with node_modules beside it. */
function transpileSources(): void {
  for (const entry of readdirSync(join(ROOT, "src"), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const source = join(entry.parentPath, entry.name);
    const target = join(build, relative(ROOT, source)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(target, outputText);
  }
  symlinkSync(join(ROOT, "node_modules"), join(build, "node_modules"));
}

/** Change k of the stream: puts and removals over 40 prefixes, so compaction keeps coming round. */
const OPS = `
const prefix = (i) => "198.18." + (i >> 8) + "." + (i & 255) + "/32";
export const op = (k) => k % 4 === 3
  ? { remove: prefix((k - 1) % 40) }
  : { put: { prefix: prefix(k % 40), metric: (k * 7) % 15 + 1, tag: 0, owner: "tap" + (k % 3) } };
export function apply(routes, k) {
  const o = op(k);
  if (o.remove) routes.delete(o.remove); else routes.set(o.put.prefix, o.put);
}
`;

const CHILD = `
import { JournaledState, StateWriter } from "./src/daemon/state-writer.js";
import { op } from "./ops.js";
const path = process.argv[2];
const routes = new Map();
const dirty = new Set();
let sequence = 1000;
const files = new JournaledState(() => path, {
  changes() {
    const changed = [...dirty];
    dirty.clear();
    return { routes: changed.filter((p) => routes.has(p)).map((p) => routes.get(p)), removed: changed.filter((p) => !routes.has(p)) };
  },
  routes: () => [...routes.values()],
  sequence: () => sequence,
  health: () => ({}),
});
const writer = new StateWriter({
  snapshot: () => files.take(),
  write: (batch) => files.write(batch),
  onError: (error) => { process.stderr.write(error.message + "\\n"); process.exit(3); },
});
for (let k = 0; ; k++) {
  const o = op(k);
  if (o.remove) routes.delete(o.remove); else routes.set(o.put.prefix, o.put);
  dirty.add(o.remove ?? o.put.prefix);
  sequence++;
  await writer.save();
  process.stdout.write(k + "\\n");
}
`;

afterAll(() => rmSync(build, { recursive: true, force: true }));

beforeAll(() => {
  transpileSources();
  writeFileSync(join(build, "ops.js"), OPS);
  writeFileSync(join(build, "child.mjs"), CHILD);
});

/** Runs the child until `acks` changes are acknowledged, kills it, returns the last one acknowledged. */
function runAndKill(path: string, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(build, "child.mjs"), path], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let last = -1;
    let text = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      text += d;
      const lines = text.split("\n");
      text = lines.pop()!;
      if (lines.length > 0) last = Number(lines.at(-1));
      if (last >= acks && child.exitCode === null) child.kill("SIGKILL");
    });
    // Every line the child wrote before it died is read (the pipe holds them): that is what it acknowledged.
    child.on("close", (_code, signal) =>
      signal === "SIGKILL" ? resolve(last) : reject(new Error(`child ended without the kill: ${stderr}`)),
    );
  });
}

describe("state file under SIGKILL", () => {
  it("every acknowledged change is there after a kill, through compactions", async () => {
    const { apply } = (await import(join(build, "ops.js"))) as {
      apply(m: Map<string, unknown>, k: number): void;
    };
    const sorted = (m: Map<string, unknown>) =>
      [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
    for (const acks of [120, 950, 1900]) {
      const path = join(mkdtempSync(join(tmpdir(), "riplet-crash-state-")), "state.json");
      const last = await runAndKill(path, acks);
      const { state, problems } = loadState(path);
      const acked = new Map<string, unknown>();
      for (let k = 0; k <= last; k++) apply(acked, k);
      const inFlight = new Map(acked);
      apply(inFlight, last + 1);
      const got = [...state.routes].sort((a, b) => a.prefix.localeCompare(b.prefix));
      expect([sorted(acked), sorted(inFlight)], `killed after change ${last}`).toContainEqual(got);
      expect(state.sequence).toBeGreaterThanOrEqual(1000 + last + 1);
      // A torn last line, or a journal left by a compaction cut short: both are what a kill leaves.
      const expected = /bytes after the last whole record dropped|does not follow/;
      expect(problems.filter((p) => !expected.test(p))).toEqual([]);
    }
  }, 60_000);
});
