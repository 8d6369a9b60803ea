import { describe, expect, it } from "vitest";
import { formatIpv6, parseIpv6 } from "../../src/wire/address.js";
import { WireError } from "../../src/wire/errors.js";
import * as ripng from "../../src/wire/ripng.js";
import { hex, roundTrip } from "../helpers/codec.js";

describe("RIPng codec (RFC 2080 §2.1)", () => {
  it("decodes a response with a next-hop RTE, field by field", () => {
    const bytes = hex(`
      02 01 0000                          # response, version 1, must be zero
      20010db8004200000000000000000000    # prefix 2001:db8:42::
      0000 30 01                          # tag 0, length 48, metric 1
      fe800000000000000000000000000001    # next hop fe80::1
      0000 00 ff                          # tag 0, length 0, metric 0xFF = next-hop RTE (§2.1.1)
      20010db8000700000000000000000000    # prefix 2001:db8:7::
      002a 40 10                          # tag 42, length 64, metric 16
    `);
    const { value } = ripng.decode(bytes);
    expect(value.command).toBe("response");
    expect(value.entries).toHaveLength(3);
    expect(formatIpv6(value.entries[0]!.prefix)).toBe("2001:db8:42::");
    expect(value.entries[1]!.metric).toBe(0xff);
    const routes = ripng.ripngRoutes(value);
    expect(
      routes.map((r) => [
        formatIpv6(r.entry.prefix),
        r.entry.prefixLength,
        formatIpv6(r.nextHop),
        r.entry.tag,
      ]),
    ).toEqual([
      ["2001:db8:42::", 48, "::", 0],
      ["2001:db8:7::", 64, "fe80::1", 42],
    ]);
    expect(ripng.encode(value)).toEqual(bytes);
  });

  it("round-trips", () => {
    roundTrip(ripng, {
      command: "request",
      version: 1,
      entries: [{ prefix: [0, 0, 0, 0], tag: 0, prefixLength: 0, metric: 16 }],
    });
    roundTrip(ripng, {
      command: "response",
      version: 1,
      entries: [{ prefix: parseIpv6("2001:db8:ffff::"), tag: 65535, prefixLength: 128, metric: 255 }],
    });
  });

  it("bounds entries by the MTU (RFC 2080 §2.1)", () => {
    expect(ripng.maxRipngEntries(1500)).toBe(72);
    expect(ripng.maxRipngEntries(1280)).toBe(61);
  });

  it("rejects structural faults", () => {
    expect(() => ripng.decode(hex("0201"))).toThrow(WireError);
    expect(() => ripng.decode(hex("03010000"))).toThrow(/command 3/);
    expect(() => ripng.decode(hex("02000000"))).toThrow(/version 0/);
    expect(() => ripng.decode(hex("02010000 00"))).toThrow(/1 bytes after/);
    expect(() =>
      ripng.encode({
        command: "response",
        version: 1,
        entries: [{ prefix: [0, 0, 0, 0], tag: 0, prefixLength: 256, metric: 1 }],
      }),
    ).toThrow(WireError);
  });
});
