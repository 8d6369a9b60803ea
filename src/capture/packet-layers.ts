/**
 * The link, IP and UDP layers of one captured frame, peeled down to the UDP payload. Pure: the frame's
 * bytes come in, a datagram (or `undefined` for traffic that is not ours) comes out. A frame that cannot
 * be parsed as far as deciding that throws WireError, its offset counted from the frame's first byte
 * (what Wireshark's byte pane shows). pcap.ts owns the file formats and turns those throws into faults.
 *
 * Deliberately not done: IP/UDP checksums (captures taken on the sending host carry offloaded, not yet
 * computed checksums), fragment reassembly, jumbograms (RFC 2675) and tunnels.
 */
import { formatIpv4, formatIpv6 } from "../wire/address.js";
import { IPV6_HEADER_BYTES, UDP_HEADER_BYTES } from "../wire/constants.js";
import { need, WireError } from "../wire/errors.js";

/** tcpdump.org link-layer header types ("LINKTYPE_*") that can carry RIP, and the old DLT_RAW values. */
const LINKTYPE_NULL = 0;
const LINKTYPE_ETHERNET = 1;
const DLT_RAW_12 = 12; // DLT_RAW on most BSDs and Linux before LINKTYPE_RAW existed
const DLT_RAW_14 = 14; // DLT_RAW on OpenBSD
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;
const LINKTYPE_LINUX_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = new Set([0x8100, 0x88a8, 0x9100]); // 802.1Q, 802.1ad, pre-standard QinQ
const VLAN_TAG_BYTES = 4;
const NULL_FAMILY_INET = 2; // AF_INET is 2 everywhere
const NULL_FAMILY_INET6 = new Set([24, 28, 30]); // AF_INET6: NetBSD/OpenBSD, FreeBSD, Darwin
const IPPROTO_UDP = 17;
const IPV4_MIN_HEADER_BYTES = 20;

export interface FrameDatagram {
  family: "ipv4" | "ipv6";
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  payload: Uint8Array;
}

/** Where the network layer starts; "ip" means the version nibble decides. */
interface NetworkStart {
  network: "ipv4" | "ipv6" | "ip";
  offset: number;
}

/** Finds the network layer in a frame of one link type; undefined when the frame is not IP. */
export type LinkLayer = (frame: Uint8Array) => NetworkStart | undefined;

/** The decoder for a link type, or undefined when we cannot read it (the caller throws PCAP_UNSUPPORTED). */
export function linkLayer(linkType: number): LinkLayer | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET: // IEEE 802.3: dst(6) src(6) type(2)
      return (frame) => etherTyped(frame, 12, 14, "Ethernet header");
    case LINKTYPE_LINUX_SLL: // tcpdump.org LINKTYPE_LINUX_SLL: 16-byte header, protocol at 14
      return (frame) => etherTyped(frame, 14, 16, "Linux cooked (SLL) header");
    case LINKTYPE_LINUX_SLL2: // tcpdump.org LINKTYPE_LINUX_SLL2: 20-byte header, protocol at 0
      return (frame) => etherTyped(frame, 0, 20, "Linux cooked (SLL2) header");
    case LINKTYPE_NULL:
      return nullFamily;
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14:
      return () => ({ network: "ip", offset: 0 });
    case LINKTYPE_IPV4:
      return () => ({ network: "ipv4", offset: 0 });
    case LINKTYPE_IPV6:
      return () => ({ network: "ipv6", offset: 0 });
    default:
      return undefined;
  }
}

/**
 * Reads an EtherType at `typeAt` whose payload starts at `payloadAt`, stepping over any number of VLAN
 * tags (IEEE 802.1Q §9.6: TPID, then a 2-byte TCI and the next EtherType, inserted before the payload).
 */
function etherTyped(
  frame: Uint8Array,
  typeAt: number,
  dataAt: number,
  what: string,
): NetworkStart | undefined {
  need(frame, 0, dataAt, what);
  let type = u16(frame, typeAt);
  let offset = dataAt;
  while (ETHERTYPE_VLAN.has(type)) {
    need(frame, offset, VLAN_TAG_BYTES, "VLAN tag"); // IEEE 802.1Q §9.6
    type = u16(frame, offset + 2);
    offset += VLAN_TAG_BYTES;
  }
  if (type === ETHERTYPE_IPV4) return { network: "ipv4", offset };
  if (type === ETHERTYPE_IPV6) return { network: "ipv6", offset };
  return undefined; // ARP, LLC (a length, not a type), LLDP, ...: not ours
}

