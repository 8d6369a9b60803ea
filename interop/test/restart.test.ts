/**
 * Restarts. riplet SIGKILLed and started again at once with HMAC-SHA256: BIRD must still accept it
 * (crypto sequence numbers never go backwards). A gateway restarted: our routes are back in its kernel
 * well before our next periodic update, because riplet answers the gateway's whole-table Request.
 */
import { afterEach, expect, it } from "vitest";
import {
  birdLog,
  createPairLab,
  type GatewayKind,
  HOST_IF,
  interopDescribe,
  kernelHasAll,
  kernelHasNone,
  type PairLab,
  startGateway,
  startRun,
  timeEach,
  waitFor,
} from "../lab/index.js";

const V4 = "198.51.100.0/24";
const V6 = "2001:db8:42::/48";
const EXTRA = "198.18.42.0/24";

interopDescribe("restarts", () => {
  let pair: PairLab | undefined;
  afterEach(async () => {
    await pair?.lab.destroy();
    pair = undefined;
  });

  it("BIRD (hmac-sha256) accepts riplet run SIGKILLed and started again at once", async () => {
    pair = await createPairLab("restart-riplet");
    const { lab, host } = pair;
    const rip = { auth: "hmac-sha256" as const, keyId: 3, secret: "s3cret-256" };
    const gw = await startGateway("bird", lab, pair.gw, { bird: { rip, ripng: false } });
    const auth = ["--auth", "hmac-sha256", "--key", "3:s3cret-256"];
    const first = await startRun(lab, host.ns, [V4], HOST_IF, auth);
    await waitFor(() => kernelHasAll(lab, pair!.gw.ns, [V4]), { timeoutMs: 10_000, what: `${V4} on BIRD` });
    first.signal("SIGKILL");
    await first.exited;
    const logBefore = birdLog(gw.bird!).length;

    // the restarted speaker announces one more prefix: it reaching the kernel proves BIRD accepted it
    const second = await startRun(lab, host.ns, [V4, EXTRA], HOST_IF, auth);
    const ms = await waitFor(() => kernelHasAll(lab, pair!.gw.ns, [V4, EXTRA], { [EXTRA]: host.v4 }), {
      timeoutMs: 10_000,
      what: `${EXTRA} from the restarted riplet on BIRD`,
    });
    console.log(
      JSON.stringify({ test: "riplet-restart", gateway: "bird", auth: "hmac-sha256", acceptedAfterMs: ms }),
    );
    const newLog = birdLog(gw.bird!).slice(logBefore);
    expect(newLog).not.toMatch(/Authentication failed|sequence/i);
    second.signal("SIGTERM");
    await second.exited;
    await waitFor(() => kernelHasNone(lab, pair!.gw.ns, [V4, EXTRA]), {
      timeoutMs: 5000,
      what: "withdrawal",
    });
  });

  for (const kind of ["frr", "bird"] as GatewayKind[]) {
    it(`${kind} restarted relearns our routes at once (riplet answers its Request)`, async () => {
      pair = await createPairLab(`restart-${kind}`);
      const { lab, host } = pair;
      const gw = await startGateway(kind, lab, pair.gw);
      const run = await startRun(lab, host.ns, [V4, V6], HOST_IF);
      const learned = () => kernelHasAll(lab, pair!.gw.ns, [V4, V6], { [V4]: host.v4, [V6]: host.linkLocal });
      await waitFor(learned, { timeoutMs: 10_000, what: "routes on the gateway" });

      // FRR: ripd/ripngd killed outright (zebra drops their routes); BIRD: stopped (it flushes the kernel)
      await gw.stopRip(kind === "frr" ? "SIGKILL" : "SIGTERM");
      await waitFor(() => kernelHasNone(lab, pair!.gw.ns, [V4, V6]), {
        timeoutMs: 10_000,
        what: "routes flushed",
      });

      const t0 = performance.now();
      await gw.startRip();
      const present = (p: string) => () => kernelHasAll(lab, pair!.gw.ns, [p]);
      const back = await timeEach({ ipv4: present(V4), ipv6: present(V6) }, { timeoutMs: 20_000, start: t0 });
      console.log(JSON.stringify({ test: "gateway-restart", gateway: kind, relearnedMs: back }));
      expect(await learned()).toBe(true);
      // riplet's periodic update is 25-35 s away: only the answer to the Request is this quick
      expect(Math.max(back.ipv4!, back.ipv6!)).toBeLessThan(5000);
      expect(run.running).toBe(true);
    });
  }
});
