/**
 * Builds capture files for tests: IPv4/IPv6 UDP packets, the link-layer framings riplet reads, classic
 * pcap (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng) in either byte order. Checksums
 * are left zero: the reader does not verify them.
 */

export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function be16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function ipv4Address(text: string): number[] {
  return text.split(".").map(Number);
}

/** Parses "2001:db8::1"-style text (no embedded IPv4) into 16 bytes. */
export function ipv6Address(text: string): number[] {
  const [head = "", tail] = text.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const zeros = new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back].flatMap(be16);
}

export interface UdpOptions {
  /** Overrides the UDP length field. */
  length?: number;
}

export function udp(
  sourcePort: number,
  destinationPort: number,
  payload: ArrayLike<number>,
  o: UdpOptions = {},
) {
  const length = o.length ?? 8 + payload.length;
  return concat(be16(sourcePort), be16(destinationPort), be16(length), [0, 0], payload);
}

export interface Ipv4Options {
  protocol?: number;
  /** Option bytes, a multiple of 4. */
  options?: number[];
  /** Overrides IHL (in 32-bit words). */
  ihl?: number;
  /** Overrides the total length field. */
  totalLength?: number;
  moreFragments?: boolean;
  dontFragment?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
}

export function ipv4(source: string, destination: string, body: ArrayLike<number>, o: Ipv4Options = {}) {
  const options = o.options ?? [];
  const ihl = o.ihl ?? 5 + options.length / 4;
  const total = o.totalLength ?? 20 + options.length + body.length;
  const flags = (o.moreFragments ? 0x2000 : 0) | (o.dontFragment ? 0x4000 : 0) | (o.fragmentOffset ?? 0);
  const header = [0x40 | ihl, 0, ...be16(total), 0x12, 0x34, ...be16(flags), 1, o.protocol ?? 17, 0, 0];
  return concat(header, ipv4Address(source), ipv4Address(destination), options, body);
}

export interface Ipv6Options {
  /** Overrides the payload length field. */
  payloadLength?: number;
}

/** `body` holds any extension headers followed by the upper-layer header; `next` names the first. */
export function ipv6(
  source: string,
  destination: string,
  next: number,
  body: ArrayLike<number>,
  o: Ipv6Options = {},
) {
  const header = [0x60, 0, 0, 0, ...be16(o.payloadLength ?? body.length), next, 255];
  return concat(header, ipv6Address(source), ipv6Address(destination), body);
}

/** Hop-by-hop (0), routing (43) or destination options (60): `units` + 1 eight-byte units. */
export function extensionHeader(next: number, units = 0): Uint8Array {
  const h = new Uint8Array((units + 1) * 8);
  h[0] = next;
  h[1] = units;
  if (units === 0) h.set([1, 4, 0, 0, 0, 0], 2); // a PadN option filling the rest
  return h;
}

export function fragmentHeader(next: number, offsetUnits: number, more: boolean): Uint8Array {
  return concat([next, 0], be16((offsetUnits << 3) | (more ? 1 : 0)), [0xde, 0xad, 0xbe, 0xef]);
}

