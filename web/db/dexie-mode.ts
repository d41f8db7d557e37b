import { Dexie } from "dexie";

/**
 * Imported first by main.tsx, before any database is opened. Dexie turns its
 * debug mode on by itself when the page's address is localhost or 127.0.0.1:
 * then each table operation creates a console task (`console.createTask`,
 * an async stack for DevTools), and the callbacks of the promises it returns
 * run inside that task.
 * A build of Courier works the same on 127.0.0.1 as on its own domain, so it
 * is off there, and on only under Vite's dev server, where its stacks help.
 */
Dexie.debug = import.meta.env?.DEV === true;
