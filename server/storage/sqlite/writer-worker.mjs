// The writer thread's bootstrap (writer-thread.ts). Plain JavaScript so that
// it starts the same under tsx, Vitest and plain node: it registers tsx for
// this thread, then loads the TypeScript that runs the groups (writer.ts),
// which imports the procedures' modules as it meets them.
import { register } from "tsx/esm/api";

register();
await import("./writer.ts");
