import { describe, expect, it } from "vitest";
import { parsePrice } from "./money.js";

describe("parsePrice", () => {
  it.each([
    ["12.50", 1250],
    ["12.5", 1250],
    ["12", 1200],
    ["12,50", 1250],
    ["$ 1,200.00", 120000],
    ["0", 0],
  ])("%s → %i cents", (text, cents) => expect(parsePrice(text)).toBe(cents));

  it.each(["", "abc", "12.505", "-3", "1.2.3"])("rejects %j", (text) => expect(parsePrice(text)).toBeNull());
});
