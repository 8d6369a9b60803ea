import { describe, expect, it } from "vitest";
import { parseIpv4 } from "../../src/wire/address.js";
import { WireError } from "../../src/wire/errors.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { hex, roundTrip } from "../helpers/codec.js";

function expectWireError(fn: () => unknown, code: string, offset?: number): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).code).toBe(code);
    if (offset !== undefined) expect((error as WireError).offset).toBe(offset);
    return;
  }
  throw new Error(`expected WireError ${code}`);
}

const route = (
  prefix: string,
  mask: string,
  metric: number,
  tag = 0,
  nextHop = "0.0.0.0",
): ripv2.Ripv2Entry => ({
  afi: 2,
  tag,
  address: parseIpv4(prefix),
  mask: parseIpv4(mask),
  nextHop: parseIpv4(nextHop),
  metric,
});

describe("RIPv2 codec (RFC 2453 §4)", () => {
  it("decodes a response field by field", () => {
    const bytes = hex(`
      02          # command: response
      02          # version 2
      0000        # must be zero
      0002        # AFI: IP
      0007        # route tag 7
      c6336400    # 198.51.100.0
      ffffff00    # mask /24
      c0000201    # next hop 192.0.2.1
      00000003    # metric 3
    `);
    const { value, bytes: used } = ripv2.decode(bytes);
    expect(used).toBe(24);
    expect(value).toEqual({
      command: "response",
      version: 2,
      entries: [route("198.51.100.0", "255.255.255.0", 3, 7, "192.0.2.1")],
    });
    expect(ripv2.encode(value)).toEqual(bytes);
  });

  it("decodes a whole-table request (RFC 2453 §3.9.1: AFI 0, metric 16)", () => {
    const bytes = hex(`
      01 02 0000                   # request, version 2
      0000 0000                    # AFI 0 (unspecified), tag 0
      00000000 00000000 00000000   # address, mask, next hop all zero
      00000010                     # metric 16 (infinity)
    `);
    const { value } = ripv2.decode(bytes);
    expect(value.command).toBe("request");
    expect(value.entries).toEqual([{ afi: 0, tag: 0, address: 0, mask: 0, nextHop: 0, metric: 16 }]);
  });

  it("decodes RIPv1 (RFC 1058 §3.1) with the same entry layout", () => {
    const bytes = hex("02 01 0000  0002 0000 c6120000 00000000 00000000 00000001");
    const { value } = ripv2.decode(bytes);
    expect(value.version).toBe(1);
    expect(value.auth).toBeUndefined();
    expect(value.entries[0]).toEqual(route("198.18.0.0", "0.0.0.0", 1));
  });

  it("reads a simple password (RFC 2453 §4.1) and keeps 0xFFFF entries past the first as routes to skip", () => {
    const bytes = hex(`
      02 02 0000
      ffff 0002                          # AFI 0xFFFF, auth type 2 (simple password)
      73336372 65740000 00000000 00000000 # "s3cret" zero padded to 16
      0002 0000 c6336400 ffffff00 00000000 00000001
      ffff 0002 41414141 41414141 41414141 41414141 # a second auth entry is not authentication
    `);
    const { value } = ripv2.decode(bytes);
    expect(value.auth).toEqual({ type: "simple", password: "s3cret" });
    expect(value.entries).toHaveLength(2);
    expect(value.entries[1]!.afi).toBe(0xffff);
    expect(ripv2.encode(value)).toEqual(bytes);
  });

  it("does not treat a RIPv1 0xFFFF first entry as authentication (RFC 2453 §4.1)", () => {
    const bytes = hex("02 01 0000 ffff 0002 73336372 65740000 00000000 00000000");
    const { value } = ripv2.decode(bytes);
    expect(value.auth).toBeUndefined();
    expect(value.entries[0]!.afi).toBe(0xffff);
  });

  it("reads a cryptographic auth entry and trailer (RFC 2082 §3.2 / RFC 4822 §2.2)", () => {
    const bytes = hex(`
      02 02 0000
      ffff 0003    # AFI 0xFFFF, auth type 3 (cryptographic)
      002c         # packet length 44: the trailer starts at byte 44
      05           # key id 5
      14           # auth data length 20 (16-byte digest + 4, the "old-ripd" form)
      6a3b2c1d     # sequence number
      00000000 00000000   # reserved
      0002 0000 c6336400 ffffff00 00000000 00000001
      ffff 0001    # trailer
      00112233445566778899aabbccddeeff  # 16-byte MD5 digest
    `);
    const { value } = ripv2.decode(bytes);
    expect(value.auth).toEqual({
      type: "crypto",
      keyId: 5,
      authDataLength: 20,
      sequence: 0x6a3b2c1d,
      digest: Uint8Array.from(Buffer.from("00112233445566778899aabbccddeeff", "hex")),
    });
    expect(value.entries).toEqual([route("198.51.100.0", "255.255.255.0", 1)]);
    expect(ripv2.encode(value)).toEqual(bytes);
  });

  it("round-trips every auth form", () => {
    const entries = [
      route("198.51.100.0", "255.255.255.0", 1),
      route("203.0.113.128", "255.255.255.128", 16, 9),
    ];
    roundTrip(ripv2, { command: "response", version: 2, entries });
    roundTrip(ripv2, { command: "response", version: 2, auth: { type: "simple", password: "pw" }, entries });
    for (const length of [16, 20, 32, 48, 64]) {
      const digest = Uint8Array.from({ length }, (_, i) => i);
      const auth = {
        type: "crypto" as const,
        keyId: 255,
        authDataLength: length,
        sequence: 0xffffffff,
        digest,
      };
      roundTrip(ripv2, { command: "response", version: 2, auth, entries });
    }
  });

  describe("structural faults throw WireError with the offset", () => {
    it("truncated header", () => expectWireError(() => ripv2.decode(hex("0202")), "TRUNCATED", 0));
    it("unknown command (RFC 2453 §3.6)", () =>
      expectWireError(() => ripv2.decode(hex("05020000")), "BAD_COMMAND", 0));
    it("version 0 (RFC 1058 §3.4)", () =>
      expectWireError(() => ripv2.decode(hex("02000000")), "BAD_VERSION", 1));
    it("bytes after the last whole entry", () =>
      expectWireError(() => ripv2.decode(hex("02020000 0002000000000000")), "TRAILING_BYTES", 4));
    it("unknown auth type", () =>
      expectWireError(() => ripv2.decode(hex(`02020000 ffff0009 ${"00".repeat(16)}`)), "BAD_AUTH", 6));
    it("crypto packet length pointing past the datagram", () =>
      expectWireError(
        () => ripv2.decode(hex(`02020000 ffff0003 0108 0110 ${"00".repeat(12)}`)),
        "TRUNCATED",
      ));
    it("crypto packet length not on an entry boundary", () =>
      expectWireError(
        () => ripv2.decode(hex(`02020000 ffff0003 0019 0110 ${"00".repeat(12)}`)),
        "BAD_AUTH",
        8,
      ));
    it("crypto trailer without 0xFFFF 0x0001", () =>
      expectWireError(
        () => ripv2.decode(hex(`02020000 ffff0003 0018 0110 ${"00".repeat(12)} ffff0002 ${"00".repeat(16)}`)),
        "BAD_AUTH",
        24,
      ));
    it("crypto trailer of an impossible digest length", () =>
      expectWireError(
        () => ripv2.decode(hex(`02020000 ffff0003 0018 0110 ${"00".repeat(12)} ffff0001 ${"00".repeat(17)}`)),
        "BAD_AUTH",
        28,
      ));
  });

  describe("encode refuses what no peer would accept", () => {
    const entries = (n: number) =>
      Array.from({ length: n }, (_, i) => route(`198.18.${i}.0`, "255.255.255.0", 1));
    it("25 entries fit; 26 exceed 512 bytes", () => {
      expect(ripv2.encode({ command: "response", version: 2, entries: entries(25) }).length).toBe(504);
      expectWireError(
        () => ripv2.encode({ command: "response", version: 2, entries: entries(26) }),
        "TOO_LARGE",
      );
    });
    it("24 entries with a password; 23 with a keyed-MD5 trailer (FRR drops > 512 bytes)", () => {
      const simple = { type: "simple" as const, password: "x" };
      expect(
        ripv2.encode({ command: "response", version: 2, auth: simple, entries: entries(24) }).length,
      ).toBe(504);
      const md5 = {
        type: "crypto" as const,
        keyId: 1,
        authDataLength: 16,
        sequence: 1,
        digest: new Uint8Array(16),
      };
      expect(ripv2.encode({ command: "response", version: 2, auth: md5, entries: entries(23) }).length).toBe(
        504,
      );
      expectWireError(
        () => ripv2.encode({ command: "response", version: 2, auth: md5, entries: entries(24) }),
        "TOO_LARGE",
      );
    });
    it("out-of-range fields", () => {
      const bad = { ...route("198.18.0.0", "255.255.0.0", 1), metric: 2 ** 32 };
      expectWireError(() => ripv2.encode({ command: "response", version: 2, entries: [bad] }), "BAD_VALUE");
      expectWireError(
        () =>
          ripv2.encode({
            command: "response",
            version: 1,
            auth: { type: "simple", password: "x" },
            entries: [],
          }),
        "BAD_VALUE",
      );
      expectWireError(
        () =>
          ripv2.encode({
            command: "response",
            version: 2,
            auth: { type: "simple", password: "x".repeat(17) },
            entries: [],
          }),
        "BAD_VALUE",
      );
    });
  });
});
