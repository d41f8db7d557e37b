import type { Location } from "./messages.js";

/**
 * Location messages (issue 14, "Presence"): an approximate place. Both the
 * app and the server round to LOCATION_DECIMALS (3 decimals of a degree:
 * about 110 m of latitude, less of longitude away from the equator).
 */
export const LOCATION_DECIMALS = 3;

const round = (n: number) => {
  const f = 10 ** LOCATION_DECIMALS;
  // `+ 0` turns -0 into 0: a place just west of Greenwich rounds to "0.000", never "-0.000".
  return Math.round(n * f) / f + 0;
};

/** The place rounded to about 100 m; the label is kept as given (already validated). */
export function roundLocation(location: Location): Location {
  const { lat, lng, label } = location;
  return { lat: round(lat), lng: round(lng), ...(label === undefined ? {} : { label }) };
}

/** "[Location] Station entrance" (or "[Location]"): list previews and notifications. */
export function locationText(location: Pick<Location, "label"> | undefined): string {
  const label = location?.label?.trim();
  return label ? `[Location] ${label}` : "[Location]";
}

/** Coordinates as people read them: "52.370, 4.890". */
export function coordinatesText(location: Pick<Location, "lat" | "lng">): string {
  return `${location.lat.toFixed(LOCATION_DECIMALS)}, ${location.lng.toFixed(LOCATION_DECIMALS)}`;
}

/** The place on openstreetmap.org (a pin at zoom 16); no map tiles are loaded by the app. */
export function openStreetMapUrl(location: Pick<Location, "lat" | "lng">): string {
  const lat = location.lat.toFixed(LOCATION_DECIMALS);
  const lng = location.lng.toFixed(LOCATION_DECIMALS);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=16/${lat}/${lng}`;
}
