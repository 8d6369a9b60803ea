/**
 * A health check's verdict over time, as ExaBGP's healthcheck and keepalived decide it: `rise`
 * successes in a row make a failing (or new) check healthy, `fall` failures in a row make a healthy one
 * failing. Pure: results and the clock come in, the state and the time of the next probe go out.
 */

export type Health = "unknown" | "healthy" | "failing";

export interface HealthPolicy {
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
}

export interface HealthState {
  health: Health;
  /** Consecutive results that agree with each other, and which way they point. */
  streak: number;
  streakOk: boolean;
  lastChangeAt?: number;
  lastResult?: { ok: boolean; at: number; detail: string };
}

export const INITIAL_HEALTH: HealthState = { health: "unknown", streak: 0, streakOk: false };

/** The state after one probe result; `changed` says whether the verdict flipped (announce/withdraw). */
export function applyResult(
  state: HealthState,
  policy: HealthPolicy,
  result: { ok: boolean; detail: string },
  now: number,
): { state: HealthState; changed: boolean } {
  const streak = state.streakOk === result.ok ? state.streak + 1 : 1;
  let health = state.health;
  if (result.ok && health !== "healthy" && streak >= policy.rise) health = "healthy";
  // an unknown check fails at once: announcing something never seen healthy would be wrong
  if (!result.ok && health !== "failing" && (health === "unknown" || streak >= policy.fall))
    health = "failing";
  const changed = health !== state.health;
  return {
    state: {
      health,
      streak,
      streakOk: result.ok,
      lastResult: { ok: result.ok, at: now, detail: result.detail },
      ...(changed
        ? { lastChangeAt: now }
        : state.lastChangeAt === undefined
          ? {}
          : { lastChangeAt: state.lastChangeAt }),
    },
    changed,
  };
}
