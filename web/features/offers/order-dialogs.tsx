import { useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { CANCEL_REASON_MAX, CourierError, type Item, itemState, type Order } from "../../../shared/protocol/index.js";
import { storeItem, storeOffers, storeOrder } from "../../db/offers.js";
import { formatPrice } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { buyAt, cancelOrder, makeOffer } from "./api.js";
import { FormDialog, PriceDialog } from "./dialogs.js";
import { cancelRule } from "./rules.js";

/**
 * "Buy" asks first, with the price; the request carries that price, so a
 * listing whose price changed meanwhile is refused (409): the dialog then
 * says so, shows the new price, and a second confirmation buys at it.
 */
export function BuyDialog({ item, onClose }: { item: Item; onClose(): void }) {
  const { t } = useTranslation();
  const { api, db } = useSession();
  const [price, setPrice] = useState(item.priceCents);
  const [changed, setChanged] = useState(false);

  const buy = async () => {
    try {
      await storeOrder(db, await buyAt(api, item.id, price));
      onClose();
    } catch (error) {
      if (!(error instanceof CourierError) || error.code !== "conflict") throw error;
      // Why: read the listing as it is now.
      const now = await api.getItem(item.id).catch(() => null);
      if (now) await storeItem(db, now);
      if (now && itemState(now) === "listed" && now.priceCents !== price) {
        setPrice(now.priceCents);
        setChanged(true);
        throw new Error(t("offers.buy.priceChanged", { price: formatPrice(now.priceCents) }), { cause: error });
      }
      if (now && itemState(now) === "sold") throw new Error(t("offers.buy.boughtFirst"), { cause: error });
      throw error;
    }
  };

  return (
    <FormDialog
      title={t("offers.buy.title", { title: item.title, price: formatPrice(price) })}
      submitLabel={changed ? t("offers.buy.submitAt", { price: formatPrice(price) }) : t("offers.buy.submit")}
      busyLabel={t("offers.buy.busy")}
      onSubmit={buy}
      onClose={onClose}
      testId="buy-dialog"
    >
      <p className="small-text">
        {changed ? t("offers.buy.checkNewPrice") : t("offers.buy.body")}
      </p>
    </FormDialog>
  );
}

/** An offer on a listing: the buyer's price, shown to the seller in the chat. */
export function MakeOfferDialog({ item, onClose }: { item: Item; onClose(): void }) {
  const { t } = useTranslation();
  const { api, db } = useSession();
  return (
    <PriceDialog
      title={t("offers.makeOffer.title", { title: item.title })}
      hint={t("offers.makeOffer.hint", { price: formatPrice(item.priceCents) })}
      submitLabel={t("offers.makeOffer.submit")}
      testId="offer-dialog"
      onPrice={async (cents) => {
        await storeOffers(db, [await makeOffer(api, item.id, cents)]);
        onClose();
      }}
      onClose={onClose}
    />
  );
}

/** Cancel before it ships: the seller must say why (the buyer reads it in the chat), the buyer may. */
export function CancelOrderDialog({ order, onClose }: { order: Order; onClose(): void }) {
  const { t } = useTranslation();
  const { api, db, user } = useSession();
  const { reasonRequired } = cancelRule(order, user.id);
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  const cancel = async () => {
    const text = reason.trim();
    if (reasonRequired && !text) {
      setProblem(t("offers.cancel.needReason"));
      field.current?.focus();
      return false;
    }
    await storeOrder(db, await cancelOrder(api, order.id, text || undefined));
    onClose();
  };

  return (
    <FormDialog
      title={t("offers.cancel.title")}
      submitLabel={t("offers.cancel.submit")}
      busyLabel={t("offers.cancel.busy")}
      closeLabel={t("offers.cancel.keep")}
      danger onSubmit={cancel} onClose={onClose} testId="cancel-order-dialog">
      <label className="field" htmlFor={`${id}-r`}>
        <span>{reasonRequired ? t("offers.cancel.reasonRequired") : t("offers.cancel.reasonOptional")}</span>
      </label>
      <textarea
        ref={field}
        id={`${id}-r`}
        rows={3}
        autoFocus
        maxLength={CANCEL_REASON_MAX}
        value={reason}
        onChange={(e) => {
          setReason(e.target.value);
          if (e.target.value.trim()) setProblem(null);
        }}
        aria-invalid={problem !== null || undefined}
        aria-describedby={problem ? `${id}-err` : undefined}
      />
      {problem ? (
        <p className="field-error" id={`${id}-err`} role="alert">
          {problem}
        </p>
      ) : null}
      <p className="small-text muted">{t("offers.cancel.backOnSale")}</p>
    </FormDialog>
  );
}
