/**
 * Crypto sequence numbers (RFC 4822 §3): 32 bits, never decreasing under a key. Started from Unix
 * time as BIRD does, so a quick restart rarely finds itself behind the last number sent.
 */

/** The largest sequence number: RFC 4822 §3 keeps it at that rather than wrap to 0. */
export const MAX_SEQUENCE = 0xffffffff;

/**
 * What an operator does about an exhausted sequence number; one text for the log, `status`, `doctor`
 * and the state file's warning. riplet keeps signing with 2^32−1, which FRR and BIRD accept while they
 * accept an equal number, but replay protection is gone. A gateway keeps the highest number it heard
 * per neighbour, so starting again lower needs both ends reset.
 */
export const SEQUENCE_EXHAUSTED_FIX =
  'stop riplet, set "sequence": 0 in its state file and delete the state file\'s .journal beside it, restart RIP on the gateways (they keep the highest number heard), then start riplet';

/**
 * A saved sequence number made usable: not an integer → rounded down (NaN → 0), outside 0..2^32−1 →
 * clamped. A state file must never make the speaker throw at its first signed packet.
 */
export function clampSequence(value: number | undefined): number {
  if (value === undefined || Number.isNaN(value)) return 0;
  return Math.min(MAX_SEQUENCE, Math.max(0, Math.floor(value)));
}

export class SequenceCounter {
  private last: number;
  private session: number | undefined;
  private exhaustedFlag = false;

  /**
   * `initial` is the last number sent before a restart; `onExhausted` is called once, the first time
   * the number cannot go up any more.
   */
  constructor(
    initial: number | undefined,
    private readonly unixSeconds: () => number,
    private readonly onExhausted: (sequence: number) => void,
  ) {
    this.last = clampSequence(initial);
  }

  /** The last number used (persist it). */
  get value(): number {
    return this.last;
  }

  /** True once a session needed a number above 2^32−1 and got 2^32−1 again. */
  get exhausted(): boolean {
    return this.exhaustedFlag;
  }

  /**
   * One number per update session (a tick, a received Request, a link change): a burst of packets
   * costs one. RFC 4822 §3: strictly increasing while it can; at 2^32−1 it stays there (receivers that
   * accept an equal number still take our packets) and says so once: a new key is what fixes it.
   */
  next(): number {
    if (this.session === undefined) {
      const unix = Math.floor(this.unixSeconds());
      const wanted = Number.isFinite(unix) ? Math.max(this.last + 1, unix) : this.last + 1;
      if (wanted > MAX_SEQUENCE && !this.exhaustedFlag) {
        this.exhaustedFlag = true;
        this.onExhausted(MAX_SEQUENCE);
      }
      this.last = clampSequence(wanted);
      this.session = this.last;
    }
    return this.session;
  }

  /** Marks the start of a new update session. */
  newSession(): void {
    this.session = undefined;
  }
}
