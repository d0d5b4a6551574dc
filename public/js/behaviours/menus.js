// Menus: every open <details> on the page. The menus are <details> so they work without JS; with
// it they behave like menus: Escape closes them (focus back on their summary), and so does a click
// outside (a bare <details> stays open until toggled).
document.addEventListener('keydown', function (event) {
  if (event.key !== 'Escape') return;
  document.querySelectorAll('details[open]').forEach(function (menu) {
    menu.removeAttribute('open');
    var summary = menu.querySelector('summary');
    if (summary) summary.focus();
  });
});
document.addEventListener('click', function (event) {
  document.querySelectorAll('details[open]').forEach(function (menu) {
    if (!menu.contains(event.target)) menu.removeAttribute('open');
  });
});
