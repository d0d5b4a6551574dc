import type { Response } from 'express';
import { render } from '../../http/render.js';
import { timeZones } from '../../http/view-helpers.js';
import { lengthLabel } from './present-meeting.js';
import { LENGTHS, LINK_MAX, NOTES_MAX, TITLE_MAX, type MeetingForm } from './meeting-form.js';

/** The schedule and edit form, as a page (its errors beside their fields, everything typed kept). */
export function renderMeetingForm(res: Response, page: { mode: 'schedule' | 'edit'; action: string; back: string; withName: string; form: MeetingForm }, status = 200): void {
  render(
    res,
    'meetings/form',
    {
      title: page.mode === 'schedule' ? 'Schedule a meeting' : 'Edit the meeting',
      ...page,
      timeZones,
      // Those offered, and the one the meeting has if it is another (set before, or typed by hand).
      lengths: [...new Set([...LENGTHS.map(String), ...(page.form.minutes ? [page.form.minutes] : [])])].map((value) => ({ value, label: /^\d+$/.test(value) ? lengthLabel(Number(value)) : value })),
      max: { title: TITLE_MAX, notes: NOTES_MAX, link: LINK_MAX },
    },
    status,
  );
}
