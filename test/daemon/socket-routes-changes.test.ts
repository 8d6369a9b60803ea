/**
 * What the journal appends (issue 15): RouteStore reports the prefixes changed since the last time
 * it was asked, each once, as the route now saved or as removed; never the whole list.
 */

import { afterEach, describe, expect, it } from "vitest";
import type { RouteStore } from "../../src/daemon/route-store.js";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { routeStoreOnEth0 } from "../helpers/route-store.js";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setUp() {
  const { store: routes, gate } = routeStoreOnEth0();
  stops.push(() => gate.stop());
  return routes;
}

const add = (routes: RouteStore, prefix: string, metric = 1, owner?: string) =>
  routes.add({ spec: { prefix: parsePrefix(prefix), metric, tag: 0, ...(owner ? { owner } : {}) } });

describe("RouteStore changes", () => {
  it("reports each changed prefix once, as saved now or removed, and only those", () => {
    const routes = setUp();
    for (let i = 0; i < 100; i++) add(routes, `198.51.100.${i}/32`);
    expect(routes.takeChanges().routes).toHaveLength(100);
    expect(routes.takeChanges()).toEqual({ routes: [], removed: [] });

    add(routes, "198.51.100.1/32", 5); // replaced: the new one
    add(routes, "198.51.100.1/32", 7); // twice: once, as it is now
    routes.remove("198.51.100.2/32");
    add(routes, "198.51.100.3/32");
    routes.remove("198.51.100.3/32"); // added then removed: removed
    add(routes, "203.0.113.0/24", 1, "tap9");
    expect(routes.takeChanges()).toEqual({
      routes: [
        { prefix: "198.51.100.1/32", metric: 7, tag: 0 },
        { prefix: "203.0.113.0/24", metric: 1, tag: 0, owner: "tap9" },
      ],
      removed: ["198.51.100.2/32", "198.51.100.3/32"],
    });

    routes.removeOwner("tap9");
    expect(routes.takeChanges()).toEqual({ routes: [], removed: ["203.0.113.0/24"] });
  });
});
