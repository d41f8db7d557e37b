import { useEffect, useState } from "react";
import type { Item, Order } from "../../../shared/protocol/index.js";
import type { StoredSummary as Summary } from "../../db/records.js";
import { describeError } from "../../api/errors.js";
import { withOrder } from "../../db/consumers.js";
import { formatPrice } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { memberName } from "../conversations/summary-text.js";
import { ClampedText } from "../listings/clamped-text.js";
import { itemSeller } from "../listings/seller.js";

const ORDER_TEXT: Record<Order["status"], { buyer: string; seller: string }> = {
  bought: { buyer: "Bought — waiting for the seller to ship", seller: "Sold — please ship the item" },
  shipped: { buyer: "Shipped — confirm when it arrives", seller: "Shipped — waiting for the buyer" },
  received: { buyer: "Received — order complete", seller: "Received — order complete" },
};

/** The listing an item conversation is about, with the order steps each side may take. */
export function ItemPanel({ summary }: { summary: Summary }) {
  const session = useSession();
  const { api, db, user } = session;
  const itemId = summary.conversation.itemId;
  const [fetched, setFetched] = useState<Item | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
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
      <section className="item-panel" aria-label="Listing" data-testid="item-panel">
        {error ? <p className="error">{error}</p> : <p className="muted">Loading listing…</p>}
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
      const next = await run();
      // Show the new step now; the `order` entry from sync confirms it.
      await db.transaction("rw", db.conversations, async () => {
        const current = await db.conversations.get(summary.conversationId);
        const updated = current && withOrder(current, next);
        if (updated) await db.conversations.put(updated);
      });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="item-panel" aria-label="Listing" data-testid="item-panel" data-item-status={item.status} data-order-status={order?.status ?? ""}>
      <div className="item-info">
        <strong className="item-title">{item.title}</strong>
        <span className="item-price">{formatPrice(item.priceCents)}</span>
        <span className={`item-status status-${item.status}`}>{item.status === "listed" ? "Listed" : "Sold"}</span>
      </div>
      <p className="item-seller muted small-text">{isSeller ? "Your listing" : `Seller: ${sellerDisplay}`}</p>
      {item.description ? <ClampedText className="item-description" text={item.description} lines={2} /> : null}
      {order ? (
        <p className="order-status" data-testid="order-status" data-status={order.status}>
          {isSeller ? ORDER_TEXT[order.status].seller : ORDER_TEXT[order.status].buyer}
        </p>
      ) : null}
      <div className="item-actions">
        {!isSeller && !order && item.status === "listed" ? (
          <button type="button" className="primary small" disabled={busy} onClick={() => act(() => api.buy(item.id))}>
            Buy
          </button>
        ) : null}
        {isSeller && order?.status === "bought" ? (
          <button type="button" className="primary small" disabled={busy} onClick={() => act(() => api.advanceOrder(order.id, "shipped"))}>
            Mark shipped
          </button>
        ) : null}
        {!isSeller && order?.status === "shipped" && order.buyerId === user.id ? (
          <button type="button" className="primary small" disabled={busy} onClick={() => act(() => api.advanceOrder(order.id, "received"))}>
            Confirm received
          </button>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
