/**
 * What `riplet routes` and `riplet status` show: plain JSON, never a secret. The shapes are the
 * replies' schemas (control/replies.ts), which the CLI parses them with.
 */
import type { RouteReport, SpeakerStatus } from "../control/replies.js";
import type { Health } from "../health/state.js";
import type { Speaker } from "../speaker/speaker.js";
import { packageVersion } from "../version.js";
import type { DaemonConfig } from "./config.js";
import type { RouteStore, StoredRoute } from "./route-store.js";
import { monotonicMs } from "./speaker-host.js";

export interface WantedRoutes {
  store: RouteStore;
  /** The gate's report: each checked prefix's verdict and since when (Unix ms). */
  checks: readonly { prefix: string; health: Health; since?: number }[];
}

/** Routes asked for (config or socket) that are not on the wire at all: their check is not passing, or maintenance. */
export function heldRoutes(speaker: Speaker, store: RouteStore): StoredRoute[] {
  return store.held((prefix) => speaker.table.get(prefix) !== undefined);
}

export function routesReport(speaker: Speaker, wanted: WantedRoutes): RouteReport[] {
  const now = monotonicMs();
  const checks = new Map(wanted.checks.map((c) => [c.prefix, c]));
  // a route being withdrawn is no longer asked for; the store remembers who had asked (issue 16)
  const sourceOf = (prefix: string): RouteReport["source"] => wanted.store.sourceOf(prefix) ?? "config";
  const healthOf = (prefix: string) => {
    const health = checks.get(prefix)?.health;
    return health === undefined ? {} : { health };
  };
  const onWire: RouteReport[] = speaker.table.all().map((r) => ({
    prefix: r.prefix.text,
    family: r.prefix.family,
    metric: r.state === "withdrawing" ? 16 : r.metric,
    tag: r.tag,
    state: r.state,
    ...(r.owner ? { owner: r.owner } : {}),
    ...(r.nextHop ? { nextHop: r.nextHop } : {}),
    source: sourceOf(r.prefix.text),
    ...healthOf(r.prefix.text),
    age: Math.round((now - r.changedAt) / 1000),
  }));
  const held: RouteReport[] = heldRoutes(speaker, wanted.store).map((spec) => {
    const since = checks.get(spec.prefix.text)?.since;
    return {
      prefix: spec.prefix.text,
      family: spec.prefix.family,
      metric: spec.metric,
      tag: spec.tag,
      state: "held" as const,
      ...(spec.owner ? { owner: spec.owner } : {}),
      ...(spec.nextHop ? { nextHop: spec.nextHop } : {}),
      source: sourceOf(spec.prefix.text),
      ...healthOf(spec.prefix.text),
      age: since === undefined ? 0 : Math.max(0, Math.round((Date.now() - since) / 1000)),
    };
  });
  return [...held, ...onWire].sort((a, b) => a.prefix.localeCompare(b.prefix));
}

/** The speaker's part of the status reply, with the daemon's version, uptime and held-route count. */
export function statusReport(speaker: Speaker, config: DaemonConfig, store: RouteStore): SpeakerStatus {
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
      held: heldRoutes(speaker, store).length,
    },
    counters: speaker.counters,
    /** Every datagram dropped, by reason, whoever sent it (any DropReason the speaker has). */
    drops: { ...speaker.dropsByReason } as Record<string, number>,
    sequence: speaker.sequence,
    sequenceExhausted: sequenceExhausted(speaker),
    version: packageVersion(),
    uptimeSeconds: Math.floor(process.uptime()),
  };
}

/**
 * RFC 4822 §3: the crypto sequence number has reached 2^32 − 1 and cannot grow, so peers will refuse
 * what we sign as replays until the keys change. Read from the speaker (`Speaker.sequenceExhausted`),
 * defensively: a speaker without the flag reads as not exhausted.
 */
function sequenceExhausted(speaker: Speaker): boolean {
  return (speaker as Speaker & { readonly sequenceExhausted?: boolean }).sequenceExhausted ?? false;
}
