/** Running the system's tools (iproute2, ping, routing daemons): one error shape for all of them. */
import { execFile } from "node:child_process";

export class HostError extends Error {
  override readonly name = "HostError";
}

/**
 * Runs a command (with `input` on its stdin, if given) and returns its stdout; a failure becomes a
 * HostError with its first stderr line.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  timeoutMs = 5000,
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      const e = error as NodeJS.ErrnoException & { killed?: boolean };
      const shown = `${command} ${args.join(" ")}`;
      if (e.code === "ENOENT") reject(new HostError(`${command} is not installed`));
      else if (e.killed) reject(new HostError(`${shown}: no answer within ${timeoutMs} ms`));
      else reject(new HostError(`${shown}: ${(stderr || e.message).trim().split("\n")[0]}`));
    });
    child.stdin?.on("error", () => {}); // a command that exits early: its exit status tells why
    child.stdin?.end(input ?? "");
  });
}
