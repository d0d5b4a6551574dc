// "Notify me on this device" ([data-push-panel] on the notification settings, with the site's
// VAPID key in data-push-key): registers the service worker (/sw.js), subscribes this browser
// with its push service on a click (never on load) and posts the subscription to
// /push/subscriptions; the same button undoes it. Without JavaScript the panel says push needs
// it ([data-push-nojs]). Marks this browser as getting pushes (localStorage), so notifications.js
// need not draw its own for a hidden page (notifications.js reads the same key). Built into
// js/settings.js, which only that page loads.
var PUSH_KEY = 'courier.push';

function keyBytes(base64url) {
  var base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  while (base64.length % 4) base64 += '=';
  var raw = atob(base64);
  var bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function postSubscription(path, subscription) {
  var json = subscription.toJSON();
  var body = new URLSearchParams();
  body.set('endpoint', json.endpoint);
  if (path === '/push/subscriptions') {
    body.set('keys[p256dh]', json.keys.p256dh);
    body.set('keys[auth]', json.keys.auth);
  }
  return fetch(path, { method: 'POST', headers: Courier.requestHeaders(), body: body, credentials: 'same-origin' }).then(function (res) {
    if (!res.ok) throw new Error('Courier could not save this device (' + res.status + '). Try again.');
  });
}

document.addEventListener('DOMContentLoaded', function () {
  var panel = document.querySelector('[data-push-panel]');
  if (!panel) return;
  var nojs = panel.querySelector('[data-push-nojs]');
  var controls = panel.querySelector('[data-push-controls]');
  var button = panel.querySelector('[data-push-toggle]');
  var state = panel.querySelector('[data-push-state]');
  if (nojs) nojs.hidden = true;
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    state.textContent = 'This browser cannot get push notifications.';
    controls.classList.remove('hidden');
    button.hidden = true;
    return;
  }
  controls.classList.remove('hidden');
  var subscription = null;
  function show(text) {
    button.textContent = subscription ? 'Stop notifying this device' : 'Notify me on this device';
    state.textContent = text || (subscription ? 'This device gets a notification for each new message.' : Notification.permission === 'denied' ? 'Notifications are blocked in this browser’s site settings.' : 'Off on this device.');
    if (subscription) localStorage.setItem(PUSH_KEY, 'on');
    else localStorage.removeItem(PUSH_KEY);
  }
  button.disabled = true;
  var ready = navigator.serviceWorker.register('/sw.js').then(function () {
    return navigator.serviceWorker.ready;
  });
  ready
    .then(function (registration) {
      return registration.pushManager.getSubscription();
    })
    .then(function (existing) {
      subscription = existing;
      button.disabled = false;
      show();
      // Kept with this session on the server (a device is notified only while the session that
      // subscribed it lasts): after a new login, this page binds it again.
      if (existing) return postSubscription('/push/subscriptions', existing);
    })
    .catch(function () {
      state.textContent = 'This browser could not start push notifications.';
    });

  button.addEventListener('click', function () {
    button.disabled = true;
    var done = function () { button.disabled = false; };
    if (subscription) {
      var old = subscription;
      postSubscription('/push/subscriptions/delete', old)
        .then(function () { return old.unsubscribe(); })
        .then(function () { subscription = null; show(); })
        .catch(function (err) { show(err.message); })
        .then(done);
      return;
    }
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== 'granted') throw new Error('Notifications are blocked in this browser’s site settings.');
        return ready;
      })
      .then(function (registration) {
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(panel.getAttribute('data-push-key')) });
      })
      .then(function (created) {
        return postSubscription('/push/subscriptions', created).then(
          function () { subscription = created; show(); },
          function (err) { return created.unsubscribe().then(function () { throw err; }); },
        );
      })
      .catch(function (err) {
        show(err && err.message && err.name !== 'AbortError' && err.name !== 'NotAllowedError' && err.name !== 'InvalidStateError' ? err.message : 'This browser could not subscribe to push notifications.');
      })
      .then(done);
  });
});
