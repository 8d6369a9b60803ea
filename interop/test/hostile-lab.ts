/**
 * The hostile suites' segment: riplet's daemon on host (keyed MD5 on IPv4 unless asked otherwise, our two
 * routes, a 2 s update interval), FRR (ripd with keyed MD5, ripngd) as the gateway, and the attacker
 * where BIRD would be.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuthKey } from "../../src/wire/auth.js";
import {
  type Child,
  createSegmentLab,
  type Gateway,
  HOST_IF,
  kernelHasAll,
  type LabNode,
  type SegmentLab,
  startDaemon,
  startGateway,
  waitFor,
} from "../lab/index.js";

/** Our routes: riplet announces both to the gateway. */
export const V4 = "198.51.100.0/24";
export const V6 = "2001:db8:42::/64";
/** riplet's update interval in the flood lab: the flood must not starve the periodic updates. */
export const UPDATE_S = 2;
/** FRR uses only the first 15 characters of an MD5 key: 15 it is. */
export const MD5_KEY: Required<AuthKey> = { id: 1, secret: Buffer.from("hostile-md5-k15"), algorithm: "md5" };

/** The segment, the attacker's node on it, and riplet's daemon with its control socket. */
export interface HostileLab {
  seg: SegmentLab;
  attacker: LabNode;
  socket: string;
  daemon: Child;
  /** The state file's path. */
  state: string;
  /** FRR, unless the link's auth is one FRR does not speak. */
  gateway?: Gateway;
}

/** What a hostile lab varies: the link's auth, more routes to hold, the timers, a state file to start from. */
export interface HostileOptions {
  /** riplet's IPv4 auth on the link (md5 by default). FRR speaks md5 and none; with hmac-sha256 no gateway runs. */
  auth?: "md5" | "hmac-sha256" | "none";
  /** Prefixes announced from the config besides V4 and V6. */
  routes?: string[];
  /** riplet's update interval (UPDATE_S by default). */
  updateS?: number;
  /** Written as the state file before the daemon starts. */
  state?: unknown;
}

const HMAC_KEY = { id: 3, secret: "hostile-hmac-s3cret" };

function authText(auth: NonNullable<HostileOptions["auth"]>): string {
  if (auth === "md5")
    return `{ mode: md5, keys: [{ id: ${MD5_KEY.id}, secret: ${MD5_KEY.secret.toString()} }] }`;
  return `{ mode: hmac-sha256, keys: [{ id: ${HMAC_KEY.id}, secret: ${HMAC_KEY.secret} }] }`;
}

/** The segment lab `name`, with our routes already in FRR's kernel table via the host (when FRR runs). */
export async function hostileLab(name: string, options: HostileOptions = {}): Promise<HostileLab> {
  const auth = options.auth ?? "md5";
  const seg = await createSegmentLab(name);
  const { lab, host } = seg;
  let gateway: Gateway | undefined;
  if (auth === "md5") {
    const secret = MD5_KEY.secret.toString();
    gateway = await startGateway("frr", lab, seg.frr, {
      frr: { ripd: { auth: "md5", authLength: "rfc", keyId: MD5_KEY.id, secret } },
    });
  } else if (auth === "none") {
    gateway = await startGateway("frr", lab, seg.frr);
  }
  const socket = join(lab.dir, "riplet.sock");
  const config = join(lab.dir, "riplet.yaml");
  const state = join(lab.dir, "state.json");
  if (options.state !== undefined) writeFileSync(state, JSON.stringify(options.state));
  const ipv4 = auth === "none" ? "true" : `{ auth: ${authText(auth)} }`;
  const routes = [V4, V6, ...(options.routes ?? [])].map((p) => `  - { prefix: ${p} }`);
  writeFileSync(
    config,
    [
      `interfaces: [{ name: ${HOST_IF}, ipv4: ${ipv4} }]`,
      "routes:",
      ...routes,
      `timers: { update: ${options.updateS ?? UPDATE_S} }`,
      `control: { socket: ${socket} }`,
      `state: ${state}`,
      "",
    ].join("\n"),
  );
  // Off-link sources must reach riplet, which has to drop them itself (RFC 2453 §3.9.2).
  await lab.exec(host.ns, [
    "sysctl",
    "-qw",
    "net.ipv4.conf.all.rp_filter=0",
    `net.ipv4.conf.${HOST_IF}.rp_filter=0`,
  ]);
  const daemon = await startDaemon(lab, host.ns, socket, config);
  if (auth !== "hmac-sha256") {
    await waitFor(() => kernelHasAll(lab, seg.frr.ns, [V4, V6], { [V4]: host.v4, [V6]: host.linkLocal }), {
      timeoutMs: 30_000,
      what: "our routes in FRR's kernel table",
    });
  }
  return { seg, attacker: seg.bird, socket, daemon, state, ...(gateway ? { gateway } : {}) };
}
