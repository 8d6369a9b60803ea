/** What `riplet routes` and `riplet status` show: plain JSON, never a secret. */
import type { Speaker } from "../speaker/speaker.js";
import type { RouteSpec } from "../speaker/table.js";
import type { DaemonConfig } from "./config.js";
import { monotonicMs } from "./host.js";

export interface RouteReport {
  prefix: string;
  family: "ipv4" | "ipv6";
  metric: number;
  tag: number;
  state: "active" | "withdrawing";
  owner?: string;
  nextHop?: string;
  source: "config" | "socket";
  /** Seconds since the last change (announce or withdraw). */
  age: number;
}

export function routesReport(speaker: Speaker, dynamic: ReadonlyMap<string, RouteSpec>): RouteReport[] {
  const now = monotonicMs();
  return speaker.table
    .all()
    .map((r) => ({
      prefix: r.prefix.text,
      family: r.prefix.family,
      metric: r.state === "withdrawing" ? 16 : r.metric,
      tag: r.tag,
      state: r.state,
      ...(r.owner ? { owner: r.owner } : {}),
      ...(r.nextHop ? { nextHop: r.nextHop } : {}),
      source: dynamic.has(r.prefix.text) ? ("socket" as const) : ("config" as const),
      age: Math.round((now - r.changedAt) / 1000),
    }))
    .sort((a, b) => a.prefix.localeCompare(b.prefix));
}

export function statusReport(speaker: Speaker, config: DaemonConfig) {
  const now = monotonicMs();
  const links = new Map(speaker.linkStates().map((l) => [l.name, l]));
  return {
    interfaces: config.interfaces.map((i) => {
      const link = links.get(i.name);
      return {
        name: i.name,
        up: link !== undefined,
        ipv4: link?.ipv4.map((a) => `${a.address}/${a.prefixLength}`) ?? [],
        ipv6LinkLocal: link?.ipv6LinkLocal ?? null,
        rip: i.ipv4
          ? { auth: i.ipv4.auth.mode, neighbors: i.ipv4.neighbors, multicast: i.ipv4.multicast }
          : null,
        ripng: i.ipv6 ? { neighbors: i.ipv6.neighbors, multicast: i.ipv6.multicast } : null,
      };
    }),
    neighbors: speaker.neighbors.all().map((n) => ({
      address: n.address,
      interface: n.interface,
      family: n.family,
      version: n.version,
      lastHeard: n.lastHeard === undefined ? null : Math.round((now - n.lastHeard) / 1000),
      routes: n.routes.size,
      badPackets: n.badPackets,
      badRoutes: n.badRoutes,
      drops: n.drops,
    })),
    routes: {
      active: speaker.table.size - speaker.table.withdrawingCount,
      withdrawing: speaker.table.withdrawingCount,
    },
    counters: speaker.counters,
    sequence: speaker.sequence,
  };
}
