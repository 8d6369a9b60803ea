/** `riplet decode`: the offline dissector (SPEC §3: its JSON). */
import { Command, Option } from "commander";
import { readCapture } from "../../capture/pcap.js";
import { RIPNG_PORT } from "../../wire/constants.js";
import { WireError } from "../../wire/errors.js";
import { type DatagramView, dissect, type Family, isoMicros } from "../dissect.js";
import { JSON_FIELDS_HELP, printDatagram } from "../format.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, reportError, UsageError } from "../io.js";
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
Malformed datagrams are reported (JSON: an "error" object) and decoding goes on.
${JSON_FIELDS_HELP}

Capture files: a file that cannot be read, or is not a pcap or pcapng capture, exits 2 with one line.
A capture cut short (or damaged) part-way is decoded up to the last whole packet, then one line
says where it ends, and the exit status is 1.`;

/** UDP port 521 (either end) is RIPng; everything else the capture reader passed on is RIPv1/v2. */
function familyOf(sourcePort: number, destinationPort: number): Family {
  return sourcePort === RIPNG_PORT || destinationPort === RIPNG_PORT ? "ipv6" : "ipv4";
}

/** The datagrams of a capture, and where its framing was lost (the read stopped there), if it was. */
interface Decoded {
  views: DatagramView[];
  ended?: { code: string; offset: number; message: string };
}

function fromCapture(file: Uint8Array, keys: ReturnType<typeof parseKey>[]): Decoded {
  const views: DatagramView[] = [];
  for (const item of readCapture(file)) {
    if ("error" in item) {
      const { code, offset, message } = item.error;
      if (item.ended) return { views, ended: { code, offset, message } };
      views.push({ frame: item.frame, error: { code, offset, message } });
      continue;
    }
    const meta = {
      frame: item.frame,
      ...(item.timestampUs === undefined ? {} : { time: isoMicros(item.timestampUs) }),
      source: item.source,
      sourcePort: item.sourcePort,
      destination: item.destination,
    };
    views.push(dissect(item.payload, familyOf(item.sourcePort, item.destinationPort), keys, meta));
  }
  return { views };
}

async function readPcap(path: string, io: CliIo, keys: ReturnType<typeof parseKey>[]): Promise<Decoded> {
  let file: Uint8Array;
  try {
    file = await io.readFile(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UsageError(`cannot read ${path}: ${e.code ?? e.message}`);
  }
  try {
    return fromCapture(file, keys);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw new UsageError(`${path} is not a capture riplet can read: ${error.message}`);
  }
}

async function runDecode(options: DecodeOptions, io: CliIo): Promise<number> {
  if ((options.hex === undefined) === (options.pcap === undefined)) {
    throw new UsageError("give exactly one of --hex HEX or --pcap FILE");
  }
  const keys = (options.key ?? []).map(parseKey);
  const { views, ended } =
    options.hex === undefined
      ? await readPcap(options.pcap!, io, keys)
      : { views: [dissect(parseHex(options.hex), options.family, keys, { frame: 1 })] };
  for (const view of views) printDatagram(io, view, options.json);
  if (!ended) return EXIT_OK;
  const what = ended.code === "TRUNCATED" ? "is truncated" : "is damaged";
  reportError(
    io,
    "decode",
    ended.code,
    `${options.pcap} ${what} at byte ${ended.offset} (${ended.message}); ${views.length} datagram(s) before it decoded`,
  );
  return EXIT_FAILED;
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
    .option("--json", "one JSON object per datagram (fields below)")
    .addHelpText("after", EXAMPLES)
    .action(async (options: DecodeOptions) => setExit(await runDecode(options, io)));
}
