/**
 * The real guest's image, from Debian packages only: the cloud kernel (/boot/vmlinuz-*-cloud-amd64)
 * and an initramfs built here from busybox-static, the kernel's own virtio-net modules and /init
 * (init.ts). The initramfs is cached, keyed by everything that goes into it, and written atomically,
 * so a second build is a stat() and concurrent builders never see half a file.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzip } from "node:zlib";
import { type CpioEntry, encodeNewc } from "./cpio.js";
import { GUEST_INIT, UDHCPC_SCRIPT, VIRTIO_NET_MODULES } from "./init.js";

export const GUEST_PACKAGES_FIX = "apt-get install -y linux-image-cloud-amd64 busybox-static";
const DEFAULT_GUEST_CACHE = "/var/cache/riplet/guest";
/** Bumped when the image layout changes, so old cache entries are not reused. */
const IMAGE_FORMAT = "1";

class GuestImageMissing extends Error {
  override readonly name = "GuestImageMissing";
}

export interface GuestKernel {
  version: string;
  kernel: string;
  modulesDir: string;
  busybox: string;
  /** The virtio-net modules to load, in order, as files under modulesDir (built-in ones left out). */
  modules: { name: string; path: string }[];
}

export interface GuestImage {
  kernel: string;
  initrd: string;
  kernelVersion: string;
}

/** Where to look; tests point these at a fake tree. */
export interface GuestRoots {
  boot: string;
  modules: string;
  busybox: string;
}

const SYSTEM_ROOTS: GuestRoots = { boot: "/boot", modules: "/lib/modules", busybox: "/bin/busybox" };
const PT_INTERP = 3;

/** True for a 64-bit little-endian ELF with no PT_INTERP program header: it needs no dynamic loader. */
export function isStaticElf(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  if (phoff + phentsize * phnum > elf.length) return false;
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return false;
  return true;
}

/** Module name → file (relative to the modules dir), from modules.dep; `-` and `_` are the same. */
function moduleFiles(modulesDir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of readFileSync(join(modulesDir, "modules.dep"), "utf8").split("\n")) {
    const file = line.slice(0, line.indexOf(":"));
    if (file)
      files.set(
        basename(file)
          .replace(/\.ko(\.\w+)?$/, "")
          .replace(/-/g, "_"),
        file,
      );
  }
  return files;
}

function builtinModules(modulesDir: string): Set<string> {
  const path = join(modulesDir, "modules.builtin");
  if (!existsSync(path)) return new Set();
  const names = readFileSync(path, "utf8").split("\n").filter(Boolean);
  return new Set(names.map((f) => basename(f).replace(/\.ko$/, "").replace(/-/g, "_")));
}

function resolveModules(modulesDir: string): GuestKernel["modules"] | { missing: string } {
  if (!existsSync(join(modulesDir, "modules.dep")))
    return { missing: `${modulesDir}/modules.dep is missing; reinstall with: ${GUEST_PACKAGES_FIX}` };
  const files = moduleFiles(modulesDir);
  const builtin = builtinModules(modulesDir);
  const modules: GuestKernel["modules"] = [];
  for (const name of VIRTIO_NET_MODULES) {
    if (builtin.has(name)) continue;
    const file = files.get(name);
    if (!file)
      return { missing: `module ${name} is not in ${modulesDir}; install with: ${GUEST_PACKAGES_FIX}` };
    modules.push({ name, path: join(modulesDir, file) });
  }
  return modules;
}

/** The newest installed cloud kernel that has its modules, and a static busybox; or what is missing. */
export function findGuestKernel(roots: GuestRoots = SYSTEM_ROOTS): GuestKernel | { missing: string } {
  let versions: string[] = [];
  try {
    versions = readdirSync(roots.boot)
      .map((f) => /^vmlinuz-(.+-cloud-amd64)$/.exec(f)?.[1] ?? "")
      .filter((v) => v !== "" && existsSync(join(roots.modules, v)));
  } catch {
    // no /boot at all: reported below like an empty one
  }
  const version = versions.sort((a, b) => a.localeCompare(b, "en", { numeric: true })).at(-1);
  if (!version)
    return {
      missing: `no cloud kernel (${roots.boot}/vmlinuz-*-cloud-amd64 with ${roots.modules}/<version>); install it with: ${GUEST_PACKAGES_FIX}`,
    };
  let busybox: Buffer;
  try {
    busybox = readFileSync(roots.busybox);
  } catch {
    return { missing: `${roots.busybox} is missing; install it with: ${GUEST_PACKAGES_FIX}` };
  }
  if (!isStaticElf(busybox))
    return {
      missing: `${roots.busybox} is not statically linked (the guest has no libc); install busybox-static with: ${GUEST_PACKAGES_FIX}`,
    };
  const modulesDir = join(roots.modules, version);
  const modules = resolveModules(modulesDir);
  if ("missing" in modules) return modules;
  return {
    version,
    kernel: join(roots.boot, `vmlinuz-${version}`),
    modulesDir,
    busybox: roots.busybox,
    modules,
  };
}

