import { describe, expect, it } from "vitest";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { FAST_COALESCE_MS } from "../../src/speaker/schedule.js";
import type { SpeakerOptions } from "../../src/speaker/speaker.js";
import type { AuthConfig, LinkState, SendAction } from "../../src/speaker/types.js";
import { parseIpv4 } from "../../src/wire/address.js";
import { cryptoAuthFor, sign, verify } from "../../src/wire/auth.js";
import * as ripng from "../../src/wire/ripng.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { speakerOnEth0 } from "../helpers/speaker.js";

const LINK: LinkState = {
  name: "eth0",
  ipv4: [{ address: "192.0.2.2", prefixLength: 24 }],
  ipv6LinkLocal: "fe80::2",
  mtu: 1500,
};
const GATEWAY = "192.0.2.1";

function speaker(overrides: Partial<SpeakerOptions> = {}, auth: AuthConfig = { mode: "none" }, t0 = 1000) {
  const s = speakerOnEth0(auth, overrides, t0);
  return s;
}

const route = (text: string, metric = 1, owner?: string) => ({
  prefix: parsePrefix(text),
  metric,
  tag: 0,
  owner,
});
const v2 = (a: SendAction) => ripv2.decode(a.bytes).value;
const ng = (a: SendAction) => ripng.decode(a.bytes).value;
const v4Sends = (actions: SendAction[]) => actions.filter((a) => a.family === "ipv4");

