import { describe, expect, it } from "vitest";
import { CourierError } from "../../../shared/protocol/index.js";
import { NetworkError } from "../../api/errors.js";
import { checkSignIn, checkSignUp, explainAuthError, firstInvalid, passwordProblem, SIGN_IN_EMPTY, usernameProblem } from "./validation.js";

describe("sign-in checks", () => {
  it("asks for both fields in one sentence", () => {
    expect(checkSignIn("", "")).toEqual({ fields: { username: "", password: "" }, form: SIGN_IN_EMPTY });
    expect(checkSignIn("  ", "pw")).toEqual({ fields: { username: "" }, form: SIGN_IN_EMPTY });
    expect(checkSignIn("bob", "")).toEqual({ fields: { password: "" }, form: SIGN_IN_EMPTY });
    expect(checkSignIn("bob", "pw")).toEqual({ fields: {}, form: null });
    expect(SIGN_IN_EMPTY).toBe("Enter your username and password.");
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
    ["password123", null],
    ["", /Choose a password/],
    ["short", /at least 8/],
    ["x".repeat(201), /at most 200/],
    ["          ", /only spaces/],
  ])("password %j", (pw, expected) => {
    const problem = passwordProblem(pw);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it("reports every field at once, first one first", () => {
    const fields = checkSignUp("Bad Name!", "short", "");
    expect(Object.keys(fields)).toEqual(["username", "password"]);
    expect(firstInvalid(fields)).toBe("username");
    expect(firstInvalid(checkSignUp("bob", "short", ""))).toBe("password");
    expect(firstInvalid(checkSignUp("bob", "password123", "x".repeat(65)))).toBe("displayName");
    expect(firstInvalid(checkSignUp("bob", "password123", "Bob"))).toBeNull();
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
