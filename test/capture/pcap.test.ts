import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CaptureFault, type CaptureItem, readCapture } from "../../src/capture/pcap.js";
import { WireError } from "../../src/wire/errors.js";
import {
  authHeader,
  block,
  concat,
  extensionHeader,
  fragmentHeader,
  ipv4,
  ipv6,
  ipv6Address,
  linkFrame,
  type NgBlock,
  pcapFile,
  pcapngSection,
  udp,
} from "../helpers/pcap-writer.js";

// RIPv2 response: command 2, version 2, then one RTE 198.19.10.0/24 metric 1 (RFC 2453 §4).
const RIPV2 = [2, 2, 0, 0, 0, 2, 0, 0, 198, 19, 10, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 1];
// RIPng response: command 2, version 1, then one RTE 2001:db8:42::/64 metric 1 (RFC 2080 §2.1).
const RIPNG = [2, 1, 0, 0, ...ipv6Address("2001:db8:42::"), 0, 0, 64, 1];

const V4 = {
  family: "ipv4",
  source: "198.18.0.1",
  sourcePort: 520,
  destination: "224.0.0.9",
  destinationPort: 520,
};
const V6 = {
  family: "ipv6",
  source: "fe80::1",
  sourcePort: 521,
  destination: "ff02::9",
  destinationPort: 521,
};
const ripV4 = () => ipv4(V4.source, V4.destination, udp(520, 520, RIPV2));
const ripV6 = () => ipv6(V6.source, V6.destination, 17, udp(521, 521, RIPNG));
const dnsV4 = () => ipv4("192.0.2.1", "192.0.2.53", udp(40000, 53, [1, 2, 3, 4]));
const dnsV6 = () => ipv6("2001:db8::1", "2001:db8::53", 17, udp(40000, 53, [1, 2, 3, 4]));

const SECONDS = 1_700_000_000;
const EXPECTED_US = 1_700_000_000_123_456;

/** One row of the link-type matrix: the framing and which IP version it carries. */
interface LinkCase {
  name: string;
  linkType: number;
  family: "ipv4" | "ipv6";
  opts?: Parameters<typeof linkFrame>[2];
}

const LINKS: LinkCase[] = [
  { name: "Ethernet", linkType: 1, family: "ipv4" },
  { name: "Ethernet", linkType: 1, family: "ipv6" },
  { name: "Linux SLL", linkType: 113, family: "ipv4" },
  { name: "Linux SLL", linkType: 113, family: "ipv6" },
  { name: "Linux SLL2", linkType: 276, family: "ipv4" },
  { name: "Linux SLL2", linkType: 276, family: "ipv6" },
  { name: "LINKTYPE_RAW", linkType: 101, family: "ipv4" },
  { name: "LINKTYPE_RAW", linkType: 101, family: "ipv6" },
  { name: "DLT_RAW 12", linkType: 12, family: "ipv4" },
  { name: "DLT_RAW 12", linkType: 12, family: "ipv6" },
  { name: "DLT_RAW 14", linkType: 14, family: "ipv4" },
  { name: "DLT_RAW 14", linkType: 14, family: "ipv6" },
  { name: "IPv4-only raw", linkType: 228, family: "ipv4" },
  { name: "IPv6-only raw", linkType: 229, family: "ipv6" },
  { name: "BSD null, LE host", linkType: 0, family: "ipv4" },
  { name: "BSD null, LE host, AF_INET6 30", linkType: 0, family: "ipv6" },
  { name: "BSD null, BE host", linkType: 0, family: "ipv4", opts: { nullBigEndian: true } },
  {
    name: "BSD null, BE host, AF_INET6 24",
    linkType: 0,
    family: "ipv6",
    opts: { nullBigEndian: true, nullInet6: 24 },
  },
  { name: "BSD null, AF_INET6 28", linkType: 0, family: "ipv6", opts: { nullInet6: 28 } },
];

/** Frame 1: unrelated UDP (skipped); frame 2: the RIP datagram. */
function framesFor(c: LinkCase): Uint8Array[] {
  const [other, rip] = c.family === "ipv4" ? [dnsV4(), ripV4()] : [dnsV6(), ripV6()];
  return [linkFrame(c.linkType, other, c.opts), linkFrame(c.linkType, rip, c.opts)];
}

