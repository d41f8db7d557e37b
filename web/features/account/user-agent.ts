import { t } from "../../i18n/index.js";

/**
 * A device's browser and system in plain words, from the userAgent it sent
 * when it registered ("Firefox on Windows"). Order matters: Edge and Opera
 * also say "Chrome", Chrome also says "Safari", Android also says "Linux".
 */
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\b(?:OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(?:Firefox|FxiOS)\//, "Firefox"],
  [/\b(?:Headless)?(?:Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/\bAppleWebKit\//, "WebKit"],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/\b(?:iPhone|iPod)\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b|\bX11\b/, "Linux"],
];

const firstMatch = (ua: string, table: readonly [RegExp, string][]) => table.find(([pattern]) => pattern.test(ua))?.[1] ?? null;

/** Browser and system names are names (the same in every language); only the words around them are translated. */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return t("account.devices.unknown");
  const browser = firstMatch(userAgent, BROWSERS);
  const system = firstMatch(userAgent, SYSTEMS);
  if (browser && system) return t("account.devices.browserOn", { browser, system });
  return browser ?? system ?? t("account.devices.unknown");
}
