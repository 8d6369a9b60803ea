/** What a tap's guests are offered: the dnsmasq argv (SPEC §4 `guests`, §6). */
import { describe, expect, it } from "vitest";
import { dnsmasqArgs, GuestPlanError, ipv4Pool } from "../../src/guests/plan.js";
import { parseTapAddress } from "../../src/host/addresses.js";

const files = { leases: "/var/lib/riplet/guests/tap0.leases", pid: "/var/lib/riplet/guests/tap0.pid" };
const both = [parseTapAddress("198.51.100.1/24"), parseTapAddress("2001:db8:42::1/64")];
const on = { dhcp: true, ra: true, dns: [] };

describe("the DHCPv4 pool", () => {
  it("is the tap's subnet without its network, broadcast and own address", () => {
    expect(ipv4Pool("198.51.100.1/24")).toEqual({
      ranges: [["198.51.100.2", "198.51.100.254"]],
      netmask: "255.255.255.0",
    });
    expect(ipv4Pool("198.51.100.100/24")?.ranges).toEqual([
      ["198.51.100.1", "198.51.100.99"],
      ["198.51.100.101", "198.51.100.254"],
    ]);
    expect(ipv4Pool("203.0.113.254/24")?.ranges).toEqual([["203.0.113.1", "203.0.113.253"]]);
    expect(ipv4Pool("198.51.100.5/30")?.ranges).toEqual([["198.51.100.6", "198.51.100.6"]]);
  });

  it("is empty for a /31 or /32: no address is left to lease", () => {
    expect(ipv4Pool("198.51.100.1/31")).toBeNull();
    expect(ipv4Pool("198.51.100.1/32")).toBeNull();
  });
});

describe("dnsmasqArgs", () => {
  it("serves DHCPv4 and RAs on that tap only, with no DNS service, files under the state directory", () => {
    const args = dnsmasqArgs("tap0", both, on, files);
    expect(args).toEqual(
      expect.arrayContaining([
        "--interface=tap0",
        "--bind-interfaces",
        "--port=0",
        "--conf-file=/dev/null",
        "--keep-in-foreground",
        "--dhcp-range=198.51.100.2,198.51.100.254,255.255.255.0,3600s",
        "--dhcp-authoritative",
        "--no-ping",
        "--dhcp-lease-max=256",
        "--dhcp-range=2001:db8:42::,ra-only,64",
        "--enable-ra",
        `--dhcp-leasefile=${files.leases}`,
        `--pid-file=${files.pid}`,
      ]),
    );
    expect(args.some((a) => a.startsWith("--dhcp-option"))).toBe(false);
  });

  it("hands IPv4 DNS servers out by DHCP and IPv6 ones by RDNSS", () => {
    const args = dnsmasqArgs("tap0", both, { ...on, dns: ["203.0.113.53", "2001:db8::53"] }, files);
    expect(args).toContain("--dhcp-option=option:dns-server,203.0.113.53");
    expect(args).toContain("--dhcp-option=option6:dns-server,[2001:db8::53]");
  });

  it("RA only: no DHCP range, no DHCP options", () => {
    const args = dnsmasqArgs("tap0", both, { ...on, dhcp: false }, files);
    expect(args.filter((a) => a.startsWith("--dhcp-range"))).toEqual([
      "--dhcp-range=2001:db8:42::,ra-only,64",
    ]);
    expect(args).not.toContain("--dhcp-authoritative");
  });

  it("refuses, in one line that says how to fix it, what cannot be served", () => {
    const v4only = [parseTapAddress("198.51.100.1/24")];
    expect(() => dnsmasqArgs("tap0", v4only, on, files)).toThrow(
      new GuestPlanError("tap0: router advertisements need an IPv6 /64 on the tap; add one or set ra: false"),
    );
    expect(() => dnsmasqArgs("tap0", [parseTapAddress("2001:db8:42::1/64")], on, files)).toThrow(
      /DHCP needs an IPv4 address on the tap/,
    );
    expect(() =>
      dnsmasqArgs("tap0", [parseTapAddress("198.51.100.1/32")], { ...on, ra: false }, files),
    ).toThrow("tap0: 198.51.100.1/32 leaves no address to lease; use a /30 or shorter, or set dhcp: false");
    expect(() =>
      dnsmasqArgs("tap0", [parseTapAddress("2001:db8:42::1/112")], { ...on, dhcp: false }, files),
    ).toThrow(/need a \/64 on the tap for SLAAC \(RFC 4862 §5.5.3\), not 2001:db8:42::1\/112/);
  });
});
