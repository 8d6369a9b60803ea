/** Process entry point: real I/O around runCli(). */
import { readFile } from "node:fs/promises";
import type { CliIo } from "./io.js";
import { runCli } from "./program.js";

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readFile: (path) => readFile(path),
};

process.exitCode = await runCli(process.argv.slice(2), io);
