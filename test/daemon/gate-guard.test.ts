/**
 * Every async path guarded (issue 13 item 9): a throw in what the Gate calls on its own (a health
 * verdict, the maintenance poll) is counted by the daemon's Guard, and the Gate goes on working.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Gate } from "../../src/daemon/gate.js";
import { Guard } from "../../src/daemon/guard.js";
import { createLogger } from "../../src/daemon/log.js";
import { parsePrefix } from "../../src/speaker/prefix.js";

const silent = createLogger("silent");
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe("Gate under a Guard", () => {
  it("a throwing target is counted by place; health verdicts and maintenance keep working", async () => {
    const dir = mkdtempSync(join(tmpdir(), "riplet-gate-"));
    const flag = join(dir, "up");
    const maintenance = join(dir, "maintenance");
    const guard = new Guard(silent);
    const announced: string[] = [];
    const route = {
      prefix: parsePrefix("198.51.100.0/24"),
      metric: 1,
      tag: 0,
      check: {
        probe: { kind: "command" as const, command: `test -e ${flag}` },
        policy: { intervalMs: 20, timeoutMs: 1000, rise: 1, fall: 1 },
      },
    };
    const gate = new Gate(
      { get: (prefix) => (prefix === route.prefix.text ? route : undefined), unchecked: () => [] },
      {
        announce: (spec) => announced.push(spec.prefix.text),
        withdraw: () => {},
        withdrawAll: () => {
          throw new Error("withdrawAll bug");
        },
        changed: () => {
          throw new Error("persist bug");
        },
      },
      silent,
      maintenance,
      guard,
    );
    stops.push(() => gate.stop());
    writeFileSync(flag, "");
    gate.sync("198.51.100.0/24");
    await expect.poll(() => gate.report()[0]?.health, { timeout: 3000 }).toBe("healthy");
    expect(announced).toEqual(["198.51.100.0/24"]);
    expect(guard.errors["health check"]).toBe(1);
    rmSync(flag);
    await expect.poll(() => gate.report()[0]?.health, { timeout: 3000 }).toBe("failing");
    expect(guard.errors["health check"]).toBe(2);
    writeFileSync(maintenance, "");
    await expect.poll(() => guard.errors["maintenance poll"], { timeout: 3000 }).toBe(1);
    expect(gate.open).toBe(false);
  });
});
