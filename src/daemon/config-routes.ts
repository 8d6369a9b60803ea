/**
 * The config's `routes:` on the wire: each goes out at once, or through its health check, and a reload
 * swaps the old list for the new one without touching what came over the socket.
 */
import type { Speaker } from "../speaker/speaker.js";
import type { RouteSpec } from "../speaker/table.js";
import type { DaemonConfig } from "./config.js";
import type { Gate } from "./gate.js";
import type { SocketRoutes } from "./socket-routes.js";
import type { SavedState } from "./state.js";

export interface ConfigRoutesContext {
  speaker: Speaker;
  gate: Gate;
  socket: SocketRoutes;
  now: number;
}

/**
 * A checked route goes through its check (resuming the verdict saved before a restart, if any), the
 * rest out at once unless in maintenance.
 */
export function announceConfigRoutes(
  config: DaemonConfig,
  ctx: ConfigRoutesContext,
  saved: SavedState["health"] = {},
): void {
  for (const route of config.routes) {
    const check = config.checks.get(route.prefix.text);
    if (check) ctx.gate.watch(route, check, saved[route.prefix.text]);
    else if (ctx.gate.open) ctx.speaker.announce(route, ctx.now);
  }
}

/**
 * A reload: routes gone from the config are withdrawn (unless the socket announced the same prefix),
 * checks gone from it stop (a socket route's check stays), and the new list goes out. A check that
 * did not change keeps its verdict, so a reload never withdraws a healthy route.
 */
export function replaceConfigRoutes(old: DaemonConfig, next: DaemonConfig, ctx: ConfigRoutesContext): void {
  const kept = new Set(next.routes.map((r) => r.prefix.text));
  for (const route of old.routes) {
    const prefix = route.prefix.text;
    if (!kept.has(prefix) && !ctx.socket.has(prefix)) ctx.speaker.withdraw(prefix, ctx.now);
  }
  for (const prefix of ctx.gate.watchedPrefixes())
    if (!next.checks.has(prefix) && !ctx.socket.hasCheck(prefix)) ctx.gate.unwatch(prefix);
  ctx.gate.setMaintenanceFile(next.maintenance);
  announceConfigRoutes(next, ctx);
}

/** The config routes with no check: what goes out again when maintenance ends. */
export function uncheckedConfigRoutes(config: DaemonConfig): RouteSpec[] {
  return config.routes.filter((r) => !config.checks.has(r.prefix.text));
}
