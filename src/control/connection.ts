/**
 * One control connection, bounded (issue 13 item 4): requests are answered one at a time and in order;
 * at most `queue` requests are held read but not answered, and at most about `replyBytes` of replies
 * wait in user space for a client that does not read. Past either bound the socket is paused, so the
 * kernel's socket buffer pushes back on the client; a client that takes nothing for `stallMs` while
 * over the reply bound is cut off. A client that reads slowly is slowed, never cut off.
 */
import type { Socket } from "node:net";
import { MAX_LINE_BYTES } from "./line-limit.js";
import { errorReply, isReply, parseRequest, type Reply, type Request } from "./protocol.js";

export interface ConnectionLimits {
  /** Requests read but not yet answered, per connection. */
  controlQueue: number;
  /** Reply bytes buffered for a client that does not read, per connection, before we stop taking requests. */
  controlReplyBytes: number;
}

export interface ConnectionHooks {
  handle(request: Request): Promise<Reply>;
  /** A handler threw or something unexpected happened in this connection's code. */
  onError(error: Error): void;
  lineTooLong(): void;
  /** The client took no reply bytes for stallMs while over the reply bound: it was disconnected. */
  cutOff(bufferedBytes: number): void;
}

export class Connection {
  /** Complete request lines read but not yet answered (never more than limits.controlQueue). */
  private readonly lines: string[] = [];
  /** Text read after the last complete line taken; bounded by one read chunk plus one line. */
  private buffered = "";
  private busy = false;
  private stallTimer?: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly hooks: ConnectionHooks,
    private readonly stallMs: number,
  ) {
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy()); // a client that vanished mid-request is not our problem
    socket.on("data", (chunk: string) => this.guarded(() => this.read(chunk)));
    socket.on("drain", () => this.guarded(() => this.pump()));
    socket.on("close", () => clearTimeout(this.stallTimer));
  }

  /** Reply bytes waiting in user space for this client. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Requests read but not yet answered (the one being answered is not counted). */
  get queued(): number {
    return this.lines.length;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.hooks.onError(error as Error);
    }
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    this.takeLines();
    this.pump();
  }

  /** Moves complete lines from the read buffer to the queue while there is room; pauses reading when full. */
  private takeLines(): void {
    while (this.lines.length < this.limits.controlQueue) {
      const newline = this.buffered.indexOf("\n");
      if (newline < 0) break;
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line !== "") this.lines.push(line);
    }
    const first = this.buffered.indexOf("\n");
    if (first > MAX_LINE_BYTES || (first < 0 && this.buffered.length > MAX_LINE_BYTES)) {
      this.hooks.lineTooLong();
      this.write(errorReply(null, "LINE_TOO_LONG", `request line over ${MAX_LINE_BYTES} bytes`));
      this.buffered = "";
      this.lines.length = 0;
      this.socket.end();
      return;
    }
    // Full queue: stop reading, so the kernel buffer fills and the client's writes block.
    if (this.lines.length >= this.limits.controlQueue) this.socket.pause();
  }

  private get overReplyBound(): boolean {
    return this.socket.writableLength > this.limits.controlReplyBytes;
  }

  /** Answers queued requests one by one, while the client takes its replies. */
  private pump(): void {
    if (this.busy || this.socket.destroyed) return;
    if (this.overReplyBound) {
      this.waitForReader();
      return;
    }
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const line = this.lines.shift();
    if (line === undefined) {
      if (this.socket.isPaused() && !this.socket.readableEnded) this.socket.resume();
      return;
    }
    this.busy = true;
    this.answer(line)
      .catch((error: unknown) => this.hooks.onError(error as Error))
      .finally(() => {
        this.busy = false;
        this.guarded(() => {
          this.takeLines(); // room again in the queue: lines read while it was full come in now
          this.pump();
        });
      });
  }

  private async answer(line: string): Promise<void> {
    const parsed = parseRequest(line);
    if (isReply(parsed)) return this.write(parsed);
    try {
      this.write(await this.hooks.handle(parsed));
    } catch (error) {
      this.hooks.onError(error as Error);
      this.write(errorReply(parsed.id, "INTERNAL", (error as Error).message));
    }
  }

  /**
   * Over the reply bound: read nothing more and answer nothing more until 'drain'. The check is on what
   * is buffered before the next request, so one reply bigger than the bound still reaches a client that
   * reads. A client that takes no byte for stallMs is disconnected: it holds memory and reads nothing.
   */
  private waitForReader(): void {
    this.socket.pause();
    if (this.stallTimer) return;
    // Nothing is written while blocked, so the buffer only shrinks as the client reads.
    let left = this.socket.writableLength;
    const check = () => {
      this.stallTimer = undefined;
      if (this.socket.destroyed || !this.overReplyBound) return;
      if (this.socket.writableLength < left) {
        left = this.socket.writableLength;
        this.stallTimer = setTimeout(check, this.stallMs);
        return;
      }
      this.hooks.cutOff(this.socket.writableLength);
      this.socket.destroy();
    };
    this.stallTimer = setTimeout(check, this.stallMs);
  }

  private write(reply: Reply): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(`${JSON.stringify(reply)}\n`);
  }
}