describe("Speaker: announcing and withdrawing", () => {
  it("greets a new link with a whole-table Request and a full update", () => {
    const s = speaker();
    s.announce(route("198.51.100.0/24"), 1000);
    const out = s.setLinks([LINK]);
    expect(
      out.map((a) => [a.family, a.destination, a.port, a.family === "ipv4" ? v2(a).command : ng(a).command]),
    ).toEqual([
      ["ipv4", "224.0.0.9", 520, "request"],
      ["ipv6", "ff02::9", 521, "request"],
      ["ipv4", "224.0.0.9", 520, "response"],
    ]);
  });

  it("sends a triggered update FAST_COALESCE_MS after an announce, carrying only the change", () => {
    const s = speaker();
    s.announce(route("198.51.100.0/24"), 1000);
    s.setLinks([LINK]);
    expect(s.tick(1010)).toEqual([]); // the greeting already carried the announce
    expect(s.announce(route("203.0.113.0/24", 2), 5000)).toBe(true);
    expect(s.announce(route("203.0.113.0/24", 2), 5001)).toBe(false); // idempotent
    expect(s.nextWakeAt()).toBe(5000 + FAST_COALESCE_MS);
    expect(s.tick(5000 + FAST_COALESCE_MS - 1)).toEqual([]);
    const out = s.tick(5000 + FAST_COALESCE_MS);
    expect(out).toHaveLength(1);
    expect(v2(out[0]!).entries).toEqual([
      { afi: 2, tag: 0, address: parseIpv4("203.0.113.0"), mask: 0xffffff00, nextHop: 0, metric: 2 },
    ]);
  });

  it("says whether a change still waits for its update, and counts the updates that took changes", () => {
    const s = speaker();
    s.setLinks([LINK]);
    expect(s.updatePending).toBe(false); // nothing changed: a hook need not wait
    s.announce(route("203.0.113.0/24"), 5000);
    expect(s.announce(route("203.0.113.0/24"), 5000)).toBe(false);
    const before = s.updatesTaken;
    expect(s.updatePending).toBe(true);
    expect(s.tick(5000 + FAST_COALESCE_MS)).toHaveLength(1);
    expect(s.updatePending).toBe(false);
    expect(s.updatesTaken).toBe(before + 1);
    expect(s.tick(5100)).toEqual([]); // nothing due: no update took anything
    expect(s.updatesTaken).toBe(before + 1);
  });

  it("changes held back while a paced update leaves coalesce: a flapping prefix goes out once, as it is now", () => {
    const s = speaker();
    s.setLinks([LINK]);
    for (let i = 0; i < 100; i++) {
      s.announce(route("203.0.113.0/24", 1 + (i % 3)), 5000 + i);
      s.withdraw("203.0.113.0/24", 5000 + i);
    }
    s.announce(route("203.0.113.0/24", 7), 5200);
    const out = s.tick(9000); // the host ticks only once the previous update has left
    expect(out).toHaveLength(1);
    expect(v2(out[0]!).entries.map((e) => e.metric)).toEqual([7]);
  });

  it("withdraws with metric 16 at once and repeats it until the garbage time ends", () => {
    const s = speaker({ timers: { updateMs: 30_000, garbageMs: 120_000 } });
    s.announce(route("2001:db8:42::/48"), 1000);
    s.setLinks([LINK]);
    s.withdraw("2001:db8:42::/48", 2000);
    const [withdrawal] = s.tick(2010);
    expect(ng(withdrawal!).entries[0]!.metric).toBe(16);
    // Every periodic update until 2000 + 120 s still carries it with metric 16.
    let t = 2010;
    let periodicWithIt = 0;
    while (t < 2000 + 200_000) {
      t = s.nextWakeAt();
      const sent = s.tick(t).filter((a) => a.family === "ipv6");
      if (sent.length > 0) {
        expect(t).toBeLessThan(2000 + 120_000 + 35_000);
        expect(ng(sent[0]!).entries[0]!.metric).toBe(16);
        periodicWithIt++;
      }
    }
    expect(periodicWithIt).toBe(4); // at 31 s, 61 s, 91 s, 121 s... until 122 s
    expect(s.table.get("2001:db8:42::/48")).toBeUndefined();
  });

  it("withdraws every route an owner had, in one triggered update", () => {
    const s = speaker();
    s.setLinks([LINK]);
    s.announce(route("198.51.100.0/24", 1, "tap0"), 1000);
    s.announce(route("2001:db8:42::/48", 1, "tap0"), 1000);
    s.announce(route("203.0.113.0/24", 1, "tap1"), 1000);
    s.tick(1010);
    // the owner's routes are the daemon's route store's to know (issue 15); the speaker withdraws each
    expect(s.withdraw("198.51.100.0/24", 2000) && s.withdraw("2001:db8:42::/48", 2000)).toBe(true);
    const out = s.tick(2010);
    expect(
      out.map((a) => (a.family === "ipv4" ? v2(a).entries[0]!.metric : ng(a).entries[0]!.metric)),
    ).toEqual([16, 16]);
  });

  it("shutdown poisons everything at once", () => {
    const s = speaker();
    s.setLinks([LINK]);
    for (let i = 0; i < 30; i++) s.announce(route(`198.18.${i}.0/24`), 1000);
    const out = s.shutdown(1001);
    expect(out).toHaveLength(2); // 30 routes: 25 + 5
    expect(out.flatMap((a) => v2(a).entries).every((e) => e.metric === 16)).toBe(true);
  });

  it("periodic updates come every 30 s ± jitter and carry the whole table", () => {
    let r = 0;
    const s = speaker({ random: () => r });
    s.setLinks([LINK]);
    s.announce(route("198.51.100.0/24"), 1000);
    s.tick(1010);
    expect(s.nextWakeAt()).toBe(1000 + 25_000); // random 0 → -5 s
    r = 1;
    expect(s.tick(26_000)).toHaveLength(1);
    expect(s.nextWakeAt()).toBe(26_000 + 35_000);
  });

  it("an unchanged table's periodic update resends the same datagrams; any change rebuilds them", () => {
    const s = speaker({ timers: { updateMs: 30_000 } });
    s.announce(route("198.51.100.0/24"), 1000);
    s.announce(route("2001:db8:42::/64"), 1000);
    s.setLinks([LINK]);
    const at = (t: number) => s.tick(t).map((a) => a.bytes);
    const first = at(40_000);
    expect(first).toHaveLength(2);
    s.setLinks([{ ...LINK }]); // the next poll: an equal link state is not a change
    const second = at(80_000);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    s.announce(route("203.0.113.0/24"), 90_000);
    s.tick(90_000 + FAST_COALESCE_MS);
    const third = at(130_000);
    expect(third[0]).not.toBe(first[0]);
    expect(v2({ bytes: third[0]! } as SendAction).entries).toHaveLength(2);
  });

  it("with a crypto key every periodic update is signed anew (RFC 4822 sequence numbers)", () => {
    const key = { id: 1, secret: Buffer.from("s3cret") };
    let now = 1_800_000_000;
    const s = speaker(
      { timers: { updateMs: 30_000 }, unixSeconds: () => now },
      { mode: "hmac-sha256", keys: [key] },
    );
    s.announce(route("198.51.100.0/24"), 1000);
    s.setLinks([LINK]);
    const a = v4Sends(s.tick(40_000))[0]!;
    now += 40;
    const b = v4Sends(s.tick(80_000))[0]!;
    expect(b.bytes).not.toBe(a.bytes);
    expect(v2(b).auth).not.toEqual(v2(a).auth);
  });

  it("while a periodic update leaves, only a triggered one is built: a new prefix's part may overtake it, the rest queues behind", () => {
    const s = speaker();
    s.announce(route("198.51.100.0/24"), 1000);
    s.setLinks([LINK]); // the greeting: a whole-table update, so 198.51.100.0/24 is in queued datagrams
    s.announce(route("203.0.113.0/24"), 2000); // a new VM: in no queued datagram
    s.withdraw("198.51.100.0/24", 2000); // in the queued full update with metric 1
    const at = 2000 + FAST_COALESCE_MS;
    expect(s.nextWakeAt({ periodic: false })).toBe(at);
    const update = s.update(at + 60_000, { periodic: false }); // the periodic is overdue, and skipped
    expect(update.kind).toBe("triggered");
    expect(update.urgent.flatMap((a) => v2(a).entries.map((e) => [e.address, e.metric]))).toEqual([
      [parseIpv4("203.0.113.0"), 1],
    ]);
    expect(update.actions.flatMap((a) => v2(a).entries.map((e) => [e.address, e.metric]))).toEqual([
      [parseIpv4("198.51.100.0"), 16],
    ]);
    // nothing until the periodic has left but the withdrawn route's garbage time
    expect(s.nextWakeAt({ periodic: false })).toBe(2000 + 120_000);
    expect(s.update(at + 60_001).kind).toBe("periodic");
  });

  it("on a link with crypto authentication nothing overtakes (RFC 4822 §3: sequence numbers must not go backwards)", () => {
    const auth: AuthConfig = { mode: "hmac-sha256", keys: [{ id: 1, secret: Buffer.from("s3cret") }] };
    const s = speaker({}, auth);
    s.setLinks([LINK]);
    s.announce(route("203.0.113.0/24"), 2000);
    const update = s.update(2000 + FAST_COALESCE_MS, { periodic: false });
    expect(update.urgent).toEqual([]);
    expect(update.actions).toHaveLength(1);
  });

  it("rfc mode holds triggered updates 1-5 s apart (RFC 2453 §3.10.1)", () => {
    const s = speaker({ triggered: "rfc", random: () => 0.5 });
    s.setLinks([LINK]);
    s.announce(route("198.51.100.0/24"), 2000);
    expect(s.tick(2000)).toHaveLength(1);
    s.announce(route("203.0.113.0/24"), 2100);
    expect(s.tick(2100)).toEqual([]);
    expect(s.nextWakeAt()).toBe(2000 + 3000);
    expect(v2(s.tick(5000)[0]!).entries).toHaveLength(1);
  });

  it("splits large tables into the fewest packets", () => {
    const s = speaker();
    for (let i = 0; i < 60; i++) s.announce(route(`198.18.${i}.0/24`), 1000);
    const updates = v4Sends(s.setLinks([LINK])).filter((a) => v2(a).command === "response");
    expect(updates.map((a) => v2(a).entries.length)).toEqual([25, 25, 10]);
  });
});

