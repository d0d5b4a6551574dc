// Telling the reader of a message they are not looking at. The settings panel
// [data-notifications-panel] (hidden without JS) turns browser notifications on or off for this
// browser ([data-enable-notifications], state in [data-notifications-state]): offered from a
// button, never asked for on load. Offers live.js Courier.showToast (into #toasts) and
// Courier.notify (a system notification, when on and the page is hidden).
var STORAGE_KEY = 'courier.notifications';

Courier.showToast = function (text, href) {
  var box = document.getElementById('toasts');
  if (!box) return;
  var toast = document.createElement('a');
  toast.href = href;
  toast.className = 'toast pointer-events-auto rounded-full bg-slate-900 px-4 py-2 text-sm font-medium text-white shadow-lg';
  toast.textContent = text;
  box.appendChild(toast);
  setTimeout(function () { toast.remove(); }, 6000);
};

Courier.notify = function (text, href) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (localStorage.getItem(STORAGE_KEY) !== 'on' || document.visibilityState === 'visible') return;
  // This browser gets a push for it (the page is hidden): one notification, not two.
  if (localStorage.getItem('courier.push') === 'on') return;
  var note = new Notification('Courier', { body: text, tag: href });
  note.onclick = function () { window.focus(); window.location.href = href; };
};

function describeNotifications(state) {
  if (!state) return;
  if (!('Notification' in window)) state.textContent = 'This browser cannot show notifications.';
  else if (Notification.permission === 'denied') state.textContent = 'Blocked in this browser’s site settings.';
  else if (Notification.permission === 'granted' && localStorage.getItem(STORAGE_KEY) === 'on') state.textContent = 'On for this browser.';
  else state.textContent = 'Off.';
}
document.addEventListener('DOMContentLoaded', function () {
  var panel = document.querySelector('[data-notifications-panel]');
  if (!panel) return;
  panel.classList.remove('hidden');
  var state = panel.querySelector('[data-notifications-state]');
  var button = panel.querySelector('[data-enable-notifications]');
  var on = localStorage.getItem(STORAGE_KEY) === 'on' && window.Notification && Notification.permission === 'granted';
  button.textContent = on ? 'Turn off notifications' : 'Turn on notifications';
  describeNotifications(state);
  button.addEventListener('click', function () {
    if (localStorage.getItem(STORAGE_KEY) === 'on') {
      localStorage.removeItem(STORAGE_KEY);
      button.textContent = 'Turn on notifications';
      describeNotifications(state);
      return;
    }
    if (!('Notification' in window)) return describeNotifications(state);
    Notification.requestPermission().then(function (permission) {
      if (permission === 'granted') {
        localStorage.setItem(STORAGE_KEY, 'on');
        button.textContent = 'Turn off notifications';
      }
      describeNotifications(state);
    });
  });
});
