/** Running the system's tools (iproute2, ping, routing daemons): one error shape for all of them. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export class HostError extends Error {
  override readonly name = "HostError";
}

/** Runs a command and returns its stdout; a failure becomes a HostError with its first stderr line. */
export async function runCommand(
  command: string,
  args: readonly string[],
  timeoutMs = 5000,
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { timeout: timeoutMs });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
    if (e.code === "ENOENT") throw new HostError(`${command} is not installed`);
    if (e.killed) throw new HostError(`${command} ${args.join(" ")}: no answer within ${timeoutMs} ms`);
    throw new HostError(`${command} ${args.join(" ")}: ${(e.stderr || e.message).trim().split("\n")[0]}`);
  }
}
