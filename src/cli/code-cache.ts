/**
 * V8 code cache for the bundled CLI (issue 16: a command within 1.5× of `node -e 0`). Most of what a
 * command adds to node's start-up is V8 compiling riplet's and commander's functions the first time
 * each runs; a code cache holds them compiled. Node.js 20 has no compile cache of its own
 * (`module.enableCompileCache()` arrives in 22.1), so bin/riplet.js loads each chunk of dist/cli
 * through this: with `<chunk>.v8` beside it, V8 takes the compiled functions from there.
 *
 * The caches are written only when asked (`RIPLET_CODE_CACHE=write`, by code-cache-train.ts at build
 * and package install time, as Debian's Python packages compile their .pyc in postinst), never by a
 * command in normal use: nothing but the build and the package writes under the install tree.
 *
 * A cache is used only when it is this chunk's: its header carries the chunk's size and mtime, as a
 * .pyc does (a build replaces dist/cli wholesale, a package upgrade removes the caches first), and V8
 * itself refuses one from another V8 version or with other flags. Any cache that is missing, stale,
 * unreadable or refused leaves the chunk compiled as without one: the cache can make a command
 * faster, never make it fail.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { basename, dirname } from "node:path";
import { Script } from "node:vm";

/** What each chunk did with its cache, for `RIPLET_CODE_CACHE=debug` and the tests. */
export type CacheUse = "used" | "none" | "stale" | "refused";

const MAGIC = "riplet-v8-cache 1";

/** The header that ties a cache to one chunk file: its size and mtime, one line. */
function header(size: number, mtimeMs: number): Buffer {
  return Buffer.from(`${MAGIC} ${size} ${mtimeMs}\n`);
}

/** The V8 data of `file`'s cache if the header matches the chunk as it is now; else why not. */
function readCache(file: string): Buffer | Exclude<CacheUse, "used" | "refused"> {
  let data: Buffer;
  try {
    data = readFileSync(`${file}.v8`);
  } catch {
    return "none";
  }
  const chunk = statSync(file);
  const expected = header(chunk.size, chunk.mtimeMs);
  return data.subarray(0, expected.length).equals(expected) ? data.subarray(expected.length) : "stale";
}

interface Loaded {
  file: string;
  script: Script;
}

/** Where a cache is written: beside its chunk, by a rename, so a reader sees the old file or the new one. */
function writeCache({ file, script }: Loaded): void {
  const chunk = statSync(file);
  const temporary = `${file}.v8.${process.pid}`;
  writeFileSync(temporary, Buffer.concat([header(chunk.size, chunk.mtimeMs), script.createCachedData()]));
  renameSync(temporary, `${file}.v8`);
}

/**
 * Loads every `.cjs` file of `dir` (dist/cli) through the cache from now on. `mode` is
 * RIPLET_CODE_CACHE: "write" writes each loaded chunk's cache when the process exits (every function
 * compiled by then, the cache it was loaded with included); "debug" writes each chunk's CacheUse to
 * stderr; "off" loads chunks as node would.
 */
export function enableCodeCache(dir: string, mode: string | undefined): void {
  if (mode === "off") return;
  const loaded: Loaded[] = [];
  const extensions = Module as unknown as {
    _extensions: Record<string, (module: NodeJS.Module, file: string) => void>;
    wrap(source: string): string;
  };
  // Node.js 20 registers no ".cjs" handler: its ".js" one loads a .cjs file (always CommonJS), and
  // so keeps loading every .cjs outside `dir` (prom-client's @opentelemetry/api has some)
  const plain = extensions._extensions[".cjs"] ?? extensions._extensions[".js"]!;
  extensions._extensions[".cjs"] = (module, file) => {
    if (dirname(file) !== dir) return plain(module, file);
    const cached = readCache(file);
    const script = new Script(extensions.wrap(readFileSync(file, "utf8")), {
      filename: file,
      ...(typeof cached === "string" ? {} : { cachedData: cached }),
    });
    const use: CacheUse =
      typeof cached === "string" ? cached : script.cachedDataRejected ? "refused" : "used";
    if (mode === "debug") process.stderr.write(`code cache ${basename(file)}: ${use}\n`);
    if (mode === "write") loaded.push({ file, script }); // else nothing holds the Script past its run
    const require = createRequire(file);
    script.runInThisContext().call(module.exports, module.exports, require, module, file, dir);
  };
  if (mode === "write") {
    process.on("exit", () => {
      for (const chunk of loaded) {
        try {
          writeCache(chunk);
        } catch (error) {
          process.stderr.write(
            `riplet: code cache for ${chunk.file} not written: ${(error as Error).message}\n`,
          );
        }
      }
    });
  }
}
