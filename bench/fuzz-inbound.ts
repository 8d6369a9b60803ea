/**
 * The inbound fuzz target: a Speaker set up as the daemon sets one up (interface eth0 with IPv4 under
 * one auth mode and IPv6, a link with an address of each, routes of both families announced) is fed
 * datagrams from any source, and after each one these must hold:
 * - receive() returns: it runs in the socket's message handler, where a throw ends the daemon;
 * - the datagram is counted once: packetsReceived + 1, and exactly one of a drop (with its drop event),
 *   an answered Request or an accepted Response (its neighbour's lastHeard = now); only our own
 *   address, looped back, may be ignored without a trace;
 * - a datagram the family's decoder rejects is dropped as MALFORMED (or before decoding, as not on a
 *   link or an interface), and MALFORMED is never given to one it accepts;
 * - an accepted Response decoded, came from the RIP port (RFC 2453 §3.9.2, RFC 2080 §2.4.2), from a
 *   link-local source for RIPng, and verifies when the interface requires authentication;
 * - the neighbour table stays within DEFAULT_NEIGHBORS;
 * - every reply goes to the requester's address and port on eth0, decodes as a Response, verifies with
 *   the interface's keys, and fits 512 bytes (RIPv2) or the request's size or the MTU (RIPng).
 */
import fc from "fast-check";
import { withoutZone } from "../src/speaker/inbound.js";
import { DEFAULT_NEIGHBORS, type DropReason } from "../src/speaker/neighbors.js";
import { parsePrefix } from "../src/speaker/prefix.js";
import { Speaker } from "../src/speaker/speaker.js";
import type { AuthConfig, Family, Inbound, LinkState, SendAction } from "../src/speaker/types.js";
import { formatIpv4, formatIpv6 } from "../src/wire/address.js";
import { type AuthKey, verify } from "../src/wire/auth.js";
import {
  IPV6_HEADER_BYTES,
  RIP_PORT,
  RIPNG_PORT,
  RIPV2_MAX_PACKET_BYTES,
  UDP_HEADER_BYTES,
} from "../src/wire/constants.js";
import * as ripng from "../src/wire/ripng.js";
import * as ripv2 from "../src/wire/ripv2.js";
import { attempt, check, type FuzzTarget, target } from "./fuzz-check.js";

export interface InboundCase {
  family: Family;
  source: string;
  sourcePort: number;
  interface?: string;
  bytes: Uint8Array;
}

