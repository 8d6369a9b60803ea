/** Shared by the commands that talk to the daemon: the request, the exit codes of SPEC §2. */
import { callDaemon, DaemonUnreachable } from "../control/client.js";
import type { Reply, Request } from "../control/protocol.js";
import { type CliIo, EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE } from "./io.js";

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

export type Asked = { ok: true; reply: Extract<Reply, { ok: true }> } | { ok: false; code: number };

export async function ask(io: CliIo, command: string, socket: string, request: Request): Promise<Asked> {
  let reply: Reply;
  try {
    reply = await callDaemon(socket, request);
  } catch (error) {
    io.err(`riplet ${command}: ${(error as Error).message}`);
    return { ok: false, code: error instanceof DaemonUnreachable ? EXIT_UNREACHABLE : EXIT_FAILED };
  }
  if (!reply.ok) {
    io.err(`riplet ${command}: ${reply.error.message}`);
    return { ok: false, code: USAGE_CODES.has(reply.error.code) ? EXIT_USAGE : EXIT_FAILED };
  }
  return { ok: true, reply };
}
