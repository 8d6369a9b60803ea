/**
 * The newc cpio writer that builds the guest's initramfs: byte layout by hand, and a round trip
 * through busybox's own cpio (the format the kernel unpacks), when busybox is installed.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CpioEntry, CpioError, encodeNewc } from "../../src/vm/cpio.js";

const BUSYBOX = "/bin/busybox";
const dir = mkdtempSync(join(tmpdir(), "riplet-cpio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries: CpioEntry[] = [
  { type: "dir", path: "bin" },
  { type: "dir", path: "dev" },
  { type: "char", path: "dev/console", major: 5, minor: 1 },
  { type: "file", path: "init", data: Buffer.from("#!/bin/sh\necho hi\n"), mode: 0o755 },
  { type: "file", path: "bin/odd", data: Buffer.from("abcde") }, // 5 bytes: data needs padding
  { type: "file", path: "bin/empty", data: new Uint8Array(0) },
  { type: "symlink", path: "bin/sh", target: "busybox" },
];

/** Walks the archive: each entry's name, mode and data, checking magic and 4-byte alignment. */
function walk(archive: Buffer): { name: string; mode: number; rdev: [number, number]; data: Buffer }[] {
  const out = [];
  let offset = 0;
  for (;;) {
    expect(offset % 4).toBe(0);
    expect(archive.toString("ascii", offset, offset + 6)).toBe("070701");
    const field = (i: number) =>
      Number.parseInt(archive.toString("ascii", offset + 6 + i * 8, offset + 14 + i * 8), 16);
    const [mode, size, namesize] = [field(1), field(6), field(11)];
    const name = archive.toString("utf8", offset + 110, offset + 110 + namesize - 1);
    const dataStart = offset + 110 + namesize + ((4 - ((110 + namesize) % 4)) % 4);
    if (name === "TRAILER!!!") return out;
    out.push({
      name,
      mode,
      rdev: [field(9), field(10)] as [number, number],
      data: archive.subarray(dataStart, dataStart + size),
    });
    offset = dataStart + size + ((4 - (size % 4)) % 4);
  }
}

describe("newc cpio", () => {
  it("lays out every entry aligned, with its type, permissions and data, then the trailer", () => {
    const archive = encodeNewc(entries);
    expect(archive.length % 4).toBe(0);
    const seen = walk(archive);
    expect(seen.map((e) => e.name)).toEqual(entries.map((e) => e.path));
    expect(seen.map((e) => e.mode.toString(8))).toEqual([
      "40755",
      "40755",
      "20600",
      "100755",
      "100644",
      "100644",
      "120777",
    ]);
    expect(seen[2]!.rdev).toEqual([5, 1]);
    expect(seen[4]!.data.toString()).toBe("abcde");
    expect(seen[6]!.data.toString()).toBe("busybox");
  });

  it("gives the same bytes for the same input (so the cache key can stand for the content)", () => {
    expect(encodeNewc(entries).equals(encodeNewc(entries))).toBe(true);
  });

  it.each(["../etc/passwd", "a//b", "", "/"])("refuses the path %j", (path) => {
    expect(() => encodeNewc([{ type: "dir", path }])).toThrow(CpioError);
  });

  it.skipIf(!existsSync(BUSYBOX) && process.env.CI !== "true")(
    "is read back by busybox cpio: names, types, contents, links",
    () => {
      const archive = join(dir, "a.cpio");
      writeFileSync(archive, encodeNewc(entries));
      const listing = execFileSync(BUSYBOX, ["cpio", "-tv", "-F", archive], {
        encoding: "utf8",
        stdio: "pipe",
      });
      expect(listing).toMatch(/^crw------- .* dev\/console$/m);
      expect(listing).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/m);
      const out = join(dir, "x");
      execFileSync("mkdir", [out]);
      // -i without the device node: creating one needs root
      execFileSync(
        "sh",
        ["-c", `cd ${out} && ${BUSYBOX} cpio -i -d -F ${archive} init bin/odd bin/empty bin/sh`],
        {
          stdio: "pipe",
        },
      );
      expect(readFileSync(join(out, "init"), "utf8")).toBe("#!/bin/sh\necho hi\n");
      expect(statSync(join(out, "init")).mode & 0o777).toBe(0o755);
      expect(readFileSync(join(out, "bin/odd"), "utf8")).toBe("abcde");
      expect(readFileSync(join(out, "bin/empty")).length).toBe(0);
      expect(readlinkSync(join(out, "bin/sh"))).toBe("busybox");
    },
  );
});
