/**
 * Can the interop suite run here? Root (namespaces, daemons), FRR, BIRD, iproute2 and a built riplet.
 * Without them it skips with the reason printed — except under CI=true, where it fails (SPEC §1).
 */
import { describe, it } from "vitest";
import { missingPrerequisites } from "./prerequisites.js";

export { missingPrerequisites };

/**
 * `describe` for interop tests: runs when the prerequisites are there; otherwise one failing test under
 * CI=true, or a skipped suite with the reason printed.
 */
export function interopDescribe(name: string, body: () => void): void {
  const missing = missingPrerequisites();
  if (missing === "") {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has its interop prerequisites", () => {
        throw new Error(`${missing} (CI=true: a missing peer fails the suite instead of skipping it)`);
      });
    });
  } else {
    console.log(`skipping interop tests "${name}": ${missing}`);
    describe.skip(name, body);
  }
}
