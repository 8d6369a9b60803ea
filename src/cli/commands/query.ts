/** `riplet query`: send a whole-table Request and print the answer, like rtquery (SPEC §2). */
import { isIPv4, isIPv6 } from "node:net";
import { Command, Option } from "commander";
import { withoutZone } from "../../speaker/inbound.js";
import type { Family } from "../../speaker/types.js";
import { encodeRipv2 } from "../../speaker/updates.js";
import { readLinks } from "../../transport/interfaces.js";
import { query, sourceAddressFor } from "../../transport/passive.js";
import { INFINITY_METRIC, RIPNG_VERSION } from "../../wire/constants.js";
import * as ripng from "../../wire/ripng.js";
import { dissect } from "../dissect.js";
import { JSON_FIELDS_HELP, printDatagram } from "../format.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, reportError, UsageError } from "../io.js";
import { AUTH_MODES, collect, parseAuth, parseInteger, parseKey } from "../options.js";

interface QueryOptions {
  interface?: string;
  auth?: string;
  key?: string[];
  json?: boolean;
  timeout: string;
}

const EXAMPLES = `
Examples:
  sudo riplet query 192.0.2.1
  sudo riplet query fe80::1 -i eth0
  sudo riplet query 192.0.2.1 --auth md5 --key 1:s3cret --json

The Request goes from UDP 520 (521 for RIPng) because BIRD ignores RIP packets from any other port;
without root it falls back to a random port and only FRR will answer. A gateway that requires
authentication only answers a Request signed with --auth/--key.
${JSON_FIELDS_HELP}`;

function familyOf(address: string): Family {
  const bare = address.replace(/%.*$/, "");
  if (isIPv4(bare)) return "ipv4";
  if (isIPv6(bare)) return "ipv6";
  throw new UsageError(`${address} is not an IPv4 or IPv6 address`);
}

async function endpoints(
  address: string,
  family: Family,
  iface?: string,
): Promise<{ target: string; source: string }> {
  const linkLocal = family === "ipv6" && /^fe80:/i.test(address);
  const zone = address.includes("%") ? address.split("%")[1] : iface;
  if (linkLocal && !zone)
    throw new UsageError(`${address} is link-local: give -i IFACE or write ${address}%IFACE`);
  const target = linkLocal && !address.includes("%") ? `${address}%${zone}` : address;
  if (!iface && !linkLocal) return { target, source: await sourceAddressFor(family, target) };
  const [link] = readLinks([iface ?? zone!]);
  const source =
    family === "ipv4" ? link?.ipv4[0]?.address : link?.ipv6LinkLocal && `${link.ipv6LinkLocal}%${link.name}`;
  if (!source)
    throw new UsageError(
      `${iface ?? zone} is down or has no ${family === "ipv4" ? "IPv4" : "link-local"} address`,
    );
  return { target, source };
}

function request(family: Family, options: QueryOptions): Uint8Array {
  if (family === "ipv6") {
    const entries = [{ prefix: [0, 0, 0, 0] as const, tag: 0, prefixLength: 0, metric: INFINITY_METRIC }];
    return ripng.encode({ command: "request", version: RIPNG_VERSION, entries });
  }
  const auth = parseAuth(options.auth, options.auth ? (options.key ?? []) : []);
  const whole = { afi: 0, tag: 0, address: 0, mask: 0, nextHop: 0, metric: INFINITY_METRIC };
  return encodeRipv2("request", [whole], auth, Math.floor(Date.now() / 1000));
}

/**
 * Why nothing came back, as far as we can tell. FRR's ripd never answers a signed Request: rip_read()
 * checks the auth entry and hands the whole packet to rip_request_process(), which reads its first
 * entry (the auth entry, AFI 0xFFFF) as the first route asked for, so it is not RFC 2453 §3.9.1's
 * whole-table form (one entry, AFI 0, metric 16), and "if (ntohs(rte->family) != AF_INET) return;"
 * drops it without a word (FRRouting/frr ripd/ripd.c); its log says "RIPv2 MD5 authentication
 * success" all the same. An unsigned Request is dropped too, so with auth only listening works.
 */
function noAnswer(address: string, timeoutMs: number, sourcePort: number, options: QueryOptions): string {
  const base = `no answer from ${address} within ${timeoutMs / 1000} s`;
  if (sourcePort !== 520 && sourcePort !== 521)
    return `${base} (sent from port ${sourcePort}: BIRD ignores that; run as root)`;
  if (!options.auth || options.auth === "none") return base;
  const keyId = /^(\d{1,3}):/.exec(options.key?.[0] ?? "")?.[1];
  const key = keyId === undefined ? "SECRET" : `${keyId}:SECRET`;
  return `${base}; FRR's ripd never answers an authenticated Request (BIRD does): see its periodic updates instead with riplet listen -i ${options.interface ?? "IFACE"} --key ${key}`;
}

async function runQuery(address: string, options: QueryOptions, io: CliIo): Promise<number> {
  const family = familyOf(address);
  const timeoutMs = parseInteger("--timeout", options.timeout, 1, 600) * 1000;
  const keys = (options.key ?? []).map(parseKey);
  const bytes = request(family, options);
  const { target, source } = await endpoints(address, family, options.interface);
  const { heard, sourcePort } = await query({
    family,
    target,
    source,
    request: bytes,
    timeoutMs,
    quietMs: 300,
  });
  if (heard.length === 0) {
    reportError(io, "query", "NO_ANSWER", noAnswer(address, timeoutMs, sourcePort, options));
    return EXIT_FAILED;
  }
  heard.forEach((h, i) => {
    const view = dissect(h.bytes, h.family, keys, {
      frame: i + 1,
      time: new Date(h.receivedAt).toISOString(),
      source: withoutZone(h.source),
      sourcePort: h.sourcePort,
      destination: withoutZone(source),
    });
    printDatagram(io, view, options.json);
  });
  return EXIT_OK;
}

export function queryCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("query")
    .summary("ask a router for its whole table and print the answer")
    .description(
      "Send a whole-table RIP/RIPng Request to ADDRESS and print every Response datagram it sends back.",
    )
    .argument("<address>", "router to ask: IPv4 (RIPv2) or IPv6 (RIPng; link-local needs -i or %zone)")
    .option("-i, --interface <name>", "interface to send from")
    .addOption(new Option("--auth <mode>", "sign the Request (RIPv2)").choices([...AUTH_MODES]))
    .option(
      "--key <[id:]secret>",
      "key to sign with (ID:SECRET) and to check answers with (repeatable)",
      collect,
    )
    .option("--json", "one JSON object per Response datagram (fields below)")
    .option("--timeout <seconds>", "how long to wait for an answer", "3")
    .addHelpText("after", EXAMPLES)
    .action(async (address: string, options: QueryOptions) => setExit(await runQuery(address, options, io)));
}
