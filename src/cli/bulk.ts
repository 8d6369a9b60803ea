/**
 * Any number of prefixes for `riplet announce` / `riplet withdraw` (SPEC §2, issue 15): read from the
 * arguments and `--file FILE|-`, checked here before anything is sent (all or nothing), then cut into
 * requests that fit the control protocol's line and route bounds, sent pipelined on one connection.
 */
import { MAX_LINE_BYTES } from "../control/line-limit.js";
import { PrefixError, parsePrefix } from "../speaker/prefix.js";
import { UsageError } from "./io.js";

/**
 * Room kept for the request's envelope (`{"id":…,"op":"announce","routes":[…]}`) and the newline; an
 * id is at most a 16-digit number here, so 256 bytes is several times what it takes.
 */
const ENVELOPE_BYTES = 256;
/** control/protocol.ts: `routes` and `prefixes` hold at most this many per request. */
export const MAX_ROUTES_PER_REQUEST = 10_000;

/**
 * The prefixes of a `--file`: one a line, `#` starts a comment, blank lines ignored. Every line is
 * checked (the daemon's own prefix rules, bar the default route, which only its config decides) and
 * the first bad one is refused as `FILE:LINE: reason`, so nothing is sent from a file with a typo.
 */
export function parsePrefixFile(text: string, name: string): string[] {
  const prefixes: string[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const hash = raw.indexOf("#");
    const line = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (line === "") continue;
    if (/\s/.test(line))
      throw new UsageError(
        `${name}:${index + 1}: ${JSON.stringify(line)}: one prefix a line, e.g. 198.51.100.0/24`,
      );
    const problem = prefixProblem(line);
    if (problem) throw new UsageError(`${name}:${index + 1}: ${problem}`);
    prefixes.push(line);
  }
  return prefixes;
}

/** Why the daemon would refuse this prefix whatever its config, or undefined. */
function prefixProblem(prefix: string): string | undefined {
  try {
    parsePrefix(prefix, { allowDefault: true });
    return undefined;
  } catch (error) {
    if (error instanceof PrefixError) return error.message;
    throw error;
  }
}

/** The command line's prefixes, checked like a file's (argument N instead of a line). */
function checkArguments(prefixes: readonly string[]): void {
  for (const [index, prefix] of prefixes.entries()) {
    const problem = prefixProblem(prefix);
    if (problem) throw new UsageError(`argument ${index + 1}: ${problem}`);
  }
}

/**
 * Cuts items into consecutive batches whose JSON array fits `maxBytes` and holds at most `maxCount`.
 * Greedy, in order: the daemon applies batches in the order they are sent, so the report of what was
 * applied is a prefix of the input. An item that alone is over the bound is a usage error.
 */
export function batch<T>(
  items: readonly T[],
  maxBytes = MAX_LINE_BYTES - ENVELOPE_BYTES,
  maxCount = MAX_ROUTES_PER_REQUEST,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 2; // "[]"
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1; // and its comma
    if (size + 2 > maxBytes)
      throw new UsageError(`one route is ${size} bytes, over the ${maxBytes}-byte request bound`);
    if (current.length >= maxCount || bytes + size > maxBytes) {
      batches.push(current);
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The arguments and the `--file` (`-` = stdin) prefixes, in that order, all checked. */
export async function gatherPrefixes(
  readFile: (path: string) => Promise<Uint8Array>,
  args: readonly string[],
  file: string | undefined,
): Promise<string[]> {
  checkArguments(args);
  if (file === undefined) return [...args];
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file === "-" ? "/dev/stdin" : file);
  } catch (error) {
    throw new UsageError(
      `--file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const name = file === "-" ? "stdin" : file;
  return [...args, ...parsePrefixFile(Buffer.from(bytes).toString("utf8"), name)];
}
