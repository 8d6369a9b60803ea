/**
 * The one owner of every route asked for (issue 15): config routes and socket routes, one record per
 * prefix with its owner, its check and its saved form, and one owner index. A socket route wins over
 * a config route of the same prefix. The gate reads spec and check from here and decides what goes on
 * the wire; the speaker's table keeps only the wire state. Only socket routes are saved: the config is
 * read again on start. A route with a check is "held" until the check passes: asked for, kept and
 * saved, but not announced.
 */
import { type HealthCheck, healthCheckOf, type RawCheck } from "../health/config.js";
import type { Health } from "../health/state.js";
import type { RouteSpec, RouteTable } from "../speaker/table.js";
import type { Gate } from "./gate.js";
import type { SavedRoute } from "./state.js";

/** A route as asked for over the socket (admit.ts), or as read back from the state file. */
export interface SocketRoute {
  spec: RouteSpec;
  check?: RawCheck;
}

export interface StoredRoute extends RouteSpec {
  source: "config" | "socket";
  /** The check as asked for over the socket, saved with the route (a config route's is the config's). */
  asked: RawCheck | undefined;
  /** What the gate runs; undefined = announced whenever the gate is open. */
  check: HealthCheck | undefined;
}

/** What an announcement did on the wire right away. */
export type AddOutcome = "announced" | "unchanged" | "held";

export interface RouteStoreDeps {
  gate(): Gate;
  /** The speaker's table: whether putting a route through the gate changed the wire. */
  table(): Pick<RouteTable, "version" | "get">;
}

/**
 * Every record has the same properties in the same order (absent = undefined), so V8 gives them one
 * hidden class (see record() in speaker/table.ts). The record is its own RouteSpec: no second object.
 */
function stored(
  spec: RouteSpec,
  source: StoredRoute["source"],
  asked: RawCheck | undefined,
  check: HealthCheck | undefined,
): StoredRoute {
  return {
    prefix: spec.prefix,
    metric: spec.metric,
    tag: spec.tag,
    nextHop: spec.nextHop,
    owner: spec.owner,
    source,
    asked,
    check,
  };
}

export class RouteStore {
  private readonly routes = new Map<string, StoredRoute>();
  /** Prefixes by owner, held or announced: the link poll (every 250 ms) asks, and must not scan. */
  private readonly owned = new Map<string, Set<string>>();
  /** Socket prefixes put or dropped since the state file last took them: what its journal appends. */
  private readonly dirty = new Set<string>();
  /**
   * Where each withdrawn route came from: its record is gone, but the wire carries it (metric 16)
   * until the garbage time ends, and `riplet routes` shows its source. Swept of prefixes the wire no
   * longer holds whenever it doubles, so it stays within twice what is being withdrawn.
   */
  private readonly withdrawnFrom = new Map<string, StoredRoute["source"]>();
  private sweepAt = 1024;

  constructor(private readonly deps: RouteStoreDeps) {}

  /** Every route asked for, config and socket. */
  get size(): number {
    return this.routes.size;
  }

  get(prefix: string): StoredRoute | undefined {
    return this.routes.get(prefix);
  }

  has(prefix: string): boolean {
    return this.routes.has(prefix);
  }

  /** Who asked for `prefix`: the config or the socket (a hook too), also while it is being withdrawn. */
  sourceOf(prefix: string): StoredRoute["source"] | undefined {
    return this.routes.get(prefix)?.source ?? this.withdrawnFrom.get(prefix);
  }

  /** Owners of every route asked for, announced or held: a held route's tap can vanish too. */
  owners(): IterableIterator<string> {
    return this.owned.keys();
  }

  /** The routes with no check, which go out again as soon as maintenance ends. */
  unchecked(): StoredRoute[] {
    return [...this.routes.values()].filter((r) => r.check === undefined);
  }

  /** Routes asked for that are not on the wire at all: their check is not passing, or maintenance. */
  held(onWire: (prefix: string) => boolean): StoredRoute[] {
    return [...this.routes.values()].filter((r) => !onWire(r.prefix.text));
  }

  /**
   * Records a socket route (replacing whatever had its prefix) and puts it on the wire now, or when
   * its check passes. Announcing a prefix again replaces it whole: with no check this time, its old
   * check stops. `initial` is the check's verdict saved before a restart.
   */
  add(route: SocketRoute, initial?: Health): AddOutcome {
    const key = route.spec.prefix.text;
    const check = route.check === undefined ? undefined : healthCheckOf(route.check);
    this.put(stored(route.spec, "socket", route.check, check));
    return this.sync(key, initial);
  }

