/**
 * The two file operations the state file needs, hardened once (issue 13): a bounded read that never
 * follows a symlink, and a whole-file replacement that a crash leaves either old or new.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Above this a state or journal file is not read: a planted or runaway file must not exhaust memory
 * at start. 20,000 routes take 1.4 MB, so this leaves room for ~1.5 million.
 */
const MAX_STATE_FILE_BYTES = 128 * 1024 * 1024;

/** Reads a file without following a symlink at its last component (issue 13: a planted link). */
export function readNoFollow(path: string, maxBytes = MAX_STATE_FILE_BYTES): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) {
      throw Object.assign(new Error(`${path} is ${size} bytes, over ${maxBytes}`), { code: "EFBIG" });
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `text` (temp file, fsync, rename, fsync of the directory) without blocking the
 * event loop, and returns the new file open for appending: the journal keeps writing to it.
 */
export async function replaceFile(path: string, text: string): Promise<FileHandle> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Unpredictable, created exclusively and never through a symlink: in a directory others can write,
  // a link planted at a guessable name made the root daemon overwrite its target (issue 13).
  const temp = join(dir, `.${basename(path)}.tmp-${randomBytes(12).toString("hex")}`);
  const flags =
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const file = await open(temp, flags, 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
    await rename(temp, path);
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => {}); // a full disk: leave it no emptier than before
    throw error;
  }
  try {
    const dirHandle = await open(dir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (error) {
    await file.close();
    throw error;
  }
  return file;
}
