/**
 * Who we hear on each link, and what went wrong with what they sent. Every dropped packet and every
 * skipped route is counted against the neighbour that sent it, so `riplet status` can show it.
 */
import type { Family } from "./types.js";

/** Why a whole datagram was dropped. Codes are stable: they appear in status output and logs. */
export type DropReason =
  | "MALFORMED" // a WireError: the datagram could not be parsed
  | "BAD_PORT" // RFC 2453 §3.9.2 / RFC 2080 §2.4.2: a Response not from port 520/521
  | "NOT_ON_LINK" // RFC 2453 §3.9.2: source is not on a directly connected network
  | "NOT_LINK_LOCAL" // RFC 2080 §2.4.2: a RIPng Response must come from a link-local address
  | "UNKNOWN_INTERFACE" // arrived on an interface riplet is not configured for
  | "BAD_VERSION" // a version this interface does not accept
  | "AUTH_MISSING" // the interface requires authentication and the packet has none
  | "AUTH_FAILED" // wrong password, key or digest (RFC 2082, RFC 4822)
  | "AUTH_REPLAY"; // crypto sequence number went backwards (RFC 4822 §3)

export interface Neighbor {
  address: string;
  interface: string;
  family: Family;
  version: number;
  /** Clock time (ms) a valid packet was last heard; undefined if only bad ones were. */
  lastHeard?: number;
  /** Prefix text → when it stops counting (route timeout, RFC 2453 §3.8). Withdrawals remove. */
  routes: Map<string, number>;
  badPackets: number;
  badRoutes: number;
  drops: Partial<Record<DropReason, number>>;
  /** Highest crypto sequence number accepted (RFC 4822 §3). */
  sequence?: number;
}

/** A bound: a flood of forged sources must not grow memory without limit. */
export const MAX_NEIGHBORS = 256;

export class NeighborTable {
  private readonly byKey = new Map<string, Neighbor>();

  constructor(private readonly routeTimeoutMs: number) {}

  get(family: Family, iface: string, address: string): Neighbor {
    const key = `${family} ${iface} ${address}`;
    let neighbor = this.byKey.get(key);
    if (!neighbor) {
      if (this.byKey.size >= MAX_NEIGHBORS) this.evictOne();
      neighbor = {
        address,
        interface: iface,
        family,
        version: 0,
        routes: new Map(),
        badPackets: 0,
        badRoutes: 0,
        drops: {},
      };
      this.byKey.set(key, neighbor);
    }
    return neighbor;
  }

  /** Drops the least useful record: never heard validly, else heard longest ago. */
  private evictOne(): void {
    let victim: [string, Neighbor] | undefined;
    for (const entry of this.byKey) {
      const [, n] = entry;
      if (!victim || (n.lastHeard ?? -1) < (victim[1].lastHeard ?? -1)) victim = entry;
    }
    if (victim) this.byKey.delete(victim[0]);
  }

  dropped(neighbor: Neighbor, reason: DropReason): void {
    neighbor.badPackets++;
    neighbor.drops[reason] = (neighbor.drops[reason] ?? 0) + 1;
  }

  heardRoute(neighbor: Neighbor, prefixText: string, metric: number, now: number): void {
    if (metric >= 16) neighbor.routes.delete(prefixText);
    else neighbor.routes.set(prefixText, now + this.routeTimeoutMs);
  }

  /** Forgets routes whose timeout passed. */
  expire(now: number): void {
    for (const n of this.byKey.values()) {
      for (const [prefix, until] of n.routes) if (until <= now) n.routes.delete(prefix);
    }
  }

  all(): Neighbor[] {
    return [...this.byKey.values()];
  }
}
