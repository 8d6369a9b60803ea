/**
 * Which Requests get an answer (RFC 2453 §3.9.1, RFC 2080 §2.4.1). A 24-byte whole-table Request
 * draws the whole table (20,000 routes: 800 datagrams, 400 kB), from any source and port, and the
 * source may be forged: unbounded, that makes riplet an amplifier aimed at anyone on the link (issue
 * 13). So, as BIRD does with its one send session per interface:
 * - at most one whole-table answer in flight per interface and family; a whole-table Request arriving
 *   while one is still being sent is refused (REQUEST_BUSY) — the transport says when it is done;
 * - each source has a small token bucket for whole-table answers and a looser one for specific ones,
 *   and each interface and family one for whole-table answers whatever the source (forged sources are
 *   free to make up); past them, refused (REQUEST_RATE).
 * Pure: the clock is passed in; the source map is bounded, the oldest source forgotten first.
 */
import type { Family } from "./types.js";

interface Bucket {
  /** Answers that may go out back to back. */
  burst: number;
  /** One more answer allowed per this many ms. */
  everyMs: number;
}

export interface RequestLimits {
  wholeTablePerSource: Bucket;
  specificPerSource: Bucket;
  wholeTablePerInterface: Bucket;
  /** Sources remembered; past it the one heard from longest ago is forgotten. */
  sources: number;
  /** An answer whose "done" never came stops counting as in flight after this long. */
  answerExpiryMs: number;
}

/**
 * The figures, and why (issue 13's acceptance test):
 * - whole table per source, burst 2, one more every 5 s: a gateway restarting asks once per family, a
 *   person running `riplet query` once or twice; 100 whole-table Requests in 1 s from one host get 2
 *   answers (the test allows 5).
 * - whole table per interface and family, burst 4, one more every 500 ms: 10,000 forged Requests/s
 *   from random sources get at most 2 answers a second after the first 4, so with 5,000 routes (200
 *   datagrams, 100 kB) the answers stay under 200 kB/s, and the transport is free for our own
 *   triggered updates; each answer's datagrams are the cached ones (none/simple), not new memory.
 * - specific per source, burst 10, one more every 100 ms: such an answer is entry for entry no larger
 *   than the Request (no amplification); the bucket only bounds the signing work and the sequence
 *   numbers a signed requester can make us spend.
 * - 1,024 sources at about 200 bytes each: a flood from any number of forged sources costs < 1 MB.
 * - 5 s expiry: 20,000 routes take about 0.5 s at the transport's pace (4 kB every 5 ms).
 */
export const REQUEST_LIMITS: RequestLimits = {
  wholeTablePerSource: { burst: 2, everyMs: 5000 },
  specificPerSource: { burst: 10, everyMs: 100 },
  wholeTablePerInterface: { burst: 4, everyMs: 500 },
  sources: 1024,
  answerExpiryMs: 5000,
};

export interface Refusal {
  reason: "REQUEST_BUSY" | "REQUEST_RATE";
  detail: string;
}

export interface RequestSeen {
  interface: string;
  family: Family;
  /** The source address without zone; its port does not matter (a host has 65,535 of them). */
  source: string;
  wholeTable: boolean;
}

interface Tokens {
  tokens: number;
  at: number;
}

/** Refills a bucket to `now`; true (and one token taken) if an answer may go. */
function take(state: Tokens, bucket: Bucket, now: number): boolean {
  state.tokens = Math.min(bucket.burst, state.tokens + Math.max(0, now - state.at) / bucket.everyMs);
  state.at = now;
  if (state.tokens < 1) return false;
  state.tokens -= 1;
  return true;
}

function has(state: Tokens, bucket: Bucket, now: number): boolean {
  return Math.min(bucket.burst, state.tokens + Math.max(0, now - state.at) / bucket.everyMs) >= 1;
}

export class RequestPolicy {
  private readonly sources = new Map<string, { whole: Tokens; specific: Tokens }>();
  private readonly interfaces = new Map<string, Tokens>();
  /** Interface and family → the answer being sent (the token done() is called with) and its expiry. */
  private readonly inFlight = new Map<string, { token: object; until: number }>();

  constructor(private readonly limits: RequestLimits = REQUEST_LIMITS) {}

  /** Sources remembered now (bounded by limits.sources). */
  get sourceCount(): number {
    return this.sources.size;
  }

  /**
   * Whether `request` may be answered now. Admitted, it is charged; a whole-table one also takes its
   * interface's send slot until done(token) or the expiry. Refused, nothing is charged.
   */
  admit(request: RequestSeen, now: number, token: object): Refusal | undefined {
    const slot = `${request.interface} ${request.family}`;
    const source = this.source(`${slot} ${request.source}`, now);
    if (!request.wholeTable) {
      if (take(source.specific, this.limits.specificPerSource, now)) return undefined;
      return { reason: "REQUEST_RATE", detail: `${request.source} asks for routes too often` };
    }
    const busy = this.inFlight.get(slot);
    if (busy && busy.until > now) {
      return { reason: "REQUEST_BUSY", detail: `a whole-table answer is still being sent on ${slot}` };
    }
    if (!has(source.whole, this.limits.wholeTablePerSource, now)) {
      return { reason: "REQUEST_RATE", detail: `${request.source} asks for the whole table too often` };
    }
    const shared = this.interfaces.get(slot) ?? { tokens: this.limits.wholeTablePerInterface.burst, at: now };
    this.interfaces.set(slot, shared);
    if (!take(shared, this.limits.wholeTablePerInterface, now)) {
      return { reason: "REQUEST_RATE", detail: `whole-table Requests on ${slot} come too often` };
    }
    take(source.whole, this.limits.wholeTablePerSource, now);
    this.inFlight.set(slot, { token, until: now + this.limits.answerExpiryMs });
    return undefined;
  }

  /** The transport finished sending the answer admitted with `token`: its interface is free again. */
  done(token: object): void {
    for (const [slot, flight] of this.inFlight) if (flight.token === token) this.inFlight.delete(slot);
  }

  /** A source's buckets, made full for a new one; touched sources move to the back of the queue. */
  private source(key: string, now: number) {
    let state = this.sources.get(key);
    if (state) this.sources.delete(key);
    else {
      state = {
        whole: { tokens: this.limits.wholeTablePerSource.burst, at: now },
        specific: { tokens: this.limits.specificPerSource.burst, at: now },
      };
      if (this.sources.size >= this.limits.sources) {
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
    }
    this.sources.set(key, state);
    return state;
  }
}
