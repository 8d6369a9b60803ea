/**
 * Can the interop suite (or bench:interop) run here? Root (namespaces, daemons), FRR, BIRD, iproute2,
 * QEMU (the hook and guest tests) and a built riplet. No test framework here: the benchmark imports it too.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { FRR_BIN } from "./frr.js";
import { RIPLET_BIN } from "./riplet.js";

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What is missing, in one line; "" when everything is there. */
export function missingPrerequisites(): string {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (network namespaces and daemons)");
  for (const daemon of ["zebra", "staticd", "ripd", "ripngd"]) {
    if (!existsSync(join(FRR_BIN, daemon))) missing.push(join(FRR_BIN, daemon));
  }
  for (const command of ["vtysh", "bird", "birdc", "ip", "qemu-system-x86_64"])
    if (!onPath(command)) missing.push(command);
  if (!existsSync(RIPLET_BIN.replace(/bin\/riplet\.js$/, "dist/cli/main.cjs"))) {
    missing.push("a built riplet (npm run build)");
  }
  return missing.length === 0 ? "" : `missing ${missing.join(", ")}; install with: npm run setup:interop`;
}
