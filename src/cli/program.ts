/**
 * createProgram(): the command line, built fresh for each run so tests can drive it in-process. Each
 * command's module is imported only when that command runs (SPEC §2: a command loads only what it
 * uses): the daemon then never loads demo, doctor, decode or the VM builder (issue 15, idle RSS).
 */
import { Command, CommanderError, Option } from "commander";
import { packageVersion } from "../version.js";
import { type CommandContext, commandName, commandsFor, helpTerm } from "./commands.js";
import { type CliIo, EXIT_OK, EXIT_USAGE, reportError, UsageError } from "./io.js";
import { jsonErrors, wantsJson } from "./json-errors.js";

/** The end of every command's help, as a man page's EXIT STATUS section (SPEC §2). */
const EXIT_STATUS_HELP =
  "\nExit status: 0 ok, 1 the operation failed, 2 usage or config error (a refused prefix too),\n3 the daemon could not be reached. More: README.md, docs/RELIABILITY.md, docs/BENCHMARKS.md.";

async function createProgram(
  args: readonly string[],
  io: CliIo,
  setExit: (code: number) => void,
): Promise<Command> {
  const program = new Command("riplet")
    .description(
      "A small RIPv2/RIPng speaker: announce a VM's subnet to the gateway when it starts, withdraw it when it stops.",
    )
    .version(packageVersion())
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
    .configureHelp({ subcommandTerm: helpTerm })
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const logLevel = () => program.opts<{ logLevel: string }>().logLevel;
  const socket = () => program.opts<{ socket: string }>().socket;
  const ctx: CommandContext = { io, setExit, logLevel, socket, root: () => program };
  for (const command of await commandsFor(args, ctx)) program.addCommand(command);
  for (const command of allCommands(program)) {
    command.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  }
  for (const command of program.commands) command.addHelpText("afterAll", EXIT_STATUS_HELP);
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/**
 * `riplet help statsu`: commander would print the whole help (exit 2) where `riplet statsu` says
 * "unknown command 'statsu' (Did you mean status?)". A help topic that is no command is parsed as that
 * command, so both say the same.
 */
function helpTopicArgs(args: readonly string[], program: Command): readonly string[] {
  const at = args.indexOf("help");
  if (at < 0 || commandName(args) !== "help") return args;
  const topic = args[at + 1];
  if (topic === undefined || topic.startsWith("-")) return args;
  const known = program.commands.some((c) => c.name() === topic || c.aliases().includes(topic));
  return known ? args : [...args.slice(0, at), ...args.slice(at + 1)];
}

/** Runs one command line (argv without node and script) and returns the SPEC §2 exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  if (!wantsJson(args)) return parse(args, io);
  const errors = jsonErrors(io);
  return errors.finish(await parse(args, errors.io));
}

async function parse(args: readonly string[], io: CliIo): Promise<number> {
  let code = EXIT_OK;
  const program = await createProgram(args, io, (c) => {
    code = c;
  });
  for (const command of allCommands(program)) command.exitOverride();
  try {
    await program.parseAsync(helpTopicArgs(args, program), { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      if (error.exitCode === 0) return EXIT_OK;
      // commander has written the message (and its "Did you mean"); --json wants it in one line
      io.fail?.("USAGE", error.message.replace(/^error: /, "").replace(/\n/g, " "));
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      const name = program.args[0] ?? "riplet";
      reportError(io, name, "USAGE", error.message);
      return EXIT_USAGE;
    }
    throw error;
  }
}
