/** What the daemon accepts over the socket and from its state file (SPEC §2, §4; issue 8). */
import { describe, expect, it } from "vitest";
import {
  type AdmitPolicy,
  admitRoute,
  admitRoutes,
  Refusal,
  withdrawalKeys,
} from "../../src/daemon/admit.js";
import { parsePrefix } from "../../src/speaker/prefix.js";

const open: AdmitPolicy = { allowDefault: false, allowCommandChecks: false };
const taps = new Set(["tap0"]);

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof Refusal) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("not refused");
}

describe("admitting routes", () => {
  it("fills in metric 1 and tag 0, keeps owner, next hop and check", () => {
    const check = { tcp: "127.0.0.1:80", interval: 1 };
    const [route] = admitRoutes(
      [{ prefix: "198.51.100.0/24", owner: "tap0", nextHop: "192.0.2.9", check }],
      open,
      taps,
    );
    expect(route!.spec.prefix.text).toBe("198.51.100.0/24");
    expect(route).toMatchObject({
      spec: { metric: 1, tag: 0, owner: "tap0", nextHop: "192.0.2.9" },
      check,
    });
  });

  it("refuses the whole request with the prefix's code and a fix", () => {
    expect(
      refusal(() => admitRoutes([{ prefix: "198.51.100.0/24" }, { prefix: "198.51.100.1/24" }], open, taps)),
    ).toEqual({ code: "HOST_BITS", message: expect.stringContaining("did you mean 198.51.100.0/24") });
    const allow = { ...open, allow: [parsePrefix("198.51.100.0/22")] };
    expect(refusal(() => admitRoutes([{ prefix: "203.0.113.0/24" }], allow, taps)).code).toBe(
      "PREFIX_NOT_ALLOWED",
    );
  });

  it("refuses an owner that does not exist: the route would be withdrawn at once", () => {
    expect(refusal(() => admitRoutes([{ prefix: "198.51.100.0/24", owner: "tap9" }], open, taps))).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringContaining("owner tap9 does not exist"),
    });
  });

  it("refuses a command check unless control.allowCommandChecks, since it would run as root", () => {
    const route = { prefix: "198.51.100.0/24", check: { command: "systemctl is-active nginx" } };
    expect(refusal(() => admitRoutes([route], open, taps))).toEqual({
      code: "CHECK_NOT_ALLOWED",
      message: expect.stringContaining("control.allowCommandChecks: true"),
    });
    expect(admitRoutes([route], { ...open, allowCommandChecks: true }, taps)[0]!.check).toEqual(route.check);
    // tcp and http checks connect out; they run nothing
    expect(() =>
      admitRoutes([{ prefix: "198.51.100.0/24", check: { tcp: "[::1]:80" } }], open, taps),
    ).not.toThrow();
  });

  it("admits a saved route again under today's policy", () => {
    const saved = { prefix: "198.51.100.0/24", metric: 4, tag: 9, owner: "tap0" };
    expect(admitRoute(saved, open).spec).toMatchObject({ metric: 4, tag: 9, owner: "tap0" });
    const narrowed = { ...open, allow: [parsePrefix("203.0.113.0/24")] };
    expect(refusal(() => admitRoute(saved, narrowed)).code).toBe("PREFIX_NOT_ALLOWED");
    // a command check saved while control.allowCommandChecks was on is not run once it is off
    const withCommand = { ...saved, check: { command: "true" } };
    expect(admitRoute(withCommand, { ...open, allowCommandChecks: true }).check).toEqual({ command: "true" });
    expect(refusal(() => admitRoute(withCommand, open)).code).toBe("CHECK_NOT_ALLOWED");
  });
});

describe("admitting routes: every field checked, one rule per field (issue 13)", () => {
  it.each([
    [{ prefix: "198.51.100.128/25", nextHop: "bogus" }, /^nextHop: "bogus" is not an IP address/],
    [{ prefix: "198.51.100.0/24", nextHop: "224.0.0.1" }, /^nextHop: 224\.0\.0\.1 is multicast/],
    [{ prefix: "198.51.100.0/24", nextHop: "fe80::1" }, /^nextHop: fe80::1 is IPv6 but the route is IPv4/],
    [
      { prefix: "2001:db8:42::/48", nextHop: "192.0.2.9" },
      /^nextHop: 192\.0\.2\.9 is IPv4 but the route is IPv6/,
    ],
    [{ prefix: "2001:db8:42::/48", nextHop: "2001:db8::1" }, /^nextHop: 2001:db8::1 is not link-local/],
    [{ prefix: "198.51.100.0/24", owner: "tap0\nlink" }, /^owner: .* is not an interface name/],
    [{ prefix: "198.51.100.0/24", owner: "../../etc" }, /^owner: .* is not an interface name/],
    [{ prefix: "198.51.100.0/24", metric: 16 }, /^metric: 16 is not an integer 1-15/],
    [{ prefix: "198.51.100.0/24", metric: 1.5 }, /^metric: /],
    [{ prefix: "198.51.100.0/24", tag: 65536 }, /^tag: 65536 is not an integer 0-65535/],
    [{ prefix: 7 }, /^prefix: must be a string/],
  ])("%j is refused as BAD_REQUEST naming the field", (route, message) => {
    const refused = refusal(() => admitRoute(route as never, open));
    expect(refused.code).toBe("BAD_REQUEST");
    expect(refused.message).toMatch(message);
    expect(refused.message).not.toContain("\n");
  });

  it("keeps a usable next hop in canonical form, a zone stripped", () => {
    expect(admitRoute({ prefix: "198.51.100.0/24", nextHop: "192.0.2.9" }, open).spec.nextHop).toBe(
      "192.0.2.9",
    );
    const v6 = admitRoute({ prefix: "2001:db8:42::/48", nextHop: "FE80::A%eth0" }, open);
    expect(v6.spec.nextHop).toBe("fe80::a");
  });
});

describe("withdrawal keys", () => {
  it("canonicalises, allows the default route, and refuses all if one is malformed", () => {
    expect(withdrawalKeys(["2001:DB8:0::/32", "0.0.0.0/0"])).toEqual(["2001:db8::/32", "0.0.0.0/0"]);
    expect(refusal(() => withdrawalKeys(["198.51.100.0/24", "198.51.100.7/24"])).code).toBe("HOST_BITS");
  });
});
