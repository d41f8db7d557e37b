import { describe, expect, it } from "vitest";
import { findContactDetails, hasContactDetails } from "./contact-details.js";

describe("contact details in a message", () => {
  it.each([
    ["+44 7700 900123", "an international number with spaces"],
    ["call 07700 900123 after six", "a UK mobile"],
    ["(555) 123-4567", "a US number with brackets and a dash"],
    ["+1 (555) 123-4567", "a US number with its country code"],
    ["555.123.4567", "dots"],
    ["555-1234", "a local number of seven digits"],
    ["my number is 0044 20 7946 0958", "00 for the country code"],
    ["06 12 34 56 78", "a French mobile in pairs"],
    ["+33 6 12 34 56 78", "a French mobile with its country code"],
    ["ring me on 13800138000", "eleven digits in one run"],
    ["电话 138 0013 8000", "Chinese, with spaces"],
    ["电话13800138000", "Chinese, touching the digits"],
    ["手机：+86 138-0013-8000", "Chinese, with the country code and dashes"],
    ["打我电话１３８００１３８０００", "full-width digits"],
  ])("finds a phone number: %s (%s)", (text) => {
    expect(findContactDetails(text)).toContain("phone");
  });

  it.each([
    ["£1,200", "a price with a thousands separator"],
    ["it's £1200 or nearest offer", "a price with its currency"],
    ["$1 200 000 for the lot", "a price with spaces"],
    ["¥3800", "a price in yuan"],
    ["3800元包邮", "yuan after the number"],
    ["1,200,000", "a big number with commas"],
    ["1234567.89 in total", "a decimal"],
    ["bought on 2024-05-12", "an ISO date"],
    ["posted 12/05/2024", "a day, month and year"],
    ["12.05.2024 at 10:30", "a date with dots and a time"],
    ["made in 1999", "a year"],
    ["used 2019-2023", "a range of years"],
    ["order 12345 shipped", "an order number of five digits"],
    ["order #48213 and #1234", "order numbers with #"],
    ["SKU1234567", "a code with letters"],
    ["sizes 42 43 44 45", "a list of sizes"],
    ["iPhone 13 128 GB, 2 years old", "a phone for sale, not a number"],
    ["2024年5月12日发货", "a Chinese date"],
    ["价格 1200 元", "a Chinese price"],
    ["It's 120 x 80 x 60 cm", "dimensions"],
    ["pick up 10:30-11:30", "a time range"],
  ])("does not take %s for a phone number (%s)", (text) => {
    expect(findContactDetails(text)).not.toContain("phone");
  });

  it.each(["write to anna.smith+shop@example.co.uk", "ANNA@GMAIL.COM", "邮箱 zhang.wei@qq.com", "anna at gmail dot com", "anna(at)gmail.com"])(
    "finds an email address: %s",
    (text) => {
      expect(findContactDetails(text)).toContain("email");
    },
  );

  it.each(["see you @ the station", "meet at 5", "I'm at home", "follow @anna"])("does not take %s for an email address", (text) => {
    expect(findContactDetails(text)).not.toContain("email");
  });

  it.each([
    "pay me at paypal.me/anna",
    "https://paypal.me/anna/120",
    "PayPal friends and family please",
    "I'd rather do a bank transfer",
    "my IBAN is GB29 NWBK 6016 1331 9268 19",
    "GB29NWBK60161331926819",
    "message me on wa.me/447700900123",
    "t.me/annasells",
    "add me on WhatsApp",
    "let's talk on Telegram",
    "加我微信",
    "加我VX详聊",
    "微信号 zhang_wei88",
    "支付宝转账给我",
    "私下交易便宜点",
    "加QQ",
    "sort code 12-34-56",
    "transfer the money to my account",
  ])("finds payment or chat outside Courier: %s", (text) => {
    expect(findContactDetails(text)).toContain("offsite");
  });

  it.each([
    "Is it still available?",
    "Can you post it on Friday?",
    "I'll pay in Courier when you confirm",
    "Would you take £90?",
    "这个还在吗？",
    "可以便宜一点吗",
    "明天下午三点在地铁站见",
    "",
    "The BIC pen set, 12 pens",
    "my phone broke, sorry for the late reply",
    "我电话坏了",
  ])("finds nothing in an ordinary message: %j", (text) => {
    expect(findContactDetails(text)).toEqual([]);
    expect(hasContactDetails(text)).toBe(false);
  });

  it("names every kind it found, once each, in a fixed order", () => {
    expect(findContactDetails("anna@example.com, +44 7700 900123, or paypal.me/anna; call +44 7700 900124")).toEqual(["phone", "email", "offsite"]);
  });
});
