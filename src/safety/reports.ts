import type { ReportReason } from '../db/schema.js';

export const REASONS: readonly ReportReason[] = ['spam', 'harassment', 'other'];
export const reasonLabels: Record<ReportReason, string> = { spam: 'Spam', harassment: 'Harassment', other: 'Something else' };
export const DETAILS_MAX = 2000;

/** How many reports one person may file: enough for a bad day, too few to flood the moderators. */
export interface ReportLimit {
  max: number;
  windowSeconds: number;
}
export const defaultReportLimit: ReportLimit = { max: 10, windowSeconds: 60 * 60 };

/** Past the reporter's limit: how long until the oldest counted report leaves the window. */
export class ReportLimitReached extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('report limit reached');
    this.name = 'ReportLimitReached';
  }
}

/** Which reports the moderation queue lists. */
export type ReportFilter = 'open' | 'resolved' | 'all';