describe("Speaker: authentication and sequence numbers", () => {
  const keys = [{ id: 3, secret: Buffer.from("s3cret") }];
  const auth: AuthConfig = { mode: "hmac-sha256", keys };

  it("signs every RIPv2 packet with sequence numbers from Unix time that never go backwards", () => {
    let unix = 1_800_000_000;
    const s = speaker({ unixSeconds: () => unix, initialSequence: 1_800_000_100 }, auth);
    s.announce(route("198.51.100.0/24"), 1000);
    const out = v4Sends(s.setLinks([LINK]));
    const sequences = out.map((a) => (v2(a).auth as ripv2.CryptoAuth).sequence);
    expect(sequences).toEqual([1_800_000_101, 1_800_000_101]); // one update session: Request + update
    for (const a of out)
      expect(verify(a.bytes, [{ ...keys[0]!, algorithm: "hmac-sha256" }]).verified).toBe(true);
    unix = 1_900_000_000;
    s.announce(route("203.0.113.0/24"), 2000);
    expect((v2(s.tick(2010)[0]!).auth as ripv2.CryptoAuth).sequence).toBe(1_900_000_000);
    expect(s.sequence).toBe(1_900_000_000);
  });
});

describe("Speaker: what it hears", () => {
  const response = (entries: ripv2.Ripv2Entry[]) =>
    ripv2.encode({ command: "response", version: 2, entries });
  const entry = (address: string, metric = 1) => ({
    afi: 2,
    tag: 0,
    address: parseIpv4(address),
    mask: 0xffffff00,
    nextHop: 0,
    metric,
  });

  function withLink(auth: AuthConfig = { mode: "none" }) {
    const s = speaker({}, auth);
    s.setLinks([LINK]);
    return s;
  }

  it("records a neighbour, its routes and its bad routes", () => {
    const s = withLink();
    s.receive(
      {
        family: "ipv4",
        bytes: response([entry("198.18.1.0"), entry("198.18.2.0", 17)]),
        source: GATEWAY,
        sourcePort: 520,
      },
      5000,
    );
    const [n] = s.neighbors.all();
    expect(n).toMatchObject({
      address: GATEWAY,
      interface: "eth0",
      version: 2,
      lastHeard: 5000,
      badRoutes: 1,
      badPackets: 0,
    });
    expect([...n!.routes.keys()]).toEqual(["198.18.1.0/24"]);
  });

  it.each([
    ["a Response from a port other than 520", { sourcePort: 5353 }, "BAD_PORT"],
    ["a source not on the link", { source: "198.51.100.7" }, "NOT_ON_LINK"],
    ["a malformed datagram", { bytes: Uint8Array.of(2, 2, 0, 0, 1) }, "MALFORMED"],
  ])("drops %s and counts it", (_name, change, reason) => {
    const drops: string[] = [];
    const s = speaker({ events: { drop: (d) => drops.push(d.reason) } });
    s.setLinks([LINK]);
    s.receive(
      { family: "ipv4", bytes: response([entry("198.18.1.0")]), source: GATEWAY, sourcePort: 520, ...change },
      5000,
    );
    expect(drops).toEqual([reason]);
    expect(s.counters.packetsDropped).toBe(1);
    expect(s.neighbors.all()[0]!.drops).toEqual({ [reason]: 1 });
  });

  it("drops RIPng Responses that are not from a link-local source (RFC 2080 §2.4.2)", () => {
    const s = withLink();
    const bytes = ripng.encode({ command: "response", version: 1, entries: [] });
    s.receive({ family: "ipv6", bytes, source: "2001:db8::1", sourcePort: 521, interface: "eth0" }, 1);
    s.receive({ family: "ipv6", bytes, source: "fe80::1%eth0", sourcePort: 521 }, 2);
    expect(s.neighbors.all().map((n) => [n.address, n.badPackets, n.lastHeard])).toEqual([
      ["2001:db8::1", 1, undefined],
      ["fe80::1", 0, 2],
    ]);
  });

  it("knows a zoneless global source's link by its prefix, as the real transport delivers it", () => {
    const reasons: { reason: string; iface: string }[] = [];
    const s = speaker({
      events: { drop: (d) => reasons.push({ reason: d.reason, iface: d.neighbor.interface }) },
    });
    s.announce(route("2001:db8:42::/64"), 0);
    s.setLinks([{ ...LINK, ipv6: [{ address: "2001:db8:1::2", prefixLength: 64 }] }]);
    const response = ripng.encode({ command: "response", version: 1, entries: [] });
    s.receive({ family: "ipv6", bytes: response, source: "2001:db8:1::3", sourcePort: 521 }, 1);
    s.receive({ family: "ipv6", bytes: response, source: "2001:db8:2::3", sourcePort: 521 }, 2);
    expect(reasons).toEqual([
      { reason: "NOT_LINK_LOCAL", iface: "eth0" }, // RFC 2080 §2.4.2: on the link, but not link-local
      { reason: "NOT_ON_LINK", iface: "?" },
    ]);
    // a diagnostic Request from a global address on the link is answered (RFC 2080 §2.4.1)
    const request = ripng.encode({
      command: "request",
      version: 1,
      entries: [{ prefix: [0, 0, 0, 0], tag: 0, prefixLength: 0, metric: 16 }],
    });
    const out = s.receive({ family: "ipv6", bytes: request, source: "2001:db8:1::3", sourcePort: 4242 }, 3);
    expect(out.map((a) => [a.interface, a.destination, a.port])).toEqual([["eth0", "2001:db8:1::3", 4242]]);
  });

  it("drops unauthenticated, wrongly signed and replayed packets on an authenticated link", () => {
    const key = { id: 3, secret: Buffer.from("s3cret"), algorithm: "md5" as const };
    const s = withLink({ mode: "md5", keys: [{ id: 3, secret: key.secret }] });
    const signed = (sequence: number, k = key) => {
      const bytes = ripv2.encode({
        command: "response",
        version: 2,
        auth: cryptoAuthFor(k, sequence, 20),
        entries: [entry("198.18.1.0")],
      });
      sign(bytes, k);
      return bytes;
    };
    const from = (bytes: Uint8Array) =>
      s.receive({ family: "ipv4", bytes, source: GATEWAY, sourcePort: 520 }, 1);
    from(response([entry("198.18.1.0")]));
    from(signed(100, { ...key, secret: Buffer.from("wrong") }));
    from(signed(100));
    from(signed(99));
    from(signed(0)); // a restarted BIRD starts from 0
    expect(s.neighbors.all()[0]!.drops).toEqual({ AUTH_MISSING: 1, AUTH_FAILED: 1, AUTH_REPLAY: 1 });
  });

  it("answers a whole-table Request to the requester's address and port", () => {
    const s = withLink();
    s.announce(route("198.51.100.0/24"), 1);
    const request = ripv2.encode({
      command: "request",
      version: 2,
      entries: [{ afi: 0, tag: 0, address: 0, mask: 0, nextHop: 0, metric: 16 }],
    });
    const out = s.receive({ family: "ipv4", bytes: request, source: GATEWAY, sourcePort: 40000 }, 2);
    expect(out.map((a) => [a.destination, a.port, v2(a).command, v2(a).entries.length])).toEqual([
      [GATEWAY, 40000, "response", 1],
    ]);
  });

  it("answers a specific Request entry by entry with our metrics", () => {
    const s = withLink();
    s.announce(route("198.51.100.0/24", 3), 1);
    const request = ripv2.encode({
      command: "request",
      version: 2,
      entries: [entry("198.51.100.0", 16), entry("203.0.113.0", 16)],
    });
    const [answer] = s.receive({ family: "ipv4", bytes: request, source: GATEWAY, sourcePort: 520 }, 2);
    expect(v2(answer!).entries.map((e) => e.metric)).toEqual([3, 16]);
  });

  it("ignores its own packets", () => {
    const s = withLink();
    s.receive(
      { family: "ipv4", bytes: response([entry("198.18.1.0")]), source: "192.0.2.2", sourcePort: 520 },
      1,
    );
    expect(s.neighbors.all()).toEqual([]);
  });

  it("stops using a link that went away", () => {
    const s = withLink();
    s.setLinks([]);
    s.announce(route("198.51.100.0/24"), 1);
    expect(s.tick(11)).toEqual([]);
  });
});

describe("Speaker: sequence numbers are drawn only for crypto auth", () => {
  it("a plain or password link never advances the persisted counter", () => {
    for (const auth of [{ mode: "none" }, { mode: "simple", password: Buffer.from("pw") }] as AuthConfig[]) {
      const s = speaker({ initialSequence: 7 }, auth);
      s.announce(route("198.51.100.0/24"), 1000);
      s.setLinks([LINK]);
      s.tick(40_000);
      expect(s.sequence).toBe(7);
    }
  });
});
