/**
 * Whether two readings of a link are the same. Asked on every link poll (every 250 ms) for every
 * uplink, by the speaker and by the transport, so it compares fields instead of serialising both.
 */
import type { LinkState } from "./types.js";

type Addresses = readonly { address: string; prefixLength: number }[] | undefined;

function sameAddresses(a: Addresses, b: Addresses): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x.address === b[i]!.address && x.prefixLength === b[i]!.prefixLength);
}

export function sameLinkState(a: LinkState, b: LinkState): boolean {
  return (
    a.name === b.name &&
    a.mtu === b.mtu &&
    a.ipv6LinkLocal === b.ipv6LinkLocal &&
    sameAddresses(a.ipv4, b.ipv4) &&
    sameAddresses(a.ipv6, b.ipv6)
  );
}
