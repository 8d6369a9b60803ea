/**
 * The table of routes riplet announces (not a RIB: riplet originates, it does not relay). A route is
 * active, or withdrawing: advertised with metric 16 until the garbage time ends (RFC 2453 §3.8), then
 * gone. Every change is remembered until the next triggered update takes it. Clock passed in.
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

function sameSpec(a: RouteSpec, b: RouteSpec): boolean {
  return a.metric === b.metric && a.tag === b.tag && a.nextHop === b.nextHop && a.owner === b.owner;
}

export class RouteTable {
  private readonly routes = new Map<string, AnnouncedRoute>();
  private readonly changed = new Set<string>();

  constructor(private readonly garbageMs: number) {}

  /** Adds or updates a route; returns false when nothing changed (announce is idempotent). */
  announce(spec: RouteSpec, now: number): boolean {
    const key = spec.prefix.text;
    const existing = this.routes.get(key);
    if (existing?.state === "active" && sameSpec(existing, spec)) return false;
    this.routes.set(key, { ...spec, state: "active", changedAt: now });
    this.changed.add(key);
    return true;
  }

  /** Starts withdrawing a route; returns false when it was not active. */
  withdraw(prefixText: string, now: number): boolean {
    const existing = this.routes.get(prefixText);
    if (existing?.state !== "active") return false;
    this.routes.set(prefixText, { ...existing, state: "withdrawing", changedAt: now });
    this.changed.add(prefixText);
    return true;
  }

  withdrawOwner(owner: string, now: number): AnnouncedRoute[] {
    const owned = [...this.routes.values()].filter((r) => r.owner === owner && r.state === "active");
    for (const route of owned) this.withdraw(route.prefix.text, now);
    return owned;
  }

  withdrawAll(now: number): AnnouncedRoute[] {
    const active = this.active();
    for (const route of active) this.withdraw(route.prefix.text, now);
    return active;
  }

  /** Removes withdrawing routes whose garbage time has ended; returns them. */
  collectGarbage(now: number): AnnouncedRoute[] {
    const done = [...this.routes.values()].filter(
      (r) => r.state === "withdrawing" && now - r.changedAt >= this.garbageMs,
    );
    for (const route of done) {
      this.routes.delete(route.prefix.text);
      this.changed.delete(route.prefix.text);
    }
    return done;
  }

  /** When the next withdrawing route leaves the table, if any. */
  nextGarbageAt(): number | undefined {
    let next: number | undefined;
    for (const r of this.routes.values()) {
      if (r.state === "withdrawing" && (next === undefined || r.changedAt + this.garbageMs < next)) {
        next = r.changedAt + this.garbageMs;
      }
    }
    return next;
  }

  get(prefixText: string): AnnouncedRoute | undefined {
    return this.routes.get(prefixText);
  }

  all(): AnnouncedRoute[] {
    return [...this.routes.values()];
  }

  active(): AnnouncedRoute[] {
    return this.all().filter((r) => r.state === "active");
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
