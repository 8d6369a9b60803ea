/**
 * The control socket: a Unix stream server speaking newline-delimited JSON (protocol.ts). It refuses
 * to start when another daemon answers on the path, replaces a stale socket file left by a crash, and
 * bounds every line so no client can exhaust memory. Handlers are async and never throw past here.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { errorReply, isReply, MAX_LINE_BYTES, parseRequest, type Reply, type Request } from "./protocol.js";

export type Handler = (request: Request) => Promise<Reply>;

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

function serve(socket: Socket, handle: Handler, onError: (error: Error) => void): void {
  let buffered = "";
  let queue = Promise.resolve();
  const write = (reply: Reply) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
  };
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy()); // a client that vanished mid-request is not our problem
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    if (buffered.length > MAX_LINE_BYTES && !buffered.includes("\n")) {
      write(errorReply(null, "LINE_TOO_LONG", `request line over ${MAX_LINE_BYTES} bytes`));
      socket.end();
      buffered = "";
      return;
    }
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      if (line === "") continue;
      // Requests on one connection are answered in order.
      queue = queue.then(async () => {
        const parsed = parseRequest(line);
        if (isReply(parsed)) return write(parsed);
        try {
          write(await handle(parsed));
        } catch (error) {
          onError(error as Error);
          write(errorReply(parsed.id, "INTERNAL", (error as Error).message));
        }
      });
    }
  });
}

export interface ControlServerOptions {
  path: string;
  mode: number;
  /** Group id allowed to use the socket (SPEC §4 `control.group`), resolved by the caller. */
  gid?: number;
  handle: Handler;
  onError(error: Error): void;
}

export async function startControlServer(options: ControlServerOptions): Promise<Server> {
  mkdirSync(dirname(options.path), { recursive: true, mode: 0o755 });
  if (existsSync(options.path)) {
    if (await someoneListens(options.path)) {
      throw new ControlSocketInUse(`another riplet daemon is already listening on ${options.path}`);
    }
    unlinkSync(options.path); // stale: left by a daemon that crashed
  }
  const server = createServer((socket) => serve(socket, options.handle, options.onError));
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
  return server;
}

export function stopControlServer(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  });
}
