/**
 * Prometheus metrics (`metrics: { listen: 127.0.0.1:9520 }`): GET /metrics, in the text format
 * prom-client writes. Values are read from the live speaker at scrape time, so nothing is counted
 * twice; only the announce-to-send latency is observed as it happens. prom-client and node:http are
 * loaded only when metrics are configured (~60 ms of start-up, and ~12 MiB an idle daemon would keep).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Histogram, Registry } from "prom-client";
import type { ControlCounters } from "../control/server.js";
import type { GuestReport } from "../guests/servers.js";
import type { Health } from "../health/state.js";
import type { Speaker } from "../speaker/speaker.js";
import type { Guard } from "./guard.js";
import { monotonicMs } from "./speaker-host.js";

export interface MetricsSource {
  speaker(): Speaker;
  /** Routes with a health check and their verdict; whether the maintenance file is there. */
  health?(): { prefix: string; health: Health }[];
  maintenance?(): boolean;
  /** Routes asked for but not on the wire (check not passing, or maintenance). */
  held?(): number;
  /** The control socket's clients and refusals. */
  control?(): ControlCounters | undefined;
  /** Faults caught by the daemon's Guard, by place. */
  internalErrors?(): Record<string, number>;
  /** The taps' DHCP/RA servers, their leases and restarts. */
  guests?(): GuestReport[];
}

export interface Metrics {
  registry: Registry;
  /** Observed for every announcement: from the control request to its update leaving the host. */
  announceToSend: Histogram;
}

/** Per tap serving guests: leases held, whether its dnsmasq runs, how often it was restarted. */
function guestMetrics(client: typeof import("prom-client"), registry: Registry, source: MetricsSource): void {
  const gauge = (name: string, help: string, value: (g: GuestReport) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ["tap"],
      registers: [registry],
      collect() {
        this.reset();
        for (const g of source.guests?.() ?? []) this.set({ tap: g.tap }, value(g));
      },
    });
  gauge("riplet_guest_leases", "DHCPv4 leases the tap's server holds for its guests", (g) => g.leases.length);
  gauge("riplet_guest_server_up", "1 while the tap's DHCP/RA server (dnsmasq) runs", (g) =>
    g.running ? 1 : 0,
  );
  new client.Counter({
    name: "riplet_guest_server_restarts_total",
    help: "Times the tap's DHCP/RA server died and was started again",
    labelNames: ["tap"],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of source.guests?.() ?? []) this.inc({ tap: g.tap }, g.restarts);
    },
  });
}

