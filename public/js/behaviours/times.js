// Times: <time data-relative datetime="…">. They arrive in UTC; show them in the reader's own time
// zone (the time today, the day otherwise), on load and in every part htmx brings.
// Offers Courier.localiseTimes(root) for parts placed by hand (live rows, presence).
var timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
var dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
function localiseTimes(root) {
  root.querySelectorAll('time[data-relative]').forEach(function (el) {
    var date = new Date(el.getAttribute('datetime'));
    if (isNaN(date)) return;
    var sameDay = date.toDateString() === new Date().toDateString();
    el.textContent = sameDay ? timeFormat.format(date) : dayFormat.format(date);
    el.title = date.toLocaleString();
  });
}
Courier.localiseTimes = localiseTimes;
document.addEventListener('DOMContentLoaded', function () { localiseTimes(document); });
document.addEventListener('htmx:load', function (event) { localiseTimes(event.target); });
