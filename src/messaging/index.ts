export type { AttachmentSettings, Barrier, MessagingDeps, MessagingPolicy, MessagingUser, PeopleDirectory, Person } from './deps.js';
export type { MessagingDb } from './schema.js';
export { createRealtime, type Realtime } from './realtime/index.js';
export { pageViews } from './routes/page-view.js';
export { ConnectLimiter } from './realtime/connect-limiter.js';
export { loadPreferences, savePreferences, type Preferences } from './queries/preferences.js';

export { createMessagingRouter } from './router.js';
export { unreadBadge } from './badge.js';
export { messagesForEvidence, recentMessagesWith, redactMessages, type ReportableMessage } from './queries/moderation.js';
export { defaultLimits, type MessagingLimits } from './limits.js';
export { defaultAttachmentSettings } from './attachments/settings.js';
export { sweepPendingAttachments } from './attachments/queries.js';
