/**
 * Which addresses a VM tap gets (SPEC §6): `RIPLET_ADDRESSES` (comma or space separated interface
 * CIDRs, e.g. 198.51.100.1/24,2001:db8:42::1/64), else `taps.<ifname>.addresses` in the config. Each
 * address's network is what gets announced.
 */
import { isIPv4, isIPv6 } from "node:net";
import { maskIpv6, PrefixError, parsePrefix } from "../speaker/prefix.js";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6, prefixLengthToMask } from "../wire/address.js";

export interface TapAddress {
  /** As given, for `ip addr`: 198.51.100.1/24. */
  cidr: string;
  /** The network to announce: 198.51.100.0/24. */
  network: string;
  family: "ipv4" | "ipv6";
}

/**
 * Linux interface names (IFNAMSIZ 16 with the NUL), as tap names are written in practice. One rule for
 * the control socket, the config, the state file's owners and the hooks; it also keeps a name from
 * carrying a space or newline into `ip -batch` input or a path out of /sys/class/net.
 */
export const IFNAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/;

export class AddressError extends Error {
  override readonly name = "AddressError";
}

/**
 * Exactly ADDRESS/LEN and nothing else: the text goes into `ip -batch` input, where a newline or a
 * second word would be another command or argument (issue 13: `1.1.1.1/24/<anything>` got through).
 */
const SHAPE = /^([0-9A-Fa-f.:]{2,45})\/(\d{1,3})$/;

/** The network of an interface address: 198.51.100.1/24 → 198.51.100.0/24. */
function networkOf(address: string, length: number, v4: boolean): string {
  if (v4) return `${formatIpv4((parseIpv4(address) & prefixLengthToMask(length)) >>> 0)}/${length}`;
  return `${formatIpv6(maskIpv6(parseIpv6(address), length))}/${length}`;
}

/** The address must be unicast and its network admissible by the prefix rules (speaker/prefix.ts). */
export function parseTapAddress(text: string): TapAddress {
  const shown = JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
  const match = SHAPE.exec(text);
  const address = match?.[1] ?? "";
  const v4 = isIPv4(address);
  if (!match || (!v4 && !isIPv6(address)))
    throw new AddressError(`${shown} is not an interface address like 198.51.100.1/24 or 2001:db8:42::1/64`);
  const length = Number(match[2]);
  const max = v4 ? 32 : 128;
  if (length > max)
    throw new AddressError(`${text}: give a prefix length 0-${max}, e.g. ${address}/${v4 ? 24 : 64}`);
  const network = networkOf(address, length, v4);
  try {
    parsePrefix(`${address}/${max}`); // the address itself: not multicast, loopback, link-local, reserved
    parsePrefix(network); // and the network announced for it (the default route never)
  } catch (error) {
    if (error instanceof PrefixError) throw new AddressError(`${text}: ${error.message}`);
    throw error;
  }
  return { cidr: text, network, family: v4 ? "ipv4" : "ipv6" };
}

/** Splits RIPLET_ADDRESSES; an empty or unset variable gives undefined (fall back to the config). */
export function addressesFromEnv(value: string | undefined): TapAddress[] | undefined {
  const items = (value ?? "").split(/[\s,]+/).filter(Boolean);
  return items.length > 0 ? items.map(parseTapAddress) : undefined;
}
