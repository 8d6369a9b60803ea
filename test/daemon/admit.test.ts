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

describe("withdrawal keys", () => {
  it("canonicalises, allows the default route, and refuses all if one is malformed", () => {
    expect(withdrawalKeys(["2001:DB8:0::/32", "0.0.0.0/0"])).toEqual(["2001:db8::/32", "0.0.0.0/0"]);
    expect(refusal(() => withdrawalKeys(["198.51.100.0/24", "198.51.100.7/24"])).code).toBe("HOST_BITS");
  });
});
