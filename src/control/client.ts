/** Talks to the daemon's control socket: one request, one reply. */
import { createConnection } from "node:net";
import type { Request } from "./protocol.js";
import type { ReplyTo } from "./replies.js";

type ReplyOf<R extends Request> = ReplyTo<R["op"]>;

/** The daemon's reply does not match this CLI's schema: a daemon of another version (SPEC §2 exit 3). */
export class ReplyMismatch extends Error {
  override readonly name = "ReplyMismatch";
}

/**
 * The reply schemas (and valibot, ~10 ms to load) are loaded once the request is written, while the
 * daemon works on it: a hook's request, and so its datagram, does not wait for them.
 */
let schemas: Promise<typeof import("./replies.js")> | undefined;
function replySchemas(): Promise<typeof import("./replies.js")> {
  schemas ??= import("./replies.js");
  return schemas;
}

/** The reply to `request`, checked against its op's schema; throws ReplyMismatch. */
function checked<R extends Request>(
  parseReply: typeof import("./replies.js")["parseReply"],
  request: R,
  value: unknown,
): ReplyOf<R> {
  const parsed = parseReply(request.op, value);
  if ("mismatch" in parsed) throw new ReplyMismatch(parsed.mismatch);
  return parsed.reply;
}

/**
 * A monotonic clock in ms for the deadlines below. Not performance.now(): its first call loads Node.js's
 * perf_hooks internals, 1-1.5 ms of every client command's and hook's start-up (issue 16).
 */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** The daemon could not be reached at all (SPEC §2 exit code 3). */
export class DaemonUnreachable extends Error {
  override readonly name = "DaemonUnreachable";
}

/** First wait after a BUSY reply; doubled each time (with jitter, so a crowd spreads out), capped. */
const BUSY_FIRST_WAIT_MS = 20;
const BUSY_MAX_WAIT_MS = 500;

function isBusy(reply: ReplyTo<Request["op"]>): boolean {
  return !reply.ok && reply.error.code === "BUSY";
}

/**
 * One request, one reply, checked against the op's schema (control/replies.ts): a reply from a daemon
 * of another version rejects with ReplyMismatch. A daemon with every control slot taken answers BUSY
 * (issue 13): that is retried with a short backoff until the timeout, so a thousand `riplet status` at
 * once all succeed.
 */
export async function callDaemon<R extends Request>(
  path: string,
  request: R,
  timeoutMs = 5000,
): Promise<ReplyOf<R>> {
  const deadline = nowMs() + timeoutMs;
  for (let wait = BUSY_FIRST_WAIT_MS; ; wait = Math.min(wait * 2, BUSY_MAX_WAIT_MS)) {
    const left = Math.max(1, deadline - nowMs());
    const reply = await callOnce(path, request, left, timeoutMs);
    if (!isBusy(reply)) return reply;
    const pause = wait / 2 + Math.random() * wait;
    if (nowMs() + pause >= deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

function callOnce<R extends Request>(
  path: string,
  request: R,
  leftMs: number,
  timeoutMs: number,
): Promise<ReplyOf<R>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DaemonUnreachable(`no answer from the daemon on ${path} within ${timeoutMs / 1000} s`));
    }, leftMs);
    socket.setEncoding("utf8");
    let parser: ReturnType<typeof replySchemas> | undefined;
    socket.once("connect", () => {
      socket.write(`${JSON.stringify(request)}\n`);
      parser = replySchemas();
    });
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      let value: unknown;
      try {
        value = JSON.parse(buffered.slice(0, newline));
      } catch {
        return reject(new Error(`the daemon on ${path} sent something that is not JSON`));
      }
      (parser ?? replySchemas())
        .then(({ parseReply }) => resolve(checked(parseReply, request, value)))
        .catch(reject);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DaemonUnreachable(`cannot reach the riplet daemon on ${path}: ${unreachableWhy(error)}`));
    });
  });
}

/** What a pipelined run got back: one reply per request sent, in order, and why it stopped early. */
export interface Pipelined<R extends Request = Request> {
  replies: ReplyOf<R>[];
  /** Set when the connection broke or went silent: requests after `replies.length` have no answer. */
  broken?: string;
}

/**
 * Many requests on one connection, at most `window` unanswered at a time (the daemon holds up to
 * limits.controlQueue, 64, per connection, and answers in order). Sending stops at the first refusal,
 * so what was applied is exactly the requests before it. A connection that cannot be opened at all is
 * DaemonUnreachable; a BUSY daemon is retried as callDaemon does, while nothing has been answered.
 * Each reply is checked against its op's schema: one that does not match rejects with ReplyMismatch.
 */
export async function callPipelined<R extends Request>(
  path: string,
  requests: readonly R[],
  window = 8,
  idleMs = 10_000,
): Promise<Pipelined<R>> {
  const { parseReply } = await replySchemas(); // before the first request: replies are read as they come
  const deadline = nowMs() + 5000;
  for (let wait = BUSY_FIRST_WAIT_MS; ; wait = Math.min(wait * 2, BUSY_MAX_WAIT_MS)) {
    const result = await pipelineOnce(path, requests, { window, idleMs, parseReply });
    const first = result.replies[0];
    const busy = result.replies.length === 1 && first !== undefined && isBusy(first);
    const pause = wait / 2 + Math.random() * wait;
    if (!busy || nowMs() + pause >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

interface PipelineOptions {
  window: number;
  idleMs: number;
  parseReply: typeof import("./replies.js")["parseReply"];
}

function pipelineOnce<R extends Request>(
  path: string,
  requests: readonly R[],
  { window, idleMs, parseReply }: PipelineOptions,
): Promise<Pipelined<R>> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const replies: ReplyOf<R>[] = [];
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
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
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
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          return finish(`the daemon on ${path} sent something that is not JSON`);
        }
        const request = requests[replies.length];
        if (!request) return finish(`the daemon on ${path} sent more replies than requests`);
        try {
          replies.push(checked(parseReply, request, value)); // replies come in request order (SPEC §4)
        } catch (error) {
          return fail(error as Error);
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
