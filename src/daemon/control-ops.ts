/**
 * What each control op does (SPEC §4): parse-checked requests in, replies out. A change goes on the
 * wire first and is saved meanwhile; the reply waits for the save, so an acknowledged change is on
 * disk. Lifecycle (start, reload, handover, stop) stays in daemon.ts.
 */
import { errorReply, type Reply, type Request, type RouteIn } from "../control/protocol.js";
import type { ErrorReply, ReplyTo } from "../control/replies.js";
import type { ControlCounters } from "../control/server.js";
import type { GuestReport } from "../guests/servers.js";
import type { Speaker } from "../speaker/speaker.js";
import { interfaceNames } from "../transport/interfaces.js";
import { type AdmitPolicy, admitRoutes, Refusal, withdrawalKeys } from "./admit.js";
import type { DaemonConfig } from "./config.js";
import type { Gate } from "./gate.js";
import { type GuestOps, handleHook } from "./hook-op.js";
import type { Logger } from "./log.js";
import { routesReport, statusReport } from "./reports.js";
import type { RouteStore, SocketRoute } from "./route-store.js";

export interface ControlOpsDeps {
  log: Logger;
  config(): DaemonConfig;
  policy(): AdmitPolicy;
  speaker(): Speaker;
  gate(): Gate;
  routes: RouteStore;
  /** The wire changed: start the announce-to-send clock (metrics). */
  changed(): void;
  /** Send what changed now rather than at the next timer. */
  wake(): void;
  /** Resolves once the update carrying every change so far has been handed to the kernel (host). */
  updateSent(): Promise<void>;
  /** Resolves once the state file holds every change made so far. */
  persist(): Promise<void>;
  reload(id: Request["id"]): Promise<Reply>;
  /**
   * `daemon --replace`: answer with our pid, then end keeping every route (daemon.ts). Absent where
   * ControlOps runs without a daemon (tests): refused.
   */
  handover?(id: Request["id"]): Promise<ReplyTo<"handover">>;
  /** What the control socket refused or cut off (undefined before it listens). */
  control?(): ControlCounters | undefined;
  /** The taps' DHCP/RA servers: started and stopped by the hook op, listed by status. */
  guests: GuestOps & { report(): GuestReport[] };
  /** The guard's counts: faults caught on the daemon's own async paths, by place. */
  internalErrors?(): { total: number; byPlace: Record<string, number> };
}

/** The longest a hook waits for its update to leave before it configures the tap anyway. */
const SENT_WAIT_MAX_MS = 1000;

const EMPTY_CONTROL: ControlCounters = { clients: 0, refusedBusy: 0, cutOff: 0, linesTooLong: 0 };

export class ControlOps {
  constructor(private readonly deps: ControlOpsDeps) {}

  async handle(request: Request): Promise<Reply> {
    switch (request.op) {
      case "announce":
        return this.announce(request.id, request.routes);
      case "withdraw":
        return this.withdraw(request.id, request.prefixes, request.owner);
      case "hook":
        return handleHook(request, {
          config: this.deps.config(),
          admit: (id, routes) => {
            const admitted = this.admit(id, routes);
            return Array.isArray(admitted) ? admitted.map((r) => r.spec) : admitted;
          },
          announce: (id, specs) =>
            this.announceRoutes(
              id,
              specs.map((spec) => ({ spec })),
            ),
          withdrawOwner: (id, owner) => this.withdraw(id, undefined, owner),
          afterSend: () => this.afterTriggeredSend(),
          guests: this.deps.guests,
        });
      case "routes":
        return {
          id: request.id,
          ok: true,
          routes: routesReport(this.deps.speaker(), {
            store: this.deps.routes,
            checks: this.deps.gate().report(),
          }),
        } satisfies ReplyTo<"routes">;
      case "status":
        return {
          id: request.id,
          ok: true,
          ...statusReport(this.deps.speaker(), this.deps.config(), this.deps.routes),
          maintenance: !this.deps.gate().open,
          healthChecks: this.deps.gate().report(),
          control: { ...(this.deps.control?.() ?? EMPTY_CONTROL) },
          internalErrors: this.deps.internalErrors?.() ?? { total: 0, byPlace: {} },
          guests: this.deps.guests.report(),
        } satisfies ReplyTo<"status">;
      case "reload":
        return this.deps.reload(request.id);
      case "handover":
        return this.deps.handover
          ? this.deps.handover(request.id)
          : errorReply(
              request.id,
              "INTERNAL",
              "this riplet cannot hand over; stop it, then start the new one",
            );
    }
  }

