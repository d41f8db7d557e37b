import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { chooseLanguage, useLanguageChoice } from "../../i18n/index.js";
import { browserLanguage, browserTags, type LanguageChoice } from "../../i18n/language.js";
import type { SessionManager } from "../../session-manager.js";
import {
  checkSignIn,
  checkSignUp,
  explainAuthError,
  firstInvalid,
  normaliseUsername,
  passwordHint,
  passwordProblem,
  usernameProblem,
  type Field,
  type FieldErrors,
} from "./validation.js";

type Mode = "sign-in" | "sign-up";

export function AuthScreen({ manager, notice }: { manager: SessionManager; notice: string | null }) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<Mode>("sign-in");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const refs = { username: useRef<HTMLInputElement>(null), displayName: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };
  const tabs = { "sign-in": useRef<HTMLButtonElement>(null), "sign-up": useRef<HTMLButtonElement>(null) };

  const show = (next: { fields: FieldErrors; form: string | null }) => {
    setFields(next.fields);
    setError(next.form);
    const first = firstInvalid(next.fields);
    if (first) refs[first].current?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = mode === "sign-in" ? checkSignIn(username, password) : { fields: checkSignUp(username, password, displayName), form: null };
    if (checked.form || firstInvalid(checked.fields)) return show(checked);
    setBusy(true);
    setFields({});
    setError(null);
    try {
      const name = normaliseUsername(username);
      if (mode === "sign-in") await manager.signIn(name, password);
      else await manager.signUp(name, password, displayName.trim() || undefined);
    } catch (err) {
      show(explainAuthError(err, mode));
      setBusy(false);
    }
  };

  /** Once a field is marked, its text follows what is typed (and goes when it is right). */
  const recheck = (field: Field, value: string) => {
    if (fields[field] === undefined) return;
    let problem: string | null = null;
    if (mode === "sign-up" && field === "username") problem = usernameProblem(value);
    if (mode === "sign-up" && field === "password") problem = passwordProblem(value, username);
    if (mode === "sign-in" && !value.trim()) problem = "";
    const { [field]: _, ...rest } = fields;
    const next: FieldErrors = problem === null ? rest : { ...rest, [field]: problem };
    setFields(next);
    // "Enter your username and password." goes once both are there.
    if (mode === "sign-in" && Object.keys(next).length === 0) setError(null);
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
    setFields({});
  };

  const signUp = mode === "sign-up";
  const onTabKey = (event: KeyboardEvent) => {
    // Alt+Left is the browser's Back: only the plain keys belong to the tabs.
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const other: Mode = mode === "sign-in" ? "sign-up" : "sign-in";
    // Two tabs: either arrow moves to the other one (wrapping, as the pattern has it).
    const next: Mode | null = event.key === "Home" ? "sign-in" : event.key === "End" ? "sign-up" : event.key === "ArrowLeft" || event.key === "ArrowRight" ? other : null;
    if (!next) return;
    event.preventDefault();
    if (next !== mode) switchTo(next);
    tabs[next].current?.focus();
  };
  // The first marked field's text is the one alert; the others are read with their field.
  const alertField = error ? null : firstInvalid(fields);
  const describedBy = (field: Field, hint: boolean) =>
    [hint ? `${id}-${field}-hint` : null, fields[field] ? `${id}-${field}-error` : null, !fields[field] && fields[field] !== undefined && error ? `${id}-error` : null]
      .filter(Boolean)
      .join(" ") || undefined;
  const fieldError = (field: Field) =>
    fields[field] ? (
      <p className="field-error" id={`${id}-${field}-error`} role={alertField === field ? "alert" : undefined}>
        {fields[field]}
      </p>
    ) : null;

  const errors = { username: fieldError("username"), displayName: fieldError("displayName"), password: fieldError("password") };

  return (
    <main className="auth">
      <div className="auth-card">
        <h1 className="brand-title">
          <span className="brand-mark" aria-hidden="true" />
          {t("common.appName")}
        </h1>
        <p className="muted">{t("auth.tagline")}</p>
        {/* A tab list as ARIA describes it: one tab in the Tab order (the chosen one), the arrow keys move between them. */}
        <div className="segmented" role="tablist" aria-label={t("auth.tabs.label")} onKeyDown={onTabKey}>
          <button type="button" role="tab" id={`${id}-tab-sign-in`} aria-controls={`${id}-panel`} ref={tabs["sign-in"]} aria-selected={mode === "sign-in"} tabIndex={mode === "sign-in" ? 0 : -1} onClick={() => switchTo("sign-in")}>
            {t("auth.tabs.signIn")}
          </button>
          <button type="button" role="tab" id={`${id}-tab-sign-up`} aria-controls={`${id}-panel`} ref={tabs["sign-up"]} aria-selected={signUp} tabIndex={signUp ? 0 : -1} onClick={() => switchTo("sign-up")}>
            {t("auth.tabs.signUp")}
          </button>
        </div>
        {notice && !error ? <p className="notice">{notice}</p> : null}
        <div id={`${id}-panel`} role="tabpanel" aria-labelledby={`${id}-tab-${mode}`}>
          <form onSubmit={submit} className="form" noValidate aria-describedby={error ? `${id}-error` : undefined}>
            <label htmlFor={`${id}-username`}>{t("auth.username")}</label>
            <input
              ref={refs.username}
              id={`${id}-username`}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              value={username}
              onChange={(e) => {
                setUsername(e.target.value);
                recheck("username", e.target.value);
              }}
              aria-invalid={fields.username !== undefined || undefined}
              aria-describedby={describedBy("username", signUp)}
              required
            />
            {signUp ? (
              <p className="hint" id={`${id}-username-hint`}>
                {t("auth.usernameHint")}
              </p>
            ) : null}
            {errors.username}
            {signUp ? (
              <>
                <label htmlFor={`${id}-display`}>{t("auth.displayName")}</label>
                <input
                  ref={refs.displayName}
                  id={`${id}-display`}
                  name="displayName"
                  autoComplete="nickname"
                  value={displayName}
                  onChange={(e) => {
                    setDisplayName(e.target.value);
                    if (fields.displayName !== undefined) setFields(({ displayName: _, ...rest }) => rest);
                  }}
                  aria-invalid={fields.displayName !== undefined || undefined}
                  aria-describedby={describedBy("displayName", false)}
                  maxLength={64}
                />
                {errors.displayName}
              </>
            ) : null}
            <label htmlFor={`${id}-password`}>{t("auth.password")}</label>
            <input
              ref={refs.password}
              id={`${id}-password`}
              name="password"
              type="password"
              autoComplete={signUp ? "new-password" : "current-password"}
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                recheck("password", e.target.value);
              }}
              aria-invalid={fields.password !== undefined || undefined}
              aria-describedby={describedBy("password", signUp)}
              required
            />
            {signUp ? (
              <p className="hint" id={`${id}-password-hint`}>
                {passwordHint()}
              </p>
            ) : null}
            {errors.password}
            {error ? (
              <p className="error" role="alert" id={`${id}-error`}>
                {error}
              </p>
            ) : null}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? t("auth.pleaseWait") : signUp ? t("auth.tabs.signUp") : t("auth.tabs.signIn")}
            </button>
          </form>
        </div>
        <LanguagePicker />
      </div>
    </main>
  );
}

/**
 * The language at the foot of the card, so someone whose browser speaks
 * another language can switch before signing up (Settings → Language has
 * the same choice). Labelled in both languages: whoever needs it can read it.
 */
function LanguagePicker() {
  const { t } = useTranslation();
  const choice = useLanguageChoice();
  return (
    // Inline style: kept quiet (small, muted, centred) without a stylesheet rule of its own.
    <div className="auth-language">
      <select
        className="auth-language-select muted small-text"
        aria-label={t("auth.languageLabel")}
        title={t("auth.languageLabel")}
        value={choice}
        onChange={(e) => chooseLanguage(e.target.value as LanguageChoice)}
      >
        <option value="system">{t("language.system", { language: t(`language.names.${browserLanguage(browserTags())}`) })}</option>
        <option value="en" lang="en">
          {t("language.names.en")}
        </option>
        <option value="zh" lang="zh-CN">
          {t("language.names.zh")}
        </option>
      </select>
    </div>
  );
}
