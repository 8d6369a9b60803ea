/**
 * What the fuzz targets are fed (issue #7): the RIP and RIPng payloads of every real FRR/BIRD capture in
 * test/fixtures, and fast-check arbitraries that mutate them (bit flips, byte overwrites, truncation,
 * extension, splicing, repeated or removed RTEs, length-field edits), and raw bytes with and without a
 * plausible header. Pure apart from loadCorpus(), which reads the pcaps. Structured packets, signed or
 * not, are in fuzz-packets.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { readCapture } from "../src/capture/pcap.js";
import { HEADER_BYTES, RTE_BYTES } from "../src/wire/constants.js";

/** One datagram of a capture, with where it came from. */
export interface CorpusDatagram {
  file: string;
  family: "ipv4" | "ipv6";
  source: string;
  sourcePort: number;
  payload: Uint8Array;
}

/** test/fixtures, found upward from `from` (bench/ when run by vitest, dist/bench/ when built). */
export function fixturesDir(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "test", "fixtures");
    if (existsSync(join(candidate, "captures.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no test/fixtures/captures.json above ${from}`);
  }
}

/** Every distinct RIP/RIPng payload of every *.pcap in `dir`, in file order. */
export function loadCorpus(dir: string): CorpusDatagram[] {
  const seen = new Set<string>();
  const out: CorpusDatagram[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".pcap"))
    .sort()) {
    for (const item of readCapture(readFileSync(join(dir, file)))) {
      if ("error" in item) continue;
      const key = Buffer.from(item.payload).toString("hex");
      if (seen.has(key)) continue;
      seen.add(key);
      const { family, source, sourcePort } = item;
      out.push({ file, family, source, sourcePort, payload: Uint8Array.from(item.payload) });
    }
  }
  return out;
}

type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "cut"; at: number }
  | { op: "append"; bytes: Uint8Array }
  | { op: "repeat"; entry: number; times: number }
  | { op: "remove"; entry: number }
  | { op: "splice"; other: number; at: number; from: number }
  | { op: "field"; field: "packetLength" | "authDataLength" | "sequence"; delta: number };

/** Values that sit on boundaries: command/version numbers, 0x7f/0x80, 0xff, AFI and metric edges. */
const interestingByte = fc.constantFrom(0, 1, 2, 3, 16, 20, 0x7f, 0x80, 0xfe, 0xff);
const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), interestingByte);
const delta = fc.oneof(fc.integer({ min: -64, max: 64 }), fc.constantFrom(-20, 20, -4, 4, 0x8000, -0x8000));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("flip"), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("set"), at: fc.nat(), value: byte }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cut"), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("append"), bytes: fc.uint8Array({ maxLength: 48 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("repeat"),
      entry: fc.nat(),
      times: fc.integer({ min: 1, max: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("remove"), entry: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("splice"), other: fc.nat(), at: fc.nat(), from: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("field"),
      field: fc.constantFrom("packetLength", "authDataLength", "sequence"),
      delta,
    }),
  },
) as fc.Arbitrary<Mutation>;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The RTE slot `entry` picks (modulo the count), or undefined when the packet has none. */
function rteAt(bytes: Uint8Array, entry: number): number | undefined {
  const count = Math.floor((bytes.length - HEADER_BYTES) / RTE_BYTES);
  return count > 0 ? HEADER_BYTES + (entry % count) * RTE_BYTES : undefined;
}

/** RFC 4822 §2.2 fields of the authentication entry: packet length, Auth Data Len, sequence number. */
function editField(bytes: Uint8Array, m: Extract<Mutation, { op: "field" }>): Uint8Array {
  const out = Uint8Array.from(bytes);
  const view = new DataView(out.buffer);
  if (m.field === "packetLength" && out.length >= 10)
    view.setUint16(8, (view.getUint16(8) + m.delta) & 0xffff);
  if (m.field === "authDataLength" && out.length >= 12) out[11] = (out[11]! + m.delta) & 0xff;
  if (m.field === "sequence" && out.length >= 16) view.setUint32(12, (view.getUint32(12) + m.delta) >>> 0);
  return out;
}

function apply(bytes: Uint8Array, m: Mutation, pool: readonly Uint8Array[]): Uint8Array {
  const n = bytes.length;
  switch (m.op) {
    case "flip":
    case "set": {
      if (n === 0) return bytes;
      const out = Uint8Array.from(bytes);
      out[m.at % n] = m.op === "flip" ? out[m.at % n]! ^ (1 << m.bit) : m.value;
      return out;
    }
    case "cut":
      return bytes.slice(0, m.at % (n + 1));
    case "append":
      return concat(bytes, m.bytes);
    case "repeat": {
      const at = rteAt(bytes, m.entry);
      if (at === undefined) return bytes;
      const rte = bytes.subarray(at, at + RTE_BYTES);
      return concat(bytes.subarray(0, at), ...Array<Uint8Array>(m.times).fill(rte), bytes.subarray(at));
    }
    case "remove": {
      const at = rteAt(bytes, m.entry);
      return at === undefined ? bytes : concat(bytes.subarray(0, at), bytes.subarray(at + RTE_BYTES));
    }
    case "splice": {
      const other = pool[m.other % pool.length] ?? bytes;
      return concat(bytes.subarray(0, m.at % (n + 1)), other.subarray(m.from % (other.length + 1)));
    }
    case "field":
      return editField(bytes, m);
  }
}

/** `base` with one to five mutations applied; `pool` is what splices take their tail from. */
export function mutated(
  base: fc.Arbitrary<Uint8Array>,
  pool: readonly Uint8Array[],
): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: 5 }))
    .map(([bytes, mutations]) => mutations.reduce((b, m) => apply(b, m, pool), bytes));
}

/** One of the captured payloads, as it is. */
export function captured(corpus: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.nat(corpus.length - 1).map((i) => corpus[i]!);
}

/** `length` pseudo-random bytes from `seed` (xorshift32): cheaper to draw than one value per byte. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Up to `maxLength` bytes: short ones drawn byte by byte (they shrink well), long ones from a seed. */
export function bytesUpTo(maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 48 }),
    fc.tuple(fc.nat(maxLength), fc.integer()).map(([length, seed]) => pseudoRandomBytes(length, seed)),
  );
}

/** A RIP header (mostly a valid command and version) followed by random whole or broken RTEs. */
export const headed: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: byte }),
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: byte }),
    fc.integer({ min: 0, max: 40 }),
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 19 }) },
    ),
    fc.integer(),
  )
  .map(([command, version, entries, extra, seed]) =>
    concat(Uint8Array.of(command, version, 0, 0), pseudoRandomBytes(entries * RTE_BYTES + extra, seed)),
  );

/** Raw bytes of any shape, up to a bit more than a 1500-byte MTU can carry. */
export const raw: fc.Arbitrary<Uint8Array> = bytesUpTo(1600);

/** Everything a decoder is fed: raw, headed, captured and mutated captured bytes. */
export function decoderInput(corpus: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: raw },
    { weight: 2, arbitrary: headed },
    { weight: 1, arbitrary: captured(corpus) },
    { weight: 6, arbitrary: mutated(captured(corpus), corpus) },
  );
}
