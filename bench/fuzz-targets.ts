/**
 * The fuzz targets of issue #7, shared by the CI run (test/fuzz/fuzz.test.ts) and the long run
 * (bench/fuzz.ts). Each is a function of one input that returns or throws, and every throw is a finding
 * (fuzz-check.ts):
 * - ripv2, ripng: decode() returns or throws WireError, the same for the datagram in a subarray; a decoded
 *   packet re-encodes (RIPv2 over 512 bytes excepted) and decodes to the same value.
 * - ripv2-offset, ripng-offset: decode(buf, offset, end) of the datagram inside a larger buffer gives what
 *   decoding it alone gives (the error offset shifted): it reads nothing outside [offset, end).
 * - auth-<mode>: verify() with the capture's key for that mode returns or throws WireError, the same for
 *   a subarray; a verified packet verified with that mode, and sign() gives its digest back.
 * - inbound-<mode>: Speaker.receive() on eth0 with that IPv4 auth mode (fuzz-inbound.ts).
 * - control, state: a control-socket line and a state file's text, through the daemon's admission
 *   (fuzz-control.ts, issue 13).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { AuthConfig } from "../src/speaker/types.js";
import { type AuthKey, type CryptoAlgorithm, DIGEST_BYTES, sign, verify } from "../src/wire/auth.js";
import { RIPV2_MAX_PACKET_BYTES } from "../src/wire/constants.js";
import * as ripng from "../src/wire/ripng.js";
import * as ripv2 from "../src/wire/ripv2.js";
import { attempt, check, type FuzzTarget, type Outcome, target } from "./fuzz-check.js";
import { controlTargets } from "./fuzz-control.js";
import { inboundTarget } from "./fuzz-inbound.js";
import { type CorpusDatagram, decoderInput, loadCorpus, mutated } from "./fuzz-inputs.js";
import { ripngDatagram, ripv2Datagram, type Signer } from "./fuzz-packets.js";

/** A key from captures.json: the mode and secret a capture was made with. */
export interface CaptureKey {
  mode: "simple" | CryptoAlgorithm;
  keyId?: number;
  secret: string;
  authLength?: number;
}

export interface Corpus {
  datagrams: CorpusDatagram[];
  keys: CaptureKey[];
}

const CRYPTO: readonly CryptoAlgorithm[] = ["md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"];

/** The captures' payloads and every key they were made with (the manifest's, other speakers' included). */
export function readCorpus(dir: string): Corpus {
  type Auth = CaptureKey | { mode: "none" };
  type Entry = { auth: Auth; otherSpeakers?: { auth: Auth }[] };
  const manifest = JSON.parse(readFileSync(join(dir, "captures.json"), "utf8")) as Entry[];
  const keys = new Map<string, CaptureKey>();
  for (const entry of manifest) {
    for (const { auth } of [entry, ...(entry.otherSpeakers ?? [])]) {
      if (auth.mode !== "none") keys.set(JSON.stringify(auth), auth);
    }
  }
  return { datagrams: loadCorpus(dir), keys: [...keys.values()] };
}

/** Where an embedded copy starts, and how much garbage follows it: enough to hold a whole trailer. */
const EMBED_AT = 5;
const EMBED_AFTER = 96;

/** `bytes` at EMBED_AT in a larger buffer of 0xA5 garbage. */
function embed(bytes: Uint8Array): Uint8Array {
  const framed = new Uint8Array(EMBED_AT + bytes.length + EMBED_AFTER).fill(0xa5);
  framed.set(bytes, EMBED_AT);
  return framed;
}

function sameOutcome<T>(invariant: string, direct: Outcome<T>, other: Outcome<T>, shift: number): void {
  const describe = (o: Outcome<T>) => (o.ok ? "a value" : `${o.error.code} at ${o.error.offset}`);
  const same = direct.ok
    ? other.ok && isDeepStrictEqual(direct.value, other.value)
    : !other.ok &&
      other.error.code === direct.error.code &&
      other.error.offset === direct.error.offset + shift;
  check(same, invariant, () => `${describe(direct)} directly, ${describe(other)} embedded (shift ${shift})`);
}

interface Codec<P> {
  decode(buf: Uint8Array, offset?: number, end?: number): { value: P; bytes: number };
  encode(packet: P): Uint8Array;
  /** Larger decoded packets may refuse to re-encode with TOO_LARGE. */
  maxBytes: number;
}

const RIPV2: Codec<ripv2.Ripv2Packet> = {
  decode: ripv2.decode,
  encode: (p) => ripv2.encode(p),
  maxBytes: RIPV2_MAX_PACKET_BYTES,
};
const RIPNG: Codec<ripng.RipngPacket> = {
  decode: ripng.decode,
  encode: (p) => ripng.encode(p),
  maxBytes: Number.POSITIVE_INFINITY,
};

function runDecoder<P>(name: string, codec: Codec<P>, bytes: Uint8Array): void {
  const direct = attempt(() => codec.decode(bytes));
  const inView = attempt(() => codec.decode(embed(bytes).subarray(EMBED_AT, EMBED_AT + bytes.length)));
  sameOutcome(`${name}.decode of a subarray`, direct, inView, 0);
  if (!direct.ok) return;
  const { value, bytes: used } = direct.value;
  check(used === bytes.length, `${name}.decode uses the whole datagram`, () => `${used} of ${bytes.length}`);
  const again = attempt(() => codec.decode(codec.encode(value)).value);
  if (again.ok) {
    check(
      isDeepStrictEqual(again.value, value),
      `${name}: decode(encode(decode(b))) = decode(b)`,
      () => "differs",
    );
  } else {
    const tooLarge = again.error.code === "TOO_LARGE" && bytes.length > codec.maxBytes;
    check(tooLarge, `${name}: a decoded packet re-encodes`, () => again.error.message);
  }
}

