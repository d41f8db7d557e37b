import { describe, expect, it } from "vitest";
import { registerRequestSchema } from "./auth.js";
import { createItemSchema } from "./items.js";
import { commandCreateSchema, commandReportSchema } from "./commands.js";
import { settingsPatchSchema } from "./conversations.js";
import { historyQuerySchema, searchQuerySchema, sendRequestSchema } from "./messages.js";
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

  it("says a value of the wrong type is wrong, not missing", () => {
    const wrong = (schema: Parameters<typeof parseInput>[0], input: unknown, what?: string) => messageOf(() => parseInput(schema, input, what)).message;
    expect(wrong(settingsPatchSchema, { archived: "true" }, "body")).toBe("Archived must be true or false.");
    expect(wrong(settingsPatchSchema, { markedUnread: null }, "body")).toBe("Marked unread must be true or false.");
    const send = { clientMsgId: "7d7f5c1e-4a43-4c5e-9d1e-2f6d1c1a9b10", conversationId: "c", kind: "text", body: "hi" };
    expect(wrong(sendRequestSchema, { ...send, replyTo: 12 }, "body")).toBe("Reply to must be text.");
    expect(wrong(commandCreateSchema, { userId: 5, name: "resync" }, "body")).toBe("User id must be text.");
    expect(wrong(pullQuerySchema, { after: ["1", "2"] }, "query")).toBe("after must be given once.");
    expect(wrong(searchQuerySchema, { q: ["a", "b"] }, "query")).toBe("q must be given once.");
    // Still "required" when it is missing.
    expect(wrong(searchQuerySchema, {}, "query")).toBe("Q is required.");
    expect(wrong(commandCreateSchema, { name: "resync" }, "body")).toBe("User id is required.");
  });

  it("says the body must be a JSON object when it is an array, a string or null", () => {
    for (const body of [[], "text", null, 5]) {
      expect(messageOf(() => parseInput(settingsPatchSchema, body, "body")).message).toBe("The request body must be a JSON object.");
      expect(messageOf(() => parseInput(commandCreateSchema, body, "body")).message).toBe("The request body must be a JSON object.");
    }
  });

  it("lists the options of a name or value that is not one of them", () => {
    const names = "resync, diagnostics, mute, delete_conversation, sign_out";
    expect(messageOf(() => parseInput(commandCreateSchema, { userId: "u", name: "format_disk" }, "body")).message).toBe(
      `Unknown name "format_disk"; one of: ${names}.`,
    );
    expect(messageOf(() => parseInput(commandCreateSchema, { userId: "u" }, "body")).message).toBe(`Name is required; one of: ${names}.`);
    expect(messageOf(() => parseInput(commandCreateSchema, { userId: "u", name: 7 }, "body")).message).toBe(`Name must be one of: ${names}.`);
    expect(messageOf(() => parseInput(commandReportSchema, { status: "maybe" }, "body")).message).toBe('Unknown status "maybe"; one of: done, failed.');
  });
});
