/** `riplet doctor TAP`: the guest's DHCP/RA server, judged from what the daemon and `ss` report. */
import { describe, expect, it } from "vitest";
import { checkGuests, parseSockets } from "../../src/doctor/guests.js";
import type { GuestReport } from "../../src/guests/servers.js";

const report = (over: Partial<GuestReport> = {}): GuestReport => ({
  tap: "tap0",
  dhcp: true,
  ra: true,
  dns: [],
  running: true,
  pid: 4242,
  restarts: 0,
  lastError: null,
  leases: [{ mac: "52:54:00:12:34:56", address: "198.51.100.23", hostname: "guest1", expires: null }],
  ...over,
});

describe("checkGuests", () => {
  it("ok: served, listening on the tap, with the leases named", () => {
    const [r] = checkGuests({ tap: "tap0", report: report(), listening: { dhcp: true, ra: true } });
    expect(r).toEqual({
      check: "guests",
      status: "ok",
      message:
        "tap0: DHCPv4 + router advertisements served by dnsmasq pid 4242, listening on tap0; leases: 198.51.100.23 (guest1)",
    });
  });

  it("warns when no guest has taken a lease, and says what to look at", () => {
    const [r] = checkGuests({
      tap: "tap0",
      report: report({ leases: [] }),
      listening: { dhcp: true, ra: true },
    });
    expect(r?.status).toBe("warn");
    expect(r?.fix).toMatch(/DHCP client/);
  });

  it("fails when the server runs but has no DHCP socket on the tap", () => {
    const [r] = checkGuests({ tap: "tap0", report: report(), listening: { dhcp: false, ra: true } });
    expect(r?.status).toBe("fail");
    expect(r?.message).toBe("tap0: dnsmasq pid 4242 runs but has no DHCP socket bound to tap0");
  });

  it("fails when the server died, with its last words and how to start it", () => {
    const [r] = checkGuests({
      tap: "tap0",
      report: report({ running: false, pid: null, restarts: 3, lastError: "exited with 2: failed to bind" }),
    });
    expect(r?.status).toBe("fail");
    expect(r?.message).toMatch(/not running \(exited with 2: failed to bind\); restarted 3x/);
    expect(r?.fix).toMatch(/riplet hook up tap0/);
  });

  it("fails when the config asks for addressing and nothing serves the tap; says so when it is off", () => {
    expect(checkGuests({ tap: "tap0", configured: { dhcp: true, ra: false } })[0]?.status).toBe("fail");
    const [off] = checkGuests({ tap: "tap0", configured: { dhcp: false, ra: false } });
    expect(off?.status).toBe("ok");
    expect(off?.message).toMatch(/static address with the tap's address as its gateway/);
  });
});

describe("parseSockets (ss -H output)", () => {
  const udp = 'UNCONN 0      0      0.0.0.0%tap0:67 0.0.0.0:* users:(("dnsmasq",pid=4242,fd=4))\n';
  const raw = 'UNCONN 0      0      *:58 *:* users:(("dnsmasq",pid=4242,fd=5))\n';

  it("finds the DHCP socket bound to the tap and the ICMPv6 socket of that pid", () => {
    expect(parseSockets(udp, raw, 4242, "tap0")).toEqual({ dhcp: true, ra: true });
  });

  it("does not take another tap's or another process's sockets", () => {
    expect(parseSockets(udp, raw, 4242, "tap1")).toEqual({ dhcp: false, ra: true });
    expect(parseSockets(udp, raw, 42, "tap0")).toEqual({ dhcp: false, ra: false });
  });
});
