import { describe, expect, it } from "vitest";
import { prettyLine, RateLimiter } from "../../src/daemon/log.js";

describe("logs", () => {
  it("a JSON line reads well on a terminal", () => {
    expect(
      prettyLine(
        '{"level":30,"time":"2026-11-28T06:58:46.874Z","prefixes":["198.51.101.0/24"],"owner":"tap7","msg":"announced"}',
      ),
    ).toBe('06:58:46 INFO  announced prefixes=["198.51.101.0/24"] owner=tap7');
  });

  it("drops are rate-limited per key and report how many were suppressed", () => {
    const limiter = new RateLimiter(60_000);
    expect(limiter.allow("192.0.2.1 AUTH_FAILED", 0)).toBe(0);
    expect(limiter.allow("192.0.2.1 AUTH_FAILED", 1000)).toBe(-1);
    expect(limiter.allow("192.0.2.1 AUTH_FAILED", 2000)).toBe(-1);
    expect(limiter.allow("192.0.2.9 AUTH_FAILED", 2000)).toBe(0);
    expect(limiter.allow("192.0.2.1 AUTH_FAILED", 61_000)).toBe(2);
  });
});