  /**
   * Resolves once the triggered update a change just scheduled has been handed to the kernel (the
   * socket's send callback, speaker-host.ts updateSent), so the hook's `ip` fork (which stalls this
   * event loop for ~5 ms) comes after the datagram, not before. Never longer than SENT_WAIT_MAX_MS:
   * behind a paced update of a large table the tap is configured all the same. In `rfc` mode the
   * update may be held for seconds: nothing is waited for.
   */
  private afterTriggeredSend(): Promise<void> {
    if (this.deps.config().triggered !== "fast") return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SENT_WAIT_MAX_MS);
    });
    return Promise.race([this.deps.updateSent(), late]).finally(() => clearTimeout(timer));
  }

  private async announce(id: Request["id"], routes: RouteIn[]): Promise<ReplyTo<"announce">> {
    const admitted = this.admit(id, routes);
    return Array.isArray(admitted) ? this.announceRoutes(id, admitted) : admitted;
  }

  private admit(id: Request["id"], routes: RouteIn[]): SocketRoute[] | ErrorReply {
    try {
      return admitRoutes(routes, this.deps.policy(), interfaceNames());
    } catch (error) {
      if (error instanceof Refusal) return errorReply(id, error.code, error.message);
      throw error;
    }
  }

  /**
   * The change goes on the wire first (the triggered update is due in FAST_COALESCE_MS) and is written
   * meanwhile; the reply waits for the write. A busy hypervisor's disk can take tens of milliseconds
   * to fsync, and twenty hosts' worth of VMs starting together showed it (issue 6).
   */
  private async announceRoutes(id: Request["id"], routes: SocketRoute[]): Promise<ReplyTo<"announce">> {
    // a held route (check not passing yet, or maintenance) is kept and saved, and goes out later
    const outcomes = routes.map((route) => [route.spec.prefix.text, this.deps.routes.add(route)] as const);
    const changed = outcomes.filter(([, outcome]) => outcome === "announced").map(([prefix]) => prefix);
    const held = outcomes.filter(([, outcome]) => outcome === "held").map(([prefix]) => prefix);
    if (changed.length > 0) this.deps.changed();
    this.deps.wake();
    await this.deps.persist();
    const owner = routes[0]?.spec.owner;
    if (changed.length > 0) this.deps.log.info({ prefixes: changed, owner }, "announced");
    if (held.length > 0)
      this.deps.log.info(
        { prefixes: held, owner },
        "held until its health check passes (or maintenance ends)",
      );
    return {
      id,
      ok: true,
      announced: routes.map((r) => r.spec.prefix.text),
      ...(held.length > 0 ? { held } : {}),
    };
  }

  private async withdraw(
    id: Request["id"],
    prefixes: string[] | undefined,
    owner: string | undefined,
  ): Promise<ReplyTo<"withdraw">> {
    let withdrawn: string[];
    if (owner !== undefined) {
      withdrawn = this.deps.routes.removeOwner(owner);
    } else {
      let keys: string[];
      try {
        keys = withdrawalKeys(prefixes ?? []); // all or nothing: a bad prefix withdraws none
      } catch (error) {
        if (error instanceof Refusal) return errorReply(id, error.code, error.message);
        throw error;
      }
      withdrawn = keys.filter((key) => this.deps.routes.remove(key));
    }
    if (withdrawn.length > 0) this.deps.changed();
    this.deps.wake();
    await this.deps.persist();
    if (withdrawn.length > 0) this.deps.log.info({ prefixes: withdrawn, owner }, "withdrawn");
    return { id, ok: true, withdrawn };
  }
}
