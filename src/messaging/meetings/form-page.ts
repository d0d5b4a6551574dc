import type { Response } from 'express';
import { render } from '../../http/render.js';
import { timeZones } from '../../http/view-helpers.js';
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
      lengths: LENGTHS,
      max: { title: TITLE_MAX, notes: NOTES_MAX, link: LINK_MAX },
    },
    status,
  );
}
