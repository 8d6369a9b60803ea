/** The link poll's "same link as before?" (every 250 ms): compared field by field. */
import { describe, expect, it } from "vitest";
import { sameLinkState } from "../../src/speaker/link-state.js";
import type { LinkState } from "../../src/speaker/types.js";

const link = (over: Partial<LinkState> = {}): LinkState => ({
  name: "eth0",
  ipv4: [{ address: "192.0.2.2", prefixLength: 24 }],
  ipv6LinkLocal: "fe80::1",
  ipv6: [{ address: "2001:db8:1::2", prefixLength: 64 }],
  mtu: 1500,
  ...over,
});

describe("sameLinkState", () => {
  it("is true for equal readings, whatever the object identity", () => {
    expect(sameLinkState(link(), link())).toBe(true);
  });

  it("sees every change that must make the speaker greet the link again", () => {
    expect(sameLinkState(link(), link({ mtu: 9000 }))).toBe(false);
    expect(sameLinkState(link(), link({ ipv6LinkLocal: "fe80::2" }))).toBe(false);
    expect(sameLinkState(link(), link({ ipv4: [{ address: "192.0.2.20", prefixLength: 24 }] }))).toBe(false);
    expect(sameLinkState(link(), link({ ipv4: [{ address: "192.0.2.2", prefixLength: 25 }] }))).toBe(false);
    expect(sameLinkState(link(), link({ ipv4: [] }))).toBe(false);
    expect(sameLinkState(link(), link({ ipv6: undefined }))).toBe(false);
    expect(sameLinkState(link({ ipv6: undefined }), link({ ipv6: undefined }))).toBe(true);
  });
});
