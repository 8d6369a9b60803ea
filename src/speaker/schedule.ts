/**
 * When to send updates (RFC 2453 §3.8 and §3.10.1), as pure arithmetic on a clock passed in.
 * - periodic: every update interval, offset by a random ±jitter each time it is set;
 * - triggered, `fast` mode (riplet's default): changes are coalesced for a few milliseconds and sent;
 * - triggered, `rfc` mode: sent at once unless a 1-5 s hold from the previous one is running, in which
 *   case it waits for the hold to end. A periodic update makes a pending triggered one unnecessary.
 */
import {
  TRIGGERED_HOLD_MAX_MS,
  TRIGGERED_HOLD_MIN_MS,
  UPDATE_INTERVAL_MS,
  UPDATE_JITTER_MS,
} from "../wire/constants.js";

export type TriggeredMode = "fast" | "rfc";

/**
 * How long `fast` mode waits so changes made together leave as one update. A VM's subnets come in one
 * request, so this only needs to outlast the current turn of the event loop; every millisecond of it
 * is added to announce and withdraw latency.
 */
export const FAST_COALESCE_MS = 2;

export interface ScheduleOptions {
  updateMs?: number;
  jitterMs?: number;
  triggered?: TriggeredMode;
  /** Uniform in [0, 1): injected so tests are deterministic. */
  random: () => number;
}

export class UpdateSchedule {
  private nextPeriodicAt: number;
  private nextTriggeredAt: number | undefined;
  private holdUntil = Number.NEGATIVE_INFINITY;
  private readonly updateMs: number;
  private readonly jitterMs: number;
  private readonly mode: TriggeredMode;

  /** The first periodic update is due at once, unless the owner says one was just sent. */
  constructor(
    private readonly options: ScheduleOptions,
    now: number,
  ) {
    this.updateMs = options.updateMs ?? UPDATE_INTERVAL_MS;
    this.jitterMs = options.jitterMs ?? Math.min(UPDATE_JITTER_MS, this.updateMs / 6);
    this.mode = options.triggered ?? "fast";
    this.nextPeriodicAt = now;
  }

  /** Something in the table changed: make sure a triggered update is on its way. */
  changed(now: number): void {
    if (this.nextTriggeredAt !== undefined) return;
    this.nextTriggeredAt = this.mode === "fast" ? now + FAST_COALESCE_MS : Math.max(now, this.holdUntil);
  }

  /** A triggered update is scheduled and has not gone yet. */
  get triggeredPending(): boolean {
    return this.nextTriggeredAt !== undefined;
  }

  periodicDue(now: number): boolean {
    return now >= this.nextPeriodicAt;
  }

  triggeredDue(now: number): boolean {
    return this.nextTriggeredAt !== undefined && now >= this.nextTriggeredAt;
  }

  periodicSent(now: number): void {
    const offset = (this.options.random() * 2 - 1) * this.jitterMs;
    this.nextPeriodicAt = now + this.updateMs + offset;
    // RFC 2453 §3.10.1: the regular update carries every change, so a pending triggered one may go.
    this.nextTriggeredAt = undefined;
  }

  triggeredSent(now: number): void {
    this.nextTriggeredAt = undefined;
    if (this.mode === "rfc") {
      this.holdUntil =
        now + TRIGGERED_HOLD_MIN_MS + this.options.random() * (TRIGGERED_HOLD_MAX_MS - TRIGGERED_HOLD_MIN_MS);
    }
  }

  cancelTriggered(): void {
    this.nextTriggeredAt = undefined;
  }

  /** The periodic update is pulled forward, e.g. to answer a restarted neighbour. */
  sendPeriodicNow(now: number): void {
    this.nextPeriodicAt = Math.min(this.nextPeriodicAt, now);
  }

  /** The next due time; with `periodic` false, only a triggered update's (Infinity when none). */
  nextWakeAt(periodic = true): number {
    return Math.min(
      periodic ? this.nextPeriodicAt : Number.POSITIVE_INFINITY,
      this.nextTriggeredAt ?? Number.POSITIVE_INFINITY,
    );
  }
}
