import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/daemon/config.js";

const parse = (route: string, extra = "") =>
  parseConfigText(`interfaces: [{ name: eth0 }]\nroutes:\n  - ${route}\n${extra}`, "riplet.yaml", () => "");

describe("routes[].check in the config", () => {
  it("takes a TCP, HTTP or command check with its timing, defaults filled in", () => {
    const config = parse(`{ prefix: 198.51.100.0/24, check: { tcp: "127.0.0.1:80", interval: 2, fall: 4 } }`);
    expect(config.checks.get("198.51.100.0/24")).toEqual({
      probe: { kind: "tcp", host: "127.0.0.1", port: 80 },
      policy: { intervalMs: 2000, timeoutMs: 2000, rise: 2, fall: 4 },
    });
    expect(
      parse(
        `{ prefix: 198.51.100.0/24, check: { http: "http://[::1]:8080/health", failMetric: 9 } }`,
      ).checks.get("198.51.100.0/24"),
    ).toMatchObject({
      probe: { kind: "http", url: "http://[::1]:8080/health" },
      failMetric: 9,
    });
    expect(
      parse(`{ prefix: 198.51.100.0/24, check: { command: "systemctl is-active nginx" } }`).checks.size,
    ).toBe(1);
  });

  it("a route without a check has none, and the maintenance file is taken as given", () => {
    const config = parse("{ prefix: 198.51.100.0/24 }", "maintenance: /etc/riplet/maintenance\n");
    expect(config.checks.size).toBe(0);
    expect(config.maintenance).toBe("/etc/riplet/maintenance");
  });

  it.each([
    [
      `{ tcp: "127.0.0.1:80", http: "http://127.0.0.1/" }`,
      /routes\[0\]\.check: give exactly one of command, tcp or http/,
    ],
    [`{ tcp: "localhost" }`, /routes\[0\]\.check\.tcp: host:port/],
    [`{ command: "true", fall: 0 }`, /routes\[0\]\.check\.fall/],
    [`{ command: "true", every: 5 }`, /routes\[0\]\.check/],
  ])("refuses %s, naming the field and the line", (check, message) => {
    expect(() => parse(`{ prefix: 198.51.100.0/24, check: ${check} }`)).toThrow(message);
    expect(() => parse(`{ prefix: 198.51.100.0/24, check: ${check} }`)).toThrow(/riplet\.yaml:3:/);
  });
});
