/**
 * What must survive a crash: the announced routes with their owners and health checks, each check's
 * last verdict, and the last crypto sequence number. Kept as a snapshot (`state.json`, replaced
 * atomically: temp file, fsync, rename, fsync of the directory) plus a journal of the changes made
 * since (journal.ts), so a change costs one appended line; read back on start, keeping what is valid.
 * Version 1 was the snapshot alone: such a file is read as a snapshot with no journal (migration).
 */
import * as v from "valibot";
import { checkSchema } from "../health/config.js";
import { anyString, wholeNumber } from "../schema.js";
import { parsePrefix } from "../speaker/prefix.js";
import { MAX_SEQUENCE, SEQUENCE_EXHAUSTED_FIX } from "../speaker/sequence.js";
import { admitRoute, Refusal } from "./admit.js";
import { readNoFollow, replaceFile } from "./atomic-file.js";
import { decodeJournal, journalPath } from "./journal.js";

// not strict: a field a newer version saved is dropped, not a reason to lose the route
const savedRoute = v.object(
  {
    prefix: anyString("198.51.100.0/24"),
    metric: wholeNumber(1, 15),
    tag: wholeNumber(0, 65535),
    owner: v.optional(anyString("tap0")),
    nextHop: v.optional(anyString("192.0.2.1")),
    check: v.optional(checkSchema),
  },
  "must be an object with prefix, metric and tag",
);

const verdict = v.picklist(["healthy", "failing"]);

export type SavedRoute = v.InferOutput<typeof savedRoute>;

export type Verdicts = Record<string, "healthy" | "failing">;

/** 2: a snapshot with a `generation`, which its journal names. */
export const STATE_VERSION = 2;

export interface SavedState {
  version: typeof STATE_VERSION;
  /** Which journal continues this snapshot (journal.ts); absent in a version 1 file. */
  generation?: string;
  routes: SavedRoute[];
  sequence: number;
  /** Each health check's verdict by prefix (socket and config routes); unknown ones are left out. */
  health?: Verdicts;
}

/** One batch of changes, one journal line: routes put whole, prefixes removed, the new sequence and verdicts. */
export interface StateRecord {
  routes?: SavedRoute[];
  removed?: string[];
  sequence?: number;
  health?: Verdicts;
}

const EMPTY_STATE: SavedState = { version: STATE_VERSION, routes: [], sequence: 0 };

const GENERATION = /^[0-9a-f]{1,64}$/;

/**
 * The saved sequence number: a non-integer is ignored (0: the speaker starts from Unix time), one
 * above 2^32 − 1 is clamped to it. Neither is fatal: the daemon must never fail to start on its own
 * state (issue 13), and no value above the clamp can have gone on the wire.
 */
function sequenceOf(value: unknown, path: string, problems: string[]): number {
  if (value === undefined || value === 0) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    problems.push(`${path}: sequence ${JSON.stringify(value)} is not a whole number; using Unix time`);
    return 0;
  }
  if (value > MAX_SEQUENCE) {
    problems.push(
      `${path}: sequence ${value} is above 2^32 - 1 (RFC 4822); clamped to ${MAX_SEQUENCE}: ${SEQUENCE_EXHAUSTED_FIX}`,
    );
    return MAX_SEQUENCE;
  }
  return value;
}

/** What the policy cannot change: the admission of a control request under the widest policy. */
const INTRINSIC = { allowDefault: true, allowCommandChecks: true } as const;

/** One saved entry, or the one-line reason (naming the field) it is skipped. */
function savedRouteOf(route: unknown): SavedRoute | string {
  const parsed = v.safeParse(savedRoute, route);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    return `${v.getDotPath(issue) ?? "entry"}: ${issue.message}`;
  }
  try {
    admitRoute(parsed.output, INTRINSIC);
  } catch (error) {
    if (error instanceof Refusal) return error.message;
    throw error;
  }
  return parsed.output;
}

/** Verdicts by prefix; only canonical prefixes are kept, so no key can be `__proto__` or junk. */
function healthOf(value: unknown): Verdicts {
  const health: Verdicts = {};
  if (typeof value !== "object" || value === null) return health;
  for (const [prefix, verdictText] of Object.entries(value)) {
    const parsed = v.safeParse(verdict, verdictText);
    if (!parsed.success) continue;
    try {
      if (parsePrefix(prefix, { allowDefault: true }).text === prefix) health[prefix] = parsed.output;
    } catch {
      // a verdict that cannot be read only costs a fresh start of that check (rise successes)
    }
  }
  return health;
}

