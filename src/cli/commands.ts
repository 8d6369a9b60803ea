/**
 * The command table, each command behind a dynamic import: `riplet daemon` loads the daemon and not
 * demo, doctor, decode and the VM builder (~60 modules an idle daemon would keep; issue 15), and
 * `riplet routes` does not load the daemon. Order here is the order `riplet --help` lists them.
 * `riplet --help` and a mistyped command load none of them (issue 16: they took 3× node's start-up):
 * they get stand-ins that carry only the help line (HELP_LINES).
 */
import { Command, Help } from "commander";
import type { CliIo } from "./io.js";

export interface CommandContext {
  io: CliIo;
  setExit: (code: number) => void;
  logLevel: () => string;
  socket: () => string;
  /** The whole program (for `completion`, which describes every command). */
  root: () => Command;
}

type Loader = (ctx: CommandContext) => Promise<Command>;

const COMMANDS: Record<string, Loader> = {
  daemon: async (c) => (await import("./commands/daemon.js")).daemonCommand(c.io, c.setExit, c.logLevel),
  check: async (c) => (await import("./commands/check.js")).checkCommand(c.io, c.setExit),
  reload: async (c) => (await import("./commands/reload.js")).reloadCommand(c.io, c.setExit, c.socket),
  announce: async (c) => (await import("./commands/announce.js")).announceCommand(c.io, c.setExit, c.socket),
  withdraw: async (c) => (await import("./commands/announce.js")).withdrawCommand(c.io, c.setExit, c.socket),
  routes: async (c) => (await import("./commands/routes.js")).routesCommand(c.io, c.setExit, c.socket),
  status: async (c) => (await import("./commands/status.js")).statusCommand(c.io, c.setExit, c.socket),
  hook: async (c) => (await import("./commands/hook.js")).hookCommand(c.io, c.setExit, c.socket),
  decode: async (c) => (await import("./commands/decode.js")).decodeCommand(c.io, c.setExit),
  doctor: async (c) => (await import("./commands/doctor.js")).doctorCommand(c.io, c.setExit, c.socket),
  demo: async (c) => (await import("./commands/demo.js")).demoCommand(c.io, c.setExit),
  run: async (c) => (await import("./commands/run.js")).runCommand(c.io, c.setExit, c.logLevel),
  listen: async (c) => (await import("./commands/listen.js")).listenCommand(c.io, c.setExit),
  query: async (c) => (await import("./commands/query.js")).queryCommand(c.io, c.setExit),
  completion: async (c) =>
    (await import("./commands/completion.js")).completionCommand(c.io, c.setExit, c.root),
};

/**
 * What `riplet --help` lists for each command, as commander renders it from the command's module
 * (test/cli/commands.test.ts holds the two to the same text): the term, then the summary.
 */
const HELP_LINES: Record<string, readonly [term: string, summary: string]> = {
  daemon: ["daemon [options]", "run the speaker with its control socket"],
  check: ["check [options]", "check a daemon config without starting anything"],
  reload: ["reload [options]", "make the daemon re-read its config"],
  announce: ["announce [options] [prefix...]", "ask the daemon to announce prefixes"],
  withdraw: ["withdraw [options] [prefix...]", "ask the daemon to withdraw prefixes"],
  routes: ["routes [options]", "list announced routes and their state"],
  status: ["status [options]", "show interfaces, neighbours heard and counters"],
  hook: ["hook [options]", "what the QEMU/libvirt tap scripts run"],
  decode: ["decode [options]", "dissect RIP/RIPng datagrams from hex or a capture file"],
  doctor: ["doctor [options] [ifname]", "check the path from a VM's tap to the gateway, step by step"],
  demo: ["demo [options]", "watch a VM's subnet get routed and withdrawn, in a throw-away lab"],
  run: ["run [options] <prefix...>", "announce prefixes in the foreground until stopped"],
  listen: ["listen [options]", "print every RIP/RIPng packet heard on an interface"],
  query: ["query [options] <address>", "ask a router for its whole table and print the answer"],
  completion: ["completion [shell]", "print a shell completion script"],
};

/** Global options that take a value, so the word after them is not the command. */
const VALUE_OPTIONS = new Set(["--socket", "--log-level"]);

/** The words of an argv that are not global options or their values: the command, its arguments. */
function words(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) found.push(arg);
  }
  return found;
}

/** The command an argv names: its first word that is not a global option or an option's value. */
export function commandName(args: readonly string[]): string | undefined {
  return words(args)[0];
}

const isCommand = (name: string | undefined): name is string =>
  name !== undefined && Object.hasOwn(COMMANDS, name);

/**
 * The loaders to run for `args`: the named command's (`riplet help NAME` too), every one for
 * `completion` (it describes them all), none otherwise (top-level help, a typo commander explains).
 */
export function commandLoaders(args: readonly string[]): Loader[] {
  const [name, next] = words(args);
  if (name === "completion") return Object.values(COMMANDS);
  if (name === "help" && isCommand(next)) return [COMMANDS[next]!];
  return isCommand(name) ? [COMMANDS[name]!] : [];
}

/** Stand-ins marked for the help override below, so it never mistakes a real command for one. */
const STAND_INS = new WeakSet<Command>();

/**
 * Every command as a stand-in that only lists itself in `riplet --help` and lets commander name the
 * command a typo meant; none of them runs (a named command is loaded instead, commandLoaders).
 */
export function commandStandIns(): Command[] {
  return Object.entries(HELP_LINES).map(([name, [, summary]]) => {
    const command = new Command(name).summary(summary);
    STAND_INS.add(command);
    return command;
  });
}

/**
 * The term `riplet --help` lists for `command`: HELP_LINES's for a stand-in (it has no options or
 * arguments of its own to render), commander's own for a loaded command.
 */
export function helpTerm(command: Command): string {
  return STAND_INS.has(command) ? HELP_LINES[command.name()]![0] : new Help().subcommandTerm(command);
}

/** The commands to add to the program for `args`: loaded as commandLoaders says, or the stand-ins. */
export async function commandsFor(args: readonly string[], ctx: CommandContext): Promise<Command[]> {
  const loaders = commandLoaders(args);
  if (loaders.length === 0) return commandStandIns();
  return Promise.all(loaders.map((load) => load(ctx)));
}
