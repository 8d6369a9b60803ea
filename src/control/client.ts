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
      reject(new DaemonUnreachable(`cannot reach the riplet daemon on ${path}: ${unreachableWhy(error)}`));
    });
  });
}

/** What a pipelined run got back: one reply per request sent, in order, and why it stopped early. */
export interface Pipelined {
  replies: Reply[];
  /** Set when the connection broke or went silent: requests after `replies.length` have no answer. */
  broken?: string;
}

/**
 * Many requests on one connection, at most `window` unanswered at a time (the daemon holds up to
 * limits.controlQueue, 64, per connection, and answers in order). Sending stops at the first refusal,
 * so what was applied is exactly the requests before it. A connection that cannot be opened at all is
 * DaemonUnreachable; a BUSY daemon is retried as callDaemon does, while nothing has been answered.
 */
export async function callPipelined(
  path: string,
  requests: readonly Request[],
  window = 8,
  idleMs = 10_000,
): Promise<Pipelined> {
  const deadline = performance.now() + 5000;
  for (let wait = BUSY_FIRST_WAIT_MS; ; wait = Math.min(wait * 2, BUSY_MAX_WAIT_MS)) {
    const result = await pipelineOnce(path, requests, window, idleMs);
    const first = result.replies[0];
    const busy = result.replies.length === 1 && first && !first.ok && first.error.code === "BUSY";
    const pause = wait / 2 + Math.random() * wait;
    if (!busy || performance.now() + pause >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

function pipelineOnce(
  path: string,
  requests: readonly Request[],
  window: number,
  idleMs: number,
): Promise<Pipelined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const replies: Reply[] = [];
    let sent = 0;
    let buffered = "";
    let connected = false;
    let done = false;
    const finish = (broken?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(broken === undefined ? { replies } : { replies, broken });
    };
    let timer = setTimeout(() => {}, 0);
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => finish(`no answer from the daemon on ${path} within ${idleMs / 1000} s`),
        idleMs,
      );
    };
    const refused = () => replies.some((r) => !r.ok);
    const fill = () => {
      while (!refused() && sent < requests.length && sent - replies.length < window)
        socket.write(`${JSON.stringify(requests[sent++])}\n`);
      if (replies.length === sent) finish();
    };
    socket.setEncoding("utf8");
    socket.once("connect", () => {
      connected = true;
      arm();
      fill();
    });
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          replies.push(JSON.parse(line) as Reply);
        } catch {
          return finish(`the daemon on ${path} sent something that is not JSON`);
        }
      }
      arm();
      fill();
    });
    socket.once("close", () => finish(`the daemon on ${path} closed the connection`));
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (connected) return finish(`connection to the daemon on ${path}: ${error.message}`);
      clearTimeout(timer);
      done = true;
      reject(new DaemonUnreachable(`cannot reach the riplet daemon on ${path}: ${unreachableWhy(error)}`));
    });
  });
}

function unreachableWhy(error: NodeJS.ErrnoException): string {
  return error.code === "ENOENT" || error.code === "ECONNREFUSED"
    ? "is it running? start it with `riplet daemon` or a hook"
    : error.code === "EACCES"
      ? "permission denied; run as root or as a member of control.group"
      : error.message;
}
