/**
 * The one route store (issue 15): config and socket routes in one record per prefix (the socket's
 * wins), one owner index for held and announced routes, a reload that replaces the config's routes
 * and leaves the socket's alone, and journal changes that name only what changed. A real Speaker and
 * Gate; the only check used (`false`) never passes, so a checked route stays held.
 */

import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/daemon/config.js";
import { announceConfigRoutes, replaceConfigRoutes } from "../../src/daemon/config-routes.js";
import { routesReport } from "../../src/daemon/reports.js";
import type { RouteStore } from "../../src/daemon/route-store.js";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { routeStoreOnEth0 } from "../helpers/route-store.js";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setUp() {
  const { speaker, store, gate } = routeStoreOnEth0();
  stops.push(() => gate.stop());
  const wire = (prefix: string) => {
    const route = speaker.table.get(prefix);
    return route ? `${route.state} ${route.metric}${route.owner ? ` ${route.owner}` : ""}` : "absent";
  };
  return { speaker, store, gate, wire };
}

/** A config with these `routes:` lines (YAML flow maps). */
const config = (...routes: string[]) =>
  parseConfigText(
    ["interfaces: [{ name: eth0 }]", "routes:", ...routes.map((r) => `  - ${r}`), ""].join("\n"),
    "riplet.yaml",
    () => "",
  );

const add = (store: RouteStore, prefix: string, metric = 1, owner?: string) =>
  store.add({ spec: { prefix: parsePrefix(prefix), metric, tag: 0, owner } });
/** A check that never passes: a route with it stays held. */
const NEVER = { command: "false", interval: 60 };

describe("RouteStore", () => {
  it("keeps one record per prefix: the socket's route wins over the config's, through a reload", () => {
    const { store, gate, wire, speaker } = setUp();
    announceConfigRoutes(store, config("{ prefix: 198.51.100.0/24, metric: 3 }"));
    expect(wire("198.51.100.0/24")).toBe("active 3");
    expect(add(store, "198.51.100.0/24", 5, "tap0")).toBe("announced");
    expect(wire("198.51.100.0/24")).toBe("active 5 tap0");

    // the config says it again: the socket's route stays in force, and is still the one saved
    replaceConfigRoutes(store, gate, config("{ prefix: 198.51.100.0/24, metric: 3 }"));
    expect(wire("198.51.100.0/24")).toBe("active 5 tap0");
    expect(store.saved()).toEqual([{ prefix: "198.51.100.0/24", metric: 5, tag: 0, owner: "tap0" }]);
    const report = routesReport(speaker, { store, checks: gate.report() });
    expect(report.map((r) => [r.prefix, r.state, r.source])).toEqual([
      ["198.51.100.0/24", "active", "socket"],
    ]);

    // withdrawn over the socket: gone, whatever put it up, until the config is read again
    expect(store.remove("198.51.100.0/24")).toBe(true);
    expect(wire("198.51.100.0/24")).toBe("withdrawing 5 tap0");
    expect(store.takeChanges()).toEqual({ routes: [], removed: ["198.51.100.0/24"] });
    replaceConfigRoutes(store, gate, config("{ prefix: 198.51.100.0/24, metric: 3 }"));
    expect(wire("198.51.100.0/24")).toBe("active 3");
    expect(store.get("198.51.100.0/24")?.source).toBe("config");
  });

  it("withdraws an owner's held and announced routes, config and socket, through one index", () => {
    const { store, gate, wire } = setUp();
    announceConfigRoutes(store, config("{ prefix: 203.0.113.0/24, owner: tap0 }"));
    add(store, "198.51.100.0/24", 1, "tap0");
    store.add({
      spec: { prefix: parsePrefix("198.51.100.128/25"), metric: 1, tag: 0, owner: "tap0" },
      check: NEVER,
    });
    add(store, "2001:db8:42::/64", 1, "tap1");
    add(store, "2001:db8:42::/64", 1, "tap0"); // moved to another VM: tap1 owns nothing now
    expect([...store.owners()].sort()).toEqual(["tap0"]);
    expect(wire("198.51.100.128/25")).toBe("absent"); // held: its check has not passed
    expect(gate.isWatched("198.51.100.128/25")).toBe(true);

    expect(store.removeOwner("tap0").sort()).toEqual([
      "198.51.100.0/24",
      "198.51.100.128/25",
      "2001:db8:42::/64",
      "203.0.113.0/24",
    ]);
    expect([...store.owners()]).toEqual([]);
    expect(store.size).toBe(0);
    expect(gate.isWatched("198.51.100.128/25")).toBe(false);
    for (const prefix of ["198.51.100.0/24", "203.0.113.0/24"])
      expect(wire(prefix)).toBe("withdrawing 1 tap0");
    expect(store.removeOwner("tap0")).toEqual([]);
  });

  it("a reload replaces the config's routes and checks and leaves the socket's untouched", () => {
    const { store, gate, wire } = setUp();
    announceConfigRoutes(
      store,
      config(
        "{ prefix: 198.51.100.0/24 }",
        "{ prefix: 203.0.113.0/24, check: { command: 'false', interval: 60 } }",
      ),
    );
    store.add({ spec: { prefix: parsePrefix("192.0.2.0/25"), metric: 2, tag: 0 }, check: NEVER });
    add(store, "198.18.0.0/15", 4);
    expect(
      gate
        .report()
        .map((c) => c.prefix)
        .sort(),
    ).toEqual(["192.0.2.0/25", "203.0.113.0/24"]);
    store.takeChanges();

    replaceConfigRoutes(store, gate, config("{ prefix: 198.51.100.128/25 }", "{ prefix: 203.0.113.0/24 }"));
    expect(wire("198.51.100.0/24")).toBe("withdrawing 1"); // gone from the config
    expect(wire("198.51.100.128/25")).toBe("active 1"); // new in it
    expect(wire("203.0.113.0/24")).toBe("active 1"); // its check gone with the old config
    expect(gate.report().map((c) => c.prefix)).toEqual(["192.0.2.0/25"]); // the socket route's check stays
    expect(wire("198.18.0.0/15")).toBe("active 4");
    expect(store.takeChanges()).toEqual({ routes: [], removed: [] }); // nothing the journal keeps changed
    expect(store.saved().map((r) => r.prefix)).toEqual(["192.0.2.0/25", "198.18.0.0/15"]);
  });

  it("gives the journal only what changed, and never a config route", () => {
    const { store } = setUp();
    announceConfigRoutes(store, config("{ prefix: 203.0.113.0/24 }"));
    for (let i = 0; i < 5000; i++) add(store, `198.18.${i >> 8}.${i & 255}/32`);
    expect(store.takeChanges().routes).toHaveLength(5000);
    add(store, "198.18.0.7/32", 9);
    add(store, "203.0.113.0/24", 2); // over the config's: now the socket's, so saved
    expect(store.takeChanges()).toEqual({
      routes: [
        { prefix: "198.18.0.7/32", metric: 9, tag: 0 },
        { prefix: "203.0.113.0/24", metric: 2, tag: 0 },
      ],
      removed: [],
    });
    expect(store.takeChanges()).toEqual({ routes: [], removed: [] });
    expect(store.saved()).toHaveLength(5001);
  });

  it("its owner index agrees with a full scan after any sequence of operations", () => {
    const prefixes = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:42::/64", "198.18.0.0/15"];
    const op = fc.record({
      kind: fc.constantFrom("add", "config", "remove", "removeOwner"),
      prefix: fc.constantFrom(...prefixes),
      owner: fc.constantFrom(undefined, "tap0", "tap1"),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { store, speaker } = setUp();
        for (const o of ops) {
          const spec = { prefix: parsePrefix(o.prefix), metric: 1, tag: 0, owner: o.owner };
          if (o.kind === "add") store.add({ spec });
          else if (o.kind === "config") store.addConfig(spec, undefined);
          else if (o.kind === "remove") store.remove(o.prefix);
          else store.removeOwner(o.owner ?? "tap0");
        }
        const stored = prefixes.flatMap((p) => store.get(p) ?? []);
        expect(new Set(store.owners())).toEqual(new Set(stored.flatMap((r) => r.owner ?? [])));
        // every route on the wire as active is one asked for, as asked for
        for (const route of speaker.table.active())
          expect(store.get(route.prefix.text)?.owner).toBe(route.owner);
        for (const stop of stops.splice(0)) stop();
      }),
    );
  });
});

