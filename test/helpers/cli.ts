/** Runs the CLI in-process with captured output. */
import { readFile } from "node:fs/promises";
import { runCli } from "../../src/cli/program.js";

export async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readFile: (p) => readFile(p),
    onSignal: () => () => {},
    logStream: process.stdout,
  });
  return { code, out, err };
}

export function jsonLines(lines: string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}
