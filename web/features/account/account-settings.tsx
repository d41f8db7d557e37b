import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { DISPLAY_NAME_MAX, type Device, passwordProblem, updateMeSchema } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { language } from "../../i18n/index.js";
import { ruleText } from "../auth/validation.js";
import { useSession } from "../../session.js";
import { SmallDialog } from "../conversations/organise-dialogs.js";
import { presenceText } from "../presence/last-seen.js";
import { SignOutButton } from "./sign-out-button.js";
import { chooseTheme, type ThemeChoice, useTheme } from "./theme.js";
import { describeUserAgent } from "./user-agent.js";

/** Settings → Account (issue 17): name, password, devices, theme, and signing out here. */
export function AccountSettings() {
  const { t } = useTranslation();
  const { user } = useSession();
  return (
    <section className="settings-section account-settings" aria-labelledby="settings-account">
      <h3 id="settings-account">{t("account.heading")}</h3>
      <p>
        <strong data-testid="account-name">{user.displayName}</strong> <span className="muted">{`@${user.username}`}</span>
      </p>
      <DisplayNameForm />
      <PasswordForm />
      <DeviceList />
      <ThemeChoiceField />
      <SignOutButton className="secondary small" />
    </section>
  );
}

type StatusLine = { error: boolean; text: string } | null;

