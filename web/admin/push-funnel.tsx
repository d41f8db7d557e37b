import { FUNNEL_LOSSES, FUNNEL_STEPS, type FunnelOutcome } from "./series.js";

const WORDS: Record<FunnelOutcome, string> = {
  requested: "Requested",
  accepted: "Accepted by the push service",
  displayed: "Displayed",
  clicked: "Clicked",
  rejected: "Rejected by the push service",
  dropped: "Dropped (quota, no subscription)",
};

/** One horizontal bar, as wide as its share of the largest count; the percentage is its share of `requested`. */
function Bar({ outcome, value, of, widest, loss }: { outcome: FunnelOutcome; value: number; of: number; widest: number; loss?: boolean }) {
  const share = of > 0 ? (100 * value) / of : 0;
  const width = widest > 0 ? (100 * value) / widest : 0;
  return (
    <li className={loss ? "admin-funnel-step admin-funnel-loss" : "admin-funnel-step"}>
      <span className="admin-funnel-label">{WORDS[outcome]}</span>
      <span className="admin-funnel-track">
        <span className="admin-funnel-bar" style={{ width: `${width}%` }} />
      </span>
      <span className="admin-funnel-value">
        {value}
        {outcome !== "requested" && of > 0 && <span className="admin-muted"> ({Math.round(share)}%)</span>}
      </span>
    </li>
  );
}

/** The Web Push funnel over the kept span: requested → accepted → displayed → clicked, and what was lost. */
export function PushFunnel({ counts, span }: { counts: Record<FunnelOutcome, number>; span: string }) {
  const of = counts.requested;
  const widest = Math.max(...Object.values(counts));
  return (
    <section className="admin-card" aria-labelledby="funnel-title" data-testid="push-funnel">
      <h3 id="funnel-title">Web Push funnel</h3>
      <p className="admin-about">Notifications over the last {span}, all categories; shares of requested.</p>
      {of === 0 && counts.rejected === 0 && counts.dropped === 0 ? (
        <p className="admin-empty">No notification requested in this span.</p>
      ) : (
        <>
          <ol className="admin-funnel">
            {FUNNEL_STEPS.map((step) => (
              <Bar key={step} outcome={step} value={counts[step]} of={of} widest={widest} />
            ))}
          </ol>
          <ul className="admin-funnel">
            {FUNNEL_LOSSES.map((loss) => (
              <Bar key={loss} outcome={loss} value={counts[loss]} of={of} widest={widest} loss />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
