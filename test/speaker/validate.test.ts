import { describe, expect, it } from "vitest";
import { checkRipngEntry, checkRipv2Entry } from "../../src/speaker/validate.js";
import { parseIpv4, parseIpv6 } from "../../src/wire/address.js";

const v2 = (address: string, mask: string, metric = 1, extra: object = {}) => ({
  afi: 2,
  tag: 0,
  address: parseIpv4(address),
  mask: parseIpv4(mask),
  nextHop: 0,
  metric,
  ...extra,
});

describe("RIPv2 entry checks (RFC 2453 §3.9.2)", () => {
  it.each([
    ["a good route", v2("198.51.100.0", "255.255.255.0"), 2, null],
    ["the default route", v2("0.0.0.0", "0.0.0.0"), 2, null],
    ["a withdrawal (metric 16)", v2("198.51.100.0", "255.255.255.0", 16), 2, null],
    ["metric 0", v2("198.51.100.0", "255.255.255.0", 0), 2, "BAD_METRIC"],
    ["metric 17", v2("198.51.100.0", "255.255.255.0", 17), 2, "BAD_METRIC"],
    [
      "AFI 0xFFFF past the first entry",
      { ...v2("198.51.100.0", "255.255.255.0"), afi: 0xffff },
      2,
      "BAD_AFI",
    ],
    ["a non-contiguous mask", v2("198.51.0.0", "255.0.255.0"), 2, "BAD_MASK"],
    ["host bits set", v2("198.51.100.1", "255.255.255.0"), 2, "HOST_BITS"],
    ["loopback", v2("127.0.0.0", "255.0.0.0"), 2, "LOOPBACK"],
    ["multicast", v2("224.0.0.0", "240.0.0.0"), 2, "MULTICAST"],
    ["class E", v2("240.0.0.0", "240.0.0.0"), 2, "RESERVED"],
    ["net 0 other than default", v2("0.1.0.0", "255.255.0.0"), 2, "RESERVED"],
    ["RIPv1 with a mask", v2("198.51.100.0", "255.255.255.0"), 1, "V1_MUST_BE_ZERO"],
    ["RIPv1 classful", v2("198.51.100.0", "0.0.0.0"), 1, null],
    ["IPv4 link-local (RFC 3927)", v2("169.254.0.0", "255.255.0.0"), 2, "LINK_LOCAL"],
    ["inside 169.254/16", v2("169.254.7.0", "255.255.255.0"), 2, "LINK_LOCAL"],
  ])("%s", (_name, entry, version, reason) => {
    expect(checkRipv2Entry(entry, version as number)).toBe(reason);
  });
});

describe("RIPng entry checks (RFC 2080 §2.4.2)", () => {
  const ng = (prefix: string, prefixLength: number, metric = 1) => ({
    prefix: parseIpv6(prefix),
    tag: 0,
    prefixLength,
    metric,
  });
  it.each([
    ["a good route", ng("2001:db8:42::", 48), null],
    ["the default route", ng("::", 0), null],
    ["metric 0", ng("2001:db8::", 32, 0), "BAD_METRIC"],
    ["length 129", ng("2001:db8::", 129), "BAD_PREFIX_LENGTH"],
    ["host bits", ng("2001:db8::1", 64), "HOST_BITS"],
    ["link-local", ng("fe80::", 64), "LINK_LOCAL"],
    ["multicast", ng("ff02::", 16), "MULTICAST"],
    ["loopback", ng("::1", 128), "LOOPBACK"],
    ["unspecified (RFC 4291 §2.5.2)", ng("::", 128), "RESERVED"],
    ["IPv4-mapped (RFC 4291 §2.5.5.2)", ng("::ffff:0:0", 96), "RESERVED"],
    ["inside IPv4-mapped", ng("::ffff:127.0.0.0", 104), "RESERVED"],
    ["site-local (RFC 3879)", ng("fec0::", 10), "RESERVED"],
  ])("%s", (_name, entry, reason) => {
    expect(checkRipngEntry(entry)).toBe(reason);
  });
});
