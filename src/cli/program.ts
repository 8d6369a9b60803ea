/** createProgram(): the whole command line, built fresh for each run so tests can drive it in-process. */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { announceCommand, withdrawCommand } from "./commands/announce.js";
import { completionCommand } from "./commands/completion.js";
import { daemonCommand } from "./commands/daemon.js";
import { decodeCommand } from "./commands/decode.js";
import { demoCommand } from "./commands/demo.js";
import { doctorCommand } from "./commands/doctor.js";
import { hookCommand } from "./commands/hook.js";
import { listenCommand } from "./commands/listen.js";
import { queryCommand } from "./commands/query.js";
import { routesCommand } from "./commands/routes.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { type CliIo, EXIT_OK, EXIT_USAGE, UsageError } from "./io.js";

/**
 * The version in package.json, which every install carries: one source for `riplet --version`. Looked
 * for upwards, as this file runs from src/cli (tests) or dist/src/cli (installed).
 */
function packageVersion(): string {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "riplet" && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    if (dir.pathname === "/") return "unknown";
  }
}

const VERSION = packageVersion();

/** The end of every command's help, as a man page's EXIT STATUS section (SPEC §2). */
const EXIT_STATUS_HELP =
  "\nExit status: 0 ok, 1 the operation failed, 2 usage or config error (a refused prefix too),\n3 the daemon could not be reached. More: README.md, docs/RELIABILITY.md, docs/BENCHMARKS.md.";

function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command("riplet")
    .description(
      "A small RIPv2/RIPng speaker: announce a VM's subnet to the gateway when it starts, withdraw it when it stops.",
    )
    .version(VERSION)
    .addOption(
      new Option("--socket <path>", "daemon control socket")
        .env("RIPLET_SOCKET")
        .default("/run/riplet/riplet.sock"),
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .default("info"),
    )
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const logLevel = () => program.opts<{ logLevel: string }>().logLevel;
  const socket = () => program.opts<{ socket: string }>().socket;
  program.addCommand(daemonCommand(io, setExit, logLevel));
  program.addCommand(announceCommand(io, setExit, socket));
  program.addCommand(withdrawCommand(io, setExit, socket));
  program.addCommand(routesCommand(io, setExit, socket));
  program.addCommand(statusCommand(io, setExit, socket));
  program.addCommand(hookCommand(io, setExit, socket));
  program.addCommand(decodeCommand(io, setExit));
  program.addCommand(doctorCommand(io, setExit, socket));
  program.addCommand(demoCommand(io, setExit));
  program.addCommand(runCommand(io, setExit, logLevel));
  program.addCommand(listenCommand(io, setExit));
  program.addCommand(queryCommand(io, setExit));
  program.addCommand(completionCommand(io, setExit, () => program));
  for (const command of allCommands(program)) {
    command.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  }
  for (const command of program.commands) command.addHelpText("afterAll", EXIT_STATUS_HELP);
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** Runs one command line (argv without node and script) and returns the SPEC §2 exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let code = EXIT_OK;
  const program = createProgram(io, (c) => {
    code = c;
  });
  for (const command of allCommands(program)) command.exitOverride();
  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      const name = program.args[0] ?? "riplet";
      io.err(`riplet ${name}: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
