/** A fault in a health callback is reported and the check goes on (issue 13 item 9). */
import { type AddressInfo, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { HealthCheck } from "../../src/health/config.js";
import { HealthMonitor } from "../../src/health/monitor.js";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listening(): Promise<number> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

describe("HealthMonitor", () => {
  it("a throwing onChange is reported, and the check keeps probing and flipping", async () => {
    const port = await listening();
    const check: HealthCheck = {
      probe: { kind: "tcp", host: "127.0.0.1", port },
      policy: { intervalMs: 20, timeoutMs: 500, rise: 1, fall: 1 },
    };
    const errors: unknown[] = [];
    const verdicts: string[] = [];
    const monitor = new HealthMonitor(
      (_prefix, state) => {
        verdicts.push(state.health);
        throw new Error("callback bug");
      },
      (error) => errors.push(error),
    );
    closers.push(() => monitor.stop());
    monitor.watch("198.51.100.0/24", check);
    await expect.poll(() => verdicts).toEqual(["healthy"]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("callback bug");
    closers.shift()!(); // the service goes away: the next probes fail, so the check is still running
    await expect.poll(() => verdicts, { timeout: 3000 }).toEqual(["healthy", "failing"]);
    expect(errors).toHaveLength(2);
  });
});
