/** The Prometheus endpoint, scraped over HTTP, against a live Speaker's state. */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/daemon/config.js";
import { createMetrics, serveMetrics } from "../../src/daemon/metrics.js";
import { parsePrefix } from "../../src/speaker/prefix.js";
import { Speaker } from "../../src/speaker/speaker.js";
import * as ripv2 from "../../src/wire/ripv2.js";

const speaker = new Speaker(
  {
    interfaces: [
      {
        name: "eth0",
        ipv4: {
          auth: { mode: "md5", keys: [{ id: 1, secret: Buffer.from("k") }] },
          neighbors: [],
          multicast: true,
        },
      },
    ],
    random: () => 0.5,
    unixSeconds: () => 1_800_000_000,
  },
  0,
);
let url = "";
let close = () => {};

beforeAll(async () => {
  speaker.setLinks([{ name: "eth0", ipv4: [{ address: "192.0.2.2", prefixLength: 24 }], mtu: 1500 }]);
  speaker.announce({ prefix: parsePrefix("198.51.100.0/24"), metric: 1, tag: 0 }, 0);
  speaker.announce({ prefix: parsePrefix("203.0.113.0/24"), metric: 1, tag: 0 }, 0);
  speaker.withdraw("203.0.113.0/24", 1);
  const unsigned = ripv2.encode({ command: "response", version: 2, entries: [] });
  speaker.receive({ family: "ipv4", bytes: unsigned, source: "192.0.2.1", sourcePort: 520 }, 2);
  speaker.receive({ family: "ipv4", bytes: Uint8Array.of(2, 2), source: "192.0.2.1", sourcePort: 520 }, 3);
  const metrics = await createMetrics({
    speaker: () => speaker,
    held: () => 2,
    control: () => ({ clients: 3, refusedBusy: 7, cutOff: 1, linesTooLong: 0 }),
    internalErrors: () => ({ tick: 2, "health check": 1 }),
    guests: () => [
      {
        tap: "tap0",
        dhcp: true,
        ra: true,
        dns: [],
        running: true,
        pid: 4242,
        restarts: 2,
        lastError: null,
        leases: [{ mac: "52:54:00:12:34:56", address: "198.51.100.23", hostname: "g1", expires: null }],
      },
    ],
  });
  metrics.announceToSend.observe(0.004);
  const server = await serveMetrics(metrics, "127.0.0.1", 0);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

describe("GET /metrics", () => {
  it("serves the speaker's routes, drops by reason, auth failures and the latency histogram", async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^riplet_routes\{state="active"\} 1$/m);
    expect(text).toMatch(/^riplet_routes\{state="withdrawing"\} 1$/m);
    expect(text).toMatch(/^riplet_routes\{state="held"\} 2$/m);
    expect(text).toMatch(/^riplet_packets_received_total 2$/m);
    expect(text).toMatch(/^riplet_packets_dropped_total\{reason="AUTH_MISSING"\} 1$/m);
    expect(text).toMatch(/^riplet_packets_dropped_total\{reason="MALFORMED"\} 1$/m);
    expect(text).toMatch(/^riplet_auth_failures_total 1$/m);
    expect(text).toMatch(/^riplet_announce_to_send_seconds_bucket\{le="0\.005"\} 1$/m);
    expect(text).toMatch(/^riplet_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^riplet_internal_errors_total\{place="tick"\} 2$/m);
    expect(text).toMatch(/^riplet_internal_errors_total\{place="health check"\} 1$/m);
    expect(text).toMatch(/^riplet_control_refused_total\{reason="busy"\} 7$/m);
    expect(text).toMatch(/^riplet_control_refused_total\{reason="cut_off"\} 1$/m);
    expect(text).toMatch(/^riplet_control_clients 3$/m);
    expect(text).toMatch(/^# TYPE riplet_packets_dropped_total counter$/m);
    expect(text).toMatch(/^riplet_guest_leases\{tap="tap0"\} 1$/m);
    expect(text).toMatch(/^riplet_guest_server_up\{tap="tap0"\} 1$/m);
    expect(text).toMatch(/^riplet_guest_server_restarts_total\{tap="tap0"\} 2$/m);
  });

  it("answers anything else with 404", async () => {
    expect((await fetch(`${url}/`)).status).toBe(404);
  });
});

describe("metrics config", () => {
  const parse = (listen: string) =>
    parseConfigText(
      `interfaces: [{ name: eth0 }]\nmetrics: { listen: "${listen}" }\n`,
      "riplet.yaml",
      () => "",
    );
  it("takes host:port, IPv6 in brackets", () => {
    expect(parse("127.0.0.1:9520").metrics).toEqual({ host: "127.0.0.1", port: 9520 });
    expect(parse("[::1]:9520").metrics).toEqual({ host: "::1", port: 9520 });
  });
  it("refuses anything else, naming the field and the line", () => {
    expect(() => parse("9520")).toThrow(
      /riplet\.yaml:2: metrics\.listen: host:port, e\.g\. 127\.0\.0\.1:9520/,
    );
  });
});