/**
 * tcpdump.org LINKTYPE_NULL: a 4-byte address family in the byte order of the capturing host, which
 * need not be the file's. Families are small numbers, so the order that leaves the high half zero wins.
 */
function nullFamily(frame: Uint8Array): NetworkStart | undefined {
  need(frame, 0, 4, "BSD loopback header");
  const le = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  const family = le > 0xffff ? u32(frame, 0) : le;
  if (family === NULL_FAMILY_INET) return { network: "ipv4", offset: 4 };
  if (NULL_FAMILY_INET6.has(family)) return { network: "ipv6", offset: 4 };
  return undefined;
}

/** What the IP layer tells the UDP layer. `end` is where the IP packet says it ends (may be past the capture). */
interface IpPacket {
  family: "ipv4" | "ipv6";
  source: string;
  destination: string;
  start: number;
  upper: number; // where the UDP header starts
  end: number;
  fragmented: boolean;
}

/** Peels one frame down to a UDP datagram on one of `ports`; undefined for anything else. */
export function decodeFrame(
  link: LinkLayer,
  frame: Uint8Array,
  ports: ReadonlySet<number>,
): FrameDatagram | undefined {
  const start = link(frame);
  if (start === undefined) return undefined;
  need(frame, start.offset, 1, "IP version");
  const version = frame[start.offset]! >> 4;
  let network = start.network;
  if (network === "ip") {
    if (version !== 4 && version !== 6) return undefined; // raw link, but not IP: not ours
    network = version === 4 ? "ipv4" : "ipv6";
  }
  const expected = network === "ipv4" ? 4 : 6;
  if (version !== expected) {
    throw new WireError("BAD_PACKET", start.offset, `${network} frame carries IP version ${version}`);
  }
  return network === "ipv4" ? ipv4(frame, start.offset, ports) : ipv6(frame, start.offset, ports);
}

function ipv4(frame: Uint8Array, at: number, ports: ReadonlySet<number>): FrameDatagram | undefined {
  need(frame, at, IPV4_MIN_HEADER_BYTES, "IPv4 header"); // RFC 791 §3.1
  if (frame[at + 9] !== IPPROTO_UDP) return undefined;
  const headerBytes = (frame[at]! & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES) {
    throw new WireError("BAD_PACKET", at, `IPv4 header length ${headerBytes} is below 20`); // RFC 791 §3.1 IHL
  }
  need(frame, at, headerBytes, "IPv4 options"); // RFC 791 §3.1: options fill IHL·4 − 20 bytes
  const totalBytes = u16(frame, at + 2);
  if (totalBytes < headerBytes) {
    throw new WireError("BAD_PACKET", at + 2, `IPv4 total length ${totalBytes} < header ${headerBytes}`);
  }
  const flagsAndOffset = u16(frame, at + 6); // RFC 791 §3.1: 3 flag bits, 13-bit fragment offset
  if ((flagsAndOffset & 0x1fff) !== 0) throw fragmentFault(at + 6); // no UDP header here, ports unknown
  const packet: IpPacket = {
    family: "ipv4",
    source: formatIpv4(u32(frame, at + 12)),
    destination: formatIpv4(u32(frame, at + 16)),
    start: at,
    upper: at + headerBytes,
    end: at + totalBytes,
    fragmented: (flagsAndOffset & 0x2000) !== 0, // MF: the rest of the datagram is elsewhere
  };
  return udp(frame, packet, ports);
}

function ipv6(frame: Uint8Array, at: number, ports: ReadonlySet<number>): FrameDatagram | undefined {
  need(frame, at, IPV6_HEADER_BYTES, "IPv6 header"); // RFC 8200 §3
  const end = at + IPV6_HEADER_BYTES + u16(frame, at + 4); // payload length excludes the fixed header
  // Extension headers are read only within both the capture and the packet (trailing padding is not ours).
  const packetBytes = frame.subarray(0, Math.min(end, frame.length));
  const upper = walkExtensionHeaders(packetBytes, at + IPV6_HEADER_BYTES, frame[at + 6]!);
  if (upper === undefined) return undefined;
  const packet: IpPacket = {
    family: "ipv6",
    source: ipv6Text(frame, at + 8),
    destination: ipv6Text(frame, at + 24),
    start: at,
    upper: upper.offset,
    end,
    fragmented: upper.fragmented,
  };
  return udp(frame, packet, ports);
}

