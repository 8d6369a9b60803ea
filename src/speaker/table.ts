/**
 * The table of routes riplet announces (not a RIB: riplet originates, it does not relay). A route is
 * active, or withdrawing: advertised with metric 16 until the garbage time ends (RFC 2453 §3.8), then
 * gone. Every change is remembered until the next triggered update takes it. Clock passed in. Wire
 * state only: what was asked for, by whom (owners) and with which check is the daemon's route store's.
 */
import type { Prefix } from "./prefix.js";

export interface RouteSpec {
  prefix: Prefix;
  metric: number;
  tag: number;
  /** Next hop to advertise: an address on the uplink's subnet (RFC 2453 §4.4); absent = this host. */
  nextHop?: string;
  /** Interface whose disappearance withdraws the route (a VM tap). */
  owner?: string;
}

export interface AnnouncedRoute extends RouteSpec {
  state: "active" | "withdrawing";
  changedAt: number;
}

/**
 * Every route record has the same properties in the same order (absent = undefined), so V8 gives all
 * of them one hidden class: spreads of optional keys gave nearly every route its own (~220 B/route at
 * 20,000 routes, issue 15). JSON.stringify drops the undefined ones, so no output changes.
 */
function record(spec: RouteSpec, state: AnnouncedRoute["state"], changedAt: number): AnnouncedRoute {
  return {
    prefix: spec.prefix,
    metric: spec.metric,
    tag: spec.tag,
    nextHop: spec.nextHop,
    owner: spec.owner,
    state,
    changedAt,
  };
}

function sameSpec(a: RouteSpec, b: RouteSpec): boolean {
  return a.metric === b.metric && a.tag === b.tag && a.nextHop === b.nextHop && a.owner === b.owner;
}

/**
 * Indexed so nothing on the periodic path walks the whole table: with 20,000 routes, scans on every
 * wake-up cost a second of CPU per update interval (measured, issue 6).
 */
export class RouteTable {
  private readonly routes = new Map<string, AnnouncedRoute>();
  private readonly changed = new Set<string>();
  /**
   * Prefixes that were not in the table when the last bulk datagrams (a whole-table update or answer)
   * were built, and so cannot be in them: their updates may overtake those datagrams (see
   * Speaker.update). A prefix removed since then and back is not fresh: the bulk may still carry it.
   */
  private readonly fresh = new Set<string>();
  private readonly goneSinceBulk = new Set<string>();
  /** Withdrawing routes → when they started to; in that order, since the clock only goes forward. */
  private readonly withdrawing = new Map<string, number>();

  /** Bumped by every change of what a full update would say (lets the speaker reuse its datagrams). */
  version = 0;

  constructor(private readonly garbageMs: number) {}

  /** Adds or updates a route; returns false when nothing changed (announce is idempotent). */
  announce(spec: RouteSpec, now: number): boolean {
    const key = spec.prefix.text;
    const existing = this.routes.get(key);
    if (existing?.state === "active" && sameSpec(existing, spec)) return false;
    if (!existing && !this.goneSinceBulk.has(key)) this.fresh.add(key);
    this.withdrawing.delete(key);
    this.routes.set(key, record(spec, "active", now));
    this.changed.add(key);
    this.version++;
    return true;
  }

  /** Starts withdrawing a route; returns false when it was not active. */
  withdraw(prefixText: string, now: number): boolean {
    const existing = this.routes.get(prefixText);
    if (existing?.state !== "active") return false;
    this.routes.set(prefixText, record(existing, "withdrawing", now));
    this.withdrawing.set(prefixText, now);
    this.changed.add(prefixText);
    this.version++;
    return true;
  }

  withdrawAll(now: number): AnnouncedRoute[] {
    const active = this.active();
    for (const route of active) this.withdraw(route.prefix.text, now);
    return active;
  }

  /** Removes withdrawing routes whose garbage time has ended; returns them. */
  collectGarbage(now: number): AnnouncedRoute[] {
    const done: AnnouncedRoute[] = [];
    for (const [key, since] of this.withdrawing) {
      if (now - since < this.garbageMs) break; // the rest started later
      done.push(this.routes.get(key)!);
      this.withdrawing.delete(key);
      this.routes.delete(key);
      this.changed.delete(key);
      if (!this.fresh.delete(key)) this.goneSinceBulk.add(key);
      this.version++;
    }
    return done;
  }

  /** When the next withdrawing route leaves the table, if any. */
  nextGarbageAt(): number | undefined {
    for (const since of this.withdrawing.values()) return since + this.garbageMs;
    return undefined;
  }

  get(prefixText: string): AnnouncedRoute | undefined {
    return this.routes.get(prefixText);
  }

  get size(): number {
    return this.routes.size;
  }

  get withdrawingCount(): number {
    return this.withdrawing.size;
  }

  all(): AnnouncedRoute[] {
    return [...this.routes.values()];
  }

  active(): AnnouncedRoute[] {
    return this.all().filter((r) => r.state === "active");
  }

  withdrawingRoutes(): AnnouncedRoute[] {
    return [...this.withdrawing.keys()].map((key) => this.routes.get(key)!);
  }

  /** Bulk datagrams were built from the table as it is now: nothing in it is fresh any more. */
  bulkBuilt(): void {
    this.fresh.clear();
    this.goneSinceBulk.clear();
  }

  /** Not in the table when the last bulk datagrams were built (see `fresh`). */
  isFresh(prefixText: string): boolean {
    return this.fresh.has(prefixText);
  }

  hasChanges(): boolean {
    return this.changed.size > 0;
  }

  /** The routes changed since the last call (RFC 2453 §3.10.1: triggered updates carry only those). */
  takeChanges(): AnnouncedRoute[] {
    const out: AnnouncedRoute[] = [];
    for (const key of this.changed) {
      const route = this.routes.get(key);
      if (route) out.push(route);
    }
    this.changed.clear();
    return out;
  }
}
