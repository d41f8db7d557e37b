import { useTranslation } from "react-i18next";
import { coordinatesText, type Location, openStreetMapUrl } from "../../../shared/protocol/index.js";
import { MapPinIcon } from "./location-icons.js";

/**
 * A location message: a pin, the label (or "Shared location"), the
 * approximate coordinates and a link to the place on OpenStreetMap. No map
 * tiles: nothing is loaded from another site until the person follows the
 * link. The label is a React text node, never HTML.
 */
export function LocationCard({ location }: { location: Location | undefined }) {
  const { t } = useTranslation();
  if (!location) return <span className="muted">{t("presence.location.unavailable")}</span>;
  const label = location.label?.trim() || t("presence.location.shared");
  return (
    <span className="location-card" data-testid="location-card">
      <span className="location-pin">
        <MapPinIcon size={22} />
      </span>
      <span className="location-text">
        <span className="location-label">{label}</span>
        <span className="location-coords small-text" title={t("presence.location.approximate")}>
          {`≈ ${coordinatesText(location)}`}
        </span>
        <a className="location-link small-text" href={openStreetMapUrl(location)} target="_blank" rel="noopener noreferrer">
          {t("presence.location.open")}
        </a>
      </span>
    </span>
  );
}