const execFileBuffer = promisify(execFile);

/** A module file's plain ELF bytes: Debian may ship them xz-, zstd- or gzip-compressed. */
async function moduleBytes(path: string, busybox: string): Promise<Buffer> {
  const run = async (file: string, args: string[]) =>
    (await execFileBuffer(file, args, { encoding: "buffer", maxBuffer: 64 << 20 })).stdout;
  if (path.endsWith(".ko")) return readFile(path);
  if (path.endsWith(".ko.gz")) return gunzipSync(await readFile(path));
  if (path.endsWith(".ko.xz")) return run(busybox, ["xzcat", path]);
  if (path.endsWith(".ko.zst"))
    return run("zstd", ["-dc", path]).catch(() => {
      throw new GuestImageMissing(`${path} is zstd-compressed; install zstd with: apt-get install -y zstd`);
    });
  throw new GuestImageMissing(`${path}: unknown module compression`);
}

/** Everything the image depends on, hashed: kernel version, scripts, busybox and module files. */
function cacheKey(k: GuestKernel): string {
  const hash = createHash("sha256").update(`${IMAGE_FORMAT}\0${k.version}\0${GUEST_INIT}\0${UDHCPC_SCRIPT}`);
  for (const file of [k.busybox, ...k.modules.map((m) => m.path)]) {
    const st = statSync(file);
    hash.update(`\0${file}\0${st.size}\0${st.mtimeMs}`);
  }
  return hash.digest("hex").slice(0, 16);
}

async function initramfsEntries(k: GuestKernel): Promise<CpioEntry[]> {
  const dirs = [
    "bin",
    "sbin",
    "usr",
    "usr/bin",
    "usr/sbin",
    "dev",
    "proc",
    "sys",
    "tmp",
    "etc",
    "root",
    "mods",
  ];
  const entries: CpioEntry[] = dirs.map((path) => ({ type: "dir", path }));
  entries.push(
    // the kernel opens /dev/console for /init's stdio before anything is mounted
    { type: "char", path: "dev/console", major: 5, minor: 1 },
    { type: "file", path: "bin/busybox", data: await readFile(k.busybox), mode: 0o755 },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    { type: "file", path: "init", data: Buffer.from(GUEST_INIT), mode: 0o755 },
    { type: "file", path: "etc/udhcpc.script", data: Buffer.from(UDHCPC_SCRIPT), mode: 0o755 },
    { type: "file", path: "mods/order", data: Buffer.from(`${k.modules.map((m) => m.name).join("\n")}\n`) },
  );
  for (const m of k.modules)
    entries.push({ type: "file", path: `mods/${m.name}.ko`, data: await moduleBytes(m.path, k.busybox) });
  return entries;
}

/**
 * The guest image, from the cache in `cacheDir` when it is there, else built (newc cpio, gzip) and
 * cached. Throws GuestImageMissing, one line with the apt-get fix, when the packages are not installed.
 */
export async function buildGuestImage(
  cacheDir: string = DEFAULT_GUEST_CACHE,
  roots: GuestRoots = SYSTEM_ROOTS,
): Promise<GuestImage> {
  const found = findGuestKernel(roots);
  if ("missing" in found) throw new GuestImageMissing(found.missing);
  const initrd = join(cacheDir, `initrd-${found.version}-${cacheKey(found)}.cpio.gz`);
  const image = { kernel: found.kernel, initrd, kernelVersion: found.version };
  if (existsSync(initrd)) return image;
  const archive = encodeNewc(await initramfsEntries(found));
  const compressed = await promisify(gzip)(archive, { level: 6 });
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  const temp = `${initrd}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(temp, compressed, { mode: 0o644 });
    await rename(temp, initrd); // atomic: a concurrent builder's rename of the same bytes is harmless
  } finally {
    await rm(temp, { force: true });
  }
  return image;
}
