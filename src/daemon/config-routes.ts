/**
 * The config's `routes:` in the route store: each goes out at once, or through its health check, and
 * a reload swaps the old list for the new one without touching what came over the socket.
 */
import type { DaemonConfig } from "./config.js";
import type { Gate } from "./gate.js";
import type { RouteStore } from "./route-store.js";
import type { SavedState } from "./state.js";

/**
 * A checked route goes through its check (resuming the verdict saved before a restart, if any), the
 * rest out at once unless in maintenance. A prefix the socket announced keeps the socket's route.
 */
export function announceConfigRoutes(
  store: RouteStore,
  config: DaemonConfig,
  saved: SavedState["health"] = {},
): void {
  for (const route of config.routes) {
    const prefix = route.prefix.text;
    store.addConfig(route, config.checks.get(prefix), saved[prefix]);
  }
}

/**
 * A reload: routes gone from the config are withdrawn (unless the socket announced the same prefix),
 * and the new list goes out. A check that did not change keeps its verdict, so a reload never
 * withdraws a healthy route; a socket route's check stays whatever the config says. The maintenance
 * file changes between the two, so the new routes go out, or not, as the new config says.
 */
export function replaceConfigRoutes(store: RouteStore, gate: Gate, next: DaemonConfig): void {
  const kept = new Set(next.routes.map((r) => r.prefix.text));
  for (const prefix of store.configPrefixes()) if (!kept.has(prefix)) store.remove(prefix);
  gate.setMaintenanceFile(next.maintenance);
  announceConfigRoutes(store, next);
}
