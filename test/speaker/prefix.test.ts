import { describe, expect, it } from "vitest";
import { PrefixError, parsePrefix, prefixContains } from "../../src/speaker/prefix.js";

function refusal(text: string, policy = {}): [string, string] {
  try {
    parsePrefix(text, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(PrefixError);
    return [(error as PrefixError).code, (error as PrefixError).message];
  }
  throw new Error(`${text} was accepted`);
}

describe("parsePrefix: the gaps of issue 13 item 8", () => {
  it.each([
    ["::ffff:0:0/96", "RESERVED", /IPv4-mapped .*announce the IPv4 prefix instead/],
    ["::ffff:0.0.0.0/96", "RESERVED", /IPv4-mapped/],
    ["::ffff:127.0.0.0/104", "RESERVED", /IPv4-mapped/],
    ["::ffff:224.0.0.0/100", "RESERVED", /IPv4-mapped/],
    ["::ffff:198.51.100.0/120", "RESERVED", /IPv4-mapped/],
    ["::ffff:198.51.100.1/128", "RESERVED", /IPv4-mapped/],
    ["::/128", "RESERVED", /unspecified address \(RFC 4291 §2\.5\.2\)/],
    ["fec0::/10", "RESERVED", /site-local .*RFC 3879/],
    ["fec0:1::/32", "RESERVED", /site-local/],
    ["feff::/16", "RESERVED", /site-local/],
    ["169.254.0.0/16", "LINK_LOCAL", /IPv4 link-local \(RFC 3927\)/],
    ["169.254.10.0/24", "LINK_LOCAL", /IPv4 link-local/],
  ])("%s is refused as %s with a one-line reason", (text, code, message) => {
    const [got, why] = refusal(text);
    expect(got).toBe(code);
    expect(why).toMatch(message);
    expect(why.startsWith(text)).toBe(true);
  });

  it.each(["::/0", "0.0.0.0/0"])("%s is still the default route, allowed with allowDefault", (text) => {
    expect(parsePrefix(text, { allowDefault: true }).text).toBe(text);
  });

  it.each(["169.0.0.0/8", "fd00::/8", "2001:db8::/32", "::fffe:0:0/96", "fe00::/9", "100::/64"])(
    "%s, next to a gap, is still accepted",
    (text) => {
      expect(parsePrefix(text).text).toBe(text);
    },
  );
});

describe("parsePrefix (SPEC §2 refusals)", () => {
  it("accepts and canonicalises", () => {
    expect(parsePrefix("198.51.100.0/24")).toMatchObject({
      family: "ipv4",
      length: 24,
      text: "198.51.100.0/24",
    });
    expect(parsePrefix("2001:DB8:42:0::/48")).toMatchObject({
      family: "ipv6",
      length: 48,
      text: "2001:db8:42::/48",
    });
    expect(parsePrefix("0.0.0.0/0", { allowDefault: true }).text).toBe("0.0.0.0/0");
  });

  it("refuses host bits and says what was meant", () => {
    expect(refusal("198.51.100.1/24")).toEqual([
      "HOST_BITS",
      "198.51.100.1/24 has host bits set; did you mean 198.51.100.0/24?",
    ]);
    expect(refusal("2001:db8:42::1/48")[1]).toMatch(/did you mean 2001:db8:42::\/48\?/);
  });

  it.each([
    ["224.0.0.0/4", "MULTICAST"],
    ["ff02::/16", "MULTICAST"],
    ["127.0.0.0/8", "LOOPBACK"],
    ["::1/128", "LOOPBACK"],
    ["fe80::/64", "LINK_LOCAL"],
    ["0.0.0.0/0", "DEFAULT_ROUTE"],
    ["::/0", "DEFAULT_ROUTE"],
    ["0.0.0.0/8", "RESERVED"],
    ["240.0.0.0/4", "RESERVED"],
    ["198.51.100.0", "INVALID_PREFIX"],
    ["198.51.100.0/33", "INVALID_PREFIX"],
    ["198.51.300.0/24", "INVALID_PREFIX"],
    ["nonsense/8", "INVALID_PREFIX"],
  ])("%s is refused with %s", (text, code) => {
    const [got, message] = refusal(text);
    expect(got).toBe(code);
    expect(message).not.toContain("\n");
  });

  it("prefixContains", () => {
    const p = (t: string) => parsePrefix(t);
    expect(prefixContains(p("198.51.100.0/22"), p("198.51.101.0/24"))).toBe(true);
    expect(prefixContains(p("198.51.100.0/24"), p("198.51.100.0/22"))).toBe(false);
    expect(prefixContains(p("2001:db8::/32"), p("2001:db8:42::/48"))).toBe(true);
    expect(prefixContains(p("2001:db8::/32"), p("198.51.100.0/24"))).toBe(false);
  });
});
