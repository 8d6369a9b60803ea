/** Sequence exhaustion (RFC 4822 §3, issue 13): saturate at 2^32−1, say so once, never throw. */
import { describe, expect, it } from "vitest";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { clampSequence, MAX_SEQUENCE } from "../../src/speaker/sequence.js";
import { Speaker } from "../../src/speaker/speaker.js";
import type { LinkState } from "../../src/speaker/types.js";
import { verify } from "../../src/wire/auth.js";
import * as ripv2 from "../../src/wire/ripv2.js";

const LINK: LinkState = { name: "eth0", ipv4: [{ address: "192.0.2.2", prefixLength: 24 }], mtu: 1500 };
const KEY = { id: 3, secret: Buffer.from("s3cret"), algorithm: "hmac-sha256" as const };

function signingSpeaker(initialSequence: number, exhausted: number[]) {
  return new Speaker(
    {
      interfaces: [
        {
          name: "eth0",
          ipv4: {
            auth: { mode: "hmac-sha256", keys: [{ id: 3, secret: KEY.secret }] },
            neighbors: [],
            multicast: true,
          },
        },
      ],
      timers: { updateMs: 30_000 },
      random: () => 0.5,
      unixSeconds: () => 1_800_000_000,
      initialSequence,
      events: { sequenceExhausted: ({ sequence }) => exhausted.push(sequence) },
    },
    0,
  );
}

describe("sequence exhaustion", () => {
  it("from 2^32−2, many updates: no throw, still signed, saturated at 2^32−1, flag set, event once", () => {
    const exhausted: number[] = [];
    const s = signingSpeaker(2 ** 32 - 2, exhausted);
    s.announce({ prefix: parsePrefix("198.51.100.0/24"), metric: 1, tag: 0 }, 0);
    s.setLinks([LINK]); // takes 2^32−1
    expect(s.sequenceExhausted).toBe(false);
    let now = 0;
    for (let i = 0; i < 50; i++) {
      now = s.nextWakeAt();
      const out = s.tick(now);
      for (const a of out) {
        expect(verify(a.bytes, [KEY]).verified).toBe(true);
        expect((ripv2.decode(a.bytes).value.auth as ripv2.CryptoAuth).sequence).toBe(MAX_SEQUENCE);
      }
    }
    expect(s.sequence).toBe(MAX_SEQUENCE);
    expect(s.sequenceExhausted).toBe(true);
    expect(exhausted).toEqual([MAX_SEQUENCE]);
    expect(s.shutdown(now + 1).every((a) => verify(a.bytes, [KEY]).verified)).toBe(true);
  });

  it("a saved number out of range or not an integer is clamped, not fatal", () => {
    expect(clampSequence(2 ** 40)).toBe(MAX_SEQUENCE);
    expect(clampSequence(12.7)).toBe(12);
    expect(clampSequence(-5)).toBe(0);
    expect(clampSequence(Number.NaN)).toBe(0);
    expect(clampSequence(undefined)).toBe(0);
    const s = signingSpeaker(2 ** 40, []);
    s.announce({ prefix: parsePrefix("198.51.100.0/24"), metric: 1, tag: 0 }, 0);
    expect(() => s.setLinks([LINK])).not.toThrow();
    expect(s.sequence).toBe(MAX_SEQUENCE);
    expect(s.sequenceExhausted).toBe(true);
  });
});
