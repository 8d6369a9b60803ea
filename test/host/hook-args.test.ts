import { describe, expect, it } from "vitest";
import { parseHookArgs } from "../../src/cli/hook-main.js";
import { AddressError, addressesFromEnv, parseTapAddress } from "../../src/host/addresses.js";

describe("hook fast path argument parsing", () => {
  const env = {};
  it.each([
    [
      ["hook", "up", "tap0"],
      { action: "up", ifname: "tap0", socket: "/run/riplet/riplet.sock", config: "/etc/riplet/riplet.yaml" },
    ],
    [
      ["--socket", "/tmp/s", "hook", "-c", "/tmp/c.yaml", "down", "tap1"],
      { action: "down", ifname: "tap1", socket: "/tmp/s", config: "/tmp/c.yaml" },
    ],
  ])("%j", (args, parsed) => {
    expect(parseHookArgs(args, env)).toEqual(parsed);
  });

  it("takes the socket and config from the environment", () => {
    expect(parseHookArgs(["hook", "up", "tap0"], { RIPLET_SOCKET: "/s", RIPLET_CONFIG: "/c" })).toMatchObject(
      { socket: "/s", config: "/c" },
    );
  });

  it.each([
    [["hook", "--help"]],
    [["hook", "up"]],
    [["hook", "sideways", "tap0"]],
    [["hook", "up", "tap0", "extra"]],
    [["--bogus", "hook", "up", "tap0"]],
  ])("leaves %j to the full CLI", (args) => {
    expect(parseHookArgs(args, env)).toBeUndefined();
  });
});

describe("tap addresses (SPEC §6)", () => {
  it("announces each address's network", () => {
    expect(addressesFromEnv("198.51.100.1/24, 2001:db8:42::1/64")).toEqual([
      { cidr: "198.51.100.1/24", network: "198.51.100.0/24", family: "ipv4" },
      { cidr: "2001:db8:42::1/64", network: "2001:db8:42::/64", family: "ipv6" },
    ]);
    expect(addressesFromEnv("")).toBeUndefined();
    expect(addressesFromEnv(undefined)).toBeUndefined();
  });

  it.each(["198.51.100.1", "198.51.100.1/33", "tap0/24", "2001:db8::1/129"])(
    "refuses %s with a fix",
    (text) => {
      expect(() => parseTapAddress(text)).toThrow(AddressError);
    },
  );

  // issue 13 item 6: each goes into `ip -batch` input, so exactly ADDRESS/LEN and nothing else
  it.each([
    ["1.1.1.1/24/anything", /is not an interface address/],
    ["1.1.1.1/24/", /is not an interface address/],
    ["198.51.100.1//24", /is not an interface address/],
    ["198.51.100.1/24\naddr flush dev eth0", /is not an interface address/],
    ["198.51.100.1/24 ", /is not an interface address/],
    [" 198.51.100.1/24", /is not an interface address/],
    ["198.51.100.1/24\n", /is not an interface address/],
    ["fe80::1%eth0/64", /is not an interface address/],
    ["198.51.100.1/0024", /is not an interface address/],
    ["224.0.0.1/24", /multicast/],
    ["127.0.0.2/8", /loopback/],
    ["169.254.3.4/16", /link-local/],
    ["fe80::1/64", /link-local/],
    ["::ffff:198.51.100.1/120", /IPv4-mapped/],
    ["198.51.100.1/0", /default route/],
    ["0.0.0.1/24", /reserved/],
  ])("refuses %j strictly", (text, why) => {
    expect(() => parseTapAddress(text)).toThrow(AddressError);
    expect(() => parseTapAddress(text)).toThrow(why);
  });

  it("keeps the address as given for ip and announces its network", () => {
    expect(parseTapAddress("198.51.100.1/32")).toEqual({
      cidr: "198.51.100.1/32",
      network: "198.51.100.1/32",
      family: "ipv4",
    });
    expect(parseTapAddress("2001:DB8:42::1/64").network).toBe("2001:db8:42::/64");
  });
});
