import { useLiveQuery } from "dexie-react-hooks";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { type Item, itemState, type User } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { formatPrice } from "../../lib/money.js";
import { BackIcon } from "../../lib/icons.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { itemStatusText } from "../offers/rules.js";
import { ClampedText } from "./clamped-text.js";
import { ListingPhoto } from "../photos/listing-photos.js";
import { ListingControls } from "./listing-controls.js";
import { loadListings, type Shelf } from "./my-listings.js";
import { compareListings, sellerName } from "./seller.js";
import { ReportListingButton } from "../safety/safety-dialogs.js";

const SHELVES: readonly Shelf[] = ["all", "mine"];

type Load = { state: "loading" } | { state: "error"; message: string } | { state: "ready"; items: Item[] };

/**
 * Listings come from the server each time: they are not part of anyone's
 * sync stream. "All" is the catalogue (listed and reserved); "Mine" is every
 * listing of mine, sold and withdrawn too.
 */
export function ListingsView() {
  const { t } = useTranslation();
  const { api, db, user } = useSession();
  const navigate = useUi((s) => s.navigate);
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [shelf, setShelf] = useState<Shelf>("all");
  const known = useKnownPeople();

  const refresh = useCallback(() => {
    let cancelled = false;
    loadListings(api, db, user.id, shelf).then(
      (items) => !cancelled && setLoad({ state: "ready", items: [...items].sort(compareListings) }),
      (error) => !cancelled && setLoad({ state: "error", message: describeError(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, db, user.id, shelf]);

  useEffect(() => refresh(), [refresh]);
  // A change made on a card (edit, reserve, withdraw) replaces it in place; the next visit asks the server again.
  const changed = useCallback((next: Item) => setLoad((l) => (l.state === "ready" ? { ...l, items: l.items.map((i) => (i.id === next.id ? next : i)) } : l)), []);

  return (
    <section className="page" aria-labelledby="listings-title">
      <div className="page-header">
        <button type="button" className="icon back" aria-label={t("listings.backToChats")} onClick={() => navigate({ name: "chats" })}>
          <BackIcon />
        </button>
        <h2 id="listings-title">{t("listings.title")}</h2>
        <button type="button" className="primary small" onClick={() => navigate({ name: "sell" })}>
          {t("listings.sellSomething")}
        </button>
      </div>
      <div className="listing-shelves" role="group" aria-label={t("listings.shelves.label")}>
        {SHELVES.map((name) => (
          <button
            key={name}
            type="button"
            aria-pressed={shelf === name}
            className="shelf-tab"
            data-testid={`shelf-${name}`}
            onClick={() => {
              if (shelf === name) return;
              setShelf(name);
              setLoad({ state: "loading" });
            }}
          >
            {t(`listings.shelves.${name}`)}
          </button>
        ))}
      </div>
      {load.state === "loading" ? <p className="muted pad">{t("listings.loading")}</p> : null}
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
            {t("common.tryAgain")}
          </button>
        </div>
      ) : null}
      {load.state === "ready" && load.items.length === 0 ? (
        <p className="muted pad">{shelf === "mine" ? t("listings.emptyMine") : t("listings.emptyAll")}</p>
      ) : null}
      {load.state === "ready" && load.items.length > 0 ? (
        <ul className="listing-grid" role="list">
          {load.items.map((item) => (
            <li key={item.id}>
              <ListingCard item={item} known={known} onChanged={changed} />
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/**
 * People this user shares a conversation with, by id: the seller's name for
 * a server that does not send `seller` with items yet.
 */
function useKnownPeople(): ReadonlyMap<string, User> | undefined {
  const { db } = useSession();
  return useLiveQuery(async () => {
    const people = new Map<string, User>();
    for (const summary of await db.conversations.toArray()) for (const member of summary.members ?? []) people.set(member.id, member);
    return people;
  }, [db]);
}

function ListingCard({ item, known, onChanged }: { item: Item; known: ReadonlyMap<string, User> | undefined; onChanged(item: Item): void }) {
  const { t } = useTranslation();
  const { api, user, client } = useSession();
  const navigate = useUi((s) => s.navigate);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = item.sellerId === user.id;
  // Not for sale now: its text is dimmed; a reserved one is still in the catalogue, marked.
  const state = itemState(item);
  const gone = state === "sold" || state === "withdrawn";
  const available = state === "listed" || state === "reserved";
  const seller = mine ? null : sellerName(item, known);

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
    <article className={`listing-card${gone ? " is-sold" : ""}`} data-testid="listing-card" data-item-id={item.id} data-status={state} aria-label={item.title}>
      <ListingPhoto item={item} />
      <div className="listing-top">
        <h3>{item.title}</h3>
        <span className="item-price">{formatPrice(item.priceCents)}</span>
      </div>
      {mine || seller ? <p className="listing-seller muted small-text">{mine ? t("listings.card.yours") : t("listings.card.seller", { name: seller })}</p> : null}
      {item.description ? <ClampedText className="listing-description" text={item.description} lines={3} /> : null}
      <div className="listing-bottom">
        {mine || state !== "listed" ? (
          <span className={`item-status status-${state}`} data-testid="listing-status">
            {itemStatusText(state)}
          </span>
        ) : null}
        {!mine && available ? (
          <button type="button" className="secondary small" onClick={ask} disabled={busy}>
            {busy ? t("listings.card.opening") : t("listings.card.ask")}
          </button>
        ) : null}
        {mine ? null : <ReportListingButton itemId={item.id} />}
      </div>
      {mine ? <ListingControls item={item} onChanged={onChanged} /> : null}
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
    </article>
  );
}
