/** `riplet decode`: the offline dissector (SPEC §3). */
import { Command, Option } from "commander";
import { readCapture } from "../../capture/pcap.js";
import { RIPNG_PORT } from "../../wire/constants.js";
import { WireError } from "../../wire/errors.js";
import { type DatagramView, dissect, type Family } from "../dissect.js";
import { printDatagram } from "../format.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, UsageError } from "../io.js";
import { collect, parseHex, parseKey } from "../options.js";

interface DecodeOptions {
  hex?: string;
  pcap?: string;
  family: Family;
  key?: string[];
  json?: boolean;
}

const EXAMPLES = `
Examples:
  riplet decode --pcap capture.pcap --key 3:s3cret --json
  riplet decode --hex '0202 0000 0002 0000 c612 0a00 ffffff00 00000000 00000001'
  riplet decode --family ipv6 --hex 0101 0000 00000000000000000000000000000000 0000 00 10

--key SECRET checks the signature with any key id; --key 3:SECRET only with key id 3.
Give --key several times to try several keys. Without a key, signatures are shown but not checked.
Malformed datagrams are reported (JSON: an "error" object) and decoding goes on.`;

/** UDP port 521 (either end) is RIPng; everything else the capture reader passed on is RIPv1/v2. */
function familyOf(sourcePort: number, destinationPort: number): Family {
  return sourcePort === RIPNG_PORT || destinationPort === RIPNG_PORT ? "ipv6" : "ipv4";
}

async function datagramsFrom(options: DecodeOptions, io: CliIo, keys: ReturnType<typeof parseKey>[]) {
  if (options.hex !== undefined) return [dissect(parseHex(options.hex), options.family, keys, { frame: 1 })];
  let file: Uint8Array;
  try {
    file = await io.readFile(options.pcap!);
  } catch (error) {
    throw new UsageError(`cannot read ${options.pcap}: ${(error as Error).message}`);
  }
  const views: DatagramView[] = [];
  for (const item of readCapture(file)) {
    if ("error" in item) {
      const { code, offset, message } = item.error;
      views.push({ frame: item.frame, error: { code, offset, message } });
      continue;
    }
    const meta = { frame: item.frame, source: item.source, sourcePort: item.sourcePort };
    views.push(dissect(item.payload, familyOf(item.sourcePort, item.destinationPort), keys, meta));
  }
  return views;
}

async function runDecode(options: DecodeOptions, io: CliIo): Promise<number> {
  if ((options.hex === undefined) === (options.pcap === undefined)) {
    throw new UsageError("give exactly one of --hex HEX or --pcap FILE");
  }
  const keys = (options.key ?? []).map(parseKey);
  let views: DatagramView[];
  try {
    views = await datagramsFrom(options, io, keys);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    io.err(`riplet decode: ${options.pcap} is not a capture riplet can read: ${error.message}`);
    return EXIT_FAILED;
  }
  for (const view of views) {
    printDatagram(io, view, options.json);
  }
  return EXIT_OK;
}

export function decodeCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("decode")
    .summary("dissect RIP/RIPng datagrams from hex or a capture file")
    .description("Decode RIPv1/v2 and RIPng datagrams offline, checking authentication with the keys given.")
    .option("--hex <hex>", "one datagram's UDP payload as hex")
    .option("--pcap <file>", "a pcap or pcapng capture (Ethernet, Linux cooked v1/v2, raw IP)")
    .addOption(
      new Option("--family <family>", "family of --hex input").choices(["ipv4", "ipv6"]).default("ipv4"),
    )
    .option("--key <[id:]secret>", "authentication key to check with (repeatable)", collect)
    .option("--json", "one JSON object per datagram (SPEC §3)")
    .addHelpText("after", EXAMPLES)
    .action(async (options: DecodeOptions) => setExit(await runDecode(options, io)));
}
