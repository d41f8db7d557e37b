import { aptInstall, installsAllowed } from "./apt.js";
import { isExecutable, log, ProvisionError, seconds } from "./system.js";

/** A program the tests need from a Debian package, with a variable that points at your own. */
export interface AptBinary {
  /** What it is, for messages ("Chromium", "Firefox ESR"). */
  name: string;
  /** The variable that overrides it (CHROMIUM_PATH). */
  env: string;
  /** Where Debian's package puts it. */
  path: string;
  /** Debian's package. */
  pkg: string;
  /** What the tests use it for, for the sentence shown when it is missing ("npm test needs Chromium"). */
  neededFor: string;
}

/**
 * The program's path: `env` if set, else Debian's `path`, else (root with
 * apt, installs allowed) Debian's `pkg`, installed now. Throws a
 * ProvisionError saying what to install or set when none is possible.
 */
export async function ensureAptBinary(binary: AptBinary): Promise<string> {
  const configured = process.env[binary.env];
  if (configured) {
    if (!isExecutable(configured)) {
      throw new ProvisionError(`${binary.env} is ${configured}, which is not an executable file: point it at ${binary.name} or unset it.`);
    }
    return configured;
  }
  if (isExecutable(binary.path)) return binary.path;
  if (!installsAllowed()) throw new ProvisionError(`${binary.neededFor}: install Debian's ${binary.pkg} package (apt-get install ${binary.pkg}) or set ${binary.env}.`);
  const started = performance.now();
  log(`${binary.name} not found: installing Debian's ${binary.pkg} package (apt-get install ${binary.pkg})…`);
  await aptInstall([binary.pkg]);
  if (!isExecutable(binary.path)) throw new ProvisionError(`apt-get installed ${binary.pkg} but there is no ${binary.path}: set ${binary.env}.`);
  log(`installed ${binary.name} (${seconds(started)})`);
  return binary.path;
}
