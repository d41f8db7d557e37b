import { TRANSPORTS, type TransportName } from "../../shared/protocol/index.js";
import type { HandOverReason } from "./offline-channel.js";

/** What `DeliveryMetrics.snapshot()` returns: plain numbers, safe to serialise. */
export interface DeliverySnapshot {
  /** Entries the hub handed to live WebSocket and SSE connections (one per entry and connection). */
  entriesPushed: number;
  /** Push messages the hub handed to live WebSocket and SSE connections. */
  pushes: number;
  /** Acks applied (HTTP, socket, and a poll's cursor). */
  acks: number;
  /** Retransmission rounds that re-pushed something. */
  retries: number;
  /** Entries re-pushed (one per entry and connection). */
  entriesRepushed: number;
  /** Devices whose retransmission ran out of its lifetime. */
  giveUps: number;
  /** Devices handed to the offline channel (after a give-up, or when their last live connection ended unacked). */
  handOvers: number;
  /** `handOvers` by reason. */
  handOversBy: Record<HandOverReason, number>;
  /** Retransmission rounds that re-pushed at least once and then saw their pushes acked (the others gave up: `giveUps`). */
  roundsAcked: number;
  /** Connections the server declared dead for lack of a sign of life. */
  deadConnections: Record<TransportName, number>;
}

/**
 * Every delivery counter of this process, in one place (`ctx.delivery`).
 * Plain increments: the features that observe an event bump its counter;
 * tests, benchmarks and the metrics endpoint read `snapshot()`.
 */
export class DeliveryMetrics {
  entriesPushed = 0;
  pushes = 0;
  acks = 0;
  retries = 0;
  entriesRepushed = 0;
  giveUps = 0;
  handOvers = 0;
  readonly handOversBy: Record<HandOverReason, number> = { disconnected: 0, gave_up: 0 };
  roundsAcked = 0;
  readonly deadConnections: Record<TransportName, number> = Object.fromEntries(TRANSPORTS.map((t) => [t, 0])) as Record<TransportName, number>;

  handedOver(reason: HandOverReason): void {
    this.handOvers++;
    this.handOversBy[reason]++;
  }

  snapshot(): DeliverySnapshot {
    return {
      entriesPushed: this.entriesPushed,
      pushes: this.pushes,
      acks: this.acks,
      retries: this.retries,
      entriesRepushed: this.entriesRepushed,
      giveUps: this.giveUps,
      handOvers: this.handOvers,
      handOversBy: { ...this.handOversBy },
      roundsAcked: this.roundsAcked,
      deadConnections: { ...this.deadConnections },
    };
  }
}
