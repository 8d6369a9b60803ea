/**
 * The "newc" cpio format (the only one the kernel unpacks as an initramfs), written in TypeScript so
 * building a guest image needs no cpio binary and no fork. Pure: entries in, bytes out.
 * Format: linux Documentation/driver-api/early-userspace/buffer-format.rst.
 */

export type CpioEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; data: Uint8Array; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "char"; path: string; major: number; minor: number; mode?: number };

const MAGIC = "070701";
const HEADER_BYTES = 110;
const TRAILER = "TRAILER!!!";
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

export class CpioError extends Error {
  override readonly name = "CpioError";
}

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  size: number;
  rdevMajor: number;
  rdevMinor: number;
  name: string;
}

const hex8 = (n: number): string => {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CpioError(`cpio field ${n} out of range`);
  return n.toString(16).padStart(8, "0");
};

/** Bytes of padding that bring `n` up to a multiple of 4 (header+name and data are each padded). */
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(h: Header): Buffer {
  const name = Buffer.from(`${h.name}\0`, "utf8");
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const fields = [
    h.ino,
    h.mode,
    0,
    0,
    h.nlink,
    h.mtime,
    h.size,
    0,
    0,
    h.rdevMajor,
    h.rdevMinor,
    name.length,
    0,
  ];
  const text = Buffer.from(MAGIC + fields.map(hex8).join(""), "ascii");
  return Buffer.concat([text, name, Buffer.alloc(pad4(HEADER_BYTES + name.length))]);
}

function modeAndData(entry: CpioEntry): { mode: number; data: Uint8Array } {
  switch (entry.type) {
    case "dir":
      return { mode: S_IFDIR | (entry.mode ?? 0o755), data: new Uint8Array(0) };
    case "file":
      return { mode: S_IFREG | (entry.mode ?? 0o644), data: entry.data };
    case "symlink":
      return { mode: S_IFLNK | 0o777, data: Buffer.from(entry.target, "utf8") };
    case "char":
      return { mode: S_IFCHR | (entry.mode ?? 0o600), data: new Uint8Array(0) };
  }
}

function checkPath(path: string): string {
  const clean = path.replace(/^\/+/, "");
  if (clean === "" || clean.split("/").some((part) => part === ".." || part === ""))
    throw new CpioError(`cpio path ${JSON.stringify(path)} is not a plain relative path`);
  return clean;
}

/**
 * The archive for `entries`, in order (a directory must come before what it holds), ending with the
 * trailer. Owner root, timestamps `mtime` (0 by default, so the same input gives the same bytes).
 */
export function encodeNewc(entries: readonly CpioEntry[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const { mode, data } = modeAndData(entry);
    const isDir = entry.type === "dir";
    parts.push(
      header({
        ino: i + 1,
        mode,
        nlink: isDir ? 2 : 1,
        mtime,
        size: data.length,
        rdevMajor: entry.type === "char" ? entry.major : 0,
        rdevMinor: entry.type === "char" ? entry.minor : 0,
        name: checkPath(entry.path),
      }),
      Buffer.from(data.buffer, data.byteOffset, data.length),
      Buffer.alloc(pad4(data.length)),
    );
  });
  parts.push(
    header({ ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0, rdevMajor: 0, rdevMinor: 0, name: TRAILER }),
  );
  return Buffer.concat(parts);
}
