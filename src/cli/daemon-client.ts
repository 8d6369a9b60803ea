/** Shared by the commands that talk to the daemon: the request, the exit codes of SPEC §2. */
import {
  callDaemon,
  callPipelined,
  DaemonUnreachable,
  type Pipelined,
  ReplyMismatch,
} from "../control/client.js";
import type { Request } from "../control/protocol.js";
import type { ReplyTo } from "../control/replies.js";
import { type CliIo, EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, reportError } from "./io.js";

/** Refusals about what was asked (a bad prefix) are usage errors; the rest are failures. */
const USAGE_CODES = new Set([
  "BAD_REQUEST",
  "PREFIX_NOT_ALLOWED",
  "INVALID_PREFIX",
  "HOST_BITS",
  "MULTICAST",
  "LOOPBACK",
  "LINK_LOCAL",
  "RESERVED",
  "DEFAULT_ROUTE",
]);

/** A daemon that cannot be reached, or one of another version (its replies do not match): exit 3. */
function exitOf(error: unknown): number {
  return error instanceof DaemonUnreachable || error instanceof ReplyMismatch
    ? EXIT_UNREACHABLE
    : EXIT_FAILED;
}

/** The `--json` error code of a request that got no reply. */
function codeOf(error: unknown): string {
  if (error instanceof DaemonUnreachable) return "UNREACHABLE";
  return error instanceof ReplyMismatch ? "VERSION_MISMATCH" : "FAILED";
}

type OkReply<R extends Request> = Extract<ReplyTo<R["op"]>, { ok: true }>;

export type Asked<R extends Request> = { ok: true; reply: OkReply<R> } | { ok: false; code: number };

export async function ask<R extends Request>(
  io: CliIo,
  command: string,
  socket: string,
  request: R,
): Promise<Asked<R>> {
  let reply: ReplyTo<R["op"]>;
  try {
    reply = await callDaemon(socket, request);
  } catch (error) {
    reportError(io, command, codeOf(error), (error as Error).message);
    return { ok: false, code: exitOf(error) };
  }
  if (!reply.ok) {
    reportError(io, command, reply.error.code, reply.error.message);
    return { ok: false, code: USAGE_CODES.has(reply.error.code) ? EXIT_USAGE : EXIT_FAILED };
  }
  // narrowed by reply.ok above; TypeScript does not narrow a generic union by it
  return { ok: true, reply: reply as OkReply<R> };
}

/** Batched requests' outcome: the replies of those applied, and what stopped the rest. */
export interface Batched<R extends Request> {
  applied: OkReply<R>[];
  /** The daemon's refusal, or the connection's end; `request` is the refused (or first unanswered) one, from 1. */
  failure?: { code: string; message: string; exit: number; request: number };
}

/**
 * Sends the batches pipelined on one connection (control/client.ts callPipelined); request i has id
 * i + 1. Nothing is sent after a refusal, but the few already in flight (the window) are still
 * applied by the daemon: `applied` holds every acknowledged one, not only those before the refusal.
 */
export async function askBatched<R extends Request>(
  socket: string,
  requests: readonly R[],
): Promise<Batched<R>> {
  let result: Pipelined<R>;
  try {
    result = await callPipelined(socket, requests);
  } catch (error) {
    return {
      applied: [],
      failure: { code: codeOf(error), message: (error as Error).message, exit: exitOf(error), request: 1 },
    };
  }
  const applied = result.replies.filter((r): r is OkReply<R> => r.ok);
  const refused = result.replies.findIndex((r) => !r.ok);
  const refusal = result.replies[refused];
  if (refusal && !refusal.ok) {
    const exit = USAGE_CODES.has(refusal.error.code) ? EXIT_USAGE : EXIT_FAILED;
    return { applied, failure: { ...refusal.error, exit, request: refused + 1 } };
  }
  if (applied.length < requests.length) {
    const message = result.broken ?? "no answer";
    return { applied, failure: { code: "BROKEN", message, exit: EXIT_FAILED, request: applied.length + 1 } };
  }
  return { applied };
}

/**
 * A refusal (or a broken connection) part-way: what the daemon acknowledged stays applied (it is
 * persisted); the report lists it, and says how many prefixes were not applied, so a rerun of the
 * same command (idempotent) finishes the job.
 */
export function reportFailure(
  io: CliIo,
  command: string,
  json: boolean | undefined,
  outcome: Batched<Request>,
  batches: readonly unknown[][],
  applied: readonly string[],
): number {
  const failure = outcome.failure!;
  const total = batches.reduce((n, b) => n + b.length, 0);
  const ids = new Set(outcome.applied.map((r) => r.id));
  const done = batches.reduce((n, b, i) => n + (ids.has(i + 1) ? b.length : 0), 0);
  const where =
    batches.length > 1
      ? ` (request ${failure.request} of ${batches.length}; ${done} of ${total} prefixes applied, ${total - done} not; the same command again finishes the job)`
      : "";
  if (json)
    io.out(
      JSON.stringify({
        ok: false,
        error: { code: failure.code, message: `${failure.message}${where}` },
        applied,
        notApplied: total - done,
      }),
    );
  else reportError(io, command, failure.code, `${failure.message}${where}`);
  return failure.exit;
}
