/** Talks to the daemon's control socket: one request, one reply. */
import { createConnection } from "node:net";
import type { Reply, Request } from "./protocol.js";

/** The daemon could not be reached at all (SPEC §2 exit code 3). */
export class DaemonUnreachable extends Error {
  override readonly name = "DaemonUnreachable";
}

/** First wait after a BUSY reply; doubled each time (with jitter, so a crowd spreads out), capped. */
const BUSY_FIRST_WAIT_MS = 20;
const BUSY_MAX_WAIT_MS = 500;

/**
 * One request, one reply. A daemon with every control slot taken answers BUSY (issue 13): that is
 * retried with a short backoff until the timeout, so a thousand `riplet status` at once all succeed.
 */
export async function callDaemon(path: string, request: Request, timeoutMs = 5000): Promise<Reply> {
  const deadline = performance.now() + timeoutMs;
  for (let wait = BUSY_FIRST_WAIT_MS; ; wait = Math.min(wait * 2, BUSY_MAX_WAIT_MS)) {
    const left = Math.max(1, deadline - performance.now());
    const reply = await callOnce(path, request, left, timeoutMs);
    if (reply.ok || reply.error.code !== "BUSY") return reply;
    const pause = wait / 2 + Math.random() * wait;
    if (performance.now() + pause >= deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

function callOnce(path: string, request: Request, leftMs: number, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DaemonUnreachable(`no answer from the daemon on ${path} within ${timeoutMs / 1000} s`));
    }, leftMs);
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as Reply);
      } catch {
        reject(new Error(`the daemon on ${path} sent something that is not JSON`));
      }
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        error.code === "ENOENT" || error.code === "ECONNREFUSED"
          ? "is it running? start it with `riplet daemon` or a hook"
          : error.code === "EACCES"
            ? "permission denied; run as root or as a member of control.group"
            : error.message;
      reject(new DaemonUnreachable(`cannot reach the riplet daemon on ${path}: ${why}`));
    });
  });
}
