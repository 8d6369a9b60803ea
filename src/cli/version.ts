/**
 * The version in package.json, which every install carries: one source for `riplet --version` (and
 * anything else that reports it). Looked for upwards, as this file runs from src/cli (tests) or
 * dist/src/cli (a checkout, the Debian package's /usr/lib/riplet), and read once.
 */
import { readFileSync } from "node:fs";

let version: string | undefined;

export function packageVersion(): string {
  version ??= findVersion();
  return version;
}

function findVersion(): string {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "riplet" && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    if (dir.pathname === "/") return "unknown";
  }
}

/**
 * `riplet --version` / `riplet -V` alone: answered before commander and any command loads (the
 * commonest probe of an install, e.g. by configuration management, costs no more than node itself).
 * Any other form (`riplet --socket S --version`) goes through commander, which answers the same.
 */
export function isVersionOnly(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === "--version" || args[0] === "-V");
}
