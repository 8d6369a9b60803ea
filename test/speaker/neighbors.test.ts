/** Bounded learned routes and neighbours (issue 13): what others send cannot grow us without end. */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/daemon/config-normalize.js";
import {
  DEFAULT_LEARNED_ROUTES,
  DEFAULT_NEIGHBORS,
  type Neighbor,
  NeighborTable,
} from "../../src/speaker/neighbors.js";
import { Speaker } from "../../src/speaker/speaker.js";
import type { LinkState } from "../../src/speaker/types.js";
import { formatIpv4, parseIpv4 } from "../../src/wire/address.js";
import * as ripv2 from "../../src/wire/ripv2.js";

const TIMEOUT_MS = 180_000;
const keys = (n: Neighbor) => [...n.routes.keys()];

describe("NeighborTable: learned routes", () => {
  it("holds at most half the total per neighbour and the total in all; refresh and withdraw work at the bound", () => {
    const t = new NeighborTable(TIMEOUT_MS, { learnedRoutes: 10 });
    const [a, b, c] = ["192.0.2.1", "192.0.2.3", "192.0.2.4"].map((x) => t.get("ipv4", "eth0", x));
    const heard = (n: Neighbor, from: number, count: number, now = 0, metric = 1) =>
      Array.from({ length: count }, (_, i) => t.heardRoute(n, `198.18.${from + i}.0/24`, metric, now));
    expect(heard(a!, 0, 8)).toEqual([...Array(5).fill("stored"), ...Array(3).fill("over-limit")]);
    expect(heard(b!, 10, 8).filter((h) => h === "stored")).toHaveLength(5);
    expect(t.learnedRoutes).toBe(10);
    expect(heard(c!, 20, 1)).toEqual(["over-limit"]); // the total is full
    expect(heard(a!, 0, 1, 1000)).toEqual(["refreshed"]); // a known route is still refreshed
    expect(heard(a!, 4, 1, 1000, 16)).toEqual(["removed"]); // a withdrawal frees a slot...
    expect(heard(c!, 20, 1)).toEqual(["stored"]); // ...that another neighbour may take
    expect(t.learnedRoutes).toBe(10);
    expect(keys(c!)).toEqual(["198.18.20.0/24"]);
  });

  it("forgets timed-out routes, refreshed ones last, and frees their slots", () => {
    const t = new NeighborTable(TIMEOUT_MS, { learnedRoutes: 4 });
    const n = t.get("ipv4", "eth0", "192.0.2.1");
    t.heardRoute(n, "198.18.0.0/24", 1, 0);
    t.heardRoute(n, "198.18.1.0/24", 1, 10);
    t.heardRoute(n, "198.18.0.0/24", 1, 20); // refreshed: now the last to time out
    t.expire(TIMEOUT_MS + 10);
    expect(keys(n)).toEqual(["198.18.0.0/24"]);
    expect(t.learnedRoutes).toBe(1);
    t.expire(TIMEOUT_MS + 20);
    expect(keys(n)).toEqual([]);
    expect(t.learnedRoutes).toBe(0);
  });

  it("an evicted neighbour gives its routes' slots back", () => {
    const t = new NeighborTable(TIMEOUT_MS, { learnedRoutes: 4, neighbors: 1 });
    const a = t.get("ipv4", "eth0", "192.0.2.1");
    t.heard(a, 2, 0);
    t.heardRoute(a, "198.18.0.0/24", 1, 0);
    t.heardRoute(a, "198.18.1.0/24", 1, 0);
    const b = t.get("ipv4", "eth0", "192.0.2.3");
    expect(t.all()).toEqual([b]);
    expect(t.learnedRoutes).toBe(0);
  });
});

describe("NeighborTable: neighbours", () => {
  it("the cap is configurable, and forged sources never push out one heard validly", () => {
    const t = new NeighborTable(TIMEOUT_MS, { neighbors: 3 });
    const gateway = t.get("ipv4", "eth0", "192.0.2.1");
    t.heard(gateway, 2, 5);
    for (let i = 10; i < 1010; i++) t.get("ipv4", "eth0", formatIpv4(parseIpv4("192.0.2.0") + (i % 250)));
    expect(t.all()).toHaveLength(3);
    expect(t.all()).toContain(gateway);
  });

  it("the speaker's defaults agree with the daemon's config defaults", () => {
    expect(DEFAULT_LIMITS.learnedRoutes).toBe(DEFAULT_LEARNED_ROUTES);
    expect(DEFAULT_LIMITS.neighbors).toBe(DEFAULT_NEIGHBORS);
  });
});

describe("Speaker: a flood of new routes", () => {
  const LINK: LinkState = { name: "eth0", ipv4: [{ address: "192.0.2.2", prefixLength: 24 }], mtu: 1500 };

  it("routes past limits.learnedRoutes are counted as ROUTE_LIMIT, the datagram itself is used", () => {
    const limited: number[] = [];
    const s = new Speaker(
      {
        interfaces: [{ name: "eth0", ipv4: { auth: { mode: "none" }, neighbors: [], multicast: true } }],
        random: () => 0.5,
        unixSeconds: () => 1_800_000_000,
        limits: { learnedRoutes: 100 },
        events: { routeLimit: ({ routes }) => limited.push(routes) },
      },
      0,
    );
    s.setLinks([LINK]);
    let next = 0;
    for (let p = 0; p < 10; p++) {
      const entries = Array.from({ length: 25 }, () => ({
        afi: 2,
        tag: 0,
        address: 0x0a000000 + next++,
        mask: 0xffffffff,
        nextHop: 0,
        metric: 1,
      }));
      const bytes = ripv2.encode({ command: "response", version: 2, entries });
      s.receive({ family: "ipv4", bytes, source: "192.0.2.1", sourcePort: 520 }, 1000 + p);
    }
    const [n] = s.neighbors.all();
    expect(n!.routes.size).toBe(50); // one neighbour: half the total
    expect(n!.drops).toEqual({ ROUTE_LIMIT: 200 });
    expect(n!.badPackets).toBe(0);
    expect(n!.lastHeard).toBe(1009);
    expect(s.dropsByReason.ROUTE_LIMIT).toBe(200);
    expect(s.counters.packetsDropped).toBe(0);
    expect(limited.reduce((x, y) => x + y, 0)).toBe(200);
  });
});
