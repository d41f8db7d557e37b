import { type PullRequest, type PullResponse, type SendRequest, TYPING_PATH, type TypingRequest, type Versions } from "../../shared/protocol/index.js";
import type { Api } from "../api/client.js";
import type { AnyMessage } from "../api/lenient.js";
import type { TransportHandlers, TransportStatus } from "./transport.js";

/**
 * What every transport keeps alike: the handlers while connected, and the
 * status last reported, so each change is reported once and nothing after
 * close().
 */
export abstract class TransportBase {
  protected handlers: TransportHandlers | null = null;
  private status: TransportStatus | null = null;

  protected setStatus(status: TransportStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.handlers?.onStatus(status);
  }

  /** close(): no handler is called any more, and the next connection reports from scratch. */
  protected detach(): void {
    this.handlers = null;
    this.status = null;
  }
}

/** SSE and long-poll carry server → client only: send, pull and ack go over HTTP. */
export abstract class HttpRequestsTransport extends TransportBase {
  protected abstract readonly api: Api;

  send(request: SendRequest): Promise<AnyMessage> {
    return this.api.send(request);
  }
  pull(request: PullRequest): Promise<PullResponse> {
    return this.api.pull(request);
  }
  ack(acks: Partial<Versions>): Promise<void> {
    return this.api.ack(acks);
  }
  async typing(conversationId: string): Promise<void> {
    const body: TypingRequest = { conversationId };
    await this.api.http.request("POST", TYPING_PATH, { body });
  }
}
