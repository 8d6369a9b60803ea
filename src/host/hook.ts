/**
 * What the QEMU hooks do (SPEC §6), without the command-line layer, so the hook entry point
 * (cli/hook-main.ts) loads only this: the control client, iproute2 plumbing, and the config parser
 * only when RIPLET_ADDRESSES is not set. Every millisecond here delays the VM's start.
 * up: link up, addresses on the tap, forwarding on, each network announced with owner=IFNAME, starting
 * the daemon if none runs (through systemd where it runs riplet.service: supervisor.ts); any failure
 * is one line on stderr and a non-zero exit, so QEMU refuses to start a VM nobody could reach.
 * down: withdraw by owner, remove the addresses, exit 0, within 2 s.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { callDaemon, DaemonUnreachable } from "../control/client.js";
import type { Reply, Request } from "../control/protocol.js";
import { DAEMON_NODE_OPTIONS } from "../daemon/node-options.js";
import { addressesFromEnv, parseTapAddress, type TapAddress } from "./addresses.js";
import { runCommand } from "./exec.js";
import { chooseSupervisor, DAEMON_LOG_PATH, openAppendLog, startService } from "./supervisor.js";
import { configureTap, enableForwarding, interfaceExists, isTunTap, removeAddresses } from "./tap.js";

export interface HookIo {
  err(line: string): void;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;

/** SPEC §6: the downscript never holds QEMU longer than this. */
const DOWN_BUDGET_MS = 2000;
const DAEMON_START_MS = 5000;

export interface HookContext {
  ifname: string;
  config: string;
  socket: string;
  env: NodeJS.ProcessEnv;
}

/** Addresses from RIPLET_ADDRESSES, else the config's taps.<ifname>.addresses (read only then). */
async function tapAddresses(ctx: HookContext): Promise<TapAddress[]> {
  const fromEnv = addressesFromEnv(ctx.env.RIPLET_ADDRESSES);
  if (fromEnv) return fromEnv;
  if (!existsSync(ctx.config)) return [];
  // Only taps.<ifname>.addresses is needed, so only the YAML parser is loaded (the daemon checks the
  // whole file against its schema; loading that schema here would cost the VM ~150 ms of start-up).
  const { parse } = await import("yaml");
  const config = parse(readFileSync(ctx.config, "utf8")) as {
    taps?: Record<string, { addresses?: unknown }>;
  } | null;
  const addresses = config?.taps?.[ctx.ifname]?.addresses;
  if (addresses === undefined) return [];
  if (!Array.isArray(addresses))
    throw new Error(`${ctx.config}: taps.${ctx.ifname}.addresses must be a list of CIDRs`);
  return addresses.map((a) => parseTapAddress(String(a)));
}

/** RIPLET_DHCP / RIPLET_RA = 0 or 1: this one VM's guest addressing, over the config (SPEC §6). */
export function guestOverrides(env: NodeJS.ProcessEnv): { dhcp?: boolean; ra?: boolean } {
  const out: { dhcp?: boolean; ra?: boolean } = {};
  for (const [name, key] of [
    ["RIPLET_DHCP", "dhcp"],
    ["RIPLET_RA", "ra"],
  ] as const) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (value !== "0" && value !== "1") throw new Error(`${name}=${JSON.stringify(value)}: give 0 or 1`);
    out[key] = value === "1";
  }
  return out;
}

const answers = (socket: string) =>
  callDaemon(socket, { id: 0, op: "status" }, 500).then(
    () => true,
    () => false,
  );

/**
 * The daemon this hook needs, from its supervisor (host/supervisor.ts): riplet.service through
 * systemctl where systemd runs it, else a detached `riplet daemon`.
 */
async function startDaemon(ctx: HookContext): Promise<void> {
  const supervisor = chooseSupervisor(ctx.socket);
  if (supervisor.kind === "systemd") {
    const deps = {
      run: (file: string, args: readonly string[], timeoutMs: number) => runCommand(file, args, timeoutMs),
      answers: () => answers(ctx.socket),
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      now: () => Date.now(),
    };
    return startService(supervisor.systemctl, ctx.socket, deps);
  }
  return startDetached(ctx);
}

/** Starts `riplet daemon` in the background, logging to its log file, and waits for its socket. */
async function startDetached(ctx: HookContext): Promise<void> {
  if (!existsSync(ctx.config)) {
    throw new Error(
      `no daemon on ${ctx.socket} and no config at ${ctx.config} to start one; create it or set RIPLET_CONFIG`,
    );
  }
  const logPath = ctx.env.RIPLET_LOG || DAEMON_LOG_PATH;
  const log = openAppendLog(logPath);
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "riplet.js");
  const args = [...DAEMON_NODE_OPTIONS, bin, "--socket", ctx.socket, "daemon", "-c", ctx.config];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  closeSync(log); // the child has its own copy; this one would only hold the file open
  const deadline = Date.now() + DAEMON_START_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null && child.exitCode !== 0) break; // lost a start race, or a config error
    if (await answers(ctx.socket)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Another hook may have started it at the same moment: one last look before giving up.
  if (!(await answers(ctx.socket)))
    throw new Error(`the daemon did not come up within ${DAEMON_START_MS / 1000} s; see ${logPath}`);
}

