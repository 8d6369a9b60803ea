/** The one next-hop rule every boundary uses (issue 13 item 2; RFC 2080 §2.1.1 for IPv6). */
import { describe, expect, it } from "vitest";
import { NextHopError, nextHopProblem, parseNextHop } from "../../src/speaker/next-hop.js";

describe("next hops", () => {
  it.each([
    ["192.0.2.9", "ipv4", "192.0.2.9"],
    ["198.51.100.254", "ipv4", "198.51.100.254"],
    ["fe80::1", "ipv6", "fe80::1"],
    ["FE80:0:0:0::A", "ipv6", "fe80::a"],
    ["fe80::1%eth0", "ipv6", "fe80::1"], // the zone is stripped: the RTE has no room for it
    ["febf::1", "ipv6", "febf::1"], // still inside fe80::/10
  ] as const)("%s for an %s route is kept as %s", (text, family, canonical) => {
    expect(parseNextHop(text, family)).toBe(canonical);
    expect(nextHopProblem(text, family)).toBeNull();
  });

  it.each([
    ["bogus", "ipv4", /not an IP address/],
    ["", "ipv4", /not an IP address/],
    ["192.0.2.9 ", "ipv4", /not an IP address/],
    ["192.0.2.9\nlink set eth0 down", "ipv4", /not an IP address/],
    ["224.0.0.1", "ipv4", /multicast/],
    ["239.255.255.250", "ipv4", /multicast/],
    ["255.255.255.255", "ipv4", /broadcast/],
    ["240.0.0.1", "ipv4", /reserved/],
    ["127.0.0.1", "ipv4", /loopback/],
    ["0.0.0.0", "ipv4", /this network.*leave nextHop out/],
    ["0.1.2.3", "ipv4", /0\.0\.0\.0\/8/],
    ["169.254.1.1", "ipv4", /link-local/],
    ["fe80::1", "ipv4", /IPv6 but the route is IPv4/],
    ["2001:db8::1", "ipv4", /IPv6 but the route is IPv4/],
    ["192.0.2.9", "ipv6", /IPv4 but the route is IPv6/],
    ["2001:db8::1", "ipv6", /not link-local; RIPng carries only an fe80::\/10 next hop/],
    ["::", "ipv6", /not link-local/],
    ["ff02::9", "ipv6", /not link-local/],
    ["fec0::1", "ipv6", /not link-local/],
    ["fe80::1%eth 0", "ipv6", /not an IP address/],
    ["fe80::1%", "ipv6", /not an IP address/],
    ["192.0.2.9%eth0", "ipv4", /not an IP address/],
  ] as const)("%j for an %s route is refused, naming nextHop", (text, family, why) => {
    expect(() => parseNextHop(text, family)).toThrow(NextHopError);
    const problem = nextHopProblem(text, family)!;
    expect(problem).toMatch(/^nextHop: /);
    expect(problem).toMatch(why);
    expect(problem).not.toContain("\n");
  });

  it("refuses what is not a string, and keeps a long input out of the message", () => {
    expect(nextHopProblem(42, "ipv4")).toMatch(/^nextHop: must be a string/);
    expect(nextHopProblem({}, "ipv6")).toMatch(/^nextHop: must be a string/);
    expect(nextHopProblem("1".repeat(10_000), "ipv4")!.length).toBeLessThan(200);
  });
});
