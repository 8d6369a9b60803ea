/**
 * Can the interop suite run here? Root (namespaces, daemons), FRR, BIRD, iproute2 and a built riplet.
 * Without them it skips with the reason printed — except under CI, where it fails (SPEC §1).
 */
import { describe, it } from "vitest";
import { missingPrerequisites } from "./prerequisites.js";

export { missingPrerequisites };

/**
 * True under any truthy CI (`CI` set and not "", "0" or "false"): CI=1, CI=yes and CI=true all mean
 * "a missing peer is a failure" (issue 13 item 10: an inherited CI=1 once turned the suite into skips).
 */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false";
}

/**
 * `describe` for interop tests: runs when the prerequisites are there; otherwise one failing test under
 * CI, or a skipped suite with the reason printed.
 */
export function interopDescribe(name: string, body: () => void): void {
  const missing = missingPrerequisites();
  if (missing === "") {
    describe(name, body);
  } else if (underCi()) {
    describe(name, () => {
      it("has its interop prerequisites", () => {
        throw new Error(
          `${missing} (CI=${process.env.CI}: a missing peer fails the suite instead of skipping it)`,
        );
      });
    });
  } else {
    console.log(`skipping interop tests "${name}": ${missing}`);
    describe.skip(name, body);
  }
}
