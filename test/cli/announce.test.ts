/**
 * `riplet announce` with a health check (issue 8): the --check-* options become the route's `check`
 * as the config writes it, bad ones are usage errors (exit 2) naming the option, and a held route is
 * reported as such. Against a control server that records what it was asked.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { type FakeDaemon, fakeDaemon } from "../helpers/fake-daemon.js";

let current: FakeDaemon | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function daemon(reply?: Parameters<typeof fakeDaemon>[0]): Promise<string> {
  current = await fakeDaemon(reply);
  return current.socket;
}
const asked = () => current!.asked;

describe("riplet announce --check-*", () => {
  it("sends the check with the route, and says which prefixes are held", async () => {
    const socket = await daemon(() => ({ announced: ["198.51.100.0/24"], held: ["198.51.100.0/24"] }));
    const { code, out } = await cli(
      "--socket",
      socket,
      "announce",
      "198.51.100.0/24",
      "--owner",
      "tap0",
      "--check-tcp",
      "127.0.0.1:443",
      "--check-interval",
      "0.5",
      "--fall",
      "2",
      "--fail-metric",
      "9",
    );
    expect(code).toBe(0);
    expect(asked()[0]).toEqual({
      id: 1,
      op: "announce",
      routes: [
        {
          prefix: "198.51.100.0/24",
          metric: 1,
          tag: 0,
          owner: "tap0",
          check: { tcp: "127.0.0.1:443", interval: 0.5, fall: 2, failMetric: 9 },
        },
      ],
    });
    expect(out).toEqual([
      "held, not on the wire until its check passes (or maintenance ends): 198.51.100.0/24",
    ]);
  });

  it("sends no check without the options", async () => {
    const socket = await daemon(() => ({ announced: ["198.51.100.0/24"] }));
    const { code, out } = await cli("--socket", socket, "announce", "198.51.100.0/24");
    expect(code).toBe(0);
    expect(asked()[0]).toMatchObject({ routes: [{ prefix: "198.51.100.0/24" }] });
    expect((asked()[0] as { routes: object[] }).routes[0]).not.toHaveProperty("check");
    expect(out).toEqual(["announced 198.51.100.0/24"]);
  });

  it.each([
    [["--check-interval", "1"], "need a check: add --check-tcp, --check-http or --check-command"],
    [["--check-tcp", "127.0.0.1:1", "--check-http", "http://127.0.0.1/"], "give one of --check-tcp"],
    [["--check-tcp", "127.0.0.1"], "--check-tcp: host:port"],
    [["--check-http", "ftp://x/"], "--check-http:"],
    [
      ["--check-tcp", "127.0.0.1:1", "--check-interval", "0"],
      "--check-interval 0: must be a number of seconds",
    ],
    [["--check-tcp", "127.0.0.1:1", "--fall", "0"], "--fall 0: must be a whole number from 1 to 100"],
    [
      ["--check-tcp", "127.0.0.1:1", "--fail-metric", "16"],
      "--fail-metric 16: must be a whole number from 1 to 15",
    ],
  ])("refuses %j with exit 2 before asking the daemon", async (options, message) => {
    const socket = await daemon();
    const { code, err } = await cli("--socket", socket, "announce", "198.51.100.0/24", ...options);
    expect(code).toBe(2);
    expect(err.join("\n")).toContain(message);
    expect(asked()).toEqual([]);
  });
});

describe("riplet announce --next-hop (issue 13)", () => {
  it.each([
    [
      ["198.51.100.0/24", "--next-hop", "bogus"],
      /--next-hop \(198\.51\.100\.0\/24\): "bogus" is not an IP address/,
    ],
    [["198.51.100.0/24", "--next-hop", "224.0.0.1"], /224\.0\.0\.1 is multicast/],
    [["198.51.100.0/24", "--next-hop", "fe80::1"], /fe80::1 is IPv6 but the route is IPv4/],
    [["2001:db8:42::/48", "--next-hop", "192.0.2.1"], /192\.0\.2\.1 is IPv4 but the route is IPv6/],
  ])("%j: exit 2 naming the option, nothing sent", async (args, message) => {
    const socket = await daemon();
    const { code, err } = await cli("--socket", socket, "announce", ...args);
    expect(code).toBe(2);
    expect(err.join("\n")).toMatch(message);
    expect(asked()).toEqual([]);
  });

  it("sends a usable next hop as given", async () => {
    const socket = await daemon(() => ({ announced: ["198.51.100.0/24"] }));
    const { code } = await cli("--socket", socket, "announce", "198.51.100.0/24", "--next-hop", "192.0.2.9");
    expect(code).toBe(0);
    expect(asked()[0]).toMatchObject({ routes: [{ nextHop: "192.0.2.9" }] });
  });
});
