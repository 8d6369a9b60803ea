/**
 * What a command needs from the process, passed in so commands can be run and tested in-process.
 * Commands return an exit code (SPEC §2) and never call process.exit themselves.
 */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readFile(path: string): Promise<Uint8Array>;
  /** Calls handler on SIGTERM/SIGINT (and SIGHUP where a command wants it); returns an unsubscribe. */
  onSignal(signals: NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void): () => void;
  /** Where pino writes: stdout for the long-running commands. */
  logStream: NodeJS.WritableStream;
  /**
   * Names the failure just written to `err` (code as in SPEC §2 replies, e.g. UNREACHABLE), for
   * `--json`, whose error is an object on stdout (json-errors.ts). Absent: the line is all there is.
   */
  fail?(code: string, message: string): void;
}

/** SPEC §2 exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;

/** Writes one error line for `command` and names its code for `--json`. */
export function reportError(
  io: Pick<CliIo, "err" | "fail">,
  command: string,
  code: string,
  message: string,
): void {
  io.fail?.(code, message);
  io.err(`riplet ${command}: ${message}`);
}

/** A bad option or argument: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Resolves with the first SIGTERM or SIGINT: how the long-running commands wait to be stopped. */
export function untilStopped(io: Pick<CliIo, "onSignal">): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const off = io.onSignal(["SIGTERM", "SIGINT"], (signal) => {
      off();
      resolve(signal);
    });
  });
}
