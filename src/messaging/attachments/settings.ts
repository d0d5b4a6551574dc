import type { AttachmentSettings, MessagingDeps } from '../deps.js';

/** Files off: what a host that says nothing about attachments gets from the module. */
const off: AttachmentSettings = { enabled: false, maxFileBytes: 0, dailyBytes: 0 };

/** The product's defaults, for hosts that turn files on: 10 MB a file, 200 MB a day per person. */
export const defaultAttachmentSettings: AttachmentSettings = { enabled: true, maxFileBytes: 10 * 1024 * 1024, dailyBytes: 200 * 1024 * 1024 };

export const attachmentSettings = (deps: Pick<MessagingDeps, 'attachments'>): AttachmentSettings => deps.attachments ?? off;
