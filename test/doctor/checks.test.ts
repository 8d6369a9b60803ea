import { describe, expect, it } from "vitest";
import { type Observations, runChecks } from "../../src/doctor/checks.js";
import { firewallDrops } from "../../src/doctor/probe.js";

const healthy: Observations = {
  socket: "/run/riplet/riplet.sock",
  daemon: {
    reachable: true,
    routes: ["198.51.100.0/24", "2001:db8:42::/64"],
    neighbors: [
      { address: "192.0.2.1", interface: "eth0", family: "ipv4", lastHeard: 12 },
      { address: "fe80::1", interface: "eth0", family: "ipv6", lastHeard: 3 },
    ],
  },
  uplinks: [{ name: "eth0", exists: true, up: true, addresses: ["192.0.2.2/24"] }],
  tap: { name: "tap0", exists: true, up: true, addresses: ["198.51.100.1/24"] },
  forwarding: { ipv4: "1", ipv6: "1" },
  rpFilter: { all: "0", eth0: "2", tap0: "0" },
  firewall: { tool: "nft", drops: [] },
  gateways: [
    {
      family: "ipv4",
      address: "192.0.2.1",
      prefixes: ["198.51.100.0/24"],
      metrics: { "198.51.100.0/24": 2 },
    },
    {
      family: "ipv6",
      address: "fe80::1%eth0",
      prefixes: ["2001:db8:42::/64"],
      metrics: { "2001:db8:42::/64": 2 },
    },
  ],
};

const statuses = (o: Observations) => runChecks(o).map((r) => `${r.status} ${r.check}`);

describe("doctor checks", () => {
  it("all ok on a healthy host", () => {
    expect(runChecks(healthy).every((r) => r.status === "ok")).toBe(true);
    expect(statuses(healthy)).toEqual([
      "ok daemon",
      "ok uplink",
      "ok tap",
      "ok forwarding",
      "ok forwarding",
      "ok rp_filter",
      "ok firewall",
      "ok neighbor",
      "ok neighbor",
      "ok gateway",
      "ok gateway",
    ]);
  });

  it.each<[string, Partial<Observations>, string]>([
    ["daemon down", { daemon: { reachable: false, error: "is it running?" } }, "fail daemon"],
    ["uplink down", { uplinks: [{ name: "eth0", exists: true, up: false, addresses: [] }] }, "fail uplink"],
    ["tap gone", { tap: { name: "tap0", exists: false, up: false, addresses: [] } }, "fail tap"],
    ["tap without address", { tap: { name: "tap0", exists: true, up: true, addresses: [] } }, "fail tap"],
    ["forwarding off", { forwarding: { ipv4: "0", ipv6: "1" } }, "fail forwarding"],
    [
      "IPv6 forwarding off while announcing IPv6",
      { forwarding: { ipv4: "1", ipv6: "0" } },
      "fail forwarding",
    ],
    ["strict rp_filter", { rpFilter: { all: "1" } }, "warn rp_filter"],
    ["firewall drop", { firewall: { tool: "nft", drops: ["udp dport 520 drop"] } }, "fail firewall"],
    [
      "gateway lacks the prefix",
      {
        gateways: [
          {
            family: "ipv4",
            address: "192.0.2.1",
            prefixes: ["198.51.100.0/24"],
            metrics: { "198.51.100.0/24": 16 },
          },
        ],
      },
      "fail gateway",
    ],
    [
      "RIPng gateway lacks the IPv6 prefix",
      {
        gateways: [{ family: "ipv6", address: "fe80::1%eth0", prefixes: ["2001:db8:42::/64"], metrics: {} }],
      },
      "fail gateway",
    ],
    [
      "gateway silent",
      { gateways: [{ family: "ipv4", address: "192.0.2.1", prefixes: ["198.51.100.0/24"] }] },
      "warn gateway",
    ],
    [
      "no RIPng gateway to ask",
      { gateways: [{ family: "ipv6", prefixes: ["2001:db8:42::/64"] }] },
      "warn gateway",
    ],
    [
      "no daemon and no config",
      { daemon: { reachable: false, error: "is it running?" }, uplinksFrom: "none", uplinks: [] },
      "fail uplink",
    ],
    [
      "a config given that does not read",
      { configError: "cannot read x.yaml", uplinksFrom: "daemon" },
      "warn config",
    ],
    [
      "crypto sequence number exhausted",
      {
        daemon: {
          ...healthy.daemon,
          sequence: { value: 4294967295, exhausted: true },
        } as Observations["daemon"],
      },
      "fail sequence",
    ],
    [
      "RIPv2 packets all dropped, RIPng fine",
      {
        daemon: {
          reachable: true,
          routes: ["198.51.100.0/24", "2001:db8:42::/64"],
          neighbors: [
            { address: "192.0.2.1", interface: "eth0", family: "ipv4", lastHeard: null },
            { address: "fe80::1", interface: "eth0", family: "ipv6", lastHeard: 3 },
          ],
        },
      },
      "fail neighbor",
    ],
    [
      "no neighbour heard",
      { daemon: { reachable: true, routes: ["198.51.100.0/24"], neighbors: [] } },
      "warn neighbor",
    ],
  ])("%s", (_name, change, expected) => {
    const results = runChecks({ ...healthy, ...change });
    expect(statuses({ ...healthy, ...change })).toContain(expected);
    for (const r of results.filter((x) => x.status !== "ok")) expect(r.fix).toBeTruthy();
  });
});

