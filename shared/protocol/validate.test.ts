import { describe, expect, it } from "vitest";
import { registerRequestSchema } from "./auth.js";
import { createItemSchema } from "./items.js";
import { historyQuerySchema, sendRequestSchema } from "./messages.js";
import { ackRequestSchema, pullQuerySchema } from "./sync.js";
import { parseInput } from "./validate.js";

const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("expected a bad_request");
};

describe("parseInput messages a person can read", () => {
  it("says which field is missing, too long or too big, as a sentence", () => {
    expect(messageOf(() => parseInput(createItemSchema, { priceCents: 100 }, "body"))).toEqual({
      code: "bad_request",
      message: "Title is required.",
    });
    expect(messageOf(() => parseInput(createItemSchema, { title: "x".repeat(121), priceCents: 1 })).message).toBe(
      "Title can be at most 120 characters.",
    );
    expect(messageOf(() => parseInput(createItemSchema, { title: "Bike", priceCents: 1e13 })).message).toBe(
      "Price cents must be at most 10000000000.",
    );
    expect(messageOf(() => parseInput(createItemSchema, { title: "Bike", priceCents: 1, colour: "red" })).message).toBe(
      "Unknown field: colour.",
    );
  });

  it("passes our own sentences through unchanged", () => {
    expect(messageOf(() => parseInput(registerRequestSchema, { username: "Bad Name!", password: "a good long one" })).message).toBe(
      "Usernames are 3–32 characters: lowercase letters a–z, digits and _.",
    );
    expect(messageOf(() => parseInput(registerRequestSchema, { username: "okname", password: "        " })).message).toBe(
      "A password can't be only spaces or invisible characters.",
    );
    const send = { clientMsgId: "7d7f5c1e-4a43-4c5e-9d1e-2f6d1c1a9b10", conversationId: "c", kind: "text", body: "   " };
    expect(messageOf(() => parseInput(sendRequestSchema, send)).message).toBe("Body is empty: it has only spaces or invisible characters.");
  });

  it("puts the field's name in front of our own predicates", () => {
    expect(messageOf(() => parseInput(pullQuerySchema, { after: "-1" }, "query")).message).toBe("After must be a whole number.");
    expect(messageOf(() => parseInput(historyQuerySchema, { before: "abc" }, "query")).message).toBe("Before must be a whole number.");
    expect(messageOf(() => parseInput(ackRequestSchema, { acks: {} })).message).toBe("Acks must name at least one domain.");
  });
});
