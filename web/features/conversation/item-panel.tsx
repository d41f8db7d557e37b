import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { type Item, itemState, type Order } from "../../../shared/protocol/index.js";
import type { StoredSummary as Summary } from "../../db/records.js";
import { describeError } from "../../api/errors.js";
import { storeOrder } from "../../db/offers.js";
import { formatPrice } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { memberName } from "../conversations/summary-text.js";
import { ClampedText } from "../listings/clamped-text.js";
import { ListingControls } from "../listings/listing-controls.js";
import { itemSeller } from "../listings/seller.js";
import { PhotoGrid } from "../photos/photo-grid.js";
import { BuyDialog, CancelOrderDialog, MakeOfferDialog } from "../offers/order-dialogs.js";
import { cancelRule, isActiveOrder, itemStatusText, openOfferOf, orderStatusText } from "../offers/rules.js";
import { useConversationOffers } from "../offers/use-offers.js";

/** The listing an item conversation is about, with the order steps each side may take. */
export function ItemPanel({ summary }: { summary: Summary }) {
  const { t } = useTranslation();
  const session = useSession();
  const { api, db, user } = session;
  const itemId = summary.conversation.itemId;
  const [fetched, setFetched] = useState<Item | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<"buy" | "offer" | "cancel" | null>(null);
  const panelId = useId();
  const offers = useConversationOffers(summary.conversationId);
  const item = summary.item ?? fetched;

  useEffect(() => {
    // Older servers leave the listing out of the summary: fetch it once.
    if (summary.item || !itemId) return;
    let cancelled = false;
    api.getItem(itemId).then(
      (it) => !cancelled && setFetched(it),
      (err) => !cancelled && setError(describeError(err)),
    );
    return () => {
      cancelled = true;
    };
  }, [api, itemId, summary.item]);

  if (!item) {
    return (
      <section className="item-panel" aria-label={t("item.label")} data-testid="item-panel">
        {error ? <p className="error">{error}</p> : <p className="muted">{t("item.loading")}</p>}
      </section>
    );
  }

  const order = summary.order ?? null;
  const isSeller = item.sellerId === user.id;
  // The item's own `seller` (newer servers), else the member of this conversation who sells it.
  const known = itemSeller(item);
  const sellerDisplay = known ? known.displayName || known.username : memberName(summary, item.sellerId);
  const act = async (run: () => Promise<Order>) => {
    setBusy(true);
    setError(null);
    try {
      // Show the new step now; the `order` entry from sync confirms it.
      await storeOrder(db, await run());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const active = isActiveOrder(order) ? order : null;
  const names = { buyer: order ? memberName(summary, order.buyerId) : "", seller: sellerDisplay };
  const myOpenOffer = isSeller ? undefined : openOfferOf(offers ?? [], user.id);
  const state = itemState(item);
  const mayBuy = !isSeller && !active && state === "listed";
  // A reserved listing can't be bought, but the seller may still take an offer on it.
  const mayOffer = !isSeller && !active && (state === "listed" || state === "reserved");
  const mayCancel = active ? cancelRule(active, user.id).may : false;

  return (
    <section className="item-panel" aria-label={t("item.label")} data-testid="item-panel" data-item-status={state} data-order-status={order?.status ?? ""}>
      <div className="item-info">
        <strong className="item-title">{item.title}</strong>
        {/* Bought here, at an offer's price maybe: that price, not the listing's, beside "Sold". */}
        <span className="item-price" data-testid="item-price">
          {formatPrice((order?.status !== "cancelled" ? order?.priceCents : undefined) ?? item.priceCents)}
        </span>
        <span className={`item-status status-${state}`}>{itemStatusText(state)}</span>
      </div>
      <p className="item-seller muted small-text">{isSeller ? t("item.yours") : t("item.seller", { name: sellerDisplay })}</p>
      {item.description ? <ClampedText className="item-description" text={item.description} lines={2} /> : null}
      {item.photos?.length ? <div className="item-photos"><PhotoGrid media={item.photos} from={sellerDisplay} label={t("item.photoOf", { title: item.title })} testId="item-photos" /></div> : null}
      {order ? (
        <p className="order-status" data-testid="order-status" data-status={order.status}>
          {orderStatusText(order, user.id, names)}
        </p>
      ) : null}
      {myOpenOffer ? (
        <p className="muted small-text" id={`${panelId}-open-offer`} data-testid="open-offer-note">
          {myOpenOffer.by === user.id
            ? t("item.yourOfferWaiting", { price: formatPrice(myOpenOffer.priceCents) })
            : t("item.sellerOffered", { price: formatPrice(myOpenOffer.priceCents) })}
        </p>
      ) : null}
      <div className="item-actions">
        {mayBuy ? (
          <button type="button" className="primary small" disabled={busy} onClick={() => setDialog("buy")}>
            {t("item.buy")}
          </button>
        ) : null}
        {mayOffer ? (
          // Waiting on my open offer, it says so and stays focusable (aria-disabled, not disabled): focus comes
          // back to it from the offer dialog, and a disabled button would drop it to the page.
          <button
            type="button"
            className="secondary small"
            disabled={busy}
            aria-disabled={myOpenOffer ? true : undefined}
            aria-describedby={myOpenOffer ? `${panelId}-open-offer` : undefined}
            onClick={() => (myOpenOffer ? undefined : setDialog("offer"))}
          >
            {t("item.makeOffer")}
          </button>
        ) : null}
        {isSeller && order?.status === "bought" ? (
          <button type="button" className="primary small" disabled={busy} onClick={() => act(() => api.advanceOrder(order.id, "shipped"))}>
            {t("item.markShipped")}
          </button>
        ) : null}
        {!isSeller && order?.status === "shipped" && order.buyerId === user.id ? (
          <button type="button" className="primary small" disabled={busy} onClick={() => act(() => api.advanceOrder(order.id, "received"))}>
            {t("item.confirmReceived")}
          </button>
        ) : null}
        {mayCancel ? (
          <button type="button" className="secondary small" disabled={busy} onClick={() => setDialog("cancel")}>
            {t("item.cancelOrder")}
          </button>
        ) : null}
      </div>
      {isSeller ? <ListingControls item={item} order={order} onChanged={setFetched} /> : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {dialog === "buy" ? <BuyDialog item={item} onClose={() => setDialog(null)} /> : null}
      {dialog === "offer" ? <MakeOfferDialog item={item} onClose={() => setDialog(null)} /> : null}
      {dialog === "cancel" && active ? <CancelOrderDialog order={active} onClose={() => setDialog(null)} /> : null}
    </section>
  );
}
