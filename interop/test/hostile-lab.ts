/**
 * The hostile suites' segment: riplet's daemon on host (keyed MD5 on IPv4, our two routes, a 2 s update
 * interval), FRR (ripd with keyed MD5, ripngd) as the gateway, and the attacker where BIRD would be.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuthKey } from "../../src/wire/auth.js";
import {
  type Child,
  createSegmentLab,
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
}

/** The segment lab `name`, with our routes already in FRR's kernel table via the host. */
export async function hostileLab(name: string): Promise<HostileLab> {
  const seg = await createSegmentLab(name);
  const { lab, host } = seg;
  const secret = MD5_KEY.secret.toString();
  await startGateway("frr", lab, seg.frr, {
    frr: { ripd: { auth: "md5", authLength: "rfc", keyId: MD5_KEY.id, secret } },
  });
  const socket = join(lab.dir, "riplet.sock");
  const config = join(lab.dir, "riplet.yaml");
  const auth = `{ mode: md5, keys: [{ id: ${MD5_KEY.id}, secret: ${secret} }] }`;
  writeFileSync(
    config,
    [
      `interfaces: [{ name: ${HOST_IF}, ipv4: { auth: ${auth} } }]`,
      `routes: [{ prefix: ${V4} }, { prefix: ${V6} }]`,
      `timers: { update: ${UPDATE_S} }`,
      `control: { socket: ${socket} }`,
      `state: ${join(lab.dir, "state.json")}`,
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
  await waitFor(() => kernelHasAll(lab, seg.frr.ns, [V4, V6], { [V4]: host.v4, [V6]: host.linkLocal }), {
    timeoutMs: 15_000,
    what: "our routes in FRR's kernel table",
  });
  return { seg, attacker: seg.bird, socket, daemon };
}