function expectedRip(c: LinkCase, frame: number, timestampUs?: number) {
  const fields =
    c.family === "ipv4"
      ? { ...V4, payload: Uint8Array.from(RIPV2) }
      : { ...V6, payload: Uint8Array.from(RIPNG) };
  return timestampUs === undefined ? { frame, ...fields } : { frame, timestampUs, ...fields };
}

const CONTAINERS = [
  { name: "pcap LE µs", build: classic(true, false) },
  { name: "pcap BE µs", build: classic(false, false) },
  { name: "pcap LE ns", build: classic(true, true) },
  { name: "pcap BE ns", build: classic(false, true) },
  { name: "pcapng LE", build: pcapng(true) },
  { name: "pcapng BE", build: pcapng(false) },
];

function classic(le: boolean, nanos: boolean) {
  return (linkType: number, frames: Uint8Array[]) =>
    pcapFile(
      { le, nanos, linkType },
      frames.map((data) => ({ data, seconds: SECONDS, fraction: nanos ? 123_456_789 : 123_456 })),
    );
}

function pcapng(le: boolean) {
  return (linkType: number, frames: Uint8Array[]) =>
    pcapngSection({ le }, [
      { kind: "idb", linkType },
      ...frames.map((data): NgBlock => ({ kind: "epb", iface: 0, ticks: BigInt(EXPECTED_US), data })),
    ]);
}

function faultOf(item: CaptureItem | undefined): CaptureFault {
  if (item === undefined || !("error" in item))
    throw new Error(`expected a fault, got ${JSON.stringify(item)}`);
  expect(item.error).toBeInstanceOf(WireError);
  return item;
}

function thrownBy(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error("expected a WireError, nothing was thrown");
}

/** A classic LE Ethernet capture of the given IP packets, one per record. */
const ethernetCapture = (...packets: Uint8Array[]) =>
  pcapFile(
    { le: true, linkType: 1 },
    packets.map((p) => ({ data: linkFrame(1, p) })),
  );

describe("readCapture: every container × link type × family", () => {
  for (const container of CONTAINERS) {
    it.each(LINKS)(`${container.name}, $name, $family`, (c) => {
      const file = container.build(c.linkType, framesFor(c));
      expect(readCapture(file)).toEqual([expectedRip(c, 2, EXPECTED_US)]);
    });
  }

  it("reads a Buffer that does not start at the beginning of its ArrayBuffer", () => {
    const file = CONTAINERS[4]!.build(1, framesFor(LINKS[0]!));
    const backing = new Uint8Array(file.length + 7);
    backing.set(file, 3);
    const items = readCapture(Buffer.from(backing.buffer, 3, file.length));
    expect(items).toHaveLength(1);
    expect(Uint8Array.from((items[0] as { payload: Uint8Array }).payload)).toEqual(Uint8Array.from(RIPV2));
  });
});