  /**
   * A config route: put through the gate unless the socket announced the same prefix, which wins.
   * `initial` is the check's verdict saved before a restart.
   */
  addConfig(spec: RouteSpec, check: HealthCheck | undefined, initial?: Health): void {
    const key = spec.prefix.text;
    if (this.routes.get(key)?.source === "socket") return;
    this.put(stored(spec, "config", undefined, check));
    this.sync(key, initial);
  }

  /** The prefixes the config put here (a reload compares them with the new config's). */
  configPrefixes(): string[] {
    const out: string[] = [];
    for (const [key, route] of this.routes) if (route.source === "config") out.push(key);
    return out;
  }

  /**
   * Withdraws `prefix` whatever put it up (the socket, or the config until the next reload) and stops
   * its check; false if it was neither announced nor held.
   */
  remove(prefix: string): boolean {
    const gate = this.deps.gate();
    const before = this.deps.table().get(prefix)?.state === "active" || gate.isWatched(prefix);
    const held = this.drop(prefix) !== undefined;
    gate.sync(prefix);
    return held || before;
  }

  /** Withdraws every route `owner` has, announced or held; returns their prefixes. */
  removeOwner(owner: string): string[] {
    const gone = [...(this.owned.get(owner) ?? [])];
    for (const key of gone) {
      this.drop(key);
      this.deps.gate().sync(key);
    }
    return gone;
  }

  /** The socket routes as the state file keeps them. */
  saved(): SavedRoute[] {
    const out: SavedRoute[] = [];
    for (const route of this.routes.values()) if (route.source === "socket") out.push(savedOf(route));
    return out;
  }

  /** The socket routes put (as saved) and prefixes dropped since the last call: O(changes), not O(routes). */
  takeChanges(): { routes: SavedRoute[]; removed: string[] } {
    const routes: SavedRoute[] = [];
    const removed: string[] = [];
    for (const key of this.dirty) {
      const route = this.routes.get(key);
      if (route?.source === "socket") routes.push(savedOf(route));
      else removed.push(key);
    }
    this.dirty.clear();
    return { routes, removed };
  }

  /** Has the gate put the record at `key` on the wire (or taken it off); says what that did. */
  private sync(key: string, initial?: Health): AddOutcome {
    const table = this.deps.table();
    const version = table.version;
    this.deps.gate().sync(key, initial);
    if (table.get(key)?.state !== "active") return "held";
    return table.version === version ? "unchanged" : "announced";
  }

  private rememberSource(prefix: string, source: StoredRoute["source"]): void {
    this.withdrawnFrom.set(prefix, source);
    if (this.withdrawnFrom.size <= this.sweepAt) return;
    const table = this.deps.table();
    for (const key of this.withdrawnFrom.keys())
      if (table.get(key) === undefined) this.withdrawnFrom.delete(key);
    this.sweepAt = Math.max(1024, 2 * this.withdrawnFrom.size);
  }

  private put(route: StoredRoute): void {
    const key = route.prefix.text;
    const old = this.drop(key);
    this.withdrawnFrom.delete(key);
    this.routes.set(key, route);
    if (route.source === "socket" || old?.source === "socket") this.dirty.add(key);
    if (route.owner === undefined) return;
    const keys = this.owned.get(route.owner);
    if (keys) keys.add(key);
    else this.owned.set(route.owner, new Set([key]));
  }

  /** Takes `prefix` out of the records and the owner index (nothing on the wire). */
  private drop(prefix: string): StoredRoute | undefined {
    const route = this.routes.get(prefix);
    if (!route) return undefined;
    this.routes.delete(prefix);
    this.rememberSource(prefix, route.source);
    if (route.source === "socket") this.dirty.add(prefix);
    const owner = route.owner;
    if (owner !== undefined) {
      const keys = this.owned.get(owner);
      keys?.delete(prefix);
      if (keys?.size === 0) this.owned.delete(owner);
    }
    return route;
  }
}

function savedOf(route: StoredRoute): SavedRoute {
  return {
    prefix: route.prefix.text,
    metric: route.metric,
    tag: route.tag,
    ...(route.owner ? { owner: route.owner } : {}),
    ...(route.nextHop ? { nextHop: route.nextHop } : {}),
    ...(route.asked ? { check: route.asked } : {}),
  };
}
