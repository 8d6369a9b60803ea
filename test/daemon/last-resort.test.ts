/**
 * The last resort (issue 13): a fault past every guard is logged as fatal, the routes are withdrawn
 * (the stop path, bounded), and the process exits non-zero. Run in real child processes, as the
 * process-level handlers are what is tested.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SOURCE = join(import.meta.dirname, "../../src/daemon/last-resort.ts");
const dir = mkdtempSync(join(tmpdir(), "riplet-last-resort-"));
writeFileSync(
  join(dir, "last-resort.mjs"),
  ts.transpileModule(readFileSync(SOURCE, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText,
);

/** Runs a child that installs the handlers with a fake daemon stop, then faults as `fault` says. */
function crash(
  fault: string,
  stop: string,
): { status: number | null; lines: Record<string, unknown>[]; ms: number } {
  const main = join(dir, `main-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    main,
    `import { installLastResort } from "./last-resort.mjs";
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
installLastResort({
  log: { fatal: (fields, msg) => say({ level: "fatal", msg, ...fields }) },
  stop: ${stop},
  exit: (code) => process.exit(code),
});
setInterval(() => {}, 1000); // a daemon: it would never end on its own
${fault}
`,
  );
  const t0 = performance.now();
  const child = spawnSync(process.execPath, [main], { encoding: "utf8", timeout: 10_000 });
  const lines = child.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: child.status, lines, ms: performance.now() - t0 };
}

const WITHDRAWING_STOP = `async () => { await new Promise((r) => setTimeout(r, 50)); say({ msg: "withdrawn" }); }`;

describe("last resort", () => {
  it("an uncaught exception: logged as fatal, routes withdrawn, then exit non-zero", () => {
    const { status, lines } = crash(
      `setTimeout(() => { throw new Error("tick exploded"); }, 10);`,
      WITHDRAWING_STOP,
    );
    expect(status).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual([
      "fatal: uncaught fault; withdrawing every route, then exiting",
      "withdrawn",
    ]);
    expect(lines[0]).toMatchObject({ level: "fatal", kind: "uncaughtException", err: "tick exploded" });
  });

  it("an unhandled rejection: the same", () => {
    const { status, lines } = crash(
      `setTimeout(() => { Promise.reject(new Error("lost promise")); }, 10);`,
      WITHDRAWING_STOP,
    );
    expect(status).toBe(1);
    expect(lines[0]).toMatchObject({ kind: "unhandledRejection", err: "lost promise" });
    expect(lines.at(-1)?.msg).toBe("withdrawn");
  });

  it("a stop that hangs does not hold the exit for more than its budget", () => {
    const { status, lines, ms } = crash(
      `setTimeout(() => { throw new Error("wedged"); }, 10);`,
      "() => new Promise(() => {})",
    );
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(ms).toBeLessThan(5000); // 1 s budget; the bound is what matters, not the figure
  });
});