describe("pcapng with several interfaces, sections and block kinds", () => {
  it.each([true, false])(
    "uses each interface's link type and timestamp resolution (little-endian %s)",
    (le) => {
      const file = pcapngSection({ le }, [
        { kind: "idb", linkType: 1 }, // µs by default
        { kind: "idb", linkType: 113, tsresol: 9 }, // ns
        { kind: "idb", linkType: 101, tsresol: 0x80 | 20 }, // 2^-20 s
        { kind: "idb", linkType: 276, tsresol: 3, tsoffset: 100n }, // ms, 100 s offset
        { kind: "idb", linkType: 0, tsresol: 6, tsoffset: -1n }, // µs, explicitly; −1 s offset
        { kind: "epb", iface: 0, ticks: 1_700_000_000_123_456n, data: linkFrame(1, ripV4()) },
        { kind: "epb", iface: 1, ticks: 1_700_000_000_123_456_789n, data: linkFrame(113, ripV6()) },
        { kind: "other", type: 5, body: new Uint8Array(16) }, // ISB: skipped, not a frame
        { kind: "epb", iface: 2, ticks: (1_700_000_000n << 20n) | 0x80000n, data: ripV4() },
        { kind: "epb", iface: 3, ticks: 1_700_000_000_123n, data: linkFrame(276, ripV6()) },
        { kind: "epb", iface: 4, ticks: 1_700_000_001_000_000n, data: linkFrame(0, ripV6()) },
      ]);
      expect(readCapture(file)).toEqual([
        expectedRip(LINKS[0]!, 1, EXPECTED_US),
        expectedRip(LINKS[3]!, 2, EXPECTED_US),
        expectedRip(LINKS[6]!, 3, 1_700_000_000_500_000),
        expectedRip(LINKS[5]!, 4, 1_700_000_100_123_000),
        expectedRip(LINKS[1]!, 5, 1_700_000_000_000_000),
      ]);
    },
  );

  it.each([true, false])(
    "reads the obsolete Packet Block and the Simple Packet Block (little-endian %s)",
    (le) => {
      const file = pcapngSection({ le }, [
        { kind: "idb", linkType: 229, snaplen: 0 },
        { kind: "idb", linkType: 1 },
        { kind: "spb", data: ripV6() }, // interface 0, no timestamp
        { kind: "pb", iface: 1, ticks: BigInt(EXPECTED_US), data: linkFrame(1, ripV4()) },
      ]);
      const items = readCapture(file);
      expect(items).toEqual([expectedRip(LINKS[13]!, 1), expectedRip(LINKS[0]!, 2, EXPECTED_US)]);
      expect("timestampUs" in items[0]!).toBe(false);
    },
  );

  it("cuts a Simple Packet Block to interface 0's snapshot length", () => {
    const file = pcapngSection({ le: true }, [
      { kind: "idb", linkType: 101, snaplen: 40 },
      { kind: "spb", data: ripV4() },
    ]);
    const fault = faultOf(readCapture(file)[0]);
    expect(fault).toMatchObject({ frame: 1, error: { code: "TRUNCATED" } });
    expect(fault.error.message).toContain("snapshot length");
  });

  it("starts a new interface list and byte order in each section, counting frames across them", () => {
    const file = concat(
      pcapngSection({ le: true }, [
        { kind: "idb", linkType: 1 },
        { kind: "epb", iface: 0, ticks: 1n, data: linkFrame(1, ripV4()) },
      ]),
      pcapngSection({ le: false }, [
        { kind: "other", type: 4, body: [0, 0, 0, 0] }, // NRB with only opt_endofopt
        { kind: "idb", linkType: 229 },
        { kind: "other", type: 0x40000bad, body: [0, 0, 0, 0, 1, 2, 3] }, // custom block
        { kind: "epb", iface: 0, ticks: 2n, data: ripV6() },
      ]),
    );
    expect(readCapture(file)).toEqual([expectedRip(LINKS[0]!, 1, 1), expectedRip(LINKS[13]!, 2, 2)]);
  });

  it("faults a packet naming an unknown interface or overrunning its block, and goes on", () => {
    const file = pcapngSection({ le: true }, [
      { kind: "idb", linkType: 101 },
      { kind: "epb", iface: 1, ticks: 0n, data: ripV4() },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4(), capturedLength: 4000, originalLength: 4000 },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4(), originalLength: 10 },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4() },
    ]);
    const items = readCapture(file);
    expect(items.map((i) => ("error" in i ? [i.frame, i.error.code] : [i.frame]))).toEqual([
      [1, "PCAP_BAD_FILE"],
      [2, "TRUNCATED"],
      [3, "PCAP_BAD_FILE"],
      [4],
    ]);
  });

  it("ends the read with a fault when a block's trailing length disagrees", () => {
    const good = pcapngSection({ le: true }, [
      { kind: "idb", linkType: 101 },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4() },
    ]);
    const bad = block(true, 6, new Uint8Array(20 + 52), 999);
    const items = readCapture(concat(good, bad, good));
    expect(items).toHaveLength(2);
    expect(faultOf(items[1])).toMatchObject({ frame: 2, error: { code: "PCAP_BAD_FILE" } });
  });

  it("ends the read with a fault for a block length that is not a multiple of 4, or a bad later section", () => {
    const good = pcapngSection({ le: true }, [
      { kind: "idb", linkType: 101 },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4() },
    ]);
    const odd = block(true, 6, new Uint8Array(20)).slice();
    odd[4] = 33;
    const badSection = pcapngSection({ le: false }, []).fill(0x77, 8, 12);
    for (const [tail, offset] of [
      [odd, good.length + 4],
      [badSection, good.length + 8],
    ] as const) {
      const items = readCapture(concat(good, tail, good));
      expect(items).toHaveLength(2);
      expect(faultOf(items[1])).toMatchObject({ frame: 2, error: { code: "PCAP_BAD_FILE", offset } });
    }
  });

  it("faults a Simple Packet Block in a section without interfaces, and goes on", () => {
    const file = concat(
      pcapngSection({ le: true }, [{ kind: "spb", data: ripV4() }]),
      pcapngSection({ le: true }, [
        { kind: "idb", linkType: 228 },
        { kind: "spb", data: ripV4() },
      ]),
    );
    const items = readCapture(file);
    expect(faultOf(items[0])).toMatchObject({ frame: 1, error: { code: "PCAP_BAD_FILE" } });
    expect(items[1]).toEqual(expectedRip(LINKS[0]!, 2));
  });

  it("ends the read with a TRUNCATED fault when the last block runs past the end of the file", () => {
    const file = pcapngSection({ le: false }, [
      { kind: "idb", linkType: 101 },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4() },
      { kind: "epb", iface: 0, ticks: 0n, data: ripV4() },
    ]);
    for (const cut of [1, 10, 40]) {
      const items = readCapture(file.subarray(0, file.length - cut));
      expect(items).toHaveLength(2);
      expect(faultOf(items[1])).toMatchObject({ frame: 2, error: { code: "TRUNCATED" } });
    }
  });
});

