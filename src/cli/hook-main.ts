/**
 * The light entry point for `riplet [--socket P] hook [-c FILE] up|down IFNAME`: QEMU waits for it
 * before the VM starts, so it skips the full command line (commander, the config schema, pino) and
 * loads only host/hook.ts. Anything it does not recognise (--help, a typo) goes to the full CLI.
 */
import { hookDown, hookUp } from "../host/hook.js";

const DEFAULT_SOCKET = "/run/riplet/riplet.sock";
const DEFAULT_CONFIG = "/etc/riplet/riplet.yaml";

interface HookArgs {
  action: "up" | "down";
  ifname: string;
  socket: string;
  config: string;
}

/** Parses exactly the forms the hooks use; undefined means "let the full CLI handle it". */
export function parseHookArgs(args: readonly string[], env: NodeJS.ProcessEnv): HookArgs | undefined {
  let socket = env.RIPLET_SOCKET ?? DEFAULT_SOCKET;
  let config = env.RIPLET_CONFIG ?? DEFAULT_CONFIG;
  let i = 0;
  const value = () => args[++i];
  for (; i < args.length && args[i] !== "hook"; i++) {
    if (args[i] === "--socket") socket = value() ?? "";
    else if (args[i] === "--log-level") value();
    else return undefined;
  }
  i++;
  if (args[i] === "-c" || args[i] === "--config") {
    config = value() ?? "";
    i++;
  }
  const action = args[i];
  const ifname = args[i + 1];
  if ((action !== "up" && action !== "down") || !ifname || ifname.startsWith("-") || args.length !== i + 2)
    return undefined;
  if (!socket || !config) return undefined;
  return { action, ifname, socket, config };
}

export async function main(args: readonly string[]): Promise<number | undefined> {
  const parsed = parseHookArgs(args, process.env);
  if (!parsed) return undefined;
  const ctx = { ifname: parsed.ifname, socket: parsed.socket, config: parsed.config, env: process.env };
  const io = { err: (line: string) => process.stderr.write(`${line}\n`) };
  return parsed.action === "up" ? hookUp(ctx, io) : hookDown(ctx, io);
}
