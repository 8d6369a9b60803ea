/**
 * Fills the CLI's code cache (code-cache.ts): runs the commands people type, each as its own process
 * with RIPLET_CODE_CACHE=write, so every chunk each loads gets a `.v8` beside it holding the functions
 * compiled by the time it exits. A run loads the caches the runs before it wrote, so a chunk that
 * several commands load (commander, the command table) ends with what all of them compiled. The
 * commands that talk to a daemon ask a canned one on a temporary socket (canned-daemon.ts), never a
 * running daemon, which they would change.
 *
 *   node dist/cli/code-cache-train.cjs     (npm run build; the package's postinst, as root)
 *
 * It writes only under dist/cli, and every old cache there is removed first: a cache of a chunk an
 * upgrade replaced would otherwise be left behind. Exit 0 on success; 1 with one line if a command
 * fails (the CLI then still works, uncached).
 */
import { execFile } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CANNED_DATAGRAM_HEX, startCannedDaemon } from "./canned-daemon.js";

/** This file is dist/src/cli/code-cache-train.js (the bundle keeps each module's own URL). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "bin", "riplet.js");
const CHUNKS = join(ROOT, "dist", "cli");

function commands(socket: string): string[][] {
  const client = (...args: string[]) => ["--socket", socket, ...args];
  return [
    ["--version"],
    ["--help"],
    ["help", "announce"],
    client("routes"),
    client("routes", "--json"),
    client("status"),
    client("status", "--json"),
    client("announce", "198.51.100.0/24"),
    client("announce", "198.51.100.0/24", "--json"),
    client("withdraw", "198.51.100.0/24"),
    ["decode", "--hex", CANNED_DATAGRAM_HEX],
    ["decode", "--hex", CANNED_DATAGRAM_HEX, "--json"],
  ];
}

function removeCaches(): void {
  for (const file of readdirSync(CHUNKS))
    if (file.endsWith(".v8")) rmSync(join(CHUNKS, file), { force: true });
}

async function train(): Promise<void> {
  removeCaches();
  const daemon = await startCannedDaemon();
  try {
    const env = { ...process.env, RIPLET_CODE_CACHE: "write" };
    for (const args of commands(daemon.socket)) {
      // bin/riplet.js as a program, as people run it: its prologue picks the node (the package's shim:
      // /usr/bin/node), and V8 takes a cache only from the node that compiled it
      await promisify(execFile)(BIN, args, { env }).catch((error: { stderr?: string }) => {
        throw new Error(`riplet ${args.join(" ")}: ${error.stderr?.trim() || String(error)}`);
      });
    }
  } finally {
    await daemon.close();
  }
}

train().then(
  () => {
    const written = readdirSync(CHUNKS).filter((f) => f.endsWith(".v8")).length;
    process.stdout.write(`riplet: code cache written for ${written} chunks of ${CHUNKS}\n`);
  },
  (error: Error) => {
    removeCaches(); // what was written is valid, but a build that failed here should be looked at, not half-used
    process.stderr.write(`riplet: code cache not written: ${error.message}\n`);
    process.exitCode = 1;
  },
);