const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AUTH = 51; // RFC 4302: RFC 2080 §2.1.1 leaves RIPng security to AH, so it is worth walking
const IPV6_DEST_OPTS = 60;

/** RFC 8200 §4: follows the Next Header chain to UDP; undefined when it leads anywhere else. */
function walkExtensionHeaders(
  packet: Uint8Array,
  offset: number,
  next: number,
): { offset: number; fragmented: boolean } | undefined {
  let fragmented = false;
  // Every header is at least 8 bytes and `need` stops at the packet's end, so the walk terminates.
  for (;;) {
    switch (next) {
      case IPPROTO_UDP:
        return { offset, fragmented };
      case IPV6_HOP_BY_HOP:
      case IPV6_ROUTING:
      case IPV6_DEST_OPTS: {
        need(packet, offset, 2, "IPv6 extension header"); // RFC 8200 §4.3-4.6: length in 8-octet units, less one
        const bytes = (packet[offset + 1]! + 1) * 8;
        need(packet, offset, bytes, "IPv6 extension header");
        next = packet[offset]!;
        offset += bytes;
        break;
      }
      case IPV6_AUTH: {
        need(packet, offset, 2, "IPv6 authentication header"); // RFC 4302 §2.2: length in 4-octet units, less two
        const bytes = (packet[offset + 1]! + 2) * 4;
        need(packet, offset, bytes, "IPv6 authentication header"); // at least 8: the walk always advances
        next = packet[offset]!;
        offset += bytes;
        break;
      }
      case IPV6_FRAGMENT: {
        need(packet, offset, 8, "IPv6 fragment header"); // RFC 8200 §4.5
        next = packet[offset]!;
        const offsetAndFlags = u16(packet, offset + 2);
        if (offsetAndFlags >> 3 !== 0) {
          // A later fragment: its ports are in the first one, so only a possible UDP datagram is a fault.
          if (next === IPPROTO_UDP || isExtensionHeader(next)) throw fragmentFault(offset + 2);
          return undefined;
        }
        fragmented ||= (offsetAndFlags & 1) !== 0; // M = 1: more to come; M = 0 here is atomic (RFC 6946)
        offset += 8;
        break;
      }
      default:
        return undefined; // TCP, ICMPv6, ESP, No Next Header, ...: not ours
    }
  }
}

function isExtensionHeader(next: number): boolean {
  return [IPV6_HOP_BY_HOP, IPV6_ROUTING, IPV6_FRAGMENT, IPV6_AUTH, IPV6_DEST_OPTS].includes(next);
}

/** RFC 768: ports first, so traffic on other ports is skipped even when it is cut or fragmented. */
function udp(frame: Uint8Array, ip: IpPacket, ports: ReadonlySet<number>): FrameDatagram | undefined {
  const at = ip.upper;
  const packetBytes = frame.subarray(0, Math.min(ip.end, frame.length));
  need(packetBytes, at, UDP_HEADER_BYTES, "UDP header");
  const sourcePort = u16(frame, at);
  const destinationPort = u16(frame, at + 2);
  if (!ports.has(sourcePort) && !ports.has(destinationPort)) return undefined;
  if (ip.end > frame.length) {
    const [size, kept] = [ip.end - ip.start, frame.length - ip.start];
    throw new WireError("TRUNCATED", frame.length, `${ip.family} packet of ${size} bytes, ${kept} captured`);
  }
  if (ip.fragmented) throw fragmentFault(ip.start);
  const length = u16(frame, at + 4); // RFC 768: header plus data
  if (length < UDP_HEADER_BYTES) throw new WireError("BAD_PACKET", at + 4, `UDP length ${length} is below 8`);
  if (at + length > ip.end) {
    throw new WireError("TRUNCATED", at + 4, `UDP length ${length}, the IP packet has ${ip.end - at}`);
  }
  return {
    family: ip.family,
    source: ip.source,
    sourcePort,
    destination: ip.destination,
    destinationPort,
    payload: frame.subarray(at + UDP_HEADER_BYTES, at + length),
  };
}

function fragmentFault(offset: number): WireError {
  return new WireError("TRUNCATED", offset, "fragmented datagram, not reassembled");
}

/** RFC 5952 text via address.ts, so captures print addresses exactly as decoded packets do. */
function ipv6Text(bytes: Uint8Array, at: number): string {
  return formatIpv6([u32(bytes, at), u32(bytes, at + 4), u32(bytes, at + 8), u32(bytes, at + 12)]);
}

/** Network-order reads; every caller has run `need` over these bytes. */
function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
