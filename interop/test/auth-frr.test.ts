/** Auth matrix against FRR ripd: none, text, keyed MD5 with both auth-length forms on each side. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, it } from "vitest";
import {
  createPairLab,
  frrRipPeers,
  type Gateway,
  interopDescribe,
  type PairLab,
  type RipdOptions,
  startGateway,
} from "../lab/index.js";
import { checkAuthCase } from "./auth-case.js";

interface FrrCase {
  name: string;
  ripd: RipdOptions;
  right: string[];
  wrong: string[];
}

const CASES: FrrCase[] = [
  // without auth the only way to be rejected is to carry auth FRR does not expect
  { name: "none", ripd: { auth: "none" }, right: [], wrong: ["--auth", "simple", "--key", "unexpected"] },
  {
    name: "text",
    ripd: { auth: "text", secret: "s3cret-text" },
    right: ["--auth", "simple", "--key", "s3cret-text"],
    wrong: ["--auth", "simple", "--key", "not-it"],
  },
  ...(["rfc", "old-ripd"] as const).flatMap((authLength) =>
    (["16", "20"] as const).map((ours) => ({
      name: `md5 auth-length ${authLength}, riplet --md5-auth-length ${ours}`,
      ripd: { auth: "md5" as const, authLength, keyId: 5, secret: "s3cret-md5" },
      right: ["--auth", "md5", "--key", "5:s3cret-md5", "--md5-auth-length", ours],
      wrong: ["--auth", "md5", "--key", "5:wrong-md5", "--md5-auth-length", ours],
    })),
  ),
];

interopDescribe("auth matrix: riplet run → FRR ripd", () => {
  let pair: PairLab | undefined;
  afterEach(async () => {
    await pair?.lab.destroy();
    pair = undefined;
  });

  for (const c of CASES) {
    it(`${c.name}: accepted with the right key, rejected and counted with a wrong one`, async () => {
      pair = await createPairLab(`auth-frr`);
      const gw: Gateway = await startGateway("frr", pair.lab, pair.gw, {
        frr: { ripd: { ...c.ripd, poisonedReverse: true }, ripngd: false },
      });
      const host = pair.host.v4;
      const failures = async () =>
        (await frrRipPeers(gw.frr!)).find((p) => p.address === host)?.badPackets ?? 0;
      await checkAuthCase({ pair, gw, right: c.right, wrong: c.wrong, failures });
      const log = readFileSync(join(gw.frr!.dir, "ripd.log"), "utf8").split("\n");
      const rejected = log.find((l) => /authentication|auth/i.test(l) && /fail|mismatch|not|bad/i.test(l));
      console.log(
        JSON.stringify({ gateway: "frr", case: c.name, rejected: rejected?.replace(/^.*?RIP: /, "") }),
      );
    });
  }
});
