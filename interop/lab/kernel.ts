/** The gateway's kernel routing table: the real proof that a peer installed what riplet announced. */
import type { Lab } from "./lab.js";

export type Family = "ipv4" | "ipv6";

export interface KernelRoute {
  prefix: string;
  gateway?: string;
  dev?: string;
  /** iproute2's name for the protocol: `rip`, `bird`, `static`, `kernel`, or a number. */
  protocol: string;
  metric?: number;
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  nexthops?: { gateway?: string; dev?: string }[];
}

/** `ip -n NS [-6] -j route show`, with host routes given their /32 or /128. */
export async function kernelRoutes(lab: Lab, ns: string, family: Family): Promise<KernelRoute[]> {
  const flag = family === "ipv4" ? "-4" : "-6";
  const { stdout } = await lab.exec(ns, ["ip", flag, "-j", "route", "show"]);
  const rows = JSON.parse(stdout || "[]") as IpRoute[];
  return rows.map((r) => {
    const hop = r.nexthops?.[0];
    const route: KernelRoute = { prefix: normalizePrefix(r.dst, family), protocol: r.protocol ?? "" };
    const gateway = r.gateway ?? hop?.gateway;
    const dev = r.dev ?? hop?.dev;
    if (gateway !== undefined) route.gateway = gateway;
    if (dev !== undefined) route.dev = dev;
    if (r.metric !== undefined) route.metric = r.metric;
    return route;
  });
}

function normalizePrefix(dst: string, family: Family): string {
  if (dst === "default") return family === "ipv4" ? "0.0.0.0/0" : "::/0";
  return dst.includes("/") ? dst : `${dst}/${family === "ipv4" ? 32 : 128}`;
}

/** The kernel route for `prefix` in `ns`, if any. */
export async function kernelRoute(lab: Lab, ns: string, prefix: string): Promise<KernelRoute | undefined> {
  const family: Family = prefix.includes(":") ? "ipv6" : "ipv4";
  return (await kernelRoutes(lab, ns, family)).find((r) => r.prefix === prefix);
}

/** True when every prefix is in the kernel table (and, if given, via `gateways[prefix]`). */
export async function kernelHasAll(
  lab: Lab,
  ns: string,
  prefixes: string[],
  gateways: Record<string, string> = {},
): Promise<boolean> {
  for (const prefix of prefixes) {
    const route = await kernelRoute(lab, ns, prefix);
    if (!route) return false;
    const want = gateways[prefix];
    if (want !== undefined && route.gateway !== want) return false;
  }
  return true;
}

/** True when none of the prefixes is in the kernel table. */
export async function kernelHasNone(lab: Lab, ns: string, prefixes: string[]): Promise<boolean> {
  for (const prefix of prefixes) if (await kernelRoute(lab, ns, prefix)) return false;
  return true;
}

/** The multicast groups joined on `ifname` in `ns` (`ip maddr show dev IF`). */
export async function multicastGroups(lab: Lab, ns: string, ifname: string): Promise<string[]> {
  const { stdout } = await lab.exec(ns, ["ip", "maddr", "show", "dev", ifname]);
  return [...stdout.matchAll(/^\s+inet6?\s+(\S+)/gm)].map((m) => m[1]!);
}
