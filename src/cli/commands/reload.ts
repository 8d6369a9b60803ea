/**
 * `riplet reload`: the daemon re-reads its config and says whether it took it, so `systemctl reload
 * riplet` (ExecReload runs this) fails when the reload is refused; `kill -HUP` always "succeeded".
 */
import { Command } from "commander";
import { callDaemon, DaemonUnreachable, ReplyMismatch } from "../../control/client.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE } from "../io.js";

const EXAMPLES = `
Exit 0 reloaded; 1 refused (the reason is printed; the daemon keeps running the config it had);
3 no daemon on the socket.
Announced routes stay across a reload; config routes and uplinks change as the file says.

Examples:
  riplet check && riplet reload
  systemctl reload riplet        (the unit's ExecReload runs riplet reload)`;

async function runReload(socket: string, json: boolean, io: CliIo): Promise<number> {
  const fail = (code: string, message: string, exit: number) => {
    if (json) io.out(JSON.stringify({ ok: false, error: { code, message } }));
    else io.err(`riplet reload: ${message}`);
    return exit;
  };
  // a reload parses the config in a child process and rebinds sockets: longer than a routes query
  const reply = await callDaemon(socket, { id: 1, op: "reload" }, 30_000).catch((error: Error) => error);
  if (reply instanceof Error) {
    const unreachable = reply instanceof DaemonUnreachable || reply instanceof ReplyMismatch;
    return fail(
      unreachable ? "UNREACHABLE" : "FAILED",
      reply.message,
      unreachable ? EXIT_UNREACHABLE : EXIT_FAILED,
    );
  }
  if (!reply.ok)
    return fail(reply.error.code, `refused: ${reply.error.message} (the running config stays)`, EXIT_FAILED);
  if (json) io.out(JSON.stringify({ ok: true }));
  else io.out("riplet reload: config reloaded (announced routes stay)");
  return EXIT_OK;
}

export function reloadCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("reload")
    .summary("make the daemon re-read its config")
    .description(
      "Asks the running daemon to re-read its config file. A config with an error (or naming an uplink that does not exist) is refused with the reason, and the daemon keeps the config it runs.",
    )
    .option("--json", "one JSON object: ok, or the error")
    .addHelpText("after", EXAMPLES)
    .action(async (options: { json?: boolean }) =>
      setExit(await runReload(socket(), options.json === true, io)),
    );
}
