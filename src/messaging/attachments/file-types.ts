import { fileTypeFromBuffer } from 'file-type';

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
 * "notes.pdf" is refused, as is anything outside the allowed list or markup in disguise.
 */
export async function sniff(head: Buffer, name: string): Promise<Sniffed> {
  const extension = extensionOf(name);
  const detected = await fileTypeFromBuffer(head);
  if (detected?.mime === 'application/x-cfb') {
    const legacy = extension ? LEGACY_OFFICE[extension] : undefined;
    return legacy ? { ok: true, type: legacy } : refuse(name);
  }
  const mime = detected?.mime ?? (looksLikeText(head) ? 'text/plain' : undefined);
  if (mime === 'text/plain' && looksLikeMarkup(head)) return { ok: false, error: `${name}: web pages, SVG and XML files can't be sent.` };
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

function extensionOf(name: string): string | undefined {
  const match = /\.([a-z0-9]{1,8})$/i.exec(name);
  return match?.[1]?.toLowerCase();
}

/** UTF-8 without NUL or other control bytes (tabs and line breaks aside). */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  // The sample may end inside a character: drop up to three trailing bytes of it.
  let end = head.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = head[end - back]!;
    if ((byte & 0xc0) === 0xc0) {
      end -= back;
      break;
    }
    if ((byte & 0x80) === 0) break;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
}

/** HTML, SVG or XML: text a browser would run or render, whatever the file is called. */
function looksLikeMarkup(head: Buffer): boolean {
  const start = head.subarray(0, 2048).toString('utf8').replace(/^\ufeff/, '');
  return /<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta|\?xml)\b/i.test(start);
}

/** "2.4 MB", "830 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