/** Reads a file of the state; a missing one is empty, an unreadable one is reported, not fatal. */
function readStateFile(path: string, problems: string[]): string | undefined {
  try {
    return readNoFollow(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") problems.push(`cannot read ${path}: ${code}; starting without what it holds`);
    return undefined;
  }
}

/**
 * Reads the state: the snapshot, then its journal replayed. A missing file is an empty state;
 * anything unreadable is reported, not fatal. Reading never changes the files: the daemon's first
 * write starts a new snapshot and journal, which drops a torn tail for good.
 */
export function loadState(path: string): { state: SavedState; problems: string[] } {
  const problems: string[] = [];
  const text = readStateFile(path, problems);
  const snapshot = text === undefined ? { state: EMPTY_STATE, problems: [] } : parseState(text, path);
  problems.push(...snapshot.problems);
  const journal = readStateFile(journalPath(path), problems);
  if (journal === undefined) return { state: snapshot.state, problems };
  return { state: replayJournal(snapshot.state, journal, journalPath(path), problems), problems };
}

/**
 * The snapshot's text, as loadState reads it (`path` only names it in problems). Every saved route
 * goes through admitRoute, as a control request does; one that fails is skipped with a problem naming
 * the field. The daemon admits the rest again under its current policy. Never throws.
 */
export function parseState(text: string, path: string): { state: SavedState; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      state: EMPTY_STATE,
      problems: [`${path} is not valid JSON (half-written or corrupted); starting with no saved routes`],
    };
  }
  const problems: string[] = [];
  const object = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const sequence = sequenceOf(object.sequence, path, problems);
  const routes = routesOf(object.routes, `${path}: routes`, problems);
  if (!Array.isArray(object.routes)) problems.push(`${path}: no routes list; starting with no saved routes`);
  const health = healthOf(object.health);
  const generation =
    typeof object.generation === "string" && GENERATION.test(object.generation)
      ? object.generation
      : undefined;
  return {
    state: {
      version: STATE_VERSION,
      ...(generation ? { generation } : {}),
      routes,
      sequence,
      ...(Object.keys(health).length > 0 ? { health } : {}),
    },
    problems,
  };
}

/** The valid entries of a saved routes list; each one skipped is a problem naming where it was. */
function routesOf(value: unknown, where: string, problems: string[]): SavedRoute[] {
  const routes: SavedRoute[] = [];
  for (const [i, route] of (Array.isArray(value) ? value : []).entries()) {
    const checked = savedRouteOf(route);
    if (typeof checked !== "string") routes.push(checked);
    else problems.push(`${where}[${i}] is not a valid route; skipped: ${checked}`);
  }
  return routes;
}

/**
 * The snapshot with its journal's records applied in order. A journal of another generation is not
 * replayed (a compaction cut short, or a snapshot replaced by hand), but its sequence numbers still
 * count: they went on the wire, and the number must never go backwards.
 */
function replayJournal(snapshot: SavedState, text: string, path: string, problems: string[]): SavedState {
  const { generation, records, tornBytes } = decodeJournal(text);
  if (tornBytes > 0) {
    problems.push(`${path}: ${tornBytes} bytes after the last whole record dropped (a write cut short)`);
  }
  let sequence = snapshot.sequence;
  if (generation === undefined || generation !== snapshot.generation) {
    for (const record of records)
      sequence = Math.max(sequence, sequenceOf(fieldOf(record, "sequence"), path, []));
    if (records.length > 0) {
      problems.push(
        `${path} does not follow ${path.replace(/\.journal$/, "")}; its ${records.length} records skipped`,
      );
    }
    return { ...snapshot, sequence };
  }
  const routes = new Map(snapshot.routes.map((r) => [r.prefix, r]));
  let health = snapshot.health;
  for (const [i, record] of records.entries()) {
    const where = `${path}: record ${i + 1}`;
    const removed = fieldOf(record, "removed");
    for (const prefix of Array.isArray(removed) ? removed : [])
      if (typeof prefix === "string") routes.delete(prefix);
    for (const route of routesOf(fieldOf(record, "routes"), `${where}: routes`, problems))
      routes.set(route.prefix, route);
    sequence = Math.max(sequence, sequenceOf(fieldOf(record, "sequence"), where, problems));
    const verdicts = fieldOf(record, "health");
    if (verdicts !== undefined) health = healthOf(verdicts);
  }
  const { health: _, ...rest } = snapshot;
  return {
    ...rest,
    routes: [...routes.values()],
    sequence,
    ...(health && Object.keys(health).length > 0 ? { health } : {}),
  };
}

function fieldOf(record: unknown, name: string): unknown {
  return typeof record === "object" && record !== null
    ? (record as Record<string, unknown>)[name]
    : undefined;
}

/**
 * Writes the whole state so that a crash at any moment leaves the old file or the new one, without
 * blocking the event loop (the fsyncs run on libuv's thread pool). Returns its size in bytes.
 */
export async function writeStateAtomically(path: string, state: SavedState): Promise<number> {
  const text = `${JSON.stringify(state, null, 1)}\n`;
  await (await replaceFile(path, text)).close();
  return Buffer.byteLength(text);
}
