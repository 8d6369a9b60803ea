import { describe, expect, it } from "vitest";
import { applyResult, type HealthPolicy, type HealthState, INITIAL_HEALTH } from "../../src/health/state.js";

const policy: HealthPolicy = { intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3 };

function run(results: boolean[]): { health: string[]; changes: number[] } {
  let state: HealthState = INITIAL_HEALTH;
  const health: string[] = [];
  const changes: number[] = [];
  results.forEach((ok, i) => {
    const next = applyResult(state, policy, { ok, detail: ok ? "ok" : "refused" }, i * 1000);
    if (next.changed) changes.push(i);
    state = next.state;
    health.push(state.health);
  });
  return { health, changes };
}

describe("health verdicts (rise/fall)", () => {
  it("becomes healthy after `rise` successes in a row", () => {
    expect(run([true, true, true]).health).toEqual(["unknown", "healthy", "healthy"]);
  });

  it("a check never seen healthy fails at once", () => {
    expect(run([false]).health).toEqual(["failing"]);
  });

  it("a healthy check survives fewer than `fall` failures, and fails on the `fall`th", () => {
    const { health, changes } = run([true, true, false, false, true, false, false, false]);
    expect(health).toEqual([
      "unknown",
      "healthy",
      "healthy",
      "healthy",
      "healthy",
      "healthy",
      "healthy",
      "failing",
    ]);
    expect(changes).toEqual([1, 7]);
  });

  it("a failing check needs `rise` successes in a row again", () => {
    const { health } = run([false, true, false, true, true]);
    expect(health).toEqual(["failing", "failing", "failing", "failing", "healthy"]);
  });
});
