import { describe, expect, it } from "vitest";
import { curvePrefixes, extraPrefixes, parseSizes } from "../../bench/interop/scale-plan.js";

describe("the scale curve's address plan", () => {
  it("splits a size into IPv4 /32s and IPv6 /64s, printed as `ip route` prints them", () => {
    const { v4, v6 } = curvePrefixes(100_000);
    expect([v4.length, v6.length]).toEqual([50_000, 50_000]);
    expect(v4.slice(0, 2)).toEqual(["198.18.0.0/32", "198.18.0.1/32"]);
    expect(v4.at(-1)).toBe("198.18.195.79/32"); // 49,999 = 195·256 + 79
    expect(v6.slice(0, 2)).toEqual(["2001:db8:100::/64", "2001:db8:100:1::/64"]);
    expect(v6.at(-1)).toBe("2001:db8:100:c34f::/64");
    expect(new Set([...v4, ...v6]).size).toBe(100_000);
  });

  it("gives the extra announces prefixes no size uses, alternating families", () => {
    const largest = curvePrefixes(131_072);
    const taken = new Set([...largest.v4.slice(0, 65_536), ...largest.v6]);
    const extra = extraPrefixes(1005);
    expect(extra.slice(0, 3)).toEqual(["198.19.255.255/32", "2001:db8:101::/64", "198.19.255.254/32"]);
    expect(extra.filter((p) => taken.has(p))).toEqual([]);
    expect(new Set(extra).size).toBe(1005);
    expect(extraPrefixes(2, 1000)).toEqual(extra.slice(1000, 1002));
  });

  it("reads --sizes, and refuses what does not fit the benchmark ranges", () => {
    expect(parseSizes(undefined, false)).toEqual([1000, 10_000, 50_000, 100_000]);
    expect(parseSizes(undefined, true)).toEqual([1000]);
    expect(parseSizes("4000,1000,4000", false)).toEqual([1000, 4000]);
    expect(() => parseSizes("1000,200000", true)).toThrow(/--sizes: "200000" is not a whole number/);
    expect(() => parseSizes("10k", false)).toThrow(/"10k"/);
  });
});
