/** dnsmasq's lease file as `riplet status` shows it; the guest chooses its hostname, so it is checked. */
import { describe, expect, it } from "vitest";
import { MAX_LEASE_BYTES, parseLeases } from "../../src/guests/leases.js";

describe("parseLeases", () => {
  it("reads EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID lines", () => {
    const text = [
      "1796300000 52:54:00:12:34:56 198.51.100.23 guest1 01:52:54:00:12:34:56",
      "0 52:54:00:AB:CD:EF 198.51.100.24 * *",
      "",
    ].join("\n");
    expect(parseLeases(text)).toEqual([
      { mac: "52:54:00:12:34:56", address: "198.51.100.23", hostname: "guest1", expires: 1796300000 },
      { mac: "52:54:00:ab:cd:ef", address: "198.51.100.24", hostname: null, expires: null },
    ]);
  });

  it("skips DHCPv6 lines and anything malformed; shows no hostname a guest made up to mislead", () => {
    const text = [
      "duid 00:01:00:01:2c:aa:bb:cc",
      "1796300000 1234 2001:db8:42::5 host 00:01",
      "garbage",
      "1796300000 52:54:00:12:34:56 198.51.100.23 \u001b[31mred *",
      "1796300000 not-a-mac 198.51.100.25 x *",
    ].join("\n");
    expect(parseLeases(text)).toEqual([
      { mac: "52:54:00:12:34:56", address: "198.51.100.23", hostname: null, expires: 1796300000 },
    ]);
  });

  it("reads at most MAX_LEASE_BYTES of a file", () => {
    const line = "1796300000 52:54:00:12:34:56 198.51.100.23 guest1 *\n";
    const leases = parseLeases(line.repeat(Math.ceil((MAX_LEASE_BYTES * 2) / line.length)));
    expect(leases.length).toBeLessThanOrEqual(Math.ceil(MAX_LEASE_BYTES / line.length));
  });
});
