/**
 * BIRD's `ttl security on` (GTSM, RFC 5082) accepts only packets sent with hop limit 255: riplet sends
 * RIPng that way to ff02::9 (SPEC §5), so a BIRD hardened like this still learns our IPv6 prefix.
 */
import { afterAll, expect, it } from "vitest";
import {
  birdLog,
  createPairLab,
  HOST_IF,
  interopDescribe,
  kernelRoute,
  type PairLab,
  startGateway,
  startRun,
  stopRun,
  waitFor,
} from "../lab/index.js";

const V6 = "2001:db8:42::/48";

interopDescribe("BIRD RIPng with ttl security", () => {
  let pair: PairLab | undefined;
  afterAll(() => pair?.lab.destroy());

  it("learns and drops riplet's IPv6 prefix (hop limit 255)", async () => {
    pair = await createPairLab("bird-ttl");
    const { lab, host } = pair;
    const gw = await startGateway("bird", lab, pair.gw, {
      bird: { rip: false, ripng: { ttlSecurity: true } },
    });
    const run = await startRun(lab, host.ns, [V6], HOST_IF);
    await waitFor(async () => (await kernelRoute(lab, pair!.gw.ns, V6)) !== undefined, {
      timeoutMs: 10_000,
      what: `${V6} on BIRD with ttl security`,
    });
    expect(await kernelRoute(lab, pair.gw.ns, V6)).toMatchObject({ gateway: host.linkLocal });
    await stopRun(run);
    await waitFor(async () => (await kernelRoute(lab, pair!.gw.ns, V6)) === undefined, {
      timeoutMs: 5000,
      what: `${V6} withdrawn`,
    });
    expect(birdLog(gw.bird!)).not.toMatch(/TTL|hop limit/i);
  });
});
