/** `riplet daemon`: the long-running speaker with its control socket (SPEC §2, §4). */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { callDaemon, DaemonUnreachable } from "../../control/client.js";
import { ControlSocketInUse } from "../../control/server.js";
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from "../../daemon/config.js";
import { parseTextIsolated } from "../../daemon/config-text.js";
import { Daemon } from "../../daemon/daemon.js";
import { currentSystemdUnit, decideExit, listJobsWithSystemctl } from "../../daemon/exit-kind.js";
import { installLastResort } from "../../daemon/last-resort.js";
import { createLogger, type Logger } from "../../daemon/log.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE, untilStopped } from "../io.js";

const EXAMPLES = `
Examples:
  sudo riplet daemon -c /etc/riplet/riplet.yaml
  sudo riplet daemon --replace -c /etc/riplet/riplet.yaml   (take over from a running one, no route gap)
  sudo systemctl enable --now riplet        (docs/riplet.service runs this for you)

Example config (YAML or JSON; see the README for every field):
  interfaces:
    - name: eth0
      ipv4: { auth: { mode: hmac-sha256, keys: [{ id: 3, secretFile: /etc/riplet/key }] } }
  allow: [198.51.100.0/22, 2001:db8::/32]

Signals: SIGHUP re-reads the config (announced routes stay); SIGTERM/SIGINT withdraw every route
(unless withdrawOnExit: false) and exit, except when systemd is restarting the unit
(\`systemctl restart\`, a package upgrade): then routes stay on the gateway for the next riplet to
re-announce. Logs are JSON lines on stdout.`;

/** secretFile: read it, and say so when others can read it too. */
function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = execFileSync("getent", ["group", name], { encoding: "utf8" });
  return Number(line.split(":")[2]);
}

/** How long a daemon that agreed to hand over may take to exit (it saves state and closes sockets). */
const HANDOVER_EXIT_MS = 10_000;

/** True once `pid` has exited: no /proc entry, or a zombie its parent has not reaped yet. */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/**
 * `daemon --replace`: the daemon answering on `socket` (if any) saves its state, closes its sockets
 * without withdrawing and exits; we wait for that exit, then start as after a restart.
 */
async function takeOver(socket: string, log: Logger): Promise<void> {
  const reply = await callDaemon(socket, { id: 1, op: "handover" as const }).catch((error: Error) => {
    if (error instanceof DaemonUnreachable) return undefined; // none running: start as usual
    throw error;
  });
  if (reply === undefined) return;
  if (!reply.ok) {
    throw new Error(
      `the daemon on ${socket} refused to hand over (${reply.error.message}); an older riplet cannot: stop it (systemctl stop riplet), then start this one`,
    );
  }
  const since = performance.now();
  while (!exited(reply.pid)) {
    if (performance.now() - since > HANDOVER_EXIT_MS) {
      throw new Error(
        `the daemon on ${socket} (pid ${reply.pid}) handed over but did not exit within ${HANDOVER_EXIT_MS / 1000} s; kill ${reply.pid}, then start again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  log.info(
    { pid: reply.pid, ms: Math.round(performance.now() - since) },
    "took over from the running daemon",
  );
}

/** Why we end: a handover, or a signal and what systemd's job on our unit makes of it (exit-kind.ts). */
async function ending(daemon: Daemon, io: CliIo, log: Logger): Promise<string | undefined> {
  const first = await Promise.race([untilStopped(io), daemon.handedOver.then(() => "handover" as const)]);
  if (first === "handover") return "handed over to a new riplet daemon: routes kept; it re-announces them";
  const decision = await decideExit(currentSystemdUnit(), listJobsWithSystemctl);
  log.info({ signal: first, exit: decision.kind, unit: decision.unit, why: decision.reason }, "stopping");
  return decision.kind === "restart"
    ? "restart job: routes kept; the next riplet re-announces them"
    : undefined;
}

async function runDaemon(configPath: string, io: CliIo, logLevel: string, replace: boolean): Promise<number> {
  const log = createLogger(logLevel, io.logStream);
  // parsed in a child process: a large YAML file's parser garbage would otherwise stay in this heap
  // (issue 15); at start and on every reload a missing uplink refuses
  const loadConfig = () =>
    loadConfigFile(
      configPath,
      (path) => log.warn({ secretFile: path }, "secret file is readable by group or others; chmod 600 it"),
      parseTextIsolated,
    );
  let daemon: Daemon;
  try {
    daemon = new Daemon({
      log,
      loadConfig,
      groupId,
      ...(replace ? { takeOver: (socket: string) => takeOver(socket, log) } : {}),
    });
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
  const keepRoutes = await ending(daemon, io, log);
  offHup();
  await daemon.stop(keepRoutes);
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
    .option(
      "--replace",
      "if a daemon answers on the control socket, take over from it: it exits keeping every route on the gateway, this one re-announces them",
    )
    .addHelpText("after", EXAMPLES)
    .action(async (options: { config: string; replace?: boolean }) =>
      setExit(await runDaemon(options.config, io, logLevel(), options.replace === true)),
    );
}
