import { useLiveQuery } from "dexie-react-hooks";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { itemState, type Message, type RespondOffer } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { storeOffers, storeOrder } from "../../db/offers.js";
import { formatPrice } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { memberName } from "../conversations/summary-text.js";
import { respondToOffer } from "./api.js";
import { FormDialog, PriceDialog } from "./dialogs.js";
import { offerActions, offerHeadline, offerStateText, offerWaitingText, type OfferAction } from "./rules.js";
import { useOffer } from "./use-offers.js";

/** A placeholder while the offer's price is not known yet: a dash, not words. */
const NO_PRICE = "—";

/**
 * A message of kind "offer": the price, who offered it, the offer's state as
 * held now (its `offer` entries), and what the person looking may do about it.
 */
export function OfferCard({ message }: { message: { conversationId: string; senderId: string; offer?: Message["offer"] } }) {
  const { t } = useTranslation();
  const { db, api, user } = useSession();
  const ref = message.offer;
  const { offer, missing } = useOffer(ref?.id, message.conversationId);
  const summary = useLiveQuery(() => db.conversations.get(message.conversationId), [db, message.conversationId]);
  const [busy, setBusy] = useState<OfferAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [countering, setCountering] = useState(false);
  const [accepting, setAccepting] = useState(false);
  const counterButton = useRef<HTMLButtonElement>(null);
  const card = useRef<HTMLDivElement>(null);

  const by = ref?.by ?? message.senderId;
  const priceCents = ref?.priceCents ?? offer?.priceCents;
  const counter = !!offer?.counterOf || (!!summary?.item && by === summary.item.sellerId);
  const name = memberName(summary, by);
  const status = offer?.status;
  const actions = offer ? offerActions(offer, user.id, summary?.item ? itemState(summary.item) : undefined) : [];
  const other = offer ? memberName(summary, offer.by === offer.buyerId ? offer.sellerId : offer.buyerId) : "";

  const respond = async (response: RespondOffer) => {
    if (!offer) return;
    const answer = await respondToOffer(api, offer.id, response);
    await storeOffers(db, answer.counter ? [answer.offer, answer.counter] : [answer.offer]);
    if (answer.order) await storeOrder(db, answer.order);
  };

  // Answered (here or on another device), the buttons go, and with them the one a dialog would give focus
  // back to. Focus that was last in this card and is now nowhere goes to the card's message row (the message
  // list's own keyboard then works from there), not to the page. A removed button fires no blur, so "last
  // in this card" ends only when focus moves somewhere else.
  const answerable = actions.length > 0;
  const focusWasHere = useRef(false);
  useEffect(() => {
    // A dialog still open for an offer answered meanwhile would only earn a 409: it goes.
    if (!answerable) {
      setAccepting(false);
      setCountering(false);
    }
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (answerable || accepting || countering || !lost || !focusWasHere.current) return;
    focusWasHere.current = false;
    const row = card.current?.closest<HTMLElement>("[data-row-key]");
    if (row?.hasAttribute("tabindex")) row.focus({ preventScroll: true });
  }, [answerable, accepting, countering]);

  const act = async (action: Exclude<OfferAction, "counter" | "accept">) => {
    setBusy(action);
    setError(null);
    try {
      await respond({ action });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div
      ref={card}
      className="offer-card"
      data-testid="offer-card"
      data-offer-id={ref?.id}
      data-status={status ?? (missing ? "unknown" : "loading")}
      onFocus={() => (focusWasHere.current = true)}
      onBlur={(e) => {
        if (e.relatedTarget && !e.currentTarget.contains(e.relatedTarget)) focusWasHere.current = false;
      }}
    >
      <div className="offer-top">
        <span className="offer-label">{counter ? t("offers.card.counterOffer") : t("offers.card.offer")}</span>
        {status ? (
          <span className={`offer-state offer-${status}`} data-testid="offer-state">
            {offerStateText(status)}
          </span>
        ) : null}
      </div>
      <div className="offer-price">{priceCents === undefined ? NO_PRICE : formatPrice(priceCents)}</div>
      {priceCents !== undefined ? <div className="offer-by small-text">{offerHeadline({ by, priceCents }, user.id, name, counter)}</div> : null}
      {offer ? <OfferWaiting text={offerWaitingText(offer, user.id, other)} /> : null}
      {!offer && !missing ? <div className="offer-waiting muted small-text">{t("offers.card.checking")}</div> : null}
      {actions.length > 0 ? (
        <div className="offer-actions" role="group" aria-label={t("offers.card.answerLabel")}>
          {actions.map((action) => (
            <button
              key={action}
              ref={action === "counter" ? counterButton : undefined}
              type="button"
              className={action === "accept" ? "primary small" : "secondary small"}
              disabled={busy !== null}
              data-testid={`offer-${action}`}
              onClick={() => (action === "counter" ? setCountering(true) : action === "accept" ? setAccepting(true) : void act(action))}
            >
              {busy === action ? t(`offers.card.busy.${action}`) : t(`offers.card.actions.${action}`)}
            </button>
          ))}
        </div>
      ) : null}
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
      {accepting && answerable && offer && priceCents !== undefined ? (
        <AcceptDialog
          selling={user.id === offer.sellerId}
          title={summary?.item?.title ?? null}
          name={other}
          price={formatPrice(priceCents)}
          onAccept={async () => {
            await respond({ action: "accept" });
            setAccepting(false);
          }}
          onClose={() => setAccepting(false)}
        />
      ) : null}
      {countering && answerable && offer ? (
        <PriceDialog
          title={t("offers.counter.title")}
          hint={offer.by === user.id ? t("offers.counter.hintYou", { price: formatPrice(offer.priceCents) }) : t("offers.counter.hintThem", { name, price: formatPrice(offer.priceCents) })}
          submitLabel={t("offers.counter.submit")}
          testId="counter-dialog"
          onPrice={async (cents) => {
            await respond({ action: "counter", priceCents: cents });
            setCountering(false);
          }}
          onClose={() => setCountering(false)}
        />
      ) : null}
    </div>
  );
}

/**
 * Accepting sells (or, a counter-offer, buys) the listing at once, so it is
 * asked first, as Buy is: what, to whom, at what price.
 */
function AcceptDialog(props: { selling: boolean; title: string | null; name: string; price: string; onAccept(): Promise<void>; onClose(): void }) {
  const { t } = useTranslation();
  const { selling, title, name, price } = props;
  const question = title
    ? t(selling ? "offers.accept.sellTitle" : "offers.accept.buyTitle", { title, name, price })
    : t(selling ? "offers.accept.sellUntitled" : "offers.accept.buyUntitled", { name, price });
  return (
    <FormDialog
      title={question}
      submitLabel={t("offers.card.actions.accept")}
      busyLabel={t("offers.card.busy.accept")}
      onSubmit={props.onAccept}
      onClose={props.onClose}
      testId="accept-dialog"
    >
      <p className="small-text">{selling ? t("offers.accept.sellBody", { name }) : t("offers.buy.body")}</p>
    </FormDialog>
  );
}

function OfferWaiting({ text }: { text: string | null }) {
  return text ? <div className="offer-waiting muted small-text">{text}</div> : null;
}
