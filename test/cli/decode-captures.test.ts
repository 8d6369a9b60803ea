/**
 * `riplet decode` against real captures of FRR 8.4 and BIRD 2.0 in every auth mode (test/fixtures,
 * recipe in its README). Every field the manifest knows is checked, every signature verifies with the
 * right key and fails with a wrong one, and re-encoding each datagram gives the captured bytes back.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCapture } from "../../src/capture/pcap.js";
import type { DatagramView } from "../../src/cli/dissect.js";
import * as ripng from "../../src/wire/ripng.js";
import * as ripv2 from "../../src/wire/ripv2.js";
import { cli } from "../helpers/cli.js";

interface Auth {
  mode: string;
  keyId?: number;
  secret?: string;
  authLength?: number;
}
interface Speaker {
  peer: string;
  source: string;
  auth: Auth;
  prefixes: string[];
}
interface Capture extends Speaker {
  file: string;
  family: "ipv4" | "ipv6";
  version: number;
  linkType: string;
  taggedPrefix?: { prefix: string; tag: number };
  metricPrefix?: { prefix: string; metric: number };
  nextHopPrefix?: { prefix: string; nextHop: string };
  withdrawnAtEnd?: boolean;
  packets: { total: number; requests: number; responses: number };
  otherSpeakers?: Speaker[];
}

const dir = join(import.meta.dirname, "..", "fixtures");
const captures = JSON.parse(readFileSync(join(dir, "captures.json"), "utf8")) as Capture[];
const DIGEST: Record<string, number> = {
  "hmac-sha1": 20,
  "hmac-sha256": 32,
  "hmac-sha384": 48,
  "hmac-sha512": 64,
};

function keyArg(auth: Auth, secret = auth.secret): string[] {
  if (auth.mode === "none") return [];
  return ["--key", auth.keyId === undefined ? secret! : `${auth.keyId}:${secret}`];
}

async function decode(file: string, keys: string[]): Promise<DatagramView[]> {
  const { code, out } = await cli("decode", "--pcap", join(dir, file), "--json", ...keys);
  expect(code).toBe(0);
  return out.map((line) => JSON.parse(line) as DatagramView);
}

/** FRR never authenticates its Requests (seen in every FRR capture); BIRD does. */
function expectAuth(view: DatagramView, speaker: Speaker, verified: boolean): void {
  const auth = speaker.auth;
  if (auth.mode === "none" || (speaker.peer === "frr" && view.command === "request")) {
    expect(view.auth).toBeUndefined();
    return;
  }
  if (auth.mode === "simple") {
    expect(view.auth).toEqual({ type: "simple", password: auth.secret, verified });
    return;
  }
  expect(view.auth).toMatchObject({
    type: "crypto",
    keyId: auth.keyId,
    authDataLength: auth.mode === "md5" ? auth.authLength : DIGEST[auth.mode],
    algorithm: verified ? auth.mode : null,
    verified,
  });
}

it("the manifest covers every auth mode of both peers", () => {
  const modes = new Set(
    captures.map((c) => `${c.peer} ${c.family} v${c.version} ${c.auth.mode}${c.auth.authLength ?? ""}`),
  );
  for (const mode of [
    "frr ipv4 v2 none",
    "frr ipv4 v2 simple",
    "frr ipv4 v2 md516",
    "frr ipv4 v2 md520",
    "frr ipv4 v1 none",
    "frr ipv6 v1 none",
    "bird ipv4 v2 none",
    "bird ipv4 v2 simple",
    "bird ipv4 v2 md520",
    "bird ipv4 v2 hmac-sha1",
    "bird ipv4 v2 hmac-sha256",
    "bird ipv4 v2 hmac-sha384",
    "bird ipv4 v2 hmac-sha512",
    "bird ipv6 v1 none",
  ]) {
    expect(modes).toContain(mode);
  }
});

