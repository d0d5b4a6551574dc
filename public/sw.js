// Courier's service worker: it only shows push notifications and opens the thread on a tap.
// It caches nothing (pages are live; an offline copy would show stale conversations).
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const title = typeof data.title === 'string' && data.title ? data.title : 'Courier';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === 'string' ? data.body : 'You have a new message',
      tag: typeof data.tag === 'string' ? data.tag : undefined,
      // A newer message in the same conversation replaces the notification, and still alerts.
      renotify: typeof data.tag === 'string',
      data: { url: typeof data.url === 'string' && data.url.startsWith('/') ? data.url : '/messages' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || '/messages', self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => client.url === url);
      if (open) return open.focus();
      return self.clients.openWindow(url);
    })(),
  );
});
