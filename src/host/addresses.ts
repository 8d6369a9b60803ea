/**
 * Which addresses a VM tap gets (SPEC §6): `RIPLET_ADDRESSES` (comma or space separated interface
 * CIDRs, e.g. 198.51.100.1/24,2001:db8:42::1/64), else `taps.<ifname>.addresses` in the config. Each
 * address's network is what gets announced.
 */
import { isIPv4, isIPv6 } from "node:net";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6, prefixLengthToMask } from "../wire/address.js";

export interface TapAddress {
  /** As given, for `ip addr`: 198.51.100.1/24. */
  cidr: string;
  /** The network to announce: 198.51.100.0/24. */
  network: string;
  family: "ipv4" | "ipv6";
}

export class AddressError extends Error {
  override readonly name = "AddressError";
}

export function parseTapAddress(text: string): TapAddress {
  const [address = "", lengthText = ""] = text.split("/");
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address))
    throw new AddressError(`${text} is not an interface address like 198.51.100.1/24 or 2001:db8:42::1/64`);
  const length = Number(lengthText);
  const max = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lengthText) || length > max) {
    throw new AddressError(`${text}: give a prefix length 0-${max}, e.g. ${address}/${v4 ? 24 : 64}`);
  }
  if (v4) {
    const network = (parseIpv4(address) & prefixLengthToMask(length)) >>> 0;
    return { cidr: text, network: `${formatIpv4(network)}/${length}`, family: "ipv4" };
  }
  const words = parseIpv6(address).map(
    (w, i) => (w & prefixLengthToMask(Math.min(32, Math.max(0, length - 32 * i)))) >>> 0,
  );
  return {
    cidr: text,
    network: `${formatIpv6([words[0]!, words[1]!, words[2]!, words[3]!])}/${length}`,
    family: "ipv6",
  };
}

/** Splits RIPLET_ADDRESSES; an empty or unset variable gives undefined (fall back to the config). */
export function addressesFromEnv(value: string | undefined): TapAddress[] | undefined {
  const items = (value ?? "").split(/[\s,]+/).filter(Boolean);
  return items.length > 0 ? items.map(parseTapAddress) : undefined;
}
