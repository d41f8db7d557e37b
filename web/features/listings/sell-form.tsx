import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { describeError } from "../../api/errors.js";
import { BackIcon } from "../../lib/icons.js";
import { checkPrice, CURRENCY } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { uploadListingPhotos } from "../photos/listing-photos.js";
import { usePhotoAttachments } from "../photos/photo-attachments.js";
import { showToast } from "../shell/toasts.js";

type Problems = { title?: string; price?: string };

export function SellForm() {
  const { t } = useTranslation();
  const { api } = useSession();
  const navigate = useUi((s) => s.navigate);
  const id = useId();
  const [title, setTitle] = useState("");
  const [price, setPrice] = useState("");
  const [description, setDescription] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [uploading, setUploading] = useState<string | null>(null);
  const photos = usePhotoAttachments({ disabled: busy, label: t("listings.sell.addPhotos") });
  const titleRef = useRef<HTMLInputElement>(null);
  const priceRef = useRef<HTMLInputElement>(null);
  // Leaving with something typed or attached asks first: the form keeps no draft.
  const [leaving, setLeaving] = useState(false);
  const typed = !!(title.trim() || price.trim() || description.trim() || photos.count > 0);
  // While it is being listed, the form stays (what it sends can't be taken back half-way).
  const leave = () => (busy ? undefined : typed ? setLeaving(true) : navigate({ name: "listings" }));
  // Left meanwhile (the header's Chats, the browser's Back): the listing still goes up, the person is not pulled back.
  const shown = useRef(true);
  useEffect(() => {
    shown.current = true;
    return () => {
      shown.current = false;
    };
  }, []);
  const onKeyDown = (event: KeyboardEvent) => {
    // Escape while an input method composes (pinyin) cancels the composition, nothing more.
    if (event.key !== "Escape" || event.defaultPrevented || event.nativeEvent.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    if (leaving) {
      setLeaving(false);
      titleRef.current?.focus();
    } else leave();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkPrice(price);
    const found: Problems = {};
    if (!title.trim()) found.title = t("listings.fields.needTitle");
    if (!checked.ok) found.price = checked.message;
    setProblems(found);
    setError(null);
    if (found.title) return titleRef.current?.focus();
    if (!checked.ok) return priceRef.current?.focus();
    setBusy(true);
    try {
      // Photos first (each upload answers its id), then the listing with them.
      const mediaIds = await uploadListingPhotos(api, photos.peek(), setUploading);
      await api.createItem({ title: title.trim(), priceCents: checked.cents, description: description.trim() || undefined, ...(mediaIds.length ? { mediaIds } : {}) });
      if (shown.current) navigate({ name: "listings" });
      showToast(t("listings.sell.listed", { title: title.trim() }), "info");
    } catch (err) {
      if (!shown.current) return showToast(describeError(err));
      setError(describeError(err));
      setBusy(false);
    } finally {
      setUploading(null);
    }
  };

  // The first problem is the one alert; the other is read with its field.
  const alertOn = problems.title ? "title" : problems.price ? "price" : null;

  return (
    <section className="page" aria-labelledby={`${id}-title`} onKeyDown={onKeyDown}>
      <div className="page-header">
        <button type="button" className="icon back" aria-label={t("listings.sell.cancel")} onClick={leave}>
          <BackIcon />
        </button>
        <h2 id={`${id}-title`}>{t("listings.sell.title")}</h2>
      </div>
      {leaving ? (
        <div className="notice-banner" role="alertdialog" aria-labelledby={`${id}-discard`} data-testid="discard-listing">
          <p id={`${id}-discard`}>{t("listings.sell.discardQuestion")}</p>
          <div className="notice-actions">
            <button type="button" className="danger small" onClick={() => navigate({ name: "listings" })}>
              {t("listings.sell.discard")}
            </button>
            <button
              type="button"
              className="secondary small"
              autoFocus
              onClick={() => {
                setLeaving(false);
                titleRef.current?.focus();
              }}
            >
              {t("listings.sell.keepEditing")}
            </button>
          </div>
        </div>
      ) : null}
      <form className="form pad narrow-form" onSubmit={submit} noValidate>
        <label htmlFor={`${id}-t`}>{t("listings.fields.title")}</label>
        <input
          ref={titleRef}
          // The page is for this: the keyboard starts here (the button that opened it is gone).
          autoFocus
          id={`${id}-t`}
          value={title}
          onChange={(e) => {
            setTitle(e.target.value);
            if (problems.title && e.target.value.trim()) setProblems(({ title: _, ...rest }) => rest);
          }}
          maxLength={120}
          aria-invalid={!!problems.title || undefined}
          aria-describedby={problems.title ? `${id}-t-error` : undefined}
          required
        />
        {problems.title ? (
          <p className="field-error" id={`${id}-t-error`} role={alertOn === "title" ? "alert" : undefined}>
            {problems.title}
          </p>
        ) : null}
        <label htmlFor={`${id}-p`}>{t("listings.fields.price", { currency: CURRENCY })}</label>
        <input
          ref={priceRef}
          id={`${id}-p`}
          inputMode="decimal"
          placeholder={t("listings.fields.pricePlaceholder")}
          value={price}
          onChange={(e) => {
            setPrice(e.target.value);
            if (problems.price) {
              const checked = checkPrice(e.target.value);
              setProblems(({ price: _, ...rest }) => (checked.ok ? rest : { ...rest, price: checked.message }));
            }
          }}
          aria-invalid={!!problems.price || undefined}
          aria-describedby={`${id}-p-hint${problems.price ? ` ${id}-p-error` : ""}`}
          required
        />
        <p className="hint" id={`${id}-p-hint`}>
          {t("listings.sell.giveAway")}
        </p>
        {problems.price ? (
          <p className="field-error" id={`${id}-p-error`} role={alertOn === "price" ? "alert" : undefined}>
            {problems.price}
          </p>
        ) : null}
        <label htmlFor={`${id}-d`}>{t("listings.fields.description")}</label>
        <textarea id={`${id}-d`} rows={4} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        <div className="sell-photos" {...photos.formHandlers}>
          <div className="sell-photos-row">
            {photos.button}
            <span className="hint">{t("listings.sell.photosHint")}</span>
          </div>
          {photos.tray}
          {photos.alert}
        </div>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {uploading ?? (busy ? t("listings.sell.busy") : t("listings.sell.submit"))}
        </button>
      </form>
    </section>
  );
}
