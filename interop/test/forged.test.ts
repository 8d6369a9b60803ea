/**
 * Hostile input (issue 7), against a real FRR gateway (keyed MD5): forged neighbours (an off-link
 * source, a source port other than 520, a global RIPng source) are dropped with their reason and none
 * of their routes is learned, while the real gateway is heard with its routes.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import * as ripng from "../../src/wire/ripng.js";
import {
  hex,
  interopDescribe,
  runSender,
  type SendPlan,
  v4Entry,
  v4Response,
  v6Entry,
  waitFor,
} from "../lab/index.js";
import { neighbor, status, sum } from "./hostile-daemon.js";
import { type HostileLab, hostileLab, MD5_KEY } from "./hostile-lab.js";

/** A burst of validly signed packets whose only fault is their source (the host's view of it). */
function forgedPlan({ seg, attacker }: HostileLab, offLink: string): SendPlan {
  const { host } = seg;
  // validly signed: only the source can be held against them
  const forgedV4 = v4Response([v4Entry("198.18.200.0/24", 1)], {
    key: MD5_KEY,
    sequence: Math.floor(Date.now() / 1000),
  });
  const forgedV6 = ripng.encode({
    command: "response",
    version: 1,
    entries: [v6Entry("2001:db8:bad::/48", 1)],
  });
  const v4To = [host.v4, "224.0.0.9"];
  return {
    mode: "burst",
    ifname: attacker.ifname,
    count: 3,
    items: [
      // first: from the on-link address, which also settles ARP for the off-link one
      {
        kind: "bad-port",
        family: "ipv4",
        from: attacker.v4,
        fromPort: 5520,
        to: v4To,
        toPort: 520,
        payloads: [hex(forgedV4)],
      },
      {
        kind: "off-link",
        family: "ipv4",
        from: offLink,
        fromPort: 520,
        to: v4To,
        toPort: 520,
        payloads: [hex(forgedV4)],
      },
      {
        kind: "global-source",
        family: "ipv6",
        from: attacker.v6,
        fromPort: 521,
        to: [`ff02::9%${attacker.ifname}`, `${host.linkLocal}%${attacker.ifname}`, host.v6],
        toPort: 521,
        payloads: [hex(forgedV6)],
      },
    ],
  };
}

interopDescribe("hostile input: forged neighbours (FRR, keyed MD5)", () => {
  let h: HostileLab;
  beforeAll(async () => {
    h = await hostileLab("hostile-forged");
  });
  afterAll(() => h?.seg.lab.destroy());

  it("drops an off-link source, a port other than 520 and a global RIPng source, and learns nothing from them", async () => {
    const { seg, attacker, socket } = h;
    const { lab, host } = seg;
    const offLink = "203.0.113.3";
    await lab.exec(attacker.ns, ["ip", "addr", "add", `${offLink}/24`, "dev", attacker.ifname]);
    const plan = forgedPlan(h, offLink);
    const result = await runSender(lab, attacker.ns, plan);
    expect(result.failed).toEqual({});
    const expected = [
      { address: attacker.v4, family: "ipv4", drops: { BAD_PORT: result.sent["bad-port"] } },
      { address: offLink, family: "ipv4", drops: { NOT_ON_LINK: result.sent["off-link"] } },
      { address: attacker.v6, family: "ipv6", drops: { NOT_LINK_LOCAL: result.sent["global-source"] } },
    ] as const;
    let s = await status(lab, host.ns, socket);
    await waitFor(
      async () => {
        s = await status(lab, host.ns, socket);
        return expected.every((e) => neighbor(s, e.address, e.family)?.badPackets === sum(e.drops));
      },
      { timeoutMs: 5000, what: "every forged packet counted" },
    ).catch(() => {}); // the assertions below say what is missing
    console.log(JSON.stringify({ test: "hostile-forged", sent: result.sent, neighbors: s.neighbors }));
    for (const e of expected) {
      const n = neighbor(s, e.address, e.family);
      expect(n, `${e.address} in status`).toBeDefined();
      expect({ address: n!.address, drops: n!.drops }).toEqual({ address: e.address, drops: e.drops });
      expect({ routes: n!.routes, lastHeard: n!.lastHeard }).toEqual({ routes: 0, lastHeard: null });
    }
    // the real gateway is there, heard, with its routes
    expect(neighbor(s, seg.frr.v4, "ipv4")).toMatchObject({ badPackets: 0 });
    expect(neighbor(s, seg.frr.v4, "ipv4")!.routes).toBeGreaterThan(0);
  });
});
