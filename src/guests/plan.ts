/**
 * What a tap's guests are offered (SPEC §4 `guests`, §6), as the dnsmasq command line that serves it.
 * Pure: addresses and settings in, argv out; the process is guests/server.ts's.
 *
 * DHCPv4: the pool is the tap's subnet without the network, broadcast and the tap's own address (one
 * range on each side of it); dnsmasq's default router option is its own address on the subnet the
 * request came in on (dnsmasq(8) --dhcp-option: "the router option is set to the address of the
 * machine running dnsmasq"), i.e. the tap's address. IPv6: RAs on each of the tap's /64s with the
 * autonomous flag (`ra-only`, RFC 4862 SLAAC); the RA's source is the tap's link-local address, which
 * becomes the guest's default route (RFC 4861 §6.3.4). DNS: IPv4 servers as DHCP option 6, IPv6 ones
 * as RDNSS (RFC 8106). With --port=0 dnsmasq serves no DNS and offers none of its own (rfc2131.c and
 * radv.c add their own address only when the DNS port is 53).
 */
import { isIPv4, isIPv6 } from "node:net";
import type { TapAddress } from "../host/addresses.js";
import { formatIpv4, parseIpv4, prefixLengthToMask } from "../wire/address.js";

export interface GuestSettings {
  dhcp: boolean;
  ra: boolean;
  /** DNS servers handed out: IPv4 ones by DHCP, IPv6 ones by RDNSS. */
  dns: string[];
}

/** Where one tap's server keeps its files (under the state directory, so they survive restarts). */
export interface GuestFiles {
  leases: string;
  pid: string;
}

export class GuestPlanError extends Error {
  override readonly name = "GuestPlanError";
}

/** How long a lease lasts; the guest renews at half of it (RFC 2131 §4.4.5 T1). */
const LEASE_SECONDS = 3600;
/** One tap is one VM; a guest that invents MACs cannot make the server hold more than this. */
const MAX_LEASES_PER_TAP = 256;

export const DNSMASQ_MISSING_FIX = "install it with: apt-get install -y dnsmasq-base";

export interface Ipv4Pool {
  /** Inclusive ranges of addresses offered. */
  ranges: [string, string][];
  netmask: string;
}

/** The tap's subnet minus its network, broadcast and own address; null when nothing is left (/31, /32). */
export function ipv4Pool(cidr: string): Ipv4Pool | null {
  const [address, lengthText] = cidr.split("/");
  const length = Number(lengthText);
  if (length > 30) return null;
  const mask = prefixLengthToMask(length);
  const own = parseIpv4(address!);
  const network = (own & mask) >>> 0;
  const broadcast = (network | ~mask) >>> 0;
  const ranges: [string, string][] = [];
  if (own - 1 >= network + 1) ranges.push([formatIpv4(network + 1), formatIpv4(own - 1)]);
  if (own + 1 <= broadcast - 1) ranges.push([formatIpv4(own + 1), formatIpv4(broadcast - 1)]);
  return { ranges, netmask: formatIpv4(mask) };
}

/** The /64 prefix RAs announce for a tap address, e.g. 2001:db8:42::1/64 → 2001:db8:42::. */
function raPrefix(address: TapAddress, ifname: string): string {
  const length = Number(address.cidr.split("/")[1]);
  if (length !== 64) {
    throw new GuestPlanError(
      `${ifname}: router advertisements need a /64 on the tap for SLAAC (RFC 4862 §5.5.3), not ${address.cidr}; give the tap a /64 or set ra: false`,
    );
  }
  return address.network.split("/")[0]!;
}

function dnsOptions(dns: readonly string[]): string[] {
  const v4 = dns.filter((a) => isIPv4(a));
  const v6 = dns.filter((a) => isIPv6(a));
  const args: string[] = [];
  if (v4.length > 0) args.push(`--dhcp-option=option:dns-server,${v4.join(",")}`);
  if (v6.length > 0) args.push(`--dhcp-option=option6:dns-server,${v6.map((a) => `[${a}]`).join(",")}`);
  return args;
}

/**
 * The dnsmasq argv for one tap, or a GuestPlanError naming what is missing. Bound to that tap only
 * (--interface + --bind-interfaces: dnsmasq then binds its DHCP socket to the device, so one server
 * per tap can run side by side and an uplink never hears an offer or an RA).
 */
export function dnsmasqArgs(
  ifname: string,
  addresses: readonly TapAddress[],
  settings: GuestSettings,
  files: GuestFiles,
): string[] {
  const args: string[] = [];
  if (settings.dhcp) {
    const v4 = addresses.filter((a) => a.family === "ipv4");
    if (v4.length === 0)
      throw new GuestPlanError(
        `${ifname}: DHCP needs an IPv4 address on the tap; add one or set dhcp: false`,
      );
    for (const address of v4) {
      const pool = ipv4Pool(address.cidr);
      if (!pool || pool.ranges.length === 0) {
        throw new GuestPlanError(
          `${ifname}: ${address.cidr} leaves no address to lease; use a /30 or shorter, or set dhcp: false`,
        );
      }
      for (const [start, end] of pool.ranges)
        args.push(`--dhcp-range=${start},${end},${pool.netmask},${LEASE_SECONDS}s`);
    }
    // The only server on a link to one VM: answer a renewing guest whose lease we do not remember,
    // and offer at once instead of pinging the address first (dnsmasq's conflict check costs ~3 s of
    // the guest's boot, and on a tap the only other host is the guest asking).
    args.push("--dhcp-authoritative", "--no-ping", `--dhcp-lease-max=${MAX_LEASES_PER_TAP}`);
  }
  if (settings.ra) {
    const v6 = addresses.filter((a) => a.family === "ipv6");
    if (v6.length === 0) {
      throw new GuestPlanError(
        `${ifname}: router advertisements need an IPv6 /64 on the tap; add one or set ra: false`,
      );
    }
    for (const address of v6) args.push(`--dhcp-range=${raPrefix(address, ifname)},ra-only,64`);
    args.push("--enable-ra");
  }
  if (args.length === 0) throw new GuestPlanError(`${ifname}: neither dhcp nor ra is on`);
  return [
    "--keep-in-foreground",
    "--log-facility=-",
    "--quiet-dhcp",
    "--quiet-ra",
    "--conf-file=/dev/null",
    `--interface=${ifname}`,
    "--bind-interfaces",
    "--port=0",
    "--no-resolv",
    "--no-hosts",
    `--dhcp-leasefile=${files.leases}`,
    `--pid-file=${files.pid}`,
    ...args,
    ...dnsOptions(settings.dns),
  ];
}
