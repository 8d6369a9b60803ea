/**
 * Who we hear on each link, and what went wrong with what they sent. Every dropped packet and every
 * skipped route is counted against the neighbour that sent it, so `riplet status` can show it.
 * Everything here is keyed by what others send, so everything is bounded (issue 13): neighbour
 * records, routes per neighbour and routes in total.
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
  | "AUTH_REPLAY" // crypto sequence number went backwards (RFC 4822 §3)
  | "REQUEST_BUSY" // a whole-table answer is still being sent on that interface and family
  | "REQUEST_RATE" // the source (or the interface) asked more often than its Request budget allows
  | "ROUTE_LIMIT"; // counted per route, not per datagram: a learned route past limits.learnedRoutes

/** Defaults of `limits` (SPEC §4); src/daemon/config-normalize.ts's DEFAULT_LIMITS agrees (a test checks). */
export const DEFAULT_LEARNED_ROUTES = 10_000;
export const DEFAULT_NEIGHBORS = 256;

export interface NeighborLimits {
  /** Routes remembered from all neighbours together; one neighbour may hold at most half. */
  learnedRoutes?: number;
  /** Neighbour records (family, interface, address). */
  neighbors?: number;
}

export interface Neighbor {
  address: string;
  interface: string;
  family: Family;
  version: number;
  /** Clock time (ms) a valid packet was last heard; undefined if only bad ones were. */
  lastHeard?: number;
  /**
   * Prefix text → when it stops counting (route timeout, RFC 2453 §3.8). Withdrawals remove. Kept in
   * expiry order (a refresh moves the route to the end), so expire() stops at the first live one.
   */
  routes: Map<string, number>;
  badPackets: number;
  badRoutes: number;
  drops: Partial<Record<DropReason, number>>;
  /** Highest crypto sequence number accepted (RFC 4822 §3). */
  sequence?: number;
}

/** What heardRoute() did with one route. */
export type Heard = "stored" | "refreshed" | "removed" | "over-limit";

export class NeighborTable {
  private readonly byKey = new Map<string, Neighbor>();
  /** Keys of neighbours never heard validly, oldest first: evicted before any real one, in O(1). */
  private readonly unheard = new Set<string>();
  private readonly maxNeighbors: number;
  private readonly maxRoutes: number;
  private readonly maxRoutesEach: number;
  private learned = 0;

  constructor(
    private readonly routeTimeoutMs: number,
    limits: NeighborLimits = {},
  ) {
    this.maxNeighbors = Math.max(1, limits.neighbors ?? DEFAULT_NEIGHBORS);
    this.maxRoutes = Math.max(0, limits.learnedRoutes ?? DEFAULT_LEARNED_ROUTES);
    // One neighbour may fill half: a single hostile (or broken) host cannot starve the gateway's routes.
    this.maxRoutesEach = Math.max(1, Math.floor(this.maxRoutes / 2));
  }

  /** Routes remembered from all neighbours. */
  get learnedRoutes(): number {
    return this.learned;
  }

  get(family: Family, iface: string, address: string): Neighbor {
    const key = `${family} ${iface} ${address}`;
    let neighbor = this.byKey.get(key);
    if (!neighbor) {
      if (this.byKey.size >= this.maxNeighbors) this.evictOne();
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
      this.unheard.add(key);
    }
    return neighbor;
  }

  /** A valid packet came from `neighbor`: it is now worth keeping over sources only heard badly. */
  heard(neighbor: Neighbor, version: number, now: number): void {
    neighbor.lastHeard = now;
    neighbor.version = version;
    this.unheard.delete(`${neighbor.family} ${neighbor.interface} ${neighbor.address}`);
  }

  /**
   * Drops the least useful record: the oldest never heard validly (a Request flood from 10,000 forged
   * sources recycles those in O(1) and never pushes out the gateway), else the one heard longest ago.
   */
  private evictOne(): void {
    let key: string | undefined = this.unheard.values().next().value;
    if (key === undefined) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const [k, n] of this.byKey) {
        if ((n.lastHeard ?? -1) < oldest) [key, oldest] = [k, n.lastHeard ?? -1];
      }
    }
    if (key === undefined) return;
    this.learned -= this.byKey.get(key)?.routes.size ?? 0;
    this.byKey.delete(key);
    this.unheard.delete(key);
  }

  dropped(neighbor: Neighbor, reason: DropReason, count = 1): void {
    if (reason !== "ROUTE_LIMIT") neighbor.badPackets++;
    neighbor.drops[reason] = (neighbor.drops[reason] ?? 0) + count;
  }

  /**
   * RFC 2453 §3.9.2: a route heard is (re)timed; metric 16 forgets it and frees its slot. A new route
   * past the neighbour's or the total bound is not remembered; a known one is always refreshed.
   */
  heardRoute(neighbor: Neighbor, prefixText: string, metric: number, now: number): Heard {
    const routes = neighbor.routes;
    const known = routes.delete(prefixText);
    if (metric >= 16) {
      if (known) this.learned--;
      return "removed";
    }
    if (!known && (this.learned >= this.maxRoutes || routes.size >= this.maxRoutesEach)) return "over-limit";
    routes.set(prefixText, now + this.routeTimeoutMs); // delete + set: the Map stays in expiry order
    if (known) return "refreshed";
    this.learned++;
    return "stored";
  }

  /**
   * Forgets routes whose timeout passed. Runs on every tick: each neighbour's routes are in expiry
   * order, so it looks at the expired ones and one more, not at every route (10,000 at the bound).
   */
  expire(now: number): void {
    for (const n of this.byKey.values()) {
      for (const [prefix, until] of n.routes) {
        if (until > now) break;
        n.routes.delete(prefix);
        this.learned--;
      }
    }
  }

  all(): Neighbor[] {
    return [...this.byKey.values()];
  }
}
