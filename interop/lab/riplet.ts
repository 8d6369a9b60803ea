/** Runs the built riplet CLI (bin/riplet.js → dist/) inside lab namespaces. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Lab } from "./lab.js";
import type { Child, ExecResult } from "./proc.js";
import { waitFor } from "./wait.js";

/** The repository: this file runs from interop/lab/ (vitest) or dist/interop/lab/ (bench:interop). */
const here = fileURLToPath(new URL(".", import.meta.url));
export const REPO_ROOT = join(here, here.includes("/dist/interop/") ? "../../.." : "../..");
export const RIPLET_BIN = join(REPO_ROOT, "bin", "riplet.js");

/** `riplet ARGS...` in `ns` as a long-running child (run, listen). */
export function spawnRiplet(lab: Lab, ns: string, args: string[]): Child {
  return lab.spawn(ns, [process.execPath, RIPLET_BIN, ...args], `riplet ${args.join(" ")}`);
}

/** `riplet ARGS...` in `ns` to completion (query, decode); never throws on a non-zero exit. */
export function execRiplet(lab: Lab, ns: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  return lab.exec(ns, [process.execPath, RIPLET_BIN, ...args], { allowFail: true, timeoutMs });
}

/**
 * `riplet run PREFIX... -i IFNAME [extra]`; resolves once it logs "announcing" (sockets open), or
 * throws with its output if it exits first.
 */
export async function startRun(
  lab: Lab,
  ns: string,
  prefixes: string[],
  ifname: string,
  extra: string[] = [],
) {
  const child = spawnRiplet(lab, ns, ["run", ...prefixes, "-i", ifname, ...extra]);
  await waitFor(() => !child.running || child.stdout.includes('"announcing"'), {
    timeoutMs: 10_000,
    what: "riplet run to start",
  });
  if (!child.running) throw new Error(`riplet run exited at start:\n${child.describe()}`);
  return child;
}

/** SIGTERM, then the exit code (riplet withdraws before exiting). */
export async function stopRun(child: Child): Promise<number | null> {
  return child.stop(5000, "SIGTERM");
}

/** Parses `--json` output: one object per line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** riplet's log lines at warn level or above (pino: 40 warn, 50 error, 60 fatal). */
export function logWarnings(child: Child): Record<string, unknown>[] {
  return child.jsonLines().filter((l) => typeof l.level === "number" && l.level >= 40);
}
