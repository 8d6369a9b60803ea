/** The gateway's kernel routing table: the real proof that a peer installed what riplet announced. */
import type { Lab } from "./lab.js";
import type { PairLab } from "./topology.js";

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

/** The kernel routes of the families `prefixes` are in, by prefix: one `ip route` per family, not per prefix. */
async function routesFor(lab: Lab, ns: string, prefixes: string[]): Promise<Map<string, KernelRoute>> {
  const families = new Set<Family>(prefixes.map((p) => (p.includes(":") ? "ipv6" : "ipv4")));
  const routes = new Map<string, KernelRoute>();
  for (const family of families) {
    for (const route of await kernelRoutes(lab, ns, family)) {
      if (!routes.has(route.prefix)) routes.set(route.prefix, route);
    }
  }
  return routes;
}

/** True when every prefix is in the kernel table (and, if given, via `gateways[prefix]`). */
export async function kernelHasAll(
  lab: Lab,
  ns: string,
  prefixes: string[],
  gateways: Record<string, string> = {},
): Promise<boolean> {
  const routes = await routesFor(lab, ns, prefixes);
  return prefixes.every((prefix) => {
    const route = routes.get(prefix);
    const want = gateways[prefix];
    return route !== undefined && (want === undefined || route.gateway === want);
  });
}

/** True when none of the prefixes is in the kernel table. */
export async function kernelHasNone(lab: Lab, ns: string, prefixes: string[]): Promise<boolean> {
  const routes = await routesFor(lab, ns, prefixes);
  return prefixes.every((prefix) => !routes.has(prefix));
}

/** For waitFor: the pair's gateway has every one of `prefixes` in its kernel table. */
export const onGateway = (pair: PairLab, prefixes: string[]) => () =>
  kernelHasAll(pair.lab, pair.gw.ns, prefixes);

/** For waitFor: the pair's gateway has none of `prefixes` in its kernel table. */
export const offGateway = (pair: PairLab, prefixes: string[]) => () =>
  kernelHasNone(pair.lab, pair.gw.ns, prefixes);

/** The multicast groups joined on `ifname` in `ns` (`ip maddr show dev IF`). */
export async function multicastGroups(lab: Lab, ns: string, ifname: string): Promise<string[]> {
  const { stdout } = await lab.exec(ns, ["ip", "maddr", "show", "dev", ifname]);
  return [...stdout.matchAll(/^\s+inet6?\s+(\S+)/gm)].map((m) => m[1]!);
}
