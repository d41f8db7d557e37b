import { useCallback, useEffect, useState } from "react";
import type { Item } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { formatPrice } from "../../lib/money.js";
import { BackIcon } from "../../lib/icons.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";

type Load = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; items: Item[] };

/** Listings come from the server each time: they are not part of anyone's sync stream. */
export function ListingsView() {
  const { api } = useSession();
  const navigate = useUi((s) => s.navigate);
  const [load, setLoad] = useState<Load>({ state: "loading" });

  const refresh = useCallback(() => {
    let cancelled = false;
    api.listItems().then(
      (items) => !cancelled && setLoad({ state: "ready", items: [...items].sort((a, b) => b.at - a.at) }),
      (error) => !cancelled && setLoad({ state: "error", message: describeError(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  useEffect(() => refresh(), [refresh]);

  return (
    <section className="page" aria-labelledby="listings-title">
      <div className="page-header">
        <button type="button" className="icon back" aria-label="Back to conversations" onClick={() => navigate({ name: "chats" })}>
          <BackIcon />
        </button>
        <h2 id="listings-title">Listings</h2>
        <button type="button" className="primary small" onClick={() => navigate({ name: "sell" })}>
          Sell something
        </button>
      </div>
      {load.state === "loading" ? <p className="muted pad">Loading listings…</p> : null}
      {load.state === "error" ? (
        <div className="pad" role="alert">
          <p className="error">{load.message}</p>
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              setLoad({ state: "loading" });
              refresh();
            }}
          >
            Try again
          </button>
        </div>
      ) : null}
      {load.state === "ready" && load.items.length === 0 ? <p className="muted pad">Nothing for sale yet. Be the first to sell something!</p> : null}
      {load.state === "ready" && load.items.length > 0 ? (
        <ul className="listing-grid" role="list">
          {load.items.map((item) => (
            <li key={item.id}>
              <ListingCard item={item} />
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function ListingCard({ item }: { item: Item }) {
  const { api, user, client } = useSession();
  const navigate = useUi((s) => s.navigate);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = item.sellerId === user.id;

  const ask = async () => {
    setBusy(true);
    setError(null);
    try {
      const opened = await api.createConversation({ type: "item", itemId: item.id });
      // Have the summary locally before opening it (sync may be a moment behind).
      await client.adopt(opened).catch(() => {});
      navigate({ name: "conversation", id: opened.conversation.id });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <article className="listing-card" data-testid="listing-card" data-item-id={item.id} aria-label={item.title}>
      <div className="listing-top">
        <h3>{item.title}</h3>
        <span className="item-price">{formatPrice(item.priceCents)}</span>
      </div>
      {item.description ? <p className="listing-description">{item.description}</p> : null}
      <div className="listing-bottom">
        <span className={`item-status status-${item.status}`}>{item.status === "listed" ? "Listed" : "Sold"}</span>
        {mine ? (
          <span className="muted small-text">Your listing</span>
        ) : (
          <button type="button" className="secondary small" onClick={ask} disabled={busy}>
            {busy ? "Opening…" : "Ask the seller"}
          </button>
        )}
      </div>
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
    </article>
  );
}