describe("RouteStore: the source of a route being withdrawn (issue 16)", () => {
  it("is who asked for it, socket, hook (owner) or config, while the wire carries it", () => {
    const { store, gate, speaker } = setUp();
    announceConfigRoutes(store, config("{ prefix: 198.51.100.0/24 }"));
    add(store, "203.0.113.0/24");
    add(store, "198.18.0.0/24", 1, "tap0");
    replaceConfigRoutes(store, gate, config("{ prefix: 192.0.2.0/24 }"));
    store.remove("203.0.113.0/24");
    store.removeOwner("tap0");
    const report = routesReport(speaker, { store, checks: gate.report() });
    expect(report.map((r) => [r.prefix, r.state, r.source])).toEqual([
      ["192.0.2.0/24", "active", "config"],
      ["198.18.0.0/24", "withdrawing", "socket"],
      ["198.51.100.0/24", "withdrawing", "config"],
      ["203.0.113.0/24", "withdrawing", "socket"],
    ]);
  });

  it("is forgotten once the wire has dropped the route: the memory stays bounded", () => {
    const { store, speaker } = setUp();
    const churn = (second: number) => {
      const prefixes = Array.from(
        { length: 1500 },
        (_, i) => `198.${18 + second}.${i >> 4}.${(i & 15) << 4}/28`,
      );
      for (const prefix of prefixes) {
        add(store, prefix);
        store.remove(prefix);
      }
      return prefixes;
    };
    const first = churn(0);
    expect(store.sourceOf(first[0]!)).toBe("socket");
    speaker.tick(10 * 60_000); // past the garbage time: the wire forgets them all
    expect(speaker.table.size).toBe(0);
    const second = churn(1);
    expect(first.filter((p) => store.sourceOf(p) !== undefined)).toEqual([]);
    expect(store.sourceOf(second.at(-1)!)).toBe("socket");
  });
});
