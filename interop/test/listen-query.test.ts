/**
 * `riplet listen` decodes everything FRR and BIRD send (start-up Requests, triggered and periodic
 * Responses, with and without crypto auth) with zero `error` objects; `riplet query` gets each
 * gateway's table over IPv4 and over IPv6 link-local. The gateways run short update timers so traffic
 * flows, and each has static routes of its own (203.0.113.0/24, 2001:db8:ff::/48) redistributed into RIP.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  BIRD_STATICS,
  type Child,
  createPairLab,
  execRiplet,
  FRR_STATICS,
  type GatewayKind,
  type GatewayOptions,
  HOST_IF,
  interopDescribe,
  jsonLines,
  multicastGroups,
  type PairLab,
  spawnRiplet,
  startGateway,
  waitFor,
} from "../lab/index.js";

interface Variant {
  kind: GatewayKind;
  name: string;
  options: GatewayOptions;
  /** `--key` for listen and query; `--auth` for query (the gateway only answers signed Requests). */
  key?: string;
  auth?: string;
  /** FRR 8.4 with auth answers no whole-table Request at all (see the test). */
  unanswerableV4?: boolean;
}

/** Live packets name a link-local source with its zone (`fe80::1%vhost`); compare without it. */
const bare = (address: unknown) => String(address).replace(/%.*$/, "");

const VARIANTS: Variant[] = [
  { kind: "frr", name: "no auth", options: { frr: { timers: { update: 5, timeout: 180, garbage: 120 } } } },
  {
    kind: "frr",
    name: "md5 (auth-length rfc)",
    options: {
      frr: {
        ripd: { auth: "md5", authLength: "rfc", keyId: 7, secret: "s3cret-md5" },
        timers: { update: 5, timeout: 180, garbage: 120 },
      },
    },
    key: "7:s3cret-md5",
    auth: "md5",
    unanswerableV4: true,
  },
  { kind: "bird", name: "no auth", options: { bird: { updateTime: 2 } } },
  {
    kind: "bird",
    name: "hmac-sha512",
    options: { bird: { updateTime: 2, rip: { auth: "hmac-sha512", keyId: 9, secret: "s3cret-512" } } },
    key: "9:s3cret-512",
    auth: "hmac-sha512",
  },
];

const COUNT = 10;

for (const v of VARIANTS) {
  interopDescribe(`riplet listen and query ↔ ${v.kind} (${v.name})`, () => {
    let pair: PairLab;
    let listen: Child;
    const keyArgs = v.key ? ["--key", v.key] : [];
    const statics = v.kind === "frr" ? FRR_STATICS : BIRD_STATICS;

    beforeAll(async () => {
      pair = await createPairLab(`listen-${v.kind}`);
      // listen first, so the gateway's start-up Requests and first Responses are heard too
      const args = [
        "listen",
        "-i",
        HOST_IF,
        "--json",
        "--count",
        String(COUNT),
        "--timeout",
        "30",
        ...keyArgs,
      ];
      listen = spawnRiplet(pair.lab, pair.host.ns, args);
      await waitFor(
        async () =>
          (await multicastGroups(pair.lab, pair.host.ns, HOST_IF)).includes("ff02::9") || !listen.running,
        { timeoutMs: 10_000, what: "riplet listen to join the groups" },
      );
      await startGateway(v.kind, pair.lab, pair.gw, v.options);
      await listen.exited;
    });
    afterAll(() => pair?.lab.destroy());

    it(`listen decodes ${COUNT} datagrams of both families with no error`, () => {
      const frames = listen.jsonLines();
      expect(listen.stderr).toBe("");
      expect(
        frames.filter((f) => "error" in f),
        listen.stdout,
      ).toEqual([]);
      expect(frames).toHaveLength(COUNT);
      // each says when it arrived (ISO 8601, within this run) and where it was heard
      for (const f of frames) {
        expect(f.interface).toBe(HOST_IF);
        expect(Math.abs(Date.parse(String(f.time)) - Date.now())).toBeLessThan(120_000);
      }
      const fromGw = frames.filter((f) => [pair.gw.v4, pair.gw.linkLocal].includes(bare(f.source)));
      expect(fromGw).toHaveLength(COUNT);
      for (const [family, prefix] of [
        ["ipv4", statics[0]],
        ["ipv6", statics[1]],
      ]) {
        const responses = frames.filter((f) => f.family === family && f.command === "response");
        const entries = responses.flatMap((f) => f.entries as { prefix: string; metric: number }[]);
        expect(entries, `${family} responses`).toContainEqual(expect.objectContaining({ prefix, metric: 1 }));
      }
      if (v.key) {
        const v4 = frames.filter((f) => f.family === "ipv4" && f.command === "response");
        expect(v4.map((f) => (f.auth as { verified?: boolean } | undefined)?.verified)).toEqual(
          v4.map(() => true),
        );
      }
      console.log(JSON.stringify({ test: "listen", gateway: v.kind, auth: v.name, frames: frames.length }));
    });

    for (const family of ["ipv4", "ipv6"] as const) {
      it(`query ${family === "ipv4" ? "IPv4" : "IPv6 link-local"} returns the gateway's table`, async () => {
        const target = family === "ipv4" ? pair.gw.v4 : pair.gw.linkLocal;
        const auth = family === "ipv4" && v.auth ? ["--auth", v.auth, ...keyArgs] : [];
        const args = ["query", target, "-i", HOST_IF, "--json", ...auth];
        const result = await execRiplet(pair.lab, pair.host.ns, args);
        if (family === "ipv4" && v.unanswerableV4) {
          // FRR drops an unauthenticated Request when auth is on ("RIPv2 dropped because authentication
          // enabled"), and takes a signed one for a request for specific routes (it has more than the one
          // AFI-0/metric-16 entry RFC 2453 §3.9.1 describes), answering nothing. riplet says so, points
          // at `riplet listen --key`, and exits 1; under --json the error is JSON on stdout.
          expect(result.code).toBe(1);
          expect(jsonLines(result.stdout)).toEqual([
            {
              ok: false,
              error: {
                code: "NO_ANSWER",
                message: expect.stringMatching(
                  /^no answer from 192\.0\.2\.1 .*FRR's ripd never answers an authenticated Request.*riplet listen -i \S+ --key 7:SECRET$/,
                ),
              },
            },
          ]);
          return;
        }
        expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
        const answers = jsonLines(result.stdout);
        expect(answers.length).toBeGreaterThan(0);
        expect(answers.filter((a) => "error" in a)).toEqual([]);
        const entries = answers.flatMap((a) => a.entries as { prefix: string; metric: number }[]);
        const prefix = family === "ipv4" ? statics[0] : statics[1];
        expect(entries).toContainEqual(expect.objectContaining({ prefix, metric: 1 }));
        for (const a of answers) {
          expect(a).toMatchObject({ command: "response", family });
          expect(bare(a.source)).toBe(target);
        }
      });
    }
  });
}
