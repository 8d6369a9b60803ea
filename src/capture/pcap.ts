/**
 * Reads the RIP/RIPng datagrams out of a capture file for `riplet decode --pcap`. Only the dissector uses
 * it, so it lives here and not in src/wire, which is the RIP codec alone. Pure: the file's bytes
 * in, one item per matching packet out; the caller reads the file. Formats: classic pcap
 * (draft-ietf-opsawg-pcap, "pcap §") and pcapng (draft-ietf-opsawg-pcapng, "pcapng §"); the link, IP and
 * UDP layers are in packet-layers.ts.
 *
 * Three tiers of trouble:
 * - throw WireError: the file cannot be read at all (bad or short file header → PCAP_BAD_FILE; a format
 *   version or a link type we do not know → PCAP_UNSUPPORTED, wherever it appears).
 * - a CaptureFault that ends the read: the record/block framing is broken (runs past the end of the file
 *   → TRUNCATED, lengths that disagree → PCAP_BAD_FILE), so the next record cannot be found. What was
 *   read before it is kept. Offsets count from the start of the file.
 * - a CaptureFault and reading goes on: one packet cannot be parsed down to UDP (cut by the snapshot
 *   length, bad IP header, fragment). Offsets count from the packet's first byte.
 */
import { RIP_PORT, RIPNG_PORT } from "../wire/constants.js";
import { need, WireError } from "../wire/errors.js";
import { decodeFrame, type FrameDatagram, type LinkLayer, linkLayer } from "./packet-layers.js";

/** One UDP datagram on our ports (see FrameDatagram) and where it stood in the file. */
interface CapturedDatagram extends FrameDatagram {
  /** 1-based index of the packet record in the file, counting every record (Wireshark's frame number). */
  frame: number;
  /** Capture time in microseconds since the epoch; absent when the record has none (pcapng SPB). */
  timestampUs?: number;
}

/** A record that could not be parsed down to UDP. */
export interface CaptureFault {
  frame: number;
  error: WireError;
  /**
   * The file's framing is lost here (cut short, or lengths that disagree): nothing after it was read,
   * and `error.offset` counts from the start of the file. Absent for a fault of one packet only.
   */
  ended?: true;
}

export type CaptureItem = CapturedDatagram | CaptureFault;

const DEFAULT_PORTS: ReadonlySet<number> = new Set([RIP_PORT, RIPNG_PORT]);

const PCAP_MAGIC_US = 0xa1b2c3d4; // pcap §4: microsecond timestamps
const PCAP_MAGIC_NS = 0xa1b23c4d; // pcap §4: nanosecond timestamps
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34; // Kuznetzov's patched libpcap: longer record headers
const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
const PCAP_FCS_BITS = 0xf0000000; // pcap §4: FCS length and flag above the link type

const BLOCK_SHB = 0x0a0d0d0a; // a palindrome, so it reads the same in either byte order
const BLOCK_IDB = 1;
const BLOCK_PB = 2; // obsolete Packet Block, pcapng Appendix A
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
const MIN_BLOCK_BYTES = 12; // type, length, trailing length
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** One packet record before the link layer is peeled. */
interface RawRecord {
  link: LinkLayer;
  data: Uint8Array;
  originalLength: number;
  timestampUs?: number;
}

