/**
 * The two lab shapes the suite uses, addressed from 192.0.2.0/24 and 2001:db8:1::/64:
 *   pair:    host (vhost 192.0.2.2) ── veth ── gw (vgw 192.0.2.1)
 *   segment: host (.2), frr (.1) and bird (.3), each a veth into a bridge in namespace `sw`
 */
import { createLab, type Lab } from "./lab.js";

export interface LabNode {
  ns: string;
  ifname: string;
  v4: string;
  v6: string;
  linkLocal: string;
}

export const HOST_IF = "vhost";
export const GW_IF = "vgw";

function node(lab: Lab, role: string, ifname: string, host: number): LabNode {
  return { ns: lab.ns(role), ifname, v4: `192.0.2.${host}`, v6: `2001:db8:1::${host}`, linkLocal: "" };
}

function addresses(n: LabNode): string[] {
  return [`${n.v4}/24`, `${n.v6}/64`];
}

export interface PairLab {
  lab: Lab;
  host: LabNode;
  gw: LabNode;
}

/** host ↔ gw over one veth pair; returns once IPv6 DAD is done on both ends. */
export async function createPairLab(name: string): Promise<PairLab> {
  const lab = createLab({ name });
  try {
    const host = node(lab, "host", HOST_IF, 2);
    const gw = node(lab, "gw", GW_IF, 1);
    await lab.addNamespace("host");
    await lab.addNamespace("gw", { forwarding: true });
    await lab.veth(
      { ns: host.ns, ifname: host.ifname, addresses: addresses(host) },
      { ns: gw.ns, ifname: gw.ifname, addresses: addresses(gw) },
    );
    host.linkLocal = await lab.settle(host.ns, host.ifname);
    gw.linkLocal = await lab.settle(gw.ns, gw.ifname);
    return { lab, host, gw };
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}

export interface SegmentLab {
  lab: Lab;
  host: LabNode;
  frr: LabNode;
  bird: LabNode;
}

/** host, frr and bird on one Ethernet segment (a bridge in namespace `sw`). */
export async function createSegmentLab(name: string): Promise<SegmentLab> {
  const lab = createLab({ name });
  try {
    const sw = await lab.addNamespace("sw");
    const host = node(lab, "host", HOST_IF, 2);
    const frr = node(lab, "frr", GW_IF, 1);
    const bird = node(lab, "bird", GW_IF, 3);
    const ports: string[] = [];
    for (const [role, n] of [
      ["host", host],
      ["frr", frr],
      ["bird", bird],
    ] as const) {
      await lab.addNamespace(role, { forwarding: role !== "host" });
      await lab.veth({ ns: n.ns, ifname: n.ifname, addresses: addresses(n) }, { ns: sw, ifname: `p${role}` });
      ports.push(`p${role}`);
    }
    await lab.bridge(sw, "br0", ports);
    for (const n of [host, frr, bird]) n.linkLocal = await lab.settle(n.ns, n.ifname);
    return { lab, host, frr, bird };
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}