describe("what is skipped and what is kept", () => {
  it("skips non-IP frames, non-UDP packets and UDP on other ports, counting them as frames", () => {
    const arp = linkFrame(1, new Uint8Array(28), { etherType: 0x0806 });
    const llc = linkFrame(1, new Uint8Array(38), { etherType: 38 }); // 802.3 length, not a type
    const tcp = ipv4("198.18.0.1", "198.18.0.2", udp(520, 520, []), { protocol: 6 });
    const mld = ipv6("fe80::1", "ff02::16", 0, concat(extensionHeader(58), new Uint8Array(28)));
    const reply = ipv4("198.18.0.2", "198.18.0.9", udp(520, 33000, RIPV2)); // answer to a query
    const file = pcapFile({ le: true, linkType: 1 }, [
      { data: arp },
      { data: llc },
      ...[tcp, dnsV4(), mld, dnsV6(), reply].map((p) => ({ data: linkFrame(1, p) })),
    ]);
    expect(readCapture(file)).toEqual([
      {
        frame: 7,
        ...V4,
        source: "198.18.0.2",
        destination: "198.18.0.9",
        destinationPort: 33000,
        timestampUs: 0,
        payload: Uint8Array.from(RIPV2),
      },
    ]);
  });

  it("takes the port set from the caller", () => {
    const items = readCapture(ethernetCapture(ripV4(), dnsV4()), new Set([53]));
    expect(items).toMatchObject([
      { frame: 2, sourcePort: 40000, destinationPort: 53, payload: Uint8Array.from([1, 2, 3, 4]) },
    ]);
  });

  it("skips raw-IP frames that are not IP, and BSD-null frames of other families", () => {
    const notIp = Uint8Array.from([0x50, 0, 0, 0]);
    expect(readCapture(pcapFile({ le: true, linkType: 101 }, [{ data: notIp }]))).toEqual([]);
    const appletalk = concat([7, 0, 0, 0], ripV4());
    expect(readCapture(pcapFile({ le: true, linkType: 0 }, [{ data: appletalk }]))).toEqual([]);
  });

  it("ignores Ethernet padding and an FCS past the IP total length", () => {
    const tiny = ipv4(V4.source, V4.destination, udp(520, 520, [1, 2, 3, 4]));
    const frame = concat(linkFrame(1, tiny), [0xaa, 0xbb, 0xcc, 0xdd]); // padded to 60, then an FCS
    expect(frame.length).toBe(64);
    const file = pcapFile({ le: false, linkType: 0x10000000 | 1 }, [{ data: frame }]); // FCS flag set
    expect(readCapture(file)).toMatchObject([{ frame: 1, payload: Uint8Array.from([1, 2, 3, 4]) }]);
  });
});