/** Extracts the UDP datagrams whose source or destination port is in `ports` (default 520 and 521). */
export function readCapture(buf: Uint8Array, ports: ReadonlySet<number> = DEFAULT_PORTS): CaptureItem[] {
  if (buf.length < 4) throw new WireError("PCAP_BAD_FILE", 0, `${buf.length}-byte file, no capture header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return view.getUint32(0) === BLOCK_SHB ? readPcapng(buf, view, ports) : readPcap(buf, view, ports);
}

/** Peels one record to UDP; every WireError it raises becomes a fault for this frame only. */
function decodeRecord(frame: number, record: RawRecord, ports: ReadonlySet<number>): CaptureItem | undefined {
  try {
    const datagram = decodeFrame(record.link, record.data, ports);
    if (datagram === undefined) return undefined;
    const { timestampUs } = record;
    return timestampUs === undefined ? { frame, ...datagram } : { frame, timestampUs, ...datagram };
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    const cut = record.data.length < record.originalLength && e.code === "TRUNCATED";
    const note = `; the capture kept ${record.data.length} of ${record.originalLength} bytes (snapshot length)`;
    return { frame, error: cut ? new WireError(e.code, e.offset, e.message + note) : e };
  }
}

function fault(frame: number, e: unknown): CaptureFault {
  if (!(e instanceof WireError)) throw e;
  return { frame, error: e };
}

/** The read stops at this fault: see CaptureFault.ended. */
function lastFault(frame: number, e: unknown): CaptureFault {
  return { ...fault(frame, e), ended: true };
}

// ---- classic pcap ----

interface PcapHeader {
  le: boolean;
  nanos: boolean;
  link: LinkLayer;
}

function readPcap(buf: Uint8Array, view: DataView, ports: ReadonlySet<number>): CaptureItem[] {
  const header = pcapHeader(buf, view);
  const items: CaptureItem[] = [];
  let frame = 0;
  for (let off = PCAP_HEADER_BYTES; off < buf.length; ) {
    frame++;
    let record: RawRecord;
    try {
      record = pcapRecord(buf, view, off, header);
    } catch (e) {
      items.push(lastFault(frame, e)); // the next record header cannot be found
      break;
    }
    const item = decodeRecord(frame, record, ports);
    if (item !== undefined) items.push(item);
    off += PCAP_RECORD_HEADER_BYTES + record.data.length;
  }
  return items;
}

function pcapHeader(buf: Uint8Array, view: DataView): PcapHeader {
  const magic = view.getUint32(0, false);
  const swapped = view.getUint32(0, true);
  const known = (m: number) => m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS;
  if (!known(magic) && !known(swapped)) {
    if (magic === PCAP_MAGIC_MODIFIED || swapped === PCAP_MAGIC_MODIFIED) {
      throw new WireError("PCAP_UNSUPPORTED", 0, "modified (Kuznetzov) pcap format; convert it with editcap");
    }
    if (buf[0] === 0x1f && buf[1] === 0x8b)
      throw new WireError("PCAP_UNSUPPORTED", 0, "gzip-compressed file");
    throw new WireError("PCAP_BAD_FILE", 0, `not a pcap or pcapng file (magic 0x${magic.toString(16)})`);
  }
  const le = !known(magic);
  if (buf.length < PCAP_HEADER_BYTES)
    throw new WireError("PCAP_BAD_FILE", 0, `pcap header cut at ${buf.length}`);
  const major = view.getUint16(4, le); // pcap §4: version 2.4; 2.x minors differ only in history
  if (major !== 2)
    throw new WireError("PCAP_UNSUPPORTED", 4, `pcap version ${major}.${view.getUint16(6, le)}`);
  const linkType = (view.getUint32(20, le) & ~PCAP_FCS_BITS) >>> 0; // an FCS lies past the IP packet anyway
  const link = linkLayer(linkType);
  if (link === undefined) throw new WireError("PCAP_UNSUPPORTED", 20, `link type ${linkType}`);
  return { le, nanos: (le ? swapped : magic) === PCAP_MAGIC_NS, link };
}

function pcapRecord(buf: Uint8Array, view: DataView, off: number, h: PcapHeader): RawRecord {
  need(buf, off, PCAP_RECORD_HEADER_BYTES, "pcap record header"); // pcap §5
  const seconds = view.getUint32(off, h.le);
  const fraction = view.getUint32(off + 4, h.le);
  const captured = view.getUint32(off + 8, h.le);
  const originalLength = view.getUint32(off + 12, h.le);
  if (captured > originalLength) {
    // pcap §5: a record never holds more than the packet had; this header is garbage.
    throw new WireError("PCAP_BAD_FILE", off + 8, `record keeps ${captured} of ${originalLength} bytes`);
  }
  need(buf, off + PCAP_RECORD_HEADER_BYTES, captured, "pcap record data");
  const start = off + PCAP_RECORD_HEADER_BYTES;
  const fractionUs = h.nanos ? Math.floor(fraction / 1000) : fraction;
  return {
    link: h.link,
    data: buf.subarray(start, start + captured),
    originalLength,
    timestampUs: seconds * 1_000_000 + fractionUs,
  };
}

// ---- pcapng ----

interface Interface {
  link: LinkLayer;
  snaplen: number;
  toMicros: (ticks: bigint) => number;
}

/** Each section has its own byte order and its own interface numbering (pcapng §4.1). */
interface Section {
  le: boolean;
  interfaces: Interface[];
}

/** A block whose framing has been checked; `bytes` ends where the body ends, so `need` keeps reads inside. */
interface Block {
  type: number;
  le: boolean;
  length: number;
  body: number;
  bytes: Uint8Array;
}

function readPcapng(buf: Uint8Array, view: DataView, ports: ReadonlySet<number>): CaptureItem[] {
  const items: CaptureItem[] = [];
  let section: Section = { le: false, interfaces: [] };
  let frame = 0;
  for (let off = 0; off < buf.length; ) {
    let block: Block;
    try {
      block = blockAt(buf, view, off, section.le);
      if (block.type === BLOCK_SHB) section = sectionHeader(block, view);
      if (block.type === BLOCK_IDB) section.interfaces.push(interfaceDescription(block, view, section));
    } catch (e) {
      if (e instanceof WireError && off === 0 && e.code !== "PCAP_UNSUPPORTED") {
        throw new WireError("PCAP_BAD_FILE", e.offset, `pcapng section header: ${e.message}`);
      }
      if (off === 0 || (e instanceof WireError && e.code === "PCAP_UNSUPPORTED")) throw e;
      items.push(lastFault(frame + 1, e)); // the block framing is lost: nothing after it can be trusted
      break;
    }
    if (block.type === BLOCK_EPB || block.type === BLOCK_SPB || block.type === BLOCK_PB) {
      frame++;
      const item = packetItem(frame, block, view, section, ports);
      if (item !== undefined) items.push(item);
    }
    off += block.length; // every other block type (NRB, ISB, DSB, custom, ...) is skipped whole
  }
  return items;
}

function blockAt(buf: Uint8Array, view: DataView, off: number, le: boolean): Block {
  need(buf, off, 8, "pcapng block header"); // pcapng §3.1: type, total length
  const type = view.getUint32(off, le);
  if (type === BLOCK_SHB) le = sectionByteOrder(buf, view, off);
  const length = view.getUint32(off + 4, le);
  if (length < MIN_BLOCK_BYTES || length % 4 !== 0) {
    throw new WireError("PCAP_BAD_FILE", off + 4, `block length ${length}: not 12 or more in 4s`);
  }
  need(buf, off, length, "pcapng block");
  const trailing = view.getUint32(off + length - 4, le); // pcapng §3.1: the length is repeated at the end
  if (trailing !== length) {
    throw new WireError("PCAP_BAD_FILE", off + length - 4, `block length ${length}, trailer ${trailing}`);
  }
  return { type, le, length, body: off + 8, bytes: buf.subarray(0, off + length - 4) };
}

function sectionByteOrder(buf: Uint8Array, view: DataView, off: number): boolean {
  need(buf, off + 8, 4, "pcapng byte-order magic"); // pcapng §4.1 SHB
  const magic = view.getUint32(off + 8, false);
  if (magic === BYTE_ORDER_MAGIC) return false;
  if (magic === BYTE_ORDER_MAGIC_SWAPPED) return true;
  throw new WireError("PCAP_BAD_FILE", off + 8, `bad pcapng byte-order magic 0x${magic.toString(16)}`);
}

function sectionHeader(block: Block, view: DataView): Section {
  need(block.bytes, block.body, 16, "pcapng section header"); // pcapng §4.1: magic, version, section length
  const major = view.getUint16(block.body + 4, block.le);
  if (major !== 1) {
    const minor = view.getUint16(block.body + 6, block.le);
    throw new WireError("PCAP_UNSUPPORTED", block.body + 4, `pcapng version ${major}.${minor}`);
  }
  return { le: block.le, interfaces: [] };
}

function interfaceDescription(block: Block, view: DataView, section: Section): Interface {
  need(block.bytes, block.body, 8, "pcapng interface description"); // pcapng §4.2 IDB
  const linkType = view.getUint16(block.body, block.le);
  const link = linkLayer(linkType);
  const id = section.interfaces.length;
  if (link === undefined)
    throw new WireError("PCAP_UNSUPPORTED", block.body, `interface ${id}: link type ${linkType}`);
  const snaplen = view.getUint32(block.body + 4, block.le);
  let resolution = 6; // pcapng §4.2: microseconds unless if_tsresol says otherwise
  let offsetSeconds = 0n;
  for (let at = block.body + 8; at < block.bytes.length; ) {
    need(block.bytes, at, 4, "pcapng option header"); // pcapng §3.5: code, length, value padded to 4
    const code = view.getUint16(at, block.le);
    const length = view.getUint16(at + 2, block.le);
    if (code === OPT_ENDOFOPT) break;
    need(block.bytes, at + 4, length, "pcapng option value");
    if (code === OPT_IF_TSRESOL && length === 1) resolution = block.bytes[at + 4]!;
    if (code === OPT_IF_TSOFFSET && length === 8) offsetSeconds = view.getBigInt64(at + 4, block.le);
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return { link, snaplen, toMicros: timestampScale(resolution, offsetSeconds) };
}

/** pcapng §4.2 if_tsresol: the high bit picks base 2, the rest is the negative exponent; if_tsoffset in seconds. */
function timestampScale(resolution: number, offsetSeconds: bigint): (ticks: bigint) => number {
  const offsetUs = offsetSeconds * 1_000_000n;
  const exponent = resolution & 0x7f;
  if (resolution & 0x80) return (ticks) => Number(((ticks * 1_000_000n) >> BigInt(exponent)) + offsetUs);
  if (exponent >= 6) return (ticks) => Number(ticks / 10n ** BigInt(exponent - 6) + offsetUs);
  return (ticks) => Number(ticks * 10n ** BigInt(6 - exponent) + offsetUs);
}

/** Reads a packet block; any fault in it is this frame's alone, since the framing is intact. */
function packetItem(
  frame: number,
  block: Block,
  view: DataView,
  section: Section,
  ports: ReadonlySet<number>,
): CaptureItem | undefined {
  let record: RawRecord;
  try {
    record =
      block.type === BLOCK_SPB ? simplePacket(block, view, section) : enhancedPacket(block, view, section);
  } catch (e) {
    return fault(frame, e);
  }
  return decodeRecord(frame, record, ports);
}

/** pcapng §4.3 EPB (32-bit interface id) and Appendix A obsolete PB (16-bit id, 16-bit drop count). */
function enhancedPacket(block: Block, view: DataView, section: Section): RawRecord {
  const at = block.body;
  need(block.bytes, at, 20, block.type === BLOCK_EPB ? "enhanced packet block" : "packet block");
  const id = block.type === BLOCK_EPB ? view.getUint32(at, block.le) : view.getUint16(at, block.le);
  const iface = interfaceOf(section, id, at);
  const ticks = (BigInt(view.getUint32(at + 4, block.le)) << 32n) | BigInt(view.getUint32(at + 8, block.le));
  const captured = view.getUint32(at + 12, block.le);
  const originalLength = view.getUint32(at + 16, block.le);
  if (captured > originalLength) {
    throw new WireError("PCAP_BAD_FILE", at + 12, `block keeps ${captured} of ${originalLength} bytes`);
  }
  need(block.bytes, at + 20, captured, "packet data");
  const data = block.bytes.subarray(at + 20, at + 20 + captured);
  return { link: iface.link, data, originalLength, timestampUs: iface.toMicros(ticks) };
}

/** pcapng §4.4 SPB: interface 0, no timestamp; the data is what the block holds, up to the snapshot length. */
function simplePacket(block: Block, view: DataView, section: Section): RawRecord {
  need(block.bytes, block.body, 4, "simple packet block");
  const iface = interfaceOf(section, 0, block.body);
  const originalLength = view.getUint32(block.body, block.le);
  let captured = Math.min(originalLength, block.bytes.length - block.body - 4);
  if (iface.snaplen > 0) captured = Math.min(captured, iface.snaplen);
  const data = block.bytes.subarray(block.body + 4, block.body + 4 + captured);
  return { link: iface.link, data, originalLength };
}

function interfaceOf(section: Section, id: number, at: number): Interface {
  const iface = section.interfaces[id];
  if (iface === undefined) {
    const count = section.interfaces.length;
    throw new WireError("PCAP_BAD_FILE", at, `packet names interface ${id}; the section describes ${count}`);
  }
  return iface;
}
