/**
 * One auth-matrix case: riplet with a wrong key is rejected (route never in the gateway's kernel table,
 * the gateway counts or logs the failure), then riplet with the right key is accepted (route in the
 * kernel table via the host, no new failure).
 */
import { expect } from "vitest";
import {
  type Child,
  type Gateway,
  HOST_IF,
  holdsNever,
  kernelRoute,
  logWarnings,
  type PairLab,
  sleep,
  startRun,
  stopRun,
  waitFor,
} from "../lab/index.js";

const AUTH_PREFIX = "198.51.100.0/24";

export interface AuthCase {
  pair: PairLab;
  gw: Gateway;
  /** riplet run options that the gateway must accept. */
  right: string[];
  /** riplet run options that the gateway must reject. */
  wrong: string[];
  /** How many authentication failures the gateway has counted or logged so far. */
  failures(): Promise<number>;
}

export async function checkAuthCase({ pair, gw, right, wrong, failures }: AuthCase): Promise<void> {
  const { lab, host } = pair;
  const present = async () => (await kernelRoute(lab, pair.gw.ns, AUTH_PREFIX)) !== undefined;

  const before = await failures();
  const bad = await startRun(lab, host.ns, [AUTH_PREFIX], HOST_IF, wrong);
  try {
    await waitFor(async () => (await failures()) > before, {
      timeoutMs: 10_000,
      what: "the gateway to count an auth failure",
    });
    await holdsNever(present, { durationMs: 3000, what: `${AUTH_PREFIX} in the kernel with a wrong key` });
    expect(await gw.peerRoutes("ipv4")).not.toContainEqual(expect.objectContaining({ prefix: AUTH_PREFIX }));
  } catch (error) {
    throw annotate(error, "wrong key", bad);
  } finally {
    await stopRun(bad);
  }

  await sleep(500); // the wrongly signed withdrawal sent at exit is counted too
  const counted = await failures();
  const good = await startRun(lab, host.ns, [AUTH_PREFIX], HOST_IF, right);
  try {
    await waitFor(present, { timeoutMs: 10_000, what: `${AUTH_PREFIX} in the kernel with the right key` });
    expect(await kernelRoute(lab, pair.gw.ns, AUTH_PREFIX)).toMatchObject({ gateway: host.v4 });
    expect(await gw.peerRoutes("ipv4")).toContainEqual({ prefix: AUTH_PREFIX, nextHop: host.v4 });
    expect(await failures()).toBe(counted);
    // The gateway's answer (split horizon with poisoned reverse: our route back with metric 16) is
    // signed with the same key: riplet must take it without a "dropped packet" warning.
    await sleep(1000);
    expect(logWarnings(good)).toEqual([]);
  } catch (error) {
    throw annotate(error, "right key", good);
  } finally {
    expect(await stopRun(good)).toBe(0);
  }
  // the signed withdrawal is accepted too
  await waitFor(async () => !(await present()), { timeoutMs: 5000, what: `${AUTH_PREFIX} withdrawn` });
}

function annotate(error: unknown, phase: string, child: Child): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  e.message = `${phase}: ${e.message}\n${child.describe()}`;
  return e;
}