const LINK: LinkState = {
  name: "eth0",
  ipv4: [{ address: "192.0.2.2", prefixLength: 24 }],
  ipv6LinkLocal: "fe80::2",
  mtu: 1500,
};
const OWN = new Set(["192.0.2.2", "fe80::2"]);
const T0 = 1_000_000;
const STEP_MS = 10;
/** Drops that happen before the datagram is decoded. */
const BEFORE_DECODING: ReadonlySet<DropReason> = new Set(["NOT_ON_LINK", "UNKNOWN_INTERFACE"]);

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4Source = fc.oneof(
  { weight: 4, arbitrary: fc.constant("192.0.2.1") }, // the FRR/BIRD peer of the captures
  { weight: 2, arbitrary: fc.nat(255).map((n) => `192.0.2.${n}`) }, // on-link, our own .2 included
  { weight: 2, arbitrary: u32.map(formatIpv4) }, // mostly off-link
  { weight: 1, arbitrary: fc.constantFrom("", "bogus", "192.0.2.1%eth0", "::ffff:192.0.2.1", "192.0.2.01") },
);
const ipv6Source = fc.oneof(
  { weight: 4, arbitrary: fc.constant("fe80::ff:fe00:1%eth0") },
  {
    weight: 2,
    arbitrary: fc.constantFrom("fe80::ff:fe00:1", "fe80::1%eth9", "FE80::1%eth0", "fe80::2%eth0", "fe80::2"),
  },
  { weight: 2, arbitrary: fc.constantFrom("2001:db8::1", "2001:db8::1%eth0", "::1", "::", "ff02::9%eth0") },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.tuple(u32, u32, u32, u32), fc.constantFrom("", "%eth0", "%eth9", "%"))
      .map(([words, zone]) => `${formatIpv6(words)}${zone}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const addressed = fc.oneof(
  { weight: 5, arbitrary: fc.record({ family: fc.constant<Family>("ipv4"), source: ipv4Source }) },
  { weight: 5, arbitrary: fc.record({ family: fc.constant<Family>("ipv6"), source: ipv6Source }) },
  { weight: 1, arbitrary: fc.record({ family: fc.constant<Family>("ipv4"), source: ipv6Source }) },
  { weight: 1, arbitrary: fc.record({ family: fc.constant<Family>("ipv6"), source: ipv4Source }) },
);

/** Any datagram from any source, port and (known, unknown or unknown-to-the-transport) interface. */
export function inboundCase(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<InboundCase> {
  return fc
    .record({
      addressed,
      sourcePort: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(RIP_PORT, RIPNG_PORT) }, fc.nat(0xffff)),
      interface: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) }, // the daemon's transport never knows it
        { weight: 2, arbitrary: fc.constant("eth0") },
        { weight: 1, arbitrary: fc.constant("eth9") },
      ),
      bytes,
    })
    .map(({ addressed, interface: iface, ...rest }) =>
      iface === undefined ? { ...addressed, ...rest } : { ...addressed, ...rest, interface: iface },
    );
}

/**
 * Fixture form: family (4 or 6), source port (u16), source length (u8) and UTF-8 text, interface
 * length (u8; 0 = not known) and text, then the datagram.
 */
export function inboundToBytes(c: InboundCase): Uint8Array {
  const source = Buffer.from(c.source, "utf8");
  const iface = Buffer.from(c.interface ?? "", "utf8");
  if (source.length > 255 || iface.length > 255)
    throw new Error("source or interface too long for a fixture");
  const head = [c.family === "ipv4" ? 4 : 6, c.sourcePort >> 8, c.sourcePort & 0xff, source.length];
  return Buffer.concat([Uint8Array.from(head), source, Uint8Array.of(iface.length), iface, c.bytes]);
}

export function inboundFromBytes(bytes: Uint8Array): InboundCase {
  const text = (from: number, length: number) =>
    Buffer.from(bytes.subarray(from, from + length)).toString("utf8");
  const sourceLength = bytes[3] ?? 0;
  const ifaceAt = 4 + sourceLength;
  const ifaceLength = bytes[ifaceAt] ?? 0;
  const c: InboundCase = {
    family: bytes[0] === 6 ? "ipv6" : "ipv4",
    sourcePort: ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0),
    source: text(4, sourceLength),
    bytes: bytes.slice(ifaceAt + 1 + ifaceLength),
  };
  return ifaceLength > 0 ? { ...c, interface: text(ifaceAt + 1, ifaceLength) } : c;
}

/** One speaker for a target's whole run, so the neighbour table and sequence numbers build up. */
class InboundHarness {
  readonly speaker: Speaker;
  readonly keys: AuthKey[];
  now = T0;
  dropEvents = 0;
  lastDrop: DropReason | undefined;

  constructor(readonly auth: AuthConfig) {
    this.speaker = new Speaker(
      {
        interfaces: [
          {
            name: "eth0",
            ipv4: { auth, neighbors: [], multicast: true },
            ipv6: { neighbors: [], multicast: true },
          },
        ],
        random: () => 0.5, // jitter only: fixed, so a seed replays the same run
        unixSeconds: () => 1_800_000_000 + Math.floor(this.now / 1000),
        events: {
          drop: ({ reason }) => {
            this.dropEvents++;
            this.lastDrop = reason;
          },
        },
      },
      T0,
    );
    this.keys =
      auth.mode === "none" || auth.mode === "simple"
        ? []
        : auth.keys.map((k) => ({ ...k, algorithm: auth.mode as Exclude<typeof auth.mode, "simple"> }));
    // 30 IPv4 routes (two Responses under any auth) and three IPv6 ones, so replies have content.
    for (let i = 1; i <= 30; i++)
      this.speaker.announce({ prefix: parsePrefix(`10.${i}.0.0/16`), metric: 1, tag: 0 }, T0);
    for (let i = 1; i <= 3; i++)
      this.speaker.announce({ prefix: parsePrefix(`2001:db8:${i}::/48`), metric: 2, tag: 0 }, T0);
    this.speaker.setLinks([LINK]);
  }

  run(c: InboundCase): void {
    this.now += STEP_MS;
    if (this.now >= this.speaker.nextWakeAt()) this.speaker.tick(this.now);
    const before = { ...this.speaker.counters, dropEvents: this.dropEvents };
    const inbound: Inbound = {
      family: c.family,
      bytes: Buffer.from(c.bytes), // as dgram delivers it: a Buffer, often at an offset in a pool
      source: c.source,
      sourcePort: c.sourcePort,
      ...(c.interface === undefined ? {} : { interface: c.interface }),
    };
    const out = this.speaker.receive(inbound, this.now);
    this.checkAccounting(c, before, out);
    check(this.speaker.neighbors.all().length <= DEFAULT_NEIGHBORS, "neighbour table bounded", () => "grew");
    for (const action of out) this.checkReply(c, action);
  }

  private checkAccounting(
    c: InboundCase,
    before: Speaker["counters"] & { dropEvents: number },
    out: SendAction[],
  ) {
    const counters = this.speaker.counters;
    check(counters.packetsReceived === before.packetsReceived + 1, "counted once", () => "packetsReceived");
    const dropped = counters.packetsDropped - before.packetsDropped;
    check(dropped === this.dropEvents - before.dropEvents, "a drop event per drop", () => `${dropped} drops`);
    const answered = counters.requestsAnswered - before.requestsAnswered;
    const accepted = this.speaker.neighbors.all().filter((n) => n.lastHeard === this.now).length;
    const outcomes = dropped + answered + accepted;
    const detail = () => `dropped ${dropped}, answered ${answered}, accepted ${accepted}`;
    check(outcomes === 1 || (outcomes === 0 && OWN.has(withoutZone(c.source))), "one outcome", detail);
    const decoded = attempt(
      () => (c.family === "ipv4" ? ripv2.decode(c.bytes) : ripng.decode(c.bytes)).value,
    );
    const reason = dropped === 1 ? this.lastDrop : undefined;
    if (reason === "MALFORMED") check(!decoded.ok, "MALFORMED only when undecodable", detail);
    if (!decoded.ok) {
      const early =
        outcomes === 0 || reason === "MALFORMED" || (reason !== undefined && BEFORE_DECODING.has(reason));
      check(early, "undecodable means dropped", () => `${detail()}, reason ${reason}`);
      return;
    }
    const command = decoded.value.command;
    if (accepted === 1) this.checkAccepted(c, command);
    if (answered === 1) check(command === "request" && out.length > 0, "a Request gets an answer", detail);
    else check(out.length === 0, "only Requests are answered", detail);
  }

  private checkAccepted(c: InboundCase, command: ripv2.Command): void {
    check(command === "response", "only Responses are accepted", () => command);
    const port = c.family === "ipv4" ? RIP_PORT : RIPNG_PORT;
    check(c.sourcePort === port, "Responses only from the RIP port", () => `port ${c.sourcePort}`);
    if (c.family === "ipv6") {
      const local = withoutZone(c.source).toLowerCase().startsWith("fe80:");
      check(local, "RIPng Responses only from link-local", () => c.source);
    }
    if (c.family === "ipv4" && this.keys.length > 0) {
      check(verify(c.bytes, this.keys).verified, "unsigned Response accepted", () => this.auth.mode);
    }
  }

  private checkReply(c: InboundCase, a: SendAction): void {
    const where = `${a.interface} ${a.family} ${a.destination}:${a.port}`;
    const expected = `eth0 ${c.family} ${c.source}:${c.sourcePort}`;
    check(where === expected, "reply goes back to the requester", () => `${where}, not ${expected}`);
    if (a.family === "ipv6") {
      const packet = attempt(() => ripng.decode(a.bytes).value);
      check(packet.ok && packet.value.command === "response", "reply decodes", () => "RIPng");
      const limit = Math.max(c.bytes.length, LINK.mtu - IPV6_HEADER_BYTES - UDP_HEADER_BYTES);
      check(a.bytes.length <= limit, "reply fits", () => `${a.bytes.length} bytes`);
      return;
    }
    const packet = attempt(() => ripv2.decode(a.bytes).value);
    check(packet.ok && packet.value.command === "response", "reply decodes", () => "RIPv2");
    check(a.bytes.length <= RIPV2_MAX_PACKET_BYTES, "reply fits", () => `${a.bytes.length} bytes`);
    if (this.keys.length > 0)
      check(verify(a.bytes, this.keys).verified, "reply is signed", () => this.auth.mode);
  }
}

/** The inbound target for one IPv4 auth mode, with a fresh speaker. */
export function inboundTarget(name: string, auth: AuthConfig, bytes: fc.Arbitrary<Uint8Array>): FuzzTarget {
  const harness = new InboundHarness(auth);
  return target<InboundCase>({
    name,
    input: inboundCase(bytes),
    run: (c) => harness.run(c),
    toBytes: inboundToBytes,
    fromBytes: inboundFromBytes,
  });
}