describe("VLAN tags", () => {
  it.each([
    ["802.1Q", [[0x8100, 10]]],
    [
      "802.1ad over 802.1Q",
      [
        [0x88a8, 100],
        [0x8100, 10],
      ],
    ],
    [
      "pre-standard QinQ, three deep",
      [
        [0x9100, 1],
        [0x88a8, 2],
        [0x8100, 3],
      ],
    ],
  ] as [string, [number, number][]][])("Ethernet with %s", (_, vlans) => {
    for (const ip of [ripV4(), ripV6()]) {
      const file = pcapFile({ le: true, linkType: 1 }, [{ data: linkFrame(1, ip, { vlans }) }]);
      expect(readCapture(file)).toMatchObject([{ frame: 1, family: ip[0] === 0x45 ? "ipv4" : "ipv6" }]);
    }
  });

  it.each([113, 276])("Linux cooked (link type %i) with an 802.1Q tag", (linkType) => {
    const file = pcapFile({ le: true, linkType }, [
      { data: linkFrame(linkType, ripV4(), { vlans: [[0x8100, 7]] }) },
    ]);
    expect(readCapture(file)).toEqual([expectedRip(LINKS[0]!, 1, 0)]);
  });

  it("faults a frame cut inside a VLAN tag", () => {
    const frame = linkFrame(1, ripV4(), { vlans: [[0x8100, 7]] }).subarray(0, 16);
    const file = pcapFile({ le: true, linkType: 1 }, [
      { data: frame, originalLength: 80 },
      { data: linkFrame(1, ripV4()) },
    ]);
    const items = readCapture(file);
    expect(faultOf(items[0])).toMatchObject({ frame: 1, error: { code: "TRUNCATED", offset: 14 } });
    expect(items[1]).toMatchObject({ frame: 2, family: "ipv4" });
  });
});

describe("truncation", () => {
  it("faults a packet cut by the snapshot length and decodes the next", () => {
    const big = ipv4(V4.source, V4.destination, udp(520, 520, new Uint8Array(504)));
    const full = linkFrame(1, big);
    const file = pcapFile({ le: true, linkType: 1, snaplen: 96 }, [
      { data: full.subarray(0, 96), originalLength: full.length },
      { data: linkFrame(1, ripV4()) },
    ]);
    const items = readCapture(file);
    const fault = faultOf(items[0]);
    expect(fault).toMatchObject({ frame: 1, error: { code: "TRUNCATED", offset: 96 } });
    expect(fault.error.message).toContain("96 of 546 bytes (snapshot length)");
    expect(items[1]).toEqual(expectedRip(LINKS[0]!, 2, 0));
  });

  it("skips a cut packet that is not on our ports", () => {
    const full = linkFrame(1, ipv4("192.0.2.1", "192.0.2.53", udp(40000, 53, new Uint8Array(500))));
    const file = pcapFile({ le: true, linkType: 1 }, [
      { data: full.subarray(0, 64), originalLength: full.length },
    ]);
    expect(readCapture(file)).toEqual([]);
  });

  it("faults a frame cut inside the IP or UDP header", () => {
    const frame = linkFrame(1, ripV6());
    for (const [cut, offset] of [
      [30, 14],
      [58, 54],
    ] as const) {
      const file = pcapFile({ le: true, linkType: 1 }, [
        { data: frame.subarray(0, cut), originalLength: frame.length },
      ]);
      expect(faultOf(readCapture(file)[0]).error).toMatchObject({ code: "TRUNCATED", offset });
    }
  });

  it("ends the read when a record runs past the end of the file", () => {
    const file = ethernetCapture(ripV4(), ripV6(), ripV4());
    const items = readCapture(file.subarray(0, file.length - 10));
    expect(items.map((i) => i.frame)).toEqual([1, 2, 3]);
    expect(faultOf(items[2])).toMatchObject({ error: { code: "TRUNCATED" } });
  });

  it("ends the read when the file stops inside a record header", () => {
    const file = concat(ethernetCapture(ripV4()), [1, 2, 3, 4, 5]);
    const items = readCapture(file);
    expect(items).toHaveLength(2);
    expect(faultOf(items[1])).toMatchObject({ frame: 2, error: { code: "TRUNCATED", offset: 24 + 16 + 66 } });
  });

  it("ends the read when a record keeps more bytes than the packet had", () => {
    const file = pcapFile({ le: false, linkType: 101 }, [
      { data: ripV4(), originalLength: 10 },
      { data: ripV4() },
    ]);
    const items = readCapture(file);
    expect(items).toHaveLength(1);
    expect(faultOf(items[0])).toMatchObject({ frame: 1, error: { code: "PCAP_BAD_FILE", offset: 32 } });
  });
});

