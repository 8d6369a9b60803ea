/**
 * The host's reading of the guest's serial console (the line protocol is described in init.ts).
 * Pure: text chunks in; lines, events and command results out through callbacks.
 */

const GUEST_EVENTS = ["booted", "lease", "slaac", "ready", "error"] as const;
export type GuestEventName = (typeof GUEST_EVENTS)[number];

export interface ConsoleSink {
  line?: (line: string) => void;
  event?: (name: GuestEventName, data: Record<string, string>) => void;
  result?: (id: number, code: number, output: Buffer) => void;
}

const EVENT = /^RIPLET-GUEST (\w+) (\{.*\})$/;
const BEGIN = /^RIPLET-EXEC (\d+) begin$/;
const END = /^RIPLET-EXEC (\d+) end (\d+)$/;
const BASE64 = /^[A-Za-z0-9+/=]+$/;
const TAIL_LINES = 20;
const MAX_ENCODED = 4000;

export class ConsoleParser {
  private partial = "";
  private readonly tail: string[] = [];
  /** The command whose output is being read, and its base64 lines so far. */
  private open: { id: number; base64: string[] } | undefined;

  constructor(private readonly sink: ConsoleSink) {}

  /** Feeds console text; complete lines are handled now, a trailing partial line waits for the rest. */
  feed(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const raw of lines) this.handle(raw.replace(/\r/g, ""));
  }

  /** The last lines seen, for error messages (what the guest said before it died or went quiet). */
  lastLines(): string[] {
    return this.partial === "" ? [...this.tail] : [...this.tail, this.partial];
  }

  private handle(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.sink.line?.(line);
    const event = EVENT.exec(line);
    if (event) {
      this.onEvent(event[1]!, event[2]!);
      return;
    }
    const begin = BEGIN.exec(line);
    if (begin) {
      this.open = { id: Number(begin[1]), base64: [] };
      return;
    }
    const end = END.exec(line);
    if (end && this.open?.id === Number(end[1])) {
      const output = Buffer.from(this.open.base64.join(""), "base64");
      this.open = undefined;
      this.sink.result?.(Number(end[1]), Number(end[2]), output);
      return;
    }
    // anything else inside a frame that is not base64 is a stray kernel or daemon line, not output
    if (this.open && BASE64.test(line)) this.open.base64.push(line);
  }

  private onEvent(name: string, json: string): void {
    if (!(GUEST_EVENTS as readonly string[]).includes(name)) return;
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch {
      return; // a line garbled by interleaved output: the tail still shows it
    }
    if (typeof data !== "object" || data === null) return;
    const fields = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)]));
    this.sink.event?.(name as GuestEventName, fields);
  }
}

/** The line that asks the guest to run `command` (any sh text, newlines included) as command `id`. */
export function runLine(id: number, command: string): string {
  const encoded = Buffer.from(command, "utf8").toString("base64");
  // the guest's tty reads lines of at most 4095 characters (N_TTY); longer ones would be cut
  if (encoded.length > MAX_ENCODED)
    throw new Error(`guest command of ${command.length} characters is too long (at most ~3000)`);
  return `RIPLET-RUN ${id} ${encoded}\n`;
}
