/**
 * Finding the guest's kernel, modules and static busybox, and the initramfs cache, on a fake tree
 * (the real packages are exercised by interop/test/guest-boot.test.ts).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildGuestImage,
  findGuestKernel,
  GUEST_PACKAGES_FIX,
  type GuestRoots,
  isStaticElf,
} from "../../src/vm/image.js";
import { VIRTIO_NET_MODULES } from "../../src/vm/init.js";

const top = mkdtempSync(join(tmpdir(), "riplet-image-"));
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** A 64-bit little-endian ELF header with one program header of type `phType` (1 LOAD, 3 INTERP). */
function elf(phType: number): Buffer {
  const b = Buffer.alloc(64 + 56);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b.writeBigUInt64LE(64n, 32);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(1, 56);
  b.writeUInt32LE(phType, 64);
  return b;
}

let roots: GuestRoots;
let n = 0;

/** A fake /boot, /lib/modules and busybox: kernels 6.1.0-9 and 6.1.0-57, virtio_ring built in, virtio_net gzipped. */
function fakeTree(): GuestRoots {
  const dir = join(top, `t${++n}`);
  const r = { boot: join(dir, "boot"), modules: join(dir, "modules"), busybox: join(dir, "busybox") };
  mkdirSync(r.boot, { recursive: true });
  for (const v of ["6.1.0-9-cloud-amd64", "6.1.0-57-cloud-amd64"]) {
    writeFileSync(join(r.boot, `vmlinuz-${v}`), "kernel");
    const m = join(r.modules, v);
    mkdirSync(join(m, "kernel"), { recursive: true });
    const files = VIRTIO_NET_MODULES.filter((x) => x !== "virtio_ring").map(
      (x) => `kernel/${x}.ko${x === "virtio_net" ? ".gz" : ""}`,
    );
    for (const f of files)
      writeFileSync(join(m, f), f.endsWith(".gz") ? gzipSync(`elf of ${f}`) : `elf of ${f}`);
    writeFileSync(join(m, "modules.dep"), `${files.map((f) => `${f}:`).join("\n")}\n`);
    writeFileSync(join(m, "modules.builtin"), "kernel/drivers/virtio/virtio_ring.ko\n");
  }
  writeFileSync(join(r.boot, "vmlinuz-6.1.0-60-amd64"), "not a cloud kernel");
  writeFileSync(r.busybox, elf(1));
  return r;
}

beforeEach(() => {
  roots = fakeTree();
});

/** Entry names of a gzipped newc archive. */
function names(initrd: string): string[] {
  const cpio = gunzipSync(readFileSync(initrd)).toString("latin1");
  return [...cpio.matchAll(/070701[0-9A-F]{88}([0-9A-F]{8})[0-9A-F]{8}([^\0]*)\0/gi)].map((m) => m[2]!);
}

describe("guest image", () => {
  it("tells a static ELF (no PT_INTERP) from a dynamic one and from junk", () => {
    expect(isStaticElf(elf(1))).toBe(true);
    expect(isStaticElf(elf(3))).toBe(false);
    expect(isStaticElf(Buffer.from("#!/bin/sh\n"))).toBe(false);
    expect(isStaticElf(readFileSync(process.execPath))).toBe(false); // node is dynamically linked
  });

  it("finds the newest cloud kernel (numeric order) with its modules, leaving out built-in ones", () => {
    const found = findGuestKernel(roots);
    if ("missing" in found) throw new Error(found.missing);
    expect(found.version).toBe("6.1.0-57-cloud-amd64");
    expect(found.kernel).toBe(join(roots.boot, "vmlinuz-6.1.0-57-cloud-amd64"));
    expect(found.modules.map((m) => m.name)).toEqual(VIRTIO_NET_MODULES.filter((x) => x !== "virtio_ring"));
  });

  it.each([
    ["no cloud kernel", (r: GuestRoots) => rmSync(r.modules, { recursive: true }), /no cloud kernel/],
    ["no busybox", (r: GuestRoots) => rmSync(r.busybox), /busybox is missing/],
    ["a dynamic busybox", (r: GuestRoots) => writeFileSync(r.busybox, elf(3)), /not statically linked/],
    [
      "a module missing",
      (r: GuestRoots) =>
        writeFileSync(join(r.modules, "6.1.0-57-cloud-amd64/modules.dep"), "kernel/virtio.ko:\n"),
      /module virtio_pci_modern_dev is not in/,
    ],
  ] as [string, (r: GuestRoots) => void, RegExp][])(
    "with %s: says what is missing and the apt-get line",
    async (_, breakIt, message) => {
      breakIt(roots);
      const found = findGuestKernel(roots);
      expect("missing" in found && found.missing).toMatch(message);
      expect("missing" in found && found.missing).toContain(GUEST_PACKAGES_FIX);
      await expect(buildGuestImage(join(top, "cache-missing"), roots)).rejects.toThrow(
        expect.objectContaining({
          name: "GuestImageMissing",
          message: expect.stringContaining(GUEST_PACKAGES_FIX),
        }),
      );
    },
  );

  it("builds the initramfs once: /init, busybox, the console node and the modules (decompressed)", async () => {
    const cache = join(top, `cache${n}`);
    const image = await buildGuestImage(cache, roots);
    expect(image.kernelVersion).toBe("6.1.0-57-cloud-amd64");
    expect(names(image.initrd)).toEqual(
      expect.arrayContaining([
        "init",
        "bin/busybox",
        "dev/console",
        "etc/udhcpc.script",
        "mods/order",
        "mods/virtio_net.ko",
      ]),
    );
    expect(gunzipSync(readFileSync(image.initrd)).includes("elf of kernel/virtio_net.ko.gz")).toBe(true);
    const built = statSync(image.initrd).mtimeMs;
    expect(await buildGuestImage(cache, roots)).toEqual(image);
    expect(statSync(image.initrd).mtimeMs).toBe(built); // taken from the cache, not rewritten
  });

  it("rebuilds when busybox changes, and concurrent builders leave one whole file and no temp files", async () => {
    const cache = join(top, `cache${n}`);
    const first = await buildGuestImage(cache, roots);
    utimesSync(roots.busybox, new Date(), new Date(Date.now() + 5000));
    const images = await Promise.all(Array.from({ length: 5 }, () => buildGuestImage(cache, roots)));
    expect(new Set(images.map((i) => i.initrd)).size).toBe(1);
    expect(images[0]!.initrd).not.toBe(first.initrd);
    expect(names(images[0]!.initrd)).toContain("init");
    expect(readdirSync(cache).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(existsSync(first.initrd)).toBe(true);
  });
});