/** A form's submit: busy while it runs, then a line saying how it went (a refusal before sending is said the same way). */
function useFormAction() {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<StatusLine>(null);
  const refuse = (text: string) => setStatus({ error: true, text });
  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setStatus(null);
    try {
      setStatus({ error: false, text: await action() });
    } catch (err) {
      setStatus({ error: true, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, status, setStatus, refuse, run };
}

function DisplayNameForm() {
  const { t } = useTranslation();
  const { api, user, renamed } = useSession();
  const [name, setName] = useState(user.displayName);
  const { busy, status, setStatus, refuse, run } = useFormAction();
  const id = useId();
  // A rename on another device reaches this one at the next check: show the server's name when this opens.
  useEffect(() => {
    let live = true;
    api.me().then(
      (fresh) => {
        if (live && fresh.id === user.id && fresh.displayName !== user.displayName) renamed(fresh);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
    // Once, when Settings opens.
  }, []);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const parsed = updateMeSchema.safeParse({ displayName: name });
    if (!parsed.success) {
      const message = parsed.error.issues[0]?.message;
      // The shared text rule says what is wrong without the field's name ("is required."): another language gets the whole sentence.
      const translated = message === undefined ? null : language() === "en" ? message : ruleText(message, "Display name ");
      return refuse(translated ?? t("account.displayName.cantUse"));
    }
    await run(async () => {
      const fresh = await api.updateMe(parsed.data);
      renamed(fresh);
      setName(fresh.displayName);
      return t("account.displayName.saved");
    });
  };
  return (
    <form className="account-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>{t("account.displayName.heading")}</h4>
      <label className="field">
        <span>{t("account.displayName.label")}</span>
        <input
          value={name}
          maxLength={DISPLAY_NAME_MAX * 2}
          autoComplete="name"
          data-testid="display-name-input"
          onChange={(e) => {
            setName(e.target.value);
            setStatus(null);
          }}
        />
      </label>
      <div className="account-actions">
        <button type="submit" className="primary small" aria-busy={busy} disabled={name.trim() === user.displayName}>
          {busy ? t("common.saving") : t("account.displayName.save")}
        </button>
      </div>
      <Status status={status} />
    </form>
  );
}

function PasswordForm() {
  const { t } = useTranslation();
  const { api, user } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { busy, status, refuse, run } = useFormAction();
  const id = useId();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!current) return refuse(t("account.password.typeCurrent"));
    const problem = passwordProblem(next, user.username);
    if (problem) return refuse(ruleText(problem) ?? problem);
    await run(async () => {
      await api.changePassword({ currentPassword: current, newPassword: next });
      setCurrent("");
      setNext("");
      return t("account.password.changed");
    });
  };
  return (
    <form className="account-form" onSubmit={save} noValidate aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>{t("account.password.heading")}</h4>
      {/* Password managers look for the username next to a new password. */}
      <input type="text" name="username" autoComplete="username" value={user.username} readOnly hidden />
      <label className="field">
        <span>{t("account.password.current")}</span>
        <input type="password" autoComplete="current-password" value={current} data-testid="current-password" onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label className="field">
        <span>{t("account.password.new")}</span>
        <input type="password" autoComplete="new-password" value={next} data-testid="new-password" onChange={(e) => setNext(e.target.value)} />
      </label>
      <p className="muted small-text">{t("account.password.note")}</p>
      <div className="account-actions">
        <button type="submit" className="primary small" aria-busy={busy}>
          {busy ? t("account.password.changing") : t("account.password.change")}
        </button>
      </div>
      <Status status={status} />
    </form>
  );
}

function Status({ status }: { status: StatusLine }) {
  if (!status) return null;
  return status.error ? (
    <p className="error small-text" role="alert">
      {status.text}
    </p>
  ) : (
    <p className="ok small-text" role="status">
      {status.text}
    </p>
  );
}

type Confirming = { kind: "one"; device: Device } | { kind: "others" };

function DeviceList() {
  const { t } = useTranslation();
  const { api, deviceId } = useSession();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setError(null);
      setDevices(await api.listDevices());
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);
  const others = (devices ?? []).filter((d) => d.id !== deviceId);
  const signOut = async () => {
    if (!confirming || busy) return;
    setBusy(true);
    setDialogError(null);
    try {
      const targets = confirming.kind === "one" ? [confirming.device] : others;
      // One at a time; a device already gone (404) is what was wanted.
      for (const d of targets) {
        try {
          await api.removeDevice(d.id);
        } catch (err) {
          if ((err as { code?: string }).code !== "not_found") throw err;
        }
      }
      setConfirming(null);
    } catch (err) {
      setDialogError(describeError(err));
    } finally {
      setBusy(false);
      void load();
    }
  };
  const now = Date.now();
  const ordered = devices ? [...devices].sort((a, b) => Number(b.id === deviceId) - Number(a.id === deviceId) || b.lastSeen - a.lastSeen) : [];
  return (
    <div className="account-devices">
      <h4 id="account-devices-title">{t("account.devices.heading")}</h4>
      {devices === null && !error ? <p className="muted">{t("account.devices.loading")}</p> : null}
      {error ? (
        <p className="error small-text" role="alert">
          <span>{t("account.devices.loadFailed")}</span> <span>{error}</span>{" "}
          <button type="button" className="link" onClick={() => void load()}>
            {t("common.tryAgain")}
          </button>
        </p>
      ) : null}
      {devices !== null && devices.length === 0 ? <p className="muted">{t("account.devices.none")}</p> : null}
      {ordered.length > 0 ? (
        <ul className="device-list" aria-labelledby="account-devices-title" data-testid="device-list">
          {ordered.map((d) => (
            <li key={d.id} className="device-row" data-testid="device-row" data-device-id={d.id}>
              <div className="device-text">
                <span className="device-name">{describeUserAgent(d.userAgent)}</span>
                {d.id === deviceId ? <span className="device-badge">{t("account.devices.thisDevice")}</span> : null}
                {/* This device is here now; the list may have been read before its link said hello. */}
                {d.id !== deviceId ? (
                  <span className="muted small-text">{d.online ? t("account.devices.onlineNow") : presenceText({ online: false, lastSeenAt: d.lastSeen }, now)}</span>
                ) : null}
                {d.push ? <span className="muted small-text">{t("account.devices.notificationsOn")}</span> : null}
              </div>
              {d.id !== deviceId ? (
                <button type="button" className="secondary small" onClick={() => setConfirming({ kind: "one", device: d })}>
                  {t("account.devices.signOut")}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {others.length > 1 ? (
        <button type="button" className="secondary small" onClick={() => setConfirming({ kind: "others" })}>
          {t("account.devices.signOutOthers")}
        </button>
      ) : null}
      {confirming ? (
        <SmallDialog
          title={confirming.kind === "one" ? t("account.devices.confirmOne") : t("account.devices.confirmOthers")}
          submit={t("account.devices.signOut")}
          busy={busy}
          error={dialogError}
          testId="device-sign-out-dialog"
          onSubmit={() => void signOut()}
          onClose={() => {
            setConfirming(null);
            setDialogError(null);
          }}
        >
          <p>
            {confirming.kind === "one"
              ? t("account.devices.explainOne", { device: describeUserAgent(confirming.device.userAgent) })
              : t("account.devices.explainOthers")}
          </p>
        </SmallDialog>
      ) : null}
    </div>
  );
}

const THEMES: readonly ThemeChoice[] = ["system", "light", "dark"];

function ThemeChoiceField() {
  const { t } = useTranslation();
  const theme = useTheme();
  return (
    <fieldset className="choice-group">
      <legend>{t("account.theme.legend")}</legend>
      {THEMES.map((value) => (
        <label key={value} className="choice-option">
          <input type="radio" name="courier-theme" value={value} checked={theme === value} onChange={() => chooseTheme(value)} />
          <span>{t(`account.theme.${value}`)}</span>
        </label>
      ))}
    </fieldset>
  );
}
