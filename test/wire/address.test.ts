import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classfulPrefixLength,
  formatIpv4,
  formatIpv6,
  ipv6HasHostBits,
  maskToPrefixLength,
  parseIpv4,
  parseIpv6,
  prefixLengthToMask,
} from "../../src/wire/address.js";
import { ipv6Words } from "../helpers/arbitraries.js";

describe("addresses", () => {
  it.each([
    ["2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", [0x20010db8, 0, 0x10000, 1]],
    ["::", "::", [0, 0, 0, 0]],
    ["FE80::1", "fe80::1", [0xfe800000, 0, 0, 1]],
    ["::ffff:192.0.2.1", "::ffff:c000:201", [0, 0, 0xffff, 0xc0000201]],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1", [0x20010000, 0x00000001, 0, 1]],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", [0x10002, 0x30004, 0x50006, 0x70008]],
  ])("IPv6 %s → words and RFC 5952 text %s", (text, canonical, words) => {
    expect(parseIpv6(text)).toEqual(words);
    expect(formatIpv6(words as [number, number, number, number])).toBe(canonical);
  });

  it("IPv6 parse ∘ format = identity", () => {
    fc.assert(
      fc.property(ipv6Words, (w) => {
        expect(parseIpv6(formatIpv6(w))).toEqual(w);
      }),
    );
  });

  it("IPv4 parse ∘ format = identity, and bad text is refused", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(parseIpv4(formatIpv4(n))).toBe(n);
      }),
    );
    expect(() => parseIpv4("198.51.100")).toThrow(/not an IPv4 address/);
    expect(() => parseIpv4("198.51.100.256")).toThrow();
    expect(() => parseIpv6("2001:db8::g")).toThrow(/not an IPv6 address/);
  });

  it("masks and prefix lengths", () => {
    for (let length = 0; length <= 32; length++)
      expect(maskToPrefixLength(prefixLengthToMask(length))).toBe(length);
    expect(maskToPrefixLength(0xff00ff00)).toBe(-1);
    expect(ipv6HasHostBits(parseIpv6("2001:db8:42::"), 48)).toBe(false);
    expect(ipv6HasHostBits(parseIpv6("2001:db8:42:1::"), 48)).toBe(true);
  });

  it("RIPv1 classful lengths (RFC 1058 §3.2)", () => {
    expect(classfulPrefixLength(parseIpv4("10.0.0.0"))).toBe(8);
    expect(classfulPrefixLength(parseIpv4("172.16.0.0"))).toBe(16);
    expect(classfulPrefixLength(parseIpv4("198.51.100.0"))).toBe(24);
    expect(classfulPrefixLength(parseIpv4("198.51.100.7"))).toBe(32);
    expect(classfulPrefixLength(0)).toBe(0);
  });
});
