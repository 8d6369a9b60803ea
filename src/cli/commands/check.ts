/**
 * `riplet check [-c FILE]`: the config checked as the daemon checks it at start and reload (the same
 * parser and schema; every uplink exists now; secret files readable; the state and socket directories
 * private if they exist yet), without starting anything. Like `nginx -t` and
 * `bird -p`: the package's postinst starts the service only when this passes.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { Command } from "commander";
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from "../../daemon/config.js";
import { checkPrivateDir } from "../../daemon/paths.js";
import { type CliIo, EXIT_OK, EXIT_USAGE } from "../io.js";

const EXAMPLES = `
The file: -c FILE, else $RIPLET_CONFIG, else ${DEFAULT_CONFIG_PATH}.
Exit 0 when the daemon would start with it, 2 with the field and line of the first error.

Examples:
  riplet check
  riplet check -c /etc/riplet/riplet.yaml.new && mv /etc/riplet/riplet.yaml.new /etc/riplet/riplet.yaml && riplet reload`;

interface Checked {
  uplinks: number;
  routes: number;
}

/** Everything the daemon refuses a config for before it sends anything; throws ConfigError. */
function checkConfig(file: string, warn: (line: string) => void): Checked {
  // parsed in this process: the function the daemon's config child runs, without a second Node.js
  // start; the child only keeps the YAML parser out of a long-lived heap, and this process is short
  const config = loadConfigFile(file, (path) =>
    warn(`warning: secret file ${path} is readable by group or others; chmod 600 it`),
  );
  // the daemon creates a missing directory itself; one that exists must already be private (paths.ts)
  const dirs = [
    [dirname(config.state), "state"],
    [dirname(config.control.socket), "socket"],
  ] as const;
  for (const [dir, use] of dirs) {
    try {
      if (existsSync(dir)) checkPrivateDir(dir, use);
    } catch (error) {
      throw new ConfigError(`${file}: ${(error as Error).message}`);
    }
  }
  return { uplinks: config.interfaces.length, routes: config.routes.length };
}

function runCheck(file: string, json: boolean, io: CliIo): number {
  try {
    const { uplinks, routes } = checkConfig(file, (line) => io.err(`riplet check: ${line}`));
    if (json) io.out(JSON.stringify({ ok: true, file, uplinks, routes }));
    else
      io.out(
        `riplet check: ${file} ok (${uplinks} uplink${uplinks === 1 ? "" : "s"}, ${routes} route${routes === 1 ? "" : "s"})`,
      );
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (json) io.out(JSON.stringify({ ok: false, error: { code: "CONFIG_ERROR", message: error.message } }));
    else io.err(`riplet check: ${error.message}`);
    return EXIT_USAGE;
  }
}

export function checkCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("check")
    .summary("check a daemon config without starting anything")
    .description(
      "Checks the config as `riplet daemon` would at start and on reload: syntax, every field, secret files, and that every uplink in interfaces exists on this host.",
    )
    .option("-c, --config <file>", "config file (YAML or JSON)")
    .option("--json", "one JSON object: ok, file, uplinks, routes (or the error)")
    .addHelpText("after", EXAMPLES)
    .action((options: { config?: string; json?: boolean }) => {
      const file = options.config ?? (process.env.RIPLET_CONFIG || DEFAULT_CONFIG_PATH);
      setExit(runCheck(file, options.json === true, io));
    });
}
