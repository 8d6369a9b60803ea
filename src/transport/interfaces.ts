/**
 * What the kernel says about network interfaces, as LinkState for the speaker. The only place that
 * calls os.networkInterfaces() and reads /sys/class/net.
 */
import { readdirSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { LinkState } from "../speaker/types.js";
import { DEFAULT_MTU_BYTES } from "../wire/constants.js";

const SYS_NET = "/sys/class/net";

function mtuOf(name: string): number {
  try {
    return Number(readFileSync(`${SYS_NET}/${name}/mtu`, "utf8").trim()) || DEFAULT_MTU_BYTES;
  } catch {
    return DEFAULT_MTU_BYTES;
  }
}

/** True when the interface exists and is administratively and operationally up (or state unknown). */
export function isUp(name: string): boolean {
  try {
    const flags = Number.parseInt(readFileSync(`${SYS_NET}/${name}/flags`, "utf8").trim(), 16);
    return (flags & 0x1) !== 0; // IFF_UP
  } catch {
    return false;
  }
}

/** Names of every interface that exists now, addressed or not (a fresh tap has no address). */
export function interfaceNames(): Set<string> {
  try {
    return new Set(readdirSync(SYS_NET));
  } catch {
    return new Set(Object.keys(networkInterfaces()));
  }
}

const IFA_F_TENTATIVE = 0x40;
const IFA_F_DADFAILED = 0x08;

/**
 * Interfaces with a usable IPv6 link-local address, from /proc/net/if_inet6 (address, ifindex, prefix
 * length, scope, flags, name). An address still doing duplicate address detection cannot be bound,
 * so it is left out until DAD is done; os.networkInterfaces() does not show the flags.
 */
function usableLinkLocals(): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/net/if_inet6", "utf8");
  } catch {
    return undefined;
  }
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const [hex, , , scope, flags, name] = line.trim().split(/\s+/);
    if (
      !hex ||
      !name ||
      scope !== "20" ||
      (Number.parseInt(flags!, 16) & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !== 0
    )
      continue;
    out.add(name);
  }
  return out;
}

/** The current state of the named interfaces that exist and are up. */
export function readLinks(names: readonly string[]): LinkState[] {
  const all = networkInterfaces();
  const usable = usableLinkLocals();
  const links: LinkState[] = [];
  for (const name of names) {
    const addresses = all[name];
    if (!addresses || !isUp(name)) continue;
    const ipv4 = addresses
      .filter((a) => a.family === "IPv4")
      .map((a) => ({ address: a.address, prefixLength: Number(a.cidr?.split("/")[1] ?? 32) }));
    const linkLocal = addresses.find(
      (a) =>
        a.family === "IPv6" && a.address.toLowerCase().startsWith("fe80:") && (usable?.has(name) ?? true),
    );
    const ipv6 = addresses
      .filter((a) => a.family === "IPv6" && !a.address.toLowerCase().startsWith("fe80:"))
      .map((a) => ({ address: a.address, prefixLength: Number(a.cidr?.split("/")[1] ?? 128) }));
    const link: LinkState = { name, ipv4, mtu: mtuOf(name) };
    if (ipv6.length > 0) link.ipv6 = ipv6;
    if (linkLocal) link.ipv6LinkLocal = linkLocal.address.replace(/%.*$/, "");
    links.push(link);
  }
  return links;
}
