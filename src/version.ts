/**
 * The version in package.json, which every install carries: what `riplet status` reports of the
 * daemon. Looked for upwards, as the code runs from src/ (tests) or dist/src/ (installed); read once.
 */
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= findVersion();
  return cached;
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