describe("IPv4", () => {
  const decode = (packet: Uint8Array) =>
    readCapture(pcapFile({ le: true, linkType: 228 }, [{ data: packet }]));
  const body = udp(520, 520, RIPV2);

  it("skips header options", () => {
    const packet = ipv4(V4.source, V4.destination, body, { options: [0x94, 4, 0, 0] }); // router alert
    expect(decode(packet)).toEqual([expectedRip(LINKS[0]!, 1, 0)]);
  });

  it("accepts DF and rejects MF or a fragment offset", () => {
    expect(decode(ipv4(V4.source, V4.destination, body, { dontFragment: true }))).toHaveLength(1);
    for (const o of [{ moreFragments: true }, { fragmentOffset: 185 }]) {
      const fault = faultOf(decode(ipv4(V4.source, V4.destination, body, o))[0]);
      expect(fault.error).toMatchObject({
        code: "TRUNCATED",
        message: "fragmented datagram, not reassembled",
      });
    }
  });

  it("skips the first fragment of a datagram on other ports", () => {
    expect(decode(ipv4("192.0.2.1", "192.0.2.2", udp(1, 2, []), { moreFragments: true }))).toEqual([]);
  });

  it.each([
    ["IHL below 5", { ihl: 4 }, "BAD_PACKET", 0],
    ["IHL past the packet", { ihl: 15 }, "TRUNCATED", 0],
    ["total length below the header", { totalLength: 19 }, "BAD_PACKET", 2],
    ["total length past the capture", { totalLength: 200 }, "TRUNCATED", 52],
  ])("faults %s", (_, o, code, offset) => {
    expect(faultOf(decode(ipv4(V4.source, V4.destination, body, o))[0]).error).toMatchObject({
      code,
      offset,
    });
  });

  it("faults a UDP length below 8 or past the IP packet", () => {
    expect(
      faultOf(decode(ipv4(V4.source, V4.destination, udp(520, 520, RIPV2, { length: 7 })))[0]).error,
    ).toMatchObject({
      code: "BAD_PACKET",
      offset: 24,
    });
    expect(
      faultOf(decode(ipv4(V4.source, V4.destination, udp(520, 520, RIPV2, { length: 33 })))[0]).error,
    ).toMatchObject({
      code: "TRUNCATED",
      offset: 24,
    });
  });

  it("takes the payload from the UDP length when the IP packet is longer", () => {
    const items = decode(ipv4(V4.source, V4.destination, udp(520, 520, RIPV2, { length: 12 })));
    expect(items).toMatchObject([{ payload: Uint8Array.from(RIPV2.slice(0, 4)) }]);
  });

  it("faults an IP version that contradicts the link type", () => {
    expect(faultOf(decode(ripV6())[0]).error).toMatchObject({ code: "BAD_PACKET", offset: 0 });
    const file = pcapFile({ le: true, linkType: 1 }, [
      { data: linkFrame(1, ripV6(), { etherType: 0x0800 }) },
    ]);
    expect(faultOf(readCapture(file)[0]).error).toMatchObject({ code: "BAD_PACKET", offset: 14 });
  });
});

