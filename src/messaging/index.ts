// The host builds the module once through its facade; the named exports below are its parts, for tests and benchmarks.
export { createMessaging, type Messaging, type MessagingSetup, type Moderation, type SupportDesk, type NotificationPreferencesStore, type PreferencesStore } from './facade.js';
export type { AttachmentSettings, Barrier, CarryOver, ContactSearch, MessagingDeps, MessagingPolicy, MessagingUser, PeopleDirectory, Person } from './deps.js';
export type { MessagingDb, MessagingTables } from './schema.js';
export { createRealtime, type Realtime } from './realtime/index.js';
export { pageViews } from './routes/page-view.js';
export { loadPreferences, savePreferences, type Preferences } from './queries/preferences.js';

export { createMessagingRouter } from './router.js';
export { unreadBadge } from './badge.js';
export { messagesForEvidence, recentMessagesWith, redactMessages, type ReportableMessage } from './queries/moderation.js';
export { defaultLimits, type MessagingLimits } from './limits.js';
export { defaultAttachmentSettings } from './attachments/settings.js';
export { sweepPendingAttachments } from './attachments/queries.js';
