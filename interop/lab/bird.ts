/**
 * BIRD 2 gateways: one bird process per namespace with its own config, control socket and pid file
 * (`-c`, `-s`, `-P`), RIP (`rip4`) and/or RIPng (`rip6`) on one interface, the RIP routes exported to the
 * kernel, and static routes of its own redistributed into RIP.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.js";
import { type Child, exec } from "./proc.js";
import { waitFor } from "./wait.js";

export type BirdAuth =
  | "none"
  | "plaintext"
  | "md5"
  | "hmac-sha1"
  | "hmac-sha256"
  | "hmac-sha384"
  | "hmac-sha512";

export interface BirdRipOptions {
  auth?: BirdAuth;
  keyId?: number;
  secret?: string;
  ttlSecurity?: boolean;
}

export interface BirdOptions {
  ifname: string;
  routerId: string;
  rip?: BirdRipOptions | boolean;
  /** RIPng has no authentication; `ttlSecurity` makes BIRD drop packets not sent with hop limit 255. */
  ripng?: boolean | { ttlSecurity?: boolean };
  /** RIP `update time` in seconds (BIRD's default 30); timeouts stay at their defaults. */
  updateTime?: number;
  statics?: string[];
}

export const BIRD_STATICS = ["203.0.113.0/24", "2001:db8:ff::/48"];

export interface Bird {
  ns: string;
  dir: string;
  socket: string;
  logFile: string;
  readonly child: Child;
  /** Stops bird (signal, default TERM) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts bird again with the same config. */
  start(): Promise<void>;
}

const ALGORITHMS: Record<string, string> = {
  md5: "keyed md5",
  "hmac-sha1": "hmac sha1",
  "hmac-sha256": "hmac sha256",
  "hmac-sha384": "hmac sha384",
  "hmac-sha512": "hmac sha512",
};

function authLines(o: BirdRipOptions): string[] {
  const auth = o.auth ?? "none";
  if (auth === "none") return [];
  if (auth === "plaintext") return ["authentication plaintext;", `password "${o.secret}";`];
  return [
    "authentication cryptographic;",
    `password "${o.secret}" { id ${o.keyId ?? 1}; algorithm ${ALGORITHMS[auth]}; };`,
  ];
}

function ripBlock(kind: "rip" | "rip ng", options: BirdOptions, o: BirdRipOptions): string {
  const name = kind === "rip" ? "rip4" : "rip6";
  const channel = kind === "rip" ? "ipv4" : "ipv6";
  const iface = [
    ...(kind === "rip" ? ["version 2;"] : []),
    ...(options.updateTime ? [`update time ${options.updateTime};`] : []),
    ...(o.ttlSecurity ? ["ttl security on;"] : []),
    ...authLines(o),
  ];
  return [
    `protocol ${kind} ${name} {`,
    `  ${channel} { import all; export all; };`,
    `  interface "${options.ifname}" {`,
    ...iface.map((l) => `    ${l}`),
    "  };",
    "}",
  ].join("\n");
}

/** The whole bird.conf for `options`, logging everything to `logFile`. */
export function birdConf(options: BirdOptions, logFile: string): string {
  const statics = options.statics ?? BIRD_STATICS;
  const v4 = statics.filter((p) => !p.includes(":")).map((p) => `  route ${p} blackhole;`);
  const v6 = statics.filter((p) => p.includes(":")).map((p) => `  route ${p} blackhole;`);
  const parts = [
    `log "${logFile}" all;`,
    `router id ${options.routerId};`,
    "protocol device { scan time 1; }",
    // RIP-learned routes only go to the kernel: the kernel table then holds exactly what RIP gave BIRD
    "protocol kernel kernel4 { ipv4 { import none; export where source = RTS_RIP; }; }",
    "protocol kernel kernel6 { ipv6 { import none; export where source = RTS_RIP; }; }",
    `protocol static static4 {\n  ipv4;\n${v4.join("\n")}\n}`,
    `protocol static static6 {\n  ipv6;\n${v6.join("\n")}\n}`,
  ];
  if (options.rip) parts.push(ripBlock("rip", options, options.rip === true ? {} : options.rip));
  if (options.ripng) parts.push(ripBlock("rip ng", options, options.ripng === true ? {} : options.ripng));
  return `${parts.join("\n")}\n`;
}

/** Writes the config, checks it with `bird -p`, starts bird in `ns` and waits for its socket. */
export async function startBird(lab: Lab, ns: string, options: BirdOptions): Promise<Bird> {
  const dir = join(lab.dir, `bird-${ns}`);
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, "bird.conf");
  const logFile = join(dir, "bird.log");
  writeFileSync(conf, birdConf(options, logFile));
  await exec(["bird", "-p", "-c", conf]);
  const socket = join(dir, "bird.ctl");
  const argv = ["bird", "-f", "-c", conf, "-s", socket, "-P", join(dir, "bird.pid")];
  let child = lab.spawn(ns, argv, `bird@${ns}`);
  const bird: Bird = {
    ns,
    dir,
    socket,
    logFile,
    get child() {
      return child;
    },
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      await child.stop(3000, signal);
    },
    start: async () => {
      if (child.running) throw new Error(`bird@${ns} is already running`);
      child = lab.spawn(ns, argv, `bird@${ns}`);
      await untilUp(bird);
    },
  };
  await untilUp(bird);
  return bird;
}

async function untilUp(bird: Bird): Promise<void> {
  const up = async () => (await birdc(bird, "show status", true)).includes("Daemon is up");
  await waitFor(async () => !bird.child.running || (await up()), { timeoutMs: 15_000, what: "BIRD socket" });
  if (!bird.child.running) throw new Error(`bird exited at start:\n${bird.child.describe()}`);
}

/** `birdc -s SOCKET COMMAND`; with `allowFail`, a missing socket gives "" instead of throwing. */
export async function birdc(bird: Bird, command: string, allowFail = false): Promise<string> {
  const { stdout, code } = await exec(["birdc", "-s", bird.socket, ...command.split(" ")], {
    allowFail,
    timeoutMs: 10_000,
  });
  return code === 0 ? stdout : "";
}

export interface BirdRoute {
  prefix: string;
  nextHop?: string;
  ifname?: string;
  metric?: number;
}

/** `show route protocol rip4|rip6 all`: prefix, `via ADDR on IF`, and `rip_metric`. */
export async function birdRoutes(bird: Bird, family: "ipv4" | "ipv6"): Promise<BirdRoute[]> {
  const text = await birdc(bird, `show route protocol ${family === "ipv4" ? "rip4" : "rip6"} all`);
  const routes: BirdRoute[] = [];
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f.:]+\/\d+)\s+\S+\s+\[/i.exec(line);
    if (head) {
      routes.push({ prefix: head[1]! });
      continue;
    }
    const last = routes[routes.length - 1];
    if (!last) continue;
    const via = /^\s+via\s+(\S+)\s+on\s+(\S+)/.exec(line);
    if (via) {
      last.nextHop = via[1]!;
      last.ifname = via[2]!;
    }
    const metric = /^\s+(?:RIP\.metric|rip_metric):\s+(\d+)/.exec(line);
    if (metric) last.metric = Number(metric[1]);
  }
  return routes;
}

/** BIRD's log so far (the whole file; BIRD logs authentication failures as "Authentication failed"). */
export function birdLog(bird: Bird): string {
  try {
    return readFileSync(bird.logFile, "utf8");
  } catch {
    return "";
  }
}
