/** Auth matrix against BIRD 2 RIP: none, plaintext, keyed MD5, HMAC-SHA1/256/384/512 (RFC 4822). */
import { afterEach, it } from "vitest";
import {
  type BirdAuth,
  birdLog,
  createPairLab,
  type Gateway,
  interopDescribe,
  type PairLab,
  startGateway,
} from "../lab/index.js";
import { checkAuthCase } from "./auth-case.js";

interface BirdCase {
  auth: BirdAuth;
  keyId?: number;
  secret?: string;
  right: string[];
  wrong: string[];
}

const crypto = (auth: BirdAuth, keyId: number): BirdCase => ({
  auth,
  keyId,
  secret: `s3cret-${auth}`,
  right: ["--auth", auth, "--key", `${keyId}:s3cret-${auth}`],
  wrong: ["--auth", auth, "--key", `${keyId}:wrong-${auth}`],
});

const CASES: BirdCase[] = [
  { auth: "none", right: [], wrong: ["--auth", "simple", "--key", "unexpected"] },
  {
    auth: "plaintext",
    secret: "s3cret-plain",
    right: ["--auth", "simple", "--key", "s3cret-plain"],
    wrong: ["--auth", "simple", "--key", "not-it"],
  },
  crypto("md5", 2),
  crypto("hmac-sha1", 1),
  crypto("hmac-sha256", 3),
  crypto("hmac-sha384", 38),
  crypto("hmac-sha512", 255),
];

/** BIRD logs every rejected packet (category auth): "<proto>: Authentication failed for <addr> …". */
const AUTH_FAILED = /Authentication failed/;

interopDescribe("auth matrix: riplet run → BIRD rip", () => {
  let pair: PairLab | undefined;
  afterEach(async () => {
    await pair?.lab.destroy();
    pair = undefined;
  });

  for (const c of CASES) {
    it(`${c.auth}: accepted with the right key, rejected and logged with a wrong one`, async () => {
      pair = await createPairLab("auth-bird");
      const rip = {
        auth: c.auth,
        ...(c.keyId ? { keyId: c.keyId } : {}),
        ...(c.secret ? { secret: c.secret } : {}),
      };
      const gw: Gateway = await startGateway("bird", pair.lab, pair.gw, { bird: { rip, ripng: false } });
      const failures = async () =>
        birdLog(gw.bird!)
          .split("\n")
          .filter((l) => AUTH_FAILED.test(l)).length;
      try {
        await checkAuthCase({ pair, gw, right: c.right, wrong: c.wrong, failures });
        const lines = birdLog(gw.bird!).split("\n");
        console.log(
          JSON.stringify({ gateway: "bird", auth: c.auth, rejected: lines.find((l) => AUTH_FAILED.test(l)) }),
        );
      } catch (error) {
        console.log(birdLog(gw.bird!));
        throw error;
      }
    });
  }
});