/** RFC 4302 AH with a 12-byte ICV: payload length (in 4-byte units, less 2) = 4. */
export function authHeader(next: number): Uint8Array {
  const h = new Uint8Array(24);
  h.set([next, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  return h;
}

export interface LinkOptions {
  /** VLAN tags outermost first, each [TPID, VLAN id]. */
  vlans?: [number, number][];
  /** BSD loopback: write the family big-endian (a big-endian capturing host). */
  nullBigEndian?: boolean;
  /** BSD loopback: the AF_INET6 value (24, 28 or 30). */
  nullInet6?: number;
  /** EtherType to write instead of the one the IP version implies. */
  etherType?: number;
}

/** Wraps an IP packet (or anything, with `etherType`) in the framing of `linkType`. */
export function linkFrame(linkType: number, packet: Uint8Array, o: LinkOptions = {}): Uint8Array {
  const version = packet[0]! >> 4;
  const etherType = o.etherType ?? (version === 6 ? 0x86dd : 0x0800);
  const tags = (o.vlans ?? []).flatMap(([tpid, id]) => [...be16(tpid), ...be16(id)]);
  const typed = [...tags, ...be16(etherType)]; // each tag: TPID, TCI; then the real EtherType
  switch (linkType) {
    case 1: {
      const frame = concat([1, 0, 0x5e, 0, 0, 9, 2, 0, 0, 0, 0, 1], typed, packet);
      return frame.length < 60 ? concat(frame, new Uint8Array(60 - frame.length)) : frame; // minimum frame, padded
    }
    case 113: // packet type 2 (multicast), ARPHRD_ETHER, address length 6, address padded to 8
      return concat([0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0], typed, packet);
    case 276: // protocol, reserved, ifindex 3, ARPHRD_ETHER, packet type 2, address length 6, address
      return concat(
        typed.slice(0, 2),
        [0, 0, 0, 0, 0, 3, 0, 1, 2, 6, 2, 0, 0, 0, 0, 1, 0, 0],
        typed.slice(2),
        packet,
      );
    case 0: {
      const family = version === 6 ? (o.nullInet6 ?? 30) : 2;
      const word = o.nullBigEndian ? [0, 0, 0, family] : [family, 0, 0, 0];
      return concat(word, packet);
    }
    default:
      return packet; // raw IP link types
  }
}

/** Byte-order aware little writer. */
class Writer {
  private readonly out: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = be16(v);
    this.out.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    this.out.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  /** pcapng §4.3: a timestamp is two 32-bit words, high first, each in the section's byte order. */
  timestamp(v: bigint): this {
    return this.u32(Number((v >> 32n) & 0xffffffffn)).u32(Number(v & 0xffffffffn));
  }
  bytes(b: ArrayLike<number>): this {
    this.out.push(...Array.from(b));
    return this;
  }
  pad4(): this {
    while (this.out.length % 4 !== 0) this.out.push(0);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface PcapRecord {
  data: Uint8Array;
  /** Defaults to data.length. */
  originalLength?: number;
  seconds?: number;
  /** Microseconds or nanoseconds, as the file says. */
  fraction?: number;
}

export interface PcapOptions {
  le: boolean;
  nanos?: boolean;
  linkType: number;
  snaplen?: number;
  major?: number;
  magic?: number;
}

/** A classic pcap file; records are written exactly as given (cut them yourself to model a snaplen). */
export function pcapFile(o: PcapOptions, records: PcapRecord[]): Uint8Array {
  const w = new Writer(o.le);
  w.u32(o.magic ?? (o.nanos ? 0xa1b23c4d : 0xa1b2c3d4))
    .u16(o.major ?? 2)
    .u16(4);
  w.u32(0)
    .u32(0)
    .u32(o.snaplen ?? 262144)
    .u32(o.linkType);
  for (const r of records) {
    w.u32(r.seconds ?? 0).u32(r.fraction ?? 0);
    w.u32(r.data.length).u32(r.originalLength ?? r.data.length);
    w.bytes(r.data);
  }
  return w.done();
}

export type NgBlock =
  | { kind: "idb"; linkType: number; snaplen?: number; tsresol?: number; tsoffset?: bigint }
  | {
      kind: "epb";
      iface: number;
      ticks: bigint;
      data: Uint8Array;
      originalLength?: number;
      capturedLength?: number;
    }
  | { kind: "pb"; iface: number; ticks: bigint; data: Uint8Array }
  | { kind: "spb"; data: Uint8Array; originalLength?: number }
  | { kind: "other"; type: number; body: ArrayLike<number> };

export interface SectionOptions {
  le: boolean;
  major?: number;
}

/** One pcapng section: an SHB followed by `blocks`. Concatenate sections for a multi-section file. */
export function pcapngSection(o: SectionOptions, blocks: NgBlock[]): Uint8Array {
  const shb = new Writer(o.le)
    .u32(0x1a2b3c4d)
    .u16(o.major ?? 1)
    .u16(0)
    .u64(0xffffffffffffffffn);
  shb.u16(4).u16(4).bytes([0x74, 0x65, 0x73, 0x74]).u16(0).u16(0); // shb_userappl "test", opt_endofopt
  const parts = [block(o.le, 0x0a0d0d0a, shb.done())];
  for (const b of blocks) parts.push(block(o.le, ...blockBody(o.le, b)));
  return concat(...parts);
}

function blockBody(le: boolean, b: NgBlock): [number, Uint8Array] {
  const w = new Writer(le);
  switch (b.kind) {
    case "idb":
      w.u16(b.linkType)
        .u16(0)
        .u32(b.snaplen ?? 0);
      if (b.tsresol !== undefined) w.u16(9).u16(1).u8(b.tsresol).pad4();
      if (b.tsoffset !== undefined) w.u16(14).u16(8).u64(b.tsoffset);
      if (w.length > 8) w.u16(0).u16(0);
      return [1, w.done()];
    case "epb":
      w.u32(b.iface)
        .timestamp(b.ticks)
        .u32(b.capturedLength ?? b.data.length)
        .u32(b.originalLength ?? b.data.length);
      w.bytes(b.data).pad4().u16(1).u16(3).bytes([0x65, 0x70, 0x62]).pad4().u16(0).u16(0); // opt_comment
      return [6, w.done()];
    case "pb":
      w.u16(b.iface).u16(0).timestamp(b.ticks).u32(b.data.length).u32(b.data.length).bytes(b.data).pad4();
      return [2, w.done()];
    case "spb":
      w.u32(b.originalLength ?? b.data.length)
        .bytes(b.data)
        .pad4();
      return [3, w.done()];
    case "other":
      return [b.type, new Writer(le).bytes(b.body).pad4().done()];
  }
}

/** pcapng §3.1 framing: type, total length, body, total length. */
export function block(le: boolean, type: number, body: Uint8Array, trailingLength?: number): Uint8Array {
  const total = 12 + body.length;
  return new Writer(le)
    .u32(type)
    .u32(total)
    .bytes(body)
    .u32(trailingLength ?? total)
    .done();
}
