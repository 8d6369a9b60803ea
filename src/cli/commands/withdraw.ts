/** `riplet withdraw`: ask the daemon to stop announcing prefixes, or every route of an owner (SPEC §2). */
import { Command } from "commander";
import { batch, gatherPrefixes } from "../bulk.js";
import { ask, askBatched, reportFailure } from "../daemon-client.js";
import { type CliIo, EXIT_OK, UsageError } from "../io.js";

export function withdrawCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("withdraw")
    .summary("ask the daemon to withdraw prefixes")
    .description(
      "Withdraw PREFIX..., or every route of --owner IFNAME. Withdrawn routes go out with metric 16 at once.",
    )
    .argument("[prefix...]", "prefixes to withdraw (any number)")
    .option("--file <file>", "also withdraw the prefixes in FILE, one a line, # comments; - reads stdin")
    .option("--owner <ifname>", "withdraw every route this interface owns")
    .option("--json", "print the daemon's reply as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  riplet withdraw 198.51.100.0/24\n  riplet withdraw --file prefixes.txt\n  riplet withdraw --owner tap0",
    )
    .action(async (args: string[], options: { owner?: string; file?: string; json?: boolean }) => {
      const byPrefix = args.length > 0 || options.file !== undefined;
      if (byPrefix === (options.owner !== undefined)) {
        throw new UsageError("give PREFIX... (or --file FILE) or --owner IFNAME (one of them)");
      }
      if (options.owner !== undefined)
        return setExit(await byOwner(io, socket(), options.owner, options.json));
      const prefixes = await gatherPrefixes(io.readFile, args, options.file);
      const batches = prefixes.length > 0 ? batch(prefixes) : [[]];
      const requests = batches.map((b, i) => ({ id: i + 1, op: "withdraw" as const, prefixes: b }));
      const outcome = await askBatched(socket(), requests);
      const withdrawn = outcome.applied.flatMap((r) => r.withdrawn);
      if (outcome.failure)
        return setExit(reportFailure(io, "withdraw", options.json, outcome, batches, withdrawn));
      io.out(
        options.json
          ? JSON.stringify({ id: 1, ok: true, withdrawn, batches: batches.length })
          : withdrawn.length > 0
            ? `withdrawn ${withdrawn.join(" ")}`
            : "nothing to withdraw",
      );
      setExit(EXIT_OK);
    });
}

async function byOwner(io: CliIo, socket: string, owner: string, json: boolean | undefined): Promise<number> {
  const asked = await ask(io, "withdraw", socket, { id: 1, op: "withdraw", owner });
  if (!asked.ok) return asked.code;
  const withdrawn = asked.reply.withdrawn;
  io.out(
    json
      ? JSON.stringify(asked.reply)
      : withdrawn.length > 0
        ? `withdrawn ${withdrawn.join(" ")}`
        : "nothing to withdraw",
  );
  return EXIT_OK;
}
