import { describe, expect, it } from "vitest";
import { CourierError } from "../../../shared/protocol/index.js";
import { NetworkError } from "../../api/errors.js";
import { i18n } from "../../i18n/index.js";
import { checkSignIn, checkSignUp, explainAuthError, firstInvalid, passwordHint, passwordProblem, signInEmpty, usernameProblem } from "./validation.js";

describe("sign-in checks", () => {
  it("asks for both fields in one sentence", () => {
    expect(checkSignIn("", "")).toEqual({ fields: { username: "", password: "" }, form: signInEmpty() });
    expect(checkSignIn("  ", "pw")).toEqual({ fields: { username: "" }, form: signInEmpty() });
    expect(checkSignIn("bob", "")).toEqual({ fields: { password: "" }, form: signInEmpty() });
    expect(checkSignIn("bob", "pw")).toEqual({ fields: {}, form: null });
    expect(signInEmpty()).toBe("Enter your username and password.");
  });
});

describe("sign-up checks", () => {
  it.each([
    ["bob", null],
    ["Bob_99", null],
    ["", /Choose a username/],
    ["ab", /at least 3/],
    ["a".repeat(33), /at most 32/],
    ["Bad Name!", /Usernames can only use/],
    ["bøb", /Usernames can only use/],
  ])("username %j", (name, expected) => {
    const problem = usernameProblem(name);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it.each([
    ["correct horse", null],
    ["", /Choose a password/],
    ["short", /at least 10/],
    ["  123456789  ", /at least 10/],
    ["x".repeat(201), /at most 200/],
    ["          ", /only spaces/],
    ["\u200B".repeat(10), /invisible/],
    ["Bob_Builder", /same as the username/],
    ["bob_builder99", /contain the username, forwards or backwards/],
    ["redliub_bob", /contain the username, forwards or backwards/],
    ["courier123", /site's name, Courier/],
    ["aaaaaaaaaa", /at least 5 different characters/],
    ["abc123abc123", /mostly a piece repeated/],
    ["1234567890", /keys in a row/],
    ["qwertyuiop", /keys in a row/],
    ["\u2800".repeat(10), /only spaces or invisible/],
    ["\u0301".repeat(10), /combining marks/],
  ])("password %j (username bob_builder)", (pw, expected) => {
    const problem = passwordProblem(pw, "bob_builder");
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it("tells the rule under the field", () => {
    expect(passwordHint()).toBe("At least 10 characters, not your username, not a pattern like 12345 or abcabc, and not a commonly used password");
  });

  it("checks a display name only when one is typed", () => {
    expect(checkSignUp("bob", "correct horse", "")).toEqual({});
    expect(checkSignUp("bob", "correct horse", "\u200B\u200B").displayName).toBe("Display name is empty: it has only spaces or invisible characters.");
    expect(checkSignUp("bob", "correct horse", "\u2800").displayName).toBe("Display name is empty: it has only spaces or invisible characters.");
    expect(checkSignUp("bob", "correct horse", "\u202Enimda").displayName).toMatch(/^Display name contains a text-direction control \(U\+202E\)/);
    expect(checkSignUp("bob", "correct horse", "שלום")).toEqual({});
  });

  it("reports every field at once, first one first", () => {
    const fields = checkSignUp("Bad Name!", "short", "");
    expect(Object.keys(fields)).toEqual(["username", "password"]);
    expect(firstInvalid(fields)).toBe("username");
    expect(firstInvalid(checkSignUp("bob", "short", ""))).toBe("password");
    expect(firstInvalid(checkSignUp("bob", "correct horse", "x".repeat(65)))).toBe("displayName");
    expect(firstInvalid(checkSignUp("bob", "correct horse", "Bob"))).toBeNull();
    expect(checkSignUp("bob_builder", "BOB_BUILDER", "").password).toBe("A password can't be the same as the username.");
  });
});

describe("server answers", () => {
  it("puts a taken username next to the field", () => {
    expect(explainAuthError(CourierError.conflict("That username is taken."), "sign-up")).toEqual({
      fields: { username: "That username is taken. Try another one." },
      form: null,
    });
  });

  it("never shows zod wording", () => {
    const raw = CourierError.badRequest("Invalid username: Too small: expected string to have >=1 characters");
    expect(explainAuthError(raw, "sign-in")).toEqual({ fields: {}, form: "Wrong username or password." });
    expect(explainAuthError(raw, "sign-up").fields.username).toMatch(/^Usernames/);
    expect(explainAuthError(CourierError.badRequest("Invalid password: too long"), "sign-up").fields.password).toMatch(/^Passwords/);
    expect(explainAuthError(CourierError.badRequest("Invalid body: Too small: expected string"), "sign-up").form).toBe("Check what you typed and try again.");
  });

  it("keeps a newer server's own sentences, next to the field", () => {
    expect(explainAuthError(CourierError.badRequest("A password can't be the same as the username."), "sign-up").fields).toEqual({
      password: "A password can't be the same as the username.",
    });
    expect(explainAuthError(CourierError.badRequest("That password is too commonly used."), "sign-up").fields.password).toBe("That password is too commonly used.");
    expect(explainAuthError(CourierError.badRequest("A password can't be only spaces."), "sign-up")).toEqual({
      fields: { password: "A password can't be only spaces." },
      form: null,
    });
    expect(explainAuthError(CourierError.badRequest("Usernames are 3–32 characters: lowercase letters a–z, digits and _."), "sign-up").fields.username).toBe(
      "Usernames are 3–32 characters: lowercase letters a–z, digits and _.",
    );
  });

  it("passes other answers through", () => {
    expect(explainAuthError(CourierError.unauthorized("Wrong username or password."), "sign-in").form).toBe("Wrong username or password.");
    expect(explainAuthError(new NetworkError(), "sign-in").form).toMatch(/offline/);
    expect(explainAuthError(new CourierError("rate_limited", "Too many sign-ins. Wait a minute."), "sign-in").form).toBe("Too many sign-ins. Wait a minute.");
  });
});

describe("in Chinese", () => {
  it("says every check, the shared rules' sentences and the server's answers in Chinese", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(checkSignIn("", "").form).toBe("请输入用户名和密码。");
      expect(passwordHint()).toBe("至少 10 个字符，不能是你的用户名，不能是 12345、abcabc 这类规律组合，也不能是常用密码");
      expect(usernameProblem("ab")).toBe("用户名至少需要 3 个字符。");
      expect(passwordProblem("short", "bob_builder")).toBe("密码至少需要 10 个字符（首尾的空格不算）。");
      expect(passwordProblem("courier123", "bob")).toBe("密码不能包含网站名称 Courier。");
      expect(passwordProblem("bob_builder99", "bob_builder")).toBe("密码不能包含用户名（正着倒着都不行）。");
      expect(checkSignUp("bob", "correct horse", "\u200B\u200B").displayName).toBe("昵称为空：只有空格或不可见字符。");
      expect(checkSignUp("bob", "correct horse", "\u202Enimda").displayName).toBe(
        "昵称包含文字方向控制符（U+202E），可能让它看起来像别的内容；名称和标题里不能有。",
      );
      expect(explainAuthError(CourierError.unauthorized("Wrong username or password."), "sign-in").form).toBe("用户名或密码错误。");
      expect(explainAuthError(CourierError.conflict("That username is taken."), "sign-up").fields.username).toBe("这个用户名已被占用，换一个试试。");
      expect(explainAuthError(CourierError.badRequest("A password can't be the same as the username."), "sign-up").fields.password).toBe("密码不能和用户名相同。");
      expect(explainAuthError(CourierError.badRequest("A password is not one we know the words for."), "sign-up").fields.password).toBe("密码需要 10–200 个字符。");
      expect(explainAuthError(CourierError.badRequest("Invalid body: Too small: expected string"), "sign-up").form).toBe("请检查输入的内容后再试一次。");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
