import contentDisposition from 'content-disposition';
import { visibleTo } from '../queries/messages.js';
import type { Request, RequestHandler, Response } from 'express';
import { notFound } from '../../http/errors.js';
import { render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { presentAttachments, threadPeopleFrom, threadPersonIds } from '../present.js';
import { filesOf, findSentAttachment } from '../attachments/queries.js';
import { pipeVariant } from '../attachments/store.js';
import { conversationOf, parseId, viewer } from './context.js';
import { notModified } from '../../http/not-modified.js';

const GROUPS_PER_PAGE = 30;

/**
 * Files of a conversation: GET /messages/:id/files (the Files view), /files/:fileId (the file,
 * or an image's display size) and /files/:fileId/thumb. Only the two participants get them:
 * anyone else, admins included, the 404 of the conversation's loader (as for a conversation that does not exist).
 */
export function fileHandlers(deps: MessagingDeps): { list: RequestHandler; file: RequestHandler; thumb: RequestHandler } {
  const list: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const before = parseId(req.query.before);
    const [page, people] = await Promise.all([
      filesOf(deps.db, access.id, { visible: visibleTo(access), before, limit: GROUPS_PER_PAGE }),
      deps.people.findByIds(threadPersonIds(access, me.id)),
    ]);
    const groups = page.groups.map((group) => ({
      versions: group.versions.map((v) => ({
        ...presentAttachments(access.id, [v])[0]!,
        version: v.version,
        createdAt: v.created_at,
        fromMe: v.sender_id === me.id,
        from: people.get(v.sender_id)?.display_name ?? 'Former member',
      })),
    }));
    const other = threadPeopleFrom(people, me.id, access).other;
    render(res, 'messages/files', { title: access.otherUserId === null ? `Files in ${other.display_name}` : `Files with ${other.display_name}`, access, other, groups, nextBefore: page.nextBefore });
  };

  async function serveFile(req: Request, res: Response, thumb: boolean): Promise<void> {
    const access = conversationOf(req);
    const fileId = parseId(req.params.fileId);
    const file = fileId === undefined ? undefined : await findSentAttachment(deps.db, access.id, fileId, visibleTo(access));
    if (!file || (thumb && file.kind !== 'image')) throw notFound('That file');
    const variant = thumb ? 'thumb' : file.kind === 'image' ? 'display' : 'original';
    const etag = `"f${file.id}-${variant}"`;
    res.set({
      // Checked again on each use, so a deleted file is gone from every page at once.
      'Cache-Control': 'private, no-cache',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
      // Opened on its own, a file can run nothing and reach nothing.
      'Content-Security-Policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Content-Type': thumb ? 'image/webp' : file.mime === 'text/plain' ? 'text/plain; charset=utf-8' : file.mime,
      // Only the re-encoded images show in the browser; everything else downloads. The name is
      // encoded per RFC 6266 (an ASCII fallback and a UTF-8 filename*).
      'Content-Disposition': dispositionOf(thumb ? `thumbnail-${file.id}.webp` : file.name, file.kind === 'image' ? 'inline' : 'attachment'),
    });
    if (req.get('if-none-match') === etag) return notModified(res);
    if (!thumb) res.set('Content-Length', String(file.size_bytes));
    await pipeVariant(deps.db, file.id, variant, res);
  }
  return { list, file: (req, res) => serveFile(req, res, false), thumb: (req, res) => serveFile(req, res, true) };
}

/**
 * RFC 6266: `filename*` carries the real name in UTF-8, and `filename` a plain-ASCII stand-in
 * for old clients (accents dropped, anything else an underscore), so the header is pure ASCII.
 */
export function dispositionOf(name: string, type: 'inline' | 'attachment'): string {
  const fallback = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
  return contentDisposition(name, { type, fallback });
}
