/**
 * The state file's journal (issue 15): the changes made since the last snapshot, beside it at
 * `<state>.journal`, so a change costs one appended line and one fsync instead of rewriting every
 * route. Framing only; what a record means is state.ts's.
 *
 * The first line names the snapshot the records follow (`{"journal":1,"generation":"…"}`): a journal
 * left behind by a compaction that crashed half-way, or beside a snapshot someone replaced, belongs to
 * another generation and is not replayed. Each later line is one batch of changes, whole JSON ending
 * in "\n": an append cut short by a crash is a last line that does not parse, and it is dropped.
 */
import type { FileHandle } from "node:fs/promises";
import { replaceFile } from "./atomic-file.js";

const JOURNAL_VERSION = 1;

export function journalPath(statePath: string): string {
  return `${statePath}.journal`;
}

export function headerLine(generation: string): string {
  return `${JSON.stringify({ journal: JOURNAL_VERSION, generation })}\n`;
}

export function recordLine(record: object): string {
  return `${JSON.stringify(record)}\n`;
}

export interface DecodedJournal {
  /** The snapshot generation the header names; undefined when there is no readable header. */
  generation?: string;
  records: unknown[];
  /** Bytes after the last whole record (a torn append), 0 when the file ends cleanly. */
  tornBytes: number;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Splits a journal into its header and records, stopping at the first line that is not whole JSON. */
export function decodeJournal(text: string): DecodedJournal {
  const records: unknown[] = [];
  let generation: string | undefined;
  let start = 0;
  let first = true;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    const value = end < 0 ? undefined : parseLine(text.slice(start, end));
    if (typeof value !== "object" || value === null) break;
    if (first) {
      const header = value as { journal?: unknown; generation?: unknown };
      if (header.journal !== JOURNAL_VERSION || typeof header.generation !== "string") break;
      generation = header.generation;
      first = false;
    } else {
      records.push(value);
    }
    start = end + 1;
  }
  return { generation, records, tornBytes: Buffer.byteLength(text.slice(start)) };
}

/** The open journal of the current generation: appends go to its end, each made durable before it resolves. */
export class JournalFile {
  private constructor(
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  /** Starts the journal of snapshot `generation`, replacing any older one atomically. */
  static async create(path: string, generation: string): Promise<JournalFile> {
    const header = headerLine(generation);
    return new JournalFile(await replaceFile(path, header), Buffer.byteLength(header));
  }

  get bytes(): number {
    return this.size;
  }

  /**
   * Appends whole lines and fsyncs them. If the write fails half-way (a full disk), the file is cut
   * back to its last whole record, so a later append never follows torn bytes; if even that fails it
   * throws `JournalBroken` and the caller must start a new journal.
   */
  async append(text: string): Promise<void> {
    const data = Buffer.from(text);
    try {
      let written = 0;
      while (written < data.length) {
        written += (await this.handle.write(data, written)).bytesWritten; // a short write: the rest next
      }
      await this.handle.datasync();
      this.size += data.length;
    } catch (error) {
      try {
        await this.handle.truncate(this.size);
      } catch {
        throw new JournalBroken((error as Error).message);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** The journal may end in torn bytes: nothing more may be appended to it. */
export class JournalBroken extends Error {}
