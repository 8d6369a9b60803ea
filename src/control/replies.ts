/**
 * Every control reply's schema (SPEC §4), declared once: the daemon's reply builders are typed by
 * these (so the compiler checks what the daemon sends), and the client parses each reply through its
 * op's schema (so the CLI never reads a reply through a cast). A reply that does not match is a daemon
 * of another version (control/client.ts ReplyMismatch).
 * Objects are not strict here: a field a newer daemon adds is dropped, not an error; a missing or
 * mistyped field is.
 */
import * as v from "valibot";

const id = v.nullable(v.union([v.number(), v.string()]));
const ok = { id, ok: v.literal(true) } as const;
const strings = v.array(v.string());
const count = v.number();
const counts = v.record(v.string(), count);
const family = v.picklist(["ipv4", "ipv6"]);
const health = v.picklist(["unknown", "healthy", "failing"]);

const errorReplySchema = v.object({
  id,
  ok: v.literal(false),
  // a string, not the daemon's list: a code a newer daemon adds still reads as a refusal
  error: v.object({ code: v.string(), message: v.string() }),
});

const announceReply = v.object({ ...ok, announced: strings, held: v.optional(strings) });
const withdrawReply = v.object({ ...ok, withdrawn: strings });

const routeReport = v.object({
  prefix: v.string(),
  family,
  metric: count,
  tag: count,
  /** held: asked for but not on the wire (its health check is not passing, or maintenance). */
  state: v.picklist(["active", "withdrawing", "held"]),
  owner: v.optional(v.string()),
  nextHop: v.optional(v.string()),
  source: v.picklist(["config", "socket"]),
  /** The route's health check verdict, when it has one. */
  health: v.optional(health),
  /** Seconds since the last change (announce, withdraw, or for a held route its check's verdict). */
  age: count,
});

const interfaceReport = v.object({
  name: v.string(),
  up: v.boolean(),
  ipv4: strings,
  ipv6LinkLocal: v.nullable(v.string()),
  rip: v.nullable(v.object({ auth: v.string(), neighbors: strings, multicast: v.boolean() })),
  ripng: v.nullable(v.object({ neighbors: strings, multicast: v.boolean() })),
});

const neighborReport = v.object({
  address: v.string(),
  interface: v.string(),
  family,
  version: count,
  /** Seconds since a valid packet was heard; null if only bad ones were. */
  lastHeard: v.nullable(count),
  routes: count,
  badPackets: count,
  badRoutes: count,
  drops: counts,
});

const guestReport = v.object({
  tap: v.string(),
  dhcp: v.boolean(),
  ra: v.boolean(),
  dns: strings,
  running: v.boolean(),
  pid: v.nullable(count),
  restarts: count,
  lastError: v.nullable(v.string()),
  leases: v.array(
    v.object({
      mac: v.string(),
      address: v.string(),
      hostname: v.nullable(v.string()),
      /** Unix seconds; null for an infinite lease. */
      expires: v.nullable(count),
    }),
  ),
});

/** What the speaker reports (daemon/reports.ts statusReport); the daemon adds the rest of the status reply. */
const speakerStatus = {
  interfaces: v.array(interfaceReport),
  neighbors: v.array(neighborReport),
  /** held: asked for (config or socket) but not on the wire: its check is not passing, or maintenance. */
  routes: v.object({ active: count, withdrawing: count, held: count }),
  counters: v.object({
    packetsSent: count,
    packetsReceived: count,
    packetsDropped: count,
    routesSkipped: count,
    updatesSent: count,
    triggeredUpdatesSent: count,
    requestsAnswered: count,
    outputQueueDrops: count,
  }),
  /** Every datagram dropped, by reason, whoever sent it. */
  drops: counts,
  sequence: count,
  /** RFC 4822 §3: the crypto sequence number is at 2^32 − 1 and cannot grow. */
  sequenceExhausted: v.boolean(),
  /** The daemon's riplet version (package.json), which may differ from the CLI's after an upgrade. */
  version: v.string(),
  /** Seconds since the daemon process started. */
  uptimeSeconds: count,
} as const;

const statusReply = v.object({
  ...ok,
  ...speakerStatus,
  maintenance: v.boolean(),
  healthChecks: v.array(
    v.object({ prefix: v.string(), health, since: v.optional(count), detail: v.optional(v.string()) }),
  ),
  control: v.object({ clients: count, refusedBusy: count, cutOff: count, linesTooLong: count }),
  internalErrors: v.object({ total: count, byPlace: counts }),
  guests: v.array(guestReport),
});

/** One schema per op. `hook up` answers as announce does, `hook down` as withdraw does. */
const REPLIES = {
  announce: announceReply,
  withdraw: withdrawReply,
  hook: v.union([announceReply, withdrawReply]),
  routes: v.object({ ...ok, routes: v.array(routeReport) }),
  status: statusReply,
  reload: v.object(ok),
  /** The old daemon's pid: the new one waits for it to exit before it binds (daemon --replace). */
  handover: v.object({ ...ok, pid: count }),
} as const;

export type Op = keyof typeof REPLIES;
export type ErrorReply = v.InferOutput<typeof errorReplySchema>;
/** What the daemon answers to `op`: the op's reply or a refusal. */
export type ReplyTo<O extends Op> = v.InferOutput<(typeof REPLIES)[O]> | ErrorReply;

export type StatusReply = v.InferOutput<typeof statusReply>;
export type RouteReport = v.InferOutput<typeof routeReport>;
/** statusReport's part of the status reply (daemon/reports.ts). */
export type SpeakerStatus = v.InferOutput<v.ObjectSchema<typeof speakerStatus, undefined>>;

/**
 * The reply to `op`, checked, or why it does not match: the first field that does not, in one line
 * (control/client.ts turns it into a ReplyMismatch).
 */
export function parseReply<O extends Op>(
  op: O,
  value: unknown,
): { reply: ReplyTo<O> } | { mismatch: string } {
  const refused = typeof value === "object" && value !== null && (value as { ok?: unknown }).ok === false;
  const parsed = refused ? v.safeParse(errorReplySchema, value) : v.safeParse(REPLIES[op], value);
  // REPLIES[op] is the schema of ReplyTo<O>; TypeScript cannot follow a generic key through the union
  if (parsed.success) return { reply: parsed.output as ReplyTo<O> };
  const issue = parsed.issues[0];
  const where = v.getDotPath(issue) ?? "reply";
  return {
    mismatch: `the daemon's reply to ${op} does not match this riplet's version (${where}: ${issue.message}); restart the daemon after an upgrade: systemctl restart riplet`,
  };
}
