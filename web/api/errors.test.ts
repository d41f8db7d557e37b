import { afterEach, describe, expect, it } from "vitest";
import { CourierError } from "../../shared/protocol/index.js";
import { i18n } from "../i18n/index.js";
import { describeError, NetworkError } from "./errors.js";
import { toCourierError } from "./http.js";

const body = (error: object, status: number) => new Response(JSON.stringify({ error }), { status, headers: { "Content-Type": "application/json" } });

afterEach(async () => {
  await i18n.changeLanguage("en");
});

describe("describeError", () => {
  it("keeps the server's English sentence, with or without a reason", () => {
    expect(describeError(new CourierError("forbidden", "You can't message this person.", undefined, "blocked"))).toBe("You can't message this person.");
    expect(describeError(new CourierError("conflict", "A message can be recalled within 120 seconds of sending it; this one is older.", undefined, "recall_expired"))).toBe(
      "A message can be recalled within 120 seconds of sending it; this one is older.",
    );
    expect(describeError(new CourierError("bad_request", "Something odd."))).toBe("Something odd.");
    expect(describeError(new NetworkError())).toBe("You appear to be offline. Try again when you're back.");
  });

  it("says a reason and a bare code in Chinese", async () => {
    await i18n.changeLanguage("zh");
    expect(describeError(new CourierError("unauthorized", "Wrong username or password.", undefined, "wrong_password"))).toBe("用户名或密码错误。");
    expect(describeError(new CourierError("forbidden", "You can't message this person.", undefined, "blocked"))).toBe("你无法给此人发消息。");
    expect(describeError(new CourierError("rate_limited", "Too many sign-ins; try again in 20 s.", 20_000))).toBe("尝试次数过多，请稍后再试。");
    expect(describeError(new NetworkError())).toBe("你似乎已离线，恢复联网后再试。");
  });

  it("reads the reason from an error body; one it doesn't know falls back to the code", async () => {
    const known = await toCourierError(body({ code: "forbidden", message: "The current password is wrong.", reason: "wrong_current_password" }, 403), null);
    expect([known.code, known.reason, known.message]).toEqual(["forbidden", "wrong_current_password", "The current password is wrong."]);
    const unknown = await toCourierError(body({ code: "conflict", message: "Newer.", reason: "from_the_future" }, 409), null);
    expect([unknown.code, unknown.reason]).toEqual(["conflict", undefined]);
    const none = await toCourierError(body({ code: "not_found", message: "No such route." }, 404), null);
    expect(none.reason).toBeUndefined();
    await i18n.changeLanguage("zh");
    expect(describeError(known)).toBe("当前密码不正确。");
    expect(describeError(unknown)).toBe("内容已发生变化，请查看后重试。");
  });
});

describe("the connection's words in plain modules", () => {
  it("follow the app's language", async () => {
    const { expiredMessage } = await import("../sync/outbox-sender.js");
    const { photosGoneMessage } = await import("../sync/photo-upload.js");
    const { transportLabel } = await import("../sync/transport.js");
    const { unsupportedMessageText } = await import("./lenient.js");
    expect([expiredMessage(), photosGoneMessage(), transportLabel("poll"), unsupportedMessageText()]).toEqual([
      "Not sent: it waited too long for a connection.",
      "The photos of this message are no longer on this device.",
      "Long-polling",
      "This message needs a newer version of Courier",
    ]);
    await i18n.changeLanguage("zh");
    expect([expiredMessage(), photosGoneMessage(), transportLabel("poll"), unsupportedMessageText()]).toEqual([
      "未发送：等待网络连接的时间太久了。",
      "这条消息的图片已不在这台设备上。",
      "长轮询",
      "这条消息需要更新版本的 Courier 才能查看",
    ]);
  });
});
