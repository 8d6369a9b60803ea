/**
 * The control socket's language (SPEC §4): newline-delimited JSON, one reply per request, same id.
 * Requests are validated here, where they enter; the daemon only ever sees well-formed ones.
 */
import * as v from "valibot";
import { checkSchema } from "../health/config.js";
import { IFNAME } from "../host/addresses.js";
import { boundedString, fields, flag, list, matching, oneOf, wholeNumber } from "../schema.js";
import type { PrefixErrorCode } from "../speaker/prefix.js";
import type { ErrorReply, ReplyTo } from "./replies.js";

const id = v.union(
  [v.number(), v.pipe(v.string(), v.maxLength(128))],
  "must be a number or a string of at most 128 characters",
);
/** An owner is a tap's name: it is matched against the link list and may reach `ip` (issue 13). */
const ifname = matching(IFNAME, "an interface name: 1-15 letters, digits, '.', '_' or '-'");
const prefix = boundedString(64, "198.51.100.0/24");
// nextHop's meaning (family, unicast) depends on the prefix: admitRoute checks it (speaker/next-hop.ts).
const routeIn = fields({
  prefix,
  metric: v.optional(wholeNumber(1, 15)),
  tag: v.optional(wholeNumber(0, 65535)),
  owner: v.optional(ifname),
  nextHop: v.optional(boundedString(64, "192.0.2.1")),
  // announced only while this passes (issue 8); the same shape as a config route's check
  check: v.optional(checkSchema),
});

/** The batch bound: the CLI splits larger requests (cli/bulk.ts). */
const MAX_ROUTES = 10_000;

/** One schema per op; the op is checked first, so a request is parsed by its own op's schema only. */
const REQUESTS = {
  announce: fields({
    id,
    op: v.literal("announce"),
    routes: list(routeIn, '[{"prefix":"198.51.100.0/24"}]', { min: 1, max: MAX_ROUTES }),
  }),
  withdraw: v.pipe(
    fields({
      id,
      op: v.literal("withdraw"),
      prefixes: v.optional(list(prefix, '["198.51.100.0/24"]', { max: MAX_ROUTES })),
      owner: v.optional(ifname),
    }),
    v.check(
      (r) => (r.prefixes === undefined) !== (r.owner === undefined),
      "give prefixes or owner, not both",
    ),
  ),
  // What hooks/qemu-ifup and -ifdown ask of a running daemon (hooks/fast-hook.pl): address the tap
  // and announce its networks (up), or withdraw them and remove the addresses (down), in one round trip.
  hook: fields({
    id,
    op: v.literal("hook"),
    action: oneOf(["up", "down"] as const),
    ifname,
    addresses: v.optional(list(boundedString(64, "198.51.100.1/24"), '["198.51.100.1/24"]', { max: 32 })),
    // RIPLET_DHCP / RIPLET_RA for this one hook: override taps.<ifname> and guests (SPEC §6)
    dhcp: v.optional(flag()),
    ra: v.optional(flag()),
  }),
  routes: fields({ id, op: v.literal("routes") }),
  status: fields({ id, op: v.literal("status") }),
  reload: fields({ id, op: v.literal("reload") }),
  // `riplet daemon --replace` (issue 16): the running daemon saves its state, closes its sockets
  // without withdrawing anything, answers with its pid and exits; the new one waits for that exit.
  // As privileged as announce: whoever may open the socket may already withdraw every route.
  handover: fields({ id, op: v.literal("handover") }),
} as const;

type Op = keyof typeof REQUESTS;
export type Request = { [O in Op]: v.InferOutput<(typeof REQUESTS)[O]> }[Op];
export type RouteIn = v.InferOutput<typeof routeIn>;

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

/** Any reply the daemon sends (control/replies.ts has each op's schema). */
export type Reply = ReplyTo<Op>;

export function errorReply(id: Request["id"] | null, code: ErrorCode, message: string): ErrorReply {
  return { id, ok: false, error: { code, message } };
}

const OPS = new Set<string>(Object.keys(REQUESTS));

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
  const checkedId = v.safeParse(id, rawId);
  const requestId = checkedId.success ? checkedId.output : null;
  const op = typeof value === "object" && value && "op" in value ? (value as { op: unknown }).op : undefined;
  if (typeof op !== "string" || !OPS.has(op)) {
    return errorReply(
      requestId,
      "UNKNOWN_OP",
      `unknown op ${JSON.stringify(op)}; ops: ${[...OPS].join(", ")}`,
    );
  }
  const parsed = v.safeParse(REQUESTS[op as Op], value);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = v.getDotPath(issue);
    return errorReply(requestId, "BAD_REQUEST", `${path ? `${path}: ` : ""}${issue.message}`);
  }
  return parsed.output;
}

export function isReply(value: Request | Reply): value is Reply {
  return "ok" in value;
}