export async function createMetrics(source: MetricsSource): Promise<Metrics> {
  const client = await import("prom-client");
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "riplet_" }); // riplet_process_resident_memory_bytes, …
  const speaker = () => source.speaker();
  const counter = (name: string, help: string, value: () => number) =>
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  new client.Gauge({
    name: "riplet_routes",
    help: "Routes by state (withdrawing: sent with metric 16 until the garbage time ends; held: asked for, not sent, as its health check is not passing or maintenance is on)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const table = speaker().table;
      this.set({ state: "active" }, table.size - table.withdrawingCount);
      this.set({ state: "withdrawing" }, table.withdrawingCount);
      if (source.held) this.set({ state: "held" }, source.held());
    },
  });
  counter("riplet_updates_sent_total", "Periodic updates sent", () => speaker().counters.updatesSent);
  counter(
    "riplet_triggered_updates_sent_total",
    "Triggered updates sent",
    () => speaker().counters.triggeredUpdatesSent,
  );
  counter("riplet_packets_sent_total", "RIP/RIPng datagrams sent", () => speaker().counters.packetsSent);
  counter(
    "riplet_packets_received_total",
    "RIP/RIPng datagrams received",
    () => speaker().counters.packetsReceived,
  );
  counter("riplet_requests_answered_total", "Requests answered", () => speaker().counters.requestsAnswered);
  counter(
    "riplet_auth_failures_total",
    "Datagrams dropped for authentication (missing, failed, replayed)",
    () => {
      const d = speaker().dropsByReason;
      return (d.AUTH_MISSING ?? 0) + (d.AUTH_FAILED ?? 0) + (d.AUTH_REPLAY ?? 0);
    },
  );
  new client.Counter({
    name: "riplet_packets_dropped_total",
    help: "Datagrams dropped, by reason (riplet status shows them per neighbour)",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(speaker().dropsByReason)) this.inc({ reason }, n);
    },
  });
  new client.Gauge({
    name: "riplet_neighbors",
    help: "RIP/RIPng neighbours heard",
    registers: [registry],
    collect() {
      this.set(
        speaker()
          .neighbors.all()
          .filter((n) => n.lastHeard !== undefined).length,
      );
    },
  });
  new client.Gauge({
    name: "riplet_neighbor_last_heard_seconds",
    help: "Seconds since a valid packet from each neighbour",
    labelNames: ["neighbor", "interface", "family"],
    registers: [registry],
    collect() {
      this.reset();
      const now = monotonicMs();
      for (const n of speaker().neighbors.all()) {
        if (n.lastHeard === undefined) continue;
        this.set(
          { neighbor: n.address, interface: n.interface, family: n.family },
          (now - n.lastHeard) / 1000,
        );
      }
    },
  });
  new client.Gauge({
    name: "riplet_health_check_up",
    help: "Health check of each checked route: 1 passing (announced), 0 failing; absent until first known",
    labelNames: ["prefix"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { prefix, health } of source.health?.() ?? []) {
        if (health !== "unknown") this.set({ prefix }, health === "healthy" ? 1 : 0);
      }
    },
  });
  new client.Gauge({
    name: "riplet_maintenance",
    help: "1 while the maintenance file exists and every route is withdrawn",
    registers: [registry],
    collect() {
      this.set(source.maintenance?.() ? 1 : 0);
    },
  });
  new client.Counter({
    name: "riplet_internal_errors_total",
    help: "Faults caught on the daemon's own async paths (timers, link events, health checks, control requests), by place; the daemon went on",
    labelNames: ["place"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [place, n] of Object.entries(source.internalErrors?.() ?? {})) this.inc({ place }, n);
    },
  });
  new client.Counter({
    name: "riplet_control_refused_total",
    help: "Control clients refused (busy: too many connected), cut off (did not read their replies) or closed for an oversize line",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      const c = source.control?.();
      if (!c) return;
      this.inc({ reason: "busy" }, c.refusedBusy);
      this.inc({ reason: "cut_off" }, c.cutOff);
      this.inc({ reason: "line_too_long" }, c.linesTooLong);
    },
  });
  guestMetrics(client, registry, source);
  new client.Gauge({
    name: "riplet_control_clients",
    help: "Control socket connections open",
    registers: [registry],
    collect() {
      this.set(source.control?.()?.clients ?? 0);
    },
  });
  const announceToSend = new client.Histogram({
    name: "riplet_announce_to_send_seconds",
    help: "From an announce or withdraw request to its update leaving the host",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return { registry, announceToSend };
}

/** Serves GET /metrics; anything else is a 404. Resolves once listening. */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
  guard?: Guard,
): Promise<Server> {
  const { createServer } = await import("node:http");
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("riplet serves /metrics only\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (error: Error) => {
        guard?.fault("metrics", error);
        response.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`);
      },
    );
  };
  // a fault in a scrape is counted and that scrape fails; the daemon goes on
  const server = createServer((request, response) => {
    try {
      serve(request, response);
    } catch (error) {
      guard?.fault("metrics", error);
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/**
 * The daemon's metrics endpoint: started from the config, told when a request changed the table and
 * when updates went out (so riplet_announce_to_send_seconds measures the daemon's own delay).
 */
export class MetricsEndpoint {
  private pending: number[] = [];

  private constructor(
    private readonly metrics: Metrics,
    private readonly server: Server,
  ) {}

  static async start(
    source: MetricsSource,
    host: string,
    port: number,
    guard?: Guard,
  ): Promise<MetricsEndpoint> {
    const metrics = await createMetrics(source);
    try {
      return new MetricsEndpoint(metrics, await serveMetrics(metrics, host, port, guard));
    } catch (error) {
      throw new Error(`cannot serve metrics on ${host}:${port}: ${(error as Error).message}`);
    }
  }

  /** A request changed what is announced: its update is due. */
  changed(): void {
    this.pending.push(performance.now());
  }

  /** Updates went out: every change waiting for one has been sent. */
  sent(): void {
    if (this.pending.length === 0) return;
    const now = performance.now();
    for (const at of this.pending) this.metrics.announceToSend.observe((now - at) / 1000);
    this.pending = [];
  }

  close(): void {
    this.server.close();
  }
}