describe("firewall rules that drop RIP", () => {
  it("finds nft drops and drop policies without an accept", () => {
    expect(
      firewallDrops(
        "table inet f {\n chain input {\n  type filter hook input priority 0; policy drop;\n }\n}",
      ),
    ).toHaveLength(1);
    expect(
      firewallDrops(
        "chain input {\n type filter hook input priority 0; policy drop;\n udp dport { 520, 521 } accept\n}",
      ),
    ).toEqual([]);
    expect(firewallDrops("-A INPUT -p udp -m udp --dport 520 -j DROP")).toEqual([
      "-A INPUT -p udp -m udp --dport 520 -j DROP",
    ]);
    expect(firewallDrops(":INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT")).toEqual([]);
  });
});

it("IPv6 forwarding is not required when nothing IPv6 is announced", () => {
  const o = {
    ...healthy,
    daemon: { ...healthy.daemon, routes: ["198.51.100.0/24"] } as Observations["daemon"],
    forwarding: { ipv4: "1", ipv6: "0" },
  };
  expect(
    runChecks(o)
      .filter((r) => r.check === "forwarding")
      .map((r) => r.status),
  ).toEqual(["ok"]);
});

describe("doctor without a config (issue 16)", () => {
  it("checks the uplinks the daemon reports, and says so when a config given could not be read", () => {
    const o: Observations = {
      ...healthy,
      uplinksFrom: "daemon",
      configError: "/etc/riplet/riplet.yaml: EACCES",
    };
    const results = runChecks(o);
    expect(results.find((r) => r.check === "config")?.message).toMatch(
      /the running daemon's uplinks are checked instead$/,
    );
    expect(results.find((r) => r.check === "uplink")).toMatchObject({
      status: "ok",
      message: "eth0 is up with 192.0.2.2/24",
    });
  });

  it("with no daemon and no config, says what to do instead of 'no uplink interfaces configured'", () => {
    const o: Observations = {
      ...healthy,
      daemon: { reachable: false, error: "is it running?" },
      uplinksFrom: "none",
      uplinks: [],
    };
    const uplink = runChecks(o).find((r) => r.check === "uplink");
    expect(uplink).toMatchObject({
      status: "fail",
      message: "no uplinks to check: no daemon answers and no config was read",
    });
    expect(uplink?.fix).toMatch(/start the daemon .* or give riplet doctor -c FILE/);
  });

  it("asks the gateway of each family about its own prefixes", () => {
    const gateway = runChecks(healthy)
      .filter((r) => r.check === "gateway")
      .map((r) => r.message);
    expect(gateway).toEqual([
      "192.0.2.1 has 198.51.100.0/24 (metric 2)",
      "fe80::1%eth0 has 2001:db8:42::/64 (metric 2)",
    ]);
  });
});