describe.each(captures.map((c) => [c.file, c] as const))("%s", (_file, capture) => {
  const speakers = [capture as Speaker, ...(capture.otherSpeakers ?? [])];
  const speakerOf = (view: DatagramView) =>
    speakers.find((s) => view.source?.replace(/%.*$/, "") === s.source);

  it("decodes every datagram with the right key: fields, counts and signatures", async () => {
    const keys = [...new Set(speakers.flatMap((s) => keyArg(s.auth)))];
    const views = await decode(
      capture.file,
      keys.length > 2 ? keys : speakers.flatMap((s) => keyArg(s.auth)),
    );
    expect(views.filter((v) => v.error)).toEqual([]);
    const own = views.filter((v) => speakerOf(v) === speakers[0]);
    if (!capture.otherSpeakers) {
      expect(views).toHaveLength(capture.packets.total);
      expect(own.filter((v) => v.command === "request")).toHaveLength(capture.packets.requests);
      expect(own.filter((v) => v.command === "response")).toHaveLength(capture.packets.responses);
    }
    for (const view of views) {
      const speaker = speakerOf(view);
      expect(speaker, `unknown source ${view.source}`).toBeDefined();
      expect(view).toMatchObject({ family: capture.family, version: capture.version });
      expectAuth(view, speaker!, true);
      if (view.command === "request") expect(view).toMatchObject({ wholeTable: true, entries: [] });
    }
    for (const speaker of speakers) {
      const heard = views
        .filter((v) => speakerOf(v) === speaker && v.command === "response")
        .flatMap((v) => v.entries!);
      const reachable = new Set(heard.filter((e) => e.metric < 16 && !e.skip).map((e) => e.prefix));
      for (const prefix of speaker.prefixes)
        expect(reachable, `${prefix} from ${speaker.source}`).toContain(prefix);
      if (capture.withdrawnAtEnd && speaker === speakers[0]) {
        const withdrawn = new Set(heard.filter((e) => e.metric === 16).map((e) => e.prefix));
        for (const prefix of speaker.prefixes) expect(withdrawn, `${prefix} withdrawn`).toContain(prefix);
      }
    }
    const entries = own.flatMap((v) => v.entries ?? []);
    const find = (prefix: string) => entries.find((e) => e.prefix === prefix && e.metric < 16)!;
    if (capture.taggedPrefix) expect(find(capture.taggedPrefix.prefix).tag).toBe(capture.taggedPrefix.tag);
    if (capture.metricPrefix)
      expect(find(capture.metricPrefix.prefix).metric).toBe(capture.metricPrefix.metric);
    if (capture.nextHopPrefix)
      expect(find(capture.nextHopPrefix.prefix).nextHop).toBe(capture.nextHopPrefix.nextHop);
  });

  it("fails verification with a wrong key", async () => {
    const authed = speakers.filter((s) => s.auth.mode !== "none");
    if (authed.length === 0) return;
    const views = await decode(
      capture.file,
      authed.flatMap((s) => keyArg(s.auth, `${s.auth.secret}-wrong`)),
    );
    for (const view of views) {
      const speaker = speakerOf(view)!;
      if (speaker.auth.mode !== "none") expectAuth(view, speaker, false);
    }
  });

  it("re-encodes every datagram to the exact captured bytes", () => {
    const items = readCapture(readFileSync(join(dir, capture.file)));
    for (const item of items) {
      if ("error" in item) throw item.error;
      const codec = capture.family === "ipv4" ? ripv2 : ripng;
      const value = codec.decode(item.payload).value;
      expect(
        Buffer.from(
          capture.family === "ipv4"
            ? ripv2.encode(value as ripv2.Ripv2Packet)
            : ripng.encode(value as ripng.RipngPacket),
        ),
      ).toEqual(Buffer.from(item.payload));
    }
  });

  it("crypto sequence numbers never go backwards per sender", async () => {
    const views = await decode(capture.file, []);
    const last = new Map<string, number>();
    for (const view of views) {
      if (view.auth?.type !== "crypto") continue;
      const before = last.get(view.source!) ?? 0;
      if (view.auth.sequence !== 0) expect(view.auth.sequence).toBeGreaterThanOrEqual(before);
      last.set(view.source!, view.auth.sequence);
    }
  });
});
