/**
 * A stand-in for the daemon's control socket: a server on a temporary Unix socket that speaks the
 * control protocol (one JSON line in, one out, same id) and answers routes, status, announce and
 * withdraw with canned replies typed by control/replies.ts, so they pass the CLI's schema check exactly
 * as a real daemon's do. The client commands run against it to fill the code cache
 * (code-cache-train.ts), to be timed without root (bench/startup.ts) and in tests of what they load.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReplyTo, StatusReply } from "../control/replies.js";

/**
 * One RIPv2 Response with one RTE, 198.18.0.0/24 metric 1 (RFC 2453 §4): the datagram `riplet decode
 * --hex` reads where the client commands run against the canned daemon (training, bench, tests).
 */
export const CANNED_DATAGRAM_HEX = "0202000000020000c6120000ffffff000000000000000001";

export interface CannedDaemon {
  /** "daemon in netns" or "fake control socket": what the client commands ran against. */
  kind: string;
  socket: string;
  close(): Promise<void>;
}

const ROUTES: ReplyTo<"routes"> = {
  id: 1,
  ok: true,
  routes: [
    { prefix: "198.18.0.0/24", family: "ipv4", metric: 1, tag: 0, state: "active", source: "config", age: 5 },
    {
      prefix: "198.51.100.0/24",
      family: "ipv4",
      metric: 1,
      tag: 0,
      state: "active",
      source: "socket",
      age: 1,
    },
  ],
};

const STATUS: StatusReply = {
  id: 1,
  ok: true,
  version: "0.1.0",
  uptimeSeconds: 5,
  interfaces: [
    {
      name: "vhost",
      up: true,
      ipv4: ["192.0.2.2"],
      ipv6LinkLocal: "fe80::1",
      rip: { auth: "none", neighbors: [], multicast: true },
      ripng: { neighbors: [], multicast: true },
    },
  ],
  neighbors: [],
  routes: { active: 2, withdrawing: 0, held: 0 },
  counters: {
    packetsSent: 4,
    packetsReceived: 0,
    packetsDropped: 0,
    routesSkipped: 0,
    updatesSent: 2,
    triggeredUpdatesSent: 2,
    requestsAnswered: 0,
    outputQueueDrops: 0,
  },
  drops: {},
  sequence: 0,
  sequenceExhausted: false,
  maintenance: false,
  healthChecks: [],
  control: { clients: 1, refusedBusy: 0, cutOff: 0, linesTooLong: 0 },
  internalErrors: { total: 0, byPlace: {} },
  guests: [],
};

/** The canned reply to one request line; the same id back, as the daemon does. */
function answer(line: string): object {
  const request = JSON.parse(line) as {
    id: number;
    op: string;
    routes?: { prefix: string }[];
    prefixes?: string[];
  };
  if (request.op === "routes") return { ...ROUTES, id: request.id };
  if (request.op === "status") return { ...STATUS, id: request.id };
  if (request.op === "announce") {
    const announced = (request.routes ?? []).map((r) => r.prefix);
    return { id: request.id, ok: true, announced } satisfies ReplyTo<"announce">;
  }
  if (request.op === "withdraw") {
    const withdrawn = request.prefixes ?? [];
    return { id: request.id, ok: true, withdrawn } satisfies ReplyTo<"withdraw">;
  }
  return { id: request.id, ok: false, error: { code: "UNKNOWN_OP", message: `not faked: ${request.op}` } };
}

export async function startCannedDaemon(): Promise<CannedDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "riplet-bench-"));
  const socket = join(dir, "riplet.sock");
  const server = createServer((connection) => {
    let buffered = "";
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        connection.write(`${JSON.stringify(answer(buffered.slice(0, end)))}\n`);
        buffered = buffered.slice(end + 1);
      }
    });
    connection.on("error", () => connection.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
  const close = async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  };
  return { kind: "fake control socket", socket, close };
}