describe("IPv6", () => {
  const decode = (packet: Uint8Array) =>
    readCapture(pcapFile({ le: false, linkType: 229 }, [{ data: packet }]));
  const body = udp(521, 521, RIPNG);

  it("walks hop-by-hop, routing, destination options, an atomic fragment and AH to UDP", () => {
    const chain = concat(
      extensionHeader(43),
      extensionHeader(60, 0),
      extensionHeader(44, 1),
      fragmentHeader(51, 0, false),
      authHeader(17),
      body,
    );
    expect(decode(ipv6(V6.source, V6.destination, 0, chain))).toEqual([expectedRip(LINKS[1]!, 1, 0)]);
  });

  it("faults fragments of a possible RIPng datagram", () => {
    const first = ipv6(V6.source, V6.destination, 44, concat(fragmentHeader(17, 0, true), body));
    const later = ipv6(
      V6.source,
      V6.destination,
      44,
      concat(fragmentHeader(17, 100, false), new Uint8Array(16)),
    );
    for (const packet of [first, later]) {
      expect(faultOf(decode(packet)[0]).error).toMatchObject({
        code: "TRUNCATED",
        message: "fragmented datagram, not reassembled",
      });
    }
  });

  it("skips fragments that cannot be ours", () => {
    const tcpLater = ipv6(
      V6.source,
      V6.destination,
      44,
      concat(fragmentHeader(6, 100, true), new Uint8Array(16)),
    );
    const dnsFirst = ipv6(V6.source, V6.destination, 44, concat(fragmentHeader(17, 0, true), udp(1, 53, [])));
    expect(decode(tcpLater)).toEqual([]);
    expect(decode(dnsFirst)).toEqual([]);
  });

  it("skips ESP and No Next Header", () => {
    expect(decode(ipv6(V6.source, V6.destination, 50, new Uint8Array(32)))).toEqual([]);
    expect(decode(ipv6(V6.source, V6.destination, 59, []))).toEqual([]);
  });

  it("faults an extension header running past the payload length", () => {
    const chain = concat(extensionHeader(17, 3), body);
    expect(
      faultOf(decode(ipv6(V6.source, V6.destination, 0, chain, { payloadLength: 16 }))[0]).error,
    ).toMatchObject({
      code: "TRUNCATED",
      offset: 40,
    });
  });

  it("faults a payload length past the capture", () => {
    expect(
      faultOf(decode(ipv6(V6.source, V6.destination, 17, body, { payloadLength: 100 }))[0]).error,
    ).toMatchObject({
      code: "TRUNCATED",
    });
  });
});

