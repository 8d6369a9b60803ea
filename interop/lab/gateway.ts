/** FRR and BIRD behind one face, for the tests that ask both the same question. */
import { type Bird, type BirdOptions, birdRoutes, startBird } from "./bird.js";
import { type Frr, type FrrOptions, frrRipRoutes, startFrr } from "./frr.js";
import { type Family, multicastGroups } from "./kernel.js";
import type { Lab } from "./lab.js";
import type { LabNode } from "./topology.js";
import { waitFor } from "./wait.js";

export type GatewayKind = "frr" | "bird";

export interface PeerRoute {
  prefix: string;
  nextHop: string;
}

export interface Gateway {
  kind: GatewayKind;
  node: LabNode;
  frr?: Frr;
  bird?: Bird;
  /** The RIP/RIPng routes as the daemon itself lists them. */
  peerRoutes(family: Family): Promise<PeerRoute[]>;
  /** Kills the RIP speaking daemon(s) (ripd+ripngd, or bird) with `signal` and waits for the exit. */
  stopRip(signal?: NodeJS.Signals): Promise<void>;
  /** Starts them again. */
  startRip(): Promise<void>;
}

export interface GatewayOptions {
  /** Extra FRR options (auth, timers); ifname is filled in. */
  frr?: Partial<FrrOptions>;
  /** Extra BIRD options (auth, update time); ifname and router id are filled in. */
  bird?: Partial<BirdOptions>;
}

/**
 * Waits until the RIP daemons have joined 224.0.0.9 / ff02::9 on the link: before that an update sent
 * to the group is lost, so a test starting riplet earlier would depend on the gateway's Request.
 */
export async function waitForGroups(lab: Lab, node: LabNode, groups: string[]): Promise<void> {
  await waitFor(
    async () => {
      const joined = await multicastGroups(lab, node.ns, node.ifname);
      return groups.every((g) => joined.includes(g));
    },
    { timeoutMs: 15_000, what: `${groups.join(" and ")} joined on ${node.ns}/${node.ifname}` },
  );
}

export async function startGateway(
  kind: GatewayKind,
  lab: Lab,
  node: LabNode,
  options: GatewayOptions = {},
): Promise<Gateway> {
  if (kind === "frr") {
    const frr = await startFrr(lab, node.ns, {
      ripd: true,
      ripngd: true,
      ...options.frr,
      ifname: node.ifname,
    });
    const rips = [...frr.daemons.keys()].filter((d) => d.startsWith("rip"));
    const groups = rips.map((d) => (d === "ripd" ? "224.0.0.9" : "ff02::9"));
    await waitForGroups(lab, node, groups);
    return {
      kind,
      node,
      frr,
      peerRoutes: async (family) =>
        (await frrRipRoutes(frr, family))
          .filter((r) => r.code === "R(n)" && r.metric < 16)
          .map((r) => ({ prefix: r.prefix, nextHop: r.nextHop })),
      stopRip: async (signal) => {
        for (const d of rips) await frr.stop(d, signal);
      },
      startRip: async () => {
        for (const d of rips) await frr.start(d);
        await waitForGroups(lab, node, groups);
      },
    };
  }
  const birdOptions = { rip: true, ripng: true, ...options.bird, ifname: node.ifname, routerId: node.v4 };
  const bird = await startBird(lab, node.ns, birdOptions);
  const groups = [...(birdOptions.rip ? ["224.0.0.9"] : []), ...(birdOptions.ripng ? ["ff02::9"] : [])];
  await waitForGroups(lab, node, groups);
  return {
    kind,
    node,
    bird,
    peerRoutes: async (family) =>
      (await birdRoutes(bird, family)).map((r) => ({ prefix: r.prefix, nextHop: r.nextHop ?? "" })),
    stopRip: (signal) => bird.stop(signal),
    startRip: async () => {
      await bird.start();
      await waitForGroups(lab, node, groups);
    },
  };
}
