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
});
