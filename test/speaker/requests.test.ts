/**
 * The Request policy (issue 13): unauthenticated Requests on an authenticated link, one whole-table
 * answer in flight per interface and family, per-source and per-interface rates, bounded memory under
 * forged sources, and sequence numbers drawn only for answers that are sent. Fake clock throughout.
 */

import { describe, expect, it } from "vitest";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { REQUEST_LIMITS, RequestPolicy } from "../../src/speaker/request-policy.js";
import type { SpeakerOptions } from "../../src/speaker/speaker.js";
import type { AuthConfig, Inbound, LinkState, SendAction } from "../../src/speaker/types.js";
import { formatIpv4, parseIpv4 } from "../../src/wire/address.js";
import { type CryptoAlgorithm, cryptoAuthFor, sign, verify } from "../../src/wire/auth.js";
import * as ripng from "../../src/wire/ripng.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { speakerOnEth0 } from "../helpers/speaker.js";

/** A /16 uplink, so 10,000 different on-link sources exist. */
const LINK: LinkState = {
  name: "eth0",
  ipv4: [{ address: "10.1.0.2", prefixLength: 16 }],
  ipv6LinkLocal: "fe80::2",
  mtu: 1500,
};
const GATEWAY = "10.1.0.1";
const SECRET = Buffer.from("s3cret");

function speaker(auth: AuthConfig = { mode: "none" }, routes = 0, overrides: Partial<SpeakerOptions> = {}) {
  const s = speakerOnEth0(auth, { initialSequence: 1_800_000_000, ...overrides });
  for (let i = 0; i < routes; i++) {
    s.announce({ prefix: parsePrefix(`${formatIpv4(0xc6000000 + i * 256)}/24`), metric: 1, tag: 0 }, 0);
  }
  s.announce({ prefix: parsePrefix("2001:db8:42::/48"), metric: 1, tag: 0 }, 0);
  s.setLinks([LINK]);
  s.tick(10); // the greeting's triggered update, if any: from here only answers are sent
  return s;
}

const WHOLE_V4 = { afi: 0, tag: 0, address: 0, mask: 0, nextHop: 0, metric: 16 };
const wholeTable = (auth?: ripv2.Ripv2Packet["auth"]) =>
  ripv2.encode({ command: "request", version: 2, entries: [WHOLE_V4], ...(auth ? { auth } : {}) });
const specific = () =>
  ripv2.encode({
    command: "request",
    version: 2,
    entries: [{ afi: 2, tag: 0, address: parseIpv4("198.0.0.0"), mask: 0xffffff00, nextHop: 0, metric: 16 }],
  });
const wholeTableV6 = () =>
  ripng.encode({
    command: "request",
    version: 1,
    entries: [{ prefix: [0, 0, 0, 0], tag: 0, prefixLength: 0, metric: 16 }],
  });
const from = (bytes: Uint8Array, source = GATEWAY, sourcePort = 520): Inbound => ({
  family: "ipv4",
  bytes,
  source,
  sourcePort,
});

describe("Requests on an authenticated link (RFC 2453 §3.9.1, RFC 4822 §3)", () => {
  const cases: [string, AuthConfig][] = [
    ["md5", { mode: "md5", keys: [{ id: 3, secret: SECRET }] }],
    ["hmac-sha256", { mode: "hmac-sha256", keys: [{ id: 3, secret: SECRET }] }],
    ["simple", { mode: "simple", password: SECRET }],
  ];
  it.each(cases)(
    "an unsigned Request on a %s link is dropped as AUTH_MISSING, sequence unchanged",
    (_, auth) => {
      const s = speaker(auth, 30);
      const before = s.sequence;
      expect(s.receive(from(wholeTable()), 100)).toEqual([]);
      expect(s.receive(from(specific(), GATEWAY, 40000), 200)).toEqual([]);
      expect(s.neighbors.all()[0]!.drops).toEqual({ AUTH_MISSING: 2 });
      expect(s.dropsByReason.AUTH_MISSING).toBe(2);
      expect(s.counters.requestsAnswered).toBe(0);
      expect(s.sequence).toBe(before);
    },
  );

  it("a signed whole-table Request is answered, signed with one new sequence number", () => {
    const algorithm: CryptoAlgorithm = "hmac-sha256";
    const key = { id: 3, secret: SECRET, algorithm };
    const s = speaker({ mode: algorithm, keys: [{ id: 3, secret: SECRET }] }, 30);
    const before = s.sequence;
    const request = wholeTable(cryptoAuthFor(key, 7));
    sign(request, key);
    const out = s.receive(from(request), 100);
    expect(out).toHaveLength(2); // 30 routes, 22 a packet under HMAC-SHA256
    for (const a of out) expect(verify(a.bytes, [key]).verified).toBe(true);
    expect(s.sequence).toBe(before + 1);
    expect(s.counters.requestsAnswered).toBe(1);
  });
});

