import { Router } from 'express';
import type { Db } from '../db/database.js';
import { notFound } from '../http/errors.js';
import { loadAvatar } from './avatar-queries.js';

/** GET /avatars/:userId/:version/:size.webp: URLs change with each new photo, so caches keep them a year. */
export function avatarRoutes(db: Db): Router {
  const router = Router();
  router.get('/:userId/:version/:size.webp', async (req, res) => {
    const { userId, version, size } = req.params;
    if (!/^\d{1,15}$/.test(userId) || !/^\d{1,9}$/.test(version) || (size !== 'small' && size !== 'large')) throw notFound('That photo');
    const avatar = await loadAvatar(db, Number(userId), Number(version), size);
    if (!avatar) throw notFound('That photo');
    res.set({ 'Cache-Control': 'private, max-age=31536000, immutable', 'Content-Type': 'image/webp' });
    res.send(avatar.bytes);
  });
  return router;
}
