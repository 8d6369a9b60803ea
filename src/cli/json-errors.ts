/**
 * `--json` on any command: an error is one JSON object on stdout, `{"ok":false,"error":{"code",
 * "message"}}`, with the same exit code (SPEC §2), so a script reads one stream. Commands keep writing
 * their one-line error to `io.err` (and name its code with `io.fail` where they know one); this wrapper
 * holds stderr until the command ends and turns its failure into that object.
 */
import type { CliIo } from "./io.js";

/** The code for a failure nothing named, by exit code. */
const CODE_BY_EXIT: Record<number, string> = { 1: "FAILED", 2: "USAGE", 3: "UNREACHABLE" };

/** True when the command line asks for JSON output (before `--`, which ends the options). */
export function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
}

/** "riplet routes: cannot reach …" or commander's "error: unknown …" → the message alone. */
function bare(line: string): string {
  return line.replace(/^riplet(?: [\w-]+)?: /, "").replace(/^error: /, "");
}

export interface JsonErrors {
  io: CliIo;
  /** Writes what the command's exit code calls for; returns the code unchanged. */
  finish(code: number): number;
}

export function jsonErrors(io: CliIo): JsonErrors {
  const held: string[] = [];
  let named: { code: string; message: string } | undefined;
  let reported = false;
  const wrapped: CliIo = {
    ...io,
    out: (line) => {
      // a command that reports its own failure as JSON (announce's partial batches) says it all
      if (line.startsWith('{"ok":false')) reported = true;
      io.out(line);
    },
    err: (line) => held.push(line),
    fail: (code, message) => {
      named = { code, message };
    },
  };
  return {
    io: wrapped,
    finish(code) {
      const failed = code !== 0 && !reported && (named !== undefined || held.length > 0);
      // stderr that is not the error itself (warnings) still goes to stderr
      const rest = failed ? (named ? [] : held.slice(0, -1)) : held;
      for (const line of rest) io.err(line);
      if (failed) {
        const error = named ?? { code: CODE_BY_EXIT[code] ?? "FAILED", message: bare(held.at(-1)!) };
        io.out(JSON.stringify({ ok: false, error }));
      }
      return code;
    },
  };
}