describe("whole-table answers", () => {
  it("reuse the periodic update's datagrams on a plain link, to the requester's address and port", () => {
    const s = speaker({ mode: "none" }, 30, { timers: { updateMs: 30_000 } });
    const periodic = s.tick(40_000).filter((a) => a.family === "ipv4");
    const answer = s.receive(from(wholeTable(), GATEWAY, 40_001), 40_010);
    expect(answer.map((a) => [a.destination, a.port])).toEqual([
      [GATEWAY, 40_001],
      [GATEWAY, 40_001],
    ]);
    expect(answer[0]!.bytes).toBe(periodic[0]!.bytes);
    expect(answer[1]!.bytes).toBe(periodic[1]!.bytes);
  });

  it("100 whole-table Requests in 1 s from one host with 5,000 routes: at most 5 tables sent back", () => {
    const s = speaker({ mode: "none" }, 5000);
    let tables = 0;
    for (let i = 0; i < 100; i++) {
      const out = s.receive(from(wholeTable(), GATEWAY, 30_000 + i), 1000 + i * 10);
      if (out.length > 0) tables++;
      expect(out.length === 0 || out.length === 200).toBe(true); // a whole table or nothing
      s.answerDone(out); // the transport is quick: only the rate holds them back
    }
    expect(tables).toBeGreaterThanOrEqual(1);
    expect(tables).toBeLessThanOrEqual(5);
    expect(s.counters.requestsAnswered).toBe(tables);
    expect(s.dropsByReason.REQUEST_RATE).toBe(100 - tables);
    expect(s.neighbors.all()[0]!.drops.REQUEST_RATE).toBe(100 - tables);
  });

  it("one in flight per interface and family: another whole-table Request waits for answerDone", () => {
    const s = speaker({ mode: "none" }, 60);
    const first = s.receive(from(wholeTable(), "10.1.0.10"), 1000);
    expect(first).toHaveLength(3);
    expect(s.receive(from(wholeTable(), "10.1.0.11"), 1001)).toEqual([]);
    expect(s.dropsByReason.REQUEST_BUSY).toBe(1);
    // the other family has its own slot, and a specific Request is not held up
    const v6 = { family: "ipv6" as const, bytes: wholeTableV6(), source: "fe80::9%eth0", sourcePort: 521 };
    expect(s.receive(v6, 1002)).toHaveLength(1);
    expect(s.receive(from(specific(), "10.1.0.12"), 1003)).toHaveLength(1);
    s.answerDone(first);
    expect(s.receive(from(wholeTable(), "10.1.0.11"), 1004)).toHaveLength(3);
  });

  it("a slot whose answerDone never comes frees itself after the expiry", () => {
    const s = speaker({ mode: "none" }, 1);
    expect(s.receive(from(wholeTable(), "10.1.0.10"), 1000)).toHaveLength(1);
    expect(s.receive(from(wholeTable(), "10.1.0.11"), 1000 + REQUEST_LIMITS.answerExpiryMs - 1)).toEqual([]);
    expect(s.receive(from(wholeTable(), "10.1.0.11"), 1000 + REQUEST_LIMITS.answerExpiryMs)).toHaveLength(1);
  });

  it("with crypto auth a refused Request draws no sequence number", () => {
    const algorithm: CryptoAlgorithm = "md5";
    const key = { id: 3, secret: SECRET, algorithm };
    const s = speaker({ mode: algorithm, keys: [{ id: 3, secret: SECRET }] }, 30);
    const signedRequest = (sequence: number) => {
      const bytes = wholeTable(cryptoAuthFor(key, sequence));
      sign(bytes, key);
      return bytes;
    };
    const answered = s.receive(from(signedRequest(1)), 1000);
    expect(answered.length).toBeGreaterThan(0);
    const after = s.sequence;
    for (let i = 2; i < 50; i++) expect(s.receive(from(signedRequest(i)), 1000 + i)).toEqual([]);
    expect(s.sequence).toBe(after);
    expect(s.dropsByReason.REQUEST_BUSY).toBe(48);
  });

  it("10,000 forged on-link sources in 1 s: few tables, neighbours within the cap, the gateway kept", () => {
    const s = speaker({ mode: "none" }, 5000);
    // the gateway is a real neighbour: it sent a valid Response
    const response = ripv2.encode({ command: "response", version: 2, entries: [] });
    s.receive(from(response), 500);
    let tables = 0;
    for (let i = 0; i < 10_000; i++) {
      const source = formatIpv4(parseIpv4("10.1.0.0") + 3 + ((i * 7919) % 65_000));
      const out = s.receive(from(wholeTable(), source, 1024 + i), 1000 + i / 10);
      if (out.length > 0) tables++;
      s.answerDone(out);
    }
    const { burst, everyMs } = REQUEST_LIMITS.wholeTablePerInterface;
    expect(tables).toBeLessThanOrEqual(burst + Math.ceil(1000 / everyMs));
    expect(s.neighbors.all().length).toBeLessThanOrEqual(256);
    expect(s.neighbors.all().some((n) => n.address === GATEWAY)).toBe(true);
    expect(s.dropsByReason.REQUEST_RATE).toBe(10_000 - tables);
  });

  it("specific Requests have a looser per-source budget of their own", () => {
    const s = speaker({ mode: "none" }, 1);
    const { burst, everyMs } = REQUEST_LIMITS.specificPerSource;
    let answered = 0;
    for (let i = 0; i < burst + 5; i++) if (s.receive(from(specific()), 1000).length > 0) answered++;
    expect(answered).toBe(burst);
    expect(s.receive(from(specific()), 1000 + everyMs)).toHaveLength(1);
    // the whole-table budget is separate
    expect(s.receive(from(wholeTable()), 1000 + everyMs)).toHaveLength(1);
  });
});

describe("RequestPolicy", () => {
  it("remembers at most `sources` sources under 10,000 forged ones", () => {
    const policy = new RequestPolicy();
    for (let i = 0; i < 10_000; i++) {
      const token: SendAction[] = [];
      policy.admit(
        { interface: "eth0", family: "ipv4", source: `10.1.${i >> 8}.${i & 255}`, wholeTable: true },
        i,
        token,
      );
      policy.done(token);
    }
    expect(policy.sourceCount).toBe(REQUEST_LIMITS.sources);
  });
});
