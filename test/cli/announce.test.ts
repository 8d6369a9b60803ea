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
