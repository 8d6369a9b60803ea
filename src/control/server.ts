/**
 * The control socket: a Unix stream server speaking newline-delimited JSON (protocol.ts). It refuses
 * to start when another daemon answers on the path, replaces a stale socket file left by a crash, and
 * bounds what others can make it hold (SPEC §4, issue 13): connections at once (one more is told BUSY),
 * and per connection its line, its queued requests and its unread replies (connection.ts). Handlers
 * are async and never throw past here.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { Connection, type ConnectionLimits } from "./connection.js";
import { MAX_LINE_BYTES } from "./line-limit.js";
import { errorReply, type Reply, type Request } from "./protocol.js";

type Handler = (request: Request) => Promise<Reply>;

export class ControlSocketInUse extends Error {
  override readonly name = "ControlSocketInUse";
}

/** True when something accepts connections on the path (a live daemon), false for a stale file. */
function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

export interface ControlLimits extends ConnectionLimits {
  /** Connections at once; one more is told BUSY and closed. */
  controlClients: number;
}

/** What the control socket refused or cut off since start, by reason (`riplet status`, metrics). */
export interface ControlCounters {
  /** Connections open now. */
  clients: number;
  /** Connections told BUSY because `controlClients` were open. */
  refusedBusy: number;
  /** Clients disconnected for not reading their replies. */
  cutOff: number;
  /** Connections closed for a request line over MAX_LINE_BYTES. */
  linesTooLong: number;
}

/** How long a client over the reply bound may take no byte before it is cut off. */
const STALL_MS = 10_000;
const BUSY_LINGER_MS = 1000;

export interface ControlServerOptions {
  path: string;
  mode: number;
  /** Group id allowed to use the socket (SPEC §4 `control.group`), resolved by the caller. */
  gid?: number;
  handle: Handler;
  /** A handler threw, or a fault in the server's own callbacks: the connection goes on. */
  onError(error: Error): void;
  /** Defaults: DEFAULT_LIMITS of daemon/config-normalize.ts. */
  limits?: ControlLimits;
  /** A client was refused or cut off (for a rate-limited log line). */
  onRefused?(reason: "busy" | "cut off" | "line too long", detail: string): void;
  stallMs?: number;
}

const DEFAULT_CONTROL_LIMITS: ControlLimits = {
  controlClients: 256,
  controlQueue: 64,
  controlReplyBytes: 16 * 1024 * 1024,
};

/** The listening control socket and what it has refused. */
export class ControlServer {
  readonly counters: ControlCounters = { clients: 0, refusedBusy: 0, cutOff: 0, linesTooLong: 0 };
  private readonly connections = new Set<Connection>();
  readonly server: Server;

  constructor(private readonly options: ControlServerOptions) {
    this.server = createServer((socket) => {
      try {
        this.accept(socket);
      } catch (error) {
        socket.destroy();
        options.onError(error as Error);
      }
    });
  }

  /** Reply bytes waiting in user space for all clients together. */
  get bufferedBytes(): number {
    let total = 0;
    for (const connection of this.connections) total += connection.bufferedBytes;
    return total;
  }

  /** Requests read but not yet answered, all clients together. */
  get queuedRequests(): number {
    let total = 0;
    for (const connection of this.connections) total += connection.queued;
    return total;
  }

  disconnectAll(): void {
    for (const connection of this.connections) connection.destroy();
  }

  private accept(socket: Socket): void {
    const limits = this.options.limits ?? DEFAULT_CONTROL_LIMITS;
    if (this.connections.size >= limits.controlClients) {
      // one line and goodbye: the CLI and the hooks retry BUSY within their timeout
      this.counters.refusedBusy++;
      this.options.onRefused?.("busy", `${limits.controlClients} clients connected`);
      socket.on("error", () => socket.destroy());
      // Read and discard what it sent, so its request write does not fail before it reads the answer;
      // and never keep a refused client longer than a second.
      socket.resume();
      setTimeout(() => socket.destroy(), BUSY_LINGER_MS).unref();
      const message = `too many control clients (${limits.controlClients}); try again`;
      socket.end(`${JSON.stringify(errorReply(null, "BUSY", message))}\n`);
      return;
    }
    const connection = new Connection(
      socket,
      limits,
      {
        handle: this.options.handle,
        onError: this.options.onError,
        lineTooLong: () => {
          this.counters.linesTooLong++;
          this.options.onRefused?.("line too long", `over ${MAX_LINE_BYTES} bytes`);
        },
        cutOff: (bytes) => {
          this.counters.cutOff++;
          this.options.onRefused?.("cut off", `${bytes} reply bytes unread`);
        },
      },
      this.options.stallMs ?? STALL_MS,
    );
    this.connections.add(connection);
    this.counters.clients = this.connections.size;
    socket.once("close", () => {
      this.connections.delete(connection);
      this.counters.clients = this.connections.size;
    });
  }
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  mkdirSync(dirname(options.path), { recursive: true, mode: 0o755 });
  if (existsSync(options.path)) {
    if (await someoneListens(options.path)) {
      throw new ControlSocketInUse(`another riplet daemon is already listening on ${options.path}`);
    }
    unlinkSync(options.path); // stale: left by a daemon that crashed
  }
  const control = new ControlServer(options);
  const server = control.server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A burst of VMs starting (or a script looping over `riplet announce`) connects all at once; past
    // the backlog the kernel refuses a Unix socket connect outright (EAGAIN), so make it deep (the kernel
    // caps it at net.core.somaxconn, 4096 on current kernels).
    server.listen({ path: options.path, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(options.path, options.mode);
  if (options.gid !== undefined) chownSync(options.path, process.getuid?.() ?? 0, options.gid);
  return control;
}

/** A client still connected this long after stop is disconnected: shutdown never waits on a client. */
const CLOSE_GRACE_MS = 1000;

export function stopControlServer(control: ControlServer, path: string): Promise<void> {
  return new Promise((resolve) => {
    control.server.close(() => resolve());
    setTimeout(() => control.disconnectAll(), CLOSE_GRACE_MS).unref();
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  });
}
