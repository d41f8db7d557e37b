import { useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { Item, Order, UpdateItem } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { storeItem } from "../../db/offers.js";
import { checkPrice, CURRENCY, formatPrice } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { updateItem } from "../offers/api.js";
import { FormDialog } from "../offers/dialogs.js";
import { listingActions, type ListingAction } from "../offers/rules.js";
import { useListingPhotoEditor } from "../photos/listing-photo-editor.js";

const STATUS_OF: Partial<Record<ListingAction, UpdateItem["status"]>> = { reserve: "reserved", unreserve: "listed", relist: "listed" };

/**
 * The seller's controls on their own listing (its card, the item panel):
 * edit, reserve / put back, withdraw (asked first), list again. The change
 * shows at once here and in the conversations about it held on this device.
 */
export function ListingControls({ item, order, onChanged }: { item: Item; order?: Order | null; onChanged?(item: Item): void }) {
  const { t } = useTranslation();
  const { api, db, user } = useSession();
  const [busy, setBusy] = useState<ListingAction | null>(null);
  const [dialog, setDialog] = useState<"edit" | "withdraw" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const actions = listingActions(item, user.id, order);
  if (actions.length === 0) return null;

  const save = async (patch: UpdateItem) => {
    const updated = await updateItem(api, item.id, patch);
    await storeItem(db, updated);
    onChanged?.(updated);
  };

  const setStatus = async (action: ListingAction, status: UpdateItem["status"]) => {
    setBusy(action);
    setError(null);
    try {
      await save({ status });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="listing-controls" role="group" aria-label={t("listings.controls.label", { title: item.title })}>
      {actions.map((action) => {
        const status = STATUS_OF[action];
        return (
          <button
            key={action}
            type="button"
            className={action === "withdraw" ? "secondary small danger-text" : "secondary small"}
            disabled={busy !== null}
            data-testid={`listing-${action}`}
            onClick={() => (status ? void setStatus(action, status) : setDialog(action as "edit" | "withdraw"))}
          >
            {busy === action ? t(`listings.controls.busy.${action}`) : t(`listings.controls.actions.${action}`)}
          </button>
        );
      })}
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
      {dialog === "edit" ? <EditListingDialog item={item} onSave={save} onClose={() => setDialog(null)} /> : null}
      {dialog === "withdraw" ? (
        <FormDialog
          title={t("listings.withdraw.title", { title: item.title })}
          submitLabel={t("listings.withdraw.submit")}
          busyLabel={t("listings.withdraw.busy")}
          danger
          testId="withdraw-dialog"
          onSubmit={async () => {
            await save({ status: "withdrawn" });
            setDialog(null);
          }}
          onClose={() => setDialog(null)}
        >
          <p className="small-text">{t("listings.withdraw.body")}</p>
        </FormDialog>
      ) : null}
    </div>
  );
}

type Problems = { title?: string; price?: string };

/** Title, price and description of a listing; only what changed is sent. */
function EditListingDialog({ item, onSave, onClose }: { item: Item; onSave(patch: UpdateItem): Promise<void>; onClose(): void }) {
  const { t } = useTranslation();
  const [title, setTitle] = useState(item.title);
  const [price, setPrice] = useState((item.priceCents / 100).toFixed(2));
  const [description, setDescription] = useState(item.description);
  const [problems, setProblems] = useState<Problems>({});
  const titleRef = useRef<HTMLInputElement>(null);
  const priceRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const { api } = useSession();
  const photos = useListingPhotoEditor(item);

  const submit = async () => {
    const checked = checkPrice(price);
    const found: Problems = {};
    if (!title.trim()) found.title = t("listings.fields.needTitle");
    if (!checked.ok) found.price = checked.message;
    setProblems(found);
    if (found.title) return (titleRef.current?.focus(), false);
    if (!checked.ok) return (priceRef.current?.focus(), false);
    const patch: UpdateItem = {};
    if (title.trim() !== item.title) patch.title = title.trim();
    if (checked.cents !== item.priceCents) patch.priceCents = checked.cents;
    if (description.trim() !== item.description) patch.description = description.trim();
    const mediaIds = await photos.mediaIds(api);
    if (mediaIds) patch.mediaIds = mediaIds;
    if (Object.keys(patch).length > 0) await onSave(patch);
    onClose();
  };

  return (
    <FormDialog title={t("listings.edit.title")} submitLabel={t("common.save")} busyLabel={t("common.saving")} onSubmit={submit} onClose={onClose} testId="edit-listing-dialog">
      <div className="field">
        <label htmlFor={`${id}-t`}>{t("listings.fields.title")}</label>
        <input
          ref={titleRef}
          id={`${id}-t`}
          autoFocus
          value={title}
          maxLength={120}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={!!problems.title || undefined}
          aria-describedby={problems.title ? `${id}-t-err` : undefined}
        />
        {problems.title ? (
          <p className="field-error" id={`${id}-t-err`} role="alert">
            {problems.title}
          </p>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-p`}>{t("listings.fields.price", { currency: CURRENCY })}</label>
        <input
          ref={priceRef}
          id={`${id}-p`}
          inputMode="decimal"
          value={price}
          onChange={(e) => setPrice(e.target.value)}
          aria-invalid={!!problems.price || undefined}
          aria-describedby={`${id}-p-hint${problems.price ? ` ${id}-p-err` : ""}`}
        />
        <p className="hint small-text muted" id={`${id}-p-hint`}>
          {t("listings.edit.priceHint", { price: formatPrice(item.priceCents) })}
        </p>
        {problems.price ? (
          <p className="field-error" id={`${id}-p-err`} role={problems.title ? undefined : "alert"}>
            {problems.price}
          </p>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-d`}>{t("listings.fields.description")}</label>
        <textarea id={`${id}-d`} rows={4} value={description} maxLength={2000} onChange={(e) => setDescription(e.target.value)} />
      </div>
      {photos.field}
    </FormDialog>
  );
}
