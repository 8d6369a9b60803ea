/** `riplet daemon`: the long-running speaker with its control socket (SPEC §2, §4). */

import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { ControlSocketInUse } from "../../control/server.js";
import { ConfigError, DEFAULT_CONFIG_PATH, parseConfigText } from "../../daemon/config.js";
import { parseTextIsolated } from "../../daemon/config-text.js";
import { Daemon } from "../../daemon/daemon.js";
import { installLastResort } from "../../daemon/last-resort.js";
import { createLogger, type Logger } from "../../daemon/log.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE, untilStopped } from "../io.js";

const EXAMPLES = `
Examples:
  sudo riplet daemon -c /etc/riplet/riplet.yaml
  sudo systemctl enable --now riplet        (docs/riplet.service runs this for you)

Example config (YAML or JSON; see the README for every field):
  interfaces:
    - name: eth0
      ipv4: { auth: { mode: hmac-sha256, keys: [{ id: 3, secretFile: /etc/riplet/key }] } }
  allow: [198.51.100.0/22, 2001:db8::/32]

Signals: SIGHUP re-reads the config (announced routes stay); SIGTERM/SIGINT withdraw every route
(unless withdrawOnExit: false) and exit. Logs are JSON lines on stdout.`;

/** secretFile: read it, and say so when others can read it too. */
function secretReader(log: Logger) {
  return (path: string): string => {
    if ((statSync(path).mode & 0o077) !== 0) {
      log.warn({ secretFile: path }, "secret file is readable by group or others; chmod 600 it");
    }
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  };
}

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = execFileSync("getent", ["group", name], { encoding: "utf8" });
  return Number(line.split(":")[2]);
}

async function runDaemon(configPath: string, io: CliIo, logLevel: string): Promise<number> {
  const log = createLogger(logLevel, io.logStream);
  const loadConfig = () => {
    let text: string;
    try {
      text = readFileSync(configPath, "utf8");
    } catch (error) {
      throw new ConfigError(
        `cannot read ${configPath}: ${(error as NodeJS.ErrnoException).code}; give one with -c FILE`,
      );
    }
    // parsed in a child process: a large YAML file's parser garbage would otherwise stay in this heap (issue 15)
    return parseConfigText(text, configPath, secretReader(log), undefined, parseTextIsolated);
  };
  let daemon: Daemon;
  try {
    daemon = new Daemon({ log, loadConfig, groupId });
    await daemon.start();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`riplet daemon: ${error.message}`);
      return EXIT_USAGE;
    }
    const e = error as NodeJS.ErrnoException;
    const hint = e.code === "EACCES" ? "; run as root" : e instanceof ControlSocketInUse ? "" : "";
    io.err(`riplet daemon: ${e.message}${hint}`);
    return EXIT_FAILED;
  }
  // A fault past every guard: log it, withdraw (bounded), exit non-zero. Exiting from here is the point:
  // the process is in an unknown state, and systemd restarts it from the state file.
  const offLastResort = installLastResort({
    log,
    stop: () => daemon.stop(),
    exit: (code) => process.exit(code),
  });
  const offHup = io.onSignal(["SIGHUP"], () => daemon.guard.run("reload", () => daemon.reload(null)));
  await untilStopped(io);
  offHup();
  await daemon.stop();
  offLastResort();
  return EXIT_OK;
}

export function daemonCommand(io: CliIo, setExit: (code: number) => void, logLevel: () => string): Command {
  return new Command("daemon")
    .summary("run the speaker with its control socket")
    .description(
      "Long-running RIPv2/RIPng speaker: announces config routes and what hooks and `riplet announce` ask for, keeps them across crashes, answers on the control socket.",
    )
    .addOption(
      // the hooks read RIPLET_CONFIG too, so one variable points every riplet at the same file
      new Option("-c, --config <file>", "config file (YAML or JSON)")
        .env("RIPLET_CONFIG")
        .default(DEFAULT_CONFIG_PATH),
    )
    .addHelpText("after", EXAMPLES)
    .action(async (options: { config: string }) => setExit(await runDaemon(options.config, io, logLevel())));
}
