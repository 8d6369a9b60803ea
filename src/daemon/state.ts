/**
 * What must survive a crash: the announced routes with their owners and health checks, each check's
 * last verdict, and the last crypto sequence number. Written atomically (temp file, fsync, rename, fsync of the directory) on every change, so the
 * file is always either the old state or the new one; read back on start, keeping what is valid.
 */
import { readFileSync } from "node:fs";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { checkSchema } from "../health/config.js";

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

/** Reads the state file. A missing file is an empty state; anything unreadable is reported, not fatal. */
export function loadState(path: string): { state: SavedState; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { state: EMPTY_STATE, problems: [] };
    return { state: EMPTY_STATE, problems: [`cannot read ${path}: ${code}; starting with no saved routes`] };
  }
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
  const sequence =
    Number.isInteger(object.sequence) && (object.sequence as number) >= 0 ? (object.sequence as number) : 0;
  if (sequence === 0 && object.sequence !== undefined && object.sequence !== 0)
    problems.push(`${path}: sequence is not a number; using Unix time`);
  const routes: SavedRoute[] = [];
  for (const [i, route] of (Array.isArray(object.routes) ? object.routes : []).entries()) {
    const parsed = savedRoute.safeParse(route);
    if (parsed.success) routes.push(parsed.data);
    else problems.push(`${path}: routes[${i}] is not a valid route; skipped`);
  }
  if (!Array.isArray(object.routes)) problems.push(`${path}: no routes list; starting with no saved routes`);
  // a verdict that cannot be read only costs a fresh start of that check (rise successes)
  const health: Record<string, "healthy" | "failing"> = {};
  if (typeof object.health === "object" && object.health !== null) {
    for (const [prefix, value] of Object.entries(object.health)) {
      const parsed = verdict.safeParse(value);
      if (parsed.success) health[prefix] = parsed.data;
    }
  }
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
  const temp = `${path}.tmp-${process.pid}`;
  const file = await open(temp, "w", 0o600);
  try {
    await file.writeFile(`${JSON.stringify(state, null, 1)}\n`);
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => {}); // a full disk: leave it no emptier than before
    throw error;
  }
  await file.close();
  await rename(temp, path);
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
