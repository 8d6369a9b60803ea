/**
 * Address representations used on the hot path. IPv4 addresses and masks are unsigned 32-bit numbers
 * and IPv6 addresses are four unsigned 32-bit words, so the decoders make no strings and prefix math is
 * integer arithmetic. Text forms are made where a person or a key needs them: the speaker makes each
 * received RTE's prefix text (speaker/inbound.ts), since learned routes are kept by it.
 *
 * Text is checked by node:net and IPv6 text is normalised by the WHATWG URL serializer (RFC 5952:
 * lower case, longest zero run compressed, no dotted quad), built into Node. ip-num did this before,
 * but importing it cost ~130 ms, which every QEMU hook run paid before the VM could start.
 */
import { isIPv4, isIPv6 } from "node:net";

/** An IPv6 address as four big-endian 32-bit words, most significant first. */
export type Ipv6Words = readonly [number, number, number, number];

export const IPV6_ZERO: Ipv6Words = [0, 0, 0, 0];

export function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/** Throws a plain Error with a one-line reason; callers at the edges turn it into a usage error. */
export function parseIpv4(text: string): number {
  if (!isIPv4(text)) throw new Error(`${text} is not an IPv4 address`);
  const [a, b, c, d] = text.split(".").map(Number);
  return ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups compressed. */
export function formatIpv6(words: Ipv6Words): string {
  const groups: string[] = [];
  for (const word of words) groups.push((word >>> 16).toString(16), (word & 0xffff).toString(16));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/** Any valid IPv6 text (zero runs, a dotted-quad tail, upper case) to four words. */
export function parseIpv6(text: string): Ipv6Words {
  if (!isIPv6(text)) throw new Error(`${text} is not an IPv6 address`);
  // The URL serializer leaves only hex groups and at most one "::" to expand.
  const [head = "", tail] = new URL(`http://[${text}]/`).hostname.slice(1, -1).split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right].map((g) =>
    Number.parseInt(g, 16),
  );
  return [0, 1, 2, 3].map((i) => ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0) as unknown as Ipv6Words;
}

export function ipv6Equal(a: Ipv6Words, b: Ipv6Words): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

export function prefixLengthToMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** The prefix length of a contiguous mask, or -1 for a non-contiguous one (RFC 4632 §3.1). */
export function maskToPrefixLength(mask: number): number {
  const length = Math.clz32(~mask);
  return prefixLengthToMask(length) === mask >>> 0 ? length : -1;
}

/** True when the address has bits set beyond the prefix length. */
export function ipv4HasHostBits(address: number, length: number): boolean {
  return (address & ~prefixLengthToMask(length)) >>> 0 !== 0;
}

export function ipv6HasHostBits(words: Ipv6Words, length: number): boolean {
  for (let i = 0; i < 4; i++) {
    const bitsInWord = Math.min(32, Math.max(0, length - 32 * i));
    if ((words[i]! & ~prefixLengthToMask(bitsInWord)) >>> 0 !== 0) return true;
  }
  return false;
}

/**
 * RFC 1058 §3.2: a RIPv1 entry carries no mask, so its length is the class of the network; an address
 * with bits set beyond its class is a host route. 0.0.0.0 is the default route.
 */
export function classfulPrefixLength(address: number): number {
  if (address === 0) return 0;
  const first = address >>> 24;
  const classLength = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
  return ipv4HasHostBits(address, classLength) ? 32 : classLength;
}
