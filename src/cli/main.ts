/**
 * Process entry point: real I/O around runCli(). `riplet --version` is answered here, before
 * program.ts (commander and the command table) loads: it then starts as fast as node itself.
 * Written without top-level await, which the CommonJS bundle cannot hold (rolldown.config.mjs says why
 * it is CommonJS); node:fs/promises loads only when a command reads a file, not in every start-up.
 */
import { packageVersion } from "../version.js";
import type { CliIo } from "./io.js";

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readFile: async (path) => (await import("node:fs/promises")).readFile(path),
  onSignal: (signals, handler) => {
    for (const signal of signals) process.on(signal, handler);
    return () => {
      for (const signal of signals) process.off(signal, handler);
    };
  },
  logStream: process.stdout,
};

// `riplet decode ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

/**
 * `riplet --version` / `riplet -V` alone, the commonest probe of an install (configuration management,
 * a package's test): no commander, no command. Any other form (`riplet --socket S --version`) goes
 * through commander, which prints the same version.
 */
const isVersionOnly = (args: readonly string[]) =>
  args.length === 1 && (args[0] === "--version" || args[0] === "-V");

const args = process.argv.slice(2);
if (isVersionOnly(args)) io.out(packageVersion());
else
  import("./program.js")
    .then(({ runCli }) => runCli(args, io))
    .then((code) => {
      process.exitCode = code;
    });
