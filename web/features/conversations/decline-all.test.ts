import { describe, expect, it } from "vitest";
import { CourierError } from "../../../shared/protocol/index.js";
import { declineEach } from "./decline-all.js";

/** A stand-in for `POST …/leave`: what each request answers, and the order they were asked. */
function server(answers: Record<string, CourierError | undefined>) {
  const asked: string[] = [];
  return {
    asked,
    decline: async (id: string) => {
      asked.push(id);
      const error = answers[id];
      if (error) throw error;
    },
  };
}

describe("declining every request", () => {
  it("declines each in turn, counting one already gone elsewhere as done", async () => {
    const s = server({ b: CourierError.forbidden("You are no longer a member of this group."), c: CourierError.notFound("No such conversation.") });
    const progress: number[] = [];
    await declineEach(["a", "b", "c", "d"], s.decline, (n) => progress.push(n));
    expect(s.asked).toEqual(["a", "b", "c", "d"]);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it("stops at a refusal that is not about the request (too many requests), leaving the rest", async () => {
    const s = server({ b: new CourierError("rate_limited", "Too many requests; try again in 20 s.", 20_000) });
    const progress: number[] = [];
    await expect(declineEach(["a", "b", "c"], s.decline, (n) => progress.push(n))).rejects.toThrow("try again in 20 s");
    expect(s.asked).toEqual(["a", "b"]);
    expect(progress).toEqual([1]);
  });
});
