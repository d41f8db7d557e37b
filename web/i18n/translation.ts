/**
 * The shape a translation must have, derived from the English catalog: every
 * key, nested the same way. Plural keys follow the language's own rules
 * (Intl.PluralRules): English has `_one` and `_other`, Chinese only `_other`,
 * so `_one` is optional here. web/i18n/catalog.test.ts checks the rest
 * (nothing extra, the same {{variables}}, nothing left in English).
 */
export type Translation<T> = {
  [K in keyof T as K extends `${string}_one` ? never : K]: T[K] extends string ? string : Translation<T[K]>;
} & {
  [K in keyof T as K extends `${string}_one` ? K : never]?: string;
};
