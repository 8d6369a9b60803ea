/**
 * The control socket's `hook` op: what hooks/qemu-ifup and -ifdown ask of a running daemon, so a VM's
 * start pays for one Unix-socket round trip and one `ip -batch` fork instead of a Node.js start-up
 * (about 130 ms here). The Node.js hook (host/hook.ts) still does the same by itself when no daemon
 * runs, and then starts one.
 * up: the addresses (from the request, else taps.<ifname>.addresses) must give networks the policy
 * admits, then the networks are announced with owner = the tap, then (the update sent) the tap is
 * configured and its guests' DHCP/RA started.
 * down: the tap's routes are withdrawn, then its addresses removed; never an error for a tap gone.
 * Both act only on tun/tap devices (issue 13: `down eth0` removed the uplink's own address): an
 * interface that exists and is not a tap is refused untouched; one already gone is only withdrawn.
 */
import { errorReply, type Reply, type Request, type RouteIn } from "../control/protocol.js";
import { GuestPlanError, type GuestSettings } from "../guests/plan.js";
import { GuestServerError } from "../guests/process.js";
import { AddressError, parseTapAddress, type TapAddress } from "../host/addresses.js";
import * as hostTap from "../host/tap.js";
import { HostError } from "../host/tap.js";
import type { RouteSpec } from "../speaker/table.js";
import type { DaemonConfig } from "./config.js";

export type HookRequest = Extract<Request, { op: "hook" }>;

/** The host plumbing the op uses; tests pass fakes. */
export type TapOps = Pick<
  typeof hostTap,
  "configureTap" | "enableForwarding" | "interfaceExists" | "isTunTap" | "removeAddresses"
>;

export interface HookOpContext {
  // announce and withdrawOwner persist and send; they are the daemon's own handlers.
  config: DaemonConfig;
  /** The routes as the policy admits them, or the refusal to send back. */
  admit(id: Request["id"], routes: RouteIn[]): RouteSpec[] | Reply;
  announce(id: Request["id"], specs: RouteSpec[]): Promise<Reply>;
  withdrawOwner(id: Request["id"], owner: string): Promise<Reply>;
  /** Resolves once the triggered update of what was just announced has been handed to the kernel. */
  afterSend?(): Promise<void>;
  tap?: TapOps;
  /** The taps' DHCP/RA servers (guests/servers.ts). */
  guests: GuestOps;
}

/** What the op asks of the guest servers; tests pass fakes. */
export interface GuestOps {
  /** Throws what up() would refuse (no dnsmasq, no address to lease), before anything is touched. */
  check(ifname: string, addresses: TapAddress[], settings: GuestSettings): void;
  up(ifname: string, addresses: TapAddress[], settings: GuestSettings): Promise<void>;
  down(ifname: string): Promise<void>;
}

/** RIPLET_DHCP/RIPLET_RA (in the request) over taps.<ifname>, over the daemon-wide guests. */
function guestSettings(request: HookRequest, config: DaemonConfig): GuestSettings {
  const tap = config.taps[request.ifname];
  return {
    dhcp: request.dhcp ?? tap?.dhcp ?? config.guests.dhcp,
    ra: request.ra ?? tap?.ra ?? config.guests.ra,
    dns: config.guests.dns,
  };
}

function tapAddresses(request: HookRequest, config: DaemonConfig): TapAddress[] {
  const given = request.addresses ?? config.taps[request.ifname]?.addresses ?? [];
  return given.map(parseTapAddress);
}

async function hookUp(request: HookRequest, ctx: HookOpContext, tap: TapOps): Promise<Reply> {
  const { id, ifname } = request;
  const addresses = tapAddresses(request, ctx.config);
  if (addresses.length === 0) {
    return errorReply(
      id,
      "BAD_REQUEST",
      `no addresses: set RIPLET_ADDRESSES=198.51.100.1/24 or taps.${ifname}.addresses in the daemon's config`,
    );
  }
  if (!tap.isTunTap(ifname)) return notATap(id, ifname, "configures");
  // Admitted before the tap is touched: a refused network must leave no address behind.
  const specs = ctx.admit(
    id,
    addresses.map((a) => ({ prefix: a.network, owner: ifname })),
  );
  if (!Array.isArray(specs)) return specs;
  const settings = guestSettings(request, ctx.config);
  if (settings.dhcp || settings.ra) ctx.guests.check(ifname, addresses, settings);
  // The announcement goes first and the tap is configured once its update has left (issue 15): the
  // `ip` fork blocks this process's event loop for ~5 ms (libuv forks a copy of the daemon's memory
  // map), and the datagram is what the gateway waits for. QEMU runs this hook before the guest starts,
  // so nothing can use the route before the addresses are on and the reply goes. If the tap cannot be
  // configured, the announcement is taken back and the hook fails.
  const replied = ctx.announce(id, specs);
  replied.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  try {
    await ctx.afterSend?.();
    await tap.configureTap(
      ifname,
      addresses.map((a) => a.cidr),
    );
    tap.enableForwarding({
      ipv4: addresses.some((a) => a.family === "ipv4"),
      ipv6: addresses.some((a) => a.family === "ipv6"),
    });
    // dnsmasq binds to the tap's addresses, so it starts once they are on. The reply waits for it:
    // QEMU starts the guest only after this script, and its first DHCPDISCOVER must find a server.
    if (settings.dhcp || settings.ra) await ctx.guests.up(ifname, addresses, settings);
    else await ctx.guests.down(ifname); // a previous run of this tap may have served it
  } catch (error) {
    await replied;
    await ctx.withdrawOwner(id, ifname);
    throw error;
  }
  return replied;
}

function notATap(id: Request["id"], ifname: string, what: string): Reply {
  return errorReply(id, "BAD_REQUEST", `${ifname} is not a tun/tap device; the hook only ${what} VM taps`);
}

async function hookDown(request: HookRequest, ctx: HookOpContext, tap: TapOps): Promise<Reply> {
  const { id, ifname } = request;
  const exists = tap.interfaceExists(ifname);
  if (exists && !tap.isTunTap(ifname)) return notATap(id, ifname, "acts on");
  const replied = ctx.withdrawOwner(id, ifname);
  const guestsDown = ctx.guests.down(ifname);
  let cidrs: string[];
  try {
    cidrs = tapAddresses(request, ctx.config).map((a) => a.cidr);
  } catch (error) {
    await replied; // withdrawn all the same; the refusal names the bad address
    throw error;
  }
  // A tap already gone took its addresses with it; there is nothing left to remove.
  if (exists) {
    await ctx.afterSend?.(); // the withdrawal leaves before the fork, as the announcement does on up
    await tap.removeAddresses(ifname, cidrs, 1000);
  }
  await guestsDown;
  return replied;
}

export async function handleHook(request: HookRequest, ctx: HookOpContext): Promise<Reply> {
  try {
    const tap = ctx.tap ?? hostTap;
    return await (request.action === "up" ? hookUp(request, ctx, tap) : hookDown(request, ctx, tap));
  } catch (error) {
    if (error instanceof AddressError) return errorReply(request.id, "BAD_REQUEST", error.message);
    if (error instanceof HostError) return errorReply(request.id, "HOST_ERROR", error.message);
    if (error instanceof GuestPlanError || error instanceof GuestServerError)
      return errorReply(request.id, "HOST_ERROR", `guest addressing: ${error.message}`);
    throw error;
  }
}
