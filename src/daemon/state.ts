/**
 * What must survive a crash: the announced routes with their owners and health checks, each check's
 * last verdict, and the last crypto sequence number. Written atomically (temp file, fsync, rename, fsync of the directory) on every change, so the
 * file is always either the old state or the new one; read back on start, keeping what is valid.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, openSync, readFileSync } from "node:fs";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { checkSchema } from "../health/config.js";
import { parsePrefix } from "../speaker/prefix.js";
import { MAX_SEQUENCE, SEQUENCE_EXHAUSTED_FIX } from "../speaker/sequence.js";
import { admitRoute, Refusal } from "./admit.js";

const savedRoute = z.object({
  prefix: z.string(),
  metric: z.number().int().min(1).max(15),
  tag: z.number().int().min(0).max(65535),
  owner: z.string().optional(),
  nextHop: z.string().optional(),
  check: checkSchema.optional(),
});

const verdict = z.enum(["healthy", "failing"]);

export type SavedRoute = z.infer<typeof savedRoute>;

export interface SavedState {
  version: 1;
  routes: SavedRoute[];
  sequence: number;
  /** Each health check's verdict by prefix (socket and config routes); unknown ones are left out. */
  health?: Record<string, "healthy" | "failing">;
}

export const EMPTY_STATE: SavedState = { version: 1, routes: [], sequence: 0 };

/** Reads a file without following a symlink at its last component (issue 13: a planted link). */
function readNoFollow(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

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
  const parsed = savedRoute.safeParse(route);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${issue.path.join(".") || "entry"}: ${issue.message}`;
  }
  try {
    admitRoute(parsed.data, INTRINSIC);
  } catch (error) {
    if (error instanceof Refusal) return error.message;
    throw error;
  }
  return parsed.data;
}

/** Verdicts by prefix; only canonical prefixes are kept, so no key can be `__proto__` or junk. */
function healthOf(value: unknown): Record<string, "healthy" | "failing"> {
  const health: Record<string, "healthy" | "failing"> = {};
  if (typeof value !== "object" || value === null) return health;
  for (const [prefix, verdictText] of Object.entries(value)) {
    const parsed = verdict.safeParse(verdictText);
    if (!parsed.success) continue;
    try {
      if (parsePrefix(prefix, { allowDefault: true }).text === prefix) health[prefix] = parsed.data;
    } catch {
      // a verdict that cannot be read only costs a fresh start of that check (rise successes)
    }
  }
  return health;
}

/** Reads the state file. A missing file is an empty state; anything unreadable is reported, not fatal. */
export function loadState(path: string): { state: SavedState; problems: string[] } {
  let text: string;
  try {
    text = readNoFollow(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { state: EMPTY_STATE, problems: [] };
    return { state: EMPTY_STATE, problems: [`cannot read ${path}: ${code}; starting with no saved routes`] };
  }
  return parseState(text, path);
}

/**
 * The state file's text, as loadState reads it (`path` only names it in problems). Every saved route
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
  const routes: SavedRoute[] = [];
  for (const [i, route] of (Array.isArray(object.routes) ? object.routes : []).entries()) {
    const checked = savedRouteOf(route);
    if (typeof checked !== "string") routes.push(checked);
    else problems.push(`${path}: routes[${i}] is not a valid route; skipped: ${checked}`);
  }
  if (!Array.isArray(object.routes)) problems.push(`${path}: no routes list; starting with no saved routes`);
  const health = healthOf(object.health);
  return {
    state: { version: 1, routes, sequence, ...(Object.keys(health).length > 0 ? { health } : {}) },
    problems,
  };
}

/**
 * Writes the whole state so that a crash at any moment leaves the old file or the new one, without
 * blocking the event loop (the fsyncs run on libuv's thread pool).
 */
export async function writeStateAtomically(path: string, state: SavedState): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Unpredictable, created exclusively and never through a symlink: in a directory others can write,
  // a link planted at a guessable name made the root daemon overwrite its target (issue 13).
  const temp = join(dir, `.${basename(path)}.tmp-${randomBytes(12).toString("hex")}`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const file = await open(temp, flags, 0o600);
  try {
    try {
      await file.writeFile(`${JSON.stringify(state, null, 1)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {}); // a full disk: leave it no emptier than before
    throw error;
  }
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
