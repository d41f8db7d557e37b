import { CourierError } from "../../../shared/protocol/index.js";

/**
 * Declines requests one after another (each is `POST …/leave`), saying how
 * many are done after each. A request already gone (declined on another
 * device, or its group ended: 403, 404) counts as done; any other failure
 * stops here and is thrown (a 429 says when to try again), leaving the rest.
 */
export async function declineEach(conversationIds: readonly string[], decline: (id: string) => Promise<unknown>, progress: (done: number) => void): Promise<void> {
  let done = 0;
  for (const id of conversationIds) {
    try {
      await decline(id);
    } catch (error) {
      if (!(error instanceof CourierError && (error.code === "forbidden" || error.code === "not_found"))) throw error;
    }
    progress(++done);
  }
}