/** One request to the daemon, starting it first if none answers. */
async function ask(ctx: HookContext, request: Request): Promise<Reply> {
  try {
    return await callDaemon(ctx.socket, request);
  } catch (error) {
    if (!(error instanceof DaemonUnreachable)) throw error;
    await startDaemon(ctx);
    return callDaemon(ctx.socket, request);
  }
}

/**
 * What a daemon older than the `hook` op needs: the tap configured here, then the announcement; a
 * refused announcement takes the addresses off again, so nothing refused is left on the tap.
 */
async function upByHand(ctx: HookContext, addresses: TapAddress[]): Promise<Reply> {
  const cidrs = addresses.map((a) => a.cidr);
  await configureTap(ctx.ifname, cidrs);
  enableForwarding({
    ipv4: addresses.some((a) => a.family === "ipv4"),
    ipv6: addresses.some((a) => a.family === "ipv6"),
  });
  const routes = addresses.map((a) => ({ prefix: a.network, owner: ctx.ifname }));
  const reply = await ask(ctx, { id: 2, op: "announce", routes });
  if (!reply.ok) await removeAddresses(ctx.ifname, cidrs, 1000);
  return reply;
}

/**
 * Up through the daemon's `hook` op, the path hooks/fast-hook.pl takes too: the daemon checks the
 * networks against its policy before it touches the tap, then configures it and announces.
 */
export async function hookUp(ctx: HookContext, io: HookIo): Promise<number> {
  const fail = (message: string) => {
    io.err(`riplet hook up ${ctx.ifname}: ${message}`);
    return EXIT_FAILED;
  };
  try {
    const addresses = await tapAddresses(ctx);
    if (addresses.length === 0) {
      return fail(
        `no addresses: set RIPLET_ADDRESSES=198.51.100.1/24 or taps.${ctx.ifname}.addresses in ${ctx.config}`,
      );
    }
    if (!interfaceExists(ctx.ifname)) return fail(`interface ${ctx.ifname} does not exist`);
    // upByHand (a daemon without the hook op) configures the tap here: the same rule as the daemon's
    if (!isTunTap(ctx.ifname))
      return fail(`${ctx.ifname} is not a tun/tap device; the hook only configures VM taps`);
    const cidrs = addresses.map((a) => a.cidr);
    const guests = guestOverrides(ctx.env);
    let reply = await ask(ctx, {
      id: 1,
      op: "hook",
      action: "up",
      ifname: ctx.ifname,
      addresses: cidrs,
      ...guests,
    });
    if (!reply.ok && reply.error.code === "UNKNOWN_OP") reply = await upByHand(ctx, addresses);
    if (!reply.ok) return fail(reply.error.message);
    return EXIT_OK;
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** The host checks hookDown makes; tests pass fakes. */
export interface DownHost {
  interfaceExists(name: string): boolean;
  isTunTap(name: string): boolean;
  removeAddresses(name: string, cidrs: readonly string[], timeoutMs: number): Promise<void>;
}

const HOST: DownHost = { interfaceExists, isTunTap, removeAddresses };

/**
 * Never fails and never takes more than DOWN_BUDGET_MS: QEMU waits for it. Acts only on a tun/tap
 * device or on one already gone (issue 13: `down eth0` removed the uplink's address): any other
 * interface is refused with one line, untouched, and the exit is still 0 (SPEC §6).
 */
export async function hookDown(ctx: HookContext, io: HookIo, host: DownHost = HOST): Promise<number> {
  if (host.interfaceExists(ctx.ifname) && !host.isTunTap(ctx.ifname)) {
    io.err(`riplet hook down ${ctx.ifname}: not a tun/tap device; the hook only acts on VM taps`);
    return EXIT_OK;
  }
  const deadline = Date.now() + DOWN_BUDGET_MS - 100;
  const left = () => Math.max(50, deadline - Date.now());
  const say = (message: string) => io.err(`riplet hook down ${ctx.ifname}: ${message}`);
  const work = (async () => {
    let addresses: TapAddress[] = [];
    try {
      addresses = await tapAddresses(ctx);
    } catch (error) {
      say((error as Error).message);
    }
    const cidrs = addresses.map((a) => a.cidr);
    // The daemon's hook op withdraws, stops the tap's DHCP/RA server and removes the addresses.
    try {
      const request = { id: 1, op: "hook", action: "down", ifname: ctx.ifname, addresses: cidrs } as const;
      const reply = await callDaemon(ctx.socket, request, Math.min(1200, left()));
      if (reply.ok) return;
      if (reply.error.code !== "UNKNOWN_OP") say(reply.error.message);
      else await callDaemon(ctx.socket, { id: 2, op: "withdraw", owner: ctx.ifname }, Math.min(1200, left()));
    } catch (error) {
      say(`${(error as Error).message} (the daemon withdraws owned routes itself when the tap goes)`);
    }
    await host.removeAddresses(ctx.ifname, cidrs, left()).catch((error: Error) => say(error.message));
  })();
  await Promise.race([work, new Promise((r) => setTimeout(r, left()).unref())]);
  return EXIT_OK;
}