describe("addresses as text", () => {
  it.each([
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["0000:0000:0000:0000:0000:0000:0000:0000", "::"],
    ["0000:0000:0000:0000:0000:0000:0000:0001", "::1"],
    ["fe80:0000:0000:0000:0000:0000:0000:0000", "fe80::"],
    ["2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"], // RFC 5952 §4.2.2: one group stays
    ["2001:0000:0000:0001:0000:0000:0000:0001", "2001:0:0:1::1"], // §4.2.3: the longest run
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"], // §4.2.3: the first of equals
    ["FF02:0000:0000:0000:0000:0000:0000:0009", "ff02::9"], // §4.3: lowercase
    ["2001:0db8:aaaa:bbbb:cccc:dddd:eeee:0000", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0"],
  ])("IPv6 source %s is %s (RFC 5952)", (full, text) => {
    const file = pcapFile({ le: true, linkType: 229 }, [
      { data: ipv6(full, "ff02::9", 17, udp(521, 521, RIPNG)) },
    ]);
    expect(readCapture(file)).toMatchObject([{ source: text }]);
  });

  it("writes IPv4 as a dotted quad", () => {
    const file = pcapFile({ le: true, linkType: 228 }, [
      { data: ipv4("0.255.10.100", "255.255.255.255", udp(520, 520, [])) },
    ]);
    expect(readCapture(file)).toMatchObject([{ source: "0.255.10.100", destination: "255.255.255.255" }]);
  });
});

describe("files readCapture refuses", () => {
  it.each([
    ["an empty file", new Uint8Array(0)],
    ["a 3-byte file", Uint8Array.from([0xd4, 0xc3, 0xb2])],
    ["a bad magic number", concat(Uint8Array.from([1, 2, 3, 4]), new Uint8Array(40))],
    ["a cut pcap file header", pcapFile({ le: true, linkType: 1 }, []).subarray(0, 20)],
    ["a bad pcapng byte-order magic", pcapngSection({ le: true }, []).fill(0x77, 8, 12)],
    ["a cut section header", pcapngSection({ le: true }, []).subarray(0, 20)],
    [
      "a section header whose lengths disagree",
      block(
        true,
        0x0a0d0d0a,
        Uint8Array.from([0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        32,
      ),
    ],
  ])("throws PCAP_BAD_FILE for %s", (_, file) => {
    expect(thrownBy(() => readCapture(file)).code).toBe("PCAP_BAD_FILE");
  });

  it.each([
    ["pcap version 3", pcapFile({ le: true, linkType: 1, major: 3 }, [])],
    ["pcapng version 2", pcapngSection({ le: false, major: 2 }, [])],
    ["the modified (Kuznetzov) pcap format", pcapFile({ le: true, linkType: 1, magic: 0xa1b2cd34 }, [])],
    ["a gzip-compressed file", Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])],
    ["pcap link type 147", pcapFile({ le: true, linkType: 147 }, [])],
  ])("throws PCAP_UNSUPPORTED for %s", (_, file) => {
    expect(thrownBy(() => readCapture(file)).code).toBe("PCAP_UNSUPPORTED");
  });

  it("throws PCAP_UNSUPPORTED naming the interface and link type, in any section", () => {
    const second = pcapngSection({ le: false }, [
      { kind: "idb", linkType: 1 },
      { kind: "idb", linkType: 105 }, // 802.11
    ]);
    const file = concat(pcapngSection({ le: true }, [{ kind: "idb", linkType: 1 }]), second);
    const error = thrownBy(() => readCapture(file));
    expect(error.code).toBe("PCAP_UNSUPPORTED");
    expect(error.message).toBe("interface 1: link type 105");
  });
});

describe("robustness (fast-check)", () => {
  const onlyWireErrors = (file: Uint8Array) => {
    try {
      const items = readCapture(file);
      for (const item of items) if ("error" in item) expect(item.error).toBeInstanceOf(WireError);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
  };

  it("gives back every payload and port pair it was given, in any container and link type", () => {
    const arb = fc.record({
      container: fc.constantFrom(...CONTAINERS),
      link: fc.constantFrom(...LINKS),
      payload: fc.uint8Array({ maxLength: 600 }),
      ports: fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(520, 521)),
      swap: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ container, link, payload, ports, swap }) => {
        const [sourcePort, destinationPort] = swap ? [ports[1], ports[0]] : ports;
        const datagram = udp(sourcePort, destinationPort, payload);
        const ip =
          link.family === "ipv4" ? ipv4("10.0.0.1", "10.0.0.2", datagram) : ipv6("::1", "::2", 17, datagram);
        const items = readCapture(container.build(link.linkType, [linkFrame(link.linkType, ip, link.opts)]));
        expect(items).toMatchObject([{ frame: 1, family: link.family, sourcePort, destinationPort }]);
        expect(Uint8Array.from((items[0] as { payload: Uint8Array }).payload)).toEqual(payload);
      }),
      { numRuns: 500 },
    );
  });

  it("returns items or throws WireError for arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyWireErrors), { numRuns: 2000 });
  });

  it("returns items or throws WireError for arbitrary records behind valid file headers", () => {
    const headers = [
      pcapFile({ le: true, linkType: 1 }, []),
      pcapFile({ le: false, nanos: true, linkType: 276 }, []),
      pcapngSection({ le: true }, [{ kind: "idb", linkType: 0 }]),
    ];
    const arb = fc.tuple(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 300 }));
    fc.assert(
      fc.property(arb, ([header, rest]) => onlyWireErrors(concat(header, rest))),
      { numRuns: 2000 },
    );
  });

  it("returns items or throws WireError for mutated and cut valid captures", () => {
    const seeds = [
      ...CONTAINERS.flatMap((c) => LINKS.map((l) => c.build(l.linkType, framesFor(l)))),
      pcapngSection({ le: true }, [
        { kind: "idb", linkType: 229, tsresol: 0x80 | 127 },
        { kind: "epb", iface: 0, ticks: -1n & 0xffffffffffffffffn, data: ripV6() },
        {
          kind: "spb",
          data: ipv6(
            V6.source,
            V6.destination,
            0,
            concat(extensionHeader(44), fragmentHeader(17, 0, false), udp(521, 521, RIPNG)),
          ),
        },
      ]),
    ];
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    });
    const arb = fc.tuple(fc.constantFrom(...seeds), mutation, fc.nat());
    fc.assert(
      fc.property(arb, ([seed, changes, cut]) => {
        const file = seed.slice(0, seed.length - (cut % 8 === 0 ? cut % seed.length : 0));
        for (const [at, value] of changes) if (file.length > 0) file[at % file.length] = value;
        onlyWireErrors(file);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("real captures in test/fixtures", () => {
  const dir = join(import.meta.dirname, "..", "fixtures");
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f));
  it("there are captures to read", () => expect(files.length).toBeGreaterThan(0));
  for (const name of files) {
    it(`${name}: RIP/RIPng datagrams and no faults`, () => {
      const items = readCapture(readFileSync(join(dir, name)));
      expect(items.filter((i) => "error" in i)).toEqual([]);
      expect(items.some((i) => "sourcePort" in i && (i.sourcePort === 520 || i.sourcePort === 521))).toBe(
        true,
      );
    });
  }
});
