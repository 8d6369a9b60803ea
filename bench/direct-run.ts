/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function isDirectRun(moduleUrl: string): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
