/** Builds riplet when dist/ is missing or older than src/, so the suite never tests stale code. */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sweepStaleLabs } from "./registry.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  // bin/riplet.js runs the bundle (dist/cli), built from dist/src: as `npm run build`, tsc, rolldown,
  // then the code cache's training
  const main = join(ROOT, "dist/cli/main.cjs");
  if (!existsSync(main) || statSync(main).mtimeMs < newestMtime(join(ROOT, "src"))) {
    console.log("interop: building riplet (tsc -p tsconfig.json, then rolldown)");
    try {
      execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", join(ROOT, "tsconfig.json")], {
        stdio: "inherit",
      });
    } catch {
      console.warn("interop: tsc reported errors (output above); testing what it emitted");
    }
    execFileSync(join(ROOT, "node_modules/.bin/rolldown"), ["-c", "rolldown.config.mjs"], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
    execFileSync(process.execPath, [join(ROOT, "dist/cli/code-cache-train.cjs")], { stdio: "inherit" });
  }
  if (process.getuid?.() === 0) {
    const swept = sweepStaleLabs();
    if (swept.length > 0) console.log(`interop: removed labs left by killed runs: ${swept.join(", ")}`);
  }
}
