/**
 * The command table, each command behind a dynamic import: `riplet daemon` loads the daemon and not
 * demo, doctor, decode and the VM builder (~60 modules an idle daemon would keep; issue 15), and
 * `riplet routes` does not load the daemon. Order here is the order `riplet --help` lists them.
 */
import type { Command } from "commander";
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

/** Global options that take a value, so the word after them is not the command. */
const VALUE_OPTIONS = new Set(["--socket", "--log-level"]);

/** The command an argv names: its first word that is not a global option or an option's value. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * The loaders to run for `args`: only the named command's, or every one when the name is not a
 * command (top-level help, a typo commander should explain, `completion`, which lists them all).
 */
export function commandLoaders(args: readonly string[]): Loader[] {
  const name = commandName(args);
  const one = name !== undefined && name !== "completion" && Object.hasOwn(COMMANDS, name);
  return one ? [COMMANDS[name]!] : Object.values(COMMANDS);
}
