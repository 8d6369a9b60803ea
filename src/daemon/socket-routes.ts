/**
 * The routes announced over the control socket: what the state file keeps. One may carry a health
 * check (issue 8); the gate then decides when it is on the wire, and until its check passes it is
 * "held": asked for, kept and saved, but not announced.
 */
import { healthCheckOf, type RawCheck } from "../health/config.js";
import type { Health } from "../health/state.js";
import type { Speaker } from "../speaker/speaker.js";
import type { RouteSpec } from "../speaker/table.js";
import type { Gate } from "./gate.js";
import type { SavedRoute } from "./state.js";

export interface SocketRoute {
  spec: RouteSpec;
  check?: RawCheck;
}

/** What an announcement did on the wire right away. */
export type AddOutcome = "announced" | "unchanged" | "held";

export interface SocketRoutesDeps {
  speaker(): Speaker;
  gate(): Gate;
  now(): number;
}

export class SocketRoutes {
  private readonly routes = new Map<string, SocketRoute>();
  /** Prefixes by owner: the link poll (every 250 ms) asks for owners, and must not scan every route. */
  private readonly owned = new Map<string, Set<string>>();
  /** Prefixes added or removed since the state file last took them: what its journal appends. */
  private readonly dirty = new Set<string>();

  constructor(private readonly deps: SocketRoutesDeps) {}

  get size(): number {
    return this.routes.size;
  }

  has(prefix: string): boolean {
    return this.routes.has(prefix);
  }

  /** True when `prefix` came over the socket with a check: a config reload leaves that check alone. */
  hasCheck(prefix: string): boolean {
    return this.routes.get(prefix)?.check !== undefined;
  }

  specs(): RouteSpec[] {
    return [...this.routes.values()].map((r) => r.spec);
  }

  /** The routes with no check, which go out as soon as maintenance ends. */
  unchecked(): RouteSpec[] {
    return [...this.routes.values()].filter((r) => r.check === undefined).map((r) => r.spec);
  }

  /** Owners of every route asked for, announced or held: a held route's tap can vanish too. */
  owners(): IterableIterator<string> {
    return this.owned.keys();
  }

  /**
   * Records the route and puts it on the wire now, or when its check passes. Announcing a prefix again
   * replaces it whole: with no check this time, its old check stops.
   */
  add(route: SocketRoute, initial?: Health): AddOutcome {
    const key = route.spec.prefix.text;
    this.forget(key);
    this.routes.set(key, route);
    this.dirty.add(key);
    if (route.spec.owner !== undefined) {
      const keys = this.owned.get(route.spec.owner) ?? new Set<string>();
      keys.add(key);
      this.owned.set(route.spec.owner, keys);
    }
    const gate = this.deps.gate();
    if (route.check !== undefined) {
      const table = this.deps.speaker().table;
      const version = table.version;
      gate.watch(route.spec, healthCheckOf(route.check), initial);
      if (table.get(key)?.state !== "active") return "held";
      return table.version === version ? "unchanged" : "announced";
    }
    gate.unwatch(key);
    if (!gate.open) return "held"; // maintenance: kept, and sent when it ends
    return this.deps.speaker().announce(route.spec, this.deps.now()) ? "announced" : "unchanged";
  }

  /**
   * Withdraws `prefix` whatever put it up (the socket, or the config until the next reload) and stops
   * its check; false if it was neither announced nor held.
   */
  remove(prefix: string): boolean {
    const held = this.forget(prefix);
    const checked = this.deps.gate().unwatch(prefix);
    const withdrawn = this.deps.speaker().withdraw(prefix, this.deps.now());
    return held || checked || withdrawn;
  }

  /** Withdraws every route `owner` has, announced or held; returns their prefixes. */
  removeOwner(owner: string): string[] {
    const gone = new Set<string>(this.owned.get(owner));
    for (const key of gone) {
      this.forget(key);
      this.deps.gate().unwatch(key);
    }
    for (const route of this.deps.speaker().withdrawOwner(owner, this.deps.now())) {
      this.forget(route.prefix.text);
      gone.add(route.prefix.text);
    }
    return [...gone];
  }

  /** Drops `prefix` from the routes and the owner index; false if it was not there. */
  private forget(prefix: string): boolean {
    const route = this.routes.get(prefix);
    if (!route) return false;
    this.routes.delete(prefix);
    this.dirty.add(prefix);
    const owner = route.spec.owner;
    if (owner !== undefined) {
      const keys = this.owned.get(owner);
      keys?.delete(prefix);
      if (keys?.size === 0) this.owned.delete(owner);
    }
    return true;
  }

  /** The routes as the state file keeps them. */
  saved(): SavedRoute[] {
    return [...this.routes.values()].map(savedOf);
  }

  /** The routes added (as saved) and prefixes removed since the last call: O(changes), not O(routes). */
  takeChanges(): { routes: SavedRoute[]; removed: string[] } {
    const routes: SavedRoute[] = [];
    const removed: string[] = [];
    for (const key of this.dirty) {
      const route = this.routes.get(key);
      if (route) routes.push(savedOf(route));
      else removed.push(key);
    }
    this.dirty.clear();
    return { routes, removed };
  }
}

function savedOf({ spec, check }: SocketRoute): SavedRoute {
  return {
    prefix: spec.prefix.text,
    metric: spec.metric,
    tag: spec.tag,
    ...(spec.owner ? { owner: spec.owner } : {}),
    ...(spec.nextHop ? { nextHop: spec.nextHop } : {}),
    ...(check ? { check } : {}),
  };
}
