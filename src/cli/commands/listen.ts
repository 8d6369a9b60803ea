/** `riplet listen`: passive; print every RIP/RIPng packet heard on an interface, decoded (SPEC §2). */
import { Command } from "commander";
import { withoutZone } from "../../speaker/inbound.js";
import { readLinks } from "../../transport/interfaces.js";
import { listen } from "../../transport/passive.js";
import { dissect } from "../dissect.js";
import { JSON_FIELDS_HELP, printDatagram } from "../format.js";
import { type CliIo, EXIT_FAILED, EXIT_OK } from "../io.js";
import { collect, parseInteger, parseKey } from "../options.js";

interface ListenOptions {
  interface: string;
  key?: string[];
  json?: boolean;
  count?: string;
  timeout?: string;
}

const EXAMPLES = `
Examples:
  sudo riplet listen -i eth0
  sudo riplet listen -i eth0 --key 3:s3cret --json --count 10

Joins 224.0.0.9 and ff02::9 on the interface and prints each datagram on UDP 520/521 as it arrives
It sends nothing, so it is safe next to a running speaker. Each datagram shows when it arrived and the
interface; not the address it was sent to (224.0.0.9, ff02::9 or ours), which Node.js sockets do not
report (no IP_PKTINFO): capture with tcpdump -i IFACE -w FILE and riplet decode --pcap FILE for that.
${JSON_FIELDS_HELP}`;

async function runListen(options: ListenOptions, io: CliIo): Promise<number> {
  const keys = (options.key ?? []).map(parseKey);
  const count = options.count ? parseInteger("--count", options.count, 1, 1e9) : Number.POSITIVE_INFINITY;
  const timeoutMs = options.timeout ? parseInteger("--timeout", options.timeout, 1, 86400) * 1000 : undefined;
  const [link] = readLinks([options.interface]);
  if (!link || (link.ipv4.length === 0 && !link.ipv6LinkLocal)) {
    io.err(
      `riplet listen: ${options.interface} does not exist, is down, or has no IPv4 or link-local address`,
    );
    return EXIT_FAILED;
  }
  let frame = 0;
  let stop: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    const off = io.onSignal(["SIGTERM", "SIGINT"], () => resolve());
    const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
    stop = () => {
      off();
      if (timer) clearTimeout(timer);
      resolve();
    };
  });
  let close: () => void;
  try {
    close = await listen(link, (heard) => {
      if (frame >= count) return;
      frame++;
      const view = dissect(heard.bytes, heard.family, keys, {
        frame,
        time: new Date(heard.receivedAt).toISOString(),
        source: withoutZone(heard.source), // plain addresses, as decode prints them; -i names the link
        sourcePort: heard.sourcePort,
        interface: options.interface,
      });
      printDatagram(io, view, options.json);
      if (frame >= count) stop?.();
    });
  } catch (error) {
    io.err(`riplet listen: cannot listen on UDP 520/521: ${(error as Error).message}; run as root`);
    stop?.();
    return EXIT_FAILED;
  }
  await done;
  stop?.();
  close();
  return EXIT_OK;
}

export function listenCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("listen")
    .summary("print every RIP/RIPng packet heard on an interface")
    .description(
      "Passive listener: decode and print every RIPv1/v2 and RIPng datagram heard on the interface.",
    )
    .requiredOption("-i, --interface <name>", "interface to listen on")
    .option("--key <[id:]secret>", "authentication key to check with (repeatable)", collect)
    .option("--json", "one JSON object per datagram (fields below)")
    .option("--count <n>", "exit after n datagrams")
    .option("--timeout <seconds>", "exit after this long")
    .addHelpText("after", EXAMPLES)
    .action(async (options: ListenOptions) => setExit(await runListen(options, io)));
}
