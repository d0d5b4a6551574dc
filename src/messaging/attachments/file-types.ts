import { fileTypeFromBuffer } from 'file-type';
import { extensionOf } from './names.js';
import { scanHead } from './text-scan.js';

/** How many leading bytes are read to decide a file's type (zip-based formats need some room). */
export const SNIFF_BYTES = 64 * 1024;

export interface FileType {
  mime: string;
  kind: 'image' | 'file';
  /** A short word for people: "PDF", "Word document". */
  label: string;
}

interface Allowed extends FileType {
  /** The name's extensions that agree with these bytes. */
  extensions: readonly string[];
}

const ALLOWED: readonly Allowed[] = [
  { mime: 'image/jpeg', kind: 'image', label: 'JPEG image', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'] },
  { mime: 'image/png', kind: 'image', label: 'PNG image', extensions: ['png'] },
  { mime: 'image/webp', kind: 'image', label: 'WebP image', extensions: ['webp'] },
  { mime: 'image/gif', kind: 'image', label: 'GIF image', extensions: ['gif'] },
  { mime: 'application/pdf', kind: 'file', label: 'PDF', extensions: ['pdf'] },
  { mime: 'application/zip', kind: 'file', label: 'ZIP archive', extensions: ['zip'] },
  { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', kind: 'file', label: 'Word document', extensions: ['docx'] },
  { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', kind: 'file', label: 'Excel spreadsheet', extensions: ['xlsx'] },
  { mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', kind: 'file', label: 'PowerPoint presentation', extensions: ['pptx'] },
  { mime: 'application/vnd.oasis.opendocument.text', kind: 'file', label: 'OpenDocument text', extensions: ['odt'] },
  { mime: 'application/vnd.oasis.opendocument.spreadsheet', kind: 'file', label: 'OpenDocument spreadsheet', extensions: ['ods'] },
  { mime: 'application/vnd.oasis.opendocument.presentation', kind: 'file', label: 'OpenDocument presentation', extensions: ['odp'] },
  { mime: 'application/rtf', kind: 'file', label: 'Rich text document', extensions: ['rtf'] },
  { mime: 'text/plain', kind: 'file', label: 'Text file', extensions: ['txt', 'text', 'csv', 'tsv', 'md', 'log', 'json'] },
];

/**
 * The older Office formats share one container (CFB) with other things, installers among them:
 * only a name that says Word, Excel or PowerPoint makes one acceptable.
 */
const LEGACY_OFFICE: Record<string, FileType> = {
  doc: { mime: 'application/msword', kind: 'file', label: 'Word document' },
  xls: { mime: 'application/vnd.ms-excel', kind: 'file', label: 'Excel spreadsheet' },
  ppt: { mime: 'application/vnd.ms-powerpoint', kind: 'file', label: 'PowerPoint presentation' },
};

export const ALLOWED_SUMMARY = 'images (JPEG, PNG, WebP, GIF), PDF, text, Office documents and ZIP';

/** The `accept` list of the file picker: a hint for the device, never trusted. */
export const ACCEPT_ATTRIBUTE = [...ALLOWED.map((a) => a.mime), ...Object.values(LEGACY_OFFICE).map((t) => t.mime), ...ALLOWED.flatMap((a) => a.extensions.map((e) => `.${e}`)), '.doc', '.xls', '.ppt'].join(',');

/** "PDF", "Word document": what a stored type is called for people. */
export function typeLabel(mime: string): string {
  return ALLOWED.find((a) => a.mime === mime)?.label ?? Object.values(LEGACY_OFFICE).find((t) => t.mime === mime)?.label ?? 'File';
}

export type Sniffed = { ok: true; type: FileType } | { ok: false; error: string };

/**
 * Decides what a file is from its first bytes. The name only has to agree: a PNG called
 * "notes.pdf" is refused, as is anything outside the allowed list or markup in disguise. The name
 * is the cleaned one (names.ts), so an invisible character cannot hide its extension. A text
 * file's first bytes are only its start: the upload reads the rest through the same checks.
 */
export async function sniff(head: Buffer, name: string): Promise<Sniffed> {
  const extension = extensionOf(name);
  const detected = await fileTypeFromBuffer(head);
  if (detected?.mime === 'application/x-cfb') {
    const legacy = extension !== undefined && Object.hasOwn(LEGACY_OFFICE, extension) ? LEGACY_OFFICE[extension] : undefined;
    return legacy ? { ok: true, type: legacy } : refuse(name);
  }
  let mime = detected?.mime;
  if (!mime) {
    const verdict = scanHead(head);
    if (verdict === 'markup') return markup(name);
    if (verdict === 'text') mime = 'text/plain';
  }
  const allowed = ALLOWED.find((a) => a.mime === mime);
  if (!allowed) return refuse(name);
  if (extension && !allowed.extensions.includes(extension)) {
    return { ok: false, error: `${name} is really a ${allowed.label}, not what its name says. Rename it or send another file.` };
  }
  return { ok: true, type: { mime: allowed.mime, kind: allowed.kind, label: allowed.label } };
}

function refuse(name: string): Sniffed {
  return { ok: false, error: `${name}: this kind of file can't be sent. You can send ${ALLOWED_SUMMARY}.` };
}

/** Refused for markup found anywhere in a text file (HTML, SVG, XML, a script in a tag). */
export function markup(name: string): Sniffed & { ok: false } {
  return { ok: false, error: `${name}: web pages, SVG and XML files can't be sent.` };
}

/** Refused for a text file that turns out not to be text further on. */
export function notText(name: string): Sniffed & { ok: false } {
  return refuse(name) as Sniffed & { ok: false };
}

/** "2.4 MB", "830 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
