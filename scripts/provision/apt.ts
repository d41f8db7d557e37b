import { isRoot, lastLine, log, ProvisionError, run, which } from "./system.js";

/**
 * Whether missing tools may be installed with Debian's apt: only as root, with
 * apt-get on PATH, and unless COURIER_NO_INSTALL is set (to anything but 0).
 */
export function installsAllowed(): boolean {
  const optOut = process.env.COURIER_NO_INSTALL;
  if (optOut && optOut !== "0") return false;
  return isRoot() && which("apt-get") !== undefined;
}

let listsUpdated = false;

/** `apt-get update -qq` (once per process), then `apt-get install -y -qq <packages>`; output is shown only on failure. */
export async function aptInstall(packages: readonly string[], options: { recommends?: boolean } = {}): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!listsUpdated) {
    const update = await run("apt-get", ["update", "-qq"], { env, capture: true });
    // A failed update (one unreachable source) may still leave usable lists: try the install anyway.
    if (update.code !== 0) log(`apt-get update failed (exit ${update.code}): ${lastLine(update.output)}; trying the install anyway`);
    listsUpdated = true;
  }
  const args = ["install", "-y", "-qq", ...(options.recommends === false ? ["--no-install-recommends"] : []), ...packages];
  const install = await run("apt-get", args, { env, capture: true });
  if (install.code !== 0) {
    console.error(install.output);
    throw new ProvisionError(`apt-get install ${packages.join(" ")} failed (exit ${install.code}): ${lastLine(install.output)}`);
  }
}
