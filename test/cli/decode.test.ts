import { describe, expect, it } from "vitest";
import { parseIpv4 } from "../../src/wire/address.js";
import { cryptoAuthFor, sign } from "../../src/wire/auth.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { cli, jsonLines } from "../helpers/cli.js";

const signedHex = (() => {
  const key = { id: 3, secret: Buffer.from("s3cret"), algorithm: "hmac-sha256" as const };
  const entries = [
    { afi: 2, tag: 0, address: parseIpv4("198.19.10.0"), mask: 0xffffff00, nextHop: 0, metric: 1 },
  ];
  const packet = ripv2.encode({
    command: "response",
    version: 2,
    auth: cryptoAuthFor(key, 1795842861),
    entries,
  });
  sign(packet, key);
  return Buffer.from(packet).toString("hex");
})();

describe("riplet decode --hex", () => {
  it("prints the SPEC §3 object, verifying with a matching key", async () => {
    const { code, out } = await cli("decode", "--hex", signedHex, "--key", "3:s3cret", "--json");
    expect(code).toBe(0);
    expect(jsonLines(out)).toEqual([
      {
        frame: 1,
        family: "ipv4",
        command: "response",
        version: 2,
        auth: {
          type: "crypto",
          keyId: 3,
          sequence: 1795842861,
          authDataLength: 32,
          algorithm: "hmac-sha256",
          verified: true,
        },
        entries: [{ prefix: "198.19.10.0/24", tag: 0, nextHop: "0.0.0.0", metric: 1 }],
      },
    ]);
  });

  it("algorithm and verified are null without a key, false with a wrong one", async () => {
    const [none] = jsonLines((await cli("decode", "--hex", signedHex, "--json")).out);
    expect(none!.auth).toMatchObject({ algorithm: null, verified: null });
    const [wrong] = jsonLines((await cli("decode", "--hex", signedHex, "--key", "nope", "--json")).out);
    expect(wrong!.auth).toMatchObject({ algorithm: null, verified: false });
    const [otherId] = jsonLines((await cli("decode", "--hex", signedHex, "--key", "4:s3cret", "--json")).out);
    expect(otherId!.auth).toMatchObject({ verified: false });
    const [anyId] = jsonLines((await cli("decode", "--hex", signedHex, "--key", "s3cret", "--json")).out);
    expect(anyId!.auth).toMatchObject({ algorithm: "hmac-sha256", verified: true });
  });

  it("shows whole-table requests and RIPng next hops", async () => {
    const [request] = jsonLines(
      (await cli("decode", "--hex", `01020000 0000 0000 ${"0".repeat(24)} 00000010`, "--json")).out,
    );
    expect(request).toMatchObject({ command: "request", wholeTable: true, entries: [] });
    const ng = `02010000 fe800000000000000000000000000001 000000ff 20010db8004200000000000000000000 00003001`;
    const [response] = jsonLines((await cli("decode", "--family", "ipv6", "--hex", ng, "--json")).out);
    expect(response).toMatchObject({
      family: "ipv6",
      entries: [{ prefix: "2001:db8:42::/48", tag: 0, nextHop: "fe80::1", metric: 1 }],
    });
  });

  it("gives RIPv1 entries their classful length and marks skipped entries", async () => {
    const v1 =
      "02010000 0002 0000 c6336400 00000000 00000000 00000001 0002 0000 0a000000 00000000 00000000 00000011";
    const [view] = jsonLines((await cli("decode", "--hex", v1, "--json")).out);
    expect(view!.entries).toEqual([
      { prefix: "198.51.100.0/24", tag: 0, nextHop: "0.0.0.0", metric: 1 },
      { prefix: "10.0.0.0/8", tag: 0, nextHop: "0.0.0.0", metric: 17, skip: "BAD_METRIC" },
    ]);
  });

  it("reports a malformed datagram as an error object and exits 0", async () => {
    const { code, out } = await cli("decode", "--hex", "0202000000", "--json");
    expect(code).toBe(0);
    expect(jsonLines(out)[0]).toEqual({
      frame: 1,
      family: "ipv4",
      error: { code: "TRAILING_BYTES", offset: 4, message: expect.any(String) },
    });
  });

  it("prints a readable table without --json", async () => {
    const { out } = await cli("decode", "--hex", signedHex, "--key", "s3cret");
    expect(out[0]).toMatch(
      /RIPv2 {2}response {2}auth crypto key 3 seq 1795842861 len 32 hmac-sha256 verified/,
    );
    expect(out[1]).toMatch(/198\.19\.10\.0\/24 +metric 1/);
  });
});

describe("riplet decode usage errors exit 2 with one line", () => {
  it.each([
    [["decode"], /exactly one of --hex HEX or --pcap FILE/],
    [["decode", "--hex", "00", "--pcap", "x"], /exactly one/],
    [["decode", "--hex", "0g"], /--hex 0g is not hex: "g" at digit 2/],
    [["decode", "--hex", "zzzz"], /--hex zzzz is not hex: "z" at digit 1 is not 0-9 or a-f/],
    [["decode", "--hex", "020"], /3 hex digits, an odd number/],
    [["decode", "--hex", "00", "--key", "3:"], /secret after "3:" is empty/],
    [["decode", "--pcap", "/nonexistent/file.pcap"], /cannot read \/nonexistent\/file\.pcap/],
    [["decode", "--family", "ipx", "--hex", "00"], /invalid/],
  ])("%j", async (args, message) => {
    const { code, err } = await cli(...args);
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(message);
  });
});