/** decode(buf, offset, end) of a datagram inside a larger buffer reads only buf[offset..end). */
function runAtOffset<P>(name: string, codec: Codec<P>, bytes: Uint8Array): void {
  const direct = attempt(() => codec.decode(bytes));
  const framed = embed(bytes);
  const inBuffer = attempt(() => codec.decode(framed, EMBED_AT, EMBED_AT + bytes.length));
  sameOutcome(`${name}.decode(buf, offset, end) = decode of the datagram alone`, direct, inBuffer, EMBED_AT);
}

function decoderTarget(name: string, run: (bytes: Uint8Array) => void, input: fc.Arbitrary<Uint8Array>) {
  return target<Uint8Array>({ name, input, run, toBytes: (bytes) => bytes, fromBytes: (bytes) => bytes });
}

function runVerify(name: string, keys: AuthKey[], mode: CaptureKey["mode"], bytes: Uint8Array): void {
  const direct = attempt(() => verify(bytes, keys));
  const inView = attempt(() => verify(embed(bytes).subarray(EMBED_AT, EMBED_AT + bytes.length), keys));
  sameOutcome(`${name}: verify of a subarray`, direct, inView, 0);
  if (!direct.ok || !direct.value.verified) return;
  const { algorithm, key } = direct.value;
  const fits = keys.includes(key) && (algorithm === mode || key.algorithm === undefined);
  check(fits, `${name}: verified with a configured key of its mode`, () => algorithm);
  if (algorithm === "simple") return;
  const copy = Uint8Array.from(bytes);
  const signed = attempt(() => sign(copy, { id: 0, secret: key.secret, algorithm }));
  check(
    signed.ok && isDeepStrictEqual(copy, Uint8Array.from(bytes)),
    `${name}: sign() agrees`,
    () => "differs",
  );
}

function authTarget(mode: CaptureKey["mode"], keys: AuthKey[], input: fc.Arbitrary<Uint8Array>): FuzzTarget {
  const name = `auth-${mode}`;
  return target<Uint8Array>({
    name,
    input,
    run: (bytes) => runVerify(name, keys, mode, bytes),
    toBytes: (bytes) => bytes,
    fromBytes: (bytes) => bytes,
  });
}

const secretOf = (k: CaptureKey) => Buffer.from(k.secret, "utf8");

/** The keys of one mode: each with its id and algorithm, plus an any-id any-algorithm one (`--key`). */
function keysFor(corpus: Corpus, mode: CaptureKey["mode"]): AuthKey[] {
  const found = corpus.keys.filter((k) => k.mode === mode);
  if (mode === "simple") return found.map((k) => ({ secret: secretOf(k) }));
  const keys: AuthKey[] = found.map((k) => ({ id: k.keyId ?? 0, secret: secretOf(k), algorithm: mode }));
  return found[0] ? [...keys, { secret: secretOf(found[0]) }] : keys;
}

function signersFor(corpus: Corpus, mode: CryptoAlgorithm): Signer[] {
  return corpus.keys
    .filter((k) => k.mode === mode)
    .map((k) => ({
      key: { id: k.keyId ?? 0, secret: secretOf(k), algorithm: mode },
      authDataLength: k.authLength ?? DIGEST_BYTES[mode],
    }));
}

function inboundAuth(corpus: Corpus, mode: "none" | "md5" | "hmac-sha256"): AuthConfig {
  if (mode === "none") return { mode };
  const keys = corpus.keys
    .filter((k) => k.mode === mode)
    .map((k) => ({ id: k.keyId ?? 0, secret: secretOf(k) }));
  return mode === "md5" ? { mode, keys, md5AuthLength: 20 } : { mode, keys };
}

/** Every target, each with fresh state (the inbound ones hold a Speaker). */
export function createTargets(corpus: Corpus): FuzzTarget[] {
  const payloads = corpus.datagrams.map((d) => d.payload);
  const any = decoderInput(payloads);
  const signed = (signers: Signer[]) =>
    fc.oneof(
      { weight: 3, arbitrary: any },
      { weight: 2, arbitrary: ripv2Datagram(signers) },
      { weight: 2, arbitrary: mutated(ripv2Datagram(signers), payloads) },
    );
  const withRipng = (signers: Signer[]) =>
    fc.oneof(
      { weight: 6, arbitrary: signed(signers) },
      { weight: 1, arbitrary: ripngDatagram },
      { weight: 1, arbitrary: mutated(ripngDatagram, payloads) },
    );
  const decoders = fc.oneof(
    { weight: 4, arbitrary: any },
    signed([]),
    ripngDatagram,
    mutated(ripngDatagram, payloads),
  );
  return [
    decoderTarget("ripv2", (b) => runDecoder("ripv2", RIPV2, b), decoders),
    decoderTarget("ripng", (b) => runDecoder("ripng", RIPNG, b), decoders),
    decoderTarget("ripv2-offset", (b) => runAtOffset("ripv2", RIPV2, b), decoders),
    decoderTarget("ripng-offset", (b) => runAtOffset("ripng", RIPNG, b), decoders),
    authTarget("simple", keysFor(corpus, "simple"), signed([])),
    ...CRYPTO.map((mode) => authTarget(mode, keysFor(corpus, mode), signed(signersFor(corpus, mode)))),
    ...(["none", "md5", "hmac-sha256"] as const).map((mode) =>
      inboundTarget(
        `inbound-${mode}`,
        inboundAuth(corpus, mode),
        withRipng(mode === "none" ? [] : signersFor(corpus, mode)),
      ),
    ),
    ...controlTargets(),
  ];
}
