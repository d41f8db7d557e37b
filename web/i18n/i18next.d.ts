import "i18next";
import type { Messages } from "./locales/en/index.js";

// Keys are checked at compile time: t("chats.empty") must exist in the English catalog.
declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "translation";
    resources: { translation: Messages };
    returnNull: false;
  }
}
