/**
 * The control socket's language (SPEC §4): newline-delimited JSON, one reply per request, same id.
 * Requests are validated here, where they enter; the daemon only ever sees well-formed ones.
 */
import { z } from "zod";
import { checkSchema } from "../health/config.js";
import { IFNAME } from "../host/addresses.js";
import type { PrefixErrorCode } from "../speaker/prefix.js";

/** A line longer than this is refused and the connection closed: a client cannot exhaust memory. */
export const MAX_LINE_BYTES = 64 * 1024;

const id = z.union([z.number(), z.string().max(128)]);
/** An owner is a tap's name: it is matched against the link list and may reach `ip` (issue 13). */
const ifname = z.string().regex(IFNAME, "an interface name: 1-15 letters, digits, '.', '_' or '-'");
// nextHop's meaning (family, unicast) depends on the prefix: admitRoute checks it (speaker/next-hop.ts).
const routeIn = z
  .object({
    prefix: z.string().max(64),
    metric: z.number().int().min(1).max(15).optional(),
    tag: z.number().int().min(0).max(65535).optional(),
    owner: ifname.optional(),
    nextHop: z.string().max(64).optional(),
    // announced only while this passes (issue 8); the same shape as a config route's check
    check: checkSchema.optional(),
  })
  .strict();

const requestSchema = z.discriminatedUnion("op", [
  z.object({ id, op: z.literal("announce"), routes: z.array(routeIn).min(1).max(10_000) }).strict(),
  z
    .object({
      id,
      op: z.literal("withdraw"),
      prefixes: z.array(z.string().max(64)).max(10_000).optional(),
      owner: ifname.optional(),
    })
    .strict()
    .refine(
      (r) => (r.prefixes === undefined) !== (r.owner === undefined),
      "give prefixes or owner, not both",
    ),
  // What hooks/qemu-ifup and -ifdown ask of a running daemon (hooks/fast-hook.pl): address the tap
  // and announce its networks (up), or withdraw them and remove the addresses (down), in one round trip.
  z
    .object({
      id,
      op: z.literal("hook"),
      action: z.enum(["up", "down"]),
      ifname,
      addresses: z.array(z.string().max(64)).max(32).optional(),
      // RIPLET_DHCP / RIPLET_RA for this one hook: override taps.<ifname> and guests (SPEC §6)
      dhcp: z.boolean().optional(),
      ra: z.boolean().optional(),
    })
    .strict(),
  z.object({ id, op: z.literal("routes") }).strict(),
  z.object({ id, op: z.literal("status") }).strict(),
  z.object({ id, op: z.literal("reload") }).strict(),
]);

export type Request = z.infer<typeof requestSchema>;
export type RouteIn = z.infer<typeof routeIn>;

export type ErrorCode =
  | "BAD_JSON"
  | "BAD_REQUEST"
  | "UNKNOWN_OP"
  | "LINE_TOO_LONG"
  | PrefixErrorCode
  | "CHECK_NOT_ALLOWED"
  | "CONFIG_ERROR"
  | "HOST_ERROR"
  | "INTERNAL"
  | "BUSY";

export type Reply =
  | ({ id: Request["id"] | null; ok: true } & Record<string, unknown>)
  | { id: Request["id"] | null; ok: false; error: { code: ErrorCode; message: string } };

export function errorReply(id: Request["id"] | null, code: ErrorCode, message: string): Reply {
  return { id, ok: false, error: { code, message } };
}

const OPS = new Set(["announce", "withdraw", "hook", "routes", "status", "reload"]);

/** Parses one line into a Request, or the error Reply to send back. */
export function parseRequest(line: string): Request | Reply {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return errorReply(null, "BAD_JSON", "not valid JSON; send one JSON object per line");
  }
  // Echoed back only when it is what the schema allows: a reply never carries a client's object back.
  const rawId = typeof value === "object" && value && "id" in value ? (value as { id: unknown }).id : null;
  const requestId = id.safeParse(rawId).success ? (rawId as Request["id"]) : null;
  const op = typeof value === "object" && value && "op" in value ? (value as { op: unknown }).op : undefined;
  if (typeof op !== "string" || !OPS.has(op)) {
    return errorReply(
      requestId,
      "UNKNOWN_OP",
      `unknown op ${JSON.stringify(op)}; ops: ${[...OPS].join(", ")}`,
    );
  }
  const parsed = requestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return errorReply(requestId, "BAD_REQUEST", `${where}${issue.message}`);
  }
  return parsed.data;
}

export function isReply(value: Request | Reply): value is Reply {
  return "ok" in value;
}
