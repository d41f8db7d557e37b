import { useId, useState, type FormEvent } from "react";
import { describeError } from "../../api/errors.js";
import { BackIcon } from "../../lib/icons.js";
import { parsePrice } from "../../lib/money.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";

export function SellForm() {
  const { api } = useSession();
  const navigate = useUi((s) => s.navigate);
  const id = useId();
  const [title, setTitle] = useState("");
  const [price, setPrice] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const priceCents = parsePrice(price);
    if (!title.trim()) return setError("Give your listing a title.");
    if (priceCents === null) return setError("Enter a price like 12.50");
    setBusy(true);
    setError(null);
    try {
      await api.createItem({ title: title.trim(), priceCents, description: description.trim() || undefined });
      navigate({ name: "listings" });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <section className="page" aria-labelledby={`${id}-title`}>
      <div className="page-header">
        <button type="button" className="icon back" aria-label="Cancel and go back" onClick={() => navigate({ name: "listings" })}>
          <BackIcon />
        </button>
        <h2 id={`${id}-title`}>Sell something</h2>
      </div>
      <form className="form pad narrow-form" onSubmit={submit} noValidate>
        <label htmlFor={`${id}-t`}>Title</label>
        <input id={`${id}-t`} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={120} required />
        <label htmlFor={`${id}-p`}>Price</label>
        <input id={`${id}-p`} inputMode="decimal" placeholder="12.50" value={price} onChange={(e) => setPrice(e.target.value)} required />
        <label htmlFor={`${id}-d`}>Description</label>
        <textarea id={`${id}-d`} rows={4} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Listing…" : "List it"}
        </button>
      </form>
    </section>
  );
}
