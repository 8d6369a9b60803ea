/**
 * dnsmasq's lease file, read for `riplet status` and the metrics. One lease a line:
 * `EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID` (lease.c: expiry in Unix seconds, 0 for infinite; `*` for an
 * unknown hostname or client id). The hostname is the guest's own word (DHCP option 12): a hostile
 * guest chooses it, so only a short, printable one is shown.
 */
import { isIPv4 } from "node:net";

export interface Lease {
  mac: string;
  address: string;
  hostname: string | null;
  /** Unix seconds; null for an infinite lease. */
  expires: number | null;
}

/** dnsmasq's own cap (plan.ts MAX_LEASES_PER_TAP) bounds the file; this bounds what we read of it. */
export const MAX_LEASE_BYTES = 64 * 1024;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

export function parseLeases(text: string): Lease[] {
  const leases: Lease[] = [];
  for (const line of text.slice(0, MAX_LEASE_BYTES).split("\n")) {
    const [expiry, mac, address, hostname] = line.trim().split(/\s+/);
    // DHCPv6 leases (RA-only serves none) and the "duid" line have other shapes: not ours to show
    if (!expiry || !/^\d{1,12}$/.test(expiry) || !mac || !MAC.test(mac) || !address || !isIPv4(address))
      continue;
    const seconds = Number(expiry);
    leases.push({
      mac: mac.toLowerCase(),
      address,
      hostname: hostname && hostname !== "*" && HOSTNAME.test(hostname) ? hostname : null,
      expires: seconds === 0 ? null : seconds,
    });
  }
  return leases;
}
