import { useEffect, useId, useRef, useState, type ClipboardEvent, type DragEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { PhotoInput } from "../../db/outbox-photos.js";
import { checkPhotos, PHOTO_ACCEPT } from "./attach.js";
import { ImageIcon } from "./photo-icons.js";

/** A photo attached in the composer, with its preview (an object URL, revoked when it leaves). */
interface Attached {
  key: string;
  file: File;
  url: string;
  width?: number;
  height?: number;
}

/** Photos taken for a send: put them back if the send could not be stored, or let them go. */
export interface Taken {
  photos: PhotoInput[];
  settle(sent: boolean): void;
}

export interface PhotoAttachments {
  count: number;
  /** The photos attached, to upload without taking them (the sell form: they stay if the listing fails). */
  peek(): PhotoInput[];
  /** Taken from the composer for a send (the tray empties at once, so a second Enter cannot send them again). */
  take(): Taken;
  /** Paste and drag-and-drop on the whole composer. */
  formHandlers: {
    onPaste(event: ClipboardEvent): void;
    onDragOver(event: DragEvent): void;
    onDragLeave(event: DragEvent): void;
    onDrop(event: DragEvent): void;
  };
  dropping: boolean;
  /** The attach button (with its hidden file input). */
  button: ReactNode;
  /** The previews, each with a remove button; null when none. */
  tray: ReactNode;
  /** Why some files were left out; null when none were. */
  alert: ReactNode;
}

/**
 * Photos attached to a message (the composer; the caption is the text
 * typed) or a listing (the sell form): by the button (the file picker),
 * paste and drag-and-drop; checked before anything is sent (attach.ts);
 * previews with remove buttons. `label`: the button shows it (else an icon);
 * `already`: photos kept from before (a listing's), counted against the 9.
 */
export function usePhotoAttachments({ disabled = false, label, already = 0 }: { disabled?: boolean; label?: string; already?: number } = {}): PhotoAttachments {
  const { t } = useTranslation();
  const [photos, setPhotos] = useState<Attached[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const [dropping, setDropping] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const attachButton = useRef<HTMLButtonElement>(null);
  const tray = useRef<HTMLUListElement>(null);
  const id = useId();
  const current = useRef(photos);
  current.current = photos;

  // Leaving the conversation: the previews' URLs go.
  useEffect(() => () => current.current.forEach((p) => URL.revokeObjectURL(p.url)), []);

  const add = (files: File[]) => {
    if (disabled || files.length === 0) return;
    const { accepted, problems: found } = checkPhotos(already + current.current.length, files);
    setProblems(found);
    const added = accepted.map((file): Attached => ({ key: crypto.randomUUID(), file, url: URL.createObjectURL(file) }));
    const next = [...current.current, ...added];
    current.current = next;
    setPhotos(next);
    for (const photo of added) {
      void measure(photo.url).then((size) => {
        if (size) setPhotos((list) => list.map((p) => (p.key === photo.key ? { ...p, ...size } : p)));
      });
    }
  };

  const remove = (key: string) => {
    const at = current.current.findIndex((p) => p.key === key);
    const gone = current.current[at];
    if (gone) URL.revokeObjectURL(gone.url);
    const next = current.current.filter((p) => p.key !== key);
    current.current = next;
    setPhotos(next);
    setProblems([]);
    // Focus goes to the next photo's remove button (the previous one, the attach button).
    requestAnimationFrame(() => {
      const buttons = tray.current?.querySelectorAll<HTMLButtonElement>("button") ?? [];
      (buttons[Math.min(at, buttons.length - 1)] ?? attachButton.current)?.focus();
    });
  };

  const inputs = (list: Attached[]): PhotoInput[] => list.map(({ file, width, height }) => ({ blob: file, ...(width && height ? { width, height } : {}) }));
  const take = (): Taken => {
    const taken = current.current;
    current.current = [];
    setPhotos([]);
    setProblems([]);
    return {
      photos: inputs(taken),
      settle: (sent) => {
        if (sent) return taken.forEach((p) => URL.revokeObjectURL(p.url));
        current.current = [...taken, ...current.current];
        setPhotos(current.current);
      },
    };
  };

  const hasFiles = (event: DragEvent) => !disabled && [...event.dataTransfer.types].includes("Files");

  return {
    count: photos.length,
    peek: () => inputs(current.current),
    take,
    dropping,
    formHandlers: {
      onPaste: (event) => {
        const files = [...event.clipboardData.files];
        if (files.length === 0) return;
        // A copied picture often comes with markup; only text of its own is pasted as text.
        if (!event.clipboardData.types.includes("text/plain")) event.preventDefault();
        add(files);
      },
      onDragOver: (event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        setDropping(true);
      },
      onDragLeave: (event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
      },
      onDrop: (event) => {
        setDropping(false);
        if (!hasFiles(event)) return;
        event.preventDefault();
        add([...event.dataTransfer.files]);
      },
    },
    button: (
      <>
        <input
          ref={input}
          id={`${id}-file`}
          type="file"
          accept={PHOTO_ACCEPT}
          multiple
          hidden
          data-testid="photo-input"
          onChange={(event) => {
            add([...(event.target.files ?? [])]);
            event.target.value = "";
          }}
        />
        <button
          ref={attachButton}
          type="button"
          className={label ? "secondary small" : "attach"}
          aria-label={label ? undefined : t("photos.attach.button")}
          title={label ? undefined : t("photos.attach.button")}
          disabled={disabled}
          onClick={() => input.current?.click()}
          data-testid="attach-photos"
        >
          {label ?? <ImageIcon />}
        </button>
      </>
    ),
    tray:
      photos.length > 0 ? (
        <ul className="photo-tray" ref={tray} aria-label={t("photos.attach.tray", { count: photos.length })} data-testid="photo-tray">
          {photos.map((photo, i) => (
            <li key={photo.key}>
              <img src={photo.url} alt={t("photos.attach.toSend", { n: i + 1 })} width={64} height={64} />
              <button type="button" className="photo-remove" aria-label={t("photos.attach.remove", { n: i + 1 })} onClick={() => remove(photo.key)}>
                {t("photos.attach.removeMark")}
              </button>
            </li>
          ))}
        </ul>
      ) : null,
    alert:
      problems.length > 0 ? (
        <p className="error composer-error" role="alert" data-testid="photo-problem">
          {problems.join(" ")}
        </p>
      ) : null,
  };
}

/** The photo's size in pixels, to reserve its space while it waits; undefined when it cannot be decoded here. */
async function measure(url: string): Promise<{ width: number; height: number } | undefined> {
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
    return img.naturalWidth > 0 && img.naturalHeight > 0 ? { width: img.naturalWidth, height: img.naturalHeight } : undefined;
  } catch {
    return undefined;
  }
}
