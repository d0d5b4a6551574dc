// Times: <time data-relative datetime="…">. They arrive drawn by the server in the person's saved
// zone (<body data-time-zone>), or in UTC while none is saved; here they are drawn in that saved
// zone, or the browser's own, on load and in every part htmx brings, with the server's formats
// (src/http/view-helpers.ts compactTime): the clock time today, the day otherwise, the year when
// not this one. So a page reads the same with JavaScript on or off.
// Offers Courier.localiseTimes(root) for parts placed by hand (live rows, presence).
var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
function zone() {
  return (document.body && document.body.getAttribute('data-time-zone')) || browserZone || undefined;
}
function format(date, options, locale) {
  options.timeZone = zone();
  return date.toLocaleString(locale || 'en-GB', options);
}
function localiseTimes(root) {
  var day = { year: 'numeric', month: '2-digit', day: '2-digit' };
  var today = format(new Date(), day, 'en-CA');
  root.querySelectorAll('time[data-relative]').forEach(function (el) {
    var date = new Date(el.getAttribute('datetime'));
    if (isNaN(date)) return;
    var its = format(date, day, 'en-CA');
    el.textContent = its === today ? format(date, { hour: '2-digit', minute: '2-digit' }) : format(date, { day: 'numeric', month: 'short', year: its.slice(0, 4) === today.slice(0, 4) ? undefined : 'numeric' });
    el.title = format(date, { dateStyle: 'medium', timeStyle: 'short' });
  });
}
Courier.localiseTimes = localiseTimes;

// A thread's days (thread-view.js), named as src/http/day-label.ts names them on the server: the
// day's key (yyyy-mm-dd in the zone) and "Today", "Yesterday", the weekday within a week, else
// the full date. Days are counted on the calendar, so a clock change does not shift them.
function dayNumber(key) {
  return Date.UTC(+key.slice(0, 4), +key.slice(5, 7) - 1, +key.slice(8, 10)) / 864e5;
}
Courier.dayOf = function (date) {
  var day = { year: 'numeric', month: '2-digit', day: '2-digit' };
  var key = format(date, day, 'en-CA');
  var ago = dayNumber(format(new Date(), day, 'en-CA')) - dayNumber(key);
  var label = ago === 0 ? 'Today' : ago === 1 ? 'Yesterday' : format(date, ago > 1 && ago < 7 ? { weekday: 'long' } : { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  return { key: key, label: label };
};

// A person with no zone saved yet: the browser's is kept, once, for the pages drawn without
// JavaScript (a zone chosen in Settings is never replaced: the server checks only_if_unset).
function adoptBrowserZone() {
  var body = document.body;
  if (!body || !browserZone || body.getAttribute('data-time-zone') !== '' || !body.hasAttribute('hx-headers')) return;
  body.setAttribute('data-time-zone', browserZone);
  fetch('/settings/time-zone', { method: 'POST', headers: Courier.requestHeaders(), credentials: 'same-origin', body: new window.URLSearchParams({ time_zone: browserZone, only_if_unset: '1' }) }).catch(function () {});
}
document.addEventListener('DOMContentLoaded', function () {
  adoptBrowserZone();
  localiseTimes(document);
});
document.addEventListener('htmx:load', function (event) { localiseTimes(event.target); });
